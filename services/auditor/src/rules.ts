/**
 * The rule engine: replays a log's entries from genesis and checks every rule
 * of DESIGN.md §1 that public data can show (§5 step 7). Pure: no network, no
 * storage, no clock (`now` is an argument).
 *
 * The engine is a pipeline. Each entry is decoded (form), then run through the
 * named checks for its type, each of which reads the state built from the
 * entries before it and may report findings; then the entry is applied to the
 * state. An entry whose authenticity fails (bad signature, unknown signer,
 * unknown warrant, duplicate) changes no state: a forged approval never
 * counts toward a quorum. After the last entry, end checks run (overdue
 * unsealings).
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { bytesToHex, hexToBytes, liftX, parsePartial, verifyParsedPartial } from '@custodes/shared/crypto';
import type { Envelope, ParsedEnvelope } from '@custodes/shared/crypto';
import {
  allCustodians,
  canonicalJson,
  formatZodError,
  LogEntrySchema,
  registryProblems,
  registrySignatures,
  RegistryView,
  verifyRecordSignature,
  verifyWarrantSignature,
  warrantCommitment,
  warrantCoverSheet,
} from '@custodes/shared/records';
import type {
  ApprovalEntry,
  DecryptionCompleteEntry,
  DecryptionRequestEntry,
  LogEntry,
  MisbehaviorEntry,
  RegistryEntry,
  ReleaseEntry,
  RevocationEntry,
  UnsealEntry,
  WarrantEntry,
} from '@custodes/shared/records';
import { compareFindings, type Finding, type FindingCode } from './findings';
import type { PinnedKeys } from './pins';

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
  revocation: { readonly index: number; readonly entry: RevocationEntry } | undefined;
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
  /** The registry in force after the last entry (undefined without a valid genesis). */
  registry: RegistryView | undefined;
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
  /** Unix seconds, for overdue unsealings (DESIGN.md §1 goal 6). */
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

interface Context {
  readonly index: number;
  readonly state: AuditState;
  readonly options: RuleOptions;
  /** Codes reported for the current entry. */
  readonly reported: Set<FindingCode>;
  report(code: FindingCode, message: string): void;
}

/** A named step of the pipeline for entries of one type. */
interface Check<E> {
  readonly name: string;
  run(entry: E, ctx: Context): void;
}

/** Codes that mean an entry is not authentic or not well placed: it changes no state. */
const REJECTING: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'BAD_SIGNATURE',
  'UNKNOWN_CUSTODIAN',
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

function rejected(ctx: Context): boolean {
  for (const code of ctx.reported) if (REJECTING.has(code)) return true;
  return false;
}

const short = (id: string): string => id.slice(0, 8);

// ## Decoding (DESIGN.md §4.2: one leaf = the JCS bytes of one entry)

/** A leaf decoded into an entry, or the reason it is malformed. */
export type DecodedLeaf = { readonly ok: true; readonly entry: LogEntry } | { readonly ok: false; readonly reason: string };

/** Decodes leaf bytes: UTF-8 JSON, canonical per RFC 8785, and a known entry schema. */
export function decodeLeaf(leaf: Uint8Array): DecodedLeaf {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(leaf);
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the leaf is not UTF-8 JSON' };
  }
  const decoded = decodeRecord(value);
  if (!decoded.ok) return decoded;
  if (canonicalJson(value) !== text) return { ok: false, reason: 'the leaf is not canonical JSON (RFC 8785)' };
  return decoded;
}

/** Checks a parsed JSON value against the entry schemas. */
export function decodeRecord(value: unknown): DecodedLeaf {
  const r = LogEntrySchema.safeParse(value);
  if (!r.success) return { ok: false, reason: `not a valid log entry: ${formatZodError(r.error)}` };
  return { ok: true, entry: r.data };
}

// ## Registry checks

