/**
 * An independent verifier of the Custodes transparency log, written from
 * docs/PROTOCOL.md §4.3–§4.4 and the RFCs / C2SP specs it cites, importing nothing
 * from the project:
 *
 * - RFC 6962 leaf and node hashing, and the RFC 6962 Merkle tree hash;
 * - RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proof verification;
 * - a strict C2SP tlog-checkpoint parser;
 * - a C2SP signed-note parser and the docs/PROTOCOL.md §4.3 signature types:
 *   the log's Ed25519 (type 0x01) and witnesses' C2SP tlog-cosignature
 *   `cosignature/v1` (type 0x04), with node:crypto's Ed25519.
 *
 * Verification functions return `false` (or a result carrying the failure)
 * for anything a network peer could send; they throw only on caller bugs.
 * Everything parsed here is attacker-controlled.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify } from 'node:crypto';

// ## Bytes

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Strict padded base64 (RFC 4648 §4); null for anything else. */
function strictBase64(s: string): Uint8Array | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  // Reject non-canonical trailing bits.
  if (b.toString('base64') !== s) return null;
  return new Uint8Array(b);
}

// ## RFC 6962 §2.1 hashing

/** SHA256(0x00 ‖ d) */
export const leafHash = (d: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), d);
/** SHA256(0x01 ‖ l ‖ r) */
export const nodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);

/** Largest power of two strictly below n (requires n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[0:n]) over leaf hashes (RFC 6962 §2.1): SHA256() for n = 0. */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256();
  if (hashes.length === 1) return hashes[0]!;
  const k = splitPoint(hashes.length);
  return nodeHash(rootFromLeafHashes(hashes.slice(0, k)), rootFromLeafHashes(hashes.slice(k)));
}

/** MTH over the leaves' data. */
export const merkleRoot = (leaves: readonly Uint8Array[]): Uint8Array => rootFromLeafHashes(leaves.map(leafHash));

// ## RFC 9162 §2.1.3.2 inclusion

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === 32;

/**
 * The root implied by an inclusion proof of the leaf with hash `leaf` at
 * `index` in a tree of `size`, or null if the proof cannot be valid.
 * Requires 0 ≤ index < size.
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (!isHash(leaf) || !proof.every(isHash)) return null;
  // Step 2: fn = leaf_index, sn = tree_size − 1, r = leaf_hash. BigInt: sizes may exceed 2^32.
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    // Step 3.1: if sn is 0, stop and fail.
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      // Right-shift until LSB(fn) is set or fn is 0.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 4: sn must be 0.
  return sn === 0n ? r : null;
}

/** RFC 9162 §2.1.3.2: true iff `proof` shows `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusionProof(index, size, leaf, proof);
  return r !== null && equal(r, root);
}

// ## RFC 9162 §2.1.4.2 consistency

/** True iff `proof` shows the tree (size1, root1) is a prefix of (size2, root2). */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) return false;
  // A proof from the empty tree proves nothing; reject before the equal-size shortcut.
  if (size1 === 0) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  // Step 1: an empty path fails.
  if (proof.length === 0 || !proof.every(isHash) || !isHash(root1) || !isHash(root2)) return false;
  // Step 2: if first is an exact power of 2, prepend first_hash.
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  // Step 3.
  let fn = BigInt(size1 - 1);
  let sn = BigInt(size2 - 1);
  // Step 4: if LSB(fn) is set, right-shift both until it is not.
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7.
  return equal(fr, root1) && equal(sr, root2) && sn === 0n;
}

// ## C2SP tlog-checkpoint

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** Extension lines, without their newlines. */
  extensions: string[];
  /** The exact body text, ending in a newline. */
  body: string;
}

/** Parses a checkpoint body strictly; null for anything that is not one. */
export function parseCheckpoint(body: string): Checkpoint | null {
  if (typeof body !== 'string' || body.length > 1 << 16 || !body.endsWith('\n')) return null;
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) return null;
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0 || extensions.some((l) => l.length === 0)) return null;
  // Decimal, no sign, no leading zeros (C2SP tlog-checkpoint: ASCII decimal).
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) return null;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return null;
  const root = strictBase64(rootText);
  if (!root || root.length !== 32) return null;
  return { origin, size, root, extensions, body };
}

// ## C2SP signed-note, with the docs/PROTOCOL.md §4.3 signature types

/** C2SP signed-note signature types (docs/PROTOCOL.md §4.3). */
export const LOG_TYPE = 0x01;
export const COSIGNATURE_TYPE = 0x04;
const DASH = '\u2014';

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  /** The signature bytes after the key ID. */
  sig: Uint8Array;
  /** The line as it appears in the note, without its newline. */
  line: string;
}

export interface Note {
  /** The signed text: everything up to and including the newline before the blank line. */
  text: string;
  signatures: NoteSignature[];
}

