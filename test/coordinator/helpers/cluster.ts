/**
 * A coordinator with five stand-in custodians (t = 3) in one process, on
 * loopback ports and temporary directories, plus the keys of a court and
 * three investigators, and small helpers to drive the API.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bytesToHex,
  ceremonyFilesPoints,
  epochCeremony,
  decodePoint,
  ed25519PublicKey,
  ed25519SecretKey,
  hexToBytes,
  openSealedResult,
  parseEnvelope,
  randomSecretKey,
  resultContext,
  schnorrPublicKey,
  sealEnvelope,
  utf8,
} from './crypto';
import type { Envelope, Label } from './crypto';
import { envelopeSetRoot, newSalt, signRecord, signWarrant } from '@custodes/shared/records';
import type { DecryptionRequestEntry, RegistryEntry, SignedWarrant, Warrant } from '@custodes/shared/records';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import type { Coordinator, CoordinatorConfig } from '@custodes/coordinator';
import pino from 'pino';
import { Writable } from 'node:stream';
import { StandInCustodian } from './standin';
import type { StandInOptions } from './standin';

export const ORIGIN = 'custodes.test/log';
export const THRESHOLD = 3;
export const TOTAL = 5;

export interface Party {
  secretKey: string;
  publicKey: string;
}

export function party(): Party {
  const sk = randomSecretKey();
  return { secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)) };
}

/** A party with an Ed25519 note key pair too (docs/PROTOCOL.md §4.3, §9.3): the log, a custodian. */
export interface NoteParty extends Party {
  noteSecretKey: string;
  notePublicKey: string;
}

export function noteParty(): NoteParty {
  const note = ed25519SecretKey();
  return { ...party(), noteSecretKey: bytesToHex(note), notePublicKey: bytesToHex(ed25519PublicKey(note)) };
}

