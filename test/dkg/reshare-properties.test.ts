/**
 * Resharing, property-tested (docs/PROTOCOL.md §3.9): for random old and new
 * committees (index gaps anywhere, thresholds up and down, overlapping or
 * disjoint) and a random Q of at least t_O dealers, the group key is kept,
 * every new public share is its share's point, t_N new shares give the old
 * secret and t_N − 1 do not, and the recovery data rebuilds the same epoch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, mulBase, scalarFromBytes } from '@custodes/shared/crypto';
import { epochFromReshare } from '@custodes/shared/dkg';
import { completeReshare, dealAll, dealerEpoch, hostKeys, interpolateSecret, paramsFor } from './reshareFixture';

/** A committee: 1–6 distinct indices out of 1..12, ascending, and a threshold n/2 < t ≤ n (§3.1). */
const committee = fc
  .uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 })
  .map((xs) => [...xs].sort((a, b) => a - b))
  .chain((indices) => fc.record({ indices: fc.constant(indices), t: fc.integer({ min: Math.floor(indices.length / 2) + 1, max: indices.length }) }));

describe('reshare properties', () => {
  it('keeps Y and the secret for any committees and any Q of ≥ t_O dealers', () => {
    fc.assert(
      fc.property(
        committee,
        committee,
        fc.infiniteStream(fc.boolean()),
        (o, nw, picks) => {
          const old = dealerEpoch(4, o.t, o.indices.length, o.indices);
          const secret = interpolateSecret(old.holders.slice(0, o.t));
          // Q: the first t_O old custodians plus any others the stream picks.
          const extra = o.indices.slice(o.t).filter(() => picks.next().value as boolean);
          const dealers = [...o.indices.slice(0, o.t), ...extra];
          const hosts = hostKeys(nw.indices);
          const params = paramsFor(old, 9, nw.t, hosts);
          const { recoveryData, next } = completeReshare(params, hosts, dealAll(params, old, dealers));
          expect(bytesToHex(next.groupKey)).toBe(bytesToHex(old.groupKey));
          for (const h of next.holders) expect(bytesToHex(mulBase(scalarFromBytes(h.share)).toBytes(true))).toBe(bytesToHex(h.publicShare));
          expect(interpolateSecret(next.holders.slice(-nw.t))).toBe(secret);
          if (nw.t > 1) expect(interpolateSecret(next.holders.slice(0, nw.t - 1))).not.toBe(secret);
          const keys = epochFromReshare(recoveryData);
          expect(keys.publicShares).toEqual(next.holders.map((h) => bytesToHex(h.publicShare)));
          expect(keys.qualified).toEqual([...dealers].sort((a, b) => a - b));
        },
      ),
      { numRuns: 25 },
    );
  });
});
