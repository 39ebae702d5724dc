/**
 * The auditor's state and the context every check reads (docs/PROTOCOL.md §5 step 7):
 * what the entries before the current one established, and how a check
 * reports a finding.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { RegistryView } from '@custodes/shared/records';
import type { EpochKeys } from '@custodes/shared/dkg';
import type {
  DecryptionCompleteEntry,
  DecryptionRequestEntry,
  EpochEntry,
  LogEntry,
  RegistryEntry,
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

/** One DKG session as the log shows it (docs/PROTOCOL.md §3.8): who sent which step. */
export interface DkgSessionState {
  readonly epoch: number;
  readonly session: string;
  /** Log index of its first entry. */
  readonly index: number;
  readonly commits: Set<number>;
  readonly reveals: Set<number>;
  aggregate: boolean;
  readonly certeqs: Set<number>;
  readonly blames: { readonly custodian: number; readonly blamed: number; readonly index: number }[];
  abort: { readonly reason: string; readonly blamed: readonly number[]; readonly index: number } | undefined;
}

/** A valid `epoch` entry and what its recovery data yields (judgeEpochEntry, §3.8). */
export interface Activation {
  readonly index: number;
  readonly entry: EpochEntry;
  readonly keys: EpochKeys;
}

export interface AuditState {
  /**
   * The registry in force after the last entry, resolved (docs/PROTOCOL.md §3.8
   * resolveRegistry): each proposed epoch a valid `epoch` entry activated has
   * the keys recomputed from its recovery data, so quorums and the X_i of
   * misbehavior evidence come from the logged DKG (undefined without a valid genesis).
   */
  registry: RegistryView | undefined;
  /** The newest registry entry as logged (unresolved). */
  logged: RegistryEntry | undefined;
  /** Valid `epoch` entries by epoch, in log order (the first valid one per epoch). */
  readonly activations: Map<number, Activation>;
  /**
   * Valid `share-destroyed` statements (§3.9): by old epoch O, by custodian,
   * where and when it was logged and the successor it names.
   */
  readonly destructions: Map<number, Map<number, { readonly index: number; readonly time: number; readonly successor: number }>>;
  /** DKG sessions by session id, in order of their first entry. */
  readonly dkgSessions: Map<string, DkgSessionState>;
  readonly registries: RegistryView[];
  readonly warrants: Map<string, WarrantState>;
  readonly requests: Map<string, RequestState>;
  readonly misbehaviors: { readonly index: number; readonly entry: MisbehaviorEntry }[];
  /** Entries by log index; null where malformed. */
  readonly entries: (LogEntry | null)[];
  /** The latest time carried by any entry so far (the log's clock). */
  clock: number | undefined;
  /** Valid `retired` statements (§3.10): epoch → custodian → where and when. */
  readonly retirements: Map<number, Map<number, { readonly index: number; readonly time: number }>>;
}

export interface RuleOptions {
  /** Unix seconds, for overdue unsealings (docs/PROTOCOL.md §1 goal 6). */
  readonly now: number;
  /** Seconds after a reshare's activation within which each old custodian must log share-destroyed (§3.9; default 1 day). */
  readonly destroyGraceSeconds?: number;
  /**
   * How long after an epoch's retireAfter each of its custodians has to log
   * its retirement before RETIREMENT_MISSING, seconds (default
   * DEFAULT_RETIREMENT_GRACE_SECONDS, one day; docs/PROTOCOL.md §8.8).
   */
  readonly retirementGraceSeconds?: number;
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
  'EPOCH_NOT_ACTIVE',
]);

export function rejected(ctx: Context): boolean {
  for (const code of ctx.reported) if (REJECTING.has(code)) return true;
  return false;
}

export const short = (id: string): string => id.slice(0, 8);

/**
 * Whether `epoch` is listed but proposed (docs/PROTOCOL.md §3.8): no valid
 * `epoch` entry activated it, so it has no key, no shares and no quorum,
 * and nothing may be requested, released or blamed under it.
 */
export function inactiveEpoch(reg: RegistryView, epoch: number): boolean {
  const e = reg.epoch(epoch);
  return e !== undefined && e.groupKey === undefined;
}

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
