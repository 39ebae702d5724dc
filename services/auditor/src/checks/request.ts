/**
 * Decryption request checks (docs/PROTOCOL.md §1 goals 3 and 7): one per id, signed by
 * a registered investigator of the warrant's agency, registered epochs, a
 * quorum before it (the warrant's and each epoch's, @custodes/shared/rules),
 * not after expiry or revocation, within the envelope cap.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { verifyRecordSignature } from '@custodes/shared/records';
import type { DecryptionRequestEntry } from '@custodes/shared/records';
import { quorumShortfall } from './approval';
import { inactiveEpoch, iso, short, warrantFor } from './context';
import type { Check, Context, RequestState } from './context';

export const requestChecks: readonly Check<DecryptionRequestEntry>[] = [
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
      for (const e of entry.epochs) {
        if (!reg.epoch(e)) ctx.report('UNKNOWN_EPOCH', `request ${short(entry.requestId)} names epoch ${e}, which is not registered.`);
        else if (inactiveEpoch(reg, e)) ctx.report('EPOCH_NOT_ACTIVE', `request ${short(entry.requestId)} names epoch ${e}, which no valid epoch entry activated.`);
      }
    },
  },
  {
    name: 'request.quorum',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      const shortfall = w && quorumShortfall(w, ctx.state.registry, entry.epochs);
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

export function applyRequest(entry: DecryptionRequestEntry, ctx: Context): void {
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

