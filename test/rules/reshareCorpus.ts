/**
 * A reshare chain for the rules tests and the explorer's port (docs/PROTOCOL.md
 * §3.9): dealer epoch 1 (3 of 1..5), epoch 2 a reshare of 1 into 1, 3, 4, 5
 * (points ≠ indices), epoch 3 a reshare of 2 into 3..7; one registry lists
 * them all, and e2, e3 are their valid epoch entries, made by a real reshare.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64, bytesToHex, encodePoint, hexToBytes, mulBase } from '@custodes/shared/crypto';
import { epochFromReshare, hostpubkeyGen, uuidBytes } from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { EpochEntry, LogEntry, RegistryEntry, ShareDestroyedEntry } from '@custodes/shared/records';
import type { ShareDestroyedCode } from '@custodes/shared/rules';
import { completeReshare, dealAll, dealerEpoch, forgeRecovery } from '../dkg/reshareFixture';
import type { HeldEpoch } from '../dkg/reshareFixture';
import { custodianKeys, epochOf, signAs, unsignedRegistry } from './corpus';
import type { EpochEntryCase } from './corpus';

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
  [1, 2, 3, 4, 5, 6, 7],
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

// ## Agreement cases (test/rules/agreement.test.ts): every party on reshare `epoch` and `share-destroyed` entries

/** The cases' registry with `over` in place of its epoch of the same number, signed again by every custodian it lists. */
function registryWith(...over: RegistryEntry['epochs'][number][]): RegistryEntry {
  const epochs = registry.epochs.map((e) => over.find((o) => o.epoch === e.epoch) ?? e);
  const extra = over.filter((o) => !registry.epochs.some((e) => e.epoch === o.epoch));
  return signAs({ ...unsignedRegistry(0, []), epochs: [...epochs, ...extra] }, [1, 2, 3, 4, 5, 6, 7]);
}

const reflipped = (at: number): string => {
  const b = r2.recoveryData.slice();
  b[(b.length + at) % b.length]! ^= 1;
  return bytesToBase64(b);
};

/** Dealer 2's dealing with C_{2,0} moved off X_2, certified by every new custodian. */
function constantMoved(): string {
  const dealings = dealAll(p2, old, [1, 2, 4]);
  const moved = dealings[1]!.slice();
  moved.set(encodePoint(mulBase(777n)), 34); // after u8(i) ‖ pubnonce (33)
  return bytesToBase64(forgeRecovery(p2, hostSecrets, [dealings[0]!, moved, dealings[2]!]));
}

const otherY = { ...p2, groupKey: encodePoint(mulBase(4242n)) };
const stranger = dealerEpoch(1, 3, 5);
const strangerParams = paramsOf(stranger, 2, 3, [1, 3, 4, 5], SESSION);

