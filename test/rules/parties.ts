/**
 * The four parties of the agreement test, each driven through its own entry
 * points: the coordinator (its intake and status code), a custodian (its
 * log replica and its release rules, over a real SQLite store), the auditor
 * (its rule engine and report) and the explorer's browser port
 * (services/web/public/lib, plain JS). Each answers in one small vocabulary
 * so that verdicts can be compared: a registry is 'accept' or 'refuse'; the
 * epoch in force is "t=… of […]"; a request is 'ok', 'revoked', 'expired',
 * 'no-quorum' or 'unknown-epoch'. 'no rule' marks a party that has none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulBase, utf8 } from '@custodes/shared/crypto';
import { leafHash } from '@custodes/shared/log';
import { canonicalJson } from '@custodes/shared/records';
import type { EpochEntry, LogEntry, RegistryEntry } from '@custodes/shared/records';
import { buildReport, checkEntries } from '../../services/auditor/src/index';
import { logRecord } from '../../services/coordinator/src/actions/logRecords';
import { tally } from '../../services/coordinator/src/actions/warrants';
import type { Context as CoordinatorContext } from '../../services/coordinator/src/context';
import { checkGenesis, checkUpdate, Registry } from '../../services/coordinator/src/rules/registryChecks';
import { screenEnvelope } from '../../services/coordinator/src/rules/requestChecks';
import { requireAdmissible } from '../../services/coordinator/src/rules/warrantChecks';
import { CoordinatorError } from '../../services/coordinator/src/errors';
import type { Context as CustodianContext } from '../../services/custodian/src/context';
import { CustodianError } from '../../services/custodian/src/errors';
import { genesisProblem, updateProblem } from '../../services/custodian/src/registry';
import type { OwnIdentity } from '../../services/custodian/src/registry';
import { releasePartials } from '../../services/custodian/src/release';
import { receiveRevocation } from '../../services/custodian/src/revocation';
import { showWarrant } from '../../services/custodian/src/review';
import { applyEntry, currentRegistry } from '../../services/custodian/src/replica';
import { openStore } from '../../services/custodian/src/store';
import { resolveRegistry, reviewers } from '@custodes/shared/rules';
import { loadEntries, loadEpochTimeline, loadRules } from '../web/helpers/lib';
import {
  approvalEntry,
  coverOf,
  custodianKeys,
  WARRANT_ID,
  envelopesFor,
  logKey,
  NOW,
  REQUEST_ID,
  requestEntry,
  releaseEntry,
  revocationBy,
  revocationEntry,
  SALT_HEX,
  signedWarrant,
  singleGenesis,
} from './corpus';
import type { DkgEntryCase, EpochEntryCase, RegistryCase, ReleaseCase, RetirementCase, RevocationCase, WarrantCase } from './corpus';
import type { ShareDestroyedCase } from './reshareCorpus';

export type RegistryVerdict = 'accept' | 'refuse' | 'no rule';
export type Admissibility = 'ok' | 'revoked' | 'expired' | 'no-quorum' | 'unknown-epoch' | 'no rule';

export interface PartyAdapter {
  readonly name: string;
  judgeRegistry(c: RegistryCase): Promise<RegistryVerdict>;
  /** The epoch whose t and custodians review, witness and sign updates. */
  epochInForce(registry: RegistryEntry): Promise<string>;
  warrantStatus(c: WarrantCase): Promise<string>;
  admissibility(c: WarrantCase): Promise<Admissibility>;
  /** Whether a `release` is accepted where this party judges it; absent where a party has no release rule (the explorer). */
  judgeRelease?(c: ReleaseCase): Promise<Verdict>;
  /** Whether a `revocation` is accepted: from the cover sheet (`log`) and, where the party holds the full warrant, knowing it (`warrant`). */
  judgeRevocation(c: RevocationCase): Promise<{ log?: Verdict; warrant?: Verdict }>;
  /** Whether an `epoch` entry activates its epoch, and the key of that epoch in force after it. */
  judgeEpochEntry(c: EpochEntryCase): Promise<EntryVerdict>;
  /** Whether a `dkg` entry may stand in the log; absent where a party has no intake for it (the coordinator writes them). */
  judgeDkgEntry?(c: DkgEntryCase): Promise<EntryVerdict>;
  /** Whether a `share-destroyed` statement may stand (§3.9); absent where a party has no intake for it (the coordinator logs them from its reshare workflow). */
  judgeShareDestroyed?(c: ShareDestroyedCase): Promise<EntryVerdict>;
  /** Whether a `retired` statement stands (docs/PROTOCOL.md §3.10): the coordinator's intake, a replica, the auditor, the explorer's timeline. */
  judgeRetirement(c: RetirementCase): Promise<Verdict>;
}

