/**
 * Warrant dates: the `BAD_DATES` rules every party applies before a warrant
 * is used (docs/PROTOCOL.md §7.5), and the one spelling of a time a person
 * reads or types (ISO 8601, UTC; Unix seconds still accepted on input).
 */

// ## The BAD_DATES rules (docs/PROTOCOL.md §7.5)

/** How far in the future `issuedAt` may be (clock skew between court and service), seconds. */
export const MAX_ISSUE_SKEW_SECONDS = 300;

export interface WarrantDates {
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly sealedUntil: number;
}

/**
 * Every date rule `w` breaks at `now` (Unix seconds), in the spec's order;
 * empty when the dates hold. The coordinator refuses on the first of them
 * (`checkIntake`); `custodes court sign` lists all before signing.
 */
export function warrantDateProblems(w: WarrantDates, now: number): string[] {
  if (!Number.isSafeInteger(now)) throw new TypeError('now must be integer Unix seconds');
  const problems: string[] = [];
  if (w.expiresAt <= w.issuedAt) problems.push('expiresAt must be after issuedAt');
  if (w.expiresAt <= now) problems.push('the warrant has expired');
  // A little clock skew is tolerated; a warrant issued in the future is not.
  if (w.issuedAt > now + MAX_ISSUE_SKEW_SECONDS) problems.push('issuedAt is in the future');
  if (w.sealedUntil < w.issuedAt) problems.push('sealedUntil must not be before issuedAt');
  return problems;
}

// ## Times as people read and write them

/** `2027-06-01T00:00:00Z` for Unix seconds `t` (whole seconds, UTC). */
export function isoTime(t: number): string {
  if (!Number.isSafeInteger(t)) throw new TypeError('t must be integer Unix seconds');
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Unix seconds from an ISO 8601 date (`2027-06-01`, read as UTC midnight) or
 * date-time (`2027-06-01T12:00:00Z`, `…+02:00`), or from decimal Unix
 * seconds; null for anything else.
 */
export function parseTimeText(text: string): number | null {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  if (/^(0|[1-9][0-9]{0,15})$/.test(text)) return Number.isSafeInteger(Number(text)) ? Number(text) : null;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 1000) : null;
}
