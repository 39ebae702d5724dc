/**
 * Signed notes per C2SP signed-note, with the two signature types of
 * docs/PROTOCOL.md §4.3: the log's Ed25519 signature (type 0x01) and
 * witnesses' Ed25519 cosignatures (C2SP tlog-cosignature `cosignature/v1`,
 * type 0x04). Go's golang.org/x/mod/sumdb/note opens the log's signature.
 *
 *   key ID = SHA256(name ‖ 0x0A ‖ type ‖ 32-byte Ed25519 public key)[:4]
 *   log:    Ed25519 over the note text
 *   cosig:  u64(ts) ‖ Ed25519 over "cosignature/v1\ntime <ts>\n" ‖ note text
 */
import { abytes, astring, auint, base64ToBytes, bytesToBase64, bytesToHex, concatBytes, equalBytes, u64, utf8 } from '../crypto/bytes';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../crypto/ed25519';
import { sha256 } from '../crypto/hash';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import { LogError } from './errors';
import { hasControlCharacters, isWellFormedUnicode } from './text';

// ## Parameters

/** C2SP signed-note: signature type 0x01 is Ed25519 over the note text (the log's key). */
const LOG_SIGNATURE_TYPE = 0x01;
/** C2SP signed-note / tlog-cosignature: type 0x04 is an Ed25519 `cosignature/v1` (a witness's key). */
const COSIGNATURE_TYPE = 0x04;

/** Input cap: 300 cosignatures of ~150 bytes fit (docs/PROTOCOL.md §3.1: n ≤ 255). */
const MAX_NOTE_BYTES = 64 * 1024;
/** C2SP signed-note: verifiers must accept at least 16 signatures. */
const MAX_SIGNATURES = 300;

const KEY_ID_SIZE = 4;
const ED25519_SIZE = 64;
const TIMESTAMP_SIZE = 8;
/** C2SP tlog-cosignature: a timestamp must not exceed 2^63 − 1. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

const DASH = '\u2014 ';

// ## Types

/** One signature line: `— <name> base64(keyId ‖ signature)`. */
interface NoteSignature {
  readonly name: string;
  /** 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** The bytes after the key ID (their layout depends on the signature type). */
  readonly signature: Uint8Array;
}

interface SignedNote {
  /** The note text, ending in a newline, without the separating blank line. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A trusted key: the name it signs under and its 32-byte Ed25519 public key. */
interface NoteKey {
  readonly name: string;
  readonly publicKey: Uint8Array;
}

// ## Key names and IDs

/** C2SP signed-note: non-empty, no Unicode spaces, no `+`, and no control characters. */
function isValidKeyName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !/[\s+]/u.test(name) &&
    !hasControlCharacters(name) &&
    isWellFormedUnicode(name)
  );
}

function assertKeyName(name: unknown, argument: string): string {
  astring(name, argument);
  if (!isValidKeyName(name)) throw new RangeError(`${argument} must be a non-empty key name without spaces or '+'`);
  return name;
}

function assertSignatureType(type: unknown): number {
  if (type !== LOG_SIGNATURE_TYPE && type !== COSIGNATURE_TYPE) throw new RangeError('type must be 0x01 (log) or 0x04 (cosignature)');
  return type;
}

/** `SHA256(name ‖ 0x0A ‖ type ‖ publicKey)[:4]` (docs/PROTOCOL.md §4.3, C2SP signed-note, tlog-cosignature). */
function noteKeyId(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  assertKeyName(name, 'name');
  assertSignatureType(type);
  abytes(publicKey, 32, 'publicKey');
  return sha256(utf8(name), Uint8Array.of(0x0a, type), publicKey).slice(0, KEY_ID_SIZE);
}

/**
 * The C2SP signed-note verifier key `<name>+<hex key ID>+base64(type ‖ publicKey)`,
 * the form Go's `note.NewVerifier` reads (type 0x01) and witness lists publish (0x04).
 */
function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const keyId = noteKeyId(name, type, publicKey);
  return `${name}+${bytesToHex(keyId)}+${bytesToBase64(concatBytes(Uint8Array.of(type), publicKey))}`;
}

// ## Format and parse

function formatSignatureLine(sig: NoteSignature): string {
  assertKeyName(sig.name, 'name');
  abytes(sig.keyId, KEY_ID_SIZE, 'keyId');
  abytes(sig.signature, undefined, 'signature');
  if (sig.signature.length === 0) throw new RangeError('signature must not be empty');
  return `${DASH}${sig.name} ${bytesToBase64(concatBytes(sig.keyId, sig.signature))}\n`;
}

