/**
 * Group commit: changes requested in the same turn of the event loop run in
 * one transaction, each in its own savepoint, so a burst (e.g. the approvals
 * of five custodians arriving together) costs one fsync instead of one each.
 * Each caller's promise settles only after the shared commit: nothing is
 * acknowledged before it is persisted (docs/PROTOCOL.md §5).
 */

interface Queued {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  readonly #transaction: <T>(fn: () => T) => T;
  #queue: Queued[] = [];

  /** `transaction(fn)` must run `fn` in a transaction, as a savepoint when nested. */
  constructor(transaction: <T>(fn: () => T) => T) {
    this.#transaction = transaction;
  }

  /** Runs `fn` in the next group transaction; resolves with its result once committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      this.#transaction(() => {
        for (const item of batch) {
          try {
            // A savepoint each: one caller's failure rolls back only its own changes.
            outcomes.push({ ok: true, value: this.#transaction(item.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, k) => {
      const o = outcomes[k]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.err);
    });
  }
}
