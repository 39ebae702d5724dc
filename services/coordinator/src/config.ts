/** The coordinator's configuration and its defaults (docs/PROTOCOL.md §7). */
import type { Logger } from 'pino';
import type { TlsFiles } from '@custodes/shared/service';

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
  /** Folder of the auditor's transparency report (`custodes audit report --out`), served at /report/. */
  reportDir?: string;
  logger?: Logger;
  /** Unix seconds; tests move time with it. */
  now?: () => number;
}

export const DB_FILE = 'coordinator.db';

/** Envelope batches (and one-call requests) carry up to 500 envelopes; the rest of the API is small. */
export const BODY_LIMIT = '1mb';
export const BATCH_BODY_LIMIT = '8mb';
