/**
 * The agreement test: one corpus (test/rules/corpus.ts) fed to the real entry
 * points of the coordinator, a custodian, the auditor and the explorer's
 * browser port (test/rules/parties.ts). For every registry they must agree on
 * accept or refuse and on the epoch in force; for every warrant on its
 * status; for every request on whether it may be served, and why not.
 * For every `epoch` entry they must agree on whether it activates its epoch and
 * on the key then in force, and for every `dkg` entry on whether it may stand,
 * naming the shared rule's code where they name one (docs/PROTOCOL.md §3.8).
 * A disagreement is a split between parties of one log (STYLE.md, "Shapes
 * that hurt": one rule written in several services).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { judgeDkgEntry, judgeEpochEntry, judgeShareDestroyed, resolveRegistry } from '@custodes/shared/rules';
import { dkgEntryCases, epochCases, epochEntryCases, registryCases, releaseCases, retirementCases, revocationCases, warrantCases } from './corpus';
import { parties, removeCustodianStores } from './parties';
import { reshareEpochEntryCases, shareDestroyedCases } from './reshareCorpus';
import type { EntryVerdict, PartyAdapter } from './parties';

afterAll(() => removeCustodianStores());

/** Every party's verdict, and whether they are all the same. */
async function verdicts(ask: (p: PartyAdapter) => Promise<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of parties) out[p.name] = await ask(p);
  return out;
}

/** Every party gives the same verdict, and it is the stated policy's (so agreeing on a wrong answer fails too). */
function expectAgreement(v: Record<string, string>, expected?: string): void {
  expect(new Set(Object.values(v)).size, JSON.stringify(v)).toBe(1);
  if (expected !== undefined) expect(Object.values(v)[0], JSON.stringify(v)).toBe(expected);
}

describe('agreement: registry acceptance (docs/PROTOCOL.md §4.2)', () => {
  it.each(registryCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expectAgreement(await verdicts((p) => p.judgeRegistry(c)), c.expected);
  });
});

describe('agreement: the epoch in force (its t and custodians)', () => {
  it.each(epochCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expectAgreement(await verdicts((p) => p.epochInForce(c.registry)), c.expected);
  });
});

describe('agreement: warrant status', () => {
  it.each(warrantCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expectAgreement(await verdicts((p) => p.warrantStatus(c)), c.expected.status);
  });
});

describe('agreement: request admissibility', () => {
  it.each(warrantCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expectAgreement(await verdicts((p) => p.admissibility(c)), c.expected.admissible);
  });
});

describe('agreement: who may sign a release (shared/src/rules/releases.ts)', () => {
  it.each(releaseCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const v: Record<string, string> = {};
    // The explorer shows releases but judges none (no release rule to port).
    for (const p of parties) if (p.judgeRelease) v[p.name] = await p.judgeRelease(c);
    expect(Object.keys(v)).toEqual(['coordinator', 'custodian', 'auditor']);
    expectAgreement(v, c.expected);
  });
});

describe('agreement: who may sign a revocation (shared/src/rules/revocations.ts)', () => {
  it.each(revocationCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const log: Record<string, string> = {};
    const warrant: Record<string, string> = {};
    for (const p of parties) {
      const v = await p.judgeRevocation(c);
      if (v.log) log[p.name] = v.log;
      if (v.warrant) warrant[p.name] = v.warrant;
    }
    // From the cover sheet: the custodians' replicas, the auditor, the explorer. Knowing the warrant: the coordinator's
    // intake, a custodian taking a direct post, the auditor after unseal.
    expect(Object.keys(log)).toEqual(['custodian', 'auditor', 'explorer']);
    expect(Object.keys(warrant)).toEqual(['coordinator', 'custodian', 'auditor']);
    expectAgreement(log, c.expected.log);
    expectAgreement(warrant, c.expected.warrant);
  });
});