const registryChecks: readonly Check<RegistryEntry>[] = [
  {
    name: 'registry.shape',
    run(entry, ctx) {
      for (const p of registryProblems(entry)) ctx.report('BAD_REGISTRY', `registry ${entry.sequence}: ${p}.`);
    },
  },
  {
    name: 'registry.genesis',
    run(entry, ctx) {
      if (ctx.index !== 0) return;
      if (entry.sequence !== 0) ctx.report('BAD_GENESIS', `the genesis registry has sequence ${entry.sequence}, not 0.`);
      // DESIGN.md §4.2: the genesis is signed by every custodian it names.
      const signed = validRegistrySigners(entry, allCustodians(entry), ctx);
      for (const index of allCustodians(entry).keys()) {
        if (!signed.has(index)) ctx.report('BAD_SIGNATURE', `the genesis registry lacks a valid signature by custodian ${index}.`);
      }
    },
  },
  {
    name: 'registry.pins',
    run(entry, ctx) {
      const pins = ctx.options.pinnedKeys;
      if (ctx.index !== 0 || !pins) return;
      if (entry.logKey !== pins.logKey) ctx.report('PIN_MISMATCH', `the genesis log key ${short(entry.logKey)}… is not the pinned ${short(pins.logKey)}….`);
      if (pins.origin !== undefined && entry.origin !== pins.origin) ctx.report('PIN_MISMATCH', `the genesis origin "${entry.origin}" is not the pinned "${pins.origin}".`);
      const named = new Set([...allCustodians(entry).values()].map((c) => c.signingKey));
      const pinned = new Set(pins.custodianKeys);
      for (const k of named) if (!pinned.has(k)) ctx.report('PIN_MISMATCH', `the genesis registry names custodian key ${short(k)}… that is not pinned.`);
      for (const k of pinned) if (!named.has(k)) ctx.report('PIN_MISMATCH', `pinned custodian key ${short(k)}… is missing from the genesis registry.`);
    },
  },
  {
    name: 'registry.update',
    run(entry, ctx) {
      if (ctx.index === 0) return;
      const previous = ctx.state.registry;
      if (!previous) return; // no genesis: reported once at index 0
      if (entry.sequence !== previous.entry.sequence + 1) {
        ctx.report('BAD_REGISTRY', `registry sequence ${entry.sequence} does not follow ${previous.entry.sequence}.`);
      }
      if (entry.origin !== previous.entry.origin) ctx.report('BAD_REGISTRY', 'a registry update changes the origin.');
      if (entry.logKey !== previous.entry.logKey) ctx.report('BAD_REGISTRY', 'a registry update changes the log key.');
      // DESIGN.md §4.2: later updates are signed by t custodians of the registry in force.
      const signers = new Map(previous.custodians.map((c) => [c.index, c] as const));
      const signed = validRegistrySigners(entry, signers, ctx);
      if (signed.size < previous.threshold) {
        ctx.report('BAD_SIGNATURE', `registry update ${entry.sequence} has ${signed.size} valid custodian signatures; ${previous.threshold} are needed.`);
      }
    },
  },
];

/** Custodians whose registry signature verifies; reports bad and unknown ones. */
function validRegistrySigners(entry: RegistryEntry, signers: ReadonlyMap<number, { signingKey: string }>, ctx: Context): Set<number> {
  const valid = new Set<number>();
  for (const s of registrySignatures(entry, signers)) {
    if (s.verdict === 'unknown') {
      ctx.report('UNKNOWN_CUSTODIAN', `registry ${entry.sequence} carries a signature by custodian ${s.custodian}, who may not sign it.`);
    } else if (s.verdict === 'invalid') {
      ctx.report('BAD_SIGNATURE', `registry ${entry.sequence}: the signature by custodian ${s.custodian} does not verify.`);
    } else {
      valid.add(s.custodian);
    }
  }
  return valid;
}

