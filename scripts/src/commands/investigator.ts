/**
 * `custodes investigator submit|status|request|results|revoke` (DESIGN.md §5
 * steps 2, 4 and 6; docs/SERVICES.md).
 */
import type { Command } from 'commander';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64ToBytes, parseEnvelope } from '@custodes/shared/crypto';
import {
  DecryptionRequestEntrySchema,
  envelopeSetRoot,
  openRecords,
  parseRecord,
  SealedRecordSchema,
  signRecord,
  signWarrant,
  SignedWarrantSchema,
  WarrantSchema,
} from '@custodes/shared/records';
import type { DecryptionRequestEntry } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { CliError, json, readJson, readKeyFile, resolveToken, writeOutput } from '../io';
import { progressBar } from '../progress';
import { call } from '../remote';
import { readPackage, signedRevocation } from './court';

const BATCH = 500;

interface Auth {
  coordinator: string;
  token?: string;
  tokenFile?: string;
}

function authOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--coordinator <url>', 'coordinator URL')
    .option('--token <token>', 'bearer token (or CUSTODES_TOKEN)')
    .option('--token-file <file>', 'file holding the bearer token');
}

/** Envelope JSON files named on the command line, or every *.json in a directory. */
function envelopeFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let entries: string[] | null = null;
    try {
      entries = readdirSync(p);
    } catch {
      entries = null;
    }
    if (entries) out.push(...entries.filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f)));
    else out.push(p);
  }
  return out;
}

export interface RequestProgress {
  state: string;
  total: number;
  done: number;
  failed: number;
  error?: string;
}

export function registerInvestigatorCommands(program: Command): void {
  const inv = program.command('investigator').description('investigator: submit warrants, request decryptions, fetch results');

  authOptions(inv.command('submit'))
    .description('countersign a court-signed warrant package and submit it')
    .requiredOption('--key <file>', "the investigator's key file")
    .requiredOption('--package <file>', 'warrant package from `court sign`')
    .option('--out <file>', 'write the fully signed package here (the court needs it to unseal)')
    .action(async (opts: Auth & { key: string; package: string; out?: string }) => {
      const key = readKeyFile(opts.key);
      const pkg = readPackage(opts.package);
      let warrant;
      try {
        const body = parseRecord(WarrantSchema, Object.fromEntries(Object.entries(pkg.warrant).filter(([k]) => !k.endsWith('Signature'))), 'warrant');
        if (body.investigator !== key.publicKey) throw new CliError('this warrant names another investigator key');
        warrant = parseRecord(SignedWarrantSchema, { ...pkg.warrant, investigatorSignature: signWarrant(body, key.secretKey) }, 'warrant');
      } catch (err) {
        if (err instanceof ProtocolError) throw new CliError(err.message);
        throw err;
      }
      const r = await call<{ warrantId: string; index: number }>(opts.coordinator, 'v1/warrants', { body: { warrant, salt: pkg.salt }, token: resolveToken(opts) });
      if (opts.out) writeOutput(opts.out, json({ warrant, salt: pkg.salt }), { secret: true });
      process.stdout.write(`warrant ${r.warrantId} logged at index ${r.index}; custodians are reviewing it\n`);
    });

  authOptions(inv.command('status'))
    .description("a warrant's status: pending (k of t), approved, denied, expired or revoked")
    .argument('<warrantId>')
    .action(async (warrantId: string, opts: Auth) => {
      const s = await call<Record<string, unknown>>(opts.coordinator, `v1/warrants/${encodeURIComponent(warrantId)}`, { token: resolveToken(opts) });
      process.stdout.write(json(s));
    });

  authOptions(inv.command('request'))
    .description('send envelopes for decryption under an approved warrant')
    .requiredOption('--key <file>', "the investigator's key file")
    .requiredOption('--warrant-id <id>', 'warrant id')
    .requiredOption('--envelopes <paths...>', 'envelope JSON files or directories of them')
    .option('--no-wait', 'return once submitted instead of waiting for the result')
    .action(async (opts: Auth & { key: string; warrantId: string; envelopes: string[]; wait: boolean }) => {
      const key = readKeyFile(opts.key);
      const token = resolveToken(opts);
      const files = envelopeFiles(opts.envelopes);
      if (files.length === 0) throw new CliError('no envelope files given');
      const { requestId } = await call<{ requestId: string }>(opts.coordinator, 'v1/requests', { body: { warrantId: opts.warrantId }, token });
      const accepted: string[] = [];
      const epochOf = new Map<string, number>();
      const rejected: { file: string; reason: string }[] = [];
      const bar = progressBar('uploading envelopes', files.length);
      for (let start = 0; start < files.length; start += BATCH) {
        const batch = files.slice(start, start + BATCH);
        const envelopes = batch.map((f) => readJson(f, 'envelope'));
        for (const e of envelopes) {
          try {
            const parsed = parseEnvelope(e);
            epochOf.set(parsed.id, parsed.epoch);
          } catch {
            // malformed: the coordinator rejects it with a reason
          }
        }
        const r = await call<{ accepted: string[]; rejected: { position: number; reason: string }[] }>(
          opts.coordinator,
          `v1/requests/${requestId}/envelopes`,
          { body: { envelopes }, token },
        );
        accepted.push(...r.accepted);
        for (const x of r.rejected) rejected.push({ file: batch[x.position] ?? `#${start + x.position}`, reason: x.reason });
        bar.update(Math.min(files.length, start + BATCH));
      }
      bar.finish();
      for (const x of rejected) process.stderr.write(`rejected ${x.file}: ${x.reason}\n`);
      if (accepted.length === 0) throw new CliError('every envelope was rejected; nothing to request');
      const epochs = [...new Set(accepted.map((id) => epochOf.get(id)).filter((e): e is number => e !== undefined))].sort((a, b) => a - b);
      const entry = buildRequestEntry(requestId, opts.warrantId, accepted, key, epochs);
      await call(opts.coordinator, `v1/requests/${requestId}/submit`, { body: { entry }, token });
      process.stdout.write(`request ${requestId}: ${accepted.length} envelopes submitted, ${rejected.length} rejected\n`);
      if (!opts.wait) return;
      const final = await waitForRequest(opts.coordinator, requestId, token, accepted.length);
      if (final.state !== 'complete') throw new CliError(`request ${requestId} ${final.state}${final.error ? `: ${final.error}` : ''}`);
      process.stdout.write(`request ${requestId} complete: ${final.done} decrypted, ${final.failed} failed; fetch with \`custodes investigator results ${requestId}\`\n`);
    });

  authOptions(inv.command('results'))
    .description("fetch a completed request's plaintexts into a directory")
    .argument('<requestId>')
    .requiredOption('--out <dir>', 'directory for <envelopeId>.bin files')
    .option('--records <dir>', 'a `seal-records` output directory: also decrypt its matching records into <out>/records.jsonl')
    .action(async (requestId: string, opts: Auth & { out: string; records?: string }) => {
      const r = await call<{ results: { envelopeId: string; plaintext: string }[] }>(opts.coordinator, `v1/requests/${encodeURIComponent(requestId)}/results`, { token: resolveToken(opts) });
      mkdirSync(opts.out, { recursive: true, mode: 0o700 });
      const lines: string[] = [];
      for (const { envelopeId, plaintext } of r.results) {
        if (!/^[0-9a-f]{64}$/.test(envelopeId)) throw new CliError('coordinator returned a malformed envelope id');
        const bytes = base64ToBytes(plaintext, 'plaintext');
        writeFileSync(join(opts.out, `${envelopeId}.bin`), bytes, { mode: 0o600 });
        if (opts.records) {
          const file = join(opts.records, 'records', `${envelopeId}.json`);
          const sealed = readJson(file, 'sealed records') as { records?: unknown[] };
          const records = openRecords(envelopeId, bytes, (sealed.records ?? []).map((s) => SealedRecordSchema.parse(s)));
          for (const rec of records) lines.push(JSON.stringify(rec));
        }
      }
      if (opts.records) writeFileSync(join(opts.out, 'records.jsonl'), lines.map((l) => l + '\n').join(''), { mode: 0o600 });
      process.stdout.write(`${r.results.length} plaintexts written to ${opts.out}${opts.records ? `, ${lines.length} records to ${join(opts.out, 'records.jsonl')}` : ''}\n`);
    });

  inv
    .command('revoke')
    .description('withdraw a warrant (logged publicly)')
    .requiredOption('--coordinator <url>', 'coordinator URL')
    .requiredOption('--key <file>', "the investigator's key file")
    .requiredOption('--warrant-id <id>', 'warrant id')
    .requiredOption('--reason <text>', 'public reason')
    .action(async (opts: { coordinator: string; key: string; warrantId: string; reason: string }) => {
      const entry = signedRevocation(opts.warrantId, opts.reason, 'investigator', readKeyFile(opts.key), Math.floor(Date.now() / 1000));
      const r = await call<{ index: number }>(opts.coordinator, 'v1/records', { body: { entry } });
      process.stdout.write(`revocation logged at index ${r.index}\n`);
    });
}

