/**
 * The junk-input fuzzer (issue 7 item 1). It starts a real cluster in this
 * process (coordinator + five custodians on port 0, temporary directories),
 * seeds it with one real warrant and decryption so there is state to corrupt,
 * then sends N fast-check generated requests to every HTTP endpoint of every
 * service with bounded concurrency: wrong types, huge and deep bodies, bad
 * encodings, points off the curve, scalars ≥ n, and replays of real calls
 * (the logged request resubmitted, add-checkpoint with old notes, the real
 * approval posted twice, a custodian's already used `Custodes-Call` sent
 * again, which must be 401 REPLAYED_CALL). At the end it checks: no crash, no 5xx, no hang,
 * no 2xx without credentials, every service healthy, the log intact (the
 * auditor verifies it clean; the old entries byte-identical; the count grew
 * only by what was acknowledged as newly logged), and a fresh legitimate
 * decryption still works.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { verifyLog } from '@custodes/auditor';
import { parseEnvelope } from '@custodes/shared/crypto';
import { envelopeSetRoot, PARTIALS_CALL_HEADER, partialsCallHeader, signRecord } from '@custodes/shared/records';
import {
  api,
  decryptFlow,
  fetchLeaves,
  approvedWarrant,
  sealMany,
  settledSize,
  startInProcessCluster,
  waitFor,
} from './cluster';
import type { FlowResult, InProcessCluster } from './cluster';
import { checkLeaves, parseLeaves } from './integrity';
import { badAuth, badBase64, badHex, deepValue, junkValue, mutate, mutation, nastyNumber, nastyString, rawBody } from './junk';

// ## Requests

export interface FuzzRequest {
  /** 'coordinator' or 'custodian-<i>'. */
  service: string;
  /** Endpoint label for the histogram, e.g. `POST /v1/records`. */
  endpoint: string;
  method: string;
  path: string;
  contentType?: string;
  body?: Uint8Array | string;
  /** 'valid': a real credential; 'bad': none or a wrong one; 'none': the route takes none. */
  auth: 'valid' | 'bad' | 'none';
  authorization?: string;
  /**
   * POST /v1/partials: the `Custodes-Call` header to send, signed at send time
   * (it must be fresh) for this custodian by the log key ('log', a valid call),
   * by an investigator's key ('forged'), a valid call this custodian already
   * answered sent again ('replayed': 401 REPLAYED_CALL; forged until there is
   * one), or left out ('none').
   */
  call?: { custodian: number; signer: 'log' | 'forged' | 'replayed' | 'none' };
  /** How the body was made (for the report). */
  kind: string;
  /** The body must be refused with 413 (401 first without a valid credential). */
  oversize?: boolean;
  /** The body nests deeper than the route's schema: 400 TOO_DEEP (401 first without a valid credential, 413 if also oversize). */
  deep?: boolean;
  /** The route takes a credential (a bad one is refused before the body). */
  credentialed?: boolean;
}

interface Template {
  service: 'coordinator' | 'custodian';
  endpoint: string;
  method: 'GET' | 'POST';
  /** Path with `:id` (filled from `ids`) and, for GETs, a query built by `query`. */
  path: string;
  ids?: string[];
  query?: fc.Arbitrary<string>;
  body?: unknown;
  text?: fc.Arbitrary<string>;
  /** 'coordinator-call': the coordinator's signed call authorisation (docs/PROTOCOL.md §7.12, Call authorisation). */
  auth: 'investigator' | 'operator' | 'coordinator-call' | 'none';
  /** Never send the valid credential (e.g. POST /v1/seal would seal the node). */
  noValidAuth?: boolean;
  /** Body cap of this route in bytes (for oversize bodies; docs/PROTOCOL.md §8.9). */
  limit: number;
  /** Deepest nesting the route's schema has (JSON routes; deeper bodies must be 400 TOO_DEEP, never parsed). */
  maxDepth?: number;
  weight: number;
}

interface Seed {
  cluster: InProcessCluster;
  flow: FlowResult;
  draftId: string;
  notes: string[];
  entries: Record<string, unknown>[];
  consistency: Map<string, string[]>;
}

const KB = 1024;
const MB = 1024 * KB;

/** Undoes pct() where it can; junk stays as it is. */
function unpct(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Percent-encodes any string; lone surrogates become the CESU bytes ED A0 80 … (invalid UTF-8 in a URL, on purpose). */
function pct(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    let out = '';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xd800 && cp <= 0xdfff) out += `%${(0xe0 | (cp >> 12)).toString(16)}%${(0x80 | ((cp >> 6) & 0x3f)).toString(16)}%${(0x80 | (cp & 0x3f)).toString(16)}`.toUpperCase();
      else out += encodeURIComponent(ch);
    }
    return out;
  }
}

/** A query-string value: real-looking numbers, junk numbers, junk strings, repeats. */
function qv(real: number[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real.map(String)) },
    { weight: 2, arbitrary: fc.nat({ max: 5000 }).map(String) },
    { weight: 2, arbitrary: nastyNumber.map((n) => pct(String(n))) },
    { weight: 2, arbitrary: nastyString.map((s) => pct(s)) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '1%00', '01', '+1', '0x10', '1e3', '1.0', ' 1', '-0', '9007199254740993', '1&start=2') },
  );
}

