/**
 * An independent implementation of docs/PROTOCOL.md §3 (and the §4.1 warrant
 * commitment), written from the design text alone to cross-check the project's
 * library. It imports nothing from shared/src: points come from
 * @noble/secp256k1 directly, hashes from node:crypto, JCS from `canonicalize`.
 *
 * Small and readable over fast or hardened: it validates only what the spec
 * says a verifier must reject. Tests only; never use it for real keys.
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import canonicalize from 'canonicalize';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

// noble's synchronous API needs its hash functions wired in (its README).
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key, msg) => hmac(nobleSha256, key, msg);

type Point = secp.Point;
const { Point } = secp;
const G = Point.BASE;
/** Curve order n. */
export const N: bigint = Point.CURVE().n;

// ## §3 Encodings: points ser33, x-only 32 bytes, scalars 32 bytes big-endian; hex/base64 in JSON

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const mod = (a: bigint): bigint => ((a % N) + N) % N;

/** `u32(e)`: 4 bytes big-endian. */
export function u32(e: number): Uint8Array {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(e);
  return new Uint8Array(out);
}

export const ser32 = (k: bigint): Uint8Array => unhex(k.toString(16).padStart(64, '0'));
export const int = (b: Uint8Array): bigint => BigInt('0x' + (hex(b) || '0'));
export const ser33 = (P: Point): Uint8Array => P.toBytes(true);
export const xonly = (P: Point): Uint8Array => ser33(P).slice(1);
/** BIP340 lift_x: the even-y point with this x. */
export const liftX = (x: Uint8Array): Point => Point.fromBytes(cat(Uint8Array.of(2), x));

/** a⁻¹ mod n by Fermat (n is prime). */
function inv(a: bigint): bigint {
  let result = 1n;
  let base = mod(a);
  for (let e = N - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % N;
    base = (base * base) % N;
  }
  return result;
}

/** Uniform in [1, n−1]. */
function randomScalar(): bigint {
  for (;;) {
    const k = int(randomBytes(32));
    if (k > 0n && k < N) return k;
  }
}

/** k·P for k ∈ [0, n), with 0 giving the point at infinity. */
const mul = (P: Point, k: bigint): Point => (k === 0n ? Point.ZERO : P.multiply(k));

// ## §3 Hashes

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** `H(tag, m) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m)` (BIP340 tagged hash). */
export function H(tag: string, ...m: Uint8Array[]): Uint8Array {
  const t = sha256(utf8(tag));
  return sha256(t, t, ...m);
}

/** `Hs(tag, m) = int(H(tag, m)) mod n`, rejecting 0. */
export function Hs(tag: string, ...m: Uint8Array[]): bigint {
  const s = int(H(tag, ...m)) % N;
  if (s === 0n) throw new Error('Hs gave 0');
  return s;
}

/** RFC 8785 canonical JSON bytes. */
export function jcs(value: unknown): Uint8Array {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('no JSON form');
  return utf8(text);
}

// ## §3.1 Key shares (dealer ceremony)

export interface PublicFile {
  format: 'custodes.public.v1';
  epoch: number;
  threshold: number;
  total: number;
  groupKey: string;
  commitments: string[];
  verificationShares: Record<string, string>;
}

export interface ShareFile {
  format: 'custodes.share.v1';
  epoch: number;
  index: number;
  threshold: number;
  total: number;
  share: string;
  groupKey: string;
  commitments: string[];
}

/** X_i = Σ_k i^k·C_k. */
export function verificationShareOf(commitments: readonly Point[], i: number): Point {
  let X = Point.ZERO;
  let power = 1n;
  for (const C of commitments) {
    X = X.add(mul(C, power));
    power = mod(power * BigInt(i));
  }
  return X;
}

/**
 * Deals t-of-n shares for epoch e: a_0 … a_{t−1} in [1, n−1] (given, or drawn),
 * x_i = f(i) = Σ a_k·i^k mod n, C_k = a_k·G, Y = C_0.
 */
