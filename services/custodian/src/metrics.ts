/**
 * A custodian node's Prometheus metrics (docs/PROTOCOL.md §9.5, Health and
 * metrics), in the node's own prom-client Registry: HTTP requests by route
 * template and status, storage, and the node's state read at each scrape —
 * sealed, the review queue, witness lag, the outbox, releases by agency.
 * Agency ids are registry ids (public); nothing secret is a label.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createMetricsRegistry, storageMetrics } from '@custodes/shared/service';
import type { StorageMonitor } from '@custodes/shared/service';
import type { Context } from './context';
import { custodianHealth } from './health';
import type { LogHead } from './health';

export function custodianMetrics(ctx: Context, storage: StorageMonitor, head: LogHead): Registry {
  const registry = createMetricsRegistry('custodian');
  const registers = [registry];
  storageMetrics(registry, storage);
  new Gauge({
    name: 'custodes_custodian_sealed',
    help: '1 while the node is sealed (it then cosigns, reviews and releases nothing)',
    registers,
    collect() {
      this.set(ctx.vault.sealed ? 1 : 0);
    },
  });
  new Gauge({
    name: 'custodes_review_queue_depth',
    help: 'Warrants waiting for an operator decision',
    registers,
    collect() {
      this.set(ctx.store.pendingReviewCount());
    },
  });
  // One health report per scrape sets the gauges that follow it: a collector runs when its own
  // metric is serialised, so the ones it sets are registered after it.
  const later = { registers: [] as Registry[] };
  const witness = new Gauge({ name: 'custodes_witness_size', help: 'Size of the last checkpoint this node cosigned', ...later });
  const logSize = new Gauge({ name: 'custodes_witness_log_size', help: "The log's size as last read from the coordinator (absent before the first read)", ...later });
  const lag = new Gauge({ name: 'custodes_witness_lag_entries', help: 'Entries of the log this node has not cosigned yet (absent while the log size is unknown)', ...later });
  const pending = new Gauge({ name: 'custodes_outbox_pending', help: 'Records (decisions, releases) the coordinator has not acknowledged', ...later });
  const oldest = new Gauge({ name: 'custodes_outbox_oldest_seconds', help: 'Age of the oldest unacknowledged outbox record, seconds (0 when none)', ...later });
  new Gauge({
    name: 'custodes_custodian_up',
    help: '1 when /health would answer 200 (unsealed, storage ok)',
    registers,
    collect() {
      const h = custodianHealth(ctx, storage, head);
      this.set(h.ok ? 1 : 0);
      witness.set(h.witness.size);
      logSize.reset();
      lag.reset();
      if (h.witness.logSize !== null) {
        logSize.set(h.witness.logSize);
        lag.set(h.witness.lag ?? 0);
      }
      pending.set(h.outbox.pending);
      oldest.set(h.outbox.oldestSeconds ?? 0);
    },
  });
  // Served rows are never deleted: totals kept here, each scrape adding only the rows stored since the last.
  const released = new Map<string, { requests: number; envelopes: number }>();
  let readTo = 0;
  const requests = new Counter({
    name: 'custodes_released_requests_total',
    help: 'Decryption requests this node served, by agency, since it was initialised',
    labelNames: ['agency'] as const,
    ...later,
  });
  new Counter({
    name: 'custodes_released_envelopes_total',
    help: 'Envelopes this node released partial decryptions for, by agency, since it was initialised',
    labelNames: ['agency'] as const,
    registers,
    collect() {
      for (let rows = ctx.store.servedAfter(readTo, 10_000); rows.length > 0; rows = ctx.store.servedAfter(readTo, 10_000)) {
        for (const r of rows) {
          const t = released.get(r.agency) ?? { requests: 0, envelopes: 0 };
          t.requests++;
          t.envelopes += r.count;
          released.set(r.agency, t);
          readTo = r.id;
        }
      }
      this.reset();
      requests.reset();
      for (const [agency, t] of released) {
        this.inc({ agency }, t.envelopes);
        requests.inc({ agency }, t.requests);
      }
    },
  });
  for (const m of [witness, logSize, lag, pending, oldest, requests]) registry.registerMetric(m);
  return registry;
}
