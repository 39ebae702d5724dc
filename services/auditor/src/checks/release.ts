/**
 * Release checks (docs/PROTOCOL.md §1 goals 2, 3 and 7): after its request, signed by a
 * custodian of the request's epochs, once, by an approver, with a quorum (@custodes/shared/rules),
 * not after revocation, expiry or retirement of an epoch, no more partials than envelopes.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { ReleaseEntry } from '@custodes/shared/records';
import { judgeRelease } from '@custodes/shared/rules';
import { quorumShortfall } from './approval';
import { releaseRetirement } from './retired';
import { inactiveEpoch, iso, rejected, short } from './context';
import type { Check, Context } from './context';

/** Indices of requests by id, over the whole log, to tell "later" from "never". */
export type RequestIndex = ReadonlyMap<string, number>;

export function releaseChecks(requestIndex: RequestIndex): readonly Check<ReleaseEntry>[] {
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
      // By a custodian of every epoch the request covers, signed (@custodes/shared/rules judgeRelease, docs/PROTOCOL.md §8.1).
      name: 'release.signer',
      run(entry, ctx) {
        const reg = ctx.state.registry;
        const r = ctx.state.requests.get(entry.requestId);
        if (!reg || !r) return; // without its request there are no epochs to judge by; release.request reported it
        // A proposed epoch has no shares (§3.8): no partial under it can be what the release claims.
        const inactive = r.entry.epochs.find((e) => inactiveEpoch(reg, e));
        if (inactive !== undefined) {
          ctx.report('EPOCH_NOT_ACTIVE', `custodian ${entry.custodian} released for request ${short(entry.requestId)} under epoch ${inactive}, which no valid epoch entry activated.`);
          return;
        }
        const verdict = judgeRelease(entry, reg.entry, r.entry.epochs);
        if (!verdict.ok) ctx.report(verdict.code, `${verdict.message} (release for request ${short(entry.requestId)}).`);
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
        const shortfall = quorumShortfall(w, ctx.state.registry, r.entry.epochs);
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
    // Not after its epoch's retireAfter, nor after the custodian's own retirement (docs/PROTOCOL.md §3.10).
    releaseRetirement,
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

export function applyRelease(entry: ReleaseEntry, ctx: Context): void {
  const r = ctx.state.requests.get(entry.requestId);
  if (!r || rejected(ctx)) return;
  r.releases.set(entry.custodian, ctx.index);
}

