/**
 * Signed notes and checkpoints: the conformance `signedNote` reproduced byte
 * for byte (docs/PROTOCOL.md §4.3), bit flips rejected, strict parsing of junk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex, hexToBytes, utf8 } from '../../shared/src/crypto/bytes';
import { ed25519PublicKey } from '../../shared/src/crypto/ed25519';
import {
  COSIGNATURE_TYPE,
  LOG_SIGNATURE_TYPE,
  LogError,
  MAX_SIGNATURES,
  cosignCheckpoint,
  cosignatureTimestamp,
  formatCheckpoint,
  formatSignatureLine,
  formatVerifierKey,
  noteKeyId,
  openCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  rootFromLeaves,
  signCheckpoint,
  verifiedCosigners,
  verifyCosignature,
  verifyLogSignature,
  type Checkpoint,
  type NoteKey,
} from '../../shared/src/log/index';

interface SignedNoteVector {
  origin: string;
  logSecretKey: string;
  logPublicKey: string;
  logVerifierKey: string;
  witnessName: string;
  witnessSecretKey: string;
  witnessPublicKey: string;
  witnessVerifierKey: string;
  timestamp: number;
  leavesJcs: string[];
  note: string;
  keyIdLog: string;
  keyIdWitness: string;
}

const VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, '../vectors/custodes-v1.json'), 'utf8'),
) as { signedNote: SignedNoteVector };
const V = VECTORS.signedNote;

const logKey: NoteKey = { name: V.origin, publicKey: hexToBytes(V.logPublicKey) };
const witnessKey: NoteKey = { name: V.witnessName, publicKey: hexToBytes(V.witnessPublicKey) };
const checkpoint: Checkpoint = { origin: V.origin, size: V.leavesJcs.length, root: rootFromLeaves(V.leavesJcs.map(utf8)) };

function accepts(note: string | Uint8Array): boolean {
  const opened = openCheckpoint(note, logKey);
  return opened !== null && verifyCosignature(opened.note, witnessKey);
}

describe('conformance: signedNote', () => {
  it('derives the key IDs', () => {
    expect(bytesToHex(noteKeyId(V.origin, LOG_SIGNATURE_TYPE, logKey.publicKey))).toBe(V.keyIdLog);
    expect(bytesToHex(noteKeyId(V.witnessName, COSIGNATURE_TYPE, witnessKey.publicKey))).toBe(V.keyIdWitness);
    expect(bytesToHex(ed25519PublicKey(hexToBytes(V.logSecretKey)))).toBe(V.logPublicKey);
    expect(bytesToHex(ed25519PublicKey(hexToBytes(V.witnessSecretKey)))).toBe(V.witnessPublicKey);
  });

  it('formats the C2SP verifier keys (what Go note.NewVerifier reads)', () => {
    expect(formatVerifierKey(V.origin, LOG_SIGNATURE_TYPE, logKey.publicKey)).toBe(V.logVerifierKey);
    expect(formatVerifierKey(V.witnessName, COSIGNATURE_TYPE, witnessKey.publicKey)).toBe(V.witnessVerifierKey);
  });

  it('reproduces the note exactly from the leaves and keys (Ed25519 is deterministic)', () => {
    const signed = signCheckpoint(checkpoint, hexToBytes(V.logSecretKey));
    const cosignature = cosignCheckpoint(checkpoint, {
      name: V.witnessName,
      secretKey: hexToBytes(V.witnessSecretKey),
      timestamp: V.timestamp,
    });
    expect(signed + cosignature).toBe(V.note);
  });

  it('parses and verifies it', () => {
    const note = parseSignedNote(V.note);
    expect(note.text).toBe(formatCheckpoint(checkpoint));
    expect(note.signatures.map((s) => [s.name, bytesToHex(s.keyId)])).toEqual([
      [V.origin, V.keyIdLog],
      [V.witnessName, V.keyIdWitness],
    ]);
    expect(verifyLogSignature(note, logKey)).toBe(true);
    expect(verifyCosignature(note, witnessKey)).toBe(true);
    expect(cosignatureTimestamp(note.signatures[1]!)).toBe(BigInt(V.timestamp));
    expect(verifiedCosigners(note, [witnessKey, { name: 'other', publicKey: logKey.publicKey }])).toEqual([V.witnessName]);
    expect(parseCheckpoint(note.text)).toEqual(checkpoint);
    expect(accepts(V.note)).toBe(true);
    expect(accepts(utf8(V.note))).toBe(true);
  });

  it('rejects every byte of the note with one bit flipped', () => {
    const bytes = utf8(V.note);
    let accepted = 0;
    for (let i = 0; i < bytes.length; i++) {
      const flipped = bytes.slice();
      flipped[i]! ^= 1 << i % 8;
      if (accepts(flipped)) accepted += 1;
    }
    expect(accepted).toBe(0);
  });

  it('rejects each signature with any of its signature bytes changed (key IDs kept)', () => {
    const note = parseSignedNote(V.note);
    for (const which of [0, 1] as const) {
      const sig = note.signatures[which]!;
      for (let i = 0; i < sig.signature.length; i++) {
        const changed = sig.signature.slice();
        changed[i]! ^= 0x80 >> i % 8;
        const signatures = note.signatures.map((s, j) => (j === which ? { ...s, signature: changed } : s));
        const tampered = { ...note, signatures };
        const ok = which === 0 ? verifyLogSignature(tampered, logKey) : verifyCosignature(tampered, witnessKey);
        expect(ok, `signature ${which} byte ${i}`).toBe(false);
      }
    }
  });
});

describe('signed-note verification rules (C2SP signed-note §Signatures)', () => {
  const secret = hexToBytes(V.logSecretKey);
  const signed = signCheckpoint(checkpoint, secret);

  it('ignores lines from unknown keys, whatever they hold', () => {
    const unknown = formatSignatureLine({ name: 'stranger.example', keyId: Uint8Array.of(1, 2, 3, 4), signature: new Uint8Array(64) });
    const sameNameOtherId = formatSignatureLine({ name: V.origin, keyId: Uint8Array.of(9, 9, 9, 9), signature: new Uint8Array(64) });
    const note = parseSignedNote(signed + unknown + sameNameOtherId);
    expect(note.signatures).toHaveLength(3);
    expect(verifyLogSignature(note, logKey)).toBe(true);
  });

  it('rejects the note when a second line under the known key fails', () => {
    const keyId = noteKeyId(V.origin, LOG_SIGNATURE_TYPE, logKey.publicKey);
    const bad = formatSignatureLine({ name: V.origin, keyId, signature: new Uint8Array(64).fill(1) });
    expect(verifyLogSignature(parseSignedNote(signed + bad), logKey)).toBe(false);
  });

  it('does not accept a cosignature as a log signature or the reverse (distinct key IDs)', () => {
    const asWitness: NoteKey = { name: V.origin, publicKey: logKey.publicKey };
    expect(verifyCosignature(parseSignedNote(signed), asWitness)).toBe(false);
    const cosigned = parseSignedNote(V.note);
    expect(verifyLogSignature({ ...cosigned, signatures: [cosigned.signatures[1]!] }, { name: V.witnessName, publicKey: witnessKey.publicKey })).toBe(false);
  });

  it('is false without any signature from the key, and for a wrong public key', () => {
    expect(verifyLogSignature(parseSignedNote(signed), { name: V.origin, publicKey: witnessKey.publicKey })).toBe(false);
    expect(verifyCosignature(parseSignedNote(signed), witnessKey)).toBe(false);
    expect(openCheckpoint(signed, { name: 'another/origin', publicKey: logKey.publicKey })).toBeNull();
  });

  it('rejects a cosignature timestamp above 2^63 − 1 or of the wrong length', () => {
    const note = parseSignedNote(V.note);
    const sig = note.signatures[1]!;
    const huge = sig.signature.slice();
    huge[0] = 0x80;
    expect(cosignatureTimestamp({ ...sig, signature: huge })).toBeNull();
    expect(verifyCosignature({ ...note, signatures: [{ ...sig, signature: huge }] }, witnessKey)).toBe(false);
    expect(verifyCosignature({ ...note, signatures: [{ ...sig, signature: sig.signature.slice(1) }] }, witnessKey)).toBe(false);
  });

  it('throws TypeError for wrong argument types, RangeError for bad keys and names', () => {
    expect(() => verifyLogSignature(V.note as never, logKey)).toThrow(TypeError);
    expect(() => verifyLogSignature(parseSignedNote(V.note), { name: V.origin, publicKey: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => parseSignedNote(42 as never)).toThrow(TypeError);
    expect(() => signCheckpoint(checkpoint, new Uint8Array(31))).toThrow(RangeError);
    expect(() => signCheckpoint({ ...checkpoint, origin: 'has space' }, secret)).toThrow(RangeError);
    expect(() => cosignCheckpoint(checkpoint, { name: 'a+b', secretKey: secret, timestamp: 1 })).toThrow(RangeError);
    expect(() => cosignCheckpoint(checkpoint, { name: 'w', secretKey: secret, timestamp: -1 })).toThrow(RangeError);
    expect(() => noteKeyId('', LOG_SIGNATURE_TYPE, logKey.publicKey)).toThrow(RangeError);
  });
});

describe('parseSignedNote junk (attacker-controlled input)', () => {
  const body = formatCheckpoint(checkpoint);
  const line = V.note.slice(V.note.indexOf('\u2014'), V.note.indexOf('\n', V.note.indexOf('\u2014')) + 1);
  const cases: [string, string | Uint8Array][] = [
    ['empty', ''],
    ['no signatures', `${body}\n`],
    ['no blank line', `${body}${line}`],
    ['no final newline', `${body}\n${line.slice(0, -1)}`],
    ['hyphen instead of em dash', `${body}\n${line.replace('\u2014', '-')}`],
    ['two spaces after dash', `${body}\n${line.replace('\u2014 ', '\u2014  ')}`],
    ['empty key name', `${body}\n\u2014  AAAAAAAA\n`],
    ['plus in key name', `${body}\n${line.replace(V.origin, 'a+b')}`],
    ['no-break space in key name', `${body}\n${line.replace(V.origin, 'a\u00a0b')}`],
    ['unpadded base64', `${body}\n${line.replace('=\n', '\n')}`],
    ['non-canonical base64', `${body}\n\u2014 name AAAAAAB=\n`],
    ['only a key ID', `${body}\n\u2014 name AAAAAA==\n`],
    ['carriage return', `${body}\n${line.replace('\n', '\r\n')}`],
    ['tab', `${body.replace('\n', '\t\n')}\n${line}`],
    ['NUL', `${body}\u0000\n${line}`],
    ['lone surrogate', `${body.replace('log', 'l\ud800g')}\n${line}`],
    ['invalid UTF-8', Uint8Array.from([...utf8(`${body}\n`), 0xff, ...utf8(line)])],
    ['trailing blank line', `${body}\n${line}\n`],
    ['too large', `${body}\n${line.repeat(600)}`],
    ['too many signatures', `${body}\n${line.repeat(MAX_SIGNATURES + 1)}`],
  ];

  it.each(cases)('%s', (_name, input) => {
    expect(() => parseSignedNote(input)).toThrow(LogError);
    expect(openCheckpoint(input, logKey)).toBeNull();
  });

  it('keeps a text that itself contains blank lines (split at the last one)', () => {
    const note = parseSignedNote(`a\n\nb\n\n${line}`);
    expect(note.text).toBe('a\n\nb\n');
    // So a blank line among signature lines moves the first ones into the
    // text, which then is no checkpoint.
    const moved = `${body}\n${line}\n${line}`;
    expect(parseSignedNote(moved).text).toBe(`${body}\n${line}`);
    expect(openCheckpoint(moved, logKey)).toBeNull();
  });

  it('accepts up to MAX_SIGNATURES lines', () => {
    expect(parseSignedNote(`${body}\n${line.repeat(MAX_SIGNATURES)}`).signatures).toHaveLength(MAX_SIGNATURES);
  });
});

describe('checkpoint bodies (C2SP tlog-checkpoint)', () => {
  const root = bytesToBase64(checkpoint.root);

  it('round-trips', () => {
    expect(formatCheckpoint(checkpoint)).toBe(`${V.origin}\n2\n${root}\n`);
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
    expect(parseCheckpoint(`o\n0\n${root}\n`).size).toBe(0);
    expect(parseCheckpoint(`o\n9007199254740991\n${root}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
  });

  const junk: [string, string][] = [
    ['leading zero', `o\n01\n${root}\n`],
    ['negative', `o\n-1\n${root}\n`],
    ['plus sign', `o\n+1\n${root}\n`],
    ['space', `o\n 1\n${root}\n`],
    ['exponent', `o\n1e3\n${root}\n`],
    ['hex', `o\n0x10\n${root}\n`],
    ['empty size', `o\n\n${root}\n`],
    ['2^63', `o\n9223372036854775808\n${root}\n`],
    ['2^53 (beyond exact JS integers)', `o\n9007199254740992\n${root}\n`],
    ['20 digits', `o\n10000000000000000000\n${root}\n`],
    ['31-byte root', `o\n1\n${bytesToBase64(checkpoint.root.slice(1))}\n`],
    ['33-byte root', `o\n1\n${bytesToBase64(new Uint8Array(33))}\n`],
    ['unpadded root', `o\n1\n${root.replace('=', '')}\n`],
    ['non-canonical root', `o\n1\n${root.slice(0, -2)}V=\n`],
    ['url-safe root', `o\n1\n${'_'.repeat(43)}=\n`],
    ['no final newline', `o\n1\n${root}`],
    ['CRLF', `o\r\n1\r\n${root}\r\n`],
    ['empty origin', `\n1\n${root}\n`],
    ['origin with control character', `o\u0007\n1\n${root}\n`],
    ['extension line', `o\n1\n${root}\next\n`],
    ['empty extension line', `o\n1\n${root}\n\n`],
    ['two lines', `o\n1\n`],
    ['oversize', `${'o'.repeat(2000)}\n1\n${root}\n`],
  ];

  it.each(junk)('rejects %s', (_name, text) => {
    expect(() => parseCheckpoint(text)).toThrow(LogError);
  });

  it('refuses to format what it would not parse', () => {
    expect(() => formatCheckpoint({ ...checkpoint, size: -1 })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...checkpoint, size: 1.5 })).toThrow(TypeError);
    expect(() => formatCheckpoint({ ...checkpoint, origin: '' })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...checkpoint, origin: 'a\nb' })).toThrow(RangeError);
    expect(() => formatCheckpoint({ ...checkpoint, root: new Uint8Array(31) })).toThrow(RangeError);
  });
});
