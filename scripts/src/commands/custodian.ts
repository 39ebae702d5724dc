/**
 * `custodes custodian init|start|status|unseal|seal|queue|show|approve|deny`.
 */
import type { Command } from 'commander';
import { createCustodian, initCustodian, readPolicyFile } from '@custodes/custodian';
import { CustodesError } from '@custodes/shared';
import { CliError, intOption, json, readJson, resolveToken } from '../io';
import { call } from '../remote';
import { scheme, serveUntilSignal, tlsConfig, tlsOptions } from '../serve';
import type { TlsCliOptions } from '../serve';

async function domain<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CustodesError) throw new CliError(err.message);
    throw err;
  }
}

interface NodeAuth {
  node: string;
  token?: string;
  tokenFile?: string;
}

function nodeOptions(cmd: Command, auth = true): Command {
  cmd.requiredOption('--node <url>', 'the custodian node URL');
  if (auth) cmd.option('--token <token>', 'operator token (or CUSTODES_TOKEN)').option('--token-file <file>', 'file holding the operator token');
  return cmd;
}

export function registerCustodianCommands(program: Command): void {
  const cust = program.command('custodian').description('a custodian node: sealed share store, review, witness, release');

  cust
    .command('init')
    .description('store the share and signing key sealed (DESIGN.md §3.6); prints unseal keys and the operator token ONCE')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--share <file>', 'share-<i>.json from the ceremony')
    .requiredOption('--key <file>', "the custodian's signing key file")
    .option('--unseal-keys <m>', 'number of unseal keys', intOption('unseal-keys'), 5)
    .option('--unseal-threshold <k>', 'unseal keys needed', intOption('unseal-threshold'), 3)
    .option('--name <name>', "this node's name in the registry")
    .option('--policy <file>', 'auto-approval policy JSON')
    .option('--dev', 'keep the unseal keys on disk and unseal at start (development only)')
    .action(async (opts: { data: string; share: string; key: string; unsealKeys: number; unsealThreshold: number; name?: string; policy?: string; dev?: boolean }) => {
      const r = await domain(() =>
        initCustodian({
          dataDir: opts.data,
          shareFile: readJson(opts.share, 'share file'),
          keyFile: readJson(opts.key, 'key file'),
          unsealShares: opts.unsealKeys,
          unsealThreshold: opts.unsealThreshold,
          dev: opts.dev ?? false,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.policy ? { policy: readPolicyFile(opts.policy) } : {}),
        }),
      );
      process.stdout.write(
        `custodian ${r.custodian} (epoch ${r.epoch}) initialised in ${opts.data}\n\n` +
          `Unseal keys (any ${opts.unsealThreshold} of ${opts.unsealKeys} unseal the node). They are shown ONCE: hand one to each officer.\n` +
          r.unsealKeys.map((k, i) => `  ${i + 1}: ${k}\n`).join('') +
          `\nOperator token (shown ONCE; stored only as a hash):\n  ${r.operatorToken}\n`,
      );
    });

  tlsOptions(cust.command('start'))
    .description('serve the node (sealed until unsealed, unless initialised with --dev)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--coordinator <url>', 'coordinator URL')
    .option('--port <port>', 'port (0 picks one)', intOption('port'), 0)
    .option('--host <host>', 'bind address', process.env.CUSTODES_HOST ?? '127.0.0.1')
    .option('--policy <file>', 'auto-approval policy JSON (overrides the one stored at init)')
    .option('--rate <envelopes>', 'envelopes released per agency per minute', intOption('rate'))
    .option('--call-window <seconds>', "freshness window of the coordinator's signed partials call (default 120)", intOption('call-window', 0))
    .option(
      '--outbox-grace-ms <ms>',
      'how long a record the coordinator took from an answer waits before this node posts it itself, unless seen logged (default 5000)',
      intOption('outbox-grace-ms', 0),
    )
    .option('--max-db-mb <MiB>', 'cap custodian.db at this size: writes beyond it are refused 503 STORAGE_FULL, as on a full disk (default: no cap)', intOption('max-db-mb', 1))
    .action(async (opts: { data: string; coordinator: string; port: number; host: string; policy?: string; rate?: number; callWindow?: number; outboxGraceMs?: number; maxDbMb?: number }) => {
      // domain(): a bad option or data directory is one line (BAD_OPTIONS, NOT_INITIALISED, BAD_POLICY), not a stack.
      const service = await domain(() =>
        createCustodian({
          dataDir: opts.data,
          coordinatorUrl: opts.coordinator,
          port: opts.port,
          host: opts.host,
          ...tlsConfig(opts as TlsCliOptions), // the options tlsOptions() added
          ...(opts.policy ? { policyFile: opts.policy } : {}),
          ...(opts.rate ? { rateLimit: { envelopesPerMinute: opts.rate } } : {}),
          ...(opts.callWindow !== undefined ? { callWindowSeconds: opts.callWindow } : {}),
          ...(opts.outboxGraceMs !== undefined ? { outboxGraceMs: opts.outboxGraceMs } : {}),
          ...(opts.maxDbMb !== undefined ? { maxDatabaseBytes: opts.maxDbMb * 1024 * 1024 } : {}),
        }),
      );
      await serveUntilSignal(service, (port) => `custodian listening on ${scheme(opts as TlsCliOptions)}://${opts.host}:${port}`);
    });

  nodeOptions(cust.command('status'), false)
    .description('seal status')
    .action(async (opts: NodeAuth) => print(await call(opts.node, 'v1/seal')));

  nodeOptions(cust.command('unseal'), false)
    .description('submit one unseal key (prompted on stdin if not given)')
    .option('--key <unsealKey>', 'the unseal key')
    .action(async (opts: NodeAuth & { key?: string }) => {
      const key = opts.key ?? (await readLine('unseal key: '));
      const s = await call<{ sealed: boolean; progress: number; threshold: number }>(opts.node, 'v1/unseal', { body: { key } });
      process.stdout.write(s.sealed ? `still sealed: ${s.progress} of ${s.threshold} keys\n` : 'unsealed\n');
    });

  nodeOptions(cust.command('seal'))
    .description('seal the node again (drops its key from memory)')
    .action(async (opts: NodeAuth) => {
      await call(opts.node, 'v1/seal', { method: 'POST', body: {}, token: resolveToken(opts) });
      process.stdout.write('sealed\n');
    });

  nodeOptions(cust.command('queue'))
    .description('warrants waiting for a decision')
    .action(async (opts: NodeAuth) => print(await call(opts.node, 'v1/operator/queue', { token: resolveToken(opts) })));

  nodeOptions(cust.command('show'))
    .description("a warrant's full details, checks and policy verdict")
    .argument('<warrantId>')
    .action(async (id: string, opts: NodeAuth) => print(await call(opts.node, `v1/operator/warrants/${encodeURIComponent(id)}`, { token: resolveToken(opts) })));

  nodeOptions(cust.command('approve'))
    .description('approve a warrant (signed and logged)')
    .argument('<warrantId>')
    .action(async (id: string, opts: NodeAuth) => {
      await call(opts.node, `v1/operator/warrants/${encodeURIComponent(id)}/approve`, { method: 'POST', body: {}, token: resolveToken(opts) });
      process.stdout.write(`approved ${id}\n`);
    });

  nodeOptions(cust.command('deny'))
    .description('deny a warrant with a reason (signed and logged)')
    .argument('<warrantId>')
    .requiredOption('--reason <text>', 'the reason, logged publicly')
    .action(async (id: string, opts: NodeAuth & { reason: string }) => {
      await call(opts.node, `v1/operator/warrants/${encodeURIComponent(id)}/deny`, { method: 'POST', body: { reason: opts.reason }, token: resolveToken(opts) });
      process.stdout.write(`denied ${id}\n`);
    });
}

function print(value: unknown): void {
  process.stdout.write(json(value));
}

async function readLine(prompt: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}