function query(names: string[], real: number[]): fc.Arbitrary<string> {
  return fc
    .tuple(...names.map((n) => fc.option(qv(real).map((v) => `${n}=${v}`), { nil: undefined })), fc.option(fc.constantFrom(...names).chain((n) => qv(real).map((v) => `${n}=${v}`)), { nil: undefined }))
    .map((parts) => parts.filter((p): p is string => p !== undefined).join('&'))
    .map((q) => (q ? `?${q}` : ''));
}

function templates(seed: Seed): Template[] {
  const { flow, draftId, entries, cluster } = seed;
  const size = entries.length;
  const warrantId = flow.warrant.warrant.id;
  const approvals = entries.filter((e) => e.type === 'approval');
  const releases = entries.filter((e) => e.type === 'release');
  const request = entries.find((e) => e.type === 'decryption-request')!;
  const complete = entries.find((e) => e.type === 'decryption-complete')!;
  const registry = entries[0]!;
  const revocationBody = { type: 'revocation', warrantId, reason: 'fuzz', by: 'court', signer: cluster.court.publicKey, time: Math.floor(Date.now() / 1000) };
  // A revocation signed by the wrong key: refused, never logged.
  const revocation = { ...revocationBody, signature: signRecord(revocationBody as never, 'revocation', cluster.investigators.b.secretKey.replace(/^./, (c) => (c === '0' ? '1' : '0'))) };
  const reqIds = [flow.requestId, draftId, randomUUID()];
  const sizes = [0, 1, size - 1, size, size + 1, 1000, 1001];
  const addCheckpoint = fc
    .tuple(fc.constantFrom(...seed.notes), fc.constantFrom(...seed.notes), fc.nat({ max: 3 }), fc.boolean())
    .map(([oldNote, note, variant, withProof]) => {
      const oldSize = Number(oldNote.split('\n')[1]);
      const newSize = Number(note.split('\n')[1]);
      const proof = withProof ? (seed.consistency.get(`${oldSize}:${newSize}`) ?? []) : [];
      const lines = proof.map((p) => `${p}\n`).join('');
      switch (variant) {
        case 0:
          return `old ${oldSize}\n${lines}\n${note}`; // a real (possibly stale) checkpoint replayed
        case 1:
          return `old ${newSize}\n\n${note}`; // same size again
        case 2:
          return `old ${oldSize}\n${lines}\n${note.replace(/\n\n[\s\S]*$/, '\n\n— forged AAAA\n')}`; // signature lines swapped for junk
        default:
          return `old ${oldSize}\n${lines}\n${note.replace(/^([^\n]*\n)(\d+)/, (_m, o: string, s: string) => `${o}${Number(s) + 1}`)}`; // size edited under the signature
      }
    });
  const witnessText = fc.oneof(
    { weight: 4, arbitrary: addCheckpoint },
    { weight: 1, arbitrary: addCheckpoint.chain((b) => fc.tuple(fc.nat({ max: b.length }), nastyString).map(([at, s]) => b.slice(0, at) + s + b.slice(at))) },
    { weight: 1, arbitrary: fc.tuple(qv([0, 1, size]), fc.array(fc.oneof(badBase64, fc.base64String({ minLength: 44, maxLength: 44 })), { maxLength: 70 })).map(([o, ps]) => `old ${unpct(o)}\n${ps.join('\n')}\n\n${seed.notes[0]}`) },
    { weight: 1, arbitrary: nastyString },
  );
  const staleBundle = { addCheckpoint: `old 0\n\n${seed.notes[0]}`, entries: [] as string[] };
  const envelopes = flow.envelopes;
  const coordinator = (t: Omit<Template, 'service' | 'limit'> & { limit?: number }): Template => ({ service: 'coordinator', limit: MB, ...t });
  const custodian = (t: Omit<Template, 'service' | 'limit'> & { limit?: number }): Template => ({ service: 'custodian', limit: MB, ...t });
  return [
    // Coordinator: public read API (docs/PROTOCOL.md §4.4).
    coordinator({ endpoint: 'GET /health', method: 'GET', path: '/health', auth: 'none', weight: 1 }),
    coordinator({ endpoint: 'GET /log/v1/checkpoint', method: 'GET', path: '/log/v1/checkpoint', auth: 'none', weight: 1 }),
    coordinator({ endpoint: 'GET /log/v1/entries', method: 'GET', path: '/log/v1/entries', query: query(['start', 'end'], sizes), auth: 'none', weight: 4 }),
    coordinator({ endpoint: 'GET /log/v1/proof/inclusion', method: 'GET', path: '/log/v1/proof/inclusion', query: fc.oneof(query(['index', 'size'], sizes), fc.tuple(fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), badBase64, badHex), qv(sizes)).map(([h, s]) => `?hash=${pct(h)}&size=${s}`)), auth: 'none', weight: 4 }),
    coordinator({ endpoint: 'GET /log/v1/proof/consistency', method: 'GET', path: '/log/v1/proof/consistency', query: query(['from', 'to'], sizes), auth: 'none', weight: 4 }),
    coordinator({
      endpoint: 'GET /log/v1/tile',
      method: 'GET',
      path: '/log/v1/tile',
      query: fc.oneof(
        fc.tuple(fc.constantFrom('0', '1', '2', '3', '4', 'entries', 'x', '-1', '00', ''), fc.constantFrom('000', '001', 'x001/000', 'x000/x000/000', '0', '1', '999', '%2e%2e', '000.p/1', '000.p/255', '000.p/256', '000.p/0', '000.p/x', '000.p', 'x1/000'), fc.boolean()).map(([l, n, slash]) => `/${l}/${n}${slash ? '/' : ''}`),
        nastyString.map((s) => `/${pct(s)}`),
      ),
      auth: 'none',
      weight: 3,
    }),
    coordinator({ endpoint: 'GET /v1/registry', method: 'GET', path: '/v1/registry', auth: 'none', weight: 1 }),
    // Coordinator: docs/PROTOCOL.md §7.
    coordinator({ endpoint: 'POST /v1/registry', method: 'POST', path: '/v1/registry', body: { entry: registry }, auth: 'none', limit: MB, maxDepth: 6, weight: 3 }),
    coordinator({ endpoint: 'POST /v1/records', method: 'POST', path: '/v1/records', body: { entry: approvals[0] }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 3 }),
    coordinator({ endpoint: 'POST /v1/records (release)', method: 'POST', path: '/v1/records', body: { entry: releases[0] }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 2 }),
    coordinator({ endpoint: 'POST /v1/records (revocation)', method: 'POST', path: '/v1/records', body: { entry: revocation }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 2 }),
    coordinator({ endpoint: 'POST /v1/records (request)', method: 'POST', path: '/v1/records', body: { entry: request }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 1 }),
    coordinator({ endpoint: 'POST /v1/records (complete)', method: 'POST', path: '/v1/records', body: { entry: complete }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 1 }),
    coordinator({ endpoint: 'POST /v1/unseals', method: 'POST', path: '/v1/unseals', body: { warrantId, salt: flow.warrant.salt, warrant: flow.warrant.warrant }, auth: 'none', limit: MB, maxDepth: 4, weight: 2 }),
    coordinator({ endpoint: 'POST /v1/warrants', method: 'POST', path: '/v1/warrants', body: flow.warrant, auth: 'investigator', limit: MB, maxDepth: 4, weight: 4 }),
    coordinator({ endpoint: 'GET /v1/warrants/:id', method: 'GET', path: '/v1/warrants/:id', ids: [warrantId], auth: 'investigator', weight: 2 }),
    coordinator({ endpoint: 'POST /v1/requests', method: 'POST', path: '/v1/requests', body: { warrantId }, auth: 'investigator', limit: 8 * MB, maxDepth: 4, weight: 2 }),
    // The one-call form, as the seeded request would be sent in it: a replay is a repeat (202, nothing new logged).
    coordinator({
      endpoint: 'POST /v1/requests (one call)',
      method: 'POST',
      path: '/v1/requests',
      body: { warrantId, requestId: flow.requestId, envelopes, entry: flow.submitted.entry },
      auth: 'investigator',
      limit: 8 * MB,
      maxDepth: 4,
      weight: 4,
    }),
    coordinator({ endpoint: 'POST /v1/requests/:id/envelopes', method: 'POST', path: '/v1/requests/:id/envelopes', ids: reqIds, body: { envelopes }, auth: 'investigator', limit: 8 * MB, maxDepth: 4, weight: 4 }),
    coordinator({ endpoint: 'POST /v1/requests/:id/submit', method: 'POST', path: '/v1/requests/:id/submit', ids: reqIds, body: flow.submitted, auth: 'investigator', limit: 4 * KB, maxDepth: 3, weight: 4 }),
    coordinator({ endpoint: 'GET /v1/requests/:id', method: 'GET', path: '/v1/requests/:id', ids: reqIds, auth: 'investigator', weight: 2 }),
    coordinator({ endpoint: 'GET /v1/requests/:id/results', method: 'GET', path: '/v1/requests/:id/results', ids: reqIds, auth: 'investigator', weight: 2 }),
    coordinator({ endpoint: 'POST (no route)', method: 'POST', path: '/v1/nope/:id', ids: ['x'], body: {}, auth: 'none', limit: Infinity, weight: 1 }),
    // Custodians: every route of docs/PROTOCOL.md §7.
    custodian({ endpoint: 'GET /health', method: 'GET', path: '/health', auth: 'none', weight: 1 }),
    custodian({ endpoint: 'GET /v1/seal', method: 'GET', path: '/v1/seal', auth: 'none', weight: 1 }),
    custodian({ endpoint: 'POST /v1/unseal', method: 'POST', path: '/v1/unseal', body: { key: 'AAAA' }, auth: 'none', limit: 2 * KB, maxDepth: 1, weight: 2 }),
    custodian({ endpoint: 'POST /v1/seal', method: 'POST', path: '/v1/seal', body: {}, auth: 'operator', noValidAuth: true, limit: Infinity, weight: 1 }),
    custodian({ endpoint: 'POST /witness/v1/add-checkpoint', method: 'POST', path: '/witness/v1/add-checkpoint', text: witnessText, auth: 'none', limit: 128 * 1024, weight: 6 }),
    custodian({ endpoint: 'GET /witness/v1/checkpoint', method: 'GET', path: '/witness/v1/checkpoint', auth: 'none', weight: 1 }),
    // Checkpoint bundles (docs/PROTOCOL.md §4.5): a real but stale checkpoint, mutated by the fuzzer like every JSON body.
    custodian({ endpoint: 'POST /witness/v1/add-checkpoint-bundle', method: 'POST', path: '/witness/v1/add-checkpoint-bundle', body: staleBundle, auth: 'none', limit: MB, maxDepth: 2, weight: 3 }),
    custodian({ endpoint: 'POST /v1/warrants', method: 'POST', path: '/v1/warrants', body: flow.warrant, auth: 'none', limit: 2 * MB, maxDepth: 4, weight: 4 }),
    custodian({ endpoint: 'POST /v1/revocations', method: 'POST', path: '/v1/revocations', body: { entry: revocation }, auth: 'none', limit: 16 * KB, maxDepth: 2, weight: 2 }),
    custodian({ endpoint: 'POST /v1/warrants (bundle)', method: 'POST', path: '/v1/warrants', body: { ...flow.warrant, checkpoint: staleBundle }, auth: 'none', limit: 2 * MB, maxDepth: 4, weight: 2 }),
    custodian({ endpoint: 'POST /v1/partials', method: 'POST', path: '/v1/partials', body: { requestId: flow.requestId, envelopes }, auth: 'coordinator-call', limit: 64 * MB, maxDepth: 4, weight: 5 }),
    custodian({ endpoint: 'GET /v1/operator/queue', method: 'GET', path: '/v1/operator/queue', auth: 'operator', weight: 1 }),
    custodian({ endpoint: 'GET /v1/operator/warrants/:id', method: 'GET', path: '/v1/operator/warrants/:id', ids: [warrantId], auth: 'operator', weight: 1 }),
    custodian({ endpoint: 'POST /v1/operator/warrants/:id/approve', method: 'POST', path: '/v1/operator/warrants/:id/approve', ids: [warrantId], body: { reason: 'ok' }, auth: 'operator', limit: 8 * KB, maxDepth: 1, weight: 3 }),
    custodian({ endpoint: 'POST /v1/operator/warrants/:id/deny', method: 'POST', path: '/v1/operator/warrants/:id/deny', ids: [warrantId], body: { reason: 'no' }, auth: 'operator', limit: 8 * KB, maxDepth: 1, weight: 2 }),
    custodian({ endpoint: 'GET /v1/operator/releases', method: 'GET', path: '/v1/operator/releases', auth: 'operator', weight: 1 }),
    custodian({ endpoint: 'GET /v1/operator/witness', method: 'GET', path: '/v1/operator/witness', auth: 'operator', weight: 1 }),
  ];
}

