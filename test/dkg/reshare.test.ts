/**
 * Resharing with the same group key (docs/PROTOCOL.md §3.9): committee and
 * threshold changes keep Y and the secret, excluded and old holders cannot
 * take part in the new epoch, and recovery data rebuilds everything.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  combineAndOpen,
  createPartial,
  decodePoint,
  evaluationPoints,
  mulBase,
  parseEnvelope,
  parsePartial,
  scalarFromBytes,
  sealEnvelope,
} from '@custodes/shared/crypto';
import type { GroupPoint, ParsedPartial } from '@custodes/shared/crypto';
import { epochFromReshare, participantRecoverReshare, ReshareError } from '@custodes/shared/dkg';
import { openWithSharedPoint } from '../../shared/src/crypto/envelope';
import { combinePoints } from '../../shared/src/crypto/combine';
import { completeReshare, dealAll, dealerEpoch, hostKeys, interpolateSecret, paramsFor } from './reshareFixture';
import type { HeldEpoch } from './reshareFixture';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const LABEL = { subject: 'acct:alice@example.org', category: 'messages', time: 1764115200 };
const PLAINTEXT = new TextEncoder().encode('sealed before the reshare');

/** Every t-subset of `holders` interpolates to `secret` (TEST ONLY). */
function everySubsetGives(holders: HeldEpoch['holders'], t: number, secret: bigint): void {
  const subsets = (from: number, pick: number): number[][] =>
    pick === 0 ? [[]] : Array.from({ length: holders.length - from }, (_, k) => from + k).flatMap((i) => subsets(i + 1, pick - 1).map((s) => [i, ...s]));
  for (const s of subsets(0, t)) expect(interpolateSecret(s.map((k) => holders[k]!))).toBe(secret);
}

/** Partials of `holders` at their POINTS (combination is over points, §3.1). */
function partialsOf(env: ReturnType<typeof parseEnvelope>, holders: readonly HeldEpoch['holders'][number][]) {
  return holders.map((h) => createPartial(scalarFromBytes(h.share), h.point, env));
}

function sharesByPoint(epoch: HeldEpoch): Map<number, GroupPoint> {
  return new Map(epoch.holders.map((h) => [h.point, decodePoint(h.publicShare)]));
}

function reshare(old: HeldEpoch, newEpoch: number, t: number, newIndices: number[], dealers: number[]) {
  const hosts = hostKeys(newIndices);
  const params = paramsFor(old, newEpoch, t, hosts);
  const dealings = dealAll(params, old, dealers);
  return { hosts, params, dealings, ...completeReshare(params, hosts, dealings) };
}