function applyRegistry(entry: RegistryEntry, ctx: Context): void {
  if (rejected(ctx)) return;
  if (ctx.index !== 0 && !ctx.state.registry) return;
  const view = new RegistryView(entry, ctx.index);
  ctx.state.registries.push(view);
  ctx.state.registry = view;
}

// ## Warrant checks (cover sheets)

const warrantChecks: readonly Check<WarrantEntry>[] = [
  {
    name: 'warrant.unique',
    run(entry, ctx) {
      const seen = ctx.state.warrants.get(entry.warrantId);
      if (seen) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already logged at #${seen.index}.`);
    },
  },
  {
    name: 'warrant.parties',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      if (!reg.court(entry.court)) ctx.report('UNKNOWN_COURT', `warrant ${short(entry.warrantId)} names court "${entry.court}", which is not registered.`);
      if (!reg.agency(entry.agency)) ctx.report('UNKNOWN_AGENCY', `warrant ${short(entry.warrantId)} names agency "${entry.agency}", which is not registered.`);
    },
  },
  {
    name: 'warrant.dates',
    run(entry, ctx) {
      if (entry.expiresAt <= entry.issuedAt) ctx.report('BAD_WARRANT', `warrant ${short(entry.warrantId)} expires before it is issued.`);
      if (entry.notAfter < entry.notBefore) ctx.report('BAD_WARRANT', `warrant ${short(entry.warrantId)} has a scope that ends before it begins.`);
    },
  },
];

function applyWarrant(entry: WarrantEntry, ctx: Context): void {
  if (ctx.reported.has('DUPLICATE_ENTRY')) return;
  ctx.state.warrants.set(entry.warrantId, {
    index: ctx.index,
    entry,
    decisions: new Map(),
    quorum: undefined,
    revocation: undefined,
    unseal: undefined,
    requests: [],
    envelopesRequested: 0,
  });
}

/** The warrant an entry refers to, reporting UNKNOWN_WARRANT if not logged before it. */
function warrantFor(warrantId: string, what: string, ctx: Context): WarrantState | undefined {
  const w = ctx.state.warrants.get(warrantId);
  if (!w) ctx.report('UNKNOWN_WARRANT', `${what} refers to warrant ${short(warrantId)}, which is not logged before it.`);
  return w;
}

// ## Approval checks (DESIGN.md §1 goal 3)

const approvalChecks: readonly Check<ApprovalEntry>[] = [
  {
    name: 'approval.signature',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const c = reg.custodian(entry.custodian);
      if (!c) ctx.report('UNKNOWN_CUSTODIAN', `an approval is signed as custodian ${entry.custodian}, who is not registered.`);
      else if (!verifyRecordSignature(entry, 'approval', entry.signature, c.signingKey)) {
        ctx.report('BAD_SIGNATURE', `the ${entry.decision} by custodian ${entry.custodian} of warrant ${short(entry.warrantId)} has a signature that does not verify.`);
      }
    },
  },
  {
    name: 'approval.warrant',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, `an approval by custodian ${entry.custodian}`, ctx);
      if (w && w.entry.commitment !== entry.commitment) {
        ctx.report('COMMITMENT_MISMATCH', `custodian ${entry.custodian} decided on another commitment than warrant ${short(entry.warrantId)}'s.`);
      }
    },
  },
  {
    name: 'approval.unique',
    run(entry, ctx) {
      const seen = ctx.state.warrants.get(entry.warrantId)?.decisions.get(entry.custodian);
      if (seen) ctx.report('DUPLICATE_ENTRY', `custodian ${entry.custodian} already decided on warrant ${short(entry.warrantId)} at #${seen.index}.`);
    },
  },
];

function applyApproval(entry: ApprovalEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (!w || rejected(ctx)) return;
  w.decisions.set(entry.custodian, { decision: entry.decision, time: entry.time, index: ctx.index });
  const t = ctx.state.registry?.threshold;
  if (w.quorum === undefined && t !== undefined && approvals(w) >= t) w.quorum = { time: entry.time, index: ctx.index };
}