const idJunk = fc.oneof(
  nastyString.map((s) => pct(s)),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2e%2e%2f', 'a'.repeat(5000), '%00', '🙂', '%F0%9F%99%82', 'x/y'),
);

/** One fuzz request for template `t`. */
function requestFor(t: Template, seed: Seed): fc.Arbitrary<FuzzRequest> {
  const nodes = seed.cluster.nodes;
  const target = t.service === 'coordinator' ? fc.constant(0) : fc.integer({ min: 1, max: nodes.length });
  const id = t.ids ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...t.ids) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 2, arbitrary: idJunk }) : fc.constant('');
  const suffix = t.query ?? fc.constant('');
  const authChoice: fc.Arbitrary<'valid' | 'bad'> = t.auth === 'none' ? fc.constant('bad') : t.noValidAuth ? fc.constant('bad') : fc.constantFrom<'valid' | 'bad'>('valid', 'valid', 'bad');
  type Body = { kind: string; body?: Uint8Array | string; type?: string; oversize?: boolean; deep?: boolean };
  let body: fc.Arbitrary<Body>;
  if (t.method === 'GET') body = fc.constant({ kind: 'none' });
  else if (t.text) {
    body = fc.oneof(
      { weight: 24, arbitrary: t.text.map((s) => ({ kind: 'text', body: s, type: 'text/plain' })) },
      { weight: 3, arbitrary: rawBody.map((r) => ({ kind: 'raw', body: r.bytes, type: r.type })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'oversize', body: 'old 0\n' + 'A'.repeat(t.limit + 1024), type: 'text/plain', oversize: true }) },
    );
  } else {
    const template = t.body;
    body = fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: 'replay', body: JSON.stringify(template), type: 'application/json' }) },
      { weight: 36, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ({ kind: 'mutated', body: JSON.stringify(mutate(template, ms)), type: 'application/json' })) },
      { weight: 6, arbitrary: junkValue.map((v) => ({ kind: 'wrong-type', body: JSON.stringify(v), type: 'application/json' })) },
      { weight: 9, arbitrary: rawBody.map((r) => ({ kind: 'raw', body: r.bytes, type: r.type })) },
      // Over the limit (not past 8 MB: a 64 MB partials body would be all this run sends; routes that read no body have none).
      ...(t.limit <= 8 * MB ? [{ weight: 1, arbitrary: fc.constant({ kind: 'oversize', body: oversizeJson(t.limit), type: 'application/json', oversize: true }) }] : []),
      ...(t.maxDepth === undefined ? [] : deepBodies(template, t.maxDepth, t.limit)),
    );
  }
  return fc.tuple(target, id, suffix, authChoice, badAuth, body, fc.boolean()).map(([i, idValue, q, authMode, bad, b, lowerMethod]) => {
    const service = i === 0 ? 'coordinator' : `custodian-${i}`;
    const path = t.path.replace(':id', idValue) + q;
    let authorization: string | undefined;
    let auth: FuzzRequest['auth'] = t.auth === 'none' ? 'none' : authMode;
    let callFor: FuzzRequest['call'];
    if (t.auth === 'investigator') authorization = authMode === 'valid' ? `Bearer ${seed.cluster.tokens.a}` : bad;
    else if (t.auth === 'coordinator-call') {
      callFor = { custodian: nodes[i - 1]!.index, signer: authMode === 'valid' ? 'log' : lowerMethod ? 'forged' : bad === undefined ? 'none' : 'replayed' };
    }
    else if (t.auth === 'operator') authorization = authMode === 'valid' ? `Bearer ${nodes[i - 1]!.operatorToken}` : bad;
    else if (bad !== undefined && lowerMethod) authorization = bad;
    if (t.auth !== 'none' && authMode === 'bad' && authorization === undefined) auth = 'bad';
    if (callFor) auth = callFor.signer === 'log' ? 'valid' : 'bad';
    return {
      service,
      credentialed: t.auth !== 'none',
      endpoint: `${t.service} ${t.endpoint}`,
      method: t.method,
      path,
      auth,
      kind: b.kind,
      ...(authorization !== undefined ? { authorization } : {}),
      ...(callFor ? { call: callFor } : {}),
      ...(b.body !== undefined ? { body: b.body } : {}),
      ...(b.type !== undefined ? { contentType: b.type } : {}),
      ...(b.oversize ? { oversize: true } : {}),
      ...(b.deep ? { deep: true } : {}),
    };
  });
}

