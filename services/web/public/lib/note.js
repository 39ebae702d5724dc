// @ts-check
/**
 * Signed checkpoint notes (C2SP signed-note, tlog-checkpoint; docs/PROTOCOL.md §4.3),
 * parsed in the browser: the body lines, then `— name base64` signature lines.
 * Each line is matched to a registry key by name and key ID, then its Ed25519
 * signature is verified with WebCrypto: the log's (type 0x01) over the note
 * text, a witness's (type 0x04, C2SP tlog-cosignature) over the
 * `cosignature/v1` message with its timestamp.
 */
import { base64ToBytes, bytesToHex, concatBytes, hexToBytes, utf8Encode } from './bytes.js';
import { sha256 } from './merkle.js';

const DASH = '\u2014 ';
/** C2SP signed-note signature types: 0x01 Ed25519 (the log), 0x04 Ed25519 cosignature/v1 (a witness). */
const LOG_SIGNATURE_TYPE = 0x01;
const COSIGNATURE_TYPE = 0x04;
const MAX_NOTE_LENGTH = 64 * 1024;
const SIZE_RE = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * @typedef {object} NoteSignature
 * @property {string} name
 * @property {string} keyId  4 bytes, hex
 * @property {Uint8Array} signature  the bytes after the key ID
 * @property {number | null} timestamp  for a 72-byte cosignature `u64(ts) ‖ sig`, its time; else null
 */

/**
 * @typedef {object} Checkpoint
 * @property {string} origin
 * @property {number} size
 * @property {Uint8Array} root
 * @property {string} text  the body, ending in a newline
 * @property {NoteSignature[]} signatures
 */

/** @param {string} message @returns {never} */
function fail(message) {
  throw new RangeError(message);
}

/** @param {string} line @returns {NoteSignature} */
function parseSignatureLine(line) {
  if (!line.startsWith(DASH)) fail('signature lines must start with an em dash and a space');
  const rest = line.slice(DASH.length);
  const space = rest.indexOf(' ');
  if (space <= 0) fail('a signature line must be "— <name> <base64>"');
  const name = rest.slice(0, space);
  if (/[\s+]/u.test(name)) fail('a key name must not contain spaces or "+"');
  const bytes = base64ToBytes(rest.slice(space + 1), 'signature');
  if (bytes.length <= 4) fail('a signature must hold a key ID and signature bytes');
  const signature = bytes.slice(4);
  let timestamp = null;
  if (signature.length === 72) {
    const ts = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0, false);
    if (ts <= BigInt(Number.MAX_SAFE_INTEGER)) timestamp = Number(ts);
  }
  return { name, keyId: bytesToHex(bytes.slice(0, 4)), signature, timestamp };
}

/**
 * Parses a signed checkpoint note (attacker-controlled): a three-line body
 * `<origin>\n<size>\n<base64 root>\n`, a blank line, one or more signature lines.
 * @param {string} note
 * @returns {Checkpoint}
 */
function parseCheckpointNote(note) {
  if (typeof note !== 'string') throw new TypeError('note must be a string');
  if (note.length > MAX_NOTE_LENGTH) fail('the note is too large');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) fail('the note must not contain control characters');
  if (!note.endsWith('\n')) fail('the note must end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('the note must separate body and signatures with a blank line');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2, -1);
  if (block.length === 0) fail('the note carries no signature');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 3) fail('the checkpoint body must be exactly origin, size and root');
  const [origin = '', sizeText = '', rootText = ''] = lines;
  if (origin.length === 0) fail('the origin is empty');
  if (!SIZE_RE.test(sizeText)) fail('the size must be a canonical decimal');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) fail('the size is too large');
  const root = base64ToBytes(rootText, 'root');
  if (root.length !== 32) fail('the root must be 32 bytes');
  return { origin, size, root, text, signatures: block.split('\n').map(parseSignatureLine) };
}

/**
 * `SHA256(name ‖ 0x0A ‖ type ‖ 32-byte Ed25519 key)[:4]` (docs/PROTOCOL.md §4.3), hex.
 * @param {string} name @param {'log' | 'cosignature'} kind @param {string} keyHex
 * @returns {Promise<string>}
 */
