/**
 * The `custodes` command line. Errors are one line on stderr with a non-zero
 * exit, never a stack trace.
 *
 * The service command groups (coordinator, custodian, audit) pull in express,
 * SQLite and the services; they are loaded only when their group is named, so
 * the offline tools start fast.
 */
import { Command, CommanderError } from 'commander';
import { registerCourtCommands } from './commands/court';
import { registerEnvelopeCommands } from './commands/envelope';
import { registerEpochCommands } from './commands/epoch';
import { registerInvestigatorCommands } from './commands/investigator';
import { registerKeyCommands } from './commands/keys';
import { registerProviderCommands } from './commands/provider';
import { registerRegistryCommands } from './commands/registry';
import { CliError } from './io';

type Register = (program: Command) => unknown;

const SERVICE_GROUPS: Record<string, { description: string; load: () => Promise<Register> }> = {
  coordinator: {
    description: 'the coordinator: workflow, the public log and its API',
    load: async () => (await import('./commands/coordinator')).registerCoordinatorCommands,
  },
  custodian: {
    description: 'a custodian node: sealed share store, review, witness, release',
    load: async () => (await import('./commands/custodian')).registerCustodianCommands,
  },
  log: {
    description: 'the public log: mirror it as static tiles (C2SP tlog-tiles)',
    load: async () => (await import('./commands/log')).registerLogCommands,
  },
  witness: {
    description: 'a standalone witness: cosigns the log\'s checkpoints (C2SP tlog-witness add-checkpoint), nothing else',
    load: async () => (await import('./commands/witness')).registerWitnessCommands,
  },
  audit: {
    description: 'verify a Custodes log, watch it for split views, publish a transparency report',
    load: async () => (await import('@custodes/auditor')).registerAuditCommands,
  },
};

export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('custodes')
    .description('Custodes: threshold decryption under warrant, with a public transparency log')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride()
    // One line on stderr, keeping commander's "(Did you mean --key?)" that follows on its second line.
    .configureOutput({ outputError: (str, write) => write(str.trim().split('\n').join(' ') + '\n') });
  registerKeyCommands(program);
  registerEnvelopeCommands(program);
  program
    .command('demo')
    .description('a short narrated walk through the protocol (ceremony, sealing, partials, combination), offline')
    .action(async () => (await import('./demo')).runProtocolDemo());
  registerRegistryCommands(program);
  for (const [name, group] of Object.entries(SERVICE_GROUPS)) {
    if (argv[0] === name) (await group.load())(program);
    else program.command(name).description(group.description);
  }
  registerCourtCommands(program);
  registerInvestigatorCommands(program);
  registerProviderCommands(program);
  registerEpochCommands(program);
  return program;
}

/**
 * Commander reports a missing required option before an unknown one, so a
 * typo (`--keyy`) read as "required option '--key' not specified". This names
 * the unknown option first, with commander's suggestion, on a program built
 * only for the check (parsing sets option values).
 */
async function refuseUnknownOptions(argv: readonly string[]): Promise<void> {
  const probe = await buildProgram(argv);
  let cmd: Command = probe;
  let i = 0;
  for (; i < argv.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]!));
    if (!sub) break;
    cmd = sub;
  }
  if (cmd === probe) return;
  const { unknown } = cmd.parseOptions([...argv.slice(i)]);
  const flag = unknown.find((a) => a.startsWith('-') && a !== '-' && !['-h', '--help'].includes(a));
  // Commander's own report with its "did you mean" (a public method, missing from its typings); prints one line, throws CommanderError.
  if (flag !== undefined) (cmd as Command & { unknownOption(flag: string): never }).unknownOption(flag);
}

export async function main(argv: string[]): Promise<number> {
  try {
    await refuseUnknownOptions(argv);
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // help, version, usage errors (already printed)
    const message = err instanceof CliError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`custodes: ${message.split('\n')[0]}\n`);
    return err instanceof CliError ? err.exitCode : 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
