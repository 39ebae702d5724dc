/**
 * Typed errors of the coordinator's domain (STYLE.md: a code union per layer).
 * Domain code throws these and knows nothing of HTTP; `statusOf` maps each code
 * to its status in one place, used by the error middleware.
 */
import { CustodesError } from '@custodes/shared';
import type { RejectReason } from './rules/requestChecks';

export type CoordinatorCode =
  // 400: the caller sent something wrong
  | 'BAD_REQUEST'
  | 'BAD_DATES'
  | 'BAD_COURT_SIGNATURE'
  | 'BAD_INVESTIGATOR_SIGNATURE'
  | 'BAD_SIGNATURE'
  | 'BAD_OPENING'
  | 'BAD_COMMITMENT'
  | 'UNKNOWN_COURT'
  | 'UNKNOWN_INVESTIGATOR'
  | 'UNKNOWN_CUSTODIAN'
  | 'ENTRY_MISMATCH'
  | 'BAD_REGISTRY'
  // 401 / 403 / 404
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'WARRANT_NOT_LOGGED'
  | 'REQUEST_NOT_LOGGED'
  // 409: the request is well formed but the state does not allow it
  | 'DATA_DIR_IN_USE'
  | 'DATA_FORMAT_OLD'
  | 'LOG_BEHIND_WITNESSES'
  | 'LOG_FORKED'
  | 'WITNESSES_UNREACHABLE'
  | 'CONFLICT'
  | 'DUPLICATE_DECISION'
  | 'NOT_YET'
  | 'WARRANT_EXPIRED'
  | 'WARRANT_REVOKED'
  | 'WARRANT_DENIED'
  | 'WARRANT_NOT_APPROVED'
  | 'EPOCH_QUORUM'
  | 'UNKNOWN_EPOCH'
  | 'EPOCH_RETIRED'
  | 'ENVELOPE_CAP'
  | 'NO_ENVELOPES'
  | 'NOT_DRAFT'
  | 'NOT_READY'
  | 'REGISTRY_SEQUENCE'
  // 410
  | 'PURGED'
  // 422: well formed, but some of its parts are refused (the answer names them)
  | 'ENVELOPES_REJECTED';

/** Fields an error object may carry beside `code` and `message` (docs/PROTOCOL.md §7.1). */
export interface ErrorDetails {
  /** ENVELOPES_REJECTED: each refused envelope's position in the body and why. */
  rejected?: readonly { position: number; reason: RejectReason }[];
}

export class CoordinatorError extends CustodesError<CoordinatorCode> {
  readonly details: ErrorDetails | undefined;
  constructor(code: CoordinatorCode, message: string, details?: ErrorDetails) {
    super(code, message);
    this.details = details;
  }
}

const STATUS: Record<CoordinatorCode, number> = {
  DATA_DIR_IN_USE: 409,
  DATA_FORMAT_OLD: 409,
  // Refusals to start (docs/PROTOCOL.md §9.6): never an HTTP answer, listed for completeness.
  LOG_BEHIND_WITNESSES: 409,
  LOG_FORKED: 409,
  WITNESSES_UNREACHABLE: 503,
  BAD_REQUEST: 400,
  BAD_DATES: 400,
  BAD_COURT_SIGNATURE: 400,
  BAD_INVESTIGATOR_SIGNATURE: 400,
  BAD_SIGNATURE: 400,
  BAD_OPENING: 400,
  BAD_COMMITMENT: 400,
  UNKNOWN_COURT: 400,
  UNKNOWN_INVESTIGATOR: 400,
  UNKNOWN_CUSTODIAN: 400,
  ENTRY_MISMATCH: 400,
  BAD_REGISTRY: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  WARRANT_NOT_LOGGED: 404,
  REQUEST_NOT_LOGGED: 404,
  CONFLICT: 409,
  DUPLICATE_DECISION: 409,
  NOT_YET: 409,
  WARRANT_EXPIRED: 409,
  WARRANT_REVOKED: 409,
  WARRANT_DENIED: 409,
  WARRANT_NOT_APPROVED: 409,
  EPOCH_QUORUM: 409,
  UNKNOWN_EPOCH: 409,
  EPOCH_RETIRED: 409,
  ENVELOPE_CAP: 409,
  NO_ENVELOPES: 409,
  NOT_DRAFT: 409,
  NOT_READY: 409,
  REGISTRY_SEQUENCE: 409,
  PURGED: 410,
  ENVELOPES_REJECTED: 422,
};

export function statusOf(code: CoordinatorCode): number {
  return STATUS[code];
}

export function fail(code: CoordinatorCode, message: string, details?: ErrorDetails): never {
  throw new CoordinatorError(code, message, details);
}
