/**
 * Witness logic (C2SP tlog-witness add-checkpoint, DESIGN.md §4.3): accepts
 * only consistent growth from its last cosigned head, with the statuses the
 * spec assigns to each refusal, and never moves backwards.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { schnorrPublicKey } from '../../shared/src/crypto/group';
import {
  MemoryTree,
  addCheckpoint,
  checkCheckpointUpdate,
  COSIGNATURE_KEY_TYPE,
  formatAddCheckpointRequest,
  formatSignatureLine,
  noteKeyId,
  parseAddCheckpointRequest,
  parseSignedNote,
  signCheckpoint,
  verifyCosignature,
  verifyLogSignature,
  witnessNote,
  type CosignedHead,
  type CosignedRecord,
  type WitnessConfig,
  type WitnessStateStore,
} from '../../shared/src/log/index';
import { flipBit } from './helpers';

const ORIGIN = 'custodes.test/log';
const LOG_SECRET = new Uint8Array(32).fill(3);
const OTHER_SECRET = new Uint8Array(32).fill(4);
const WITNESS_SECRET = new Uint8Array(32).fill(5);
const WITNESS = { name: 'custodian-1.test', publicKey: schnorrPublicKey(WITNESS_SECRET) };

/** An in-memory store whose transaction rolls back on throw, like SQLite. */
class MemoryWitnessStore implements WitnessStateStore {
  heads = new Map<string, CosignedRecord>();
  transactions = 0;
  failSave = false;
  transaction<T>(fn: () => T): T {
    this.transactions += 1;
    const before = new Map(this.heads);
    try {
      return fn();
    } catch (error) {
      this.heads = before;
      throw error;
    }
  }
  latest(origin: string): CosignedHead | undefined {
    return this.heads.get(origin);
  }
  save(origin: string, record: CosignedRecord): void {
    if (this.failSave) throw new Error('disk full');
    this.heads.set(origin, record);
  }
}

function growTree(prefix: string, n: number): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`${prefix}-${i}`));
  return t;
}

/** Tree A, and tree B which shares A's first 5 leaves and then forks. */
const A = growTree('a', 12);
const B = growTree('a', 5);
for (let i = 5; i < 12; i++) B.append(new TextEncoder().encode(`b-${i}`));

function note(tree: MemoryTree, size: number, secret = LOG_SECRET): string {
  return signCheckpoint({ origin: ORIGIN, size, root: tree.root(size) }, secret);
}

function body(oldSize: number, tree: MemoryTree, size: number, proof = tree.consistencyProof(oldSize, size)): string {
  return formatAddCheckpointRequest({ oldSize, proof, note: note(tree, size) });
}

let store: MemoryWitnessStore;
let config: WitnessConfig;
let clock = 1_700_000_000;

beforeEach(() => {
  store = new MemoryWitnessStore();
  config = {
    store,
    logKey: (origin) => (origin === ORIGIN ? { name: ORIGIN, publicKey: schnorrPublicKey(LOG_SECRET) } : undefined),
    name: WITNESS.name,
    secretKey: WITNESS_SECRET,
    now: () => clock++,
  };
});

function expectCosigned(result: ReturnType<typeof addCheckpoint>, tree: MemoryTree, size: number): void {
  expect(result).toMatchObject({ ok: true, status: 200 });
  if (!result.ok) return;
  const cosigned = parseSignedNote(note(tree, size) + result.cosignature);
  expect(verifyCosignature(cosigned, WITNESS)).toBe(true);
  expect(store.latest(ORIGIN)?.size).toBe(size);
}

