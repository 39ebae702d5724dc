/**
 * Evaluation points (docs/PROTOCOL.md §3.1): where each custodian's share of
 * an epoch sits on the epoch's polynomial.
 *
 * A custodian's index is its identity across epochs (§4.2: approvals,
 * releases and cosignatures name it), but an epoch's shares are evaluated at
 * the custodians' RANKS: the custodian with the k-th smallest index of the
 * epoch holds f(k). ChillDKG places participant p (0-based, host keys in
 * index order) at p + 1, which is exactly its rank; a reshare (§3.9) deals to
 * the new committee's ranks. For an epoch whose indices are 1..n (every
 * dealer epoch, and every epoch before this rule), rank = index, so nothing
 * written earlier changes. With ranks, an epoch may leave out any custodian
 * (a DKG restart without a blamed one, a reshare without a leaver) and keep
 * everyone else's index.
 *
 * Pure and public: anyone who knows an epoch's custodian indices computes
 * the same points, so no record carries them.
 */
import { ProtocolError } from '../errors';
import { MAX_CUSTODIANS } from './shares';

/** Index → evaluation point (its 1-based rank) for the epoch whose custodian indices are `indices` (any order, distinct, each in [1, 255]). */
export function evaluationPoints(indices: Iterable<number>): Map<number, number> {
  if (typeof indices !== 'object' || indices === null || typeof (indices as Partial<Iterable<number>>)[Symbol.iterator] !== 'function') {
    throw new TypeError('indices must be an iterable of integers');
  }
  const list = [...indices];
  const seen = new Set<number>();
  for (const i of list) {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError('indices must be integers');
    if (i < 1 || i > MAX_CUSTODIANS) throw new RangeError(`index must be in [1, ${MAX_CUSTODIANS}], got ${i}`);
    if (seen.has(i)) throw new ProtocolError('DUPLICATE_INDEX', `index ${i} appears more than once`);
    seen.add(i);
  }
  return new Map([...list].sort((a, b) => a - b).map((index, rank) => [index, rank + 1] as const));
}
