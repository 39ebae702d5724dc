/**
 * The coordinator's Prometheus metrics (docs/PROTOCOL.md §9.5, Health and
 * metrics), in its own prom-client Registry: HTTP requests by route template
 * and status, storage, and its state read at each scrape — the log size,
 * witness lag, pending deliveries (its outbox), unfinished requests by state
 * (its queue). Releases by agency are counted by each custodian, which is the
 * party that releases.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createMetricsRegistry, storageMetrics } from '@custodes/shared/service';
import type { StorageMonitor } from '@custodes/shared/service';
import type { Context } from './context';
import { coordinatorHealth } from './health';

export function coordinatorMetrics(ctx: Context, storage: StorageMonitor): Registry {
  const registry = createMetricsRegistry('coordinator');
  const registers = [registry];
  storageMetrics(registry, storage);
  // One health report per scrape sets the gauges that follow it: a collector runs when its own
  // metric is serialised, so the ones it sets are registered after it.
  const later = { registers: [] as Registry[] };
  const size = new Gauge({ name: 'custodes_log_size', help: 'Entries in the log', ...later });
  const cosigned = new Gauge({ name: 'custodes_log_cosigned_size', help: 'The largest log size at least t witnesses have cosigned', ...later });
  const lag = new Gauge({ name: 'custodes_witness_lag_entries', help: 'Entries not yet under a checkpoint cosigned by t witnesses', ...later });
  const witnessLag = new Gauge({ name: 'custodes_witness_lag_entries_by_custodian', help: 'Entries each witness has not cosigned yet', labelNames: ['custodian'] as const, ...later });
  const deliveries = new Gauge({ name: 'custodes_outbox_pending', help: 'Warrant deliveries to custodians not yet accepted or refused', ...later });
  new Gauge({
    name: 'custodes_coordinator_up',
    help: '1 when /health would answer 200 (storage ok)',
    registers,
    collect() {
      const h = coordinatorHealth(ctx, storage);
      this.set(h.ok ? 1 : 0);
      size.set(h.size);
      cosigned.set(h.witnesses.cosigned);
      lag.set(h.witnesses.lag);
      witnessLag.reset();
      for (const w of h.witnesses.each) witnessLag.set({ custodian: String(w.custodian) }, w.lag);
      deliveries.set(h.outbox.pendingDeliveries);
    },
  });
  for (const m of [size, cosigned, lag, witnessLag, deliveries]) registry.registerMetric(m);
  new Gauge({
    name: 'custodes_requests_unfinished',
    help: 'Decryption requests in the workflow, by state (logged, cosigned, releasing)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of ['logged', 'cosigned', 'releasing']) this.set({ state: s }, 0);
      for (const r of ctx.repo.unfinishedRequestCounts()) this.set({ state: r.state }, r.n);
    },
  });
  return registry;
}
