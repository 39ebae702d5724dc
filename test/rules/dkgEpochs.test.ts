/**
 * Epochs made by ChillDKG (docs/PROTOCOL.md §3.8): a real session through
 * @custodes/shared/dkg, then judgeEpochEntry (one test per code, each
 * breaking exactly that rule), resolveRegistry (the activated epoch works
 * with the unchanged partial/combine code), judgeDkgEntry, and the registry
 * rules for proposed epochs (EPOCH_CHANGED).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex, combineAndOpen, createPartial, decodePoint, encodePoint, hexToBytes, parseEnvelope, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import { coordinatorFinalize, coordinatorStep1, epochFromRecovery, hostpubkeyGen, participantFinalize, participantStep1, participantStep2 } from '@custodes/shared/dkg';
import { DkgEntrySchema, EpochEntrySchema, LogEntrySchema, registryProblems, RegistryView, signRecord } from '@custodes/shared/records';
import type { DkgEntry, EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { judgeDkgEntry, judgeEpochEntry, judgeRegistryUpdate, quorumOf, resolveRegistry, reviewers } from '@custodes/shared/rules';
import { custodianKeys, signAs, unsignedRegistry } from './corpus';

const SESSION = '00000000-0000-4000-8000-0000000000d1';

/** A t-of-n ChillDKG run among custodians 1..n with fresh host keys; the coordinator's view and each participant's share. */
function runDkg(t: number, n: number) {
  const hostseckeys = Array.from({ length: n }, () => new Uint8Array(randomBytes(32)));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const s1 = hostseckeys.map((sk) => participantStep1(sk, params, new Uint8Array(randomBytes(32))));
  const c1 = coordinatorStep1(s1.map((s) => s.pmsg1), params);
  const s2 = hostseckeys.map((sk, i) => participantStep2(sk, s1[i]!.state, c1.cmsg1, new Uint8Array(randomBytes(32))));
  const fin = coordinatorFinalize(c1.state, s2.map((s) => s.pmsg2));
  const outputs = s2.map((s) => participantFinalize(s.state, fin.cmsg2).output);
  return { hostseckeys, hostKeys: params.hostpubkeys.map(bytesToHex), pmsgs1: s1.map((s) => s.pmsg1), recoveryData: fin.recoveryData, outputs };
}

/** A genesis proposing epoch 1 (t of 1..n) with these host keys, signed by all. */
function proposedGenesis(t: number, hostKeys: readonly string[]): RegistryEntry {
  const u = unsignedRegistry(0, [{ epoch: 1, threshold: t, custodians: hostKeys.map((_, i) => i + 1), proposed: true }]);
  const e = u.epochs[0]!;
  return signAs({ ...u, epochs: [{ ...e, custodians: e.custodians.map((c) => ({ ...c, hostKey: hostKeys[c.index - 1]! })) }] }, hostKeys.map((_, i) => i + 1));
}

function epochEntry(recoveryData: Uint8Array, over: Partial<EpochEntry> = {}): EpochEntry {
  const keys = epochFromRecovery(recoveryData);
  return { type: 'epoch', epoch: 1, session: SESSION, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time: 1_800_000_000, ...over };
}

const dkg = runDkg(3, 5);
const genesis = proposedGenesis(3, dkg.hostKeys);

describe('epochFromRecovery', () => {
  it('yields the group key and public shares every participant got, and X_i = Σ_k i^k·C_k at index i = p + 1', () => {
    const keys = epochFromRecovery(dkg.recoveryData);
    expect(keys.threshold).toBe(3);
    expect(keys.hostKeys).toEqual(dkg.hostKeys);
    expect(keys.commitments).toHaveLength(3);
    expect(keys.groupKey).toBe(keys.commitments[0]);
    for (const o of dkg.outputs) {
      expect(bytesToHex(o.threshPk)).toBe(keys.groupKey);
      expect(o.pubshares.map(bytesToHex)).toEqual(keys.publicShares);
    }
    const view = new RegistryView(resolveRegistry(genesis, [epochEntry(dkg.recoveryData)]), 0);
    const shares = view.verificationShares(1)!;
    expect([...shares.keys()].map((i) => bytesToHex(encodePoint(shares.get(i)!)))).toEqual(keys.publicShares);
  });

  it('refuses truncated or altered recovery data with RECOVERY_DATA', () => {
    expect(() => epochFromRecovery(dkg.recoveryData.subarray(0, dkg.recoveryData.length - 1))).toThrow(expect.objectContaining({ code: 'RECOVERY_DATA' }));
    const flipped = dkg.recoveryData.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => epochFromRecovery(flipped)).toThrow(expect.objectContaining({ code: 'RECOVERY_DATA' }));
  });
});

