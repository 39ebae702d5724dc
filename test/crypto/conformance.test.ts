/**
 * Known-answer vectors of docs/PROTOCOL.md §3–§4.1 (test/vectors/custodes-v1.json, made
 * by an independent implementation): every value must be reproduced.
 */
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  combineAndOpen,
  createPartial,
  dealShares,
  encodePoint,
  envelopeKey,
  hexToBytes,
  labelBytes,
  labelHash,
  mulBase,
  parseEnvelope,
  sealEnvelope,
  taggedHash,
  utf8,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import {
  canonicalJson,
  ceremonyFiles,
  parsePublicKeySet,
  parseShareFile,
  recordDigest,
  signRecord,
  verifyRecordSignature,
  warrantCommitment,
  WarrantSchema,
} from '@custodes/shared/records';
import { conformance as V } from '../vectors/load';

const big = (hex: string) => BigInt('0x' + hex);

describe('conformance: tagged hash and label (§3, §3.2)', () => {
  it('H(tag, m) matches', () => {
    expect(bytesToHex(taggedHash(V.taggedHash.tag, utf8(V.taggedHash.message)))).toBe(V.taggedHash.hash);
  });
  it('JCS(label) and ℓ match', () => {
    expect(new TextDecoder().decode(labelBytes(V.label))).toBe(V.labelJcs);
    expect(bytesToHex(labelHash(V.label))).toBe(V.labelHash);
  });
});

describe('conformance: ceremony (§3.1)', () => {
  const ceremony = dealShares(3, 5, V.ceremony.coefficients.map(big));
  const files = ceremonyFiles(ceremony, 1);
  it('public.json matches byte for byte', () => {
    expect(canonicalJson(files.publicKeySet)).toBe(canonicalJson(V.ceremony.public));
  });
  it('every share file matches and verifies against its commitments', () => {
    expect(files.shares.map((s) => canonicalJson(s))).toEqual(V.ceremony.shares.map((s) => canonicalJson(s)));
    for (const s of V.ceremony.shares) expect(parseShareFile(s).index).toBe(s.index);
  });
  it('the vector public key set parses and its checks hold', () => {
    const keys = parsePublicKeySet(V.ceremony.public);
    expect(keys.verificationShares.size).toBe(5);
  });
});

describe('conformance: envelopes, partials, combination (§3.2–§3.4)', () => {
  const keys = parsePublicKeySet(V.ceremony.public);
  V.envelopes.forEach((vec, n) => {
    describe(`envelope ${n}: ${vec.inputs.plaintext}`, () => {
      const sealed = sealEnvelope(utf8(vec.inputs.plaintext), keys.groupKey, 1, vec.envelope.label, {
        r: big(vec.inputs.r),
        nonce: Uint8Array.from(Buffer.from(vec.inputs.nonce, 'base64')),
        aux: hexToBytes(vec.inputs.aux),
      });
      it('seals to the exact envelope JSON', () => {
        expect(canonicalJson(sealed)).toBe(canonicalJson(vec.envelope));
      });
      const env = parseEnvelope(vec.envelope);
      it('reproduces R (normalised r), Z, k and the id', () => {
        const rn = big(vec.intermediate.rNormalised);
        expect(bytesToHex(encodePoint(mulBase(rn)).subarray(1))).toBe(vec.envelope.R);
        const Z = keys.groupKey.multiply(rn);
        expect(bytesToHex(encodePoint(Z))).toBe(vec.intermediate.Z);
        expect(bytesToHex(envelopeKey(encodePoint(Z), env.Rx, 1, env.labelHash))).toBe(vec.intermediate.key);
        expect(env.id).toBe(vec.intermediate.id);
        expect(verifyBinding(env)).toBe(true);
      });
      it('partials with fixed DLEQ nonces match and verify', () => {
        for (const [i, expected] of Object.entries(vec.partials)) {
          const share = parseShareFile(V.ceremony.shares[Number(i) - 1]);
          const p = createPartial(share.share, share.index, env, big(vec.inputs.w[i]!));
          expect(p).toEqual(expected);
          expect(verifyPartial(expected, keys.verificationShares.get(Number(i))!, env)).toBe(true);
        }
      });
      it('Lagrange combination over {1,3,5} opens the plaintext with key k', () => {
        const partials = V.lagrange.set.map((i) => vec.partials[String(i)]);
        const out = combineAndOpen(env, partials, 3, keys.verificationShares);
        expect(new TextDecoder().decode(out.plaintext)).toBe(vec.inputs.plaintext);
        expect(bytesToHex(out.key)).toBe(vec.intermediate.key);
        expect(out.used).toEqual([1, 3, 5]);
        expect(out.blamed).toEqual([]);
      });
    });
  });
});

describe('conformance: signed record and warrant commitment (§3.5, §4.1)', () => {
  const R = V.signedRecord;
  it('digest and signature match and verify', () => {
    expect(bytesToHex(recordDigest(R.record, R.kind))).toBe(R.digest);
    expect(signRecord(R.record, R.kind, R.secretKey, hexToBytes(R.aux))).toBe(R.signature);
    expect(verifyRecordSignature({ ...R.record, signature: R.signature }, R.kind, R.signature, R.publicKey)).toBe(true);
  });
  it('signature fields are outside the signed bytes', () => {
    const withSig = { ...R.record, signature: 'ff'.repeat(64), courtSignature: 'aa'.repeat(64) };
    expect(bytesToHex(recordDigest(withSig, R.kind))).toBe(R.digest);
  });
  it('warrant JCS and commitment match', () => {
    const W = V.warrantCommitment;
    const warrant = WarrantSchema.parse(W.warrant);
    expect(canonicalJson(warrant)).toBe(W.warrantJcs);
    expect(warrantCommitment(warrant, W.salt)).toBe(W.commitment);
  });
});
