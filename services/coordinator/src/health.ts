/**
 * What the coordinator says about itself to its operator (docs/PROTOCOL.md
 * §9.5, Health and metrics): its storage, how far the witnesses are behind
 * the log, and the warrant deliveries not yet done. Answered from memory and
 * indexed reads, so `/health` stays cheap; it shows sizes and counts only.
 */
import type { StorageMonitor, StorageSnapshot } from '@custodes/shared/service';
import type { Context } from './context';

export interface WitnessLag {
  custodian: number;
  /** Size of the last checkpoint it cosigned, as stored here (0 before any). */
  size: number;
  /** Log size − size. */
  lag: number;
}

export interface CoordinatorHealth {
  /** True when the coordinator can do its job: its storage takes writes. */
  ok: boolean;
  /** Entries in the log. */
  size: number;
  storage: StorageSnapshot;
  witnesses: {
    threshold: number;
    /** The largest size at least `threshold` witnesses have cosigned. */
    cosigned: number;
    /** size − cosigned: entries not yet under a checkpoint t witnesses cosigned. */
    lag: number;
    each: WitnessLag[];
  };
  outbox: {
    /** Warrant deliveries to custodians not yet accepted or refused. */
    pendingDeliveries: number;
  };
}

export function coordinatorHealth(ctx: Context, storage: StorageMonitor): CoordinatorHealth {
  const snapshot = storage.snapshot();
  const size = ctx.store.size();
  const registry = ctx.registry();
  const stored = ctx.repo.witnessSizes();
  const each = registry.custodians.map((c) => {
    const cosigned = Math.min(size, stored.get(c.index) ?? 0);
    return { custodian: c.index, size: cosigned, lag: size - cosigned };
  });
  // The t-th largest witness size: every size up to it is cosigned by at least t.
  const sizes = each.map((w) => w.size).sort((a, b) => b - a);
  const cosigned = sizes[registry.threshold - 1] ?? 0;
  return {
    ok: snapshot.state === 'ok',
    size,
    storage: snapshot,
    witnesses: { threshold: registry.threshold, cosigned, lag: size - cosigned, each },
    outbox: { pendingDeliveries: ctx.repo.pendingDeliveryCount() },
  };
}
