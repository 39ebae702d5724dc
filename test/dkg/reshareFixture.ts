/**
 * Test driver for resharing (docs/PROTOCOL.md §3.9): an old epoch with its
 * shares (the dealer ceremony, or a previous reshare), new committees with
 * host keys, and a full run through deal → receive → certificate → recovery
 * data. Secrets of every party sit in one place here only because this is a
 * test; the interpolation helpers exist to prove the group secret is kept.
 */
import { randomBytes } from 'node:crypto';
import { concatBytes, dealShares, encodePoint, mulBase, scalarFromBytes, scalarToBytes, taggedHash, u32 } from '@custodes/shared/crypto';
import { dealReshare, hostpubkeyGen, reshareAckSign, receiveReshare, reshareRecoveryData, uuidBytes } from '@custodes/shared/dkg';
import type { ReshareParams, ReshareReceived } from '@custodes/shared/dkg';
import { modN } from '../../shared/src/crypto/group';
import { lagrangeCoefficients } from '../../shared/src/crypto/combine';
import { certeqSign } from '../../shared/src/dkg/certeq';

/** An epoch as the tests hold it: every custodian's index, rank point, share and public share. */
export interface HeldEpoch {
  readonly epoch: number;
  readonly threshold: number;
  readonly groupKey: Uint8Array;
  /** C_0 … C_{t−1} (ser33). */
  readonly commitments: readonly Uint8Array[];
  readonly holders: readonly { index: number; point: number; share: Uint8Array; publicShare: Uint8Array }[];
}

export const SESSION = '0f3c2a8e-5b7d-4c1e-9a2b-3d4e5f607182';

/**
 * A t-of-n epoch from the dealer ceremony: f(k) goes to the custodian of
 * rank k among `indices` (ascending; default 1..n, where points = indices).
 */
export function dealerEpoch(epoch: number, t: number, n: number, indices: readonly number[] = Array.from({ length: n }, (_, k) => k + 1)): HeldEpoch {
  const c = dealShares(t, n);
  return {
    epoch,
    threshold: t,
    groupKey: encodePoint(c.commitments[0]!),
    commitments: c.commitments.map(encodePoint),
    holders: c.shares.map((s, k) => ({ index: indices[k]!, point: k + 1, share: scalarToBytes(s), publicShare: encodePoint(mulBase(s)) })),
  };
}

/** Host secret keys for indices (fixed per index within a test file run). */
export function hostKeys(indices: readonly number[]): Map<number, Uint8Array> {
  return new Map(indices.map((i) => [i, Uint8Array.from(randomBytes(32))]));
}

export function paramsFor(old: HeldEpoch, newEpoch: number, t: number, hosts: ReadonlyMap<number, Uint8Array>, session = SESSION): ReshareParams {
  return {
    oldEpoch: old.epoch,
    newEpoch,
    session: uuidBytes(session),
    oldThreshold: old.threshold,
    newThreshold: t,
    groupKey: old.groupKey,
    oldCommittee: old.holders.map((h) => ({ index: h.index, publicShare: h.publicShare })),
    newCommittee: [...hosts.keys()].sort((a, b) => a - b).map((index) => ({ index, hostKey: hostpubkeyGen(hosts.get(index)!) })),
  };
}

/** Dealings of the given old custodians, ascending by index. */
export function dealAll(params: ReshareParams, old: HeldEpoch, dealers: readonly number[]): Uint8Array[] {
  return [...dealers]
    .sort((a, b) => a - b)
    .map((i) => dealReshare(params, old.holders.find((h) => h.index === i)!.share, i, Uint8Array.from(randomBytes(32))));
}

/** Every new custodian receives, signs; returns the recovery data, the new epoch as held, and each receiver's output. */
export function completeReshare(
  params: ReshareParams,
  hosts: ReadonlyMap<number, Uint8Array>,
  dealings: readonly Uint8Array[],
): { recoveryData: Uint8Array; next: HeldEpoch; received: ReshareReceived[] } {
  const indices = params.newCommittee.map((c) => c.index);
  const received = indices.map((i) => receiveReshare(params, hosts.get(i)!, dealings));
  const sigs = indices.map((i) => reshareAckSign(params, hosts.get(i)!, dealings, Uint8Array.from(randomBytes(32))));
  const recoveryData = reshareRecoveryData(params, dealings, sigs);
  const next: HeldEpoch = {
    epoch: params.newEpoch,
    threshold: params.newThreshold,
    groupKey: received[0]!.groupKey,
    commitments: received[0]!.commitments,
    holders: received.map((r, k) => ({ index: r.index, point: r.point, share: r.share, publicShare: r.publicShares[k]! })),
  };
  return { recoveryData, next, received };
}

/** TEST ONLY: f(0) from the shares of `holders` at their points (Lagrange at 0). */
export function interpolateSecret(holders: readonly { point: number; share: Uint8Array }[]): bigint {
  const lambdas = lagrangeCoefficients(holders.map((h) => h.point));
  return holders.reduce((acc, h) => modN(acc + lambdas.get(h.point)! * scalarFromBytes(h.share)), 0n);
}

/**
 * Recovery data assembled from the §3.9 byte formats and signed by every new
 * host key WITHOUT the checks reshareRecoveryData makes: for tests of the
 * checks that must still refuse data with a valid certificate.
 */
export function forgeRecovery(params: ReshareParams, hosts: ReadonlyMap<number, Uint8Array>, dealings: readonly Uint8Array[]): Uint8Array {
  const paramsBytes = concatBytes(
    u32(params.oldEpoch),
    u32(params.newEpoch),
    params.session,
    Uint8Array.of(params.oldThreshold, params.newThreshold),
    params.groupKey,
    Uint8Array.of(params.oldCommittee.length),
    ...params.oldCommittee.flatMap((c) => [Uint8Array.of(c.index), c.publicShare]),
    Uint8Array.of(params.newCommittee.length),
    ...params.newCommittee.flatMap((c) => [Uint8Array.of(c.index), c.hostKey]),
  );
  const ctx = taggedHash('custodes/v1/reshare', paramsBytes);
  const x = taggedHash('custodes/v1/reshare transcript', ctx, Uint8Array.of(dealings.length), ...dealings);
  const sigs = params.newCommittee.map((c, k) => certeqSign('reshare-certificate', hosts.get(c.index)!, k, x, Uint8Array.from(randomBytes(32))));
  return concatBytes(paramsBytes, Uint8Array.of(dealings.length), ...dealings, ...sigs);
}
