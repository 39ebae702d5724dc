/**
 * A real cluster in one process for hardening runs: the coordinator and five
 * real custodian nodes (services/custodian, dev mode, auto-approval policy) on
 * loopback ports in temporary directories, a court, one agency with two
 * investigators, and helpers to drive a legitimate warrant → approval →
 * request → results flow, so a fuzzer has real state to corrupt and a way to
 * show at the end that the cluster still works. The cluster itself is
 * ../cluster/in-process.ts; this module fixes the hardening run's settings.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { decodePoint, hexToBytes, openSealedResult, parseEnvelope, resultContext, sealEnvelope } from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { envelopeSetRoot, newSalt, signRecord, signWarrant } from '@custodes/shared/records';
import type { DecryptionRequestEntry, RegistryEntry, ShareFile, SignedWarrant, Warrant } from '@custodes/shared/records';
import type { Coordinator } from '@custodes/coordinator';
import type { Custodian } from '@custodes/custodian';
import { freePort, keyPair, startRealCluster } from '../cluster/in-process';
import type { KeyPair, RealClusterOptions } from '../cluster/in-process';

export { freePort, keyPair };
export type { KeyPair };

export const ORIGIN = 'custodes.hardening/log';
export const THRESHOLD = 3;
export const TOTAL = 5;
export const AGENCY = 'agency-1';
export const COURT = 'court-1';
export const SUBJECT = 'subject-a';
export const CATEGORY = 'messages';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface NodeHandle {
  index: number;
  dataDir: string;
  url: string;
  operatorToken: string;
  service: Custodian;
}

export interface ClusterOptions {
  /** Coordinator requests per IP per minute (the fuzzer sets it high so its own traffic is not simply refused). */
  rateLimitPerMinute?: number;
  /** No ports: the cluster chooses them (five nodes cannot share one, and the nodes must know the coordinator's before it starts). */
  custodian?: RealClusterOptions['custodian'];
  coordinator?: RealClusterOptions['coordinator'];
}

export interface InProcessCluster {
  coordinator: Coordinator;
  coordinatorUrl: string;
  coordinatorDir: string;
  nodes: NodeHandle[];
  court: KeyPair;
  investigators: { a: KeyPair; b: KeyPair };
  tokens: { a: string; b: string };
  registry: RegistryEntry;
  groupKey: string;
  shares: ShareFile[];
  custodianKeys: KeyPair[];
  log: KeyPair;
  /** Error-level lines the services logged (unexpected errors: each one is a finding). */
  errors: string[];
  close(): Promise<void>;
}

/** A pino logger that keeps error-level lines in `sink` and drops the rest. */
export function errorSink(sink: string[]): pino.Logger {
  return pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        sink.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );
}

export const POLICY = { courts: [COURT], categories: [CATEGORY], maxSubjects: 10, maxWindowDays: 365, maxEnvelopes: 10_000 };

/** The hardening cluster: 3-of-5, every node in dev mode under POLICY, two investigators, every service's errors kept in `errors`. */
export async function startInProcessCluster(opts: ClusterOptions = {}): Promise<InProcessCluster> {
  const errors: string[] = [];
  const cluster = await startRealCluster({
    origin: ORIGIN,
    tempPrefix: 'hardening',
    threshold: THRESHOLD,
    total: TOTAL,
    names: { custodian: (i) => `custodian-${i}.hardening`, court: 'Hardening Court', agency: 'Hardening Agency' },
    investigators: 2,
    nodeInit: () => ({ dev: true, policy: POLICY }),
    custodian: { logger: errorSink(errors), ...opts.custodian },
    coordinator: {
      cosignTimeoutMs: 10_000,
      logger: errorSink(errors),
      ...(opts.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: opts.rateLimitPerMinute } : {}),
      ...opts.coordinator,
    },
  });
  const [a, b] = cluster.investigators as [KeyPair, KeyPair];
  const [tokenA, tokenB] = cluster.tokens as [string, string];
  return {
    coordinator: cluster.coordinator,
    coordinatorUrl: cluster.coordinatorUrl,
    coordinatorDir: cluster.coordinatorDir,
    nodes: cluster.nodes.map((n) => ({ index: n.index, dataDir: n.dataDir, url: n.url, operatorToken: n.init.operatorToken, service: n.service! })),
    court: cluster.court,
    investigators: { a, b },
    tokens: { a: tokenA, b: tokenB },
    registry: cluster.registry,
    groupKey: cluster.groupKey,
    shares: cluster.shares,
    custodianKeys: cluster.custodianKeys,
    log: cluster.log,
    errors,
    close: cluster.close,
  };
}

