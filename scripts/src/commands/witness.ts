/**
 * `custodes witness init|start`: a standalone witness (docs/PROTOCOL.md §4.3,
 * §7.10, §9.3). The data directory holds `witness.key` (0600), `witness.json`
 * ({ name, logs: [{ origin, key }] }) and `witness.db`.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidKeyName } from '@custodes/shared/log';
import { checkDataDir, makePrivateDir } from '@custodes/shared/service';
import { CliError, intOption, json, readKeyFile, requireNoteKey, writeOutput } from '../io';
import { serveUntilSignal } from '../serve';
import { createStandaloneWitness, WitnessConfigError } from '../witness/service';
import type { WitnessedLog } from '../witness/service';
import { newKeyFile } from './keys';

const KEY_FILE = 'witness.key';
const CONFIG_FILE = 'witness.json';

interface WitnessSetup {
  name: string;
  logs: WitnessedLog[];
}

/** Sets up a witness data directory: its key (from `keyFile`, or a new one), its name and the log it witnesses. */
export function initWitnessDir(opts: { data: string; name: string; origin: string; logNoteKey: string; key?: string }): { publicKey: string } {
  if (!isValidKeyName(opts.name)) throw new CliError('--name must be a note key name (no spaces, no "+")');
  if (!isValidKeyName(opts.origin)) throw new CliError('--origin must be the log origin (no spaces, no "+")');
  if (!/^[0-9a-f]{64}$/.test(opts.logNoteKey)) throw new CliError("--log-note-key must be the log's Ed25519 key, 32 bytes of lower-case hex");
  if (existsSync(join(opts.data, CONFIG_FILE))) throw new CliError(`${opts.data} already holds a witness`);
  const key = opts.key ? readKeyFile(opts.key) : newKeyFile();
  const note = requireNoteKey(opts.key ?? KEY_FILE, key);
  makePrivateDir(opts.data);
  writeOutput(join(opts.data, KEY_FILE), json({ format: 'custodes.key.v1', ...key }), { secret: true });
  const setup: WitnessSetup = { name: opts.name, logs: [{ origin: opts.origin, key: opts.logNoteKey }] };
  writeOutput(join(opts.data, CONFIG_FILE), json(setup));
  return { publicKey: note.notePublicKey };
}

function readSetup(data: string): WitnessSetup & { secretKey: string } {
  const file = join(data, CONFIG_FILE);
  if (!existsSync(file)) throw new CliError(`${data} holds no witness; run \`custodes witness init\` first`);
  try {
    checkDataDir(data, [KEY_FILE]); // INSECURE_PERMISSIONS if others can read the key
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const setup = JSON.parse(readFileSync(file, 'utf8')) as WitnessSetup;
  const keyFile = join(data, KEY_FILE);
  return { ...setup, secretKey: requireNoteKey(keyFile, readKeyFile(keyFile)).noteSecretKey };
}

export function registerWitnessCommands(program: Command): void {
  const w = program.command('witness').description('a standalone witness: cosigns checkpoints, nothing else');

  w.command('init')
    .description('create a witness data directory: its Ed25519 key, its name and the log it witnesses')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--name <name>', 'its key name (as the registry lists it under witnesses)')
    .requiredOption('--origin <origin>', 'the log origin it witnesses')
    .requiredOption('--log-note-key <hex>', "the log's Ed25519 checkpoint key (the registry's logNoteKey)")
    .option('--key <file>', 'a key file from `custodes keygen` (default: a new key)')
    .action((opts: { data: string; name: string; origin: string; logNoteKey: string; key?: string }) => {
      const r = initWitnessDir(opts);
      process.stdout.write(`${r.publicKey}\n`);
      process.stderr.write(`witness initialised in ${opts.data}; list it in the registry with --witness ${opts.name},${r.publicKey},<its URL>\n`);
    });

  w.command('start')
    .description('serve POST /add-checkpoint (C2SP tlog-witness) and GET /witness/v1/checkpoint (loopback by default)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--port <port>', 'port (0 picks one)', intOption('port'), Number(process.env.CUSTODES_PORT ?? 8700))
    .option('--host <host>', 'bind address', process.env.CUSTODES_HOST ?? '127.0.0.1')
    .action(async (opts: { data: string; port: number; host: string }) => {
      const setup = readSetup(opts.data);
      let service: ReturnType<typeof createStandaloneWitness>;
      try {
        service = createStandaloneWitness({ dataDir: opts.data, name: setup.name, secretKey: setup.secretKey, logs: setup.logs, port: opts.port, host: opts.host });
      } catch (err) {
        if (err instanceof WitnessConfigError) throw new CliError(err.message);
        throw err;
      }
      await serveUntilSignal(
        {
          start: async () => {
            await service.start();
            return { port: Number(new URL(service.url).port) };
          },
          close: () => service.close(),
        },
        (port) => `witness ${setup.name} listening on http://${opts.host}:${port}`,
      );
    });
}
