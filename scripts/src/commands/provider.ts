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
import { epochFromLog, parseEpochOption } from '../epochFromLog';
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
    .option('--coordinator <url>', "take the epoch key from the coordinator's log, verified (checkpoint, cosignatures, the epoch entry's certificate; docs/PROTOCOL.md §7.16)")
    .option('--epoch <n>', 'with --coordinator: the epoch (default: the newest active epoch that is not retired; a retired one is refused)')
    .option('--pin-keys <file>', 'with --coordinator: pinned log and custodian keys instead of trusting the genesis on first use')
    .option('--public <file>', 'public.json (from `custodes epoch export`, or a dealer ceremony)')
    .option('--in <file>', 'records as JSON lines {subject, category, time, body} (default stdin)')
    .requiredOption('--out <dir>', 'output directory (must be absent or empty)')
    .action(async (opts: { coordinator?: string; epoch?: string; pinKeys?: string; public?: string; in?: string; out: string }) => {
      if ((opts.coordinator === undefined) === (opts.public === undefined)) throw new CliError('give exactly one of --coordinator <url> and --public <file>');
      const epoch = parseEpochOption(opts.epoch);
      if (opts.coordinator === undefined && (epoch !== undefined || opts.pinKeys !== undefined)) throw new CliError('--epoch and --pin-keys go with --coordinator');
      if (!isAbsentOrEmptyDir(opts.out)) throw new CliError(`${opts.out} exists and is not empty`);
      let keys;
      try {
        const set = opts.coordinator !== undefined ? (await epochFromLog({ coordinator: opts.coordinator, epoch, pinKeys: opts.pinKeys, sealAt: Math.floor(Date.now() / 1000) })).publicKeySet : readJson(opts.public, 'public key set');
        keys = parsePublicKeySet(set);
      } catch (err) {
        if (err instanceof ProtocolError) throw new CliError(`${opts.public ?? opts.coordinator}: ${err.message}`);
        throw err;
      }
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
