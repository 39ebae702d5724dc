/**
 * `custodes court sign|revoke|unseal` (DESIGN.md §4.1, §5; docs/PROTOCOL.md §7.4).
 * `sign` writes a warrant package `{ warrant, salt }`: the court keeps it, the
 * investigator adds its signature and submits it, the court unseals with it.
 */
import type { Command } from 'commander';
import {
  newSalt,
  parseRecord,
  RevocationEntrySchema,
  signRecord,
  signWarrant,
  SignedWarrantSchema,
  WarrantSchema,
  warrantCommitment,
} from '@custodes/shared/records';
import type { RevocationEntry } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { CliError, json, readJson, readKeyFile, writeOutput } from '../io';
import { call } from '../remote';

export interface WarrantPackage {
  warrant: Record<string, unknown>;
  salt: string;
}

export function readPackage(path: string): WarrantPackage {
  const raw = readJson(path, 'warrant package') as Partial<WarrantPackage> | null;
  if (!raw || typeof raw !== 'object' || typeof raw.warrant !== 'object' || raw.warrant === null || typeof raw.salt !== 'string' || !/^[0-9a-f]{64}$/.test(raw.salt)) {
    throw new CliError(`${path} is not a warrant package { warrant, salt }`);
  }
  return raw as WarrantPackage;
}

function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw new CliError(err.message);
    throw err;
  }
}

/** Builds and signs a revocation entry (kind `revocation`, §3.5). */
export function signedRevocation(warrantId: string, reason: string, by: 'court' | 'investigator', key: { secretKey: string; publicKey: string }, now: number): RevocationEntry {
  const entry = { type: 'revocation' as const, warrantId, reason, by, signer: key.publicKey, time: now };
  return parse(() => parseRecord(RevocationEntrySchema, { ...entry, signature: signRecord(entry, 'revocation', key.secretKey) }, 'revocation'));
}

export function registerCourtCommands(program: Command): void {
  const court = program.command('court').description('court: sign, revoke and unseal warrants');

  court
    .command('sign')
    .description('sign a warrant (DESIGN.md §4.1) and write a package { warrant, salt }')
    .requiredOption('--key <file>', "the court's key file")
    .requiredOption('--warrant <file>', 'warrant JSON (custodes.warrant.v1)')
    .requiredOption('--out <file>', 'warrant package to write (keep it: unsealing needs the salt)')
    .action((opts: { key: string; warrant: string; out: string }) => {
      const key = readKeyFile(opts.key);
      const warrant = parse(() => parseRecord(WarrantSchema, readJson(opts.warrant, 'warrant'), 'warrant'));
      const salt = newSalt();
      const pkg = { warrant: { ...warrant, courtSignature: signWarrant(warrant, key.secretKey) }, salt };
      writeOutput(opts.out, json(pkg), { secret: true });
      process.stdout.write(`commitment ${warrantCommitment(warrant, salt)}\n`);
    });

  court
    .command('revoke')
    .description('revoke a warrant (logged publicly): through the coordinator, and/or directly at custodians, where it is in force at once and each forwards it to the log')
    .option('--coordinator <url>', 'coordinator URL: log the revocation there')
    .option('--custodian <url>', 'a custodian node URL: post the revocation to it directly (repeatable)', (url: string, all: string[]) => [...all, url], [] as string[])
    .requiredOption('--key <file>', "the court's key file")
    .requiredOption('--warrant-id <id>', 'warrant id')
    .requiredOption('--reason <text>', 'public reason')
    .action(async (opts: { coordinator?: string; custodian: string[]; key: string; warrantId: string; reason: string }) => {
      if (!opts.coordinator && opts.custodian.length === 0) throw new CliError('give --coordinator, --custodian (repeatable), or both');
      // One signed entry for every target: the log holds one revocation per warrant, whoever forwards it.
      const entry = signedRevocation(opts.warrantId, opts.reason, 'court', readKeyFile(opts.key), Math.floor(Date.now() / 1000));
      // Every target is tried, so one unreachable custodian does not keep the revocation from the others.
      const failed: string[] = [];
      const attempt = async (target: string, post: () => Promise<string>) => {
        try {
          process.stdout.write(`${await post()}\n`);
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          failed.push(`${target}: ${err.message}`);
        }
      };
      if (opts.coordinator) {
        const coordinator = opts.coordinator;
        await attempt(coordinator, async () => `revocation logged at index ${(await call<{ index: number }>(coordinator, 'v1/records', { body: { entry } })).index}`);
      }
      for (const url of opts.custodian) {
        await attempt(url, async () => {
          const r = await call<{ logIndex: number | null }>(url, 'v1/revocations', { body: { entry } });
          return `revoked at custodian ${url}${r.logIndex === null ? ' (it forwards the revocation to the log)' : ` (logged at index ${r.logIndex})`}`;
        });
      }
      if (failed.length > 0) throw new CliError(`revocation not accepted by ${failed.join('; ')}`);
    });

  court
    .command('unseal')
    .description("publish a sealed warrant's opening once its sealedUntil date has passed")
    .requiredOption('--coordinator <url>', 'coordinator URL')
    .requiredOption('--package <file>', 'the warrant package with both signatures (from `investigator submit --out`)')
    .action(async (opts: { coordinator: string; package: string }) => {
      const pkg = readPackage(opts.package);
      const warrant = parse(() => parseRecord(SignedWarrantSchema, pkg.warrant, 'warrant'));
      const r = await call<{ index: number }>(opts.coordinator, 'v1/unseals', { body: { warrantId: warrant.id, salt: pkg.salt, warrant } });
      process.stdout.write(`unseal logged at index ${r.index}\n`);
    });
}