export interface Cluster {
  dir: string;
  coordinator: Coordinator;
  url: string;
  custodians: StandInCustodian[];
  court: Party;
  investigators: { a: Party; b: Party; c: Party };
  tokens: { a: string; b: string; c: string };
  groupKey: string;
  registry: RegistryEntry;
  log: NoteParty;
  clock: { offset: number };
  config: CoordinatorConfig;
  /** Every line the coordinator logged (pino JSON, debug level). */
  logLines: string[];
  /** Closes the coordinator and starts a new one on the same data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(
  opts: {
    behaviours?: Record<number, StandInOptions['behaviour']>;
    postReleases?: boolean;
    custodians?: Record<number, Partial<StandInOptions>>;
    coordinator?: Partial<CoordinatorConfig>;
    /**
     * A multi-epoch registry instead of epoch 0 = THRESHOLD of TOTAL: each
     * epoch's t and custodian indices (within 1..TOTAL), one dealer ceremony
     * each; every stand-in holds the shares of the epochs that list it.
     */
    epochs?: readonly { readonly epoch: number; readonly threshold: number; readonly custodians: readonly number[] }[];
    /** The log's keys (default: fresh ones), e.g. for an external witness started first. */
    log?: NoteParty;
    /** External witnesses the genesis registry lists (docs/PROTOCOL.md §4.3). */
    witnesses?: RegistryEntry['witnesses'];
  } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-coord-'));
  const { groupKey, commitments, shares } = ceremonyFilesPoints(THRESHOLD, TOTAL);
  const all = Array.from({ length: TOTAL }, (_, i) => i + 1);
  const epochSpecs = (opts.epochs ?? [{ epoch: 0, threshold: THRESHOLD, custodians: all }]).map((e) => ({
    ...e,
    ceremony: opts.epochs ? epochCeremony(e.threshold, e.custodians) : { groupKey, commitments, shares: new Map(all.map((i) => [i, shares[i - 1]!] as const)) },
  }));
  const sharesOf = (index: number) => new Map(epochSpecs.filter((e) => e.custodians.includes(index)).map((e) => [e.epoch, e.ceremony.shares.get(index)!] as const));
  const custodianKeys = Array.from({ length: TOTAL }, noteParty);
  const custodians = custodianKeys.map(
    (k, i) =>
      new StandInCustodian({
        index: i + 1,
        name: `custodian-${i + 1}`,
        signingKey: k.secretKey,
        witnessKey: k.noteSecretKey,
        share: shares[i]!,
        behaviour: opts.behaviours?.[i + 1] ?? 'honest',
        postReleases: opts.postReleases ?? true,
        ...(opts.epochs ? { shares: sharesOf(i + 1) } : {}),
        ...opts.custodians?.[i + 1],
      }),
  );
  await Promise.all(custodians.map((c) => c.start()));
  const log = opts.log ?? noteParty();
  const court = party();
  const investigators = { a: party(), b: party(), c: party() };
  const unsigned: RegistryEntry = {
    type: 'registry',
    sequence: 0,
    origin: ORIGIN,
    logKey: log.publicKey,
    logNoteKey: log.notePublicKey,
    ...(opts.witnesses ? { witnesses: opts.witnesses } : {}),
    epochs: epochSpecs.map((e) => ({
      epoch: e.epoch,
      threshold: e.threshold,
      total: e.custodians.length,
      groupKey: e.ceremony.groupKey,
      commitments: e.ceremony.commitments,
      custodians: e.custodians.map((i) => ({ index: i, name: custodians[i - 1]!.opts.name, signingKey: custodianKeys[i - 1]!.publicKey, witnessKey: custodianKeys[i - 1]!.notePublicKey, url: custodians[i - 1]!.url })),
    })),
    courts: [{ id: 'court-1', name: 'Test District Court', key: court.publicKey }],
    agencies: [
      { id: 'agency-1', name: 'First Agency', investigators: [investigators.a.publicKey, investigators.b.publicKey] },
      { id: 'agency-2', name: 'Second Agency', investigators: [investigators.c.publicKey] },
    ],
    time: Math.floor(Date.now() / 1000),
    signatures: [],
  };
  const registry: RegistryEntry = {
    ...unsigned,
    signatures: custodianKeys.map((k, i) => ({ custodian: i + 1, signature: signRecord(unsigned, 'registry', k.secretKey) })),
  };
  initCoordinator({ dataDir: dir, registry, logSecretKey: log.secretKey, logNoteSecretKey: log.noteSecretKey });
  const tokens = {
    a: addInvestigatorToken({ dataDir: dir, agency: 'agency-1', investigator: investigators.a.publicKey }),
    b: addInvestigatorToken({ dataDir: dir, agency: 'agency-1', investigator: investigators.b.publicKey }),
    c: addInvestigatorToken({ dataDir: dir, agency: 'agency-2', investigator: investigators.c.publicKey }),
  };
  const clock = { offset: 0 };
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config: CoordinatorConfig = {
    logger: pino({ level: 'debug' }, sink),
    dataDir: dir,
    origin: ORIGIN,
    logSecretKey: log.secretKey,
    logNoteSecretKey: log.noteSecretKey,
    cosignTimeoutMs: 2000,
    partialsTimeoutMs: 5000,
    now: () => Math.floor(Date.now() / 1000) + clock.offset,
    ...opts.coordinator,
  };
  const cluster: Cluster = {
    dir,
    coordinator: createCoordinator(config),
    url: '',
    custodians,
    court,
    investigators,
    tokens,
    // What seal() seals to: epoch 0's group key (with `epochs`, the one listed as epoch 0, if any).
    groupKey: epochSpecs.find((e) => e.epoch === 0)?.ceremony.groupKey ?? groupKey,
    registry,
    log,
    clock,
    config,
    logLines,
    async restart() {
      await cluster.coordinator.close();
      cluster.coordinator = createCoordinator(config);
      await cluster.coordinator.start();
      cluster.url = cluster.coordinator.url;
      for (const c of custodians) c.coordinatorUrl = cluster.url;
    },
    async close() {
      await cluster.coordinator.close();
      await Promise.all(custodians.map((c) => c.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // The stand-ins learn the URL before the coordinator's first cosigning round.
  await cluster.coordinator.start();
  cluster.url = cluster.coordinator.url;
  for (const c of custodians) c.coordinatorUrl = cluster.url;
  return cluster;
}

// ## API calls

export interface Answer<T = any> {
  status: number;
  body: T;
}

export async function api<T = any>(url: string, method: string, path: string, body?: unknown, token?: string): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof body === 'string') {
    headers['content-type'] = 'application/json';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, { method, headers, body: payload });
  } catch (err) {
    // A GET on a keep-alive socket that a restarted server closed: ask once more on a fresh one.
    if (method !== 'GET') throw err;
    res = await fetch(`${url}${path}`, { method, headers });
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text/plain answers stay text
  }
  return { status: res.status, body: parsed as T };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

// ## Warrants, envelopes, requests

export function makeWarrant(cluster: Cluster, who: 'a' | 'b' | 'c' = 'a', overrides: Partial<Warrant> = {}): { warrant: SignedWarrant; salt: string } {
  const now = cluster.config.now!();
  const inv = cluster.investigators[who];
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: who === 'c' ? 'agency-2' : 'agency-1',
    investigator: inv.publicKey,
    court: 'court-1',
    caseNumber: 'CR-2026-0042',
    legalAuthority: '18 U.S.C. § 2703(d)',
    offense: 'wire fraud',
    scope: { subjects: ['alice@example.com', 'bob@example.com'], categories: ['email', 'chat'], notBefore: now - 86_400 * 30, notAfter: now },
    maxEnvelopes: 100,
    issuedAt: now - 60,
    expiresAt: now + 86_400 * 30,
    sealedUntil: now + 86_400 * 60,
    ...overrides,
  };
  const warrant: SignedWarrant = {
    ...body,
    courtSignature: signWarrant(body, cluster.court.secretKey),
    investigatorSignature: signWarrant(body, inv.secretKey),
  };
  return { warrant, salt: newSalt() };
}