export function ceremony(t: number, n: number, epoch: number, coefficients?: readonly bigint[]): { public: PublicFile; shares: ShareFile[] } {
  if (!(n <= 255 && n / 2 < t && t <= n)) throw new Error('need n ≤ 255 and n/2 < t ≤ n');
  const a = coefficients ? [...coefficients] : Array.from({ length: t }, randomScalar);
  if (a.length !== t) throw new Error('need t coefficients');
  const C = a.map((ak) => G.multiply(ak));
  const f = (i: number) => a.reduce((acc, ak, k) => mod(acc + ak * BigInt(i) ** BigInt(k)), 0n);
  const commitments = C.map((P) => hex(ser33(P)));
  const verificationShares: Record<string, string> = {};
  for (let i = 1; i <= n; i++) verificationShares[String(i)] = hex(ser33(verificationShareOf(C, i)));
  const common = { epoch, threshold: t, total: n };
  return {
    public: { format: 'custodes.public.v1', ...common, groupKey: commitments[0]!, commitments, verificationShares },
    shares: Array.from({ length: n }, (_, k) => ({
      format: 'custodes.share.v1' as const,
      index: k + 1,
      ...common,
      share: hex(ser32(f(k + 1))),
      groupKey: commitments[0]!,
      commitments,
    })),
  };
}

/** A custodian's view of its share file; rejects a share with x_i·G ≠ X_i. */
export function readShare(file: ShareFile): { index: number; x: bigint } {
  const x = int(unhex(file.share));
  const C = file.commitments.map((c) => Point.fromHex(c));
  if (x <= 0n || x >= N || !G.multiply(x).equals(verificationShareOf(C, file.index))) throw new Error('share does not match commitments');
  return { index: file.index, x };
}

/** The public key set: Y and X_i by index. */
export function readPublic(file: PublicFile): { epoch: number; threshold: number; Y: Point; X: Map<number, Point> } {
  const X = new Map<number, Point>();
  for (const [i, h] of Object.entries(file.verificationShares)) X.set(Number(i), Point.fromHex(h));
  return { epoch: file.epoch, threshold: file.threshold, Y: Point.fromHex(file.groupKey), X };
}

// ## §3.2 Envelope

export interface Label {
  subject: string;
  category: string;
  time: number;
}

export interface Envelope {
  format: 'custodes.envelope.v1';
  epoch: number;
  label: Label;
  R: string;
  nonce: string;
  ciphertext: string;
  proof: string;
}

/** ℓ = H("custodes/v1/label", JCS(label)); the label has exactly subject, category, time. */
export function labelHash(label: Label): Uint8Array {
  const keys = Object.keys(label).sort().join(',');
  if (keys !== 'category,subject,time') throw new Error('label must have exactly subject, category, time');
  if (label.subject.length < 1 || label.subject.length > 256) throw new Error('subject 1–256 chars');
  if (!/^[a-z0-9-]{1,64}$/.test(label.category)) throw new Error('category [a-z0-9-]{1,64}');
  if (!Number.isInteger(label.time)) throw new Error('time integer');
  return H('custodes/v1/label', jcs(label));
}

/** k = HKDF-SHA256(ikm = ser33(Z), salt = Rx, info = "custodes/v1/envelope-key" ‖ u32(e) ‖ ℓ, L = 32). */
export function deriveKey(Z: Point, Rx: Uint8Array, epoch: number, l: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ser33(Z), Rx, cat(utf8('custodes/v1/envelope-key'), u32(epoch), l), 32));
}

/** μ = H("custodes/v1/bind", Rx ‖ u32(e) ‖ ℓ ‖ SHA256(nonce ‖ c)). */
export function bindingMessage(Rx: Uint8Array, epoch: number, l: Uint8Array, nonce: Uint8Array, c: Uint8Array): Uint8Array {
  return H('custodes/v1/bind', Rx, u32(epoch), l, sha256(nonce, c));
}

export interface SealRandomness {
  r?: bigint;
  nonce?: Uint8Array;
  aux?: Uint8Array;
}

/** Seals m to group key Y of epoch e under `label` (§3.2 steps 1–6). */
export function seal(m: Uint8Array, Y: Point, epoch: number, label: Label, rnd: SealRandomness = {}): Envelope {
  // 1. r uniform in [1, n−1]; R = r·G; if R has odd y, r = n − r.
  let r = rnd.r ?? randomScalar();
  if (G.multiply(r).toAffine().y % 2n === 1n) r = N - r;
  const Rx = xonly(G.multiply(r));
  const l = labelHash(label);
  // 2. Z = r·Y.  3. k = HKDF(...).
  const k = deriveKey(Y.multiply(r), Rx, epoch, l);
  // 4. nonce 12 random bytes; c = AES-256-GCM(k, nonce, m, aad = Rx ‖ u32(e) ‖ ℓ) with the tag appended.
  const nonce = rnd.nonce ?? new Uint8Array(randomBytes(12));
  const cipher = createCipheriv('aes-256-gcm', k, nonce);
  cipher.setAAD(cat(Rx, u32(epoch), l));
  const c = cat(cipher.update(m), cipher.final(), cipher.getAuthTag());
  // 5. μ.  6. proof = BIP340.sign(msg = μ, secret = r).
  const mu = bindingMessage(Rx, epoch, l, nonce, c);
  const proof = secp.schnorr.sign(mu, ser32(r), rnd.aux ?? randomBytes(32));
  return { format: 'custodes.envelope.v1', epoch, label: { ...label }, R: hex(Rx), nonce: b64(nonce), ciphertext: b64(c), proof: hex(proof) };
}