describe('agreement: epoch entries, by DKG and by reshare (shared/src/rules/dkgEpochs.ts judgeEpochEntry, resolveRegistry)', () => {
  it.each([...epochEntryCases, ...reshareEpochEntryCases].map((c) => [c.name, c] as const))('%s', async (_, c) => {
    // The spec is the shared rule: the case's code is its verdict against the registry in force before the entry.
    const before = resolveRegistry(c.head[0] as RegistryEntry, c.head.slice(1) as EpochEntry[]);
    const shared = judgeEpochEntry(c.entry, before);
    expect(shared.ok ? 'ok' : shared.code).toBe(c.expected);
    const answers = new Map<string, EntryVerdict>();
    for (const p of parties) answers.set(p.name, await p.judgeEpochEntry(c));
    const inForce = c.expected === 'ok' ? c.entry.groupKey : c.expected === 'UNKNOWN_EPOCH' ? 'unlisted' : (before.epochs.find((e) => e.epoch === c.entry.epoch)?.groupKey ?? 'no key');
    expectAgreement(Object.fromEntries([...answers].map(([n, a]) => [n, a.verdict])), `${c.expected === 'ok' ? 'accept' : 'refuse'}; epoch ${c.entry.epoch}: ${inForce}`);
    // Where a party names its refusal, it names the shared code (the auditor's findings each cover one or two).
    for (const [name, a] of answers) if (a.codes !== undefined) expect(a.codes.split('|'), name).toContain(c.expected);
    if (c.expected !== 'ok') expect(answers.get('auditor')!.codes, 'the auditor reports a finding').toBeDefined();
    if (c.expected !== 'ok' && c.expected !== 'UNKNOWN_EPOCH') expect(answers.get('explorer')!.codes, 'the explorer shows the refusal').toBeDefined();
  });
});

describe('agreement: dkg entries (shared/src/rules/dkgEpochs.ts judgeDkgEntry)', () => {
  it.each(dkgEntryCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const shared = judgeDkgEntry(c.entry, c.registry);
    expect(shared.ok ? 'ok' : shared.code).toBe(c.expected);
    const answers = new Map<string, EntryVerdict>();
    for (const p of parties) if (p.judgeDkgEntry) answers.set(p.name, await p.judgeDkgEntry(c));
    expect([...answers.keys()]).toEqual(['custodian', 'auditor', 'explorer']);
    expectAgreement(Object.fromEntries([...answers].map(([n, a]) => [n, a.verdict])), c.expected === 'ok' ? 'accept' : 'refuse');
    for (const [name, a] of answers) if (a.codes !== undefined) expect(a.codes.split('|'), name).toContain(c.expected);
    if (c.expected !== 'ok') expect(answers.get('auditor')!.codes, 'the auditor reports a finding').toBeDefined();
    if (c.expected !== 'ok' && c.expected !== 'UNKNOWN_EPOCH') expect(answers.get('explorer')!.codes, 'the explorer shows the refusal').toBeDefined();
  });
});

describe('agreement: share-destroyed statements (shared/src/rules/shareDestroyed.ts judgeShareDestroyed, §3.9)', () => {
  it.each(shareDestroyedCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const before = resolveRegistry(c.head[0] as RegistryEntry, c.head.slice(1) as EpochEntry[]);
    const shared = judgeShareDestroyed(c.entry, before);
    expect(shared.ok ? 'ok' : shared.code).toBe(c.expected);
    const answers = new Map<string, EntryVerdict>();
    for (const p of parties) if (p.judgeShareDestroyed) answers.set(p.name, await p.judgeShareDestroyed(c));
    expect([...answers.keys()]).toEqual(['custodian', 'auditor', 'explorer']);
    expectAgreement(Object.fromEntries([...answers].map(([n, a]) => [n, a.verdict])), c.expected === 'ok' ? 'accept' : 'refuse');
    for (const [name, a] of answers) if (a.codes !== undefined) expect(a.codes.split('|'), name).toContain(c.expected);
    if (c.expected !== 'ok') expect(answers.get('auditor')!.codes, 'the auditor reports a finding').toBeDefined();
    if (c.expected !== 'ok' && c.expected !== 'UNKNOWN_EPOCH') expect(answers.get('explorer')!.codes, 'the explorer shows the refusal').toBeDefined();
  });
});

describe('agreement: which retirement statements stand (shared/src/rules/retirement.ts)', () => {
  it.each(retirementCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expectAgreement(await verdicts((p) => p.judgeRetirement(c)), c.expected);
  });
});
