/**
 * Partials calls refused before they authenticate (docs/PROTOCOL.md §7.12, Call
 * authorisation): counted in memory, per code, and logged at most once a
 * minute per code, never stored one row per call. Anyone can send a junk
 * `Custodes-Call` header; a synchronous, fsync'd row for each would let them
 * fill the disk (STORAGE_FULL then stops witnessing) and push real entries out
 * of the operator's release history with request ids of their choosing.
 */
import type { Logger } from './logger';

/** How often each code's count reaches the log at most. */
const LOG_EVERY_MS = 60_000;

interface Tally {
  total: number;
  /** Refusals since this code was last logged. */
  unlogged: number;
  loggedAt: number;
}

export class RefusalCounter {
  readonly #byCode = new Map<string, Tally>();
  readonly #since: number;

  constructor(
    private readonly log: Logger,
    private readonly nowMs: () => number,
  ) {
    this.#since = nowMs();
  }

  /** Counts one refusal of `code`; logs it (with what was counted since the last line) unless this code was logged in the last minute. */
  count(code: string): void {
    const now = this.nowMs();
    let t = this.#byCode.get(code);
    if (!t) {
      t = { total: 0, unlogged: 0, loggedAt: -Infinity };
      this.#byCode.set(code, t);
    }
    t.total++;
    t.unlogged++;
    if (now - t.loggedAt < LOG_EVERY_MS) return;
    // Only the code and counts: what the caller sent is not worth the operator's attention, nor ours to store.
    this.log.warn({ code, refused: t.unlogged, total: t.total }, 'unauthenticated partials calls refused');
    t.unlogged = 0;
    t.loggedAt = now;
  }

  /** Counts per code since the node started (milliseconds since the epoch). */
  snapshot(): { since: number; counts: Record<string, number> } {
    return { since: this.#since, counts: Object.fromEntries([...this.#byCode].map(([code, t]) => [code, t.total])) };
  }
}
