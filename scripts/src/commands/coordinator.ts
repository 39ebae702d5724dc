/**
 * `custodes coordinator init|start|add-token`. The data directory holds the
 * database, the log key (0600) and `coordinator.json` ({ origin }).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addInvestigatorToken, backupCoordinator, createCoordinator, initCoordinator, restoreCoordinator } from '@custodes/coordinator';
import { parseRecord, RegistryCustodianSchema, RegistryEntrySchema } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { isSuperseded, reviewers } from '@custodes/shared/rules';
import { CustodesError } from '@custodes/shared';
import { checkDataDir } from '@custodes/shared/service';
import { CliError, intOption, json, readJson, readKeyFile, requireNoteKey, writeOutput } from '../io';
import { publicKeySetFromLog, startDkg, waitDkg } from '../dkgClient';
import { restartWithout } from '../dkgRestart';
import { proposeReshare } from '../reshareProposal';
import { call } from '../remote';
import { scheme, serveUntilSignal, tlsConfig, tlsOptions } from '../serve';
import type { TlsCliOptions } from '../serve';

export const COORDINATOR_CONFIG = 'coordinator.json';
export const LOG_KEY_FILE = 'log.key';

function domain<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CustodesError) throw new CliError(err.message);
    throw err;
  }
}

/** As `domain`, for async work, with the code first (a refusal an operator must act on, docs/PROTOCOL.md §9.6). */
async function domainAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CustodesError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}

export function readCoordinatorSetup(dataDir: string): { origin: string; logSecretKey: string; logNoteSecretKey: string } {
  const configFile = join(dataDir, COORDINATOR_CONFIG);
  if (!existsSync(configFile)) throw new CliError(`${dataDir} holds no coordinator; run \`custodes coordinator init\` first`);
  domain(() => checkDataDir(dataDir, [LOG_KEY_FILE])); // the log key: INSECURE_PERMISSIONS if others can read it
  const { origin } = JSON.parse(readFileSync(configFile, 'utf8')) as { origin: string };
  const keyFile = join(dataDir, LOG_KEY_FILE);
  const key = readKeyFile(keyFile);
  return { origin, logSecretKey: key.secretKey, logNoteSecretKey: requireNoteKey(keyFile, key).noteSecretKey };
}

/** Sets up a coordinator data directory from a signed genesis registry and the log key file. */
export function initCoordinatorDir(dataDir: string, registryInput: unknown, logKeyFile: string): { index: number } {
  const registry = domain(() => parseRecord(RegistryEntrySchema, registryInput, 'registry'));
  const key = readKeyFile(logKeyFile);
  const { noteSecretKey } = requireNoteKey(logKeyFile, key);
  const r = domain(() => initCoordinator({ dataDir, registry, logSecretKey: key.secretKey, logNoteSecretKey: noteSecretKey }));
  writeOutput(join(dataDir, LOG_KEY_FILE), json({ format: 'custodes.key.v1', ...key }), { secret: true });
  writeOutput(join(dataDir, COORDINATOR_CONFIG), json({ origin: registry.origin }));
  return r;
}

const collectUrl = (value: string, previous: Record<number, string> = {}) => {
  const m = /^([0-9]{1,3})=(https?:\/\/.+)$/.exec(value);
  if (!m) throw new CliError(`--custodian-url must be <index>=<url>, got '${value}'`);
  return { ...previous, [Number(m[1])]: m[2]! };
};

