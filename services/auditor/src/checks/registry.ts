/**
 * Registry checks (docs/PROTOCOL.md §4.2 `registry`): every structural problem is
 * reported, then the entry is judged by the shared acceptance rule
 * (@custodes/shared/rules judgeGenesis at index 0, judgeRegistryUpdate after)
 * — the rule the coordinator logs by and the custodians replicate by — and
 * the genesis is compared with pinned keys. A refused registry is not applied.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { allCustodians, registryProblems, RegistryView } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { judgeGenesis, judgeRegistryUpdate } from '@custodes/shared/rules';
import type { RegistryCode } from '@custodes/shared/rules';
import type { FindingCode } from '../findings';
import { rejected, short } from './context';
import type { Check, Context } from './context';
import { resolveInForce } from './epoch';

/** The finding for a refusal; BAD_REGISTRY is reported, problem by problem, by `registry.shape`. */
function findingOf(code: RegistryCode, genesis: boolean): FindingCode | undefined {
  switch (code) {
    case 'BAD_REGISTRY':
      return undefined;
    case 'REGISTRY_SEQUENCE':
      return genesis ? 'BAD_GENESIS' : 'BAD_REGISTRY';
    case 'REGISTRY_ORIGIN':
    case 'REGISTRY_LOG_KEY':
    case 'EPOCH_CHANGED':
      return 'BAD_REGISTRY';
    case 'UNKNOWN_CUSTODIAN':
      return 'UNKNOWN_CUSTODIAN';
    case 'BAD_SIGNATURE':
    case 'DUPLICATE_SIGNATURE':
    case 'MISSING_SIGNATURE':
    case 'INSUFFICIENT_SIGNATURES':
      return 'BAD_SIGNATURE';
  }
}

export const registryChecks: readonly Check<RegistryEntry>[] = [
  {
    name: 'registry.shape',
    run(entry, ctx) {
      for (const p of registryProblems(entry)) ctx.report('BAD_REGISTRY', `registry ${entry.sequence}: ${p}.`);
    },
  },
  {
    name: 'registry.accept',
    run(entry, ctx) {
      const genesis = ctx.index === 0;
      const previous = ctx.state.registry;
      if (!genesis && !previous) return; // no genesis: reported once at index 0
      const verdict = genesis ? judgeGenesis(entry) : judgeRegistryUpdate(entry, previous!.entry);
      if (verdict.ok) return;
      const code = findingOf(verdict.code, genesis);
      if (code) ctx.report(code, `${verdict.message}.`);
    },
  },
  {
    name: 'registry.pins',
    run(entry, ctx) {
      const pins = ctx.options.pinnedKeys;
      if (ctx.index !== 0 || !pins) return;
      if (entry.logKey !== pins.logKey) ctx.report('PIN_MISMATCH', `the genesis log key ${short(entry.logKey)}… is not the pinned ${short(pins.logKey)}….`);
      if (pins.logNoteKey !== undefined && entry.logNoteKey !== pins.logNoteKey) ctx.report('PIN_MISMATCH', `the genesis log note key ${short(entry.logNoteKey)}… is not the pinned ${short(pins.logNoteKey)}….`);
      if (pins.origin !== undefined && entry.origin !== pins.origin) ctx.report('PIN_MISMATCH', `the genesis origin "${entry.origin}" is not the pinned "${pins.origin}".`);
      const named = new Set([...allCustodians(entry).values()].map((c) => c.signingKey));
      const pinned = new Set(pins.custodianKeys);
      for (const k of named) if (!pinned.has(k)) ctx.report('PIN_MISMATCH', `the genesis registry names custodian key ${short(k)}… that is not pinned.`);
      for (const k of pinned) if (!named.has(k)) ctx.report('PIN_MISMATCH', `pinned custodian key ${short(k)}… is missing from the genesis registry.`);
    },
  },
];

export function applyRegistry(entry: RegistryEntry, ctx: Context): void {
  if (rejected(ctx)) return;
  if (ctx.index !== 0 && !ctx.state.registry) return;
  // The registry in force is the logged one with the epochs that logged DKGs activated (§3.8).
  ctx.state.logged = entry;
  ctx.state.registry = new RegistryView(entry, ctx.index);
  resolveInForce(ctx);
  ctx.state.registries.push(ctx.state.registry);
}
