/**
 * Findings of the auditor: one per broken rule of docs/PROTOCOL.md §1, attributed
 * to a log index, with a stable code (STYLE.md: a string union per layer).
 */

// ## Codes

/** Every rule the auditor checks, by code. */
export type FindingCode =
  // Form of the log (docs/PROTOCOL.md §4.2: one leaf = the JCS bytes of one entry).
  | 'MALFORMED_ENTRY' // not JSON, not canonical JCS, or not a known entry schema
  | 'DUPLICATE_ENTRY' // a second entry for a key the log must hold once
  // Registry (§4.2 `registry`).
  | 'BAD_GENESIS' // entry 0 is not a registry with sequence 0
  | 'BAD_REGISTRY' // a registry entry is inconsistent or breaks the update rules
  | 'PIN_MISMATCH' // the genesis registry does not match the pinned keys
  // Signatures (§3.5) and who may sign what.
  | 'BAD_SIGNATURE' // a record's signature does not verify under the key that must have made it
  | 'UNKNOWN_CUSTODIAN' // signed by a custodian index the registry does not name
  | 'NOT_EPOCH_CUSTODIAN' // a release by a custodian holding no share of an epoch its request covers
  | 'UNKNOWN_COURT' // a warrant or unsealing names a court the registry does not know
  | 'UNKNOWN_AGENCY' // a warrant names an agency the registry does not know
  | 'UNKNOWN_INVESTIGATOR' // a request or warrant by a key not registered for the warrant's agency
  | 'UNAUTHORIZED_REVOCATION' // revoked by someone other than the warrant's court or investigator
  | 'INVESTIGATOR_MISMATCH' // a request signed by an investigator other than the unsealed warrant's
  // Warrants and quorum (§1 goal 3).
  | 'UNKNOWN_WARRANT' // an entry refers to a warrant not logged before it
  | 'COMMITMENT_MISMATCH' // an approval carries another commitment than the warrant's
  | 'BAD_WARRANT' // a cover sheet with impossible dates
  | 'UNKNOWN_EPOCH' // a request or misbehavior names an epoch the registry does not know
  | 'REQUEST_BEFORE_QUORUM' // a decryption request without t distinct approvals before it
  // Release (§1 goals 2, 3, 7).
  | 'UNKNOWN_REQUEST' // a release, completion or misbehavior for a request never logged
  | 'RELEASE_BEFORE_REQUEST' // a release logged before its request
  | 'RELEASE_BEFORE_QUORUM' // a release while its warrant had fewer than t approvals
  | 'RELEASE_BY_NON_APPROVER' // a release by a custodian that did not approve the warrant
  | 'RELEASE_BY_DENIER' // a release by a custodian that denied the warrant
  | 'RELEASE_COUNT_MISMATCH' // more partials released than envelopes requested
  | 'COMPLETE_WITHOUT_RELEASES' // decryptions reported with fewer than t releases logged
  | 'COMPLETE_MISMATCH' // more envelopes decrypted or failed than requested
  | 'UNSUPPORTED_BLAME' // a completion blames a custodian without a misbehavior entry
  // Expiry, revocation, caps (§1 goal 7).
  | 'REQUEST_AFTER_EXPIRY'
  | 'RELEASE_AFTER_EXPIRY'
  | 'REQUEST_AFTER_REVOCATION'
  | 'RELEASE_AFTER_REVOCATION'
  | 'ENVELOPE_CAP_EXCEEDED'
  // Sealing (§1 goal 6).
  | 'UNSEAL_DOES_NOT_OPEN' // the opening does not reproduce the commitment
  | 'COVER_SHEET_MISMATCH' // the logged cover sheet is not the unsealed warrant's
  | 'UNSEAL_OVERDUE' // still sealed after sealedUntil
  // Epochs made by distributed key generation (§3.8, §8.8).
  | 'BAD_EPOCH_CERTIFICATE' // an epoch entry whose recovery data does not parse or whose certificate does not verify
  | 'EPOCH_SESSION_MISMATCH' // an epoch entry whose session has another threshold or other host keys than the registry's epoch
  | 'EPOCH_KEY_MISMATCH' // an epoch entry whose groupKey or commitments are not what its recovery data yields
  | 'RESHARE_OF_SUPERSEDED' // an epoch entry resharing an epoch whose key an earlier reshare already moved (§3.9)
  | 'RESHARE_COMMITMENT_MISMATCH' // a reshare's dealing whose C_{i,0} is not its dealer's public share X_i of the old epoch (§3.9)
  | 'RESHARE_KEY_CHANGED' // a certified reshare whose dealings combine to another group key than the old epoch's (§3.9)
  | 'SHARE_DESTROYED_EARLY' // a share-destroyed statement logged before its successor's epoch entry, or naming another successor (§3.9)
  | 'SHARE_NOT_DESTROYED' // a custodian of a superseded epoch with no share-destroyed statement within the grace period (§3.9)
  | 'DKG_WRONG_STEP' // a reshare's `dealers` step in a DKG session (§3.9)
  | 'EPOCH_NOT_PROPOSED' // an epoch or dkg entry for an epoch that already has its keys (a dealer epoch, or activated)
  | 'EPOCH_NOT_ACTIVE' // a request, release or misbehavior for a proposed epoch that no valid epoch entry activated
  // Retiring epochs (§3.10, §8.8).
  | 'RELEASE_AFTER_RETIREMENT' // a release for an epoch after its retireAfter, or after the releasing custodian's own retirement statement for it
  | 'RETIREMENT_MISSING' // a custodian of an epoch that has not logged its retirement by retireAfter + grace
  | 'BAD_RETIREMENT' // a retired entry that does not verify: unknown epoch or custodian, no retireAfter, dated before it, bad signature
  // Verifiable shares (§1 goal 5).
  | 'FALSE_MISBEHAVIOR' // a misbehavior entry whose partial actually verifies
  // The log itself (§4.3, §1 goal 8).
  | 'BAD_CHECKPOINT' // the checkpoint note is malformed
  | 'BAD_LOG_SIGNATURE' // the checkpoint is not signed by the registry's log key
  | 'LOG_EQUIVOCATION' // two checkpoints of one size with different roots
  | 'INCONSISTENT_CHECKPOINT' // no valid consistency proof from the last verified checkpoint
  | 'INSUFFICIENT_COSIGNATURES' // fewer registered custodians than the policy asks (default t) cosigned the checkpoint
  | 'INSUFFICIENT_EXTERNAL_COSIGNATURES' // fewer of the registry's external witnesses than the policy asks cosigned it
  | 'ROOT_MISMATCH' // the entries served do not hash to the checkpoint's root
  | 'SPLIT_VIEW'; // a custodian cosigned a checkpoint inconsistent with the coordinator's

/**
 * One broken rule. `index` is the log index of the entry at fault; for a
 * finding about a checkpoint it is the checkpoint's tree size.
 */
export interface Finding {
  readonly index: number;
  readonly code: FindingCode;
  readonly message: string;
}

/** `#<index> <CODE> <sentence>`, the line the CLI prints. */
export function formatFinding(finding: Finding): string {
  return `#${finding.index} ${finding.code} ${finding.message}`;
}

/** Orders findings by index, then code, then message, so output is reproducible. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.index !== b.index) return a.index - b.index;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
