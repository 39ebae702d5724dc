import type { Command } from 'commander';
import type { TlsFiles } from '@custodes/shared/service';
import { CliError } from './io';

/** `--tls-cert` and `--tls-key` on a service's start command (docs/DEPLOY.md, TLS). */
export function tlsOptions(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'serve https with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', "the certificate's PEM private key (keep it 0600); needs --tls-cert");
}

/** What tlsOptions adds to a command's options. */
export interface TlsCliOptions {
  tlsCert?: string;
  tlsKey?: string;
}

/** `{ tls }` for a service's config when tlsOptions named files, else `{}` (plain http). */
export function tlsConfig(opts: TlsCliOptions): { tls?: TlsFiles } {
  const tls = tlsFiles(opts);
  return tls ? { tls } : {};
}

/** The URL scheme the service will answer on. */
export function scheme(opts: TlsCliOptions): 'https' | 'http' {
  return tlsFiles(opts) ? 'https' : 'http';
}

/** The TLS files named by tlsOptions, or undefined for plain http; one without the other is a usage error. */
export function tlsFiles(opts: TlsCliOptions): TlsFiles | undefined {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (!opts.tlsCert || !opts.tlsKey) throw new CliError('--tls-cert and --tls-key go together');
  return { certFile: opts.tlsCert, keyFile: opts.tlsKey };
}

/** A refused listen (port taken, not allowed, no such address) as one line for the operator; null for anything else. */
export function listenProblem(err: unknown): string | null {
  const e = err as { code?: unknown; address?: unknown; port?: unknown };
  const where = typeof e.address === 'string' && typeof e.port === 'number' ? `${e.address}:${e.port}` : 'the requested address';
  switch (e?.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: it is already in use (choose another --port)`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such address on this machine (check --host)`;
    default:
      return null;
  }
}

/**
 * Runs a service until SIGINT/SIGTERM, or until the parent that spawned it with
 * an IPC channel goes away (the local cluster: no orphaned services), then
 * closes it cleanly.
 */
export async function serveUntilSignal(service: { start(): Promise<{ port: number }>; close(): Promise<void> }, describe: (port: number) => string): Promise<void> {
  let port: number;
  try {
    ({ port } = await service.start());
  } catch (err) {
    const why = listenProblem(err);
    if (why === null) throw err;
    await service.close().catch(() => undefined);
    throw new CliError(why);
  }
  process.stdout.write(`${describe(port)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (process.connected) process.on('disconnect', stop);
  });
  await service.close();
  if (process.connected) process.disconnect(); // the IPC channel would keep the process alive
}
