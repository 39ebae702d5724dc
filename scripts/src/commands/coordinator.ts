/**
 * `custodes coordinator init|start|add-token`. The data directory holds the
 * database, the log key (0600) and `coordinator.json` ({ origin }).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import { parseRecord, RegistryEntrySchema } from '@custodes/shared/records';
import { CustodesError } from '@custodes/shared';
import { CliError, intOption, json, readJson, readKeyFile, writeOutput } from '../io';
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

export function readCoordinatorSetup(dataDir: string): { origin: string; logSecretKey: string } {
  const configFile = join(dataDir, COORDINATOR_CONFIG);
  if (!existsSync(configFile)) throw new CliError(`${dataDir} holds no coordinator; run \`custodes coordinator init\` first`);
  const { origin } = JSON.parse(readFileSync(configFile, 'utf8')) as { origin: string };
  return { origin, logSecretKey: readKeyFile(join(dataDir, LOG_KEY_FILE)).secretKey };
}

/** Sets up a coordinator data directory from a signed genesis registry and the log key file. */
export function initCoordinatorDir(dataDir: string, registryInput: unknown, logKeyFile: string): { index: number } {
  const registry = domain(() => parseRecord(RegistryEntrySchema, registryInput, 'registry'));
  const key = readKeyFile(logKeyFile);
  const r = domain(() => initCoordinator({ dataDir, registry, logSecretKey: key.secretKey }));
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
    .option('--retention <seconds>', 'how long decrypted results are kept', intOption('retention'), 86_400)
    .option('--max-db-mb <MiB>', 'cap coordinator.db at this size: writes beyond it are refused 503 STORAGE_FULL, as on a full disk (default: no cap)', intOption('max-db-mb', 1))
    .action(async (opts: { data: string; port: number; host: string; custodianUrl?: Record<number, string>; retention: number; maxDbMb?: number }) => {
      const setup = readCoordinatorSetup(opts.data);
      // domain(): a data directory in use or a registry that does not match is one line, not a stack.
      const service = domain(() =>
        createCoordinator({
          dataDir: opts.data,
          port: opts.port,
          host: opts.host,
          origin: setup.origin,
          logSecretKey: setup.logSecretKey,
          retentionSeconds: opts.retention,
          ...tlsConfig(opts as TlsCliOptions), // the options tlsOptions() added
          ...(opts.custodianUrl ? { custodianUrls: opts.custodianUrl } : {}),
          ...(opts.maxDbMb !== undefined ? { maxDatabaseBytes: opts.maxDbMb * 1024 * 1024 } : {}),
        }),
      );
      await serveUntilSignal(service, (port) => `coordinator listening on ${scheme(opts as TlsCliOptions)}://${opts.host}:${port}`);
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
}