/**
 * Bodies nested deeper than the route's schema (docs/PROTOCOL.md §8.9): the real
 * body with one value replaced by a value nested a little or a lot too deep,
 * bare `[[[[…` up to 6 MB (seconds of JSON.parse, were it reached), and deep
 * nesting past the limit. Each must be refused without being parsed.
 */
function deepBodies(template: unknown, maxDepth: number, limit: number): { weight: number; arbitrary: fc.Arbitrary<{ kind: string; body: string; type: string; deep: true; oversize?: boolean }> }[] {
  const huge = Math.min(6 * MB, limit);
  return [
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.nat())
        .map(([extra, kind, pick]) => ({ kind: 'deep', body: JSON.stringify(mutate(template, [{ op: 'set', pick, value: deepValue(maxDepth + extra, kind) }])), type: 'application/json', deep: true as const })),
    },
    { weight: 1, arbitrary: fc.constantFrom('[', '{"a":').map((open) => ({ kind: 'deep-huge', body: deepText(open, huge), type: 'application/json', deep: true as const })) },
    ...(limit <= 8 * MB ? [{ weight: 1, arbitrary: fc.constant({ kind: 'deep-oversize', body: deepText('[', limit + 1024), type: 'application/json', deep: true as const, oversize: true }) }] : []),
  ];
}

