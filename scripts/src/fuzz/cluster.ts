/**
 * A real cluster in one process for hardening runs: the coordinator and five
 * real custodian nodes (services/custodian, dev mode, auto-approval policy) on
 * loopback ports in temporary directories, a court, one agency with two
 * investigators, and helpers to drive a legitimate warrant → approval →
 * request → results flow, so a fuzzer has real state to corrupt and a way to
 * show at the end that the cluster still works.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, dealShares, decodePoint, hexToBytes, parseEnvelope, randomSecretKey, schnorrPublicKey, sealEnvelope } from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { ceremonyFiles, envelopeSetRoot, newSalt, signRecord, signWarrant } from '@custodes/shared/records';
import type { DecryptionRequestEntry, RegistryEntry, ShareFile, SignedWarrant, Warrant } from '@custodes/shared/records';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import type { Coordinator, CoordinatorConfig } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { Custodian, CustodianConfig } from '@custodes/custodian';

export const ORIGIN = 'custodes.hardening/log';
export const THRESHOLD = 3;
export const TOTAL = 5;
export const AGENCY = 'agency-1';
export const COURT = 'court-1';
export const SUBJECT = 'subject-a';
export const CATEGORY = 'messages';

export interface KeyPair {
  secretKey: string;
  publicKey: string;
}

export function keyPair(): KeyPair {
  const sk = randomSecretKey();
  return { secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)) };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A port that was free a moment ago, so custodians can be told the coordinator's URL before it starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

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
  custodian?: Partial<Omit<CustodianConfig, 'dataDir' | 'coordinatorUrl'>>;
  coordinator?: Partial<Omit<CoordinatorConfig, 'dataDir' | 'origin' | 'logSecretKey'>>;
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

export async function startInProcessCluster(opts: ClusterOptions = {}): Promise<InProcessCluster> {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'custodes-hardening-'));
    dirs.push(d);
    return d;
  };
  const { publicKeySet, shares } = ceremonyFiles(dealShares(THRESHOLD, TOTAL), 1);
  const port = await freePort();
  const coordinatorUrl = `http://127.0.0.1:${port}`;
  const custodianKeys = Array.from({ length: TOTAL }, keyPair);
  const nodes: NodeHandle[] = [];
  const errors: string[] = [];
  let coordinator: Coordinator | undefined;
  const close = async () => {
    await coordinator?.close();
    await Promise.all(nodes.map((n) => n.service.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < TOTAL; i++) {
      const dataDir = tempDir();
      const init = await initCustodian({ dataDir, shareFile: shares[i], keyFile: { format: 'custodes.key.v1', ...custodianKeys[i]! }, dev: true, policy: POLICY });
      const service = createCustodian({ dataDir, coordinatorUrl, logger: errorSink(errors), ...opts.custodian });
      await service.start();
      nodes.push({ index: i + 1, dataDir, url: service.url, operatorToken: init.operatorToken, service });
    }
    const log = keyPair();
    const court = keyPair();
    const investigators = { a: keyPair(), b: keyPair() };
    const unsigned: Omit<RegistryEntry, 'signatures'> = {
      type: 'registry',
      sequence: 0,
      origin: ORIGIN,
      logKey: log.publicKey,
      epochs: [
        {
          epoch: 1,
          threshold: THRESHOLD,
          total: TOTAL,
          groupKey: publicKeySet.groupKey,
          commitments: publicKeySet.commitments,
          custodians: nodes.map((n) => ({ index: n.index, name: `custodian-${n.index}.hardening`, signingKey: custodianKeys[n.index - 1]!.publicKey, url: n.url })),
        },
      ],
      courts: [{ id: COURT, name: 'Hardening Court', key: court.publicKey }],
      agencies: [{ id: AGENCY, name: 'Hardening Agency', investigators: [investigators.a.publicKey, investigators.b.publicKey] }],
      time: nowSeconds() - 60,
    };
    const registry: RegistryEntry = {
      ...unsigned,
      signatures: custodianKeys.map((k, i) => ({ custodian: i + 1, signature: signRecord(unsigned, 'registry', k.secretKey) })),
    };
    const coordinatorDir = tempDir();
    initCoordinator({ dataDir: coordinatorDir, registry, logSecretKey: log.secretKey });
    const tokens = {
      a: addInvestigatorToken({ dataDir: coordinatorDir, agency: AGENCY, investigator: investigators.a.publicKey }),
      b: addInvestigatorToken({ dataDir: coordinatorDir, agency: AGENCY, investigator: investigators.b.publicKey }),
    };
    coordinator = createCoordinator({
      dataDir: coordinatorDir,
      port,
      origin: ORIGIN,
      logSecretKey: log.secretKey,
      cosignTimeoutMs: 10_000,
      logger: errorSink(errors),
      ...(opts.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: opts.rateLimitPerMinute } : {}),
      ...opts.coordinator,
    });
    await coordinator.start();
    const c = coordinator;
    return {
      coordinator: c,
      coordinatorUrl,
      coordinatorDir,
      nodes,
      court,
      investigators,
      tokens,
      registry,
      groupKey: publicKeySet.groupKey,
      shares,
      custodianKeys,
      log,
      errors,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
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
    epochs: [...new Set(envelopes.map((e) => e.epoch))],
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
  const got = new Map<string, string>((res.json.results as { envelopeId: string; plaintext: string }[]).map((r) => [r.envelopeId, Buffer.from(r.plaintext, 'base64').toString('utf8')]));
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
