/**
 * A log with an epoch made by resharing (docs/PROTOCOL.md §3.9), built
 * in-test: the dealer scenario's epoch 1 (3 of 1..5), a registry update
 * proposing epoch 2 as its reshare without custodian 2 (indices 1, 3, 4, 5:
 * points ≠ indices), and the reshare's valid `epoch` entry (entryOf). No
 * share-destroyed statements: a test adds them, or leaves them missing.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64, bytesToHex, encodePoint, mulBase, scalarToBytes } from '@custodes/shared/crypto';
import { epochFromReshare, hostpubkeyGen } from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { completeReshare, dealAll, paramsFor } from '../dkg/reshareFixture';
import type { HeldEpoch } from '../dkg/reshareFixture';
import { LogBuilder, makeKeys, T0 } from './scenario';

export const SESSION = '00000000-0000-4000-8000-0000000e5a4e';
export const keys = makeKeys();
export const NEW = [1, 3, 4, 5];
export const hosts = new Map(NEW.map((i) => [i, Uint8Array.from(randomBytes(32))] as const));

export const old: HeldEpoch = {
  epoch: 1,
  threshold: 3,
  groupKey: encodePoint(keys.ceremony.commitments[0]!),
  commitments: keys.ceremony.commitments.map(encodePoint),
  holders: keys.ceremony.shares.map((s, k) => ({ index: k + 1, point: k + 1, share: scalarToBytes(s), publicShare: encodePoint(mulBase(s)) })),
};
export const params = paramsFor(old, 2, 3, hosts, SESSION);
export const reshared = completeReshare(params, hosts, dealAll(params, old, [1, 2, 4]));

/** The dealer log, then an update (signed by custodians 1, 2, 3 of epoch 1) proposing epoch 2 as a reshare of epoch 1. */
export function reshareLog(): LogBuilder {
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

export function entryOf(recoveryData: Uint8Array): EpochEntry {
  const k = epochFromReshare(recoveryData);
  return { type: 'epoch', epoch: 2, session: SESSION, groupKey: k.groupKey, commitments: [...k.commitments], recoveryData: bytesToBase64(recoveryData), time: T0 + 120 };
}

