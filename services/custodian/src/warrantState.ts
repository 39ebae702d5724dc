/**
 * A logged warrant's state as this node's replica shows it (docs/PROTOCOL.md §1 goals
 * 3 and 7): its decisions tallied among the reviewers and its status, by the
 * shared rules (@custodes/shared/rules) the coordinator and the auditors
 * apply. Read by release rules (c)–(d) and the operator's warrant view.
 */
import type { RegistryEntry, WarrantEntry } from '@custodes/shared/records';
import { reviewers, tallyDecisions, warrantStatus } from '@custodes/shared/rules';
import type { Tally, WarrantStatus } from '@custodes/shared/rules';
import { isRevoked } from './revocation';
import type { Store } from './store';

export interface WarrantState extends Tally {
  readonly status: WarrantStatus;
  /** Logged decisions over the warrant entry's commitment, in log order. */
  readonly decisions: readonly { custodian: number; decision: 'approve' | 'deny' }[];
}

/** `warrant` (its logged cover sheet) under `registry` at `now` (Unix seconds). */
export function warrantState(store: Store, registry: RegistryEntry, warrant: WarrantEntry, now: number): WarrantState {
  // A decision over another commitment is about another warrant (the replica refuses those anyway).
  const decisions = store.approvals(warrant.warrantId).filter((a) => a.commitment === warrant.commitment);
  const quorum = reviewers(registry)!; // a parsed registry lists at least one epoch
  const tally = tallyDecisions(decisions, quorum.custodians);
  // A revocation posted to this node counts at once, before the log has it (docs/PROTOCOL.md §7.14).
  const revoked = isRevoked(store, warrant.warrantId);
  const status = warrantStatus({ approvals: tally.approvers.length, denials: tally.deniers.length, revoked, expiresAt: warrant.expiresAt }, quorum, now);
  return { ...tally, status, decisions };
}