async function noteKeyId(name, kind, keyHex) {
  const type = kind === 'log' ? LOG_SIGNATURE_TYPE : COSIGNATURE_TYPE;
  const digest = await sha256(utf8Encode(name), Uint8Array.of(0x0a, type), hexToBytes(keyHex, 'key'));
  return bytesToHex(digest.slice(0, 4));
}

/**
 * RFC 8032 Ed25519 verification by WebCrypto (Chromium, Firefox, Safari and
 * Node ship it); false for a malformed signature or a key that is not a point.
 * @param {Uint8Array} signature @param {Uint8Array} message @param {string} keyHex
 */
async function ed25519Verify(signature, message, keyHex) {
  if (signature.length !== 64) return false;
  let key;
  try {
    // Copies: WebCrypto's BufferSource wants an ArrayBuffer-backed view.
    key = await crypto.subtle.importKey('raw', new Uint8Array(hexToBytes(keyHex, 'key')), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return false; // not a 32-byte encoding of a curve point
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, new Uint8Array(signature), new Uint8Array(message));
}

/**
 * @typedef {object} SignatureRole
 * @property {NoteSignature} signature
 * @property {'log' | 'cosignature' | 'external' | 'unknown'} role
 * @property {number | null} custodian  registry index of a matching custodian
 * @property {boolean} verified  the Ed25519 signature verifies under that key (false for 'unknown')
 */

/** @param {NoteSignature} sig @param {string} text @param {string} keyHex */
async function verifyLogLine(sig, text, keyHex) {
  return ed25519Verify(sig.signature, utf8Encode(text), keyHex);
}

/** @param {NoteSignature} sig @param {string} text @param {string} keyHex */
async function verifyCosignatureLine(sig, text, keyHex) {
  if (sig.signature.length !== 72) return false;
  const timestamp = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0, false);
  if (timestamp > (1n << 63n) - 1n) return false; // C2SP tlog-cosignature
  // C2SP tlog-cosignature §Ed25519 signed message: two header lines, then the note text.
  const message = concatBytes(utf8Encode(`cosignature/v1\ntime ${timestamp}\n`), utf8Encode(text));
  return ed25519Verify(sig.signature.subarray(8), message, keyHex);
}

/**
 * Classifies each signature line by the registry's Ed25519 keys (the log's
 * note key under the origin, a custodian's witness key under its registry
 * name, or an external witness's key under its name) and verifies it. A line
 * whose name and key ID do not both match a known key is 'unknown' (C2SP
 * signed-note: ignored, not an error).
 * @param {Checkpoint} checkpoint
 * @param {{ origin: string, logNoteKey: string, custodians: { index: number, name: string, witnessKey: string }[], witnesses?: { name: string, key: string }[] } | null} registry
 * @returns {Promise<SignatureRole[]>}
 */
async function classifySignatures(checkpoint, registry) {
  /** @type {SignatureRole[]} */
  const out = [];
  for (const signature of checkpoint.signatures) {
    /** @type {SignatureRole} */
    let found = { signature, role: 'unknown', custodian: null, verified: false };
    if (registry) {
      if (signature.name === registry.origin && signature.keyId === (await noteKeyId(registry.origin, 'log', registry.logNoteKey))) {
        found = { signature, role: 'log', custodian: null, verified: await verifyLogLine(signature, checkpoint.text, registry.logNoteKey) };
      }
      for (const c of registry.custodians) {
        if (signature.name === c.name && signature.keyId === (await noteKeyId(c.name, 'cosignature', c.witnessKey))) {
          found = { signature, role: 'cosignature', custodian: c.index, verified: await verifyCosignatureLine(signature, checkpoint.text, c.witnessKey) };
        }
      }
      for (const w of registry.witnesses ?? []) {
        if (signature.name === w.name && signature.keyId === (await noteKeyId(w.name, 'cosignature', w.key))) {
          found = { signature, role: 'external', custodian: null, verified: await verifyCosignatureLine(signature, checkpoint.text, w.key) };
        }
      }
    }
    out.push(found);
  }
  return out;
}

export { classifySignatures, noteKeyId, parseCheckpointNote };