/** The signed `decryption-request` entry over the accepted ids (DESIGN.md §4.2). */
export function buildRequestEntry(requestId: string, warrantId: string, envelopeIds: string[], key: { secretKey: string; publicKey: string }, epochs: number[]): DecryptionRequestEntry {
  const entry = {
    type: 'decryption-request' as const,
    requestId,
    warrantId,
    investigator: key.publicKey,
    envelopeCount: envelopeIds.length,
    envelopeSetRoot: envelopeSetRoot(envelopeIds),
    epochs,
    time: Math.floor(Date.now() / 1000),
  };
  return parseRecord(DecryptionRequestEntrySchema, { ...entry, signature: signRecord(entry, 'decryption-request', key.secretKey) }, 'decryption-request');
}

/**
 * Follows a request until it is `complete` or `failed`, drawing progress: a
 * long-poll (`?wait=`) that returns as soon as the state or counts differ from
 * what was last seen; it sleeps only when an answer shows nothing new.
 */
export async function waitForRequest(coordinator: string, requestId: string, token: string, total: number): Promise<RequestProgress> {
  const bar = progressBar('decrypting', total);
  const deadline = Date.now() + 30 * 60_000;
  let seen: RequestProgress | undefined;
  for (let delay = 200; Date.now() < deadline; ) {
    const since = seen ? `&state=${seen.state}&done=${seen.done}&failed=${seen.failed}` : '';
    const s = await call<RequestProgress>(coordinator, `v1/requests/${requestId}?wait=10000${since}`, { token, timeoutMs: 40_000 });
    bar.update(Math.min(total, s.done + s.failed));
    if (s.state === 'complete' || s.state === 'failed') {
      bar.finish();
      return s;
    }
    const same = seen !== undefined && s.state === seen.state && s.done === seen.done && s.failed === seen.failed;
    seen = s;
    if (same) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(2000, delay * 1.5);
    }
  }
  throw new CliError(`request ${requestId} did not finish within 30 minutes; check again with \`investigator results\``);
}