/** Parses a signed note; null if malformed. Unknown signatures are kept (callers ignore them). */
export function parseNote(note: string): Note | null {
  if (typeof note !== 'string' || note.length > 1 << 20) return null;
  // Only newline among the control characters (C2SP signed-note).
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note)) return null;
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  if (sigLines.length === 0 || sigLines.length > 100) return null;
  const signatures: NoteSignature[] = [];
  for (const line of sigLines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
    if (!m) return null;
    const bytes = strictBase64(m[2]!);
    if (!bytes || bytes.length < 5) return null;
    signatures.push({ name: m[1]!, keyId: bytes.slice(0, 4), sig: bytes.slice(4), line });
  }
  return { text, signatures };
}

/** key ID = SHA256(name ‖ 0x0A ‖ type ‖ 32-byte Ed25519 key)[:4] (C2SP signed-note, tlog-cosignature). */
export function keyId(name: string, type: number, key: Uint8Array): Uint8Array {
  return sha256(utf8(name), Uint8Array.of(0x0a, type), key).slice(0, 4);
}

const u64 = (n: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return new Uint8Array(b);
};

/** The message a witness signs (C2SP tlog-cosignature): "cosignature/v1\ntime <ts>\n" ‖ checkpoint body. */
const cosignedMessage = (timestamp: number | bigint, body: string): Uint8Array => utf8(`cosignature/v1\ntime ${timestamp}\n${body}`);

// RFC 8410 DER wrappers for raw Ed25519 keys.
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

function ed25519Verify(sig: Uint8Array, msg: Uint8Array, key: Uint8Array): boolean {
  if (sig.length !== 64 || key.length !== 32) return false;
  try {
    return edVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI, key]), format: 'der', type: 'spki' }), sig);
  } catch {
    // A key that is not a curve point: a verification failure, not a bug.
    return false;
  }
}

function ed25519Sign(msg: Uint8Array, seed: Uint8Array): Uint8Array {
  return new Uint8Array(edSign(null, msg, createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' })));
}

function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI.length));
}

/** True iff `s` is a valid log signature by (name, key) over the note text: Ed25519 over the text itself. */
export function verifyLogSignature(text: string, s: NoteSignature, name: string, key: Uint8Array): boolean {
  if (s.name !== name || !equal(s.keyId, keyId(name, LOG_TYPE, key))) return false;
  return ed25519Verify(s.sig, utf8(text), key);
}

/** The timestamp of a valid cosignature by (name, key) over the checkpoint body, or null. */
export function verifyCosignature(body: string, s: NoteSignature, name: string, key: Uint8Array): bigint | null {
  if (s.name !== name || !equal(s.keyId, keyId(name, COSIGNATURE_TYPE, key)) || s.sig.length !== 72) return null;
  const timestamp = Buffer.from(s.sig.slice(0, 8)).readBigUInt64BE();
  if (timestamp > (1n << 63n) - 1n) return null;
  return ed25519Verify(s.sig.slice(8), cosignedMessage(timestamp, body), key) ? timestamp : null;
}

/** Signs a note text as the log (for tests of this verifier). */
export function signLogLine(text: string, name: string, seed: Uint8Array): string {
  const sig = ed25519Sign(utf8(text), seed);
  return `${DASH} ${name} ${Buffer.from(cat(keyId(name, LOG_TYPE, ed25519PublicKey(seed)), sig)).toString('base64')}`;
}

/** A witness cosignature line (for tests of this verifier). */
export function cosignLine(body: string, name: string, seed: Uint8Array, timestamp: number): string {
  const sig = ed25519Sign(cosignedMessage(timestamp, body), seed);
  return `${DASH} ${name} ${Buffer.from(cat(keyId(name, COSIGNATURE_TYPE, ed25519PublicKey(seed)), u64(timestamp), sig)).toString('base64')}`;
}

// ## Checkpoint verification against a trust policy

export interface Witness {
  name: string;
  /** Ed25519 key, 32 bytes. */
  key: Uint8Array;
}

export type CheckpointFailure = 'MALFORMED_NOTE' | 'MALFORMED_CHECKPOINT' | 'WRONG_ORIGIN' | 'BAD_LOG_SIGNATURE' | 'TOO_FEW_COSIGNATURES';

export type CheckpointResult =
  | { ok: true; checkpoint: Checkpoint; cosigners: { name: string; timestamp: bigint }[] }
  | { ok: false; code: CheckpointFailure };

/**
 * A checkpoint note is accepted iff it parses, its origin is `origin`, it carries
 * a valid log signature under the key name = origin, and at least `threshold`
 * distinct witnesses among `witnesses` cosigned its body (docs/PROTOCOL.md §1 goal 8).
 * Signatures from unknown keys are ignored (C2SP signed-note).
 */