describe('addCheckpoint', () => {
  it('trusts the first checkpoint from size 0, then follows consistent growth', () => {
    expectCosigned(addCheckpoint(config, body(0, A, 5)), A, 5);
    expectCosigned(addCheckpoint(config, body(5, A, 8)), A, 8);
    expectCosigned(addCheckpoint(config, body(8, A, 8)), A, 8); // same head again: idempotent
    expectCosigned(addCheckpoint(config, body(8, A, 12)), A, 12);
    expect(store.transactions).toBe(4);
  });

  it('answers 409 with its size when the old size is not its own', () => {
    addCheckpoint(config, body(0, A, 5));
    const r = addCheckpoint(config, body(0, A, 8));
    expect(r).toMatchObject({ ok: false, status: 409, code: 'OLD_SIZE_MISMATCH', witnessSize: 5 });
    const r2 = addCheckpoint(config, body(3, A, 8));
    expect(r2).toMatchObject({ ok: false, status: 409, witnessSize: 5 });
  });

  it('refuses the same size with another root (a fork) with 409', () => {
    addCheckpoint(config, body(0, A, 8));
    const r = addCheckpoint(config, body(8, B, 8, []));
    expect(r).toMatchObject({ ok: false, status: 409, code: 'ROOT_MISMATCH', witnessSize: 8 });
    expect(store.latest(ORIGIN)?.root).toEqual(A.root(8));
  });

  it('refuses a shrinking tree: 400 when old > new, 409 when old is not its size', () => {
    addCheckpoint(config, body(0, A, 8));
    expect(addCheckpoint(config, body(8, A, 6, []))).toMatchObject({ ok: false, status: 400, code: 'BAD_REQUEST' });
    expect(addCheckpoint(config, body(6, A, 6))).toMatchObject({ ok: false, status: 409, witnessSize: 8 });
    expect(store.latest(ORIGIN)?.size).toBe(8);
  });

  it('refuses a fork at a larger size with 422: the proof from its root cannot verify', () => {
    addCheckpoint(config, body(0, A, 8));
    // B's own proof 8 → 10 is valid for B, but starts from B's root at 8, not A's.
    const r = addCheckpoint(config, body(8, B, 10));
    expect(r).toMatchObject({ ok: false, status: 422, code: 'BAD_PROOF' });
    expect(store.latest(ORIGIN)?.root).toEqual(A.root(8));
  });

  it('refuses a proof with any one bit flipped with 422, and a non-empty proof from 0', () => {
    addCheckpoint(config, body(0, A, 5));
    const proof = A.consistencyProof(5, 9);
    proof.forEach((p, i) => {
      const bad = [...proof];
      bad[i] = flipBit(p, (i * 37) % 256);
      expect(addCheckpoint(config, body(5, A, 9, bad))).toMatchObject({ ok: false, status: 422 });
    });
    expect(addCheckpoint(config, body(5, A, 9, proof.slice(1)))).toMatchObject({ ok: false, status: 422 });
    const fresh = { ...config, store: new MemoryWitnessStore() };
    expect(addCheckpoint(fresh, body(0, A, 5, A.consistencyProof(1, 5)))).toMatchObject({ ok: false, status: 422 });
    expect(store.latest(ORIGIN)?.size).toBe(5);
  });

  it('answers 404 for an unknown origin and 403 without a valid log signature', () => {
    const foreign = formatAddCheckpointRequest({
      oldSize: 0,
      proof: [],
      note: signCheckpoint({ origin: 'other.test/log', size: 1, root: A.root(1) }, LOG_SECRET),
    });
    expect(addCheckpoint(config, foreign)).toMatchObject({ ok: false, status: 404, code: 'UNKNOWN_LOG' });
    const forged = formatAddCheckpointRequest({ oldSize: 0, proof: [], note: note(A, 5, OTHER_SECRET) });
    expect(addCheckpoint(config, forged)).toMatchObject({ ok: false, status: 403, code: 'BAD_SIGNATURE' });
    expect(store.transactions).toBe(0);
  });

  const junk: [string, string | Uint8Array][] = [
    ['empty', ''],
    ['no blank line', `old 0\n${note(A, 1)}`],
    ['leading zero', `old 00\n\n${note(A, 1)}`],
    ['negative', `old -1\n\n${note(A, 1)}`],
    ['missing size', `old \n\n${note(A, 1)}`],
    ['tab', `old\t0\n\n${note(A, 1)}`],
    ['huge', `old 99999999999999999999\n\n${note(A, 1)}`],
    ['bad proof line', `old 0\nnot base64!\n\n${note(A, 1)}`],
    ['short proof line', `old 0\nAAAA\n\n${note(A, 1)}`],
    ['64 proof lines', `old 0\n${`${'A'.repeat(43)}=\n`.repeat(64)}\n${note(A, 1)}`],
    ['no checkpoint', 'old 0\n\n'],
    ['checkpoint without signature', `old 0\n\n${ORIGIN}\n1\n${'A'.repeat(43)}=\n`],
    ['not a checkpoint', `old 0\n\nhello\n\n— ${ORIGIN} AAAAAAAA\n`],
    ['invalid UTF-8', Uint8Array.of(0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff)],
  ];

  it.each(junk)('answers 400 for junk: %s', (_name, input) => {
    expect(addCheckpoint(config, input)).toMatchObject({ ok: false, status: 400, code: 'BAD_REQUEST' });
    expect(store.heads.size).toBe(0);
  });

  it('stores the note it made, not the one it was sent: junk lines under its own key ID and unknown keys are dropped', () => {
    const ownId = noteKeyId(WITNESS.name, COSIGNATURE_KEY_TYPE, WITNESS.publicKey);
    const junkOwn = formatSignatureLine({ name: WITNESS.name, keyId: ownId, signature: new Uint8Array(72).fill(7) });
    const junkOther = formatSignatureLine({ name: 'someone.test', keyId: Uint8Array.of(1, 2, 3, 4), signature: new Uint8Array(64).fill(9) });
    addCheckpoint(config, body(0, A, 5));
    const signed = note(A, 5);
    // A same-size re-post carrying the extra lines (C2SP signed-note keeps unknown lines; a witness must not).
    const r = addCheckpoint(config, formatAddCheckpointRequest({ oldSize: 5, proof: [], note: signed + junkOwn + junkOther }));
    expect(r).toMatchObject({ ok: true, status: 200 });
    if (!r.ok) return;
    const stored = store.latest(ORIGIN) as CosignedRecord;
    expect(stored.note).toBe(signed + r.cosignature);
    const parsed = parseSignedNote(stored.note);
    expect(parsed.signatures).toHaveLength(2);
    expect(verifyCosignature(parsed, WITNESS)).toBe(true);
    expect(verifyLogSignature(parsed, { name: ORIGIN, publicKey: schnorrPublicKey(LOG_SECRET) })).toBe(true);
  });

  it('witnessNote refuses a caller\'s bug: a note of another checkpoint, no log signature, or not one line', () => {
    const logKey = { name: ORIGIN, publicKey: schnorrPublicKey(LOG_SECRET) };
    const cp = { origin: ORIGIN, size: 5, root: A.root(5) };
    const line = '\u2014 custodian-1.test AAAAAAAA\n';
    const signed = note(A, 5);
    expect(witnessNote(cp, parseSignedNote(signed), logKey, line)).toBe(`${signed}${line}`);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 6)), logKey, line)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5, OTHER_SECRET)), logKey, line)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5)), logKey, `${line}${line}`)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5)), logKey, 'x')).toThrow(RangeError);
  });

  it('lets storage errors propagate and keeps the old head', () => {
    addCheckpoint(config, body(0, A, 5));
    store.failSave = true;
    expect(() => addCheckpoint(config, body(5, A, 8))).toThrow('disk full');
    expect(store.latest(ORIGIN)?.size).toBe(5);
  });
});

