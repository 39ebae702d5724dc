/**
 * The explorer's port of the DKG epoch rules (services/web/public/lib/dkgEpochs.js)
 * against the shared rules (shared/src/rules/dkgEpochs.ts, docs/PROTOCOL.md
 * §3.8) over one set of cases, each breaking one rule: the same verdict and
 * code, and on acceptance the same group key and commitments.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { judgeDkgEntry, judgeEpochEntry, resolveRegistry } from '@custodes/shared/rules';
import type { DkgEntry, EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { DKG_SESSION, epochEntry, makeDkgKeys, participantEntry, proposedGenesis, runDkg } from '../auditor/dkgScenario';
import { LogBuilder, T0 } from '../auditor/scenario';
import { loadDkgEpochs } from './helpers/lib';

const port = await loadDkgEpochs();
const { keys, dkg } = makeDkgKeys();
const genesis = proposedGenesis(keys, dkg.hostKeys);
const dealer = new LogBuilder(keys).entries[0] as RegistryEntry;
const good = epochEntry(dkg, T0);
const flip = (i: number) => {
  const b = dkg.recoveryData.slice();
  b[(b.length + i) % b.length]! ^= 1;
  return bytesToBase64(b);
};

const epochCases: [string, EpochEntry, RegistryEntry, string][] = [
  ['valid', good, genesis, 'ok'],
  ['UNKNOWN_EPOCH', { ...good, epoch: 2 }, genesis, 'UNKNOWN_EPOCH'],
  ['NOT_PROPOSED (a dealer epoch)', good, dealer, 'NOT_PROPOSED'],
  ['BAD_RECOVERY_DATA: a certificate byte flipped', { ...good, recoveryData: flip(-10) }, genesis, 'BAD_RECOVERY_DATA'],
  ['BAD_RECOVERY_DATA: t flipped', { ...good, recoveryData: flip(3) }, genesis, 'BAD_RECOVERY_DATA'],
  ['BAD_RECOVERY_DATA: truncated', { ...good, recoveryData: bytesToBase64(dkg.recoveryData.subarray(0, 100)) }, genesis, 'BAD_RECOVERY_DATA'],
  ['BAD_RECOVERY_DATA: a sum commitment byte flipped', { ...good, recoveryData: flip(40) }, genesis, 'BAD_RECOVERY_DATA'],
  ['THRESHOLD_MISMATCH', good, { ...genesis, epochs: [{ ...genesis.epochs[0]!, threshold: 4 }] }, 'THRESHOLD_MISMATCH'],
  ['HOST_KEYS_MISMATCH: another session', epochEntry(runDkg(3, 5), T0), genesis, 'HOST_KEYS_MISMATCH'],
  ['GROUP_KEY_MISMATCH', { ...good, groupKey: good.commitments[1]! }, genesis, 'GROUP_KEY_MISMATCH'],
  ['COMMITMENTS_MISMATCH', { ...good, commitments: [good.commitments[0]!, good.commitments[2]!, good.commitments[1]!] }, genesis, 'COMMITMENTS_MISMATCH'],
];

describe('judgeEpochEntry: the port agrees with the shared rule', () => {
  it.each(epochCases)('%s', async (_, entry, registry, expected) => {
    const shared = judgeEpochEntry(entry, registry);
    const browser = await port.judgeEpochEntry(entry, registry);
    expect(shared.ok ? 'ok' : shared.code).toBe(expected);
    expect(browser.ok ? 'ok' : browser.code).toBe(expected);
    if (shared.ok && browser.ok) {
      expect(browser.keys.groupKey).toBe(shared.keys.groupKey);
      expect(browser.keys.commitments).toEqual(shared.keys.commitments);
      expect(browser.keys.hostKeys).toEqual(shared.keys.hostKeys);
    }
  });

  it('resolveRegistry: the first valid entry per epoch activates it, in both', async () => {
    const entries = [{ ...good, groupKey: good.commitments[1]! }, good];
    expect(await port.resolveRegistry(genesis, entries)).toEqual(resolveRegistry(genesis, entries));
    expect(await port.resolveRegistry(genesis, [entries[0]])).toBe(genesis);
  });
});

describe('judgeDkgEntry: the port agrees with the shared rule', () => {
  const commit = participantEntry(keys, 2, 'commit', '07'.repeat(32), T0);
  const aggregate: DkgEntry = { type: 'dkg', epoch: 1, session: DKG_SESSION, step: 'aggregate', payload: 'AAAA', time: T0 };
  const cases: [string, DkgEntry, RegistryEntry, string][] = [
    ['a signed commit', commit, genesis, 'ok'],
    ['a coordinator step', aggregate, genesis, 'ok'],
    ['BAD_SIGNATURE: signed by custodian 3', participantEntry(keys, 2, 'commit', '07'.repeat(32), T0, {}, keys.custodians[2]!.secret), genesis, 'BAD_SIGNATURE'],
    ['UNKNOWN_CUSTODIAN', { ...commit, custodian: 9 }, genesis, 'UNKNOWN_CUSTODIAN'],
    ['UNKNOWN_EPOCH', { ...commit, epoch: 4 }, genesis, 'UNKNOWN_EPOCH'],
    ['NOT_PROPOSED', commit, dealer, 'NOT_PROPOSED'],
  ];
  it.each(cases)('%s', async (_, entry, registry, expected) => {
    const shared = judgeDkgEntry(entry, registry);
    const browser = await port.judgeDkgEntry(entry, registry);
    expect(shared.ok ? 'ok' : shared.code).toBe(expected);
    expect(browser.ok ? 'ok' : browser.code).toBe(expected);
  });
});