export function verifyCheckpointNote(note: string, origin: string, logKey: Uint8Array, witnesses: readonly Witness[], threshold: number): CheckpointResult {
  const parsed = parseNote(note);
  if (!parsed) return { ok: false, code: 'MALFORMED_NOTE' };
  const checkpoint = parseCheckpoint(parsed.text);
  if (!checkpoint) return { ok: false, code: 'MALFORMED_CHECKPOINT' };
  if (checkpoint.origin !== origin) return { ok: false, code: 'WRONG_ORIGIN' };
  if (!parsed.signatures.some((s) => verifyLogSignature(parsed.text, s, origin, logKey))) return { ok: false, code: 'BAD_LOG_SIGNATURE' };
  const cosigners = new Map<string, bigint>();
  for (const w of witnesses) {
    for (const s of parsed.signatures) {
      const ts = verifyCosignature(checkpoint.body, s, w.name, w.key);
      if (ts !== null) cosigners.set(w.name, ts);
    }
  }
  if (cosigners.size < threshold) return { ok: false, code: 'TOO_FEW_COSIGNATURES' };
  return { ok: true, checkpoint, cosigners: [...cosigners].map(([name, timestamp]) => ({ name, timestamp })) };
}

// ## The public read API (docs/PROTOCOL.md §4.4), no authentication

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hashList(v: unknown): Uint8Array[] | null {
  if (!Array.isArray(v)) return null;
  const out: Uint8Array[] = [];
  for (const s of v) {
    const h = typeof s === 'string' ? strictBase64(s) : null;
    if (!h || h.length !== 32) return null;
    out.push(h);
  }
  return out;
}

export interface InclusionAnswer {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: Uint8Array[];
}

export interface ConsistencyAnswer {
  from: number;
  to: number;
  proof: Uint8Array[];
}

/** A read-only client of a log's §4.4 API; every answer is checked for shape. */
export class LogReader {
  private readonly base: string;

  constructor(base: string, private readonly timeoutMs = 30_000) {
    this.base = base.replace(/\/+$/, '');
  }

  private async get(path: string): Promise<Response> {
    const res = await fetch(this.base + path, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res;
  }

  private async json(path: string): Promise<unknown> {
    return (await this.get(path)).json() as Promise<unknown>;
  }

  /** GET /log/v1/checkpoint: the signed note, as text. */
  async checkpoint(): Promise<string> {
    return (await this.get('/log/v1/checkpoint')).text();
  }

  /** GET /v1/registry: { index, entry }. */
  async registry(): Promise<{ index: number; entry: unknown }> {
    const j = await this.json('/v1/registry');
    if (!isObj(j) || !Number.isSafeInteger(j.index) || !isObj(j.entry)) throw new TypeError('unexpected registry answer');
    return { index: j.index as number, entry: j.entry };
  }

  /** Leaves [start, end), paged by at most `page` (the API's limit is 1000). */
  async entries(start: number, end: number, page = 1000): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    while (start + out.length < end) {
      const from = start + out.length;
      const to = Math.min(end, from + page);
      const j = await this.json(`/log/v1/entries?start=${from}&end=${to}`);
      if (!isObj(j) || j.start !== from || !Array.isArray(j.entries) || j.entries.length === 0 || j.entries.length > to - from) {
        throw new TypeError(`unexpected entries answer for [${from}, ${to})`);
      }
      for (const e of j.entries) {
        const b = typeof e === 'string' ? strictBase64(e) : null;
        if (!b) throw new TypeError('an entry is not base64');
        out.push(b);
      }
    }
    return out;
  }

  /** GET /log/v1/proof/inclusion?index=I&size=T */
  async inclusion(index: number, size: number): Promise<InclusionAnswer> {
    const j = await this.json(`/log/v1/proof/inclusion?index=${index}&size=${size}`);
    const leaf = isObj(j) && typeof j.leafHash === 'string' ? strictBase64(j.leafHash) : null;
    const proof = isObj(j) ? hashList(j.proof) : null;
    if (!isObj(j) || j.index !== index || j.size !== size || !leaf || leaf.length !== 32 || !proof) throw new TypeError('unexpected inclusion answer');
    return { index, size, leafHash: leaf, proof };
  }

  /** GET /log/v1/proof/inclusion?hash=H&size=T, H the base64 leaf hash; the answer names the index. */
  async inclusionByHash(hash: Uint8Array, size: number): Promise<InclusionAnswer> {
    const h = Buffer.from(hash).toString('base64');
    const j = await this.json(`/log/v1/proof/inclusion?hash=${encodeURIComponent(h)}&size=${size}`);
    const leaf = isObj(j) && typeof j.leafHash === 'string' ? strictBase64(j.leafHash) : null;
    const proof = isObj(j) ? hashList(j.proof) : null;
    if (!isObj(j) || !Number.isSafeInteger(j.index) || j.size !== size || !leaf || !equal(leaf, hash) || !proof) throw new TypeError('unexpected inclusion answer');
    return { index: j.index as number, size, leafHash: leaf, proof };
  }

  /** GET /log/v1/proof/consistency?from=A&to=B */
  async consistency(from: number, to: number): Promise<ConsistencyAnswer> {
    const j = await this.json(`/log/v1/proof/consistency?from=${from}&to=${to}`);
    const proof = isObj(j) ? hashList(j.proof) : null;
    if (!isObj(j) || j.from !== from || j.to !== to || !proof) throw new TypeError('unexpected consistency answer');
    return { from, to, proof };
  }
}