describe('checkCheckpointUpdate', () => {
  const cp = (tree: MemoryTree, size: number) => ({ origin: ORIGIN, size, root: tree.root(size) });

  it('accepts from nothing with an empty proof, including the empty tree, and then only that empty root', () => {
    expect(checkCheckpointUpdate(undefined, 0, [], cp(A, 0))).toEqual({ ok: true });
    const empty = { size: 0, root: A.root(0) };
    expect(checkCheckpointUpdate(empty, 0, [], cp(A, 0))).toEqual({ ok: true });
    expect(checkCheckpointUpdate(empty, 0, [], { ...cp(A, 0), root: A.root(1) })).toMatchObject({ status: 409 });
  });

  it('throws for caller bugs', () => {
    expect(() => checkCheckpointUpdate(undefined, -1, [], cp(A, 1))).toThrow(RangeError);
    expect(() => checkCheckpointUpdate({ size: 1, root: new Uint8Array(3) }, 1, [], cp(A, 1))).toThrow(RangeError);
    expect(() => checkCheckpointUpdate(undefined, 0, 'x' as never, cp(A, 1))).toThrow(TypeError);
  });
});

describe('add-checkpoint request bodies', () => {
  it('round-trip', () => {
    const proof = A.consistencyProof(3, 7);
    const signed = note(A, 7);
    const text = formatAddCheckpointRequest({ oldSize: 3, proof, note: signed });
    expect(text.startsWith('old 3\n')).toBe(true);
    expect(parseAddCheckpointRequest(text)).toEqual({ oldSize: 3, proof, note: signed });
    expect(parseAddCheckpointRequest(new TextEncoder().encode(text))).toEqual({ oldSize: 3, proof, note: signed });
  });
});
