/**
 * A reshare chain for the rules tests and the explorer's port (docs/PROTOCOL.md
 * §3.9): dealer epoch 1 (3 of 1..5), epoch 2 a reshare of 1 into 1, 3, 4, 5
 * (points ≠ indices), epoch 3 a reshare of 2 into 3..7; one registry lists
 * them all, and e2, e3 are their valid epoch entries, made by a real reshare.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64, bytesToHex, hexToBytes } from '@custodes/shared/crypto';
import { epochFromReshare, hostpubkeyGen, uuidBytes } from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';
import type { EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { completeReshare, dealAll, dealerEpoch } from '../dkg/reshareFixture';
import type { HeldEpoch } from '../dkg/reshareFixture';
import { epochOf, signAs, unsignedRegistry } from './corpus';

export const SESSION = '00000000-0000-4000-8000-0000000000e2';
export const SESSION3 = '00000000-0000-4000-8000-0000000000e3';
export const hostSecrets = new Map([1, 2, 3, 4, 5, 6, 7].map((i) => [i, Uint8Array.from(randomBytes(32))] as const));
export const hostKey = (i: number) => bytesToHex(hostpubkeyGen(hostSecrets.get(i)!));

export const old = dealerEpoch(1, 3, 5);

/** The registry's listing of a held (dealer) epoch: its real commitments. */
export function activeListing(epoch: HeldEpoch, commitments: readonly string[]): RegistryEntry['epochs'][number] {
  const base = epochOf({ epoch: epoch.epoch, threshold: epoch.threshold, custodians: epoch.holders.map((h) => h.index) });
  return { ...base, groupKey: commitments[0]!, commitments: [...commitments] };
}

export function proposedListing(epoch: number, t: number, indices: number[], reshareOf?: number): RegistryEntry['epochs'][number] {
  const base = epochOf({ epoch, threshold: t, custodians: indices, proposed: true, ...(reshareOf === undefined ? {} : { reshareOf }) });
  return { ...base, custodians: base.custodians.map((c) => ({ ...c, hostKey: hostKey(c.index) })) };
}

export const oldCommitments = old.commitments.map(bytesToHex);

export const registry = signAs(
  { ...unsignedRegistry(0, []), epochs: [activeListing(old, oldCommitments), proposedListing(2, 3, [1, 3, 4, 5], 1), proposedListing(3, 3, [3, 4, 5, 6, 7], 2)] },
  [1, 2, 3, 4, 5],
);

export function paramsOf(from: HeldEpoch, to: number, t: number, indices: number[], session: string): ReshareParams {
  return {
    oldEpoch: from.epoch,
    newEpoch: to,
    session: uuidBytes(session),
    oldThreshold: from.threshold,
    newThreshold: t,
    groupKey: from.groupKey,
    oldCommittee: from.holders.map((h) => ({ index: h.index, publicShare: h.publicShare })),
    newCommittee: indices.map((index) => ({ index, hostKey: hexToBytes(hostKey(index), 33) })),
  };
}

export function entryOf(recoveryData: Uint8Array, epoch: number, session: string, over: Partial<EpochEntry> = {}): EpochEntry {
  const keys = epochFromReshare(recoveryData);
  return { type: 'epoch', epoch, session, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time: 1_800_000_000, ...over };
}

export const p2 = paramsOf(old, 2, 3, [1, 3, 4, 5], SESSION);
export const r2 = completeReshare(p2, hostSecrets, dealAll(p2, old, [1, 2, 4]));
export const e2 = entryOf(r2.recoveryData, 2, SESSION);
export const p3 = paramsOf(r2.next, 3, 3, [3, 4, 5, 6, 7], SESSION3);
export const r3 = completeReshare(p3, hostSecrets, dealAll(p3, r2.next, [3, 4, 5]));
export const e3 = entryOf(r3.recoveryData, 3, SESSION3);
