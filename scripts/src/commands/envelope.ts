/**
 * `custodes envelope seal|partial|verify-partial|combine`: the offline tools of
 * docs/PROTOCOL.md §3.2–§3.4.
 */
import type { Command } from 'commander';
import {
  combineAndOpen,
  createPartial,
  parseEnvelope,
  sealEnvelope,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import type { ParsedEnvelope } from '@custodes/shared/crypto';
import { LabelSchema, parsePublicKeySet, parseShareFile, formatZodError } from '@custodes/shared/records';
import type { EpochKeys } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { CliError, json, readBytes, readJson, writeOutput } from '../io';

function loadPublic(path: string): EpochKeys {
  try {
    return parsePublicKeySet(readJson(path, 'public key set'));
  } catch (err) {
    if (err instanceof ProtocolError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

function loadEnvelope(path: string | undefined): ParsedEnvelope {
  try {
    return parseEnvelope(readJson(path, 'envelope'));
  } catch (err) {
    if (err instanceof ProtocolError) throw new CliError(`${path ?? 'stdin'}: ${err.message}`);
    throw err;
  }
}

function checkEpoch(env: ParsedEnvelope, keys: EpochKeys): void {
  if (env.epoch !== keys.epoch) throw new CliError(`envelope is for epoch ${env.epoch}, the key set is epoch ${keys.epoch}`);
}

export function registerEnvelopeCommands(program: Command): void {
  const envelope = program.command('envelope').description('seal, partially decrypt and combine envelopes offline (docs/PROTOCOL.md §3.2–§3.4)');

  envelope
    .command('seal')
    .description('seal bytes to the group key under a label')
    .requiredOption('--public <file>', 'public.json from the ceremony')
    .requiredOption('--label <json>', 'label: {"subject","category","time"}')
    .option('--in <file>', 'plaintext (default stdin)')
    .option('--out <file>', 'envelope JSON (default stdout)')
    .action((opts: { public: string; label: string; in?: string; out?: string }) => {
      const keys = loadPublic(opts.public);
      let raw: unknown;
      try {
        raw = JSON.parse(opts.label);
      } catch {
        throw new CliError('--label is not valid JSON');
      }
      const label = LabelSchema.safeParse(raw);
      if (!label.success) throw new CliError(`--label: ${formatZodError(label.error)}`);
      const sealed = sealEnvelope(readBytes(opts.in), keys.groupKey, keys.epoch, label.data);
      writeOutput(opts.out, json(sealed));
    });

  envelope
    .command('partial')
    .description("a custodian's partial decryption with DLEQ proof (offline)")
    .requiredOption('--share <file>', 'share-<i>.json')
    .option('--in <file>', 'envelope JSON (default stdin)')
    .option('--out <file>', 'partial JSON (default stdout)')
    .action((opts: { share: string; in?: string; out?: string }) => {
      let share;
      try {
        share = parseShareFile(readJson(opts.share, 'share file'));
      } catch (err) {
        if (err instanceof ProtocolError) throw new CliError(`${opts.share}: ${err.message}`);
        throw err;
      }
      const env = loadEnvelope(opts.in);
      if (env.epoch !== share.epoch) throw new CliError(`envelope is for epoch ${env.epoch}, the share is epoch ${share.epoch}`);
      if (!verifyBinding(env)) throw new CliError('envelope binding proof does not verify; refusing to decrypt');
      writeOutput(opts.out, json(createPartial(share.share, share.index, env)));
    });

  envelope
    .command('verify-partial')
    .description("check a partial's DLEQ proof: exit 0 if valid, 1 if not")
    .requiredOption('--public <file>', 'public.json')
    .requiredOption('--in <file>', 'envelope JSON')
    .requiredOption('--partial <file>', 'partial JSON')
    .action((opts: { public: string; in: string; partial: string }) => {
      const keys = loadPublic(opts.public);
      const env = loadEnvelope(opts.in);
      checkEpoch(env, keys);
      const partial = readJson(opts.partial, 'partial') as { index?: unknown };
      const X = typeof partial?.index === 'number' ? keys.verificationShares.get(partial.index) : undefined;
      if (!X) throw new CliError(`partial names no custodian of this key set (index ${String(partial?.index)})`);
      if (!verifyPartial(partial, X, env)) throw new CliError(`partial from custodian ${partial.index} is INVALID`);
      process.stdout.write(`partial from custodian ${partial.index} is valid\n`);
    });

  envelope
    .command('combine')
    .description('combine t partials and print the plaintext bytes')
    .requiredOption('--public <file>', 'public.json')
    .requiredOption('--in <file>', 'envelope JSON')
    .requiredOption('--partials <files...>', 'partial JSON files')
    .option('--out <file>', 'plaintext (default stdout)')
    .action((opts: { public: string; in: string; partials: string[]; out?: string }) => {
      const keys = loadPublic(opts.public);
      const env = loadEnvelope(opts.in);
      checkEpoch(env, keys);
      if (!verifyBinding(env)) throw new CliError('envelope binding proof does not verify');
      const partials = opts.partials.map((p) => readJson(p, 'partial'));
      // Offline, every proof is checked up front so a bad partial is named even
      // when the fast path (docs/PROTOCOL.md §3.4) would still open the envelope.
      const seen = new Set<unknown>();
      for (const p of partials as { index?: unknown }[]) {
        if (seen.has(p?.index)) throw new CliError(`custodian ${String(p?.index)} appears more than once`);
        seen.add(p?.index);
        const X = typeof p?.index === 'number' ? keys.verificationShares.get(p.index) : undefined;
        if (!X || !verifyPartial(p, X, env)) throw new CliError(`partial from custodian ${String(p?.index)} has a bad DLEQ proof`);
      }
      try {
        const out = combineAndOpen(env, partials, keys.threshold, keys.verificationShares);
        writeOutput(opts.out, out.plaintext);
      } catch (err) {
        if (err instanceof ProtocolError) throw new CliError(err.message);
        throw err;
      }
    });
}