export function registerCoordinatorCommands(program: Command): void {
  const coord = program.command('coordinator').description('the coordinator: workflow, the public log and its API');

  coord
    .command('init')
    .description('create a coordinator data directory with the genesis registry as log entry 0')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--registry <file>', 'genesis registry entry signed by every custodian')
    .requiredOption('--log-key <file>', "the log's key file (copied into the data directory, 0600)")
    .action((opts: { data: string; registry: string; logKey: string }) => {
      const r = initCoordinatorDir(opts.data, readJson(opts.registry, 'registry'), opts.logKey);
      process.stdout.write(`coordinator initialised in ${opts.data}; genesis registry at index ${r.index}\n`);
    });

  tlsOptions(coord.command('start'))
    .description('serve the coordinator (loopback by default)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--port <port>', 'port (0 picks one)', intOption('port'), Number(process.env.CUSTODES_PORT ?? 8600))
    .option('--host <host>', 'bind address', process.env.CUSTODES_HOST ?? '127.0.0.1')
    .option('--custodian-url <index=url>', "override a custodian's registry URL (repeatable)", collectUrl)
    .option('--insecure-http', 'allow plain http to custodians that are not on loopback (default: refused, INSECURE_TRANSPORT)')
    .option('--retention <seconds>', 'how long decrypted results are kept', intOption('retention'), 86_400)
    .option('--max-db-mb <MiB>', 'cap coordinator.db at this size: writes beyond it are refused 503 STORAGE_FULL, as on a full disk (default: no cap)', intOption('max-db-mb', 1))
    .option('--report-dir <dir>', 'serve the transparency report in this directory at /report/ (written by `custodes audit report --out` or `audit watch --report-dir`)')
    .option('--metrics-port <port>', 'serve Prometheus metrics at GET /metrics on this port (default: off)', intOption('metrics-port', 0))
    .option('--metrics-host <host>', 'bind address of the metrics port', '127.0.0.1')
    .action(async (opts: { data: string; port: number; host: string; custodianUrl?: Record<number, string>; insecureHttp?: boolean; retention: number; maxDbMb?: number; reportDir?: string; metricsPort?: number; metricsHost: string }) => {
      const setup = readCoordinatorSetup(opts.data);
      // domain(): a data directory in use or a registry that does not match is one line, not a stack.
      const service = domain(() =>
        createCoordinator({
          dataDir: opts.data,
          port: opts.port,
          host: opts.host,
          origin: setup.origin,
          logSecretKey: setup.logSecretKey,
          logNoteSecretKey: setup.logNoteSecretKey,
          retentionSeconds: opts.retention,
          insecureHttp: opts.insecureHttp === true,
          ...tlsConfig(opts as TlsCliOptions), // the options tlsOptions() added
          ...(opts.custodianUrl ? { custodianUrls: opts.custodianUrl } : {}),
          ...(opts.maxDbMb !== undefined ? { maxDatabaseBytes: opts.maxDbMb * 1024 * 1024 } : {}),
          ...(opts.reportDir !== undefined ? { reportDir: opts.reportDir } : {}),
          ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort, metricsHost: opts.metricsHost } : {}),
        }),
      );
      await domainAsync(() =>
        serveUntilSignal(service, (port) => `coordinator listening on ${scheme(opts as TlsCliOptions)}://${opts.host}:${port}${service.metricsUrl ? `; metrics at ${service.metricsUrl}/metrics` : ''}`),
      );
    });

  coord
    .command('backup')
    .description('a consistent copy of coordinator.db, taken online beside the running coordinator (0600; the log key is not in it)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--out <file>', 'the backup file (must not exist)')
    .action(async (opts: { data: string; out: string }) => {
      const r = await domainAsync(() => backupCoordinator({ dataDir: opts.data, out: opts.out }));
      process.stdout.write(`backup of ${opts.data} written to ${opts.out} (${r.bytes} bytes)\n`);
    });

  coord
    .command('restore')
    .description('replace coordinator.db with a checked backup of this log (the coordinator must be stopped; the replaced database is kept)')
    .requiredOption('--data <dir>', 'data directory (keeps its log.key and coordinator.json)')
    .requiredOption('--from <file>', 'the backup file')
    .action(async (opts: { data: string; from: string }) => {
      const setup = readCoordinatorSetup(opts.data);
      const logKey = readKeyFile(join(opts.data, LOG_KEY_FILE)).publicKey;
      const r = await domainAsync(() => restoreCoordinator({ dataDir: opts.data, from: opts.from, origin: setup.origin, logKey }));
      process.stdout.write(
        `restored ${opts.from} into ${opts.data}: ${r.size} log entries${r.replaced ? `; the replaced database is kept as ${r.replaced}` : ''}\n` +
          'the next start checks the log against the witnesses before it signs anything\n',
      );
    });

  coord
    .command('add-token')
    .description('issue a bearer token for a registered investigator (printed once, stored hashed)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--agency <id>', 'agency id')
    .requiredOption('--investigator <key>', "the investigator's registered x-only key")
    .action((opts: { data: string; agency: string; investigator: string }) => {
      const token = domain(() => addInvestigatorToken({ dataDir: opts.data, agency: opts.agency, investigator: opts.investigator }));
      process.stdout.write(`${token}\n`);
    });
  registerDkgCommands(coord);
  registerReshareCommands(coord);
}

