/**
 * The rule engine: replays a log's entries from genesis and checks every rule
 * of docs/PROTOCOL.md §1 that public data can show (§5 step 7). Pure: no network, no
 * storage, no clock (`now` is an argument).
 *
 * The engine is a pipeline. Each entry is decoded (form, checks/decode.ts),
 * then run through the named checks for its type (checks/<type>.ts), each of
 * which reads the state built from the entries before it and may report
 * findings; then the entry is applied to the state. An entry whose
 * authenticity fails (bad signature, unknown signer, unknown warrant,
 * duplicate) changes no state: a forged approval never counts toward a
 * quorum. After the last entry, end checks run (overdue unsealings,
 * old shares not destroyed after a reshare, missing retirements).
 * Rules that other parties apply too come from @custodes/shared/rules.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { LogEntry } from '@custodes/shared/records';
import { compareFindings, type Finding, type FindingCode } from './findings';
import { applyApproval, approvalChecks } from './checks/approval';
import { applyComplete, completeChecks } from './checks/complete';
import type { AuditState, Check, Context, RuleOptions, RuleResult } from './checks/context';
import { decodeLeaf, decodeRecord } from './checks/decode';
import type { DecodedLeaf } from './checks/decode';
import { applyDkg, dkgChecks } from './checks/dkg';
import { applyEpoch, epochChecks } from './checks/epoch';
import { applyMisbehavior, misbehaviorChecks } from './checks/misbehavior';
import { applyRegistry, registryChecks } from './checks/registry';
import { applyRelease, releaseChecks } from './checks/release';
import { applyRequest, requestChecks } from './checks/request';
import { applyRetired, DEFAULT_RETIREMENT_GRACE_SECONDS, missingRetirements, retiredChecks } from './checks/retired';
import { applyRevocation, revocationChecks } from './checks/revocation';
import { applyShareDestroyed, shareDestroyedChecks, undestroyedFindings } from './checks/shareDestroyed';
import { applyUnseal, overdueFindings, unsealChecks } from './checks/unseal';
import { applyWarrant, warrantChecks } from './checks/warrant';

export { decisionStatusOf, tallyOf, warrantStatusOf } from './checks/approval';
export { iso, type Activation, type AuditState, type DkgSessionState, type Decision, type RequestState, type RuleOptions, type RuleResult, type WarrantState } from './checks/context';
export { decodeLeaf, decodeRecord, type DecodedLeaf } from './checks/decode';
export { overdueFindings } from './checks/unseal';

// ## The pipeline

/** The time an entry carries, if any (warrant cover sheets, releases and misbehavior carry none). */
function entryTime(entry: LogEntry): number | undefined {
  switch (entry.type) {
    case 'registry':
    case 'approval':
    case 'decryption-request':
    case 'decryption-complete':
    case 'revocation':
    case 'unseal':
    case 'dkg':
    case 'epoch':
    case 'retired':
    case 'share-destroyed':
      return entry.time;
    case 'warrant':
    case 'release':
    case 'misbehavior':
      return undefined;
  }
}

function runAll<E>(checks: readonly Check<E>[], entry: E, ctx: Context): void {
  for (const check of checks) check.run(entry, ctx);
}

/** Names of the pipeline's checks, in order (for documentation and tests). */
export const CHECK_NAMES: readonly string[] = [
  ...registryChecks,
  ...warrantChecks,
  ...approvalChecks,
  ...requestChecks,
  ...releaseChecks(new Map()),
  ...completeChecks,
  ...misbehaviorChecks,
  ...revocationChecks,
  ...unsealChecks,
  ...dkgChecks,
  ...epochChecks,
  ...shareDestroyedChecks,
  ...retiredChecks,
].map((c) => c.name);

/**
 * Checks decoded leaves in log order. Returns every finding, sorted by index,
 * and the state after the last entry.
 */
