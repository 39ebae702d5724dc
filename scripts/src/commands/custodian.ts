/**
 * `custodes custodian init|add-officer|start|status|unseal|seal|queue|show|approve|deny`.
 */
import type { Command } from 'commander';
import type { DkgStatus } from '@custodes/custodian';
import { addOfficer, backupCustodian, createCustodian, initCustodian, newHostKeyFile, readPolicyFile, restoreCustodian } from '@custodes/custodian';
import { CustodesError } from '@custodes/shared';
import { CliError, intOption, json, readBytes, readJson, resolveToken, withIsoTimes, writeOutput } from '../io';
import { call } from '../remote';
import { reshareStatusLines } from '../reshareStatus';
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
  if (auth) cmd.option('--token <token>', 'operator or officer token (or CUSTODES_TOKEN)').option('--token-file <file>', 'file holding the operator or officer token');
  return cmd;
}

export function registerCustodianCommands(program: Command): void {
  const cust = program.command('custodian').description('a custodian node: sealed share store, review, witness, release');

  cust
    .command('init')
    .description('store the signing key and a share (dealer) or a host key (DKG, docs/PROTOCOL.md §3.8) sealed (§3.6); prints unseal keys and the operator token ONCE')
    .requiredOption('--data <dir>', 'data directory')
    .option('--share <file>', 'share-<i>.json from the offline dealer ceremony (tests and vectors)')
    .option('--dkg-index <i>', 'no share: this node is custodian i of a DKG epoch (its share comes from the log)', intOption('dkg-index', 1))
    .option('--epoch <e>', 'with --dkg-index: the proposed epoch', intOption('epoch', 0), 1)
    .option('--host-key <file>', 'the host key file officers keep offline (custodes custodian dkg hostkey --out); generated when absent')
    .requiredOption('--key <file>', "the custodian's key file (custodes keygen): its BIP340 signing key and Ed25519 witness key are sealed into the store")
    .option('--unseal-keys <m>', 'number of unseal keys', intOption('unseal-keys'), 5)
    .option('--unseal-threshold <k>', 'unseal keys needed', intOption('unseal-threshold'), 3)
    .option('--name <name>', "this node's name in the registry")
    .option('--policy <file>', 'auto-approval policy JSON')
    .option('--dev', 'keep the unseal keys on disk and unseal at start (development only)')
    .action(async (opts: { data: string; share?: string; dkgIndex?: number; epoch: number; hostKey?: string; key: string; unsealKeys: number; unsealThreshold: number; name?: string; policy?: string; dev?: boolean }) => {
      if ((opts.share === undefined) === (opts.dkgIndex === undefined)) throw new CliError('give either --share or --dkg-index');
      const r = await domain(() =>
        initCustodian({
          dataDir: opts.data,
          ...(opts.share !== undefined ? { shareFile: readJson(opts.share, 'share file') } : { dkg: { custodian: opts.dkgIndex!, epoch: opts.epoch } }),
          ...(opts.hostKey !== undefined ? { hostKeyFile: readJson(opts.hostKey, 'host key file') } : {}),
          keyFile: readJson(opts.key, 'key file'),
          unsealShares: opts.unsealKeys,
          unsealThreshold: opts.unsealThreshold,
          dev: opts.dev ?? false,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.policy ? { policy: readPolicyFile(opts.policy) } : {}),
        }),
      );
      process.stdout.write(
        `custodian ${r.custodian} (epoch ${r.epoch}) initialised in ${opts.data}\n` +
          `signing key ${r.publicKey}, witness key ${r.witnessKey} (the registry lists them as signingKey and witnessKey)\n` +
          (r.hostKey ? `host key (list it as hostKey in the registry): ${r.hostKey}\n` : '') +
          `\n` +
          `Unseal keys (any ${opts.unsealThreshold} of ${opts.unsealKeys} unseal the node). They are shown ONCE: hand one to each officer.\n` +
          r.unsealKeys.map((k, i) => `  ${i + 1}: ${k}\n`).join('') +
          `\nOperator token (shown ONCE; stored only as a hash):\n  ${r.operatorToken}\n`,
      );
    });

  cust
    .command('add-officer')
    .description('name an officer with their own token (printed ONCE); --require m makes m officers approve before the node signs (docs/PROTOCOL.md §7.13, Officers)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', "the officer's name (lower-case letters, digits, '.', '_', '-')")
    .option('--require <m>', 'officer approvals required before the node signs an approval (1 ≤ m ≤ officers named)', intOption('require', 1))
    .action(async (opts: { data: string; name: string; require?: number }) => {
      const r = await domain(() => addOfficer({ dataDir: opts.data, name: opts.name, ...(opts.require !== undefined ? { require: opts.require } : {}) }));
      const quorum = r.required === undefined ? 'no quorum set: each token decides alone (set one with --require)' : `${r.required} of ${r.officers.length} officers must approve`;
      process.stdout.write(`officer ${r.name} added in ${opts.data}; ${quorum}\n\nOfficer token for ${r.name} (shown ONCE; stored only as a hash):\n  ${r.token}\n`);
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
    .option(
      '--release-log-deadline-ms <ms>',
      "how long one of this node's releases may stay out of its log replica before it refuses new partials calls, 503 RELEASES_UNLOGGED (default 300000)",
      intOption('release-log-deadline-ms', 0),
    )
    .option('--insecure-http', 'allow plain http to a coordinator that is not on loopback (default: refused, INSECURE_TRANSPORT)')
    .option('--max-db-mb <MiB>', 'cap custodian.db at this size: writes beyond it are refused 503 STORAGE_FULL, as on a full disk (default: no cap)', intOption('max-db-mb', 1))
    .option('--metrics-port <port>', 'serve Prometheus metrics at GET /metrics on this port (default: off)', intOption('metrics-port', 0))
    .option('--metrics-host <host>', 'bind address of the metrics port', '127.0.0.1')
    .option('--webhook-url <url>', 'POST signed events here: warrants awaiting review, releases, refusals, storage trouble (docs/PROTOCOL.md §9.7)')
    .option('--webhook-secret-file <file>', 'file holding the HMAC-SHA256 webhook secret (≥ 32 bytes)')
    .action(async (opts: { data: string; coordinator: string; port: number; host: string; policy?: string; rate?: number; callWindow?: number; outboxGraceMs?: number; releaseLogDeadlineMs?: number; maxDbMb?: number; metricsPort?: number; metricsHost: string; insecureHttp?: boolean; webhookUrl?: string; webhookSecretFile?: string }) => {
      const webhook = webhookOption(opts.webhookUrl, opts.webhookSecretFile);
      // domain(): a bad option or data directory is one line (BAD_OPTIONS, NOT_INITIALISED, BAD_POLICY), not a stack.
      const service = await domain(() =>
        createCustodian({
          dataDir: opts.data,
          coordinatorUrl: opts.coordinator,
          insecureHttp: opts.insecureHttp === true,
          port: opts.port,
          host: opts.host,
          ...tlsConfig(opts as TlsCliOptions), // the options tlsOptions() added
          ...(opts.policy ? { policyFile: opts.policy } : {}),
          ...(opts.rate ? { rateLimit: { envelopesPerMinute: opts.rate } } : {}),
          ...(opts.callWindow !== undefined ? { callWindowSeconds: opts.callWindow } : {}),
          ...(opts.outboxGraceMs !== undefined ? { outboxGraceMs: opts.outboxGraceMs } : {}),
          ...(opts.releaseLogDeadlineMs !== undefined ? { releaseLogDeadlineMs: opts.releaseLogDeadlineMs } : {}),
          ...(opts.maxDbMb !== undefined ? { maxDatabaseBytes: opts.maxDbMb * 1024 * 1024 } : {}),
          ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort, metricsHost: opts.metricsHost } : {}),
          ...(webhook ? { webhook } : {}),
        }),
      );
      await serveUntilSignal(service, (port) => `custodian listening on ${scheme(opts as TlsCliOptions)}://${opts.host}:${port}${service.metricsUrl ? `; metrics at ${service.metricsUrl}/metrics` : ''}`);
    });

  cust
    .command('backup')
    .description('a consistent copy of custodian.db, taken online beside the running node (0600; the share and keys stay sealed)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--out <file>', 'the backup file (must not exist)')
    .action(async (opts: { data: string; out: string }) => {
      const r = await domain(() => backupCustodian({ dataDir: opts.data, out: opts.out }));
      process.stdout.write(`backup of ${opts.data} written to ${opts.out} (${r.bytes} bytes)\n`);
    });

  cust
    .command('restore')
    .description("replace custodian.db with a checked backup of this node (the node must be stopped; the replaced database is kept)")
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--from <file>', 'the backup file')
    .option('--signing-key <hex>', "the node's public signing key as in the registry (needed when the data directory holds no readable database)")
    .action(async (opts: { data: string; from: string; signingKey?: string }) => {
      const r = await domain(() => restoreCustodian({ dataDir: opts.data, from: opts.from, ...(opts.signingKey ? { signingKey: opts.signingKey } : {}) }));
      process.stdout.write(
        `restored custodian ${r.custodian} from ${opts.from}${r.replaced ? `; the replaced database is kept as ${r.replaced}` : ''}\n` +
          `it cosigned up to size ${r.witnessSize}; once started and unsealed it catches up from the log\n`,
      );
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

  // ## Distributed key generation (docs/PROTOCOL.md §3.8)
  const dkg = cust.command('dkg').description('distributed key generation: host key, consent, recovery (docs/PROTOCOL.md §3.8)');
  dkg
    .command('hostkey')
    .description('--out FILE: a new host key file for `init --host-key`, kept offline by the officers (mode 0600); --node: make one inside a node that has none')
    .option('--out <file>', 'write a new host key file here')
    .option('--node <url>', 'the custodian node URL')
    .option('--token <token>', 'operator token (or CUSTODES_TOKEN)')
    .option('--token-file <file>', 'file holding the operator token')
    .action(async (opts: { out?: string; node?: string; token?: string; tokenFile?: string }) => {
      if ((opts.out === undefined) === (opts.node === undefined)) throw new CliError('give either --out FILE or --node URL');
      if (opts.out !== undefined) {
        const file = newHostKeyFile();
        writeOutput(opts.out, json(file), { secret: true });
        process.stdout.write(`host key ${file.hostKey} written to ${opts.out}\n`);
        return;
      }
      print(await call(opts.node!, 'v1/operator/dkg/hostkey', { method: 'POST', token: resolveToken({ node: opts.node!, ...opts }) }));
    });
  const consent = async (opts: NodeAuth & { epoch: number }) => print(await call(opts.node, 'v1/operator/dkg/consent', { method: 'POST', body: { epoch: opts.epoch }, token: resolveToken(opts) }));
  nodeOptions(dkg.command('consent'))
    .description("the operator's consent for this node to take part in the DKG of an epoch (the operator token only)")
    .requiredOption('--epoch <e>', 'the proposed epoch', intOption('epoch', 0))
    .action(consent);
  nodeOptions(dkg.command('recover'))
    .description("this node's share of a DKG epoch from its host key and the logged recovery data, with no one's help")
    .requiredOption('--epoch <e>', 'the DKG epoch', intOption('epoch', 0))
    .action(async (opts: NodeAuth & { epoch: number }) => print(await call(opts.node, 'v1/operator/dkg/recover', { method: 'POST', body: { epoch: opts.epoch }, token: resolveToken(opts) })));
  nodeOptions(dkg.command('status'))
    .description("this node's host public key and each epoch listing it: t, committee, consent, share held, sessions and their outcome")
    .action(async (opts: NodeAuth) => print(await call(opts.node, 'v1/operator/dkg', { token: resolveToken(opts) })));

  // ## Resharing (docs/PROTOCOL.md §3.9): the same consent and status as the DKG, seen as O → N.
  const reshare = cust.command('reshare').description("resharing: an active epoch's key moves to a new committee, same group key (docs/PROTOCOL.md §3.9)");
  nodeOptions(reshare.command('consent'))
    .description("the operator's consent for this node to take part in reshare epoch N, as dealer (a custodian of the old epoch) and/or receiver (of the new one); the operator token only")
    .requiredOption('--epoch <e>', 'the proposed reshare epoch N', intOption('epoch', 0))
    .action(consent);
  nodeOptions(reshare.command('status'))
    .description("each reshare epoch this node is in: old → new epoch, its roles, t/n, consent, the session's step, whether its old share is destroyed and the new one held")
    .option('--json', 'the full status as JSON (GET /v1/operator/dkg)')
    .action(async (opts: NodeAuth & { json?: boolean }) => {
      const status = await call<DkgStatus>(opts.node, 'v1/operator/dkg', { token: resolveToken(opts) });
      if (opts.json) return print({ ...status, epochs: status.epochs.filter((e) => e.reshare !== null) });
      process.stdout.write(reshareStatusLines(status).map((l) => `${l}\n`).join(''));
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
      const r = await call<{ status: string; officers?: { required: number; approvedBy: unknown[]; awaited: string[] } }>(
        opts.node,
        `v1/operator/warrants/${encodeURIComponent(id)}/approve`,
        { method: 'POST', body: {}, token: resolveToken(opts) },
      );
      // Four-eyes (§7.13, Officers): the node signs only at the m-th officer's approval.
      if (r.status === 'pending' && r.officers) {
        process.stdout.write(`approval recorded for ${id}: ${r.officers.approvedBy.length} of ${r.officers.required} officers; awaiting ${r.officers.awaited.join(', ') || 'nobody'}\n`);
      } else process.stdout.write(`approved ${id}\n`);
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

/** Both webhook options or neither; the secret is read from its file and never printed. */
function webhookOption(url: string | undefined, secretFile: string | undefined): { url: string; secret: string } | undefined {
  if (url === undefined && secretFile === undefined) return undefined;
  if (url === undefined || secretFile === undefined) throw new CliError('--webhook-url and --webhook-secret-file go together');
  return { url, secret: new TextDecoder().decode(readBytes(secretFile)).trim() };
}

/** An answer as JSON, its times in ISO 8601. */
function print(value: unknown): void {
  process.stdout.write(json(withIsoTimes(value)));
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
