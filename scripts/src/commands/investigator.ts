/**
 * `custodes investigator submit|status|request|results|revoke` (docs/PROTOCOL.md §5
 * steps 2, 4 and 6; docs/PROTOCOL.md §7).
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, openSealedResult, parseEnvelope, resultContext } from '@custodes/shared/crypto';
import type { Label } from '@custodes/shared/crypto';
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
import { call, Refused } from '../remote';
import { packageScope, refusalReporter, type Refusal } from '../refusals';
import { submittedLine, type WarrantProgress } from '../status';
import { readPackage, signedRevocation } from './court';

/** Envelopes per call: the coordinator's batch limit, and the most a one-call request may carry. */
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
  /** With `results=1`, in a `complete` answer: the sealed results, as `GET …/results` answers them (unchecked here). */
  results?: unknown;
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
      const token = resolveToken(opts);
      const r = await call<{ warrantId: string; index: number }>(opts.coordinator, 'v1/warrants', { body: { warrant, salt: pkg.salt }, token });
      if (opts.out) writeOutput(opts.out, json({ warrant, salt: pkg.salt }), { secret: true });
      // A warrant submitted again is answered as before (§7.5): say where it stands now, not that review has begun.
      const s = await call<WarrantProgress>(opts.coordinator, `v1/warrants/${encodeURIComponent(r.warrantId)}`, { token });
      process.stdout.write(`warrant ${r.warrantId} logged at index ${r.index}; ${submittedLine(s)}\n`);
    });

  authOptions(inv.command('status'))
    .description("a warrant's status: pending (k of t), approved, denied, expired or revoked")
    .argument('<warrantId>')
    .action(async (warrantId: string, opts: Auth) => {
      const s = await call<Record<string, unknown>>(opts.coordinator, `v1/warrants/${encodeURIComponent(warrantId)}`, { token: resolveToken(opts) });
      process.stdout.write(json(s));
    });

  authOptions(inv.command('request'))
    .description(`send envelopes for decryption under an approved warrant (one call for up to ${BATCH}, else batches of ${BATCH})`)
    .requiredOption('--key <file>', "the investigator's key file")
    .requiredOption('--warrant-id <id>', 'warrant id')
    .requiredOption('--envelopes <paths...>', 'envelope JSON files or directories of them')
    .option('--no-wait', 'return once submitted instead of waiting for the result')
    .option('--package <file>', 'the warrant package: refusals then name the field (subject, category or time) outside its scope')
    .option('--verbose', 'one line per refused envelope, not only a count per reason')
    .option('--out <dir>', 'when it completes, open the results with --key and write them here, as `investigator results` does (no extra round trip)')
    .option('--records <dir>', 'with --out: a `seal-records` output directory, as for `investigator results`')
    .action(async (opts: Auth & { key: string; warrantId: string; envelopes: string[]; wait: boolean; package?: string; verbose?: boolean; out?: string; records?: string }) => {
      const key = readKeyFile(opts.key);
      const token = resolveToken(opts);
      const files = envelopeFiles(opts.envelopes);
      if (files.length === 0) throw new CliError('no envelope files given');
      const report = refusalReporter(opts.package ? packageScope(opts.package) : null, opts.verbose === true);
      const send = files.length <= BATCH ? requestInOneCall : requestInBatches;
      const { requestId, count, rejected } = await send({ coordinator: opts.coordinator, token, key, warrantId: opts.warrantId, report }, files);
      process.stdout.write(`request ${requestId}: ${count} envelopes submitted, ${rejected} rejected\n`);
      if (!opts.wait) return;
      const out = opts.out;
      const final = await waitForRequest(opts.coordinator, requestId, token, count, out !== undefined);
      if (final.state !== 'complete') throw new CliError(`request ${requestId} ${final.state}${final.error ? `: ${final.error}` : ''}`);
      if (out === undefined) {
        process.stdout.write(`request ${requestId} complete: ${final.done} decrypted, ${final.failed} failed; fetch with \`${resultsCommand(requestId, opts)}\`\n`);
        return;
      }
      process.stdout.write(`request ${requestId} complete: ${final.done} decrypted, ${final.failed} failed\n`);
      // The complete answer carried the results (§7.6); a coordinator that left them out (purged meanwhile) is asked once.
      const results = final.results ?? (await call<unknown>(opts.coordinator, `v1/requests/${encodeURIComponent(requestId)}/results`, { token }));
      writeResults(requestId, results, { key: opts.key, out, ...(opts.records ? { records: opts.records } : {}) });
    });

  authOptions(inv.command('results'))
    .description("fetch a completed request's results, open them with the investigator key and write the plaintexts into a directory")
    .argument('<requestId>')
    .requiredOption('--key <file>', "the investigator's key file (the results are sealed to its public key)")
    .requiredOption('--out <dir>', 'directory for <envelopeId>.bin files')
    .option('--records <dir>', 'a `seal-records` output directory: also decrypt its matching records into <out>/records.jsonl')
    .action(async (requestId: string, opts: Auth & { key: string; out: string; records?: string }) => {
      const r = await call<unknown>(opts.coordinator, `v1/requests/${encodeURIComponent(requestId)}/results`, { token: resolveToken(opts) });
      writeResults(requestId, r, opts);
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

/**
 * Opens each sealed result of `answer` (a `GET …/results` answer, or the
 * `results` of a long-poll's `complete` answer, docs/PROTOCOL.md §7.6) with the
 * investigator key and writes the plaintexts into `opts.out`. The answer is
 * the coordinator's, attacker-controlled: each result is checked as it is opened.
 */
export function writeResults(requestId: string, answer: unknown, opts: { key: string; out: string; records?: string }): void {
  const secretKey = hexToBytes(readKeyFile(opts.key).secretKey, 32, 'secretKey');
  const r = answer as { results?: unknown };
  if (typeof r !== 'object' || r === null || !Array.isArray(r.results)) throw new CliError('coordinator returned a malformed results answer');
  const results = r.results as { envelopeId: unknown; sealed: unknown }[];
  mkdirSync(opts.out, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  let written = 0;
  let unopened = 0;
  for (const item of results) {
    const { envelopeId, sealed } = (typeof item === 'object' && item !== null ? item : {}) as { envelopeId?: unknown; sealed?: unknown };
    if (typeof envelopeId !== 'string' || !/^[0-9a-f]{64}$/.test(envelopeId)) throw new CliError('coordinator returned a malformed envelope id');
    // Sealed to this investigator for this request and envelope (docs/PROTOCOL.md §3.7, "Results sealed to the investigator").
    const bytes = openSealedResult(sealed, secretKey, resultContext(requestId, envelopeId));
    if (!bytes) {
      process.stderr.write(`result ${envelopeId}: does not open with the key in ${opts.key}\n`);
      unopened++;
      continue;
    }
    writeFileSync(join(opts.out, `${envelopeId}.bin`), bytes, { mode: 0o600 });
    written++;
    if (opts.records) {
      const file = join(opts.records, 'records', `${envelopeId}.json`);
      const sealedRecords = readJson(file, 'sealed records') as { records?: unknown[] };
      const records = openRecords(envelopeId, bytes, (sealedRecords.records ?? []).map((x) => SealedRecordSchema.parse(x)));
      for (const rec of records) lines.push(JSON.stringify(rec));
    }
  }
  if (opts.records) writeFileSync(join(opts.out, 'records.jsonl'), lines.map((l) => l + '\n').join(''), { mode: 0o600 });
  process.stdout.write(`${written} plaintexts written to ${opts.out}${opts.records ? `, ${lines.length} records to ${join(opts.out, 'records.jsonl')}` : ''}\n`);
  if (unopened) throw new CliError(`${unopened} of ${results.length} results did not open`);
}

/** The `investigator results` command for `requestId`, with the flags this run used (never a token itself). */
export function resultsCommand(requestId: string, opts: { coordinator: string; tokenFile?: string; key: string }): string {
  const auth = opts.tokenFile ? ` --token-file ${opts.tokenFile}` : '';
  return `custodes investigator results ${requestId} --coordinator ${opts.coordinator}${auth} --key ${opts.key} --out <dir>`;
}

// ## Sending a request

interface Sender {
  coordinator: string;
  token: string;
  key: { secretKey: string; publicKey: string };
  warrantId: string;
  report: (rejected: Rejection[]) => void;
}

/** A logged request: its id, how many distinct envelopes it holds, how many files were rejected. */
interface Sent {
  requestId: string;
  count: number;
  rejected: number;
}

type Rejection = Refusal;

/**
 * At most one batch: the whole request in one call (`POST /v1/requests` with
 * the entry signed over the envelope ids computed here; docs/PROTOCOL.md §7.6).
 * The coordinator takes all or nothing, so the envelopes it names as
 * rejected are dropped and the rest sent again under the same request id
 * (nothing was stored): the same outcome as screening batch by batch.
 */
async function requestInOneCall(to: Sender, files: string[]): Promise<Sent> {
  const requestId = randomUUID();
  const rejected: Rejection[] = [];
  let pending: { at: number; file: string; envelope: unknown; id: string; epoch: number; label: Label }[] = [];
  files.forEach((file, at) => {
    const envelope = readJson(file, 'envelope');
    try {
      const parsed = parseEnvelope(envelope);
      pending.push({ at, file, envelope, id: parsed.id, epoch: parsed.epoch, label: parsed.envelope.label });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // The coordinator parses with the same function and would answer MALFORMED.
      rejected.push({ at, file, reason: 'MALFORMED' });
    }
  });
  for (;;) {
    // Each distinct envelope once, in order of first appearance: as the coordinator stores them.
    const ids = [...new Set(pending.map((p) => p.id))];
    if (ids.length === 0) {
      to.report(rejected);
      throw new CliError('every envelope was rejected; nothing to request');
    }
    const epochs = [...new Set(pending.map((p) => p.epoch))].sort((a, b) => a - b);
    const entry = buildRequestEntry(requestId, to.warrantId, ids, to.key, epochs);
    const body = { warrantId: to.warrantId, requestId, envelopes: pending.map((p) => p.envelope), entry };
    try {
      await call(to.coordinator, 'v1/requests', { body, token: to.token });
    } catch (err) {
      const refused = err instanceof Refused && err.http.code === 'ENVELOPES_REJECTED' ? rejectedPositions(err.http.body, pending.length) : null;
      if (!refused) throw err;
      for (const { position, reason } of refused) rejected.push({ at: pending[position]!.at, file: pending[position]!.file, reason, label: pending[position]!.label });
      const dropped = new Set(refused.map((r) => r.position));
      pending = pending.filter((_, i) => !dropped.has(i));
      continue;
    }
    to.report(rejected);
    return { requestId, count: ids.length, rejected: rejected.length };
  }
}

/**
 * The `rejected` list of a 422 ENVELOPES_REJECTED answer (from the network):
 * at least one entry, each position within the `sent` envelopes, once; null
 * if the answer is not that.
 */
function rejectedPositions(answer: string | undefined, sent: number): { position: number; reason: string }[] | null {
  let list: unknown;
  try {
    list = (JSON.parse(answer ?? '') as { error?: { rejected?: unknown } }).error?.rejected;
  } catch {
    return null;
  }
  if (!Array.isArray(list) || list.length === 0) return null;
  const out: { position: number; reason: string }[] = [];
  const seen = new Set<number>();
  for (const x of list as unknown[]) {
    const { position, reason } = (x ?? {}) as { position?: unknown; reason?: unknown };
    if (!Number.isInteger(position) || (position as number) < 0 || (position as number) >= sent || seen.has(position as number)) return null;
    if (typeof reason !== 'string' || !/^[A-Z_]{1,64}$/.test(reason)) return null;
    seen.add(position as number);
    out.push({ position: position as number, reason });
  }
  return out;
}

/** More than one batch: open a draft, add the envelopes 500 at a time, submit the entry over those accepted. */
async function requestInBatches(to: Sender, files: string[]): Promise<Sent> {
  const { requestId } = await call<{ requestId: string }>(to.coordinator, 'v1/requests', { body: { warrantId: to.warrantId }, token: to.token });
  // Each distinct envelope once, in order of first acceptance: a repeat is accepted again but stored once.
  const accepted = new Set<string>();
  const epochOf = new Map<string, number>();
  const labels: (Label | undefined)[] = [];
  const rejected: Rejection[] = [];
  const bar = progressBar('uploading envelopes', files.length);
  for (let start = 0; start < files.length; start += BATCH) {
    const batch = files.slice(start, start + BATCH);
    const envelopes = batch.map((f) => readJson(f, 'envelope'));
    for (const [i, e] of envelopes.entries()) {
      try {
        const parsed = parseEnvelope(e);
        epochOf.set(parsed.id, parsed.epoch);
        labels[start + i] = parsed.envelope.label;
      } catch {
        // malformed: the coordinator rejects it with a reason
      }
    }
    const r = await call<{ accepted: string[]; rejected: { position: number; reason: string }[] }>(
      to.coordinator,
      `v1/requests/${requestId}/envelopes`,
      { body: { envelopes }, token: to.token },
    );
    for (const id of r.accepted) accepted.add(id);
    for (const x of r.rejected) rejected.push({ at: start + x.position, file: batch[x.position] ?? `#${start + x.position}`, reason: x.reason, label: labels[start + x.position] });
    bar.update(Math.min(files.length, start + BATCH));
  }
  bar.finish();
  to.report(rejected);
  if (accepted.size === 0) throw new CliError('every envelope was rejected; nothing to request');
  const ids = [...accepted];
  const epochs = [...new Set(ids.map((id) => epochOf.get(id)).filter((e): e is number => e !== undefined))].sort((a, b) => a - b);
  const entry = buildRequestEntry(requestId, to.warrantId, ids, to.key, epochs);
  await call(to.coordinator, `v1/requests/${requestId}/submit`, { body: { entry }, token: to.token });
  return { requestId, count: ids.length, rejected: rejected.length };
}

/** The signed `decryption-request` entry over the accepted ids (docs/PROTOCOL.md §4.2); `epochs` as a set, written ascending. */
export function buildRequestEntry(requestId: string, warrantId: string, envelopeIds: string[], key: { secretKey: string; publicKey: string }, epochs: number[]): DecryptionRequestEntry {
  const entry = {
    type: 'decryption-request' as const,
    requestId,
    warrantId,
    investigator: key.publicKey,
    envelopeCount: envelopeIds.length,
    envelopeSetRoot: envelopeSetRoot(envelopeIds),
    epochs: [...new Set(epochs)].sort((a, b) => a - b),
    time: Math.floor(Date.now() / 1000),
  };
  return parseRecord(DecryptionRequestEntrySchema, { ...entry, signature: signRecord(entry, 'decryption-request', key.secretKey) }, 'decryption-request');
}

/**
 * Follows a request until it is `complete` or `failed`, drawing progress: a
 * long-poll (`?wait=`) that returns as soon as the state or counts differ from
 * what was last seen; it sleeps only when an answer shows nothing new. With
 * `results`, the `complete` answer carries the sealed results (`results=1`,
 * docs/PROTOCOL.md §7.6): no separate `GET …/results` round trip.
 */
export async function waitForRequest(coordinator: string, requestId: string, token: string, total: number, results = false): Promise<RequestProgress> {
  const bar = progressBar('decrypting', total);
  const deadline = Date.now() + 30 * 60_000;
  const ask = results ? '&results=1' : '';
  let seen: RequestProgress | undefined;
  for (let delay = 200; Date.now() < deadline; ) {
    const since = seen ? `&state=${seen.state}&done=${seen.done}&failed=${seen.failed}` : '';
    const s = await call<RequestProgress>(coordinator, `v1/requests/${requestId}?wait=10000${ask}${since}`, { token, timeoutMs: 40_000 });
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
