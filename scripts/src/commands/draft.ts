/**
 * `custodes court draft`: writes a warrant (docs/PROTOCOL.md §4.1) from flags,
 * asking for any that are missing when run at a terminal. Dates are ISO 8601
 * (or Unix seconds); the id is filled in; the investigator's public key is
 * read from a key file. The result is checked as `court sign` will check it.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { DAY_SECONDS, parseTimeText, warrantDateProblems } from '@custodes/shared/records';
import { CliError, json, writeOutput } from '../io';
import { describeDates, parseWarrant, problemsLine, readPublicKey } from '../warrantFile';

interface DraftOptions {
  out: string;
  id?: string;
  agency?: string;
  court?: string;
  investigatorKey?: string;
  investigator?: string;
  caseNumber?: string;
  legalAuthority?: string;
  offense?: string;
  subject?: string[];
  category?: string[];
  notBefore?: string;
  notAfter?: string;
  maxEnvelopes?: string;
  issuedAt?: string;
  expiresAt?: string;
  sealedUntil?: string;
}

/** The flags a warrant cannot be written without, with what to ask for. */
const NEEDED: [keyof DraftOptions, string, string][] = [
  ['agency', '--agency', 'agency id'],
  ['court', '--court', 'court id'],
  ['caseNumber', '--case-number', 'case number'],
  ['legalAuthority', '--legal-authority', 'legal authority'],
  ['offense', '--offense', 'offense'],
  ['subject', '--subject', 'subjects (comma-separated)'],
  ['category', '--category', 'categories (comma-separated)'],
  ['notBefore', '--not-before', 'scope start (ISO 8601 date)'],
  ['notAfter', '--not-after', 'scope end, inclusive (ISO 8601 date)'],
  ['expiresAt', '--expires-at', 'warrant expires (ISO 8601 date)'],
  ['sealedUntil', '--sealed-until', 'sealed until (ISO 8601 date)'],
];

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** A time flag; a bare date as an inclusive end (`--not-after 2027-06-07`) means the last second of that day. */
function timeFlag(flag: string, text: string, endOfDay = false): number {
  const t = parseTimeText(text);
  if (t === null) throw new CliError(`${flag} must be an ISO 8601 date (2027-06-01 or 2027-06-01T12:00:00Z) or Unix seconds, got '${text}'`);
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text) ? t + DAY_SECONDS - 1 : t;
}

async function askForMissing(opts: DraftOptions): Promise<void> {
  const missing = NEEDED.filter(([k]) => opts[k] === undefined);
  if (opts.investigatorKey === undefined && opts.investigator === undefined) missing.push(['investigatorKey', '--investigator-key', "investigator's key file"]);
  if (missing.length === 0) return;
  if (!process.stdin.isTTY) throw new CliError(`missing ${missing.map(([, flag]) => flag).join(', ')} (see \`custodes court draft --help\`)`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (const [k, , question] of missing) {
      const answer = (await rl.question(`${question}: `)).trim();
      (opts as unknown as Record<string, unknown>)[k] = k === 'subject' || k === 'category' ? collect(answer) : answer;
    }
  } finally {
    rl.close();
  }
}

export function registerDraftCommand(court: Command): void {
  court
    .command('draft')
    .description('write a warrant (custodes.warrant.v1, docs/PROTOCOL.md §4.1) from flags, asking for missing ones at a terminal; then `court sign` it')
    .requiredOption('--out <file>', 'warrant JSON to write')
    .option('--id <uuid>', 'warrant id (default: a new random UUID)')
    .option('--agency <id>', 'the registered agency')
    .option('--court <id>', 'the registered court')
    .option('--investigator-key <file>', "the investigator's key file or public key file (only the public key is read)")
    .option('--investigator <key>', "or the investigator's x-only public key itself (64 hex digits)")
    .option('--case-number <text>', 'case number')
    .option('--legal-authority <text>', 'legal authority, e.g. "18 U.S.C. 2703(d)"')
    .option('--offense <text>', 'offense')
    .option('--subject <subject>', 'a subject in scope (repeatable, or comma-separated)', collect)
    .option('--category <category>', 'a category in scope, [a-z0-9-] (repeatable, or comma-separated)', collect)
    .option('--not-before <date>', 'scope start (ISO 8601; a bare date is its first second, UTC)')
    .option('--not-after <date>', 'scope end, inclusive (ISO 8601; a bare date is its last second, UTC)')
    .option('--max-envelopes <n>', 'most envelopes the warrant may open', '100')
    .option('--issued-at <date>', 'issue time (ISO 8601; default: now)')
    .option('--expires-at <date>', 'when the warrant expires (ISO 8601)')
    .option('--sealed-until <date>', 'until when the warrant stays sealed from the public (ISO 8601; not before issue)')
    .action(async (opts: DraftOptions) => {
      await askForMissing(opts);
      const now = Math.floor(Date.now() / 1000);
      const max = opts.maxEnvelopes ?? '100';
      if (!/^[1-9][0-9]{0,6}$/.test(max)) throw new CliError(`--max-envelopes must be a positive integer, got '${max}'`);
      const warrant = {
        format: 'custodes.warrant.v1',
        id: opts.id ?? randomUUID(),
        agency: opts.agency,
        investigator: opts.investigator ?? readPublicKey(opts.investigatorKey!),
        court: opts.court,
        caseNumber: opts.caseNumber,
        legalAuthority: opts.legalAuthority,
        offense: opts.offense,
        scope: {
          subjects: opts.subject,
          categories: opts.category,
          notBefore: timeFlag('--not-before', opts.notBefore!),
          notAfter: timeFlag('--not-after', opts.notAfter!, true),
        },
        maxEnvelopes: Number(max),
        issuedAt: opts.issuedAt === undefined ? now : timeFlag('--issued-at', opts.issuedAt),
        expiresAt: timeFlag('--expires-at', opts.expiresAt!),
        sealedUntil: timeFlag('--sealed-until', opts.sealedUntil!),
      };
      const parsed = parseWarrant(warrant);
      // The registry is checked by `court sign`; the dates can be checked now (§7.5).
      const problems = parsed.warrant ? warrantDateProblems(parsed.warrant, now) : parsed.problems;
      if (!parsed.warrant || problems.length) throw new CliError(problemsLine('the warrant', problems));
      writeOutput(opts.out, json(parsed.warrant));
      process.stdout.write(`warrant ${parsed.warrant.id} written to ${opts.out}\n`);
      process.stderr.write(`${describeDates(parsed.warrant)}; next: custodes court sign --key <court key file> --warrant ${opts.out} --out <package> --coordinator <url>\n`);
    });
}
