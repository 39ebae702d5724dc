/**
 * Custodian error codes (docs/PROTOCOL.md §7). Domain code throws CustodianError
 * with a code; the HTTP layer maps each code to its status in one place.
 */
import { CustodesError } from '@custodes/shared';

export type CustodianCode =
  // seal (docs/PROTOCOL.md §3.6)
  | 'sealed'
  | 'BAD_UNSEAL_KEY'
  | 'WRONG_UNSEAL_KEY'
  | 'UNSEAL_FAILED'
  | 'UNAUTHENTICATED'
  // init
  | 'ALREADY_INITIALISED'
  | 'NOT_INITIALISED'
  | 'DATA_DIR_IN_USE'
  | 'DATA_FORMAT_OLD'
  | 'BAD_KEY_FILE'
  | 'BAD_OPTIONS'
  | 'BAD_POLICY'
  // witness (C2SP tlog-witness)
  | 'BAD_CHECKPOINT'
  | 'UNKNOWN_LOG'
  | 'BAD_LOG_SIGNATURE'
  | 'OLD_SIZE_MISMATCH'
  | 'ROOT_MISMATCH'
  | 'BAD_PROOF'
  | 'ENTRIES_MISMATCH'
  | 'BAD_ENTRY'
  | 'BAD_GENESIS'
  | 'UPSTREAM_UNAVAILABLE'
  // review
  | 'WARRANT_NOT_LOGGED'
  | 'BAD_COMMITMENT'
  | 'BAD_COURT_SIGNATURE'
  | 'BAD_INVESTIGATOR_SIGNATURE'
  | 'UNKNOWN_COURT'
  | 'UNKNOWN_INVESTIGATOR'
  | 'BAD_DATES'
  | 'UNKNOWN_WARRANT'
  | 'ALREADY_DECIDED'
  // a revocation posted directly (revocation.ts)
  | 'FORBIDDEN'
  | 'BAD_SIGNATURE'
  // four-eyes approval (docs/PROTOCOL.md §7.13, Officers)
  | 'OFFICER_REQUIRED'
  // DKG consent is the operator's (docs/PROTOCOL.md §7.15)
  | 'OPERATOR_REQUIRED'
  | 'BAD_OFFICER'
  // release: the coordinator's call authorisation (docs/PROTOCOL.md §7.12, Call authorisation), checked first
  | 'BAD_CALL_SIGNATURE'
  | 'WRONG_CUSTODIAN'
  | 'STALE_CALL'
  | 'REPLAYED_CALL'
  | 'CALL_MISMATCH'
  // release: this node's earlier releases must reach the log first (docs/PROTOCOL.md §7.12)
  | 'RELEASES_UNLOGGED'
  // release, one per rule (a)–(k)
  | 'REQUEST_NOT_LOGGED'
  | 'WARRANT_INVALID'
  | 'INVESTIGATOR_MISMATCH'
  | 'WARRANT_EXPIRED'
  | 'WARRANT_REVOKED'
  | 'NO_QUORUM'
  | 'NOT_APPROVED_BY_ME'
  | 'ENVELOPE_SET_MISMATCH'
  | 'BAD_BINDING'
  | 'OUT_OF_SCOPE'
  | 'UNKNOWN_EPOCH'
  | 'ENVELOPE_CAP'
  | 'RATE_LIMITED'
  // release and share recovery: the epoch is retired (docs/PROTOCOL.md §3.10, rule (k))
  | 'EPOCH_RETIRED'
  // distributed key generation (docs/PROTOCOL.md §3.8, §7.15), in the order dkg.ts checks them
  | 'DKG_NO_HOST_KEY'
  | 'DKG_NO_CONSENT'
  | 'DKG_UNKNOWN_EPOCH'
  | 'DKG_NOT_PARTICIPANT'
  | 'DKG_HOST_KEY_MISMATCH'
  | 'DKG_ABORTED'
  | 'DKG_REVEAL_MISMATCH'
  | 'DKG_AGGREGATE_MISMATCH';

export class CustodianError extends CustodesError<CustodianCode> {}

/** HTTP status per code; anything not listed is 400. */
export const STATUS: Partial<Record<CustodianCode, number>> = {
  sealed: 503,
  UNAUTHENTICATED: 401,
  BAD_CALL_SIGNATURE: 401,
  WRONG_CUSTODIAN: 401,
  STALE_CALL: 401,
  REPLAYED_CALL: 401,
  CALL_MISMATCH: 401,
  RELEASES_UNLOGGED: 503,
  UNKNOWN_LOG: 404,
  BAD_LOG_SIGNATURE: 403,
  OLD_SIZE_MISMATCH: 409,
  ROOT_MISMATCH: 409,
  BAD_PROOF: 422,
  ENTRIES_MISMATCH: 422,
  BAD_ENTRY: 422,
  BAD_GENESIS: 422,
  UPSTREAM_UNAVAILABLE: 502,
  WARRANT_NOT_LOGGED: 409,
  UNKNOWN_WARRANT: 404,
  ALREADY_DECIDED: 409,
  FORBIDDEN: 403,
  OFFICER_REQUIRED: 403,
  OPERATOR_REQUIRED: 403,
  REQUEST_NOT_LOGGED: 409,
  WARRANT_INVALID: 403,
  INVESTIGATOR_MISMATCH: 403,
  WARRANT_EXPIRED: 403,
  WARRANT_REVOKED: 403,
  NO_QUORUM: 403,
  NOT_APPROVED_BY_ME: 403,
  ENVELOPE_SET_MISMATCH: 400,
  BAD_BINDING: 400,
  OUT_OF_SCOPE: 403,
  UNKNOWN_EPOCH: 400,
  ENVELOPE_CAP: 403,
  RATE_LIMITED: 429,
  EPOCH_RETIRED: 409,
  DKG_NO_HOST_KEY: 409,
  DKG_NO_CONSENT: 403,
  DKG_UNKNOWN_EPOCH: 404,
  DKG_NOT_PARTICIPANT: 403,
  DKG_HOST_KEY_MISMATCH: 409,
  DKG_ABORTED: 409,
  DKG_REVEAL_MISMATCH: 409,
  DKG_AGGREGATE_MISMATCH: 409,
};