export function checkDecodedEntries(leaves: readonly DecodedLeaf[], options: RuleOptions): RuleResult {
  if (typeof options?.now !== 'number' || !Number.isFinite(options.now)) throw new TypeError('options.now must be a number');
  const findings: Finding[] = [];
  const state: AuditState = {
    registry: undefined,
    logged: undefined,
    activations: new Map(),
    destructions: new Map(),
    dkgSessions: new Map(),
    registries: [],
    warrants: new Map(),
    requests: new Map(),
    misbehaviors: [],
    entries: [],
    clock: undefined,
    retirements: new Map(),
  };
  const requestIndex = new Map<string, number>();
  leaves.forEach((leaf, i) => {
    if (leaf.ok && leaf.entry.type === 'decryption-request' && !requestIndex.has(leaf.entry.requestId)) requestIndex.set(leaf.entry.requestId, i);
  });
  const releases = releaseChecks(requestIndex);
  const every = Math.max(1, options.progressEvery ?? 1000);

  leaves.forEach((leaf, index) => {
    const reported = new Set<FindingCode>();
    const ctx: Context = {
      index,
      state,
      options,
      reported,
      report(code, message) {
        reported.add(code);
        findings.push({ index, code, message });
      },
    };
    if (!leaf.ok) {
      ctx.report('MALFORMED_ENTRY', `${leaf.reason}.`);
      if (index === 0) ctx.report('BAD_GENESIS', 'entry 0 must be the genesis registry.');
      state.entries.push(null);
    } else {
      const entry = leaf.entry;
      state.entries.push(entry);
      if (index === 0 && entry.type !== 'registry') ctx.report('BAD_GENESIS', `entry 0 is a ${entry.type}, not the genesis registry.`);
      switch (entry.type) {
        case 'registry':
          runAll(registryChecks, entry, ctx);
          applyRegistry(entry, ctx);
          break;
        case 'warrant':
          runAll(warrantChecks, entry, ctx);
          applyWarrant(entry, ctx);
          break;
        case 'approval':
          runAll(approvalChecks, entry, ctx);
          applyApproval(entry, ctx);
          break;
        case 'decryption-request':
          runAll(requestChecks, entry, ctx);
          applyRequest(entry, ctx);
          break;
        case 'release':
          runAll(releases, entry, ctx);
          applyRelease(entry, ctx);
          break;
        case 'decryption-complete':
          runAll(completeChecks, entry, ctx);
          applyComplete(entry, ctx);
          break;
        case 'misbehavior':
          runAll(misbehaviorChecks, entry, ctx);
          applyMisbehavior(entry, ctx);
          break;
        case 'revocation':
          runAll(revocationChecks, entry, ctx);
          applyRevocation(entry, ctx);
          break;
        case 'unseal':
          runAll(unsealChecks, entry, ctx);
          applyUnseal(entry, ctx);
          break;
        case 'dkg':
          runAll(dkgChecks, entry, ctx);
          applyDkg(entry, ctx);
          break;
        case 'epoch':
          runAll(epochChecks, entry, ctx);
          applyEpoch(entry, ctx);
          break;
        case 'share-destroyed':
          runAll(shareDestroyedChecks, entry, ctx);
          applyShareDestroyed(entry, ctx);
          break;
        case 'retired':
          runAll(retiredChecks, entry, ctx);
          applyRetired(entry, ctx);
          break;
      }
      const t = entryTime(entry);
      if (t !== undefined && (state.clock === undefined || t > state.clock)) state.clock = t;
    }
    if ((index + 1) % every === 0) options.onProgress?.(index + 1, leaves.length);
  });

  findings.push(...overdueFindings(state, options.now));
  findings.push(...undestroyedFindings(state, options.now, options.destroyGraceSeconds));
  findings.push(...missingRetirements(state, options.now, options.retirementGraceSeconds ?? DEFAULT_RETIREMENT_GRACE_SECONDS));
  options.onProgress?.(leaves.length, leaves.length);
  findings.sort(compareFindings);
  return { findings, state };
}

/** Checks raw leaves (the exact bytes the log hashed) in order. */
export function checkLeaves(leaves: readonly Uint8Array[], options: RuleOptions): RuleResult {
  return checkDecodedEntries(leaves.map(decodeLeaf), options);
}

/** Checks entries given as JSON values (as a test or a tool builds them), in order. */
export function checkEntries(entries: readonly unknown[], options: RuleOptions): RuleResult {
  return checkDecodedEntries(entries.map(decodeRecord), options);
}