/** The coordinator's registry: the entry as logged, and with the epochs that logged `epoch` entries activated (§7.4). */
async function servedRegistry(url: string): Promise<{ logged: RegistryEntry; resolved: RegistryEntry }> {
  const served = await remoteStep(() => call<{ entry: unknown; activated?: { epoch: number; groupKey: string; commitments: string[] }[] }>(url, 'v1/registry'));
  const logged = domain(() => parseRecord(RegistryEntrySchema, served.entry, 'registry'));
  const activated = new Map((served.activated ?? []).map((a) => [a.epoch, a] as const));
  const resolved = {
    ...logged,
    epochs: logged.epochs.map((e) => {
      const a = activated.get(e.epoch);
      return a ? { ...e, groupKey: a.groupKey, commitments: a.commitments } : e;
    }),
  };
  return { logged, resolved };
}

/**
 * `custodes coordinator dkg start|status|exclude` (docs/PROTOCOL.md §3.8): run a
 * session for a proposed epoch (the start call signed with the log key), follow
 * it, and after a failure write the registry update that proposes a new epoch
 * without the blamed custodians (then `custodes registry sign` by t custodians
 * and `custodes registry submit`).
 */
function registerDkgCommands(coord: Command): void {
  const dkg = coord.command('dkg').description('distributed key generation over the log, no dealer (docs/PROTOCOL.md §3.8)');
  dkg
    .command('start')
    .description('start the DKG of a proposed epoch and wait for its end: active (the epoch entry is logged) or aborted (who is blamed)')
    .requiredOption('--coordinator <url>', 'the coordinator URL')
    .requiredOption('--log-key <file>', "the log's key file: the start call is signed with it")
    .requiredOption('--epoch <e>', 'the proposed epoch', intOption('epoch', 0))
    .option('--public-out <file>', 'on success, write public.json exported from the logged epoch entry')
    .action(async (opts: { coordinator: string; logKey: string; epoch: number; publicOut?: string }) => {
      const base = opts.coordinator.replace(/\/+$/, '');
      // A reshare epoch (§3.9) runs through the same start call; the output says which it is.
      const from = (await servedRegistry(base)).logged.epochs.find((e) => e.epoch === opts.epoch)?.reshareOf;
      const what = from === undefined ? 'DKG' : `reshare of epoch ${from}`;
      const session = await remoteStep(() => startDkg(base, opts.epoch, readKeyFile(opts.logKey).secretKey));
      process.stdout.write(`session ${session} started for epoch ${opts.epoch} (${what})\n`);
      const state = await remoteStep(() => waitDkg(base, session));
      if (state.status === 'active') {
        process.stdout.write(
          from === undefined
            ? `epoch ${state.epoch} active: group key ${state.groupKey} (logged at ${state.index})\n`
            : `epoch ${state.epoch} active: the key of epoch ${from} moved to it, group key ${state.groupKey} unchanged (logged at ${state.index}); the custodians of epoch ${from} now destroy their shares (custodes custodian reshare status)\n`,
        );
        if (opts.publicOut) writeOutput(opts.publicOut, json(await remoteStep(() => publicKeySetFromLog(base, state.epoch, state.index))));
        return;
      }
      if (state.status === 'aborted') {
        throw new CliError(`the ${what} (epoch ${state.epoch}) was aborted (${state.reason}); blamed: ${state.blamed.join(', ') || 'none'}. Restart without them: custodes coordinator dkg exclude --epoch ${state.epoch} --exclude ${state.blamed.join(',') || '<i>'}`);
      }
      throw new CliError(`the ${what} (epoch ${state.epoch}) is still running (step ${state.step})`);
    });
  dkg
    .command('status')
    .description("a session's state")
    .requiredOption('--coordinator <url>', 'the coordinator URL')
    .argument('<session>')
    .action(async (session: string, opts: { coordinator: string }) => {
      process.stdout.write(json(await call(opts.coordinator, `v1/dkg/sessions/${encodeURIComponent(session)}`)));
    });
  dkg
    .command('exclude')
    .description('write the registry update that restarts a failed DKG without the blamed custodians: a new proposed epoch; sign it with `custodes registry sign`')
    .requiredOption('--coordinator <url>', 'the coordinator URL (its current registry)')
    .requiredOption('--epoch <e>', 'the failed proposed epoch', intOption('epoch', 0))
    .requiredOption('--exclude <list>', 'comma-separated custodian indices to leave out', indexList('exclude'))
    .option('--threshold <t>', "the new epoch's threshold (default: the old one, at most the custodians left)", intOption('threshold', 1))
    .option('--out <file>', 'write the unsigned update here (default stdout)')
    .action(async (opts: { coordinator: string; epoch: number; exclude: number[]; threshold?: number; out?: string }) => {
      const exclude = opts.exclude;
      const current = parseRecord(RegistryEntrySchema, (await call<{ entry: unknown }>(opts.coordinator, 'v1/registry')).entry, 'registry');
      let next;
      try {
        next = restartWithout(current, opts.epoch, exclude, { time: Math.floor(Date.now() / 1000), ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) });
      } catch (err) {
        if (err instanceof RangeError) throw new CliError(err.message);
        throw err;
      }
      writeOutput(opts.out, json(next));
    });
}

