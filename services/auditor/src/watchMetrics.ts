/**
 * Prometheus metrics of a long-running `audit watch` (docs/PROTOCOL.md §9.5,
 * Health and metrics), in its own prom-client Registry: rounds completed and
 * when the last one did, the verified log size, new findings by code, and
 * warnings (a log or custodian that could not be read). An auditor whose last
 * round is old, or whose findings grow, is what to alert on.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '@custodes/shared/service';
import type { WatchOptions } from './watch';

export interface WatchMetrics {
  registry: Registry;
  /** `options` with its callbacks also feeding the metrics. */
  observe(options: WatchOptions): WatchOptions;
}

export function watchMetrics(now: () => number = Date.now): WatchMetrics {
  const registry = createMetricsRegistry('auditor');
  const registers = [registry];
  const rounds = new Counter({ name: 'custodes_audit_rounds_total', help: 'Watch rounds completed (the log verified and every custodian compared)', registers });
  const last = new Gauge({ name: 'custodes_audit_last_round_timestamp_seconds', help: 'When the last round completed (Unix seconds)', registers });
  const size = new Gauge({ name: 'custodes_audit_verified_size', help: 'Entries of the log verified so far', registers });
  const findings = new Counter({ name: 'custodes_audit_findings_total', help: 'Findings reported (each once), by code', labelNames: ['code'] as const, registers });
  const warnings = new Counter({ name: 'custodes_audit_warnings_total', help: 'Rounds or custodians that could not be read', registers });
  return {
    registry,
    observe: (options) => ({
      ...options,
      onRound: (round) => {
        rounds.inc();
        last.set(Math.floor(now() / 1000));
        size.set(round.size);
        return options.onRound?.(round);
      },
      onFindings: (found, round) => {
        for (const f of found) findings.inc({ code: f.code });
        options.onFindings?.(found, round);
      },
      onWarning: (message) => {
        warnings.inc();
        options.onWarning?.(message);
      },
    }),
  };
}
