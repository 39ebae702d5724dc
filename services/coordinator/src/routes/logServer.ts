/**
 * A minimal HTTP server with only the log read API: for tests, and for a
 * coordinator that runs the log alone (../logOnly). The full coordinator
 * mounts createLogReadRouter in its own app instead.
 */
import express from 'express';
import type { Request } from 'express';
import { closeServer, listen, notFound } from '@custodes/shared/service';
import { createLogReadRouter, type LogReader } from './logRead';

interface LogServerOptions {
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly onUnexpected?: (err: unknown, req: Request) => void;
}

interface LogServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

async function createLogServer(store: LogReader, options: LogServerOptions = {}): Promise<LogServer> {
  const host = options.host ?? '127.0.0.1';
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(createLogReadRouter(store, { onUnexpected: options.onUnexpected }));
  app.use(notFound);
  const { server, port } = await listen(app, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => closeServer(server) };
}

export { createLogServer, type LogServer, type LogServerOptions };
