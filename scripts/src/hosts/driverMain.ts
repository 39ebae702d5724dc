/**
 * The harness's client, run on a host (`ip netns exec <ns> node --import tsx
 * driverMain.ts <command>`, a JSON input on stdin, one JSON answer as the last
 * stdout line). Commands:
 *
 *   roundtrip  { files, envelopes, trips, witnesses, warm? }  timed warrant round trips in this one process
 *                                                     (investigatorFlow.ts), each after the log settled and `pauseMs` idle;
 *                                                     `warm`: the connection to the coordinator is opened first
 *   stream     { files, requests, envelopes, gapMs }  requests under one warrant, one every gapMs, each followed to its end
 *   settle     { coordinator, witnesses, timeoutMs }  waits until the published checkpoint covers the log and carries every cosignature
 *   probe      { targets: [{ host, port }] }          which TCP endpoints accept a connection from here
 *   get        { urls }                               GET each url: [{ url, ok, status?, code? }] (TLS and trust checked by the client)
 *   witness    { url }                                a custodian's last cosigned checkpoint size (GET /witness/v1/checkpoint)
 *   log        { coordinator }                        the log's entries by type, and repeated ones
 */
import net from 'node:net';
import { base64ToBytes } from '@custodes/shared/crypto';
import { requestJson } from '@custodes/shared/service';
import type { InvestigatorFiles } from './investigatorFlow';
import { providerEnvelopes, roundTrip, sendRequest, signedWarrant, submitWarrant, waitApproved, waitComplete } from './investigatorFlow';

async function readStdin(): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Size and cosignature count of the coordinator's published checkpoint, and its log size. */
async function checkpointState(coordinator: string): Promise<{ size: number; cosignatures: number; logSize: number }> {
  const note = await requestJson<string>(`${coordinator}/log/v1/checkpoint`, { expectText: true, timeoutMs: 10_000 });
  const health = await requestJson<{ size: number }>(`${coordinator}/health`, { timeoutMs: 10_000 });
  const size = Number(note.split('\n')[1]);
  // One signature line is the log's; the others are cosignatures (§4.3).
  const cosignatures = note.split('\n').filter((l) => l.startsWith('\u2014 ')).length - 1;
  return { size, cosignatures, logSize: health.size };
}

async function settle(input: { coordinator: string; witnesses: number; timeoutMs?: number }): Promise<unknown> {
  const deadline = Date.now() + (input.timeoutMs ?? 60_000);
  let last = { size: 0, cosignatures: 0, logSize: -1 };
  while (Date.now() < deadline) {
    try {
      last = await checkpointState(input.coordinator);
      if (last.size === last.logSize && last.cosignatures >= input.witnesses) return { settled: true, ...last };
    } catch {
      // not published yet
    }
    await sleep(250);
  }
  return { settled: false, ...last };
}

async function probe(input: { targets: { host: string; port: number }[] }): Promise<unknown> {
  const one = (host: string, port: number) =>
    new Promise<string>((resolve) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => (s.destroy(), resolve('timeout')), 3000);
      s.once('connect', () => (clearTimeout(timer), s.destroy(), resolve('open')));
      s.once('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? 'error')));
    });
  const out = [];
  for (const t of input.targets) out.push({ ...t, result: await one(t.host, t.port) });
  return out;
}

async function get(input: { urls: string[] }): Promise<unknown> {
  const out = [];
  for (const url of input.urls) {
    try {
      await requestJson(url, { timeoutMs: 10_000 });
      out.push({ url, ok: true });
    } catch (err) {
      const e = err as { status?: number; code?: string };
      out.push({ url, ok: false, ...(e.status !== undefined ? { status: e.status } : {}), code: e.code ?? (err as Error).name });
    }
  }
  return out;
}

async function witnessSize(input: { url: string }): Promise<unknown> {
  try {
    const note = await requestJson<string>(`${input.url}/witness/v1/checkpoint`, { expectText: true, timeoutMs: 10_000 });
    return { size: Number(note.split('\n')[1]) };
  } catch (err) {
    return { size: null, error: (err as Error).message };
  }
}

