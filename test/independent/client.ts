/**
 * An independent investigator/court client of a Custodes coordinator, written
 * from docs/PROTOCOL.md §3.5, §4.1–§4.2 and docs/PROTOCOL.md §7 alone. It imports
 * nothing from the project: JCS, tagged hashes and BIP340 come from ./impl.
 *
 * Every answer from the network is attacker-controlled: each is checked for
 * the shape the documents promise before it is used.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as secp from '@noble/secp256k1';
import * as I from './impl';
import { merkleRoot } from './verifier';

// ## Errors

/** A non-2xx answer, with the documented `{ error: { code, message } }` body. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ServiceError';
  }
}

// ## Records (docs/PROTOCOL.md §4.1–§4.2, docs/PROTOCOL.md §7)

export interface Scope {
  subjects: string[];
  categories: string[];
  notBefore: number;
  notAfter: number;
}

export interface Warrant {
  format: 'custodes.warrant.v1';
  id: string;
  agency: string;
  investigator: string;
  court: string;
  caseNumber: string;
  legalAuthority: string;
  offense: string;
  scope: Scope;
  maxEnvelopes: number;
  issuedAt: number;
  expiresAt: number;
  sealedUntil: number;
}

export interface SignedWarrant extends Warrant {
  courtSignature: string;
  investigatorSignature: string;
}

export interface DecryptionRequestEntry {
  type: 'decryption-request';
  requestId: string;
  warrantId: string;
  investigator: string;
  envelopeCount: number;
  envelopeSetRoot: string;
  epochs: number[];
  time: number;
  signature: string;
}

/** A key file as found in CUSTODES_HOME/identities: x-only public key and secret, hex. */
export interface KeyPair {
  secretKey: string;
  publicKey: string;
}

// ## Signing (docs/PROTOCOL.md §3.5, §4.1)

const random32 = (): Uint8Array => new Uint8Array(randomBytes(32));

/** Checks a key pair is what it says (x-only key of the secret) before signing with it. */
function secretOf(k: KeyPair): Uint8Array {
  const secret = I.unhex(k.secretKey);
  if (secret.length !== 32 || I.hex(secp.schnorr.getPublicKey(secret)) !== k.publicKey) throw new RangeError('key pair: public key does not match the secret key');
  return secret;
}

/** Both signatures over H("custodes/v1/warrant", JCS(warrant)), court first. */
export function signWarrant(warrant: Warrant, court: KeyPair, investigator: KeyPair): SignedWarrant {
  if (warrant.investigator !== investigator.publicKey) throw new RangeError('warrant.investigator must be the signing investigator');
  const body = warrant as unknown as Record<string, unknown>;
  return {
    ...warrant,
    courtSignature: I.signRecord(body, 'warrant', secretOf(court), random32()),
    investigatorSignature: I.signRecord(body, 'warrant', secretOf(investigator), random32()),
  };
}

/** The warrant body alone (no signature fields): what the commitment covers. */
export function warrantBody(w: SignedWarrant | Warrant): Warrant {
  const { courtSignature: _c, investigatorSignature: _i, ...body } = w as SignedWarrant;
  return body;
}

/** commitment = H("custodes/v1/warrant-commit", salt32 ‖ JCS(warrant)). */
export const commitmentOf = (w: Warrant | SignedWarrant, saltHex: string): string =>
  I.warrantCommitment(warrantBody(w) as unknown as Record<string, unknown>, I.unhex(saltHex));

/** RFC 6962 root over the 32-byte envelope ids in order (docs/PROTOCOL.md §4.2). */
export function envelopeSetRoot(ids: readonly string[]): string {
  const leaves = ids.map((id) => {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new RangeError(`envelope id ${id}: expected 32 bytes of hex`);
    return I.unhex(id);
  });
  return I.hex(merkleRoot(leaves));
}

/** The signed `decryption-request` entry (docs/PROTOCOL.md §3.5 with kind = its type). */
export function signRequestEntry(
  fields: { requestId: string; warrantId: string; envelopeIds: readonly string[]; epochs: readonly number[]; time: number },
  investigator: KeyPair,
): DecryptionRequestEntry {
  const body = {
    type: 'decryption-request' as const,
    requestId: fields.requestId,
    warrantId: fields.warrantId,
    investigator: investigator.publicKey,
    envelopeCount: fields.envelopeIds.length,
    envelopeSetRoot: envelopeSetRoot(fields.envelopeIds),
    epochs: [...new Set(fields.epochs)].sort((a, b) => a - b),
    time: fields.time,
  };
  return { ...body, signature: I.signRecord(body, 'decryption-request', secretOf(investigator), random32()) };
}

