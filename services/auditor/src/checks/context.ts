/**
 * The auditor's state and the context every check reads (docs/PROTOCOL.md §5 step 7):
 * what the entries before the current one established, and how a check
 * reports a finding.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { RegistryView } from '@custodes/shared/records';
import type {
  DecryptionCompleteEntry,
  EpochEntry,
  RegistryEntry,
  DecryptionRequestEntry,
  LogEntry,
  MisbehaviorEntry,
  RevocationEntry,
  UnsealEntry,
  WarrantEntry,
} from '@custodes/shared/records';
import type { Finding, FindingCode } from '../findings';
import type { PinnedKeys } from '../pins';

// ## State built from the entries

export interface Decision {
  readonly decision: 'approve' | 'deny';
  readonly time: number;
  readonly index: number;
}

export interface WarrantState {
  readonly index: number;
  readonly entry: WarrantEntry;
  /** The first valid decision of each custodian, by custodian index. */
  readonly decisions: Map<number, Decision>;
  /** Time and index of the approval that brought the t-th distinct approval. */
  quorum: { readonly time: number; readonly index: number } | undefined;
  /** With the registry in force where it was logged, to re-judge it knowing the investigator once unsealed. */
  revocation: { readonly index: number; readonly entry: RevocationEntry; readonly registry: RegistryView } | undefined;
  /** A valid unsealing (it opens the commitment and both signatures verify). */
  unseal: { readonly index: number; readonly entry: UnsealEntry } | undefined;
  readonly requests: RequestState[];
  envelopesRequested: number;
}

export interface RequestState {
  readonly index: number;
  readonly entry: DecryptionRequestEntry;
  readonly warrant: WarrantState | undefined;
  /** Valid releases, by custodian index → log index. */
  readonly releases: Map<number, number>;
  /** Custodians with a misbehavior entry for this request. */
  readonly misbehaving: Set<number>;
  complete: { readonly index: number; readonly entry: DecryptionCompleteEntry } | undefined;
}

export interface AuditState {
  /** The registry in force after the last entry, resolved with the valid epoch entries (undefined without a valid genesis). */
  registry: RegistryView | undefined;
  /** The newest accepted registry entry as logged (before resolveRegistry, docs/PROTOCOL.md §3.8). */
  rawRegistry: RegistryEntry | undefined;
  /** Valid `epoch` entries so far, in log order. */
  epochEntries: EpochEntry[];
  readonly registries: RegistryView[];
  readonly warrants: Map<string, WarrantState>;
  readonly requests: Map<string, RequestState>;
  readonly misbehaviors: { readonly index: number; readonly entry: MisbehaviorEntry }[];
  /** Entries by log index; null where malformed. */
  readonly entries: (LogEntry | null)[];
  /** The latest time carried by any entry so far (the log's clock). */
  clock: number | undefined;
}

export interface RuleOptions {
  /** Unix seconds, for overdue unsealings (docs/PROTOCOL.md §1 goal 6). */
  readonly now: number;
  /** Keys the genesis registry must name (instead of trust on first use). */
  readonly pinnedKeys?: PinnedKeys;
  /** Called every `progressEvery` entries and at the end. */
  readonly onProgress?: (checked: number, total: number) => void;
  readonly progressEvery?: number;
}

export interface RuleResult {
  readonly findings: Finding[];
  readonly state: AuditState;
}

// ## The check context

export interface Context {
  readonly index: number;
  readonly state: AuditState;
  readonly options: RuleOptions;
  /** Codes reported for the current entry. */
  readonly reported: Set<FindingCode>;
  report(code: FindingCode, message: string): void;
}

/** A named step of the pipeline for entries of one type. */
export interface Check<E> {
  readonly name: string;
  run(entry: E, ctx: Context): void;
}

/** Codes that mean an entry is not authentic or not well placed: it changes no state. */
export const REJECTING: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'BAD_SIGNATURE',
  'UNKNOWN_CUSTODIAN',
  'NOT_EPOCH_CUSTODIAN',
  'UNKNOWN_WARRANT',
  'UNKNOWN_INVESTIGATOR',
  'UNAUTHORIZED_REVOCATION',
  'COMMITMENT_MISMATCH',
  'DUPLICATE_ENTRY',
  'BAD_REGISTRY',
  'BAD_GENESIS',
  'PIN_MISMATCH',
  'UNSEAL_DOES_NOT_OPEN',
]);

export function rejected(ctx: Context): boolean {
  for (const code of ctx.reported) if (REJECTING.has(code)) return true;
  return false;
}

export const short = (id: string): string => id.slice(0, 8);

/** The warrant an entry refers to, reporting UNKNOWN_WARRANT if not logged before it. */
export function warrantFor(warrantId: string, what: string, ctx: Context): WarrantState | undefined {
  const w = ctx.state.warrants.get(warrantId);
  if (!w) ctx.report('UNKNOWN_WARRANT', `${what} refers to warrant ${short(warrantId)}, which is not logged before it.`);
  return w;
}

/** ISO 8601 (UTC, seconds) of Unix seconds, for messages and reports. */
export function iso(seconds: number): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${seconds}`;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
