/**
 * `custodes court draft|sign|revoke|unseal` (docs/PROTOCOL.md §4.1, §5; docs/PROTOCOL.md §7.4).
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
  warrantCommitment,
  warrantProblems,
} from '@custodes/shared/records';
import type { RevocationEntry } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { CliError, json, readJson, readKeyFile, writeOutput } from '../io';
import { call } from '../remote';
import { describeDates, loadRegistry, parseWarrant, problemsLine } from '../warrantFile';
import { registerDraftCommand } from './draft';

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
  const court = program.command('court').description('court: draft, sign, revoke and unseal warrants');
  registerDraftCommand(court);

  court
    .command('sign')
    .description(
      'check a warrant as the coordinator will (docs/PROTOCOL.md §7.5: schema, dates, registered court and investigator, ' +
        'the signature under the court key) and sign it, writing a package { warrant, salt }; every problem is listed at once',
    )
    .requiredOption('--key <file>', "the court's key file (its public key must be the court's key in the registry)")
    .requiredOption('--warrant <file>', 'warrant JSON (custodes.warrant.v1, docs/PROTOCOL.md §4.1; `court draft` writes one; dates may be ISO 8601)')
    .requiredOption('--out <file>', 'warrant package to write (keep it: unsealing needs the salt)')
    .option('--coordinator <url>', 'check against the registry this coordinator serves')
    .option('--registry <file>', 'check against this registry entry instead')
    .action(async (opts: { key: string; warrant: string; out: string; coordinator?: string; registry?: string }) => {
      const key = readKeyFile(opts.key);
      const registry = await loadRegistry(opts);
      const now = Math.floor(Date.now() / 1000);
      const parsed = parseWarrant(readJson(opts.warrant, 'warrant'));
      if (!parsed.warrant) throw new CliError(problemsLine(opts.warrant, parsed.problems));
      const warrant = parsed.warrant;
      const signed = { ...warrant, courtSignature: signWarrant(warrant, key.secretKey) };
      // The coordinator's own checks (§7.5), so a warrant that would be refused at submit is never signed.
      const problems = warrantProblems(signed, registry, now).map((p) => (p.code === 'BAD_COURT_SIGNATURE' ? `the key in ${opts.key} is not the registered key of court ${warrant.court}` : p.message));
      if (problems.length) throw new CliError(problemsLine(opts.warrant, problems));
      const salt = newSalt();
      writeOutput(opts.out, json({ warrant: signed, salt }), { secret: true });
      process.stdout.write(`commitment ${warrantCommitment(warrant, salt)}\n`);
      process.stderr.write(`signed warrant ${warrant.id} (${describeDates(warrant)}); next: custodes investigator submit --package ${opts.out}\n`);
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
      if (typeof pkg.warrant.investigatorSignature !== 'string') {
        // §7.4: an unseal carries both signatures; the package from `court sign` has only the court's.
        throw new CliError(`${opts.package} has only the court's signature; unsealing needs the package the investigator wrote with \`custodes investigator submit --out\``);
      }
      const warrant = parse(() => parseRecord(SignedWarrantSchema, pkg.warrant, 'warrant'));
      const r = await call<{ index: number }>(opts.coordinator, 'v1/unseals', { body: { warrantId: warrant.id, salt: pkg.salt, warrant } });
      process.stdout.write(`unseal logged at index ${r.index}\n`);
    });
}