const indexList = (name: string) => (value: string): number[] => {
  if (!/^[1-9][0-9]*(,[1-9][0-9]*)*$/.test(value)) throw new CliError(`--${name} must list custodian indices, got '${value}'`);
  return value.split(',').map(Number);
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `custodes coordinator reshare propose` (docs/PROTOCOL.md §3.9): the registry
 * update that moves an active epoch's key to a new committee. Then, as for
 * any update, t custodians of the newest active epoch sign it (`custodes
 * registry sign`), it is submitted (`custodes registry submit`), every old
 * and new custodian's operator consents (`custodes custodian reshare
 * consent`), and `custodes coordinator dkg start --epoch N` runs it.
 */
function registerReshareCommands(coord: Command): void {
  const reshare = coord.command('reshare').description("move an active epoch's key to a new committee, same group key (docs/PROTOCOL.md §3.9)");
  reshare
    .command('propose')
    .description('write the unsigned registry update proposing epoch N that reshares active epoch E: its custodians minus --remove plus --add, threshold t; sign it with `custodes registry sign`')
    .requiredOption('--coordinator <url>', 'the coordinator URL (its current registry)')
    .requiredOption('--from <e>', 'the active epoch whose key moves', intOption('from', 0))
    .option('--remove <list>', 'comma-separated indices of custodians who leave', indexList('remove'))
    .option('--add <file>', 'a joining custodian as JSON: index, name, url, signingKey, witnessKey, hostKey (repeatable)', collect)
    .option('--threshold <t>', "the new epoch's threshold (default: the old one, at most the custodians left)", intOption('threshold', 1))
    .requiredOption('--out <file>', 'write the unsigned update here')
    .action(async (opts: { coordinator: string; from: number; remove?: number[]; add?: string[]; threshold?: number; out: string }) => {
      const { logged, resolved } = await servedRegistry(opts.coordinator);
      const old = resolved.epochs.find((e) => e.epoch === opts.from);
      if (!old) throw new CliError(`the registry lists no epoch ${opts.from}`);
      if (old.groupKey === undefined) throw new CliError(`epoch ${opts.from} is not active: only an active epoch's key can move`);
      if (isSuperseded(resolved, opts.from)) throw new CliError(`epoch ${opts.from}'s key has already moved to another epoch: reshare that one`);
      const add = (opts.add ?? []).map((f) => domain(() => parseRecord(RegistryCustodianSchema, readJson(f, 'custodian file'), `custodian file ${f}`)));
      let next: RegistryEntry;
      try {
        next = proposeReshare(logged, { from: opts.from, remove: opts.remove ?? [], add, time: Math.floor(Date.now() / 1000), ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) });
      } catch (err) {
        if (err instanceof RangeError) throw new CliError(err.message);
        throw err;
      }
      writeOutput(opts.out, json(next));
      const n = next.epochs.at(-1)!;
      process.stdout.write(
        `epoch ${n.epoch} (${n.threshold}-of-${n.total}: ${n.custodians.map((c) => c.index).join(', ')}) reshares epoch ${opts.from} (${old.threshold}-of-${old.total}); ` +
          `proposal (sequence ${next.sequence}) written to ${opts.out}: ${signersNote(resolved)} sign it with \`custodes registry sign\`\n`,
      );
    });
}

/** Who signs an update: t of the newest active epoch of the registry in force (docs/PROTOCOL.md §4.2). */
function signersNote(resolved: RegistryEntry): string {
  const q = reviewers(resolved)!; // a parsed registry lists an epoch
  return `${q.threshold} custodians of epoch ${q.epoch} (${[...q.custodians.keys()].join(', ')})`;
}

/** A call to the coordinator in a CLI step: its refusal or a network failure is one line, never a stack. */
async function remoteStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CustodesError || err instanceof TypeError) throw new CliError(`coordinator: ${(err as Error).message}`);
    throw err;
  }
}