const deepCache = new Map<string, string>();
/** `open` repeated to `bytes` bytes (cached: the same few sizes recur). */
function deepText(open: string, bytes: number): string {
  const key = `${open}:${bytes}`;
  let s = deepCache.get(key);
  if (!s) {
    s = open.repeat(Math.ceil(bytes / open.length)).slice(0, bytes);
    deepCache.set(key, s);
  }
  return s;
}

const oversizeCache = new Map<number, string>();
function oversizeJson(limit: number): string {
  let s = oversizeCache.get(limit);
  if (!s) {
    s = `{"pad":"${'x'.repeat(limit + 1024)}"}`;
    oversizeCache.set(limit, s);
  }
  return s;
}

/** The weighted request arbitrary over every template. */
function requestArbitrary(seed: Seed): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...templates(seed).map((t) => ({ weight: t.weight, arbitrary: requestFor(t, seed) })));
}

// ## Running

export interface FuzzOptions {
  requests: number;
  concurrency?: number;
  seed?: number;
  /** Called every `progressEvery` requests. */
  onProgress?: (done: number, total: number, perSecond: number) => void;
  progressEvery?: number;
  say?: (line: string) => void;
}

export interface Failure {
  what: string;
  status?: number;
  request: { service: string; method: string; path: string; kind: string; auth: string; body?: string };
  answer?: string;
}

export interface FuzzReport {
  requests: number;
  seconds: number;
  perSecond: number;
  seed: number;
  statuses: Record<string, number>;
  byEndpoint: Record<string, Record<string, number>>;
  /** Requests sent again after a connection-level failure (then counted only if they failed again). */
  socketRetries: number;
  /** Where the time went: endpoint and body kind with the most total latency. */
  slowest: string[];
  failures: Failure[];
  crashes: string[];
  /** Error-level lines the services logged during the run (unexpected errors). */
  serviceErrors: string[];
  healthy: boolean;
  health: string[];
  log: { before: number; after: number; newlyLogged: number; promptedReleases: number; findings: string[]; integrity: string[]; prefixIntact: boolean; verifiedSize: number };
  finalDecryption: { ok: boolean; decrypted: number; error?: string };
}

/** Strips anything that looks like a credential and shortens the body for printing. */
function describe(r: FuzzRequest): Failure['request'] {
  let body: string | undefined;
  if (r.body !== undefined) {
    const text = typeof r.body === 'string' ? r.body : Buffer.from(r.body).toString('utf8');
    body = text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
  }
  return { service: r.service, method: r.method, path: r.path.length > 200 ? r.path.slice(0, 200) + '…' : r.path, kind: r.kind, auth: r.auth, ...(body !== undefined ? { body } : {}) };
}

const LOGGING_ROUTES = new Set(['/v1/records', '/v1/registry', '/v1/unseals', '/v1/warrants']);

