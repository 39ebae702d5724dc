/**
 * fast-check arbitraries of hostile input: JSON values of the wrong type,
 * huge and deep values, bad encodings (hex, base64, UTF-8), points off the
 * curve, scalars ≥ n, and structural mutations of real request bodies.
 */
import fc from 'fast-check';

// ## Constants from docs/PROTOCOL.md §3

/** secp256k1 group order n, hex. */
export const CURVE_N = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
/** secp256k1 field prime p, hex (x ≥ p is not a coordinate). */
export const FIELD_P = 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f';

const hexChar = fc.constantFrom(...'0123456789abcdef'.split(''));
const hexOf = (len: number) => fc.string({ unit: hexChar, minLength: len, maxLength: len });

/** Scalars that must be refused: 0, n, n + 1, 2^256 − 1, and ≥ n in general. */
export const badScalar = fc.oneof(
  fc.constantFrom('0'.repeat(64), CURVE_N, CURVE_N.slice(0, -1) + '2', 'f'.repeat(64), FIELD_P),
  hexOf(56).map((h) => 'ffffffff' + h),
);

/** 33-byte SEC1 strings that are not points: x ≥ p, zero, bad prefixes, random x (half are off the curve). */
export const badPoint = fc.oneof(
  fc.constantFrom('02' + FIELD_P, '03' + 'f'.repeat(64), '00'.repeat(33), '04' + '11'.repeat(32), '05' + '22'.repeat(32), '02' + '00'.repeat(32), '02' + '0'.repeat(62) + '05'),
  hexOf(64).map((h) => '02' + h),
  hexOf(64).map((h) => '03' + h),
  hexOf(130).map((h) => '04' + h.slice(2)),
);

/** Hex that is wrong: odd length, non-hex characters, upper case, prefixes, wrong length. */
export const badHex = fc.oneof(
  fc.constantFrom('', '0x' + '00'.repeat(32), 'zz'.repeat(32), 'AB'.repeat(32), '0'.repeat(63), ' ' + '00'.repeat(32), '00'.repeat(32) + '\n', 'é'.repeat(64)),
  fc.nat({ max: 200 }).chain((n) => hexOf(n)),
);

/** Base64 that is wrong: bad alphabet, bad padding, whitespace, url-safe characters, not base64 at all. */
export const badBase64 = fc.constantFrom('!!!!', 'abc', 'YQ=', 'YQ===', '=YQ', 'Y Q==', '-_-_', 'YWJj\n', '\u0000', '////////', 'A'.repeat(4097), '🙂🙂🙂🙂');

/** Strings that have hurt parsers before. */
export const nastyString = fc.oneof(
  fc.constantFrom('', ' ', 'null', 'undefined', 'NaN', '-0', '1e309', '__proto__', 'constructor', 'prototype', 'toString', '\u0000', '\ud800', '\udfff\ud800', '\u202e', '../../etc/passwd', '%00', "'; DROP TABLE log; --", '${jndi:x}', '\r\n\r\n', 'a'.repeat(300), '0'.repeat(1000)),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.uuid(),
);

/** Numbers that break integer fields: negative, fractional, unsafe, huge. */
export const nastyNumber = fc.oneof(
  fc.constantFrom(-1, 0, 1, 0.5, -0, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 255, 256, 65_535, 65_536),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A nested array or object `depth` levels deep (built iteratively: no recursion on our side). */
export function deepValue(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** A JSON value that is junk for almost any field. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 2, arbitrary: badHex },
  { weight: 2, arbitrary: badPoint },
  { weight: 2, arbitrary: badScalar },
  { weight: 2, arbitrary: badBase64 },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { '': null }, JSON.parse('{"__proto__":{"polluted":1}}'), { constructor: { prototype: { x: 1 } } }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 1500 }), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => deepValue(d, k)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => Array.from({ length: n }, (_, k) => k)) },
);

// ## Mutating real bodies

type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), root first; capped. */
export function paths(value: unknown, cap = 400): Path[] {
  const out: Path[] = [[]];
  const stack: { v: unknown; p: Path }[] = [{ v: value, p: [] }];
  while (stack.length && out.length < cap) {
    const { v, p } = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([...p, i]), stack.push({ v: x, p: [...p, i] })));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([...p, k]), stack.push({ v: x, p: [...p, k] });
  }
  return out;
}

