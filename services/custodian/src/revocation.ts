/**
 * A revocation posted to this custodian directly (docs/PROTOCOL.md §7.14):
 * the court (or the warrant's investigator) need not go through
 * the coordinator to stop releases. docs/PROTOCOL.md §1 goal 7 has each custodian
 * enforce revocations from its own copy of the log; one it receives itself is
 * in force here at once (release rule (c)) and is forwarded to the log by the
 * outbox, from which the other custodians enforce it.
 *
 * No operator token: the signature is the authority, checked against this
 * node's replicated registry before anything is stored, by the shared rule
 * (@custodes/shared/rules judgeRevocation, docs/PROTOCOL.md §8.1): knowing
 * the warrant's investigator when this node was delivered the warrant, so it
 * refuses what the coordinator would refuse to log; else the cover-sheet rule
 * its replica applies. A caller without the court's or investigator's
 * key costs one parse and at most one signature check.
 */
import { canonicalJson } from '@custodes/shared/records';
import type { RevocationEntry, SignedWarrant } from '@custodes/shared/records';
import { judgeRevocation } from '@custodes/shared/rules';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { currentRegistry, loggedWarrant } from './replica';
import type { Store } from './store';

export interface RevocationAnswer {
  warrantId: string;
  revoked: true;
  /** The log index once this node's replica holds a revocation of the warrant, else null. */
  logIndex: number | null;
}

/** Checks and records a directly posted revocation (attacker-controlled `entry`, already schema-parsed); idempotent. */
export function receiveRevocation(ctx: Context, entry: RevocationEntry): RevocationAnswer {
  const { store } = ctx;
  const warrant = loggedWarrant(store, entry.warrantId);
  const registry = currentRegistry(store);
  if (!warrant || !registry) throw new CustodianError('WARRANT_NOT_LOGGED', `warrant ${entry.warrantId} is not in this node's log replica`);
  const verdict = judgeRevocation(entry, registry.entry, warrant.entry, deliveredInvestigator(store, entry.warrantId));
  if (!verdict.ok) throw new CustodianError(verdict.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'FORBIDDEN', verdict.message);

  const canonical = canonicalJson(entry);
  const fresh = store.tx(() => {
    // One revocation per warrant is forwarded (the coordinator logs one per warrant); a later one changes nothing.
    if (!store.insertReceivedRevocation(entry.warrantId, canonical, nowSeconds(ctx))) return false;
    store.insertOutbox(`revocation:${entry.warrantId}`, canonical);
    return true;
  });
  if (fresh) {
    ctx.log.warn({ warrantId: entry.warrantId, by: entry.by }, 'warrant revoked by a revocation posted to this node: no further release; forwarding it to the log');
    void ctx.outbox.kick();
  }
  const logged = store.revocations(entry.warrantId)[0];
  return { warrantId: entry.warrantId, revoked: true, logIndex: logged?.idx ?? null };
}

/** The investigator of the warrant delivered to this node (§7.11), if it was; stored only after review checked it opens the commitment. */
function deliveredInvestigator(store: Store, warrantId: string): string | undefined {
  const review = store.review(warrantId);
  return review ? (JSON.parse(review.warrant) as SignedWarrant).investigator : undefined;
}

/** Rule (c): revoked in the log, or by a revocation posted here (receiveRevocation). */
export function isRevoked(store: Store, warrantId: string): boolean {
  return store.revocations(warrantId).length > 0 || store.receivedRevocation(warrantId) !== undefined;
}