function approvals(w: WarrantState): number {
  let n = 0;
  for (const d of w.decisions.values()) if (d.decision === 'approve') n++;
  return n;
}

function denials(w: WarrantState): number {
  return w.decisions.size - approvals(w);
}

/** "has a of t approvals" plus, when denials exceed n − t, that quorum is impossible. */
function quorumShortfall(w: WarrantState, reg: RegistryView | undefined): string | undefined {
  if (!reg) return undefined;
  const a = approvals(w);
  if (a >= reg.threshold) return undefined;
  const d = denials(w);
  const impossible = d > reg.total - reg.threshold ? `; ${d} denials make a quorum impossible` : '';
  return `has ${a} of the ${reg.threshold} approvals needed${impossible}`;
}

// ## Decryption request checks (DESIGN.md §1 goals 3 and 7)

const requestChecks: readonly Check<DecryptionRequestEntry>[] = [
  {
    name: 'request.unique',
    run(entry, ctx) {
      const seen = ctx.state.requests.get(entry.requestId);
      if (seen) ctx.report('DUPLICATE_ENTRY', `request ${short(entry.requestId)} was already logged at #${seen.index}.`);
    },
  },
  {
    name: 'request.signature',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, `request ${short(entry.requestId)}`, ctx);
      const reg = ctx.state.registry;
      if (w && reg && !reg.isInvestigator(w.entry.agency, entry.investigator)) {
        ctx.report('UNKNOWN_INVESTIGATOR', `request ${short(entry.requestId)} is signed by ${short(entry.investigator)}…, not a registered investigator of ${w.entry.agency}.`);
      }
      if (!verifyRecordSignature(entry, 'decryption-request', entry.signature, entry.investigator)) {
        ctx.report('BAD_SIGNATURE', `request ${short(entry.requestId)} has an investigator signature that does not verify.`);
      }
      const earlier = w?.requests[0];
      if (earlier && earlier.entry.investigator !== entry.investigator) {
        ctx.report('INVESTIGATOR_MISMATCH', `request ${short(entry.requestId)} is signed by another investigator than request ${short(earlier.entry.requestId)} of the same warrant.`);
      }
    },
  },
  {
    name: 'request.epochs',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      for (const e of entry.epochs) if (!reg.epoch(e)) ctx.report('UNKNOWN_EPOCH', `request ${short(entry.requestId)} names epoch ${e}, which is not registered.`);
    },
  },
  {
    name: 'request.quorum',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      const shortfall = w && quorumShortfall(w, ctx.state.registry);
      if (shortfall) ctx.report('REQUEST_BEFORE_QUORUM', `request ${short(entry.requestId)} was logged while warrant ${short(entry.warrantId)} ${shortfall}.`);
    },
  },
  {
    name: 'request.expiry',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      if (w && entry.time >= w.entry.expiresAt) {
        ctx.report('REQUEST_AFTER_EXPIRY', `request ${short(entry.requestId)} at ${iso(entry.time)} comes after warrant ${short(entry.warrantId)} expired at ${iso(w.entry.expiresAt)}.`);
      }
    },
  },
  {
    name: 'request.revocation',
    run(entry, ctx) {
      const r = ctx.state.warrants.get(entry.warrantId)?.revocation;
      if (r) ctx.report('REQUEST_AFTER_REVOCATION', `request ${short(entry.requestId)} comes after warrant ${short(entry.warrantId)} was revoked at #${r.index}.`);
    },
  },
  {
    name: 'request.cap',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      if (!w || ctx.reported.has('DUPLICATE_ENTRY')) return;
      const total = w.envelopesRequested + entry.envelopeCount;
      if (total > w.entry.maxEnvelopes) {
        ctx.report('ENVELOPE_CAP_EXCEEDED', `request ${short(entry.requestId)} brings warrant ${short(entry.warrantId)} to ${total} envelopes; its cap is ${w.entry.maxEnvelopes}.`);
      }
    },
  },
];