export type Mutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'delete'; pick: number }
  | { op: 'add'; pick: number; key: string; value: unknown }
  | { op: 'duplicate'; pick: number }
  | { op: 'swap'; pick: number; other: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: junkValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), pick: fc.nat(), key: nastyString, value: junkValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), pick: fc.nat(), other: fc.nat() }) },
);

/** A deep copy (JSON round trip: iterative enough for the deep values here, keeps `__proto__` as an own key). */
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function getAt(root: unknown, p: Path): unknown {
  let v = root;
  for (const k of p) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Applies mutations to a deep copy of `template`. */
export function mutate(template: unknown, ms: readonly Mutation[]): unknown {
  let root = clone(template);
  for (const original of ms) {
    // Generated values can be shared constants ([] or {}): copy them so no mutation can alias or grow them.
    const m = 'value' in original ? { ...original, value: clone(original.value) } : original;
    const ps = paths(root);
    const p = ps[m.pick % ps.length]!;
    if (p.length === 0) {
      if (m.op === 'set') root = m.value;
      continue;
    }
    const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown> | unknown[];
    const key = p[p.length - 1]!;
    switch (m.op) {
      case 'set':
        (parent as Record<string | number, unknown>)[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete (parent as Record<string, unknown>)[key];
        break;
      case 'add': {
        const target = getAt(root, p);
        if (Array.isArray(target)) target.push(m.value);
        else if (target && typeof target === 'object') Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        else (parent as Record<string | number, unknown>)[key] = [target, m.value];
        break;
      }
      case 'duplicate': {
        const target = getAt(root, p);
        if (Array.isArray(parent)) parent.splice(Number(key), 0, clone(target));
        else (parent as Record<string | number, unknown>)[key] = [target, clone(target)];
        break;
      }
      case 'swap': {
        const q = ps[m.other % ps.length]!;
        if (q.length === 0 || q.length !== p.length) break;
        const qParent = getAt(root, q.slice(0, -1)) as Record<string | number, unknown>;
        const qKey = q[q.length - 1]!;
        const a = (parent as Record<string | number, unknown>)[key];
        (parent as Record<string | number, unknown>)[key] = qParent[qKey];
        qParent[qKey] = a;
        break;
      }
    }
  }
  return root;
}

// ## Raw bodies

const enc = new TextEncoder();

/** Bodies that are not what the content type says: invalid UTF-8, truncated JSON, deep nesting, random bytes. */
export const rawBody: fc.Arbitrary<{ bytes: Uint8Array; type: string }> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ bytes, type: 'application/json' })),
  fc.constantFrom(
    [0xc3, 0x28],
    [0xa0, 0xa1],
    [0xe2, 0x28, 0xa1],
    [0xf0, 0x28, 0x8c, 0xbc],
    [0xed, 0xa0, 0x80],
    [0xff, 0xfe, 0x7b, 0x00],
    [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
  ).map((b) => ({ bytes: Uint8Array.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, ...b, 0x22, 0x7d]), type: 'application/json' })),
  fc.constantFrom('{', '{"a":', '[1,2', '"unterminated', '{"a":1}{"b":2}', '{"a":1,}', 'NaN', 'Infinity', '-', '1e99999', '{"a":1e99999}', '{"a":"\\ud800"}', '{"a":"\\u00"}', '\u0000', '', ' ', 'null', '123', '"str"', 'true').map((s) => ({ bytes: enc.encode(s), type: 'application/json' })),
  fc.tuple(fc.integer({ min: 1000, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => ({ bytes: enc.encode(open.repeat(n)), type: 'application/json' })),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ bytes: enc.encode('['.repeat(n) + ']'.repeat(n)), type: 'application/json' })),
  fc.tuple(fc.string({ maxLength: 200 }), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset=bogus', 'multipart/form-data; boundary=x', 'application/octet-stream', '', 'application/json;;;')).map(([s, type]) => ({ bytes: enc.encode(s), type })),
);

/** Authorization header values: none, malformed, wrong token, huge. */
export const badAuth: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic YWRtaW46YWRtaW4=', 'Bearer ' + 'a'.repeat(16), 'Bearer ' + 'a'.repeat(5000), 'Bearer \u0000abcdefabcdefabcdef'.replace('\u0000', '')),
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEF0123456789-_.~+/='.split('')), minLength: 16, maxLength: 64 }).map((t) => `Bearer ${t}`),
);
