/**
 * The registry update that moves an active epoch's key to a new committee
 * (docs/PROTOCOL.md §3.9): a new proposed epoch, one above the highest listed,
 * with `reshareOf` the old epoch, its custodians the old ones minus `remove`
 * plus `add` (each with its host key), and threshold t' (default the old t,
 * lowered to n' when fewer remain). Custodians keep their indices; shares sit
 * at ranks (§3.1). Signed as any update (t reviewers), then run like a DKG
 * (`custodes coordinator dkg start --epoch E`). `current` is the registry as
 * logged: a DKG epoch is listed there as proposed even once a logged `epoch`
 * entry activated it, so whether `from` is active is the coordinator's check
 * when the reshare starts (409 if not).
 */
import type { RegistryEntry } from '@custodes/shared/records';
import { registryProblems } from '@custodes/shared/records';

type RegistryCustodian = RegistryEntry['epochs'][number]['custodians'][number];

export interface ReshareProposal {
  readonly from: number;
  readonly remove?: readonly number[];
  readonly add?: readonly RegistryCustodian[];
  readonly threshold?: number;
  readonly time: number;
}

export function proposeReshare(current: RegistryEntry, opts: ReshareProposal): RegistryEntry {
  const old = current.epochs.find((e) => e.epoch === opts.from);
  if (!old) throw new RangeError(`the registry lists no epoch ${opts.from}`);
  const remove = new Set(opts.remove ?? []);
  for (const i of remove) if (!old.custodians.some((c) => c.index === i)) throw new RangeError(`custodian ${i} is not a custodian of epoch ${opts.from}`);
  const custodians = [...old.custodians.filter((c) => !remove.has(c.index)), ...(opts.add ?? [])].sort((a, b) => a.index - b.index);
  const missingHostKey = custodians.find((c) => c.hostKey === undefined);
  if (missingHostKey) throw new RangeError(`custodian ${missingHostKey.index} has no host key: run \`custodes custodian dkg hostkey\` on its node and add it to the registry first`);
  const threshold = opts.threshold ?? Math.min(old.threshold, custodians.length);
  const next = Math.max(...current.epochs.map((e) => e.epoch)) + 1;
  const entry: RegistryEntry = {
    ...current,
    sequence: current.sequence + 1,
    epochs: [...current.epochs, { epoch: next, threshold, total: custodians.length, custodians, reshareOf: opts.from }],
    time: opts.time,
    signatures: [],
  };
  const [problem] = registryProblems(entry);
  if (problem !== undefined) throw new RangeError(`the reshare cannot be proposed: ${problem}`);
  return entry;
}