async function seedCluster(cluster: InProcessCluster, say: (l: string) => void): Promise<Seed> {
  const url = cluster.coordinatorUrl;
  const notes = new Set<string>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const cp = await api(url, 'GET', '/log/v1/checkpoint').catch(() => undefined);
      if (cp?.status === 200) notes.add(cp.text);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  say('seeding: one warrant approved by the custodians, one decryption of 3 envelopes');
  const warrant = await approvedWarrant(url, cluster.court, cluster.investigators.a, cluster.tokens.a);
  const { envelopes, plaintexts } = sealMany(cluster.groupKey, 3, 'seed');
  const flow = await decryptFlow(url, cluster.investigators.a, cluster.tokens.a, warrant, envelopes, plaintexts);
  const size = await releasesSettled(cluster, flow.requestId);
  watching = false;
  await watcher;
  const cp = await api(url, 'GET', '/log/v1/checkpoint');
  notes.add(cp.text);
  const open = await api(url, 'POST', '/v1/requests', { warrantId: warrant.warrant.id }, cluster.tokens.a);
  if (open.status !== 201) throw new Error(`draft: ${open.status} ${open.text}`);
  const draftId = open.json.requestId as string;
  const leaves = await fetchLeaves(url, size);
  const noteList = [...notes].filter((n) => n.startsWith(cluster.registry.origin + '\n'));
  const consistency = new Map<string, string[]>();
  for (const a of noteList)
    for (const b of noteList) {
      const from = Number(a.split('\n')[1]);
      const to = Number(b.split('\n')[1]);
      if (from >= 1 && from < to) {
        const p = await api(url, 'GET', `/log/v1/proof/consistency?from=${from}&to=${to}`);
        if (p.status === 200) consistency.set(`${from}:${to}`, p.json.proof as string[]);
      }
    }
  say(`seeded: ${size} log entries, ${noteList.length} checkpoint notes captured, request ${flow.requestId} complete`);
  return { cluster, flow, draftId, notes: noteList, entries: parseLeaves(leaves), consistency };
}

/**
 * Waits until every custodian that served `requestId` has its release in the
 * log (custodians post releases from an outbox, after answering), so the
 * log's size is stable; returns it.
 */
