/**
 * The registry update that restarts a failed DKG without the blamed custodians
 * (docs/PROTOCOL.md §3.8, Failures): the failed proposed epoch stays listed
 * (it never gets a key, so nothing uses it), and a new proposed epoch, one
 * above the highest listed, names the others with their host keys, which
 * keep their indices (any custodian may go: shares sit at ranks, §3.1);
 * t' defaults to the old t, lowered to n' when fewer remain, and must keep
 * n'/2 < t' ≤ n'.
 */
import type { RegistryEntry } from '@custodes/shared/records';
import { registryProblems } from '@custodes/shared/records';

type Unsigned = RegistryEntry;

export function restartWithout(current: RegistryEntry, epoch: number, exclude: readonly number[], opts: { threshold?: number; time: number }): Unsigned {
  const failed = current.epochs.find((e) => e.epoch === epoch);
  if (!failed) throw new RangeError(`the registry lists no epoch ${epoch}`);
  if (failed.groupKey !== undefined) throw new RangeError(`epoch ${epoch} is not a proposed epoch`);
  const custodians = failed.custodians.filter((c) => !exclude.includes(c.index));
  const threshold = opts.threshold ?? Math.min(failed.threshold, custodians.length);
  const next = Math.max(...current.epochs.map((e) => e.epoch)) + 1;
  const entry: Unsigned = {
    ...current,
    sequence: current.sequence + 1,
    epochs: [...current.epochs, { epoch: next, threshold, total: custodians.length, custodians }],
    time: opts.time,
    signatures: [],
  };
  const [problem] = registryProblems(entry);
  if (problem !== undefined) throw new RangeError(`the restart cannot be proposed: ${problem}`);
  return entry;
}
