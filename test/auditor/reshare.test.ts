/**
 * The auditor on an epoch made by resharing (docs/PROTOCOL.md §3.9, §8.8): a
 * dealer epoch 1 (3 of 1..5), a registry update proposing epoch 2 as a
 * reshare of 1 without custodian 2 (indices 1, 3, 4, 5: points ≠ indices),
 * and the epoch entry. Zero findings; the public shares the auditor proves
 * sit at each custodian's rank; a reshare keyed to another Y is reported.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { bytesToBase64, bytesToHex, encodePoint, mulBase, scalarToBytes } from '@custodes/shared/crypto';
import { epochFromReshare, hostpubkeyGen } from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { checkLeaves, provenEpochKeys } from '@custodes/auditor';
import { completeReshare, dealAll, forgeRecovery, paramsFor } from '../dkg/reshareFixture';
import type { HeldEpoch } from '../dkg/reshareFixture';
import { DAY, LogBuilder, makeKeys, T0 } from './scenario';

const SESSION = '00000000-0000-4000-8000-0000000e5a4e';
const keys = makeKeys();
const NEW = [1, 3, 4, 5];
const hosts = new Map(NEW.map((i) => [i, Uint8Array.from(randomBytes(32))] as const));

const old: HeldEpoch = {
  epoch: 1,
  threshold: 3,
  groupKey: encodePoint(keys.ceremony.commitments[0]!),
  commitments: keys.ceremony.commitments.map(encodePoint),
  holders: keys.ceremony.shares.map((s, k) => ({ index: k + 1, point: k + 1, share: scalarToBytes(s), publicShare: encodePoint(mulBase(s)) })),
};
const params = paramsFor(old, 2, 3, hosts, SESSION);
const reshared = completeReshare(params, hosts, dealAll(params, old, [1, 2, 4]));

/** The dealer log, then an update (signed by custodians 1, 2, 3 of epoch 1) proposing epoch 2 as a reshare of epoch 1. */
function reshareLog(): LogBuilder {
  const log = new LogBuilder(keys, T0);
  const genesis = log.entries[0] as RegistryEntry;
  const e1 = genesis.epochs[0]!;
  const e2 = {
    epoch: 2,
    threshold: 3,
    total: NEW.length,
    reshareOf: 1,
    custodians: e1.custodians.filter((c) => NEW.includes(c.index)).map((c) => ({ ...c, hostKey: bytesToHex(hostpubkeyGen(hosts.get(c.index)!)) })),
  };
  const body: RegistryEntry = { ...genesis, sequence: 1, epochs: [e1, e2], time: T0 + 60, signatures: [] };
  log.push({ ...body, signatures: [1, 2, 3].map((i) => ({ custodian: i, signature: signRecord(body, 'registry', keys.custodians[i - 1]!.secret) })) });
  return log;
}

function entryOf(recoveryData: Uint8Array): EpochEntry {
  const k = epochFromReshare(recoveryData);
  return { type: 'epoch', epoch: 2, session: SESSION, groupKey: k.groupKey, commitments: [...k.commitments], recoveryData: bytesToBase64(recoveryData), time: T0 + 120 };
}

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