function applyRequest(entry: DecryptionRequestEntry, ctx: Context): void {
  if (ctx.reported.has('DUPLICATE_ENTRY')) return;
  // Logged requests are recorded even when they break rules, so that the
  // releases that follow are judged against them (and the cap keeps counting).
  const w = ctx.state.warrants.get(entry.warrantId);
  const request: RequestState = { index: ctx.index, entry, warrant: w, releases: new Map(), misbehaving: new Set(), complete: undefined };
  ctx.state.requests.set(entry.requestId, request);
  if (w) {
    w.requests.push(request);
    w.envelopesRequested += entry.envelopeCount;
  }
}

// ## Release checks (DESIGN.md §1 goals 2, 3 and 7)

/** Indices of requests by id, over the whole log, to tell "later" from "never". */
type RequestIndex = ReadonlyMap<string, number>;

function releaseChecks(requestIndex: RequestIndex): readonly Check<ReleaseEntry>[] {
  return [
    {
      name: 'release.request',
      run(entry, ctx) {
        if (ctx.state.requests.has(entry.requestId)) return;
        const later = requestIndex.get(entry.requestId);
        if (later !== undefined && later > ctx.index) {
          ctx.report('RELEASE_BEFORE_REQUEST', `custodian ${entry.custodian} released for request ${short(entry.requestId)} before it was logged at #${later}.`);
        } else {
          ctx.report('UNKNOWN_REQUEST', `custodian ${entry.custodian} released for request ${short(entry.requestId)}, which is not in the log.`);
        }
      },
    },
    {
      name: 'release.signature',
      run(entry, ctx) {
        const reg = ctx.state.registry;
        if (!reg) return;
        const c = reg.custodian(entry.custodian);
        if (!c) ctx.report('UNKNOWN_CUSTODIAN', `a release is signed as custodian ${entry.custodian}, who is not registered.`);
        else if (!verifyRecordSignature(entry, 'release', entry.signature, c.signingKey)) {
          ctx.report('BAD_SIGNATURE', `the release by custodian ${entry.custodian} for request ${short(entry.requestId)} has a signature that does not verify.`);
        }
      },
    },
    {
      name: 'release.unique',
      run(entry, ctx) {
        const seen = ctx.state.requests.get(entry.requestId)?.releases.get(entry.custodian);
        if (seen !== undefined) ctx.report('DUPLICATE_ENTRY', `custodian ${entry.custodian} already released for request ${short(entry.requestId)} at #${seen}.`);
      },
    },
    {
      name: 'release.approver',
      run(entry, ctx) {
        const r = ctx.state.requests.get(entry.requestId);
        if (!r) return;
        const w = r.warrant;
        if (!w) {
          ctx.report('UNKNOWN_WARRANT', `custodian ${entry.custodian} released for request ${short(entry.requestId)}, whose warrant ${short(r.entry.warrantId)} was never logged before it.`);
          return;
        }
        const d = w.decisions.get(entry.custodian);
        if (d?.decision === 'deny') {
          ctx.report('RELEASE_BY_DENIER', `custodian ${entry.custodian} released for request ${short(entry.requestId)} although it denied warrant ${short(w.entry.warrantId)} at #${d.index}.`);
        } else if (!d) {
          ctx.report('RELEASE_BY_NON_APPROVER', `custodian ${entry.custodian} released for request ${short(entry.requestId)} without having approved warrant ${short(w.entry.warrantId)}.`);
        }
        const shortfall = quorumShortfall(w, ctx.state.registry);
        if (shortfall) ctx.report('RELEASE_BEFORE_QUORUM', `custodian ${entry.custodian} released for request ${short(entry.requestId)} while warrant ${short(w.entry.warrantId)} ${shortfall}.`);
      },
    },
    {
      name: 'release.revocation-expiry',
      run(entry, ctx) {
        const w = ctx.state.requests.get(entry.requestId)?.warrant;
        if (!w) return;
        if (w.revocation) {
          ctx.report('RELEASE_AFTER_REVOCATION', `custodian ${entry.custodian} released for request ${short(entry.requestId)} after warrant ${short(w.entry.warrantId)} was revoked at #${w.revocation.index}.`);
        }
        // A release carries no time; the log's clock (the latest time of the
        // entries before it) is a lower bound on when it was logged.
        const clock = ctx.state.clock;
        if (clock !== undefined && clock >= w.entry.expiresAt) {
          ctx.report('RELEASE_AFTER_EXPIRY', `custodian ${entry.custodian} released for request ${short(entry.requestId)} after ${iso(clock)}, when warrant ${short(w.entry.warrantId)} had expired (${iso(w.entry.expiresAt)}).`);
        }
      },
    },
    {
      name: 'release.count',
      run(entry, ctx) {
        const r = ctx.state.requests.get(entry.requestId);
        if (r && entry.count > r.entry.envelopeCount) {
          ctx.report('RELEASE_COUNT_MISMATCH', `custodian ${entry.custodian} released ${entry.count} partials for request ${short(entry.requestId)} of ${r.entry.envelopeCount} envelopes.`);
        }
      },
    },
  ];
}

