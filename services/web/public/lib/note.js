// @ts-check
/**
 * Signed checkpoint notes (C2SP signed-note, tlog-checkpoint; docs/PROTOCOL.md §4.3),
 * parsed in the browser: the body lines, then `— name base64` signature lines.
 * Each line is matched to a registry key by name and key ID, then its BIP340
 * signature is verified (./bip340.js): the log's over H("custodes/v1/note",
 * text), a witness's over the cosignature/v1 message with its timestamp.
 */
import { schnorrVerify, cosignatureMessage, noteMessage } from './bip340.js';
import { base64ToBytes, bytesToHex, hexToBytes, utf8Encode } from './bytes.js';
import { sha256 } from './merkle.js';

const DASH = '\u2014 ';
const LOG_KEY_TYPE = 'custodes/bip340';
const COSIGNATURE_KEY_TYPE = 'custodes/bip340-cosignature';
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
 * `SHA256(name ‖ 0x0A ‖ 0xff ‖ identifier ‖ xonly)[:4]` (docs/PROTOCOL.md §4.3), hex.
 * @param {string} name @param {'log' | 'cosignature'} kind @param {string} xonlyHex
 * @returns {Promise<string>}
 */
async function noteKeyId(name, kind, xonlyHex) {
  const identifier = kind === 'log' ? LOG_KEY_TYPE : COSIGNATURE_KEY_TYPE;
  const digest = await sha256(utf8Encode(name), Uint8Array.of(0x0a, 0xff), utf8Encode(identifier), hexToBytes(xonlyHex, 'key'));
  return bytesToHex(digest.slice(0, 4));
}

/**
 * @typedef {object} SignatureRole
 * @property {NoteSignature} signature
 * @property {'log' | 'cosignature' | 'unknown'} role
 * @property {number | null} custodian  registry index of a matching custodian
 * @property {boolean} verified  the BIP340 signature verifies under that key (false for 'unknown')
 */

/** @param {NoteSignature} sig @param {string} text @param {string} keyHex */
async function verifyLogLine(sig, text, keyHex) {
  return sig.signature.length === 64 && schnorrVerify(sig.signature, await noteMessage(text), hexToBytes(keyHex, 'key'));
}

/** @param {NoteSignature} sig @param {string} text @param {string} keyHex */
async function verifyCosignatureLine(sig, text, keyHex) {
  if (sig.signature.length !== 72) return false;
  const timestamp = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0, false);
  if (timestamp > (1n << 63n) - 1n) return false; // C2SP tlog-cosignature
  return schnorrVerify(sig.signature.subarray(8), await cosignatureMessage(text, timestamp), hexToBytes(keyHex, 'key'));
}

/**
 * Classifies each signature line by the registry's keys (the log's key under
 * the origin, or a custodian's signing key under its registry name) and
 * verifies it. A line whose name and key ID do not both match a known key is
 * 'unknown' (C2SP signed-note: ignored, not an error).
 * @param {Checkpoint} checkpoint
 * @param {{ origin: string, logKey: string, custodians: { index: number, name: string, signingKey: string }[] } | null} registry
 * @returns {Promise<SignatureRole[]>}
 */
async function classifySignatures(checkpoint, registry) {
  /** @type {SignatureRole[]} */
  const out = [];
  for (const signature of checkpoint.signatures) {
    /** @type {SignatureRole} */
    let found = { signature, role: 'unknown', custodian: null, verified: false };
    if (registry) {
      if (signature.name === registry.origin && signature.keyId === (await noteKeyId(registry.origin, 'log', registry.logKey))) {
        found = { signature, role: 'log', custodian: null, verified: await verifyLogLine(signature, checkpoint.text, registry.logKey) };
      }
      for (const c of registry.custodians) {
        if (signature.name === c.name && signature.keyId === (await noteKeyId(c.name, 'cosignature', c.signingKey))) {
          found = { signature, role: 'cosignature', custodian: c.index, verified: await verifyCosignatureLine(signature, checkpoint.text, c.signingKey) };
        }
      }
    }
    out.push(found);
  }
  return out;
}

export { classifySignatures, noteKeyId, parseCheckpointNote };