function formatSignedNote(note: SignedNote): string {
  astring(note.text, 'text');
  if (!note.text.endsWith('\n')) throw new RangeError('text must end with a newline');
  if (note.signatures.length === 0) throw new RangeError('a signed note needs at least one signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

function fail(message: string): never {
  throw new LogError('BAD_NOTE', message);
}

function decodeNote(input: string | Uint8Array): string {
  if (typeof input === 'string') {
    if (!isWellFormedUnicode(input)) fail('note must be valid Unicode');
    return input;
  }
  abytes(input, undefined, 'note');
  if (input.length > MAX_NOTE_BYTES) fail('note is too large');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    fail('note must be valid UTF-8');
  }
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(DASH)) fail('signature lines must start with an em dash and a space');
  const rest = line.slice(DASH.length);
  const space = rest.indexOf(' ');
  if (space < 0) fail('signature line must be "— <name> <base64>"');
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  if (!isValidKeyName(name)) fail('key name must be non-empty without spaces or "+"');
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(b64, 'signature');
  } catch {
    fail('signature must be canonical base64');
  }
  if (bytes.length <= KEY_ID_SIZE) fail('signature must hold a key ID and signature bytes');
  return { name, keyId: bytes.slice(0, KEY_ID_SIZE), signature: bytes.slice(KEY_ID_SIZE) };
}

/**
 * Parses a signed note (attacker-controlled) per C2SP signed-note §Format:
 * valid UTF-8 without control characters other than newline; the text ends in
 * a newline; the last blank line separates it from one or more well-formed
 * signature lines. Signatures are not verified here, and lines from unknown
 * keys are kept so that verifiers can ignore them.
 */