function applyRelease(entry: ReleaseEntry, ctx: Context): void {
  const r = ctx.state.requests.get(entry.requestId);
  if (!r || rejected(ctx)) return;
  r.releases.set(entry.custodian, ctx.index);
}

// ## Completion checks

const completeChecks: readonly Check<DecryptionCompleteEntry>[] = [
  {
    name: 'complete.request',
    run(entry, ctx) {
      const r = ctx.state.requests.get(entry.requestId);
      if (!r) {
        ctx.report('UNKNOWN_REQUEST', `a completion refers to request ${short(entry.requestId)}, which is not logged before it.`);
        return;
      }
      if (r.complete) ctx.report('DUPLICATE_ENTRY', `request ${short(entry.requestId)} was already completed at #${r.complete.index}.`);
      if (entry.decrypted + entry.failed > r.entry.envelopeCount) {
        ctx.report('COMPLETE_MISMATCH', `request ${short(entry.requestId)} reports ${entry.decrypted} decrypted and ${entry.failed} failed of ${r.entry.envelopeCount} envelopes.`);
      }
      const t = ctx.state.registry?.threshold;
      if (entry.decrypted > 0 && t !== undefined && r.releases.size < t) {
        ctx.report('COMPLETE_WITHOUT_RELEASES', `request ${short(entry.requestId)} reports ${entry.decrypted} envelopes decrypted with ${r.releases.size} of the ${t} releases needed in the log.`);
      }
      for (const b of new Set(entry.blamed)) {
        if (!r.misbehaving.has(b)) ctx.report('UNSUPPORTED_BLAME', `request ${short(entry.requestId)} blames custodian ${b} without a misbehavior entry.`);
      }
    },
  },
];

function applyComplete(entry: DecryptionCompleteEntry, ctx: Context): void {
  const r = ctx.state.requests.get(entry.requestId);
  if (r && !r.complete) r.complete = { index: ctx.index, entry };
}

// ## Misbehavior checks (DESIGN.md §1 goal 5)