// ## HTTP

export interface Answer {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers from the services, read by field
  json: any;
}

export async function api(url: string, method: string, path: string, body?: unknown, token?: string, timeoutMs = 30_000): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof body === 'string') {
    headers['content-type'] = 'text/plain';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${url}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

// ## The legitimate flow

export interface WarrantPackage {
  warrant: SignedWarrant;
  salt: string;
}

export function makeWarrant(court: KeyPair, investigator: KeyPair, over: Partial<Warrant> = {}): WarrantPackage {
  const t = nowSeconds();
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: AGENCY,
    investigator: investigator.publicKey,
    court: COURT,
    caseNumber: 'HARD-1',
    legalAuthority: 'Hardening Act §1',
    offense: 'testing',
    scope: { subjects: [SUBJECT], categories: [CATEGORY], notBefore: t - 30 * 86_400, notAfter: t },
    maxEnvelopes: 1000,
    issuedAt: t - 600,
    expiresAt: t + 30 * 86_400,
    sealedUntil: t + 90 * 86_400,
    ...over,
  };
  return { warrant: { ...body, courtSignature: signWarrant(body, court.secretKey), investigatorSignature: signWarrant(body, investigator.secretKey) }, salt: newSalt() };
}

export function sealMany(groupKey: string, count: number, tag = 'plaintext', epoch = 1): { envelopes: Envelope[]; plaintexts: string[] } {
  const Y = decodePoint(hexToBytes(groupKey, 33), 'groupKey');
  const base = nowSeconds() - 3600;
  const plaintexts = Array.from({ length: count }, (_, k) => `${tag} ${k} ${randomUUID()}`);
  const envelopes = plaintexts.map((p, k) => {
    const label: Label = { subject: SUBJECT, category: CATEGORY, time: base - k };
    return sealEnvelope(new TextEncoder().encode(p), Y, epoch, label);
  });
  return { envelopes, plaintexts };
}

export function requestEntry(investigator: KeyPair, requestId: string, warrantId: string, envelopes: readonly Envelope[]): DecryptionRequestEntry {
  const unsigned = {
    type: 'decryption-request' as const,
    requestId,
    warrantId,
    investigator: investigator.publicKey,
    envelopeCount: envelopes.length,
    envelopeSetRoot: envelopeSetRoot(envelopes.map((e) => parseEnvelope(e).id)),
    epochs: [...new Set(envelopes.map((e) => e.epoch))].sort((a, b) => a - b),
    time: nowSeconds(),
  };
  return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', investigator.secretKey) };
}

export interface FlowResult {
  warrant: WarrantPackage;
  requestId: string;
  envelopes: Envelope[];
  plaintexts: string[];
  submitted: { entry: DecryptionRequestEntry };
  decrypted: number;
}

/** Submits a warrant and waits until the custodians' approvals make it `approved`. */
export async function approvedWarrant(url: string, court: KeyPair, investigator: KeyPair, token: string, timeoutMs = 60_000): Promise<WarrantPackage> {
  const w = makeWarrant(court, investigator);
  const r = await api(url, 'POST', '/v1/warrants', w, token);
  if (r.status !== 201) throw new Error(`warrant intake: ${r.status} ${r.text}`);
  await waitFor(
    'warrant approval',
    async () => {
      const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
      if (s.json?.status === 'approved') return true;
      if (s.json?.status !== 'pending') throw new Error(`warrant ended ${s.text}`);
      return undefined;
    },
    timeoutMs,
  );
  return w;
}

