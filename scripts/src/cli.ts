/**
 * The `custodes` command line. Errors are one line on stderr with a non-zero
 * exit, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from '@custodes/auditor';
import { registerEnvelopeCommands } from './commands/envelope';
import { registerCoordinatorCommands } from './commands/coordinator';
import { registerCourtCommands } from './commands/court';
import { registerCustodianCommands } from './commands/custodian';
import { registerInvestigatorCommands } from './commands/investigator';
import { registerKeyCommands } from './commands/keys';
import { registerProviderCommands } from './commands/provider';
import { registerRegistryCommands } from './commands/registry';
import { CliError } from './io';

export function buildProgram(): Command {
  const program = new Command('custodes')
    .description('Custodes: threshold decryption under warrant, with a public transparency log')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  registerKeyCommands(program);
  registerEnvelopeCommands(program);
  registerRegistryCommands(program);
  registerCoordinatorCommands(program);
  registerCustodianCommands(program);
  registerCourtCommands(program);
  registerInvestigatorCommands(program);
  registerProviderCommands(program);
  registerAuditCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
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