const misbehaviorChecks: readonly Check<MisbehaviorEntry>[] = [
  {
    name: 'misbehavior.request',
    run(entry, ctx) {
      if (!ctx.state.requests.has(entry.requestId)) {
        ctx.report('UNKNOWN_REQUEST', `a misbehavior entry refers to request ${short(entry.requestId)}, which is not logged before it.`);
      }
    },
  },
  {
    name: 'misbehavior.evidence',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      if (!reg.epoch(entry.epoch)) {
        ctx.report('UNKNOWN_EPOCH', `a misbehavior entry names epoch ${entry.epoch}, which is not registered.`);
        return;
      }
      const X = reg.verificationShare(entry.epoch, entry.custodian);
      if (!X) {
        ctx.report('UNKNOWN_CUSTODIAN', `a misbehavior entry blames custodian ${entry.custodian}, who is not in epoch ${entry.epoch}.`);
        return;
      }
      const env = evidenceEnvelope(entry);
      if (!env) {
        ctx.report('FALSE_MISBEHAVIOR', `the evidence against custodian ${entry.custodian} cannot be checked: R is not a point.`);
        return;
      }
      const partial = parsePartial(entry.partial);
      // DESIGN.md §3.3: re-run the DLEQ check; a malformed partial fails it too.
      if (partial !== null && verifyParsedPartial(partial, X, env)) {
        ctx.report('FALSE_MISBEHAVIOR', `custodian ${entry.custodian} is blamed for request ${short(entry.requestId)}, but its partial for envelope ${short(entry.envelopeId)} verifies.`);
      }
    },
  },
];

/**
 * The envelope fields the DLEQ challenge reads: Rx, R = lift_x(Rx) and μ
 * (DESIGN.md §3.3). The ciphertext is not in the log and not needed.
 */
function evidenceEnvelope(entry: MisbehaviorEntry): ParsedEnvelope | null {
  let R;
  const Rx = hexToBytes(entry.R, 32, 'R');
  try {
    R = liftX(Rx, 'R');
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
  const placeholder: Envelope = {
    format: 'custodes.envelope.v1',
    epoch: entry.epoch,
    label: { subject: '-', category: '-', time: 0 },
    R: entry.R,
    nonce: '',
    ciphertext: '',
    proof: '',
  };
  const empty = new Uint8Array(0);
  const mu = hexToBytes(entry.envelopeId, 32, 'envelopeId');
  return { envelope: placeholder, epoch: entry.epoch, Rx, R, nonce: empty, ciphertext: empty, proof: empty, labelHash: empty, mu, id: bytesToHex(mu) };
}

function applyMisbehavior(entry: MisbehaviorEntry, ctx: Context): void {
  if (ctx.reported.has('FALSE_MISBEHAVIOR')) return;
  ctx.state.misbehaviors.push({ index: ctx.index, entry });
  ctx.state.requests.get(entry.requestId)?.misbehaving.add(entry.custodian);
}

// ## Revocation checks

const revocationChecks: readonly Check<RevocationEntry>[] = [
  {
    name: 'revocation.signer',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, 'a revocation', ctx);
      const reg = ctx.state.registry;
      if (w && reg) {
        const allowed = entry.by === 'court' ? reg.court(w.entry.court)?.key === entry.signer : reg.isInvestigator(w.entry.agency, entry.signer);
        if (!allowed) {
          ctx.report('UNAUTHORIZED_REVOCATION', `warrant ${short(entry.warrantId)} is revoked by ${short(entry.signer)}…, who is not its ${entry.by}.`);
        }
      }
      if (!verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer)) {
        ctx.report('BAD_SIGNATURE', `the revocation of warrant ${short(entry.warrantId)} has a signature that does not verify.`);
      }
      if (w?.revocation) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already revoked at #${w.revocation.index}.`);
    },
  },
];

function applyRevocation(entry: RevocationEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (w && !rejected(ctx)) w.revocation = { index: ctx.index, entry };
}

// ## Unsealing checks (DESIGN.md §1 goal 6)