describe('reshare: the group key and the secret stay', () => {
  const old = dealerEpoch(1, 3, 5);
  const secret = interpolateSecret(old.holders.slice(0, 3));

  it('3-of-5 → 3-of-4 without index 2: points are ranks, not indices', () => {
    const r = reshare(old, 2, 3, [1, 3, 4, 5], [1, 3, 4]);
    expect(hex(r.next.groupKey)).toBe(hex(old.groupKey));
    expect(r.next.holders.map((h) => [h.index, h.point])).toEqual([
      [1, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
    for (const h of r.next.holders) expect(hex(mulBase(scalarFromBytes(h.share)).toBytes(true))).toBe(hex(h.publicShare));
    everySubsetGives(r.next.holders, 3, secret);
    // Interpolating at the INDICES instead of the points gives another value.
    expect(interpolateSecret(r.next.holders.slice(1).map((h) => ({ point: h.index, share: h.share })))).not.toBe(secret);
  });

  it('3-of-5 → 4-of-7 with Q of exactly t_O dealers, and 3 new holders know nothing', () => {
    const r = reshare(old, 2, 4, [1, 2, 3, 4, 5, 6, 7], [2, 3, 5]);
    expect(r.received[0]!.qualified).toEqual([2, 3, 5]);
    expect(r.received[0]!.commitments).toHaveLength(4);
    everySubsetGives(r.next.holders, 4, secret);
    expect(interpolateSecret(r.next.holders.slice(0, 3))).not.toBe(secret);
  });

  it('a refresh of the same committee gives new shares of the same secret', () => {
    const r = reshare(old, 2, 3, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    everySubsetGives(r.next.holders, 3, secret);
    for (const [k, h] of r.next.holders.entries()) expect(hex(h.share)).not.toBe(hex(old.holders[k]!.share));
  });

  it('a chain 3-of-5 → 3-of-4 → 3-of-5 with gaps: λ over the dealers points, and the threshold can go down', () => {
    const a = reshare(old, 2, 3, [1, 3, 4, 5], [1, 3, 4, 5]);
    // Dealers 3, 4, 5 of epoch 2 sit at points 2, 3, 4.
    const b = reshare(a.next, 3, 3, [3, 4, 5, 6, 7], [3, 4, 5]);
    everySubsetGives(b.next.holders, 3, secret);
    const c = reshare(b.next, 4, 2, [6, 7, 9], [5, 6, 7]);
    everySubsetGives(c.next.holders, 2, secret);
    expect(hex(c.next.groupKey)).toBe(hex(old.groupKey));
  });

  it('recovery data gives everyone the public outcome and each new holder its share from the host key alone', () => {
    const r = reshare(old, 2, 3, [1, 3, 4, 5], [1, 4, 5]);
    const keys = epochFromReshare(r.recoveryData);
    expect(keys).toMatchObject({ oldEpoch: 1, epoch: 2, threshold: 3, oldThreshold: 3, indices: [1, 3, 4, 5], qualified: [1, 4, 5] });
    expect(keys.groupKey).toBe(hex(old.groupKey));
    expect(keys.publicShares).toEqual(r.next.holders.map((h) => hex(h.publicShare)));
    expect(keys.commitments).toEqual(r.received[0]!.commitments.map(hex));
    for (const h of r.next.holders) {
      const { received } = participantRecoverReshare(r.hosts.get(h.index)!, r.recoveryData);
      expect(hex(received.share)).toBe(hex(h.share));
      expect(received.index).toBe(h.index);
    }
    const stranger = Uint8Array.from(randomBytes(32));
    expect(() => participantRecoverReshare(stranger, r.recoveryData)).toThrow(expect.objectContaining({ code: 'HOST_SECKEY' }));
  });
});

describe('reshare: decryption in the new epoch', () => {
  const old = dealerEpoch(1, 3, 5);
  const env = parseEnvelope(sealEnvelope(PLAINTEXT, decodePoint(old.groupKey), 1, LABEL));
  const r = reshare(old, 2, 3, [1, 3, 4, 5], [1, 3, 4]);

  it('t new holders open an envelope sealed before the reshare (with the new X\' and λ over their points)', () => {
    const chosen = [r.next.holders[1]!, r.next.holders[3]!, r.next.holders[0]!];
    const partials = chosen.map((h) => createPartial(scalarFromBytes(h.share), h.index, env));
    const byIndex = new Map(r.next.holders.map((h) => [h.index, decodePoint(h.publicShare)]));
    // combineAndOpen takes the points from the whole key set: ranks 2, 4, 1 of {1, 3, 4, 5}.
    const opened = combineAndOpen(env, partials, 3, byIndex);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('sealed before the reshare');
    // λ over the indices (3, 5, 1) instead of the points (2, 4, 1): every proof holds, the key does not.
    const parsed = partials.map((p) => parsePartial(p)!);
    const asIndices = new Map(parsed.map((p) => [p.index, p.index] as const));
    expect(openWithSharedPoint(env, combinePoints(parsed, asIndices))).toBeNull();
    expect(openWithSharedPoint(env, combinePoints(parsed, evaluationPoints(r.next.holders.map((h) => h.index))))).not.toBeNull();
  });

  it('the excluded old holder with t − 1 new holders cannot open it, at any point it might claim', () => {
    const leaver = old.holders[1]!; // index 2, not in epoch 2
    const two = [r.next.holders[0]!, r.next.holders[2]!]; // points 1 and 3
    for (const claimed of [2, 4, 5, 6, 7]) {
      const parsed = partialsOf(env, [...two, { ...leaver, point: claimed }]).map((p) => parsePartial(p)!);
      expect(openWithSharedPoint(env, combinePoints(parsed, new Map(parsed.map((p) => [p.index, p.index] as const))))).toBeNull(); // partials named by point
    }
    // And the combiner blames it: its partial fails against every new public share.
    const withLeaver = partialsOf(env, [...two, { ...leaver, point: 2 }]);
    expect(() => combineAndOpen(env, withLeaver, 3, sharesByPoint(r.next))).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_PARTIALS' }));
  });

  it('old and new partials cannot be mixed', () => {
    const oldTwo = [old.holders[0]!, old.holders[1]!]; // points 1, 2 of epoch 1
    const newOne = r.next.holders[2]!; // point 3 of epoch 2
    const parsed: ParsedPartial[] = partialsOf(env, [...oldTwo, newOne]).map((p) => parsePartial(p)!);
    expect(openWithSharedPoint(env, combinePoints(parsed, new Map(parsed.map((p) => [p.index, p.index] as const))))).toBeNull(); // partials named by point
    const mixed = partialsOf(env, [old.holders[0]!, r.next.holders[1]!, r.next.holders[2]!]);
    expect(() => combineAndOpen(env, mixed, 3, sharesByPoint(r.next))).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_PARTIALS' }));
    // Old holders alone still open it: destroying old shares is the service's job (§3.9).
    expect(combineAndOpen(env, partialsOf(env, old.holders.slice(0, 3)), 3, sharesByPoint(old)).plaintext).toEqual(PLAINTEXT);
  });
});

describe('reshare: errors are typed', () => {
  it('ReshareError carries its code and blame', () => {
    const e = new ReshareError('BAD_SUBSHARE', 'x', { dealer: 3, participant: 4 });
    expect([e.code, e.dealer, e.participant, e.name]).toEqual(['BAD_SUBSHARE', 3, 4, 'ReshareError']);
  });
});