/** An envelope's decoded values: R = lift_x(Rx), ℓ, μ and the id hex(μ). */
export interface Opened {
  epoch: number;
  Rx: Uint8Array;
  R: Point;
  l: Uint8Array;
  nonce: Uint8Array;
  c: Uint8Array;
  proof: Uint8Array;
  mu: Uint8Array;
  id: string;
}

export function decodeEnvelope(e: Envelope): Opened {
  const Rx = unhex(e.R);
  const l = labelHash(e.label);
  const nonce = unb64(e.nonce);
  const c = unb64(e.ciphertext);
  const mu = bindingMessage(Rx, e.epoch, l, nonce, c);
  return { epoch: e.epoch, Rx, R: liftX(Rx), l, nonce, c, proof: unhex(e.proof), mu, id: hex(mu) };
}

/** The binding proof: BIP340.verify(proof, μ, Rx). */
export const verifyBinding = (o: Opened): boolean => secp.schnorr.verify(o.proof, o.mu, o.Rx);

/** Opens with Z (k from §3.2 step 3, AES-GCM with the same AAD); null if the tag fails. */
export function openWithZ(o: Opened, Z: Point): { key: Uint8Array; plaintext: Uint8Array } | null {
  if (Z.is0()) return null;
  const key = deriveKey(Z, o.Rx, o.epoch, o.l);
  const decipher = createDecipheriv('aes-256-gcm', key, o.nonce);
  decipher.setAAD(cat(o.Rx, u32(o.epoch), o.l));
  decipher.setAuthTag(o.c.subarray(o.c.length - 16));
  const body = decipher.update(o.c.subarray(0, o.c.length - 16));
  try {
    return { key, plaintext: cat(body, decipher.final()) };
  } catch {
    return null;
  }
}

// ## §3.3 Partial decryption with DLEQ proof

export interface Partial {
  index: number;
  D: string;
  c: string;
  z: string;
}

/** c = Hs("custodes/v1/dleq", ser33(X_i) ‖ Rx ‖ ser33(D_i) ‖ ser33(A) ‖ ser33(B) ‖ μ). */
const dleqChallenge = (X: Point, o: Opened, D: Point, A: Point, B: Point): bigint =>
  Hs('custodes/v1/dleq', ser33(X), o.Rx, ser33(D), ser33(A), ser33(B), o.mu);

/** D_i = x_i·R; A = w·G, B = w·R; z = w + c·x_i mod n. */
export function partial(share: { index: number; x: bigint }, o: Opened, w: bigint = randomScalar()): Partial {
  const X = G.multiply(share.x);
  const D = o.R.multiply(share.x);
  const c = dleqChallenge(X, o, D, G.multiply(w), o.R.multiply(w));
  const z = mod(w + c * share.x);
  return { index: share.index, D: hex(ser33(D)), c: hex(ser32(c)), z: hex(ser32(z)) };
}

/**
 * Reject unless D_i is a valid point other than infinity and 0 ≤ c, z < n;
 * A' = z·G − c·X_i, B' = z·R − c·D_i (reject if either is infinity); accept iff c recomputes.
 */
export function verifyPartial(p: Partial, X: Point, o: Opened): boolean {
  let D: Point;
  try {
    if (!/^0[23][0-9a-f]{64}$/.test(p.D) || !/^[0-9a-f]{64}$/.test(p.c) || !/^[0-9a-f]{64}$/.test(p.z)) return false;
    D = Point.fromHex(p.D);
  } catch {
    return false; // not on the curve
  }
  const c = int(unhex(p.c));
  const z = int(unhex(p.z));
  if (D.is0() || c >= N || z >= N) return false;
  const A = mul(G, z).subtract(mul(X, c));
  const B = mul(o.R, z).subtract(mul(D, c));
  if (A.is0() || B.is0()) return false;
  return dleqChallenge(X, o, D, A, B) === c;
}

// ## §3.4 Combination

/** λ_i = Π_{j∈S, j≠i} j·(j − i)⁻¹ mod n. */
export function lagrange(S: readonly number[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const i of S) {
    let l = 1n;
    for (const j of S) if (j !== i) l = mod(l * BigInt(j) * inv(BigInt(j - i)));
    out.set(i, l);
  }
  return out;
}