export function seal(cluster: Cluster, text: string, label: Label): Envelope {
  return sealEnvelope(utf8(text), decodePoint(hexToBytes(cluster.groupKey, 33)), 0, label);
}

export function requestEntry(
  cluster: Cluster,
  who: 'a' | 'b' | 'c',
  requestId: string,
  warrantId: string,
  envelopes: readonly Envelope[],
): DecryptionRequestEntry {
  const inv = cluster.investigators[who];
  const unsigned = {
    type: 'decryption-request' as const,
    requestId,
    warrantId,
    investigator: inv.publicKey,
    envelopeCount: envelopes.length,
    envelopeSetRoot: envelopeSetRoot(envelopes.map((e) => parseEnvelope(e).id)),
    epochs: [...new Set(envelopes.map((e) => e.epoch))].sort((a, b) => a - b),
    time: cluster.config.now!(),
  };
  return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', inv.secretKey) };
}

/** Submits a warrant and waits until the stand-ins' approvals make it `approved`. */
export async function approvedWarrant(cluster: Cluster, who: 'a' | 'b' | 'c' = 'a', overrides: Partial<Warrant> = {}) {
  const w = makeWarrant(cluster, who, overrides);
  const r = await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens[who]);
  if (r.status !== 201) throw new Error(`intake failed: ${JSON.stringify(r.body)}`);
  await waitFor('approval', async () => {
    const s = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, cluster.tokens[who]);
    return s.body.status === 'approved' ? true : undefined;
  });
  return w;
}

/** Opens a request, adds `envelopes`, submits the signed entry; returns the request id. */
export async function submitRequest(cluster: Cluster, who: 'a' | 'b' | 'c', warrantId: string, envelopes: Envelope[]): Promise<string> {
  const token = cluster.tokens[who];
  const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId }, token);
  if (open.status !== 201) throw new Error(`open failed: ${JSON.stringify(open.body)}`);
  const requestId = open.body.requestId as string;
  const batch = await api(cluster.url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, token);
  if (batch.status !== 200 || batch.body.rejected.length) throw new Error(`batch failed: ${JSON.stringify(batch.body)}`);
  const submit = await api(cluster.url, 'POST', `/v1/requests/${requestId}/submit`, { entry: requestEntry(cluster, who, requestId, warrantId, envelopes) }, token);
  if (submit.status !== 202) throw new Error(`submit failed: ${JSON.stringify(submit.body)}`);
  return requestId;
}

export async function finished(cluster: Cluster, who: 'a' | 'b' | 'c', requestId: string) {
  return waitFor('request to finish', async () => {
    const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}`, undefined, cluster.tokens[who]);
    return r.body.state === 'complete' || r.body.state === 'failed' ? r.body : undefined;
  });
}

/**
 * Every log entry, parsed, via the public read API, once a published checkpoint
 * covers all that is stored (the entries API serves up to the latest published
 * checkpoint, cosigned by t or not; GET /log/v1/checkpoint serves only one with t).
 */
export async function logEntries(cluster: Cluster): Promise<{ type: string; [k: string]: any }[]> {
  const size = await waitFor('a checkpoint covering every entry', async () => {
    const stored = (await api(cluster.url, 'GET', '/health')).body.size as number;
    const last = await api(cluster.url, 'GET', `/log/v1/entries?start=${stored - 1}&end=${stored}`);
    return last.status === 200 ? stored : undefined;
  });
  const out: any[] = [];
  for (let start = 0; start < size; ) {
    const end = Math.min(size, start + 1000);
    const page = await api(cluster.url, 'GET', `/log/v1/entries?start=${start}&end=${end}`);
    for (const b64 of page.body.entries as string[]) out.push(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
    start = end;
  }
  return out;
}

export const subjectLabel = (subject: string, category = 'email', time?: number): Label => ({
  subject,
  category,
  time: time ?? Math.floor(Date.now() / 1000) - 3600,
});

// ## Results

/**
 * Opens each result of a `GET /v1/requests/:id/results` body with the
 * investigator's secret key (hex32), in order; throws if any does not open, so
 * a plaintext assertion keeps its strength (docs/PROTOCOL.md §3.7, "Results sealed
 * to the investigator").
 */
export function openResults(body: { results: { envelopeId: string; sealed: unknown }[] }, requestId: string, secretKey: string): string[] {
  return openResultBytes(body, requestId, secretKey).map((b) => Buffer.from(b).toString());
}

/** As openResults, as bytes. */
export function openResultBytes(body: { results: { envelopeId: string; sealed: unknown }[] }, requestId: string, secretKey: string): Uint8Array[] {
  if (!body || !Array.isArray(body.results)) throw new Error(`not a results body: ${JSON.stringify(body)}`);
  return body.results.map((r) => {
    if ('plaintext' in r) throw new Error(`result ${r.envelopeId} carries a plaintext`);
    const m = openSealedResult(r.sealed, hexToBytes(secretKey, 32), resultContext(requestId, r.envelopeId));
    if (!m) throw new Error(`result ${r.envelopeId} does not open`);
    return m;
  });
}
