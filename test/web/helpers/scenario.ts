/**
 * A populated stand-in log: warrants at every stage of docs/PROTOCOL.md §5, so the
 * explorer has every entry type to decode.
 */
import { randomUUID } from 'node:crypto';
import { bytesToHex, randomSecretKey, utf8 } from '@custodes/shared/crypto';
import { signRecord, warrantCoverSheet } from '@custodes/shared/records';
import type { DecryptionCompleteEntry, DecryptionRequestEntry, ReleaseEntry, RevocationEntry, UnsealEntry } from '@custodes/shared/records';
import { issueWarrant, makeWorld, signedApproval, StandInLog } from './world';
import type { IssuedWarrant, World } from './world';

const DAY = 86_400;

export interface Scenario {
  world: World;
  log: StandInLog;
  now: number;
  /** Approved by custodians 1 and 2, one request, two releases, completed. */
  served: IssuedWarrant;
  servedRequestId: string;
  /** Approved, then revoked by the court. */
  revoked: IssuedWarrant;
  /** Sealed until yesterday and never unsealed: overdue. */
  overdue: IssuedWarrant;
  /** Sealed until last week, unsealed. */
  unsealed: IssuedWarrant;
  /** Index of custodian 1's approval of `served`. */
  approvalIndex: number;
  /** Index of a leaf that is not a valid entry. */
  junkIndex: number;
}

export function populatedLog(now = Math.floor(Date.now() / 1000)): Scenario {
  const world = makeWorld(now);
  const log = new StandInLog(world, now);
  const [c1, c2, c3] = world.custodians as [World['custodians'][0], World['custodians'][0], World['custodians'][0]];
  const cover = (w: IssuedWarrant) => log.append(warrantCoverSheet(w.warrant, w.commitment));

  const served = issueWarrant(world, now, { caseNumber: 'CR-2026-0001', issuedAt: now - 2 * DAY });
  cover(served);
  // Quorum (t = 2) 5 hours after issue.
  const approvalIndex = log.append(signedApproval(c1, served, 'approve', now - 2 * DAY + 2 * 3600));
  log.append(signedApproval(c2, served, 'approve', now - 2 * DAY + 5 * 3600));
  log.append(signedApproval(c3, served, 'deny', now - 2 * DAY + 6 * 3600, 'subject count exceeds our policy'));
  const servedRequestId = randomUUID();
  const request: Omit<DecryptionRequestEntry, 'signature'> = {
    type: 'decryption-request',
    requestId: servedRequestId,
    warrantId: served.warrant.id,
    investigator: world.agency.investigator.publicKey,
    envelopeCount: 3,
    envelopeSetRoot: bytesToHex(randomSecretKey()),
    epochs: [1],
    time: now - 3000,
  };
  log.append({ ...request, signature: signRecord(request, 'decryption-request', world.agency.investigator.secretKey) });
  for (const c of [c1, c2]) {
    const release: Omit<ReleaseEntry, 'signature'> = { type: 'release', requestId: servedRequestId, custodian: c.index, count: 3, partialsRoot: bytesToHex(randomSecretKey()) };
    log.append({ ...release, signature: signRecord(release, 'release', c.secretKey) });
  }
  const done: DecryptionCompleteEntry = { type: 'decryption-complete', requestId: servedRequestId, decrypted: 3, failed: 0, blamed: [], time: now - 2900 };
  log.append(done);

  const revoked = issueWarrant(world, now, { caseNumber: 'CR-2026-0002', issuedAt: now - 3 * 3600 });
  cover(revoked);
  log.append(signedApproval(c2, revoked, 'approve', now - 2000));
  const revocation: Omit<RevocationEntry, 'signature'> = {
    type: 'revocation',
    warrantId: revoked.warrant.id,
    reason: 'investigation closed',
    by: 'court',
    signer: world.court.publicKey,
    time: now - 1000,
  };
  log.append({ ...revocation, signature: signRecord(revocation, 'revocation', world.court.secretKey) });

  const overdue = issueWarrant(world, now, { caseNumber: 'CR-2025-0917', issuedAt: now - 200 * DAY, expiresAt: now - 100 * DAY, sealedUntil: now - DAY });
  cover(overdue);
  const unsealed = issueWarrant(world, now, { caseNumber: 'CR-2025-0101', issuedAt: now - 300 * DAY, expiresAt: now - 200 * DAY, sealedUntil: now - 7 * DAY });
  cover(unsealed);
  const unseal: UnsealEntry = { type: 'unseal', warrantId: unsealed.warrant.id, salt: unsealed.salt, warrant: unsealed.warrant, time: now - 6 * DAY };
  log.append(unseal);

  const junkIndex = log.appendRaw(utf8('{"type":"not-a-record"}'));
  // Filler so that the entries table has several pages.
  // Filler over the past months (for the report's per-month chart) so that the entries table has several pages.
  const courts = ['district-court-1', 'district-court-1', 'appeals-court'];
  const agencies = ['federal-police', 'customs', 'federal-police', 'tax-office'];
  for (let i = 0; i < 12; i++) {
    cover(
      issueWarrant(world, now, {
        caseNumber: `CR-2026-1${String(i).padStart(3, '0')}`,
        issuedAt: now - (i % 6) * 30 * DAY - DAY,
        court: courts[i % courts.length]!,
        agency: agencies[i % agencies.length]!,
      }),
    );
  }
  log.publish();
  return { world, log, now, served, servedRequestId, revoked, overdue, unsealed, approvalIndex, junkIndex };
}
