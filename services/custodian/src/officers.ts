/**
 * Four-eyes approval (docs/PROTOCOL.md §7.13, Officers). A node may name
 * officers, each with their own token, and require m of them to approve
 * before it signs its `approval` entry. The threat: one stolen or misused
 * credential approving a warrant alone.
 *
 * The rules, each with its own code:
 * - with a quorum set, only officers decide; the operator token reads and
 *   seals but does not decide (403 OFFICER_REQUIRED);
 * - each officer decides once per warrant; another decision later is 409
 *   ALREADY_DECIDED, the same one again answers the current state;
 * - the node signs `approve` when the m-th officer approves, with the count in
 *   the entry's `reason` (no new field: §4.2 entries are strict, and older
 *   auditors would refuse one);
 * - any one officer may deny alone, and the node signs `deny` at once with
 *   that officer's reason: a denial releases nothing, so it needs no second
 *   pair of eyes, while an approval does;
 * - without a quorum (none set) every token decides alone, as before.
 *
 * Officer names and their individual reasons stay on this node; the log
 * shows only the count.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalEntry } from '@custodes/shared/records';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { DB_FILE, hashToken } from './init';
import { decide } from './review';
import type { ReviewStatus } from './review';
import { openStore } from './store';
import type { OfficerDecisionRow } from './store';

// ## Who is calling

/** The holder of a token the node accepted (routes/operator.ts). */
export type Actor = { kind: 'operator' } | { kind: 'officer'; name: string };

/** A name for `decidedBy` in the node's review record. */
const actorLabel = (actor: Actor): string => (actor.kind === 'operator' ? 'operator' : `officer:${actor.name}`);

// ## Status

export interface OfficerStatus {
  /** m: approvals the node needs before it signs. */
  required: number;
  /** k: every named officer. */
  officers: string[];
  approvedBy: OfficerDecisionRow[];
  deniedBy: OfficerDecisionRow[];
  /** Officers who have not decided while the warrant is pending; empty once the node has decided. */
  awaited: string[];
}

/** The officers' decisions on `warrantId`, or null when this node has no quorum set. */
export function officerStatus(ctx: Context, warrantId: string): OfficerStatus | null {
  const required = ctx.store.officerQuorum();
  if (required === undefined) return null;
  const officers = ctx.store.officerNames();
  const decisions = ctx.store.officerDecisions(warrantId);
  const pending = ctx.store.review(warrantId)?.status === 'pending';
  const decided = new Set(decisions.map((d) => d.officer));
  return {
    required,
    officers,
    approvedBy: decisions.filter((d) => d.decision === 'approve'),
    deniedBy: decisions.filter((d) => d.decision === 'deny'),
    awaited: pending ? officers.filter((o) => !decided.has(o)) : [],
  };
}

// ## Deciding

export interface OfficerAnswer {
  status: ReviewStatus;
  /** The node's signed entry, once it has decided. */
  entry?: ApprovalEntry;
  /** Absent without a quorum (the answer is then exactly as before officers existed). */
  officers?: OfficerStatus;
}

/** The reason the node signs when the m-th officer approves (§7.13: the count, no names). */
export const quorumReason = (approved: number, required: number): string => `four-eyes: ${approved} officers approved (${required} required)`;

/** A decision by `actor` on `warrantId`, under the rules above. */
export function decideAs(ctx: Context, actor: Actor, warrantId: string, decision: 'approve' | 'deny', reason: string | undefined): OfficerAnswer {
  const required = ctx.store.officerQuorum();
  if (required === undefined) {
    return decide(ctx, warrantId, decision, reason, actorLabel(actor));
  }
  if (actor.kind !== 'officer') throw new CustodianError('OFFICER_REQUIRED', `this node requires ${required} officer(s) to decide, each with their own token`);
  const review = ctx.store.review(warrantId);
  if (!review) throw new CustodianError('UNKNOWN_WARRANT', `no warrant ${warrantId} awaits review here`);
  const mine = ctx.store.officerDecisions(warrantId).find((d) => d.officer === actor.name);
  if (mine && mine.decision !== decision) throw new CustodianError('ALREADY_DECIDED', `officer ${actor.name} already chose ${mine.decision} on warrant ${warrantId}`);
  if (review.status !== 'pending') {
    // Decided already: the same decision as the node's answers its entry (decide), another is 409.
    const r = decide(ctx, warrantId, decision, reason, actorLabel(actor));
    return { ...r, officers: officerStatus(ctx, warrantId)! };
  }
  let signed: { status: ReviewStatus; entry: ApprovalEntry } | undefined;
  ctx.store.tx(() => {
    if (!mine) ctx.store.insertOfficerDecision(warrantId, { officer: actor.name, decision, reason: reason ?? null, time: nowSeconds(ctx) });
    if (decision === 'deny') {
      signed = decide(ctx, warrantId, 'deny', reason, actorLabel(actor), false);
      return;
    }
    const approved = ctx.store.officerDecisions(warrantId).filter((d) => d.decision === 'approve');
    if (approved.length >= required) {
      signed = decide(ctx, warrantId, 'approve', quorumReason(approved.length, required), `officers:${approved.map((d) => d.officer).join(',')}`, false);
    }
  });
  ctx.log.info({ warrantId, decision, officer: actor.name, signed: signed !== undefined }, 'officer decision recorded');
  if (signed) void ctx.outbox.kick();
  const officers = officerStatus(ctx, warrantId)!; // a quorum is set
  return signed ? { ...signed, officers } : { status: 'pending', officers };
}

// ## Adding officers (offline, like init)

const OFFICER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface AddOfficerOptions {
  dataDir: string;
  /** 1–64 characters: lower-case letters, digits, '.', '_', '-'. */
  name: string;
  /** Set m, the approvals required (1 ≤ m ≤ officers); unchanged if absent. */
  require?: number;
}

export interface AddOfficerResult {
  name: string;
  /** Shown once; stored only as its SHA-256. */
  token: string;
  officers: string[];
  /** m after this call; undefined while no quorum is set. */
  required: number | undefined;
}

/** Names an officer and returns their token once; optionally sets how many must approve. */
export function addOfficer(opts: AddOfficerOptions): AddOfficerResult {
  if (typeof opts.name !== 'string' || !OFFICER_NAME.test(opts.name)) {
    throw new CustodianError('BAD_OFFICER', 'officer name must be 1–64 characters: lower-case letters, digits, ".", "_" or "-"');
  }
  if (opts.require !== undefined && !(Number.isSafeInteger(opts.require) && opts.require >= 1)) {
    throw new CustodianError('BAD_OPTIONS', 'require must be an integer ≥ 1');
  }
  const file = join(opts.dataDir, DB_FILE);
  if (!existsSync(file)) throw new CustodianError('NOT_INITIALISED', `${opts.dataDir} holds no custodian; run init first`);
  const store = openStore(file);
  try {
    if (!store.node()) throw new CustodianError('NOT_INITIALISED', `${opts.dataDir} holds no initialised custodian`);
    const token = randomBytes(32).toString('base64url');
    return store.tx(() => {
      if (store.officerNames().includes(opts.name)) throw new CustodianError('BAD_OFFICER', `officer ${opts.name} already exists`);
      store.insertOfficer(opts.name, hashToken(token));
      const officers = store.officerNames();
      if (opts.require !== undefined) {
        if (opts.require > officers.length) throw new CustodianError('BAD_OPTIONS', `require ${opts.require} exceeds the ${officers.length} officer(s) named`);
        store.setOfficerQuorum(opts.require);
      }
      return { name: opts.name, token, officers, required: store.officerQuorum() };
    });
  } finally {
    store.close();
  }
}
