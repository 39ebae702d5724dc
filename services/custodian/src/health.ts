/**
 * What a custodian node says about itself to its operator (docs/PROTOCOL.md
 * §9.5, Health and metrics): sealed or not, its storage, how far its witness
 * is behind the log, and what its outbox has not yet got to the coordinator.
 *
 * `/health` answers from memory and three indexed reads, so it stays cheap and
 * needs no credential; it shows no key, token, warrant or agency.
 */
import { hexToBytes } from '@custodes/shared/crypto';
import { openCheckpoint } from '@custodes/shared/log';
import { requestJson } from '@custodes/shared/service';
import type { StorageMonitor, StorageSnapshot } from '@custodes/shared/service';
import type { Context } from './context';
import { currentRegistry } from './replica';

// ## The log's size, as the coordinator publishes it

/**
 * Polls the coordinator's latest cosigned checkpoint (`GET /log/v1/checkpoint`,
 * §4.4) every `intervalMs` and keeps its size once its log signature verifies
 * under the replicated registry's log key. A node's witness lag is that size
 * minus the size it cosigned itself; a checkpoint the node cannot verify (no
 * registry yet, an unreachable or lying coordinator) leaves the last size known.
 */
export class LogHead {
  #size: number | null = null;
  #checkedAt: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(
    private readonly ctx: Context,
    private readonly intervalMs: number,
  ) {}

  /** The newest verified log size and when it was read (Unix ms), or nulls before the first. */
  get(): { size: number | null; checkedAt: number | null } {
    return { size: this.#size, checkedAt: this.#checkedAt };
  }

  start(): void {
    if (this.#timer) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One poll (never rejects: a failed poll is only logged at debug). */
  refresh(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #poll(): Promise<void> {
    const registry = currentRegistry(this.ctx.store)?.entry;
    if (!registry) return;
    try {
      const text = await requestJson<string>(`${this.ctx.coordinatorUrl}/log/v1/checkpoint`, { expectText: true, timeoutMs: 5000 });
      const opened = openCheckpoint(text, { name: registry.origin, publicKey: hexToBytes(registry.logNoteKey, 32) });
      if (!opened) {
        this.ctx.log.warn('the coordinator served a checkpoint that does not verify under the log key');
        return;
      }
      if (this.#size === null || opened.checkpoint.size >= this.#size) this.#size = opened.checkpoint.size;
      this.#checkedAt = Date.now();
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'reading the log head failed');
    }
  }
}

// ## The report

export interface CustodianHealth {
  /** True when the node can do its job: unsealed and its storage takes writes. */
  ok: boolean;
  sealed: boolean;
  custodian: number;
  storage: StorageSnapshot;
  witness: {
    /** Size of the last checkpoint this node cosigned (0 before any). */
    size: number;
    /** The log's size as last read from the coordinator, null before the first read. */
    logSize: number | null;
    /** logSize − size (never below 0), null while logSize is unknown. */
    lag: number | null;
    /** When logSize was read (Unix ms). */
    checkedAt: number | null;
  };
  outbox: {
    /** Records (approvals, denials, releases) the coordinator has not acknowledged. */
    pending: number;
    /** Age of the oldest of them, seconds; null when none. */
    oldestSeconds: number | null;
  };
}

export function custodianHealth(ctx: Context, storage: StorageMonitor, head: LogHead): CustodianHealth {
  const snapshot = storage.snapshot();
  const size = ctx.store.witness()?.size ?? 0;
  const log = head.get();
  const backlog = ctx.store.outboxBacklog();
  const sealed = ctx.vault.sealed;
  return {
    ok: !sealed && snapshot.state === 'ok',
    sealed,
    custodian: ctx.node.custodian,
    storage: snapshot,
    witness: { size, logSize: log.size, lag: log.size === null ? null : Math.max(0, log.size - size), checkedAt: log.checkedAt },
    outbox: {
      pending: backlog.pending,
      // The outbox stamps its rows with the wall clock (store.insertOutbox), not the node's clock.
      oldestSeconds: backlog.oldestMs === null ? null : Math.max(0, Math.floor((Date.now() - backlog.oldestMs) / 1000)),
    },
  };
}
