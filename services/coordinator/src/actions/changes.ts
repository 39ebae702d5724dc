/**
 * Long-polls on the investigator's status calls (docs/PROTOCOL.md §7.7 `?wait=`):
 * a wake-up after anything that may change what they show (a fresh log entry,
 * a request's state), and a wait until a view differs from what the caller
 * last saw, capped in time.
 */

/** The longest wait a caller may ask for (ms). */
export const MAX_WAIT_MS = 30_000;

export class Changes {
  readonly #waiters = new Set<() => void>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Wakes every waiter (they re-read their view). */
  notify(): void {
    const all = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of all) wake();
  }

  /** Resolves at the next notify, after `ms`, or at close. */
  next(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiters.add(wake);
    });
  }

  /** Ends every wait now (the coordinator is closing). */
  close(): void {
    this.#closed = true;
    this.notify();
  }
}

/**
 * Returns `view()` as soon as one of the fields in `seen` differs from it (or,
 * if `seen` names none, as soon as the view differs from the first one read),
 * or after `waitMs`. Fields compare as text (query strings are text).
 */
export async function waitForChange<T extends object>(
  changes: Changes,
  view: () => T,
  seen: Partial<Record<keyof T, string>>,
  waitMs: number,
  gone: () => boolean = () => false,
): Promise<T> {
  let current = view();
  const fields = Object.keys(seen) as (keyof T)[];
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const first = JSON.stringify(current);
  const differs = (v: T) => (fields.length ? fields.some((k) => text(v[k]) !== seen[k]) : JSON.stringify(v) !== first);
  const deadline = Date.now() + Math.min(Math.max(waitMs, 0), MAX_WAIT_MS);
  while (!differs(current) && !changes.closed && !gone()) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await changes.next(left);
    current = view();
  }
  return current;
}