export const reshareEpochEntryCases: readonly EpochEntryCase[] = [
  { name: 'reshare: a valid reshare 1 → 2', expected: 'ok', head: [registry], entry: e2 },
  { name: 'reshare: a valid reshare 2 → 3 after 2', expected: 'ok', head: [registry, e2], entry: e3 },
  { name: 'reshare: OLD_EPOCH_NOT_ACTIVE (3 before 2)', expected: 'OLD_EPOCH_NOT_ACTIVE', head: [registry], entry: e3 },
  { name: 'reshare: OLD_EPOCH_SUPERSEDED (a second reshare of 1)', expected: 'OLD_EPOCH_SUPERSEDED', head: [registryWith(proposedListing(4, 3, [1, 3, 4, 5], 1)), e2], entry: { ...e2, epoch: 4 } },
  { name: 'reshare: BAD_RECOVERY_DATA (a certificate byte flipped)', expected: 'BAD_RECOVERY_DATA', head: [registry], entry: { ...e2, recoveryData: reflipped(-3) } },
  { name: 'reshare: DEALING_CONSTANT_MISMATCH', expected: 'DEALING_CONSTANT_MISMATCH', head: [registry], entry: { ...e2, recoveryData: constantMoved() } },
  { name: 'reshare: GROUP_KEY_CHANGED', expected: 'GROUP_KEY_CHANGED', head: [registry], entry: { ...e2, recoveryData: bytesToBase64(forgeRecovery(otherY, hostSecrets, dealAll(otherY, old, [1, 2, 4]))) } },
  { name: 'reshare: SESSION_MISMATCH', expected: 'SESSION_MISMATCH', head: [registry], entry: { ...e2, session: SESSION3 } },
  { name: 'reshare: OLD_EPOCH_MISMATCH (another epoch 1)', expected: 'OLD_EPOCH_MISMATCH', head: [registry], entry: entryOf(forgeRecovery(strangerParams, hostSecrets, dealAll(strangerParams, stranger, [1, 2, 3])), 2, SESSION) },
  { name: 'reshare: THRESHOLD_MISMATCH', expected: 'THRESHOLD_MISMATCH', head: [registryWith(proposedListing(2, 4, [1, 3, 4, 5], 1))], entry: e2 },
  { name: 'reshare: HOST_KEYS_MISMATCH (another index set)', expected: 'HOST_KEYS_MISMATCH', head: [registryWith(proposedListing(2, 3, [1, 3, 4, 6], 1))], entry: e2 },
  { name: 'reshare: GROUP_KEY_MISMATCH', expected: 'GROUP_KEY_MISMATCH', head: [registry], entry: { ...e2, groupKey: e2.commitments[1]! } },
  { name: 'reshare: COMMITMENTS_MISMATCH', expected: 'COMMITMENTS_MISMATCH', head: [registry], entry: { ...e2, commitments: [e2.commitments[0]!, e2.commitments[2]!, e2.commitments[1]!] } },
];

/** Custodian `custodian`'s statement for epoch `epoch`, signed by `signer` (its own key unless given). */
export function destroyedBy(custodian: number, over: { epoch?: number; successor?: number; signer?: number } = {}): ShareDestroyedEntry {
  const body = { type: 'share-destroyed' as const, epoch: over.epoch ?? 1, successor: over.successor ?? 2, custodian, time: e2.time + 60 };
  return { ...body, signature: signRecord(body, 'share-destroyed', (custodianKeys.get(over.signer ?? custodian) ?? custodianKeys.get(9)!).secretKey) };
}

export interface ShareDestroyedCase {
  readonly name: string;
  /** 'ok', or the shared rule's ShareDestroyedCode (judgeShareDestroyed). */
  readonly expected: ShareDestroyedCode | 'ok';
  readonly head: readonly LogEntry[];
  readonly entry: ShareDestroyedEntry;
}

export const shareDestroyedCases: readonly ShareDestroyedCase[] = [
  { name: 'a statement after the successor’s epoch entry', expected: 'ok', head: [registry, e2], entry: destroyedBy(2) },
  { name: 'NOT_SUPERSEDED: before the successor’s epoch entry', expected: 'NOT_SUPERSEDED', head: [registry], entry: destroyedBy(2) },
  { name: 'NOT_SUPERSEDED: naming another successor', expected: 'NOT_SUPERSEDED', head: [registry, e2], entry: destroyedBy(2, { successor: 3 }) },
  { name: 'UNKNOWN_EPOCH', expected: 'UNKNOWN_EPOCH', head: [registry, e2], entry: destroyedBy(2, { epoch: 9 }) },
  { name: 'UNKNOWN_CUSTODIAN: custodian 7 held no share of epoch 1', expected: 'UNKNOWN_CUSTODIAN', head: [registry, e2], entry: destroyedBy(7) },
  { name: 'BAD_SIGNATURE: custodian 2’s statement signed by 3', expected: 'BAD_SIGNATURE', head: [registry, e2], entry: destroyedBy(2, { signer: 3 }) },
];