export type Verdict = 'accept' | 'refuse';

/**
 * A party's verdict on a DKG entry: `verdict` is compared across parties
 * ('accept' or 'refuse', and for an `epoch` entry the key then in force,
 * "accept; epoch 1: 02ab…"); `codes` are the shared rule's codes the party's
 * own refusal stands for ('|'-separated where one of its codes covers
 * several), where it reports one.
 */
export interface EntryVerdict {
  readonly verdict: string;
  readonly codes?: string;
}

/** The key of `epoch` in `registry`: its groupKey, 'no key' while proposed, 'unlisted'. */
function keyInForce(registry: RegistryEntry, epoch: number): string {
  const e = registry.epochs.find((x) => x.epoch === epoch);
  return `epoch ${epoch}: ${e === undefined ? 'unlisted' : (e.groupKey ?? 'no key')}`;
}

/** The shared request codes (judgeRequest), as the coordinator answers them too, in the common vocabulary. */
const REQUEST_CODES: Record<string, Admissibility> = {
  WARRANT_REVOKED: 'revoked',
  WARRANT_EXPIRED: 'expired',
  WARRANT_DENIED: 'no-quorum',
  WARRANT_NOT_APPROVED: 'no-quorum',
  EPOCH_QUORUM: 'no-quorum',
  UNKNOWN_EPOCH: 'unknown-epoch',
};

const describeEpoch = (t: number, custodians: Iterable<number>) => `t=${t} of [${[...custodians].sort((a, b) => a - b).join(',')}]`;

/** The log a case stands for: registry, cover sheet, decisions, revocation (request separately). */
function logOf(c: WarrantCase): LogEntry[] {
  const cover = coverOf(c.warrant);
  const entries: LogEntry[] = [c.registry, cover, ...c.decisions.map((d, k) => approvalEntry(cover, d, k))];
  if (c.revoked) entries.push(revocationEntry(cover));
  return entries;
}

/** The case's request: sealed once per case (sealing is randomised), so every party judges the same envelopes. */
const requests = new WeakMap<WarrantCase, { envelopes: ReturnType<typeof envelopesFor>; entry: ReturnType<typeof requestEntry> }>();
function requestOf(c: WarrantCase) {
  let r = requests.get(c);
  if (!r) {
    const envelopes = envelopesFor(c.registry, c.epochs);
    r = { envelopes, entry: requestEntry(coverOf(c.warrant), envelopes, c.now) };
    requests.set(c, r);
  }
  return r;
}

/** A release case's log: registry, cover sheet, the request (one envelope per epoch), and the release judged. */
const releaseLogs = new WeakMap<ReleaseCase, { head: LogEntry[]; request: ReturnType<typeof requestEntry>; release: ReturnType<typeof releaseEntry> }>();
function releaseLogOf(c: ReleaseCase) {
  let r = releaseLogs.get(c);
  if (!r) {
    const cover = coverOf(signedWarrant());
    const request = requestEntry(cover, envelopesFor(c.registry, c.epochs), NOW);
    r = { head: [c.registry, cover, request], request, release: releaseEntry(request, c) };
    releaseLogs.set(c, r);
  }
  return r;
}

/** A warrant case standing for the log a release or revocation case needs: the registry and the corpus warrant. */
const bareCase = (registry: RegistryEntry): WarrantCase => ({ name: '', expected: { status: '', admissible: '' }, registry, warrant: signedWarrant(), decisions: [], revoked: false, epochs: [1], now: NOW });

// ## The coordinator