function parseSignedNote(input: string | Uint8Array): SignedNote {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TypeError('note must be a string or a Uint8Array');
  }
  const note = decodeNote(input);
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) fail('note is too large');
  if (hasControlCharacters(note)) fail('note must not contain control characters other than newline');
  if (!note.endsWith('\n')) fail('note must end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('note must separate text and signatures with a blank line');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0) fail('note must carry at least one signature');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) fail(`note must carry at most ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

// ## Signing

function cosignatureMessage(text: string, timestamp: bigint): Uint8Array {
  // C2SP tlog-cosignature §Ed25519 signed message: two header lines, then the whole note text.
  return utf8(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

/**
 * The signed note of a checkpoint with the log's Ed25519 signature (type
 * 0x01) under the key name = origin (docs/PROTOCOL.md §4.3). `secretKey` is
 * the 32-byte Ed25519 seed; the signature is deterministic (RFC 8032).
 */
function signCheckpoint(checkpoint: Checkpoint, secretKey: Uint8Array): string {
  const text = formatCheckpoint(checkpoint);
  const name = assertKeyName(checkpoint.origin, 'origin');
  abytes(secretKey, 32, 'secretKey');
  const keyId = noteKeyId(name, LOG_SIGNATURE_TYPE, ed25519PublicKey(secretKey));
  const signature = ed25519Sign(utf8(text), secretKey);
  return formatSignedNote({ text, signatures: [{ name, keyId, signature }] });
}

interface CosignOptions {
  /** The witness's key name (its `name` in the registry). */
  readonly name: string;
  /** The witness's 32-byte Ed25519 seed. */
  readonly secretKey: Uint8Array;
  /** POSIX seconds, in [0, 2^53 − 1]. */
  readonly timestamp: number;
}

/** A witness's `cosignature/v1` line over a checkpoint (docs/PROTOCOL.md §4.3, C2SP tlog-cosignature). */
function cosignCheckpoint(checkpoint: Checkpoint, options: CosignOptions): string {
  const text = formatCheckpoint(checkpoint);
  const name = assertKeyName(options.name, 'name');
  abytes(options.secretKey, 32, 'secretKey');
  const timestamp = auint(options.timestamp, Number.MAX_SAFE_INTEGER, 'timestamp');
  const keyId = noteKeyId(name, COSIGNATURE_TYPE, ed25519PublicKey(options.secretKey));
  const sig = ed25519Sign(cosignatureMessage(text, BigInt(timestamp)), options.secretKey);
  return formatSignatureLine({ name, keyId, signature: concatBytes(u64(timestamp), sig) });
}

// ## Verification

function checkNoteKey(key: NoteKey): void {
  if (typeof key !== 'object' || key === null) throw new TypeError('key must be an object');
  astring(key.name, 'key.name');
  abytes(key.publicKey, 32, 'key.publicKey');
}

/**
 * Signatures from `key` under its name and key ID for signature `type`. Per C2SP
 * signed-note, a line that matches the name or the ID but not both is ignored.
 */
function matching(note: SignedNote, key: NoteKey, type: number): NoteSignature[] {
  if (!isValidKeyName(key.name)) return [];
  const keyId = noteKeyId(key.name, type, key.publicKey);
  return note.signatures.filter((s) => s.name === key.name && equalBytes(s.keyId, keyId));
}

function checkSignedNote(note: SignedNote): void {
  if (typeof note !== 'object' || note === null) throw new TypeError('note must be a parsed SignedNote');
  astring(note.text, 'note.text');
  if (!Array.isArray(note.signatures)) throw new TypeError('note.signatures must be an array');
}

/**
 * True iff the note carries the log's signature from `key` and every line
 * under that key verifies (C2SP signed-note §Signatures: a failing signature
 * from a known key rejects the note).
 */
function verifyLogSignature(note: SignedNote, key: NoteKey): boolean {
  checkSignedNote(note);
  checkNoteKey(key);
  const found = matching(note, key, LOG_SIGNATURE_TYPE);
  if (found.length === 0) return false;
  const message = utf8(note.text);
  return found.every((s) => ed25519Verify(s.signature, message, key.publicKey));
}

/** The timestamp of a cosignature, or null if its bytes are not `u64(ts) ‖ Ed25519 sig` with ts ≤ 2^63 − 1. */
function cosignatureTimestamp(sig: NoteSignature): bigint | null {
  if (sig.signature.length !== TIMESTAMP_SIZE + ED25519_SIZE) return null;
  const view = new DataView(sig.signature.buffer, sig.signature.byteOffset, TIMESTAMP_SIZE);
  const timestamp = view.getBigUint64(0, false);
  return timestamp > MAX_TIMESTAMP ? null : timestamp;
}

/** True iff the note carries a cosignature from `key` and every line under that key verifies. */
function verifyCosignature(note: SignedNote, key: NoteKey): boolean {
  checkSignedNote(note);
  checkNoteKey(key);
  const found = matching(note, key, COSIGNATURE_TYPE);
  if (found.length === 0) return false;
  return found.every((s) => {
    const timestamp = cosignatureTimestamp(s);
    if (timestamp === null) return false;
    const sig = s.signature.subarray(TIMESTAMP_SIZE);
    return ed25519Verify(sig, cosignatureMessage(note.text, timestamp), key.publicKey);
  });
}

/** Names of the witnesses in `keys` whose cosignature on the note verifies. */
function verifiedCosigners(note: SignedNote, keys: readonly NoteKey[]): string[] {
  if (!Array.isArray(keys)) throw new TypeError('keys must be an array');
  return keys.filter((key) => verifyCosignature(note, key)).map((key) => key.name);
}

/**
 * Parses a signed checkpoint note (attacker-controlled) and checks the log's
 * signature under `logKey`, whose name must be the origin. Null if the note
 * or checkpoint is malformed, names another origin, or the signature fails.
 */
function openCheckpoint(
  input: string | Uint8Array,
  logKey: NoteKey,
): { checkpoint: Checkpoint; note: SignedNote } | null {
  checkNoteKey(logKey);
  let note: SignedNote;
  let checkpoint: Checkpoint;
  try {
    note = parseSignedNote(input);
    checkpoint = parseCheckpoint(note.text);
  } catch (error) {
    if (error instanceof LogError) return null;
    throw error;
  }
  if (checkpoint.origin !== logKey.name) return null;
  return verifyLogSignature(note, logKey) ? { checkpoint, note } : null;
}

export {
  COSIGNATURE_TYPE,
  LOG_SIGNATURE_TYPE,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  type CosignOptions,
  type NoteKey,
  type NoteSignature,
  type SignedNote,
  cosignCheckpoint,
  cosignatureTimestamp,
  formatSignatureLine,
  formatSignedNote,
  formatVerifierKey,
  isValidKeyName,
  noteKeyId,
  openCheckpoint,
  parseSignedNote,
  signCheckpoint,
  verifiedCosigners,
  verifyCosignature,
  verifyLogSignature,
};
