/**
 * The explorer's port of the reshare rules (services/web/public/lib/reshare.js,
 * dkgEpochs.js; docs/PROTOCOL.md §3.9) against the shared rules
 * (shared/src/rules/dkgEpochs.ts, shareDestroyed.ts) over one set of cases,
 * each breaking one rule: the same verdict and code, and on acceptance the
 * same group key, commitments and public shares; resolveRegistry in log order.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64, encodePoint, mulBase } from '@custodes/shared/crypto';
import { signRecord } from '@custodes/shared/records';
import type { DkgEntry, EpochEntry, RegistryEntry, ShareDestroyedEntry } from '@custodes/shared/records';
import { judgeDkgEntry, judgeEpochEntry, judgeShareDestroyed, resolveRegistry } from '@custodes/shared/rules';
import { dealAll, dealerEpoch, forgeRecovery } from '../dkg/reshareFixture';
import { custodianKeys } from '../rules/corpus';
import { e2, e3, entryOf, hostSecrets, old, p2, paramsOf, proposedListing, r2, registry, SESSION, SESSION3 } from '../rules/reshareCorpus';
import { loadDkgEpochs } from './helpers/lib';

const port = await loadDkgEpochs();
const after2 = resolveRegistry(registry, [e2]);
const withEpoch = (over: RegistryEntry['epochs'][number]): RegistryEntry => ({ ...registry, epochs: registry.epochs.map((e) => (e.epoch === over.epoch ? over : e)) });
const constantMoved = () => {
  const dealings = dealAll(p2, old, [1, 2, 4]);
  const moved = dealings[1]!.slice();
  moved.set(encodePoint(mulBase(777n)), 34);
  return bytesToBase64(forgeRecovery(p2, hostSecrets, [dealings[0]!, moved, dealings[2]!]));
};
const flipped = (at: number) => {
  const b = r2.recoveryData.slice();
  b[(b.length + at) % b.length]! ^= 1;
  return bytesToBase64(b);
};
const stranger = dealerEpoch(1, 3, 5);
const strangerParams = paramsOf(stranger, 2, 3, [1, 3, 4, 5], SESSION);

const epochCases: [string, EpochEntry, RegistryEntry, string][] = [
  ['a valid reshare 1 → 2', e2, registry, 'ok'],
  ['a valid reshare 2 → 3 after 2 is active', e3, after2, 'ok'],
  ['OLD_EPOCH_NOT_ACTIVE: 3 before 2', e3, registry, 'OLD_EPOCH_NOT_ACTIVE'],
  ['OLD_EPOCH_SUPERSEDED: a second reshare of 1', { ...e2, epoch: 4 }, { ...after2, epochs: [...after2.epochs, proposedListing(4, 3, [1, 3, 4, 5], 1)] }, 'OLD_EPOCH_SUPERSEDED'],
  ['BAD_RECOVERY_DATA: a certificate byte flipped', { ...e2, recoveryData: flipped(-3) }, registry, 'BAD_RECOVERY_DATA'],
  ['BAD_RECOVERY_DATA: truncated', { ...e2, recoveryData: bytesToBase64(r2.recoveryData.subarray(0, 200)) }, registry, 'BAD_RECOVERY_DATA'],
  ['DEALING_CONSTANT_MISMATCH', { ...e2, recoveryData: constantMoved() }, registry, 'DEALING_CONSTANT_MISMATCH'],
  ['GROUP_KEY_CHANGED', { ...e2, recoveryData: bytesToBase64(forgeRecovery({ ...p2, groupKey: encodePoint(mulBase(4242n)) }, hostSecrets, dealAll({ ...p2, groupKey: encodePoint(mulBase(4242n)) }, old, [1, 2, 4]))) }, registry, 'GROUP_KEY_CHANGED'],
  ['SESSION_MISMATCH', { ...e2, session: SESSION3 }, registry, 'SESSION_MISMATCH'],
  ['OLD_EPOCH_MISMATCH: a reshare of another epoch 1', entryOf(forgeRecovery(strangerParams, hostSecrets, dealAll(strangerParams, stranger, [1, 2, 3])), 2, SESSION), registry, 'OLD_EPOCH_MISMATCH'],
  ['THRESHOLD_MISMATCH', e2, withEpoch({ ...proposedListing(2, 4, [1, 3, 4, 5], 1) }), 'THRESHOLD_MISMATCH'],
  ['HOST_KEYS_MISMATCH: another index set', e2, withEpoch(proposedListing(2, 3, [1, 3, 4, 6], 1)), 'HOST_KEYS_MISMATCH'],
  ['GROUP_KEY_MISMATCH', { ...e2, groupKey: e2.commitments[1]! }, registry, 'GROUP_KEY_MISMATCH'],
  ['COMMITMENTS_MISMATCH', { ...e2, commitments: [e2.commitments[0]!, e2.commitments[2]!, e2.commitments[1]!] }, registry, 'COMMITMENTS_MISMATCH'],
  ['NOT_PROPOSED once active', e2, after2, 'NOT_PROPOSED'],
];

describe('judgeEpochEntry for a reshare: the port agrees with the shared rule', () => {
  it.each(epochCases)('%s', async (_, entry, reg, expected) => {
    const shared = judgeEpochEntry(entry, reg);
    expect(shared.ok ? 'ok' : shared.code).toBe(expected);
    const ported = await port.judgeEpochEntry(entry, reg);
    expect(ported.ok ? 'ok' : ported.code).toBe(expected);
    if (shared.ok && ported.ok) expect(ported.keys).toEqual({ ...shared.keys });
  });
});

describe('resolveRegistry: the chain resolves in log order in both', () => {
  it('1 → 2 → 3 in order; 3 before 2 leaves 3 proposed', async () => {
    for (const order of [[e2, e3], [e3, e2]]) {
      const shared = resolveRegistry(registry, order);
      expect(await port.resolveRegistry(registry, order)).toEqual(shared);
    }
    expect((await port.resolveRegistry(registry, [e2, e3])).epochs.find((e) => e.epoch === 3)!.groupKey).toBe(e2.groupKey);
  });
});

/** A statement of custodian `custodian` for epoch `epoch`, signed by `signer` (its own key unless given). */
function destroyed(custodian: number, over: { epoch?: number; successor?: number; signer?: number } = {}): ShareDestroyedEntry {
  const body = { type: 'share-destroyed' as const, epoch: over.epoch ?? 1, successor: over.successor ?? 2, custodian, time: 1_800_000_100 };
  return { ...body, signature: signRecord(body, 'share-destroyed', custodianKeys.get(over.signer ?? custodian)!.secretKey) };
}

