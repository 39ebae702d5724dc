/**
 * `custodes seal-records`: the provider seals a stream of records
 * `{subject, category, time, body}` as one envelope per (subject, category, UTC
 * day) wrapping a random data key (shared/src/records/corpus.ts).
 *
 * Output layout: DIR/envelopes/<envelopeId>.json (what an investigator sends
 * for decryption) and DIR/records/<envelopeId>.json (the records sealed under
 * that envelope's data key).
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatZodError, parsePublicKeySet, ProviderRecordSchema, sealRecords } from '@custodes/shared/records';
import type { ProviderRecord } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { CliError, isAbsentOrEmptyDir, json, readBytes, readJson, writeOutput } from '../io';

/** Parses JSON lines, naming the first bad line. */
export function parseRecordLines(text: string): ProviderRecord[] {
  const out: ProviderRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new CliError(`line ${i + 1} is not valid JSON`);
    }
    const r = ProviderRecordSchema.safeParse(raw);
    if (!r.success) throw new CliError(`line ${i + 1}: ${formatZodError(r.error)}`);
    out.push(r.data);
  });
  return out;
}

export function registerProviderCommands(program: Command): void {
  program
    .command('seal-records')
    .description('provider: seal records as one envelope per (subject, category, UTC day)')
    .requiredOption('--public <file>', 'public.json from the ceremony')
    .option('--in <file>', 'records as JSON lines {subject, category, time, body} (default stdin)')
    .requiredOption('--out <dir>', 'output directory (must be absent or empty)')
    .action((opts: { public: string; in?: string; out: string }) => {
      let keys;
      try {
        keys = parsePublicKeySet(readJson(opts.public, 'public key set'));
      } catch (err) {
        if (err instanceof ProtocolError) throw new CliError(`${opts.public}: ${err.message}`);
        throw err;
      }
      if (!isAbsentOrEmptyDir(opts.out)) throw new CliError(`${opts.out} exists and is not empty`);
      const records = parseRecordLines(new TextDecoder().decode(readBytes(opts.in)));
      const groups = sealRecords(records, keys.groupKey, keys.epoch);
      mkdirSync(join(opts.out, 'envelopes'), { recursive: true });
      mkdirSync(join(opts.out, 'records'), { recursive: true });
      for (const g of groups) {
        writeOutput(join(opts.out, 'envelopes', `${g.envelopeId}.json`), json(g.envelope));
        writeOutput(join(opts.out, 'records', `${g.envelopeId}.json`), json({ envelopeId: g.envelopeId, records: g.records }));
      }
      process.stdout.write(`${records.length} records sealed into ${groups.length} envelopes in ${opts.out}\n`);
    });
}
