/**
 * A warrant's status as one line (`GET /v1/warrants/:id`, docs/PROTOCOL.md §7.5).
 */

export interface WarrantProgress {
  status: string;
  approvals: number;
  denials?: number;
  threshold: number;
}

/** `approved: 5 approvals, quorum 3` (approvals may exceed the quorum). */
export function warrantProgressLine(s: WarrantProgress): string {
  return `${s.status}: ${s.approvals} ${s.approvals === 1 ? 'approval' : 'approvals'}, quorum ${s.threshold}`;
}

/** What `investigator submit` says once the warrant is logged, first or again. */
export function submittedLine(s: WarrantProgress): string {
  switch (s.status) {
    case 'pending':
      return `custodians are reviewing it (${warrantProgressLine(s)})`;
    case 'approved':
      return `already approved (${s.approvals} ${s.approvals === 1 ? 'approval' : 'approvals'}, quorum ${s.threshold}): request decryptions with \`custodes investigator request\``;
    default:
      return `it is ${s.status} (${warrantProgressLine(s)})`;
  }
}