/** A coordinator context over memory: the parts intake and status read (core/records.ts, core/warrants.ts). */
function coordinatorContext(c: WarrantCase, request?: ReturnType<typeof requestEntry>): CoordinatorContext {
  const registry = new Registry(c.registry, 0);
  const w = c.warrant;
  const cover = coverOf(w);
  const decisions = new Map<number, { decision: 'approve' | 'deny'; logIndex: number }>();
  let revoked = false;
  let next = 2;
  const ctx = {
    registry: () => registry,
    now: () => c.now,
    logger: { info() {}, warn() {}, debug() {} },
    ledger: {
      appendOnce(_key: string, _entry: unknown, apply?: (i: number) => void) {
        const index = next++;
        apply?.(index);
        return { index, fresh: true };
      },
      indexOf: () => undefined,
    },
    repo: {
      warrant: (id: string) =>
        id === w.id ? { id, commitment: cover.commitment, court: w.court, investigator: w.investigator, sealedUntil: w.sealedUntil, expiresAt: w.expiresAt, agency: w.agency } : undefined,
      decision: (_w: string, custodian: number) => decisions.get(custodian),
      putDecision: (_w: string, custodian: number, decision: 'approve' | 'deny', logIndex: number) => void decisions.set(custodian, { decision, logIndex }),
      decisions: () => [...decisions].sort((a, b) => a[0] - b[0]).map(([custodian, d]) => ({ custodian, decision: d.decision })),
      putRevocation: () => void (revoked = true),
      isRevoked: () => revoked,
      request: (id: string) => (request && id === request.requestId ? { id, warrantId: w.id, investigator: request.investigator, state: 'logged', envelopeCount: request.envelopeCount, entryJson: JSON.stringify(request), logIndex: 1 } : undefined),
    },
  };
  return ctx as unknown as CoordinatorContext;
}

/** Logs the case's decisions and revocation through the coordinator's intake (POST /v1/records), dropping what it refuses. */
function coordinatorWithLog(c: WarrantCase): CoordinatorContext {
  const ctx = coordinatorContext(c);
  for (const entry of logOf(c).slice(2)) {
    try {
      logRecord(ctx, entry as Parameters<typeof logRecord>[1]);
    } catch (err) {
      if (!(err instanceof CoordinatorError)) throw err;
    }
  }
  return ctx;
}

export const coordinator: PartyAdapter = {
  name: 'coordinator',
  async judgeRegistry(c) {
    try {
      if (c.history.length === 0) checkGenesis(c.candidate, logKey.publicKey, logKey.notePublicKey);
      else checkUpdate(c.candidate, new Registry(c.history.at(-1)!, 0));
      return 'accept';
    } catch (err) {
      if (err instanceof CoordinatorError) return 'refuse';
      throw err;
    }
  },
  async epochInForce(registry) {
    const r = new Registry(registry, 0);
    return describeEpoch(r.threshold, r.custodians.map((c) => c.index));
  },
  async warrantStatus(c) {
    return tally(coordinatorWithLog(c), c.warrant.id, c.warrant.expiresAt).status;
  },
  async admissibility(c) {
    // The investigator's path: open (the status), a batch (each envelope screened), submit (status and each epoch's quorum).
    const ctx = coordinatorWithLog(c);
    const asked = (epochs: number[]) => requireAdmissible({ ...tally(ctx, c.warrant.id, c.warrant.expiresAt), epochs }, ctx.registry());
    try {
      asked([]);
      for (const env of requestOf(c).envelopes) {
        const s = screenEnvelope(env, c.warrant.scope, ctx.registry());
        if (!s.ok) return s.reason === 'UNKNOWN_EPOCH' ? 'unknown-epoch' : (`screen ${s.reason}` as Admissibility);
      }
      asked([...c.epochs]);
      return 'ok';
    } catch (err) {
      if (!(err instanceof CoordinatorError)) throw err;
      return REQUEST_CODES[err.code] ?? (`coordinator ${err.code}` as Admissibility);
    }
  },
  async judgeRelease(c) {
    const { request, release } = releaseLogOf(c);
    return coordinatorIntake(coordinatorContext(bareCase(c.registry), request), release);
  },
  async judgeRevocation(c) {
    // The coordinator holds every warrant it logged: its intake is the rule knowing the warrant.
    const ctx = coordinatorContext(bareCase(singleGenesis));
    return { warrant: coordinatorIntake(ctx, revocationBy(coverOf(signedWarrant()), c)) };
  },
  async judgeEpochEntry(c) {
    // The registry in force as coordinator.ts loadRegistry builds it: the logged registry resolved with the logged epoch entries.
    const [registry, ...logged] = c.head as [RegistryEntry, ...EpochEntry[]];
    const before = new Registry(resolveRegistry(registry, logged), 0).entry;
    const after = new Registry(resolveRegistry(registry, [...logged, c.entry]), 0).entry;
    const was = before.epochs.find((e) => e.epoch === c.entry.epoch)?.groupKey;
    const now = after.epochs.find((e) => e.epoch === c.entry.epoch)?.groupKey;
    const activated = was === undefined && now !== undefined && now === c.entry.groupKey;
    return { verdict: `${activated ? 'accept' : 'refuse'}; ${keyInForce(after, c.entry.epoch)}` };
  },
  // No judgeDkgEntry: the coordinator writes dkg entries; it checks a participant's step inside its session
  // (workflow/dkg.ts, against live custodians), and has no intake for them to drive here.
  async judgeRetirement(c) {
    return coordinatorIntake(coordinatorContext(bareCase(c.registry)), c.entry);
  },
};