describe('resolveRegistry: a proposed epoch is usable only once a valid epoch entry is logged', () => {
  it('before: no quorum, no keys; the proposed epoch still witnesses (no epoch is active)', () => {
    expect(quorumOf(genesis, 1)).toBeUndefined();
    expect(new RegistryView(genesis, 0).verificationShares(1)).toBeUndefined();
    expect(reviewers(genesis)?.threshold).toBe(3);
  });

  it('after: the DKG key decrypts through the unchanged partial and combine code', () => {
    const resolved = resolveRegistry(genesis, [epochEntry(dkg.recoveryData)]);
    expect(quorumOf(resolved, 1)?.threshold).toBe(3);
    const view = new RegistryView(resolved, 0);
    const env = parseEnvelope(sealEnvelope(utf8('hello DKG'), decodePoint(hexToBytes(resolved.epochs[0]!.groupKey!, 33)), 1, { subject: 's', category: 'messages', time: 1 }));
    const partials = [2, 4, 5].map((i) => createPartial(BigInt('0x' + bytesToHex(dkg.outputs[i - 1]!.secshare!)), i, env));
    const opened = combineAndOpen(env, partials, 3, view.verificationShares(1)!);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello DKG');
  });

  it('ignores an invalid entry, and the first valid one per epoch counts', () => {
    const other = runDkg(3, 5);
    expect(resolveRegistry(genesis, [epochEntry(other.recoveryData)])).toBe(genesis);
    const resolved = resolveRegistry(genesis, [epochEntry(other.recoveryData), epochEntry(dkg.recoveryData)]);
    expect(resolved.epochs[0]!.groupKey).toBe(epochFromRecovery(dkg.recoveryData).groupKey);
  });
});

describe('judgeEpochEntry: one test per rule', () => {
  it('accepts the session of the proposed epoch', () => {
    expect(judgeEpochEntry(epochEntry(dkg.recoveryData), genesis)).toMatchObject({ ok: true });
    expect(EpochEntrySchema.safeParse(epochEntry(dkg.recoveryData)).success).toBe(true);
  });
  it('UNKNOWN_EPOCH', () => {
    expect(judgeEpochEntry(epochEntry(dkg.recoveryData, { epoch: 2 }), genesis)).toMatchObject({ ok: false, code: 'UNKNOWN_EPOCH' });
  });
  it('NOT_PROPOSED: an epoch with keys (a dealer epoch, or one already activated)', () => {
    const resolved = resolveRegistry(genesis, [epochEntry(dkg.recoveryData)]);
    expect(judgeEpochEntry(epochEntry(dkg.recoveryData), resolved)).toMatchObject({ ok: false, code: 'NOT_PROPOSED' });
  });
  it('BAD_RECOVERY_DATA: a certificate signature flipped', () => {
    const bad = dkg.recoveryData.slice();
    bad[bad.length - 10]! ^= 1;
    expect(judgeEpochEntry({ ...epochEntry(dkg.recoveryData), recoveryData: bytesToBase64(bad) }, genesis)).toMatchObject({ ok: false, code: 'BAD_RECOVERY_DATA' });
  });
  it('THRESHOLD_MISMATCH: a valid 4-of-5 session for a 3-of-5 epoch with the same host keys', () => {
    const g4 = proposedGenesis(4, dkg.hostKeys);
    expect(judgeEpochEntry(epochEntry(dkg.recoveryData), g4)).toMatchObject({ ok: false, code: 'THRESHOLD_MISMATCH' });
  });
  it('HOST_KEYS_MISMATCH: the same keys in another order', () => {
    const swapped = proposedGenesis(3, [dkg.hostKeys[1]!, dkg.hostKeys[0]!, ...dkg.hostKeys.slice(2)]);
    expect(judgeEpochEntry(epochEntry(dkg.recoveryData), swapped)).toMatchObject({ ok: false, code: 'HOST_KEYS_MISMATCH' });
  });
  it('GROUP_KEY_MISMATCH', () => {
    const e = epochEntry(dkg.recoveryData);
    expect(judgeEpochEntry({ ...e, groupKey: e.commitments[1]! }, genesis)).toMatchObject({ ok: false, code: 'GROUP_KEY_MISMATCH' });
  });
  it('COMMITMENTS_MISMATCH', () => {
    const e = epochEntry(dkg.recoveryData);
    expect(judgeEpochEntry({ ...e, commitments: [e.commitments[0]!, e.commitments[2]!, e.commitments[1]!] }, genesis)).toMatchObject({ ok: false, code: 'COMMITMENTS_MISMATCH' });
  });
});