/** Z = Σ λ_i·D_i over the partials given (no proof checks). */
export function combine(partials: readonly Partial[]): Point {
  const l = lagrange(partials.map((p) => p.index));
  return partials.reduce((Z, p) => Z.add(mul(Point.fromHex(p.D), l.get(p.index)!)), Point.ZERO);
}

/**
 * Fast path: combine t partials and try the AEAD; only if the tag fails, verify
 * every DLEQ proof, drop and blame bad partials, and retry with t others.
 */
export function combineAndOpen(o: Opened, partials: readonly Partial[], t: number, X: ReadonlyMap<number, Point>): { plaintext: Uint8Array; key: Uint8Array; blamed: number[] } {
  if (new Set(partials.map((p) => p.index)).size !== partials.length) throw new Error('duplicate index');
  let fast: ReturnType<typeof openWithZ> = null;
  try {
    fast = partials.length >= t ? openWithZ(o, combine(partials.slice(0, t))) : null;
  } catch {
    fast = null; // a malformed D: fall through to the proof checks
  }
  if (fast) return { ...fast, blamed: [] };
  const good = partials.filter((p) => X.has(p.index) && verifyPartial(p, X.get(p.index)!, o));
  const blamed = partials.filter((p) => !good.includes(p)).map((p) => p.index);
  if (good.length < t) throw new Error(`not enough valid partials; blamed ${blamed.join(', ')}`);
  const opened = openWithZ(o, combine(good.slice(0, t)));
  if (!opened) throw new Error('valid partials do not open the envelope');
  return { ...opened, blamed };
}

// ## §3.5 Signed records, §4.1 warrant commitment

const isSignatureField = (k: string) => k === 'signature' || k === 'signatures' || k.endsWith('Signature');

/** H("custodes/v1/" + kind, JCS(record without its signature fields)). */
export function recordDigest(record: Record<string, unknown>, kind: string): Uint8Array {
  const body = Object.fromEntries(Object.entries(record).filter(([k]) => !isSignatureField(k)));
  return H(`custodes/v1/${kind}`, jcs(body));
}

export const signRecord = (record: Record<string, unknown>, kind: string, secretKey: Uint8Array, aux: Uint8Array): string =>
  hex(secp.schnorr.sign(recordDigest(record, kind), secretKey, aux));

/** commitment = H("custodes/v1/warrant-commit", salt32 ‖ JCS(warrant)). */
export const warrantCommitment = (warrant: Record<string, unknown>, salt: Uint8Array): string => hex(H('custodes/v1/warrant-commit', salt, jcs(warrant)));

// ## Results sealed to the investigator (docs/PROTOCOL.md §3.7)

/** `ctx = H("custodes/v1/result", utf8(requestId) ‖ 0x00 ‖ utf8(envelopeId))`. */
export const resultContext = (requestId: string, envelopeId: string): Uint8Array =>
  H('custodes/v1/result', cat(utf8(requestId), Uint8Array.of(0), utf8(envelopeId)));

/**
 * Opens `{ E, nonce, ciphertext }` with the investigator's secret key d: use d or
 * n − d so that d·G has even y (the x-only key), Z = d·lift_x(E),
 * k = HKDF-SHA256(ser33(Z), salt = E, info = "custodes/v1/result-key" ‖ ctx), AES-256-GCM with aad = ctx.
 * Null if it does not open.
 */
export function openSealedResult(sealed: { E: string; nonce: string; ciphertext: string }, secretKey: Uint8Array, ctx: Uint8Array): Uint8Array | null {
  let d = BigInt('0x' + hex(secretKey));
  if (G.multiply(d).toAffine().y % 2n === 1n) d = N - d;
  let E: Point;
  try {
    E = liftX(unhex(sealed.E));
  } catch {
    return null;
  }
  const Z = E.multiply(d);
  const key = new Uint8Array(hkdfSync('sha256', Z.toBytes(true), unhex(sealed.E), cat(utf8('custodes/v1/result-key'), ctx), 32));
  const c = unb64(sealed.ciphertext);
  if (c.length < 16) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, unb64(sealed.nonce));
  decipher.setAAD(ctx);
  decipher.setAuthTag(c.subarray(c.length - 16));
  const body = decipher.update(c.subarray(0, c.length - 16));
  try {
    return cat(body, decipher.final());
  } catch {
    return null;
  }
}

export { hex, unhex, b64, unb64, utf8, G, Point };