/** POST /v1/records: 'accept' if logged, 'refuse' if the intake refuses it with a code. */
function coordinatorIntake(ctx: CoordinatorContext, entry: Parameters<typeof logRecord>[1]): Verdict {
  try {
    logRecord(ctx, entry);
    return 'accept';
  } catch (err) {
    if (err instanceof CoordinatorError) return 'refuse';
    throw err;
  }
}

// ## A custodian

const tempDirs: string[] = [];
export function removeCustodianStores(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Custodian `index` as listed in the newest epoch (by number) that lists it. */
function identity(registry: RegistryEntry, index: number): OwnIdentity {
  const epoch = [...registry.epochs].sort((a, b) => b.epoch - a.epoch).find((e) => e.custodians.some((x) => x.index === index)) ?? registry.epochs[0]!;
  return { custodian: index, epoch: epoch.epoch, signingKey: custodianKeys.get(index)!.publicKey, witnessKey: custodianKeys.get(index)!.notePublicKey, groupKey: epoch.groupKey ?? '', commitments: epoch.commitments ?? [], name: null };
}

/** The first custodian of the highest-numbered epoch: a node that accepts this genesis if anyone does. */
function firstOfNewest(registry: RegistryEntry): number {
  const newest = [...registry.epochs].sort((a, b) => b.epoch - a.epoch)[0]!;
  return Math.min(...newest.custodians.map((c) => c.index));
}

/** The serving custodian: the first to approve with a good signature who holds a share of every requested epoch, else the first decider. */
function servingCustodian(c: WarrantCase): number {
  const holds = (i: number) => c.epochs.every((e) => c.registry.epochs.find((x) => x.epoch === e)?.custodians.some((k) => k.index === i));
  const good = c.decisions.filter((d) => d.decision === 'approve' && !d.bad && custodianKeys.has(d.custodian));
  return good.find((d) => holds(d.custodian))?.custodian ?? good[0]?.custodian ?? c.decisions[0]?.custodian ?? 1;
}

function leafOf(entry: LogEntry) {
  const leaf = utf8(canonicalJson(entry));
  return { leaf, hash: leafHash(leaf) };
}

export const custodian: PartyAdapter = {
  name: 'custodian',
  async judgeRegistry(c) {
    const why = c.history.length === 0 ? genesisProblem(c.candidate, identity(c.candidate, firstOfNewest(c.candidate))) : updateProblem(c.candidate, c.history.at(-1)!);
    return why === null ? 'accept' : 'refuse';
  },
  async epochInForce(registry) {
    // Release rule (d) (release.ts, warrantState.ts) and the replica's approval check read the shared reviewers.
    const q = reviewers(registry)!;
    return describeEpoch(q.threshold, q.custodians.keys());
  },
  async warrantStatus(c) {
    return withReplica(c, (ctx) => String(showWarrant(ctx, WARRANT_ID).logged.status));
  },
  async admissibility(c) {
    return withReplica(c, async (ctx, me) => {
      const { envelopes, entry } = requestOf(c);
      const call = { type: 'partials-call' as const, custodian: me, requestId: REQUEST_ID, envelopeCount: envelopes.length, envelopeSetRoot: entry.envelopeSetRoot, issuedAt: c.now, signature: '00'.repeat(64) };
      try {
        await releasePartials(ctx, call, REQUEST_ID, envelopes);
        return 'ok';
      } catch (err) {
        if (!(err instanceof CustodianError)) throw err;
        const codes: Record<string, Admissibility> = { WARRANT_REVOKED: 'revoked', WARRANT_EXPIRED: 'expired', NO_QUORUM: 'no-quorum', NOT_APPROVED_BY_ME: 'no-quorum', UNKNOWN_EPOCH: 'unknown-epoch' };
        return codes[err.code] ?? (`custodian ${err.code}` as Admissibility);
      }
    });
  },
  async judgeRelease(c) {
    const { head, release } = releaseLogOf(c);
    return replicaVerdict(c.registry, head, release);
  },
  async judgeRevocation(c) {
    const cover = coverOf(signedWarrant());
    const entry = revocationBy(cover, c);
    // Logged: the replica's witness rule. Posted directly (§7.14) to a node that was delivered the warrant.
    const log = replicaVerdict(singleGenesis, [singleGenesis, cover], entry);
    const warrant = await withReplica(bareCase(singleGenesis), (ctx) => {
      try {
        receiveRevocation(ctx, entry);
        return 'accept' as const;
      } catch (err) {
        if (err instanceof CustodianError) return 'refuse' as const;
        throw err;
      }
    });
    return { log, warrant };
  },
  async judgeEpochEntry(c) {
    return withHead(c.head[0] as RegistryEntry, c.head, c.entry, (verdict, store) => ({ verdict: `${verdict}; ${keyInForce(currentRegistry(store)!.entry, c.entry.epoch)}` }));
  },
  async judgeDkgEntry(c) {
    return { verdict: replicaVerdict(c.registry, [c.registry], c.entry) };
  },
  async judgeShareDestroyed(c) {
    return { verdict: replicaVerdict(c.head[0] as RegistryEntry, c.head, c.entry) };
  },
  async judgeRetirement(c) {
    // The witness rule: a replica (a node of epoch 1, not the signer) takes the statement into its log or refuses the batch.
    return replicaVerdict(c.registry, [c.registry], c.entry);
  },
};

/** Whether a custodian's replica, holding `head`, accepts `entry` as the next log entry (replica.ts applyEntry). */
function replicaVerdict(registry: RegistryEntry, head: readonly LogEntry[], entry: LogEntry): Verdict {
  return withHead(registry, head, entry, (verdict) => verdict);
}

/** replicaVerdict, then `after` reads the replica as it then stands. */
function withHead<T>(registry: RegistryEntry, head: readonly LogEntry[], entry: LogEntry, after: (verdict: Verdict, store: ReturnType<typeof openStore>) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-agreement-'));
  tempDirs.push(dir);
  const store = openStore(join(dir, 'custodian.db'));
  try {
    const me = identity(registry, firstOfNewest(registry));
    head.forEach((e, idx) => {
      const { leaf, hash } = leafOf(e);
      store.tx(() => applyEntry(store, me, idx, e, hash, leaf));
    });
    const { leaf, hash } = leafOf(entry);
    let verdict: Verdict = 'accept';
    try {
      store.tx(() => applyEntry(store, me, head.length, entry, hash, leaf));
    } catch (err) {
      if (!(err instanceof CustodianError)) throw err;
      verdict = 'refuse';
    }
    return after(verdict, store);
  } finally {
    store.close();
  }
}

/**
 * A custodian (the serving one) whose replica holds the case's log, each
 * entry applied by replica.ts (an entry it refuses is left out, as a
 * checkpoint carrying it would be refused), the full warrant received.
 */
async function withReplica<T>(c: WarrantCase, run: (ctx: CustodianContext, me: number) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-agreement-'));
  tempDirs.push(dir);
  const store = openStore(join(dir, 'custodian.db'));
  try {
    const me = identity(c.registry, servingCustodian(c));
    let idx = 0;
    for (const entry of [...logOf(c), requestOf(c).entry]) {
      const { leaf, hash } = leafOf(entry);
      try {
        store.tx(() => applyEntry(store, me, idx, entry, hash, leaf));
        idx++;
      } catch (err) {
        if (!(err instanceof CustodianError)) throw err;
      }
    }
    const cover = coverOf(c.warrant);
    store.insertReview({ warrantId: c.warrant.id, warrant: JSON.stringify(c.warrant), salt: SALT_HEX, commitment: cover.commitment, receivedAt: c.now, policy: '{}' });
    const held = new Set(c.registry.epochs.filter((e) => e.custodians.some((x) => x.index === me.custodian)).map((e) => e.epoch));
    const ctx = {
      store,
      node: { custodian: me.custodian },
      me,
      vault: { share: (e: number) => (held.has(e) ? 1n : undefined), verificationShare: () => mulBase(1n), signingKey: () => custodianKeys.get(me.custodian)!.secretKey },
      log: { info() {}, warn() {} },
      outbox: { kick() {}, kickLater() {} },
      nowMs: () => c.now * 1000,
      envelopesPerMinute: 1_000_000,
      callWindowSeconds: 120,
      releasing: new Map(),
      releaseLogDeadlineMs: Number.MAX_SAFE_INTEGER,
    } as unknown as CustodianContext;
    return await run(ctx, me.custodian);
  } finally {
    store.close();
  }
}

// ## The auditor

export const auditor: PartyAdapter = {
  name: 'auditor',
  async judgeRegistry(c) {
    const { state } = checkEntries([...c.history, c.candidate], { now: c.candidate.time });
    return state.registries.length === c.history.length + 1 ? 'accept' : 'refuse';
  },
  async epochInForce(registry) {
    const r = checkEntries([registry], { now: registry.time }).state.registry!;
    return describeEpoch(r.threshold, r.custodians.map((c) => c.index));
  },
  async warrantStatus(c) {
    const { state } = checkEntries(logOf(c), { now: c.now });
    const report = buildReport({ audit: state, leaves: [], findings: [], checkpointAccepted: true, asOf: c.now });
    const outcome = report.warrants.outcomes.find((o) => o.count === 1)?.label ?? 'none';
    // The report counts expiry beside the outcome; as a status, revoked > expired > the rest.
    return outcome === 'revoked' ? 'revoked' : report.warrants.expired === 1 ? 'expired' : outcome;
  },
  async admissibility(c) {
    const { findings } = checkEntries([...logOf(c), requestOf(c).entry], { now: c.now });
    const codes = new Set(findings.map((f) => f.code));
    if (codes.has('REQUEST_AFTER_REVOCATION')) return 'revoked';
    if (codes.has('REQUEST_AFTER_EXPIRY')) return 'expired';
    if (codes.has('REQUEST_BEFORE_QUORUM')) return 'no-quorum';
    if (codes.has('UNKNOWN_EPOCH')) return 'unknown-epoch';
    return 'ok';
  },
  async judgeRelease(c) {
    const { head, release } = releaseLogOf(c);
    return auditorVerdict([...head, release], head.length, RELEASE_SIGNER_FINDINGS);
  },
  async judgeRevocation(c) {
    const w = signedWarrant();
    const cover = coverOf(w);
    const log = [singleGenesis, cover, revocationBy(cover, c)];
    // Once the warrant is unsealed (§4.2 `unseal`), the auditor knows its investigator too.
    const unseal = { type: 'unseal' as const, warrantId: w.id, salt: SALT_HEX, warrant: w, time: NOW + 2 * 86_400 };
    return { log: auditorVerdict(log, 2, REVOCATION_FINDINGS), warrant: auditorVerdict([...log, unseal], 2, REVOCATION_FINDINGS) };
  },
  async judgeEpochEntry(c) {
    const { state, findings } = checkEntries([...c.head, c.entry], { now: NOW });
    const codes = findings.filter((f) => f.index === c.head.length && EPOCH_FINDINGS[f.code] !== undefined).map((f) => EPOCH_FINDINGS[f.code]!);
    return { verdict: `${codes.length ? 'refuse' : 'accept'}; ${keyInForce(state.registry!.entry, c.entry.epoch)}`, ...(codes.length ? { codes: codes.join('|') } : {}) };
  },
  async judgeDkgEntry(c) {
    const { findings } = checkEntries([c.registry, c.entry], { now: NOW });
    const codes = findings.filter((f) => f.index === 1 && DKG_FINDINGS[f.code] !== undefined).map((f) => DKG_FINDINGS[f.code]!);
    return codes.length ? { verdict: 'refuse', codes: codes.join('|') } : { verdict: 'accept' };
  },
  async judgeShareDestroyed(c) {
    const { findings } = checkEntries([...c.head, c.entry], { now: NOW });
    const codes = findings.filter((f) => f.index === c.head.length && SHARE_DESTROYED_FINDINGS[f.code] !== undefined).map((f) => SHARE_DESTROYED_FINDINGS[f.code]!);
    return codes.length ? { verdict: 'refuse', codes: codes.join('|') } : { verdict: 'accept' };
  },
  async judgeRetirement(c) {
    return auditorVerdict([c.registry, c.entry], 1, RETIREMENT_FINDINGS);
  },
};

/** The auditor's findings on an `epoch` entry (checks/epoch.ts) and the shared codes each stands for. */
const EPOCH_FINDINGS: Record<string, string> = {
  UNKNOWN_EPOCH: 'UNKNOWN_EPOCH',
  EPOCH_NOT_PROPOSED: 'NOT_PROPOSED',
  // A second activation of an epoch: the shared rule's NOT_PROPOSED, told apart by the auditor.
  DUPLICATE_ENTRY: 'NOT_PROPOSED',
  BAD_EPOCH_CERTIFICATE: 'BAD_RECOVERY_DATA',
  EPOCH_SESSION_MISMATCH: 'THRESHOLD_MISMATCH|HOST_KEYS_MISMATCH|OLD_EPOCH_NOT_ACTIVE|OLD_EPOCH_MISMATCH|SESSION_MISMATCH',
  EPOCH_KEY_MISMATCH: 'GROUP_KEY_MISMATCH|COMMITMENTS_MISMATCH',
  RESHARE_COMMITMENT_MISMATCH: 'DEALING_CONSTANT_MISMATCH',
  RESHARE_KEY_CHANGED: 'GROUP_KEY_CHANGED',
  RESHARE_OF_SUPERSEDED: 'OLD_EPOCH_SUPERSEDED',
};
/** The auditor's findings on a `share-destroyed` entry (checks/shareDestroyed.ts). */
const SHARE_DESTROYED_FINDINGS: Record<string, string> = { UNKNOWN_EPOCH: 'UNKNOWN_EPOCH', SHARE_DESTROYED_EARLY: 'NOT_SUPERSEDED', UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN', BAD_SIGNATURE: 'BAD_SIGNATURE' };
/** The auditor's findings on a `dkg` entry (checks/dkg.ts). */
const DKG_FINDINGS: Record<string, string> = { UNKNOWN_EPOCH: 'UNKNOWN_EPOCH', EPOCH_NOT_PROPOSED: 'NOT_PROPOSED', UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN', BAD_SIGNATURE: 'BAD_SIGNATURE' };

/** Findings that mean the auditor refuses who signed an entry (others, such as a missing quorum, are about the log's history). */
const RELEASE_SIGNER_FINDINGS = new Set(['UNKNOWN_CUSTODIAN', 'NOT_EPOCH_CUSTODIAN', 'BAD_SIGNATURE']);
const REVOCATION_FINDINGS = new Set(['UNAUTHORIZED_REVOCATION', 'BAD_SIGNATURE']);
const RETIREMENT_FINDINGS = new Set(['BAD_RETIREMENT']);

/** 'refuse' if the auditor reports one of `codes` at or after log index `from`. */
function auditorVerdict(log: readonly unknown[], from: number, codes: ReadonlySet<string>): Verdict {
  const { findings } = checkEntries(log, { now: NOW + 3 * 86_400 });
  return findings.some((f) => f.index >= from && codes.has(f.code)) ? 'refuse' : 'accept';
}

// ## The explorer (browser JS)

const entries = await loadEntries();
const rules = await loadRules();
const timeline = await loadEpochTimeline();

/** The explorer's epoch timeline (lib/epochTimeline.js) over `log`, and the story of `epoch`. */
async function storyOf(log: readonly LogEntry[], epoch: number) {
  const t = await timeline.epochTimeline(log.map((entry, index) => ({ index, entry: entry as unknown as Record<string, unknown> })));
  return t.epochs.find((e) => e.epoch === epoch);
}

export const explorer: PartyAdapter = {
  name: 'explorer',
  async judgeRegistry(c) {
    const verdict = c.history.length === 0 ? await rules.judgeGenesis(c.candidate) : await rules.judgeRegistryUpdate(c.candidate, c.history.at(-1));
    return verdict.ok ? 'accept' : 'refuse';
  },
  async epochInForce(registry) {
    // What the explorer shows for a registry entry (entries.js describeEntry).
    const { leaf } = leafOf(registry);
    const d = entries.describeEntry({ index: 0, bytes: leaf, entry: registry as unknown as Record<string, unknown>, type: 'registry', error: '' });
    const t = Number(/: (\d+) of /.exec(d.title)?.[1]);
    const listed = d.fields.find(([k]) => k === 'Custodians')?.[1] ?? '';
    return describeEpoch(t, [...listed.matchAll(/(\d+)\. /g)].map((m) => Number(m[1])));
  },
  async warrantStatus(c) {
    const replay = await rules.replayWarrant(logOf(c) as unknown as Record<string, unknown>[], c.warrant.id, c.now);
    return replay?.status ?? 'none';
  },
  async admissibility(c) {
    const replay = await rules.replayWarrant(logOf(c) as unknown as Record<string, unknown>[], c.warrant.id, c.now);
    if (!replay) return 'no rule';
    const verdict = rules.judgeRequest({ status: replay.status, epochs: c.epochs, approvers: replay.approvers }, replay.registry);
    return verdict.ok ? 'ok' : (REQUEST_CODES[verdict.code] ?? (`explorer ${verdict.code}` as Admissibility));
  },
  async judgeRevocation(c) {
    // The explorer reads the log only: a revocation it accepts makes the warrant's status revoked.
    const cover = coverOf(signedWarrant());
    const replay = await rules.replayWarrant([singleGenesis, cover, revocationBy(cover, c)] as unknown as Record<string, unknown>[], cover.warrantId, NOW);
    return { log: replay?.status === 'revoked' ? 'accept' : 'refuse' };
  },
  async judgeEpochEntry(c) {
    const at = c.head.length;
    const story = await storyOf([...c.head, c.entry], c.entry.epoch);
    const refused = story?.refusedEpochEntries.find((r) => r.index === at);
    const verdict = story?.activation?.index === at ? 'accept' : 'refuse';
    // The key the explorer shows: the activation's, or the registry's for a dealer epoch.
    const registry = c.head[0] as RegistryEntry;
    const dealt = registry.epochs.find((e) => e.epoch === c.entry.epoch)?.groupKey;
    const key = story === undefined ? 'unlisted' : (story.activation?.groupKey ?? dealt ?? 'no key');
    return { verdict: `${verdict}; epoch ${c.entry.epoch}: ${key}`, ...(refused ? { codes: refused.code } : {}) };
  },
  async judgeDkgEntry(c) {
    const story = await storyOf([c.registry, c.entry], c.entry.epoch);
    const s = story?.sessions.find((x) => x.session === c.entry.session);
    const steps = s ? [...s.commits, ...s.reveals, ...s.certeqs, ...s.blames].map((x) => x.index).concat(s.aggregate ?? [], s.abort?.index ?? []) : [];
    const refused = s?.refused.find((r) => r.index === 1);
    return { verdict: steps.includes(1) ? 'accept' : 'refuse', ...(refused ? { codes: refused.code } : {}) };
  },
  async judgeShareDestroyed(c) {
    // What the Epochs panel shows: the statement among the epoch's destructions, or refused with its code.
    const at = c.head.length;
    const story = await storyOf([...c.head, c.entry], c.entry.epoch);
    const refused = story?.refusedDestructions.find((r) => r.index === at);
    return { verdict: story?.destroyed.some((d) => d.index === at) ? 'accept' : 'refuse', ...(refused ? { codes: refused.code } : {}) };
  },
  async judgeRetirement(c) {
    // The Epochs panel (lib/epochTimeline.js) lists a statement only if lib/rules.js judgeRetired accepts it.
    const verdict = await (rules as unknown as { judgeRetired(e: unknown, r: unknown): Promise<{ ok: boolean }> }).judgeRetired(c.entry, c.registry);
    return verdict.ok ? 'accept' : 'refuse';
  },
};

export const parties: readonly PartyAdapter[] = [coordinator, custodian, auditor, explorer];
