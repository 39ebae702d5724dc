/**
 * A coordinator that runs only the transparency log: the SQLite store in
 * `<dataDir>/log.sqlite` and the public read API (docs/PROTOCOL.md §4.4), for
 * `custodes coordinator start` until the full coordinator is wired in.
 * Appends and checkpoints are programmatic (no write API).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LogStore, type StoredCheckpoint } from './log/index';
import { createLogServer } from './routes/logServer';

interface LogOnlyOptions {
  readonly dataDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Loopback unless told otherwise. */
  readonly host?: string;
  readonly origin: string;
  /** The log's Ed25519 note key (docs/PROTOCOL.md §4.3), hex or 32 bytes. */
  readonly noteSecretKey: string | Uint8Array;
}

interface LogOnlyCoordinator {
  readonly url: string;
  readonly port: number;
  readonly store: LogStore;
  /** Appends leaves in one transaction; returns the index of the first. */
  append(leaves: readonly Uint8Array[]): number;
  /** Signs and publishes a checkpoint at the stored size (idempotent per size). */
  publish(): StoredCheckpoint;
  /** Stops listening, then closes the database. */
  close(): Promise<void>;
}

async function startLogOnlyCoordinator(options: LogOnlyOptions): Promise<LogOnlyCoordinator> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (typeof options.dataDir !== 'string' || options.dataDir === '') throw new TypeError('dataDir must be a path');
  mkdirSync(options.dataDir, { recursive: true });
  const store = LogStore.open(join(options.dataDir, 'log.sqlite'), {
    origin: options.origin,
    noteSecretKey: options.noteSecretKey,
  });
  try {
    // Readers see nothing until a checkpoint exists; cover whatever is stored.
    store.publishCheckpoint();
    const server = await createLogServer(store, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    return {
      url: server.url,
      port: server.port,
      store,
      append: (leaves) => store.append(leaves),
      publish: () => store.publishCheckpoint(),
      close: async () => {
        await server.close();
        store.close();
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

export { startLogOnlyCoordinator, type LogOnlyCoordinator, type LogOnlyOptions };
