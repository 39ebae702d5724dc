/**
 * Signed records others bring to the log (docs/PROTOCOL.md §7.4 `POST /v1/records`,
 * `POST /v1/registry`, `POST /v1/unseals`). Each is checked, then logged once;
 * a repeat answers with the existing index.
 */
import { canonicalJson, SignedWarrantSchema } from '@custodes/shared/records';
import type { ApprovalEntry, DecryptionRequestEntry, RegistryEntry, ReleaseEntry, RetiredEntry, RevocationEntry, SignedWarrant } from '@custodes/shared/records';
import type { Context } from '../context';
import { buildUnseal, checkApproval, checkRelease, checkRetired, checkRevocation, entryKey } from '../rules/recordChecks';
import type { LoggedWarrant } from '../rules/recordChecks';
import { checkUpdate } from '../rules/registryChecks';
import { fail } from '../errors';

export interface Logged {
  index: number;
  fresh: boolean;
}

function loggedWarrant(ctx: Context, warrantId: string): LoggedWarrant | undefined {
  const w = ctx.repo.warrant(warrantId);
  return w && { id: w.id, commitment: w.commitment, court: w.court, investigator: w.investigator, agency: w.agency, sealedUntil: w.sealedUntil };
}

/** The epochs a logged request covers (its signed entry, docs/PROTOCOL.md §4.2), or undefined if it is not logged. */
function loggedRequestEpochs(ctx: Context, requestId: string): readonly number[] | undefined {
  const r = ctx.repo.request(requestId);
  return r && r.logIndex !== null && r.entryJson !== null ? (JSON.parse(r.entryJson) as DecryptionRequestEntry).epochs : undefined;
}

export function logRecord(ctx: Context, entry: ApprovalEntry | ReleaseEntry | RevocationEntry | RetiredEntry): Logged {
  const registry = ctx.registry();
  let result: Logged;
  switch (entry.type) {
    case 'approval': {
      checkApproval(entry, registry, loggedWarrant(ctx, entry.warrantId));
      const prior = ctx.repo.decision(entry.warrantId, entry.custodian);
      if (prior) {
        if (prior.decision !== entry.decision) {
          fail('DUPLICATE_DECISION', `custodian ${entry.custodian} already decided ${prior.decision} on this warrant`);
        }
        return { index: prior.logIndex, fresh: false };
      }
      result = ctx.ledger.appendOnce(entryKey.approval(entry.warrantId, entry.custodian), entry, (i) =>
        ctx.repo.putDecision(entry.warrantId, entry.custodian, entry.decision, i),
      );
      break;
    }
    case 'release': {
      checkRelease(entry, registry, loggedRequestEpochs(ctx, entry.requestId));
      result = ctx.ledger.appendOnce(entryKey.release(entry.requestId, entry.custodian), entry);
      break;
    }
    case 'revocation': {
      checkRevocation(entry, registry, loggedWarrant(ctx, entry.warrantId));
      result = ctx.ledger.appendOnce(entryKey.revocation(entry.warrantId), entry, (i) => ctx.repo.putRevocation(entry.warrantId, i));
      break;
    }
    case 'retired': {
      // One statement per (epoch, custodian): a node that re-announces after a restart gets the first one's index (§3.10).
      const existing = ctx.ledger.indexOf(entryKey.retired(entry.epoch, entry.custodian));
      if (existing !== undefined) return { index: existing, fresh: false };
      checkRetired(entry, registry, ctx.now());
      result = ctx.ledger.appendOnce(entryKey.retired(entry.epoch, entry.custodian), entry);
      break;
    }
  }
  if (result.fresh) ctx.logger.info({ type: entry.type, index: result.index }, 'record logged');
  return result;
}

export function updateRegistry(ctx: Context, entry: RegistryEntry): Logged {
  const current = ctx.registry();
  const existing = ctx.ledger.indexOf(entryKey.registry(entry.sequence));
  if (existing !== undefined) {
    // The same update again is the same answer; a different one is a conflict.
    if (canonicalJson(ctx.ledger.entry(existing)) !== canonicalJson(entry)) {
      fail('REGISTRY_SEQUENCE', `registry sequence ${entry.sequence} is already logged`);
    }
    return { index: existing, fresh: false };
  }
  checkUpdate(entry, current);
  const result = ctx.ledger.appendOnce(entryKey.registry(entry.sequence), entry, (i) =>
    ctx.repo.putRegistry(entry.sequence, i, JSON.stringify(entry)),
  );
  ctx.reloadRegistry();
  ctx.logger.info({ sequence: entry.sequence, index: result.index }, 'registry updated');
  return result;
}

export function unseal(ctx: Context, input: { warrantId: string; salt: string; warrant: SignedWarrant }): Logged {
  const existing = ctx.ledger.indexOf(entryKey.unseal(input.warrantId));
  if (existing !== undefined) return { index: existing, fresh: false };
  const entry = buildUnseal(input, loggedWarrant(ctx, input.warrantId), ctx.registry(), ctx.now());
  // Only the fields of a signed warrant go into the public entry.
  entry.warrant = SignedWarrantSchema.parse(entry.warrant);
  const result = ctx.ledger.appendOnce(entryKey.unseal(input.warrantId), entry);
  ctx.logger.info({ warrantId: input.warrantId, index: result.index }, 'warrant unsealed');
  return result;
}