const destroyedCases: [string, ShareDestroyedEntry, RegistryEntry, string][] = [
  ['a statement after the successor is active', destroyed(2), after2, 'ok'],
  ['NOT_SUPERSEDED: before the successor’s epoch entry', destroyed(2), registry, 'NOT_SUPERSEDED'],
  ['NOT_SUPERSEDED: naming another successor', destroyed(2, { successor: 3 }), after2, 'NOT_SUPERSEDED'],
  ['UNKNOWN_EPOCH', destroyed(2, { epoch: 9 }), after2, 'UNKNOWN_EPOCH'],
  ['UNKNOWN_CUSTODIAN: custodian 7 held no share of 1', destroyed(7), after2, 'UNKNOWN_CUSTODIAN'],
  ['BAD_SIGNATURE: custodian 2 signed by 3', destroyed(2, { signer: 3 }), after2, 'BAD_SIGNATURE'],
];

describe('judgeShareDestroyed: the port agrees with the shared rule', () => {
  it.each(destroyedCases)('%s', async (_, entry, reg, expected) => {
    const shared = judgeShareDestroyed(entry, reg);
    expect(shared.ok ? 'ok' : shared.code).toBe(expected);
    const ported = await port.judgeShareDestroyed(entry, reg);
    expect(ported.ok ? 'ok' : ported.code).toBe(expected);
  });
});

/** A reshare step of custodian `custodian`, signed by `signer`. */
function step(s: 'commit' | 'certeq' | 'dealers', custodian: number | undefined, signer = custodian): DkgEntry {
  const body = { type: 'dkg' as const, epoch: 2, session: SESSION, step: s, ...(custodian === undefined ? {} : { custodian }), payload: '07'.repeat(32), time: 1_800_000_000 };
  return signer === undefined ? body : { ...body, signature: signRecord(body, 'dkg', custodianKeys.get(signer)!.secretKey) };
}

const dkgCases: [string, DkgEntry, RegistryEntry, string][] = [
  ['a dealer of epoch 1 commits (custodian 2 leaves epoch 2)', step('commit', 2), registry, 'ok'],
  ['a receiver of epoch 2 certifies', step('certeq', 5), registry, 'ok'],
  ['the coordinator’s dealers step', step('dealers', undefined), registry, 'ok'],
  ['UNKNOWN_CUSTODIAN: the leaver certifies', step('certeq', 2), registry, 'UNKNOWN_CUSTODIAN'],
  ['BAD_SIGNATURE: a dealer’s commit signed by another', step('commit', 2, 3), registry, 'BAD_SIGNATURE'],
  ['WRONG_STEP: dealers in a DKG', { ...step('dealers', undefined), epoch: 2 }, withEpoch(proposedListing(2, 3, [1, 3, 4, 5])), 'WRONG_STEP'],
];

describe('judgeDkgEntry in a reshare: the port agrees with the shared rule', () => {
  it.each(dkgCases)('%s', async (_, entry, reg, expected) => {
    const shared = judgeDkgEntry(entry, reg);
    expect(shared.ok ? 'ok' : shared.code).toBe(expected);
    const ported = await port.judgeDkgEntry(entry, reg);
    expect(ported.ok ? 'ok' : ported.code).toBe(expected);
  });
});
