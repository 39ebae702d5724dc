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
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
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
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
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