/** A fresh warrant draft; the caller fills in scope and dates. */
export function draftWarrant(fields: Omit<Warrant, 'format' | 'id'> & { id?: string }): Warrant {
  return { format: 'custodes.warrant.v1', id: fields.id ?? randomUUID(), ...fields };
}

export const newSalt = (): string => I.hex(random32());

// ## Shapes of answers (attacker-controlled)

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isHex32 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function expectShape<T>(ok: boolean, what: string, value: unknown): T {
  if (!ok) throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)?.slice(0, 300)}`);
  return value as T;
}

export type WarrantStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'revoked';
export type RequestState = 'draft' | 'logged' | 'cosigned' | 'releasing' | 'complete' | 'failed';
export type RejectReason = 'MALFORMED' | 'BAD_BINDING' | 'OUT_OF_SCOPE' | 'UNKNOWN_EPOCH';

export interface WarrantView {
  status: WarrantStatus;
  approvals: number;
  denials: number;
  threshold: number;
}

export interface BatchAnswer {
  accepted: string[];
  rejected: { position: number; reason: RejectReason }[];
}

export interface RequestView {
  state: RequestState;
  total: number;
  done: number;
  failed: number;
  error?: { code: string; message: string };
}

export interface Results {
  results: { envelopeId: string; plaintext: Uint8Array }[];
  failed: { envelopeId: string; reason: string }[];
}

// ## HTTP

export interface ClientOptions {
  /** The coordinator's base URL, e.g. http://127.0.0.1:8600 */
  coordinator: string;
  /** The investigator's bearer token. */
  token: string;
  /** Per-call timeout. */
  timeoutMs?: number;
}

export class InvestigatorClient {
  private readonly base: string;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.coordinator.replace(/\/+$/, '');
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = isObject(json) && isObject(json.error) ? json.error : {};
      throw new ServiceError(res.status, typeof e.code === 'string' ? e.code : 'HTTP_' + res.status, typeof e.message === 'string' ? e.message : text.slice(0, 200));
    }
    return { status: res.status, json };
  }

  /** POST /v1/warrants: 201 (200 when repeated) { warrantId, index }. */
  async submitWarrant(warrant: SignedWarrant, salt: string): Promise<{ warrantId: string; index: number; status: number }> {
    const { status, json } = await this.call('POST', '/v1/warrants', { warrant, salt });
    const j = expectShape<{ warrantId: string; index: number }>(isObject(json) && json.warrantId === warrant.id && isCount(json.index), 'warrant answer', json);
    return { warrantId: j.warrantId, index: j.index, status };
  }

  /** GET /v1/warrants/:id */
  async warrantStatus(id: string): Promise<WarrantView> {
    const { json } = await this.call('GET', `/v1/warrants/${encodeURIComponent(id)}`);
    const ok =
      isObject(json) &&
      ['pending', 'approved', 'denied', 'expired', 'revoked'].includes(json.status as string) &&
      isCount(json.approvals) &&
      isCount(json.denials) &&
      isCount(json.threshold);
    return expectShape<WarrantView>(ok, 'warrant status', json);
  }

  /** Polls the warrant until it leaves `pending`, or throws at the deadline. */
  async waitForWarrant(id: string, deadlineMs: number, intervalMs = 250): Promise<WarrantView> {
    return poll(() => this.warrantStatus(id), (v) => v.status !== 'pending', deadlineMs, intervalMs, `warrant ${id} still pending`);
  }

  /** POST /v1/requests: opens a draft. */
  async openRequest(warrantId: string): Promise<string> {
    const { json } = await this.call('POST', '/v1/requests', { warrantId });
    return expectShape<{ requestId: string }>(isObject(json) && typeof json.requestId === 'string', 'open answer', json).requestId;
  }

  /** POST /v1/requests/:id/envelopes: one batch (≤ 500). */
  async uploadBatch(requestId: string, envelopes: readonly unknown[]): Promise<BatchAnswer> {
    if (envelopes.length < 1 || envelopes.length > 500) throw new RangeError('a batch holds 1–500 envelopes');
    const { json } = await this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/envelopes`, { envelopes });
    const ok =
      isObject(json) &&
      Array.isArray(json.accepted) &&
      json.accepted.every(isHex32) &&
      Array.isArray(json.rejected) &&
      json.rejected.every((r) => isObject(r) && isCount(r.position) && (r.position as number) < envelopes.length && typeof r.reason === 'string');
    return expectShape<BatchAnswer>(ok, 'batch answer', json);
  }

  /**
   * Uploads every envelope in batches of `batchSize`; returns the accepted ids
   * in acceptance order (each once) and the rejections by overall position.
   */
  async uploadAll(requestId: string, envelopes: readonly unknown[], batchSize = 500): Promise<{ accepted: string[]; rejected: { position: number; reason: RejectReason }[] }> {
    const accepted: string[] = [];
    const seen = new Set<string>();
    const rejected: { position: number; reason: RejectReason }[] = [];
    for (let start = 0; start < envelopes.length; start += batchSize) {
      const a = await this.uploadBatch(requestId, envelopes.slice(start, start + batchSize));
      for (const id of a.accepted) {
        if (!seen.has(id)) accepted.push(id);
        seen.add(id);
      }
      for (const r of a.rejected) rejected.push({ position: start + r.position, reason: r.reason });
    }
    return { accepted, rejected };
  }

  /** POST /v1/requests/:id/submit: 202 { requestId, index }. */
  async submit(requestId: string, entry: DecryptionRequestEntry): Promise<{ requestId: string; index: number }> {
    const { json } = await this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/submit`, { entry });
    return expectShape(isObject(json) && json.requestId === requestId && isCount(json.index), 'submit answer', json);
  }

  /** GET /v1/requests/:id */
  async requestStatus(requestId: string): Promise<RequestView> {
    const { json } = await this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}`);
    const ok =
      isObject(json) &&
      ['draft', 'logged', 'cosigned', 'releasing', 'complete', 'failed'].includes(json.state as string) &&
      isCount(json.total) &&
      isCount(json.done) &&
      isCount(json.failed);
    return expectShape<RequestView>(ok, 'request status', json);
  }

  /** Polls until the request is complete or failed, or throws at the deadline. */
  async waitForRequest(requestId: string, deadlineMs: number, intervalMs = 250): Promise<RequestView> {
    return poll(() => this.requestStatus(requestId), (v) => v.state === 'complete' || v.state === 'failed', deadlineMs, intervalMs, `request ${requestId} not finished`);
  }

  /** GET /v1/requests/:id/results, each result opened with the investigator's secret key (docs/PROTOCOL.md §3.7); throws if one does not open. */
  async results(requestId: string, investigatorSecretKey: Uint8Array): Promise<Results> {
    const { json } = await this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}/results`);
    const ok =
      isObject(json) &&
      Array.isArray(json.results) &&
      json.results.every((r) => isObject(r) && isHex32(r.envelopeId) && isObject(r.sealed) && typeof r.sealed.E === 'string' && typeof r.sealed.nonce === 'string' && typeof r.sealed.ciphertext === 'string') &&
      Array.isArray(json.failed) &&
      json.failed.every((r) => isObject(r) && isHex32(r.envelopeId) && typeof r.reason === 'string');
    const j = expectShape<{ results: { envelopeId: string; sealed: { E: string; nonce: string; ciphertext: string } }[]; failed: Results['failed'] }>(ok, 'results', json);
    const results = j.results.map((r) => {
      const plaintext = I.openSealedResult(r.sealed, investigatorSecretKey, I.resultContext(requestId, r.envelopeId));
      if (!plaintext) throw new Error(`result ${r.envelopeId} does not open with the investigator key`);
      return { envelopeId: r.envelopeId, plaintext };
    });
    return { results, failed: j.failed };
  }

  /**
   * The whole investigator flow for an approved warrant: open a draft, upload
   * in batches, sign the entry over the accepted ids in acceptance order, submit.
   */
  async request(
    warrantId: string,
    envelopes: readonly { epoch: number }[],
    investigator: KeyPair,
    opts: { batchSize?: number; now?: () => number } = {},
  ): Promise<{ requestId: string; index: number; entry: DecryptionRequestEntry; accepted: string[]; rejected: { position: number; reason: RejectReason }[] }> {
    const requestId = await this.openRequest(warrantId);
    const { accepted, rejected } = await this.uploadAll(requestId, envelopes, opts.batchSize);
    const epochById = new Map<string, number>();
    for (const e of envelopes) {
      try {
        epochById.set(I.decodeEnvelope(e as I.Envelope).id, e.epoch);
      } catch {
        // Malformed envelopes were rejected by the coordinator and carry no id.
      }
    }
    const epochs = accepted.map((id) => {
      const e = epochById.get(id);
      if (e === undefined) throw new Error(`the coordinator accepted ${id}, which is none of ours`);
      return e;
    });
    const entry = signRequestEntry(
      { requestId, warrantId, envelopeIds: accepted, epochs, time: Math.floor((opts.now?.() ?? Date.now()) / 1000) },
      investigator,
    );
    const { index } = await this.submit(requestId, entry);
    return { requestId, index, entry, accepted, rejected };
  }
}

/** Calls `f` until `done` holds or `deadlineMs` has passed (then throws with the last value). */
export async function poll<T>(f: () => Promise<T>, done: (v: T) => boolean, deadlineMs: number, intervalMs: number, what: string): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: T | undefined;
  for (;;) {
    last = await f();
    if (done(last)) return last;
    if (Date.now() > end) throw new Error(`${what} after ${deadlineMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