/**
 * The plaintexts of a results answer by envelope id (UTF-8), each opened with
 * the investigator's secret key (docs/PROTOCOL.md §3.7, "Results sealed to the
 * investigator"); throws naming the first result that does not open.
 */
export function openedResults(results: unknown, requestId: string, investigator: KeyPair): Map<string, string> {
  if (!Array.isArray(results)) throw new Error(`request ${requestId}: results is not an array`);
  const secretKey = hexToBytes(investigator.secretKey, 32);
  return new Map(
    (results as { envelopeId: string; sealed: unknown }[]).map((r) => {
      const plaintext = openSealedResult(r.sealed, secretKey, resultContext(requestId, r.envelopeId));
      if (!plaintext) throw new Error(`request ${requestId}: result ${r.envelopeId} does not open with the investigator key`);
      return [r.envelopeId, Buffer.from(plaintext).toString('utf8')];
    }),
  );
}

/** Opens, fills and submits a request; waits for the result; checks every plaintext. */
export async function decryptFlow(url: string, investigator: KeyPair, token: string, warrant: WarrantPackage, envelopes: Envelope[], plaintexts: string[], timeoutMs = 60_000): Promise<FlowResult> {
  const open = await api(url, 'POST', '/v1/requests', { warrantId: warrant.warrant.id }, token);
  if (open.status !== 201) throw new Error(`open request: ${open.status} ${open.text}`);
  const requestId = open.json.requestId as string;
  for (let i = 0; i < envelopes.length; i += 500) {
    const batch = await api(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes: envelopes.slice(i, i + 500) }, token);
    if (batch.status !== 200 || batch.json.rejected.length) throw new Error(`envelopes: ${batch.status} ${batch.text.slice(0, 300)}`);
  }
  const submitted = { entry: requestEntry(investigator, requestId, warrant.warrant.id, envelopes) };
  const submit = await api(url, 'POST', `/v1/requests/${requestId}/submit`, submitted, token);
  if (submit.status !== 202) throw new Error(`submit: ${submit.status} ${submit.text}`);
  const final = await waitFor(
    'request completion',
    async () => {
      const s = await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token);
      return s.json?.state === 'complete' || s.json?.state === 'failed' ? s.json : undefined;
    },
    timeoutMs,
  );
  if (final.state !== 'complete') throw new Error(`request ${requestId} ended ${JSON.stringify(final)}`);
  const res = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
  if (res.status !== 200) throw new Error(`results: ${res.status} ${res.text}`);
  const got = openedResults(res.json.results, requestId, investigator);
  envelopes.forEach((e, k) => {
    if (got.get(parseEnvelope(e).id) !== plaintexts[k]) throw new Error(`request ${requestId}: envelope ${k} did not decrypt to its plaintext`);
  });
  return { warrant, requestId, envelopes, plaintexts, submitted, decrypted: got.size };
}

// ## The log as served

/** Waits until the published checkpoint covers every stored entry; returns the size. */
export async function settledSize(url: string, timeoutMs = 60_000): Promise<number> {
  return waitFor(
    'a checkpoint covering every entry',
    async () => {
      const stored = (await api(url, 'GET', '/health')).json?.size as number | undefined;
      const cp = await api(url, 'GET', '/log/v1/checkpoint');
      const published = Number(cp.text.split('\n')[1]);
      return stored !== undefined && published === stored ? published : undefined;
    },
    timeoutMs,
  );
}

/** Every leaf's exact bytes, via the public read API. */
export async function fetchLeaves(url: string, size: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let start = 0; start < size; ) {
    const end = Math.min(size, start + 1000);
    const page = await api(url, 'GET', `/log/v1/entries?start=${start}&end=${end}`);
    if (page.status !== 200) throw new Error(`entries ${start}..${end}: ${page.status}`);
    for (const b64 of page.json.entries as string[]) out.push(new Uint8Array(Buffer.from(b64, 'base64')));
    start += (page.json.entries as string[]).length;
  }
  return out;
}
