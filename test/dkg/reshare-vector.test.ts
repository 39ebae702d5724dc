/**
 * Known-answer vector for resharing (docs/PROTOCOL.md §3.9, §10):
 * test/vectors/reshare/reshare-vector.json was made by make_vector.py, a
 * Python implementation written from the spec alone (secp256k1lab for the
 * curve and BIP340). Every dealing, share, signature, recovery data and
 * complaint must come out byte for byte.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesToHex, encodePoint, hexToBytes, mulBase, scalarFromBytes, taggedHash } from '@custodes/shared/crypto';
import {
  dealReshare,
  epochFromReshare,
  makeComplaint,
  participantRecoverReshare,
  receiveReshare,
  reshareAckSign,
  reshareOutput,
  reshareRecoveryData,
  uuidBytes,
  verifyComplaint,
} from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';

interface Step {
  oldEpoch: number;
  newEpoch: number;
  session: string;
  oldThreshold: number;
  newThreshold: number;
  oldIndices: number[];
  newIndices: number[];
  qualified: number[];
  oldShares: Record<string, string>;
  randoms: Record<string, string>;
  auxRands: Record<string, string>;
  params: string;
  ctx: string;
  dealings: Record<string, string>;
  transcript: string;
  signatures: string[];
  recoveryData: string;
  groupKey: string;
  commitments: string[];
  publicShares: Record<string, string>;
  newShares: Record<string, string>;
}

interface Vector {
  hostKeys: Record<string, { secret: string; public: string }>;
  steps: Step[];
  complaints: { complainer: number; dealing: string; w: string; complaint: string; convicts: 'dealer' | 'complainer' }[];
}

const vector = JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/reshare/reshare-vector.json', import.meta.url)), 'utf8')) as Vector;
const bytes = (hex: string) => hexToBytes(hex);
const hostSecret = (i: number) => bytes(vector.hostKeys[String(i)]!.secret);

function paramsOf(s: Step): ReshareParams {
  return {
    oldEpoch: s.oldEpoch,
    newEpoch: s.newEpoch,
    session: uuidBytes(s.session),
    oldThreshold: s.oldThreshold,
    newThreshold: s.newThreshold,
    groupKey: bytes(s.groupKey),
    oldCommittee: s.oldIndices.map((index) => ({ index, publicShare: encodePoint(mulBase(scalarFromBytes(bytes(s.oldShares[String(index)]!)))) })),
    newCommittee: s.newIndices.map((index) => ({ index, hostKey: bytes(vector.hostKeys[String(index)]!.public) })),
  };
}

describe.each(vector.steps.map((s) => [`epoch ${s.oldEpoch} → ${s.newEpoch}`, s] as const))('reshare vector %s', (_name, s) => {
  const params = paramsOf(s);
  const dealings = s.qualified.map((i) => bytes(s.dealings[String(i)]!));

  it('dealings', () => {
    for (const i of s.qualified) {
      const dealing = dealReshare(params, bytes(s.oldShares[String(i)]!), i, bytes(s.randoms[String(i)]!));
      expect(bytesToHex(dealing)).toBe(s.dealings[String(i)]);
    }
  });

  it('public outcome', () => {
    const out = reshareOutput(params, dealings);
    expect(bytesToHex(out.groupKey)).toBe(s.groupKey);
    expect(out.commitments.map(bytesToHex)).toEqual(s.commitments);
    expect(out.publicShares.map(bytesToHex)).toEqual(s.newIndices.map((j) => s.publicShares[String(j)]));
    expect(out.qualified).toEqual(s.qualified);
  });

  it('each new share, signature, and the recovery data', () => {
    for (const j of s.newIndices) expect(bytesToHex(receiveReshare(params, hostSecret(j), dealings).share)).toBe(s.newShares[String(j)]);
    const sigs = s.newIndices.map((j) => reshareAckSign(params, hostSecret(j), dealings, bytes(s.auxRands[String(j)]!)));
    expect(sigs.map(bytesToHex)).toEqual(s.signatures);
    const recovery = reshareRecoveryData(params, dealings, sigs);
    expect(bytesToHex(recovery)).toBe(s.recoveryData);
    expect(bytesToHex(recovery.subarray(0, s.params.length / 2))).toBe(s.params);
    expect(bytesToHex(taggedHash('custodes/v1/reshare', bytes(s.params)))).toBe(s.ctx);
  });

  it('epochFromReshare and participantRecoverReshare', () => {
    const keys = epochFromReshare(bytes(s.recoveryData));
    expect(keys).toMatchObject({ oldEpoch: s.oldEpoch, epoch: s.newEpoch, session: s.session, indices: s.newIndices, qualified: s.qualified, groupKey: s.groupKey, commitments: s.commitments });
    for (const j of s.newIndices) expect(bytesToHex(participantRecoverReshare(hostSecret(j), bytes(s.recoveryData)).received.share)).toBe(s.newShares[String(j)]);
  });
});

describe('complaint vectors', () => {
  const params = paramsOf(vector.steps[0]!);
  it.each(vector.complaints.map((c) => [c.complainer, c] as const))('custodian %i', (_j, c) => {
    const made = makeComplaint(params, hostSecret(c.complainer), bytes(c.dealing), scalarFromBytes(bytes(c.w)));
    expect(bytesToHex(made)).toBe(c.complaint);
    expect(verifyComplaint(params, bytes(c.dealing), bytes(c.complaint))).toBe(c.convicts);
  });
});