const unsealChecks: readonly Check<UnsealEntry>[] = [
  {
    name: 'unseal.opens',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, 'an unsealing', ctx);
      if (!w) return;
      if (w.unseal) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already unsealed at #${w.unseal.index}.`);
      if (entry.warrant.id !== entry.warrantId || warrantCommitment(entry.warrant, entry.salt) !== w.entry.commitment) {
        ctx.report('UNSEAL_DOES_NOT_OPEN', `the unsealing of warrant ${short(entry.warrantId)} does not open the commitment logged at #${w.index}.`);
        return;
      }
      if (canonicalJson(warrantCoverSheet(entry.warrant, w.entry.commitment)) !== canonicalJson(w.entry)) {
        ctx.report('COVER_SHEET_MISMATCH', `the cover sheet logged at #${w.index} does not match the unsealed warrant ${short(entry.warrantId)}.`);
      }
    },
  },
  {
    name: 'unseal.signatures',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const warrant = entry.warrant;
      const court = reg.court(warrant.court);
      if (!court) ctx.report('UNKNOWN_COURT', `unsealed warrant ${short(entry.warrantId)} names court "${warrant.court}", which is not registered.`);
      else if (!verifyWarrantSignature(warrant, warrant.courtSignature, court.key)) {
        ctx.report('BAD_SIGNATURE', `unsealed warrant ${short(entry.warrantId)} has a court signature that does not verify.`);
      }
      if (!verifyWarrantSignature(warrant, warrant.investigatorSignature, warrant.investigator)) {
        ctx.report('BAD_SIGNATURE', `unsealed warrant ${short(entry.warrantId)} has an investigator signature that does not verify.`);
      }
      if (!reg.isInvestigator(warrant.agency, warrant.investigator)) {
        ctx.report('UNKNOWN_INVESTIGATOR', `unsealed warrant ${short(entry.warrantId)} is signed by ${short(warrant.investigator)}…, not a registered investigator of ${warrant.agency}.`);
      }
    },
  },
  {
    name: 'unseal.investigator',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      if (!w || ctx.reported.has('UNSEAL_DOES_NOT_OPEN')) return;
      for (const r of w.requests) {
        if (r.entry.investigator !== entry.warrant.investigator) {
          ctx.report('INVESTIGATOR_MISMATCH', `request ${short(r.entry.requestId)} (#${r.index}) was signed by another investigator than unsealed warrant ${short(entry.warrantId)} names.`);
        }
      }
      const rev = w.revocation;
      if (rev && rev.entry.by === 'investigator' && rev.entry.signer !== entry.warrant.investigator) {
        ctx.report('UNAUTHORIZED_REVOCATION', `the revocation at #${rev.index} was signed by another investigator than unsealed warrant ${short(entry.warrantId)} names.`);
      }
    },
  },
];

function applyUnseal(entry: UnsealEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (w && !w.unseal && !rejected(ctx)) w.unseal = { index: ctx.index, entry };
}

// ## End checks

/** Warrants still sealed after sealedUntil, relative to `now` (DESIGN.md §1 goal 6). */
export function overdueFindings(state: AuditState, now: number): Finding[] {
  const out: Finding[] = [];
  for (const w of state.warrants.values()) {
    if (!w.unseal && now > w.entry.sealedUntil) {
      out.push({
        index: w.index,
        code: 'UNSEAL_OVERDUE',
        message: `warrant ${short(w.entry.warrantId)} was due to be unsealed at ${iso(w.entry.sealedUntil)} and is still sealed.`,
      });
    }
  }
  return out;
}

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
    registries: [],
    warrants: new Map(),
    requests: new Map(),
    misbehaviors: [],
    entries: [],
    clock: undefined,
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
      }
      const t = entryTime(entry);
      if (t !== undefined && (state.clock === undefined || t > state.clock)) state.clock = t;
    }
    if ((index + 1) % every === 0) options.onProgress?.(index + 1, leaves.length);
  });

  findings.push(...overdueFindings(state, options.now));
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

/** ISO 8601 (UTC, seconds) of Unix seconds, for messages and reports. */
export function iso(seconds: number): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${seconds}`;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