/** Every entry of the log: counts by type, and how many leaves repeat one before them byte for byte or by key. */
async function logSummary(input: { coordinator: string }): Promise<unknown> {
  const { size } = await checkpointState(input.coordinator);
  const byType: Record<string, number> = {};
  const seenBytes = new Set<string>();
  const seenKeys = new Set<string>();
  let repeatedBytes = 0;
  let repeatedKeys = 0;
  for (let start = 0; start < size; start += 1000) {
    const end = Math.min(size, start + 1000);
    const page = await requestJson<{ entries: string[] }>(`${input.coordinator}/log/v1/entries?start=${start}&end=${end}`, { timeoutMs: 30_000, retries: 2 });
    for (const b64 of page.entries) {
      if (seenBytes.has(b64)) repeatedBytes++;
      seenBytes.add(b64);
      const e = JSON.parse(new TextDecoder().decode(base64ToBytes(b64))) as { type: string; requestId?: string; warrantId?: string; custodian?: number };
      byType[e.type] = (byType[e.type] ?? 0) + 1;
      // One entry per request (request, completion), per (request, custodian) release, per (warrant, custodian) approval.
      const key = ['decryption-request', 'decryption-complete'].includes(e.type)
        ? `${e.type}:${e.requestId}`
        : e.type === 'release'
          ? `release:${e.requestId}:${e.custodian}`
          : e.type === 'approval'
            ? `approval:${e.warrantId}:${e.custodian}`
            : null;
      if (key && seenKeys.has(key)) repeatedKeys++;
      if (key) seenKeys.add(key);
    }
  }
  return { size, byType, repeatedBytes, repeatedKeys };
}

/**
 * `requests` requests of `envelopes` each under one warrant, started `gapMs`
 * apart and each followed to its end in parallel; every outcome is reported.
 */
async function stream(input: { files: InvestigatorFiles; requests: number; envelopes: number; gapMs: number }): Promise<unknown> {
  const f = input.files;
  const w = signedWarrant(f, input.requests * input.envelopes);
  await submitWarrant(f, w);
  const status = await waitApproved(f, w.warrant.id);
  if (status !== 'approved') throw new Error(`warrant ended ${status}`);
  const t0 = performance.now();
  const runs: Promise<{ k: number; requestId: string | null; ok: boolean; ms: number; error?: string }>[] = [];
  for (let k = 0; k < input.requests; k++) {
    const started = performance.now() - t0;
    runs.push(
      (async () => {
        let requestId: string | null = null;
        try {
          requestId = await sendRequest(f, w.warrant.id, providerEnvelopes(f, input.envelopes));
          await waitComplete(f, requestId, input.envelopes);
          return { k, requestId, ok: true, ms: Math.round(performance.now() - t0 - started) };
        } catch (err) {
          return { k, requestId, ok: false, ms: Math.round(performance.now() - t0 - started), error: (err as Error).message };
        }
      })(),
    );
    process.stderr.write(`request ${k + 1}/${input.requests} sent at ${Math.round(started / 100) / 10} s\n`);
    await sleep(input.gapMs);
  }
  return { warrantId: w.warrant.id, outcomes: await Promise.all(runs) };
}

/** Round trips one after the other in this process, so that only the first opens its connection to the coordinator. */
async function trips(input: { files: InvestigatorFiles; envelopes: number; trips: { pauseMs: number }[]; witnesses: number; warm?: boolean }): Promise<unknown> {
  const out = [];
  for (const t of input.trips) {
    const settled = await settle({ coordinator: input.files.coordinator, witnesses: input.witnesses, timeoutMs: 60_000 });
    // A long-lived client: its connection to the coordinator is open before the clock starts.
    if (input.warm) await requestJson(`${input.files.coordinator}/health`, { timeoutMs: 10_000 });
    await sleep(t.pauseMs);
    out.push({ pauseMs: t.pauseMs, settled, ...(await roundTrip(input.files, input.envelopes)) });
  }
  return out;
}

const COMMANDS: Record<string, (input: never) => Promise<unknown>> = {
  roundtrip: trips,
  stream,
  settle,
  probe,
  get,
  witness: witnessSize,
  log: logSummary,
};

const name = process.argv[2] ?? '';
const command = COMMANDS[name];
if (!command) {
  process.stderr.write(`driver: unknown command '${name}' (${Object.keys(COMMANDS).join(', ')})\n`);
  process.exitCode = 2;
} else {
  try {
    const out = await command((await readStdin()) as never);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } catch (err) {
    process.stderr.write(`driver ${name}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