describe('judgeDkgEntry and the dkg entry schema', () => {
  const commit = (custodian: number, key = custodianKeys.get(custodian)!.secretKey): DkgEntry => {
    const body: DkgEntry = { type: 'dkg', epoch: 1, session: SESSION, step: 'commit', custodian, payload: bytesToHex(new Uint8Array(32).fill(7)), time: 1 };
    return { ...body, signature: signRecord(body, 'dkg', key) };
  };
  it('accepts a participant step signed by that custodian, and a coordinator step unsigned', () => {
    expect(judgeDkgEntry(commit(2), genesis)).toEqual({ ok: true });
    const aggregate: DkgEntry = { type: 'dkg', epoch: 1, session: SESSION, step: 'aggregate', payload: bytesToBase64(new Uint8Array(8)), time: 1 };
    expect(judgeDkgEntry(aggregate, genesis)).toEqual({ ok: true });
  });
  it('BAD_SIGNATURE: the coordinator cannot write a commit in custodian 2’s name', () => {
    expect(judgeDkgEntry(commit(2, custodianKeys.get(3)!.secretKey), genesis)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
  it('BAD_SIGNATURE: a record of another kind signed by the custodian does not pass', () => {
    const c = commit(2);
    expect(judgeDkgEntry({ ...c, signature: signRecord(c, 'approval', custodianKeys.get(2)!.secretKey) }, genesis)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
  it('UNKNOWN_CUSTODIAN', () => {
    expect(judgeDkgEntry(commit(7), genesis)).toMatchObject({ ok: false, code: 'UNKNOWN_CUSTODIAN' });
  });
  it('UNKNOWN_EPOCH and NOT_PROPOSED', () => {
    expect(judgeDkgEntry({ ...commit(2), epoch: 9 }, genesis)).toMatchObject({ ok: false, code: 'UNKNOWN_EPOCH' });
    const resolved = resolveRegistry(genesis, [epochEntry(dkg.recoveryData)]);
    expect(judgeDkgEntry(commit(2), resolved)).toMatchObject({ ok: false, code: 'NOT_PROPOSED' });
  });
  it('the schema refuses a step in the wrong shape', () => {
    const c = commit(2);
    expect(DkgEntrySchema.safeParse(c).success).toBe(true);
    expect(LogEntrySchema.safeParse(c).success).toBe(true);
    expect(DkgEntrySchema.safeParse({ ...c, signature: undefined }).success).toBe(false);
    expect(DkgEntrySchema.safeParse({ ...c, payload: 'AAAA' }).success).toBe(false);
    expect(DkgEntrySchema.safeParse({ type: 'dkg', epoch: 1, session: SESSION, step: 'aggregate', custodian: 1, payload: '', time: 1 }).success).toBe(false);
    expect(DkgEntrySchema.safeParse({ type: 'dkg', epoch: 1, session: SESSION, step: 'abort', payload: '', time: 1 }).success).toBe(false);
    expect(DkgEntrySchema.safeParse({ type: 'dkg', epoch: 1, session: SESSION, step: 'abort', payload: '', blamed: [3, 2], time: 1 }).success).toBe(false);
    expect(DkgEntrySchema.safeParse({ type: 'dkg', epoch: 1, session: SESSION, step: 'abort', payload: '', blamed: [2, 3], time: 1 }).success).toBe(true);
  });
});

describe('registry rules for proposed epochs', () => {
  it('a proposed epoch needs distinct host keys on the curve, its indices may have gaps; half-listed keys are refused', () => {
    expect(registryProblems(genesis)).toEqual([]);
    const e = genesis.epochs[0]!;
    expect(registryProblems({ ...genesis, epochs: [{ ...e, commitments: [dkg.hostKeys[0]!, dkg.hostKeys[1]!, dkg.hostKeys[2]!] }] })).toEqual([
      'epoch 1 has one of groupKey and commitments without the other',
    ]);
    // Points are ranks (§3.1): custodian 6 of {1, 2, 3, 4, 6} holds f(5).
    expect(registryProblems({ ...genesis, epochs: [{ ...e, custodians: e.custodians.map((c) => (c.index === 5 ? { ...c, index: 6 } : c)) }] })).toEqual([]);
    const offCurve = '02' + '5'.padStart(64, '0');
    expect(registryProblems({ ...genesis, epochs: [{ ...e, custodians: e.custodians.map((c) => (c.index === 5 ? { ...c, hostKey: offCurve } : c)) }] })).toEqual([
      'proposed epoch 1: a host key is not a point on secp256k1',
    ]);
  });

  it('EPOCH_CHANGED: an update cannot re-propose an activated epoch with other host keys', () => {
    const resolved = resolveRegistry(genesis, [epochEntry(dkg.recoveryData)]);
    const other = runDkg(3, 5);
    const changed = proposedGenesis(3, other.hostKeys);
    const next = signAs({ ...changed, sequence: 1, signatures: [] }, [1, 2, 3]);
    expect(judgeRegistryUpdate(next, resolved)).toMatchObject({ ok: false, code: 'EPOCH_CHANGED' });
    const same = signAs({ ...genesis, sequence: 1, signatures: [] }, [1, 2, 3]);
    expect(judgeRegistryUpdate(same, resolved)).toMatchObject({ ok: true });
  });
});
