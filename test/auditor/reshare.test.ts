/**
 * The auditor on an epoch made by resharing (docs/PROTOCOL.md §3.9, §8.8): a
 * dealer epoch 1 (3 of 1..5), a registry update proposing epoch 2 as a
 * reshare of 1 without custodian 2 (indices 1, 3, 4, 5: points ≠ indices),
 * and the epoch entry. Zero findings; the public shares the auditor proves
 * sit at each custodian's rank; a reshare keyed to another Y is reported.
 */
import { describe, expect, test } from 'vitest';
import { bytesToBase64, bytesToHex, encodePoint, mulBase } from '@custodes/shared/crypto';
import { checkLeaves, provenEpochKeys } from '@custodes/auditor';
import { dealAll, forgeRecovery } from '../dkg/reshareFixture';
import { DAY, T0 } from './scenario';
import { entryOf, hosts, old, params, reshared, reshareLog } from './reshareScenario';

describe('a reshared epoch', () => {
  test('verifies with zero findings; epoch 2 has epoch 1’s key and X’ at each custodian’s rank', () => {
    const log = reshareLog();
    log.push(entryOf(reshared.recoveryData));
    const { findings, state } = checkLeaves(log.leaves(), { now: T0 + DAY });
    expect(findings).toEqual([]);
    expect(state.registry?.epoch(2)?.groupKey).toBe(bytesToHex(old.groupKey));
    const proven = provenEpochKeys(state, 2);
    expect(proven.origin).toBe('dkg');
    expect(proven.publicKeySet.verificationShares).toEqual(Object.fromEntries(reshared.next.holders.map((h) => [String(h.index), bytesToHex(h.publicShare)])));
  });

  test('a certified reshare keyed to another Y is RESHARE_KEY_CHANGED and activates nothing', () => {
    const otherY = { ...params, groupKey: encodePoint(mulBase(31337n)) };
    const forged = forgeRecovery(otherY, hosts, dealAll(otherY, old, [1, 2, 4]));
    const log = reshareLog();
    const at = log.push({ ...entryOf(reshared.recoveryData), recoveryData: bytesToBase64(forged) });
    const { findings, state } = checkLeaves(log.leaves(), { now: T0 + DAY });
    expect(findings.map((f) => `${f.index} ${f.code}`)).toEqual([`${at} RESHARE_KEY_CHANGED`]);
    expect(state.registry?.epoch(2)?.groupKey).toBeUndefined();
  });
});
