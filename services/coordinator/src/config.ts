/** The coordinator's configuration and its defaults (docs/PROTOCOL.md §7). */
import type { Logger } from 'pino';
import { KiB, MiB } from '@custodes/shared/service';
import type { BodyLimits, TlsFiles } from '@custodes/shared/service';

export interface CoordinatorConfig {
  /** Directory holding `coordinator.db` (made by initCoordinator). */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback by default (docs/PROTOCOL.md §7.1). */
  host?: string;
  /** Serve https with this certificate and key (PEM files; docs/DEPLOY.md, TLS); plain http without. */
  tls?: TlsFiles;
  /** The log's origin; must equal the registry's. */
  origin: string;
  /** The log's BIP340 secret key, hex32; its x-only public key is the registry's logKey. */
  logSecretKey: string;
  /** Overrides the registry's custodian URLs, by index (e.g. a dev cluster on local ports). */
  custodianUrls?: Record<number, string>;
  /**
   * Allow plain http to custodians that are not on loopback (default false:
   * INSECURE_TRANSPORT at creation for every custodian URL, and at every call;
   * docs/PROTOCOL.md §9.8, Running a node behind TLS). `--insecure-http`.
   */
  insecureHttp?: boolean;
  /** How long results (sealed to the investigator) are kept (default 86 400 s). */
  retentionSeconds?: number;
  /** Timeout of one add-checkpoint call (default 10 000 ms: a witness replicates and checks entries first). */
  cosignTimeoutMs?: number;
  /**
   * Entries no step waits for (approvals, releases, completions) are cosigned
   * this long after the first of them (default 1000 ms), so that a burst of
   * appends costs each witness one exchange; a step that needs a cosigned
   * checkpoint asks for one at once.
   */
  cosignDelayMs?: number;
  /** Timeout of each witness's answer to the check at start (docs/PROTOCOL.md §9.6; default 3000 ms). */
  witnessCheckTimeoutMs?: number;
  /** Timeout of one `POST /v1/partials` call (default 60 000 ms). */
  partialsTimeoutMs?: number;
  /**
   * How long a request keeps re-asking approving custodians that cannot answer
   * (unreachable, sealed, replica behind) before it fails with
   * NOT_ENOUGH_CUSTODIANS (default 120 000 ms; counted from when the request
   * first went to releasing, which is stored, so a restart does not start it
   * again). Before that, the same bound on waiting for t witnesses to cosign
   * the request (then QUORUM_UNAVAILABLE; counted in this process).
   */
  partialsDeadlineMs?: number;
  /** Timeout of one warrant delivery (default 10 000 ms). */
  deliveryTimeoutMs?: number;
  /** Calls to custodians in flight at once, per fan-out (default 8). */
  concurrency?: number;
  /** Requests per client IP per minute (default 6 000). */
  rateLimitPerMinute?: number;
  /**
   * A cap on `coordinator.db`, bytes (default none): writes beyond it are
   * refused as on a full disk (503 STORAGE_FULL) while reads, the log and
   * /health go on; a positive integer (docs/PROTOCOL.md §9.1, Storage).
   */
  maxDatabaseBytes?: number;
  /**
   * Serve Prometheus metrics at `GET /metrics` on this port (0 picks one), apart
   * from the API; off unless set (docs/PROTOCOL.md §9.5, Health and metrics).
   */
  metricsPort?: number;
  /** How long a DKG session waits for every participant's next step before it aborts naming the silent ones, ms (docs/PROTOCOL.md §3.8; default 60000). */
  dkgStepTimeoutMs?: number;
  /** The metrics listener's address (default 127.0.0.1: for the operator's scraper only). */
  metricsHost?: string;
  /** Folder of the auditor's transparency report (`custodes audit report --out`), served at /report/. */
  reportDir?: string;
  logger?: Logger;
  /** Unix seconds; tests move time with it. */
  now?: () => number;
}

export const DB_FILE = 'coordinator.db';

/**
 * Each route's body: the size of its largest legitimate request and the depth
 * of its schema, the body itself being depth 1 (shared/src/service/body.ts;
 * docs/PROTOCOL.md §8.9). A JSON string costs at most 3 bytes per UTF-16 unit
 * unescaped, so a field of `max(n)` characters is at most 3n bytes.
 */
export const BODIES = {
  /** `{ entry: { epochs: [{ custodians: [{…}] }] } }`: 6 deep. Real registries are a few KiB; 1 MiB leaves hundreds of custodians, courts and investigators. */
  registry: { limit: 1 * MiB, maxDepth: 6 },
  /** `{ entry }`, an approval, release or revocation: flat, its one long field a reason of ≤ 1024 characters. */
  records: { limit: 16 * KiB, maxDepth: 2 },
  /** `{ warrant: { scope: { subjects: [] } }, salt }`: 4 deep; ≤ 1000 subjects of ≤ 256 characters fit in 1 MiB. */
  warrant: { limit: 1 * MiB, maxDepth: 4 },
  /** `{ envelopes: [{ label: {…} }], entry: { epochs: [] } }` (one call) or `{ warrantId }`: ≤ 500 envelopes (MAX_BATCH). */
  envelopes: { limit: 8 * MiB, maxDepth: 4 },
  /** `{ entry: { epochs: [] } }`: ≤ 64 epochs. */
  submit: { limit: 4 * KiB, maxDepth: 3 },
} as const satisfies Record<string, BodyLimits>;