async function releasesSettled(cluster: InProcessCluster, requestId: string): Promise<number> {
  const url = cluster.coordinatorUrl;
  let served = 0;
  for (const n of cluster.nodes) {
    const r = await api(n.url, 'GET', '/v1/operator/releases', undefined, n.operatorToken);
    if ((r.json?.releases as { requestId: string; outcome: string }[] | undefined)?.some((x) => x.requestId === requestId && x.outcome === 'served')) served++;
  }
  return waitFor('every release in the log', async () => {
    const size = await settledSize(url);
    const releases = parseLeaves(await fetchLeaves(url, size)).filter((e) => e.type === 'release' && e.requestId === requestId).length;
    return releases >= served ? size : undefined;
  });
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const say = options.say ?? (() => {});
  const concurrency = options.concurrency ?? 16;
  const seedValue = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const crashes: string[] = [];
  const onCrash = (kind: string) => (err: unknown) => crashes.push(`${kind}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  const onException = onCrash('uncaughtException');
  const onRejection = onCrash('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  say(`starting a coordinator and 5 custodians in-process (fast-check seed ${seedValue})`);
  const cluster = await startInProcessCluster({ rateLimitPerMinute: 1_000_000_000, custodian: { requestsPerMinute: 1_000_000_000 } });
  try {
    const seed = await seedCluster(cluster, say);
    const url = cluster.coordinatorUrl;
    const sizeBefore = seed.entries.length;
    const leavesBefore = await fetchLeaves(url, sizeBefore);
    const arb = requestArbitrary(seed);
    const seedRoot = envelopeSetRoot(seed.flow.envelopes.map((e) => parseEnvelope(e).id));
    const baseUrl = (service: string) => (service === 'coordinator' ? url : cluster.nodes[Number(service.split('-')[1]) - 1]!.url);

    const statuses: Record<string, number> = {};
    const byEndpoint: Record<string, Record<string, number>> = {};
    const failures: Failure[] = [];
    const slow: Record<string, number> = {};
    let newlyLogged = 0;
    let done = 0;
    let next = 0;
    const batch: FuzzRequest[] = [];
    let batchNo = 0;
    const take = (): FuzzRequest | undefined => {
      if (next >= options.requests) return undefined;
      if (batch.length === 0) batch.push(...fc.sample(arb, { numRuns: Math.min(500, options.requests - next), seed: seedValue + batchNo++ }));
      next++;
      return batch.shift();
    };
    const started = Date.now();
    const progressEvery = options.progressEvery ?? 5000;
    let socketRetries = 0;
    /** Per custodian, the last valid call it answered: a replay of it must be refused (one use per call). */
    const usedCalls = new Map<number, string>();
    const send = async (r: FuzzRequest, retried = false): Promise<void> => {
      const headers: Record<string, string> = {};
      if (r.contentType !== undefined && r.contentType !== '') headers['content-type'] = r.contentType;
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      const used = r.call?.signer === 'replayed' ? usedCalls.get(r.call.custodian) : undefined;
      if (used !== undefined) headers[PARTIALS_CALL_HEADER] = used;
      else if (r.call && r.call.signer !== 'none') {
        // Signed for the seeded request and its envelopes, now; the body may be mutated (CALL_MISMATCH).
        const key = r.call.signer === 'log' ? cluster.log.secretKey : cluster.investigators.a.secretKey;
        headers[PARTIALS_CALL_HEADER] = partialsCallHeader({ custodian: r.call.custodian, requestId: seed.flow.requestId, envelopeCount: seed.flow.envelopes.length, envelopeSetRoot: seedRoot, issuedAt: Math.floor(Date.now() / 1000) }, key);
      }
      let status: number | undefined;
      let text = '';
      const t0 = performance.now();
      try {
        const res = await fetch(baseUrl(r.service) + r.path, {
          method: r.method,
          headers,
          ...(r.body !== undefined ? { body: r.body } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        const name = (err as Error).name;
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const key = name === 'TimeoutError' ? 'timeout' : 'network-error';
        // A keep-alive socket the server closed just as the client reused it is the client's race, not the
        // service's fault: such a request is sent once more on a fresh connection before it counts.
        if (key === 'network-error' && !retried) {
          socketRetries++;
          return send(r, true);
        }
        statuses[key] = (statuses[key] ?? 0) + 1;
        failures.push({ what: key === 'timeout' ? 'no answer within 30 s (hang)' : `request failed twice: ${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})`, request: describe(r) });
        return;
      }
      // Answered (not rate-limited before its header was read): the node has used this call up.
      if (r.call?.signer === 'log' && status !== 429) usedCalls.set(r.call.custodian, headers[PARTIALS_CALL_HEADER]!);
      const key = String(status);
      const slowKey = `${r.endpoint} [${r.kind}]`;
      slow[slowKey] = (slow[slowKey] ?? 0) + (performance.now() - t0);
      statuses[key] = (statuses[key] ?? 0) + 1;
      const ep = (byEndpoint[r.endpoint] ??= {});
      ep[key] = (ep[key] ?? 0) + 1;
      if (status >= 500) failures.push({ what: '5xx', status, request: describe(r), answer: text.slice(0, 300) });
      else if (status >= 200 && status < 300 && r.auth === 'bad' && !r.endpoint.includes('GET /health')) failures.push({ what: '2xx without a valid credential', status, request: describe(r), answer: text.slice(0, 300) });
      // A junk path (no such route, bad percent-encoding) is refused before any route reads the body.
      else if ((r.oversize || r.deep) && (status === 404 || text.includes('"BAD_PATH"'))) {
        /* refused before the route: nothing read */
      } else if (r.credentialed && r.auth === 'bad' && (r.oversize || r.deep) && status !== 401) failures.push({ what: 'a body without a valid credential not refused 401 before it was read', status, request: describe(r), answer: text.slice(0, 300) });
      else if (r.oversize && !(r.credentialed && r.auth === 'bad') && status !== 413) failures.push({ what: 'oversize body not refused with 413', status, request: describe(r), answer: text.slice(0, 300) });
      else if (r.deep && !r.oversize && !(r.credentialed && r.auth === 'bad') && !(status === 400 && text.includes('"TOO_DEEP"'))) failures.push({ what: 'deep body not refused with 400 TOO_DEEP', status, request: describe(r), answer: text.slice(0, 300) });
      // A replayed call is refused as used, or as stale once its window has passed (long runs).
      else if (used !== undefined && !(status === 401 && /"code":"(REPLAYED_CALL|STALE_CALL)"/.test(text))) {
        failures.push({ what: 'replayed call not refused with 401 REPLAYED_CALL', status, request: describe(r), answer: text.slice(0, 300) });
      }
      if (status === 201 && r.service === 'coordinator' && r.method === 'POST' && LOGGING_ROUTES.has(r.path)) newlyLogged++;
    };
    const worker = async () => {
      for (let r = take(); r !== undefined; r = take()) {
        await send(r);
        done++;
        if (done % progressEvery === 0) options.onProgress?.(done, options.requests, done / ((Date.now() - started) / 1000));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (Date.now() - started) / 1000;
    say(`sent ${done} requests in ${seconds.toFixed(1)} s; checking health and the log`);

    // Health of every service.
    const health: string[] = [];
    let healthy = true;
    const c = await api(url, 'GET', '/health').catch((e: Error) => ({ status: 0, text: e.message, json: undefined }));
    health.push(`coordinator: ${c.status} ${c.text}`);
    if (c.status !== 200 || c.json?.ok !== true) healthy = false;
    for (const n of cluster.nodes) {
      const h = await api(n.url, 'GET', '/health').catch((e: Error) => ({ status: 0, text: e.message, json: undefined }));
      health.push(`custodian-${n.index}: ${h.status} ${h.text}`);
      if (h.status !== 200 || h.json?.ok !== true || h.json?.sealed !== false) healthy = false;
    }

    // The log: old entries unchanged, only acknowledged entries added, no duplicates, the auditor's verdict.
    const after = await settledSize(url);
    const leavesAfter = await fetchLeaves(url, after);
    const prefixIntact = leavesBefore.every((l, i) => Buffer.compare(Buffer.from(l), Buffer.from(leavesAfter[i] ?? new Uint8Array())) === 0);
    const integrity = checkLeaves(leavesAfter).problems;
    // A POST /v1/partials replaying the logged request (under a fresh valid call) makes a custodian that
    // the coordinator did not need serve it too, and that custodian logs its release (POST /v1/records
    // from its outbox): legitimate.
    const seededReleases = new Set(seed.entries.filter((e) => e.type === 'release').map((e) => Number(e.custodian)));
    const promptedReleases = parseLeaves(leavesAfter.slice(sizeBefore)).filter((e) => e.type === 'release' && e.requestId === seed.flow.requestId && !seededReleases.has(Number(e.custodian))).length;
    if (after !== sizeBefore + newlyLogged + promptedReleases)
      integrity.push(`log has ${after} entries; expected ${sizeBefore} + ${newlyLogged} acknowledged as newly logged + ${promptedReleases} releases prompted by replayed partials calls`);

    // A fresh legitimate decryption on the seeded warrant.
    let finalDecryption: FuzzReport['finalDecryption'];
    try {
      const { envelopes, plaintexts } = sealMany(cluster.groupKey, 3, 'final');
      const f = await decryptFlow(url, cluster.investigators.a, cluster.tokens.a, seed.flow.warrant, envelopes, plaintexts);
      await releasesSettled(cluster, f.requestId);
      finalDecryption = { ok: true, decrypted: f.decrypted };
    } catch (err) {
      finalDecryption = { ok: false, decrypted: 0, error: (err as Error).message };
    }
    const finalSize = await settledSize(url);
    await waitFor('every cosignature on the final checkpoint', async () => {
      const cp = await api(url, 'GET', '/log/v1/checkpoint');
      return cp.text.split('\n— ').length - 1 >= 1 + 3 ? true : undefined;
    });
    const verified = await verifyLog({ logUrl: url });
    const findings = verified.findings.map((f) => JSON.stringify(f));
    const finalIntegrity = checkLeaves(verified.leaves).problems;
    for (const p of finalIntegrity) if (!integrity.includes(p)) integrity.push(p);
    if (verified.size !== finalSize) findings.push(`auditor verified ${verified.size} entries of ${finalSize}`);
    return {
      requests: done,
      seconds,
      perSecond: done / seconds,
      seed: seedValue,
      statuses,
      byEndpoint,
      socketRetries,
      slowest: Object.entries(slow).sort(([, a], [, b]) => b - a).slice(0, 8).map(([k, ms]) => `${k}: ${(ms / 1000).toFixed(1)} s in total`),
      failures,
      crashes,
      serviceErrors: [...cluster.errors],
      healthy,
      health,
      log: { before: sizeBefore, after, newlyLogged, promptedReleases, findings, integrity, prefixIntact, verifiedSize: verified.size },
      finalDecryption,
    };
  } finally {
    await cluster.close();
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  }
}

/** True when the run found nothing wrong. */
export function fuzzPassed(r: FuzzReport): boolean {
  return r.failures.length === 0 && r.crashes.length === 0 && r.serviceErrors.length === 0 && r.healthy && r.log.findings.length === 0 && r.log.integrity.length === 0 && r.log.prefixIntact && r.finalDecryption.ok;
}

export function formatFuzzReport(r: FuzzReport): string {
  const lines: string[] = [];
  lines.push(`requests: ${r.requests} in ${r.seconds.toFixed(1)} s = ${r.perSecond.toFixed(0)} requests/s (seed ${r.seed})`);
  lines.push(`connection-level retries: ${r.socketRetries}`);
  lines.push(`status codes: ${Object.entries(r.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join('  ')}`);
  lines.push('by endpoint:');
  for (const [ep, h] of Object.entries(r.byEndpoint).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${ep.padEnd(58)} ${Object.entries(h).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  lines.push(`slowest (total latency): ${r.slowest.join('; ')}`);
  lines.push(`crashes: ${r.crashes.length}${r.crashes.length ? '\n  ' + r.crashes.slice(0, 10).join('\n  ') : ''}`);
  lines.push(`service error logs: ${r.serviceErrors.length}${r.serviceErrors.length ? '\n  ' + r.serviceErrors.slice(0, 10).map((l) => l.slice(0, 400)).join('\n  ') : ''}`);
  const fives = r.failures.filter((f) => f.what === '5xx').length;
  lines.push(`5xx: ${fives}; other failures: ${r.failures.length - fives}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`  ${f.what}${f.status ? ` (${f.status})` : ''}: ${JSON.stringify(f.request)}${f.answer ? ` → ${f.answer}` : ''}`);
  lines.push(`health: ${r.healthy ? 'every service healthy' : 'UNHEALTHY'}`);
  for (const h of r.health) lines.push(`  ${h}`);
  lines.push(`log: ${r.log.before} entries before, ${r.log.after} after (${r.log.newlyLogged} acknowledged as newly logged, ${r.log.promptedReleases} releases by custodians that served a replayed /v1/partials); old entries ${r.log.prefixIntact ? 'byte-identical' : 'CHANGED'}; auditor verified ${r.log.verifiedSize} entries with ${r.log.findings.length} findings; integrity problems: ${r.log.integrity.length}`);
  for (const f of [...r.log.findings, ...r.log.integrity].slice(0, 20)) lines.push(`  ${f}`);
  lines.push(`final legitimate decryption: ${r.finalDecryption.ok ? `ok (${r.finalDecryption.decrypted} envelopes)` : `FAILED: ${r.finalDecryption.error}`}`);
  lines.push(fuzzPassed(r) ? 'PASS' : 'FAIL');
  return lines.join('\n');
}

