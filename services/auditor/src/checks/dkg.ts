/**
 * `dkg` and `epoch` entries (docs/PROTOCOL.md §3.8): the same shared rules the
 * coordinator and the custodians apply (@custodes/shared/rules judgeDkgEntry,
 * judgeEpochEntry), and the registry in force resolved again when an epoch
 * entry activates a proposed epoch (resolveRegistry), so later requests and
 * releases are judged against the DKG key's quorum.
 */
import { RegistryView } from '@custodes/shared/records';
import type { DkgEntry, EpochEntry } from '@custodes/shared/records';
import { judgeDkgEntry, judgeEpochEntry, resolveRegistry } from '@custodes/shared/rules';
import type { Check, Context } from './context';

export const dkgChecks: readonly Check<DkgEntry>[] = [
  {
    name: 'dkg.signed',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const verdict = judgeDkgEntry(entry, reg.entry);
      if (verdict.ok) return;
      const code = verdict.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : verdict.code === 'UNKNOWN_CUSTODIAN' ? 'UNKNOWN_CUSTODIAN' : 'UNKNOWN_EPOCH';
      ctx.report(code, `${verdict.message}.`);
    },
  },
];

export const epochChecks: readonly Check<EpochEntry>[] = [
  {
    name: 'epoch.activates',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const verdict = judgeEpochEntry(entry, reg.entry);
      if (!verdict.ok) ctx.report('BAD_EPOCH', `${verdict.message}.`);
    },
  },
];

/** A valid epoch entry joins the state's list, and the registry in force is resolved again. */
export function applyEpoch(entry: EpochEntry, ctx: Context): void {
  const reg = ctx.state.registry;
  if (!reg || !judgeEpochEntry(entry, reg.entry).ok) return;
  ctx.state.epochEntries.push(entry);
  const raw = ctx.state.rawRegistry!;
  ctx.state.registry = new RegistryView(resolveRegistry(raw, ctx.state.epochEntries), reg.index);
}
