/** Investigator decryption-request calls (docs/PROTOCOL.md §7.6). */
import { Router } from 'express';
import { z } from 'zod';
import { DecryptionRequestEntrySchema, Uuid } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from '../config';
import type { Context } from '../context';
import { addEnvelopes, MAX_BATCH, openRequest, requestInOneCall, requestProgress, requestResults, submitRequest } from '../actions/requests';
import type { RequestProgress, RequestResults } from '../actions/requests';
import type { InvestigatorIdentity } from '../rules/warrantChecks';
import { CoordinatorError } from '../errors';
import { caller, investigatorAuth } from './auth';
import { waitForChange } from '../actions/changes';
import { Count, WaitMs } from './wait';

const OpenBody = z.object({ warrantId: Uuid }).strict();
export type OpenBody = z.infer<typeof OpenBody>;
/** Each envelope is attacker-controlled and screened on its own (MALFORMED and so on). */
const Envelopes = z.array(z.unknown()).min(1).max(MAX_BATCH);
const BatchBody = z.object({ envelopes: Envelopes }).strict();
export type BatchBody = z.infer<typeof BatchBody>;
/** Open, one batch and submit in one call; the id in lowercase, as the coordinator's own ids are (one spelling per request). */
const OneCallBody = z
  .object({
    warrantId: Uuid,
    requestId: Uuid.regex(/^[0-9a-f-]+$/, 'expected a lowercase UUID'),
    envelopes: Envelopes,
    entry: DecryptionRequestEntrySchema,
  })
  .strict();
export type OneCallBody = z.infer<typeof OneCallBody>;
const SubmitBody = z.object({ entry: DecryptionRequestEntrySchema }).strict();
export type SubmitBody = z.infer<typeof SubmitBody>;
/**
 * `?wait=<ms>` long-polls; `state`, `done`, `failed` are what the caller last
 * saw (docs/PROTOCOL.md §7.7); `results=1` asks for the sealed results in a
 * `complete` answer, sparing the investigator a round trip (§7.6, §5.1).
 */
const RequestWaitQuery = z
  .object({ wait: WaitMs.optional(), results: z.literal('1').optional(), state: z.string().max(16).optional(), done: Count.optional(), failed: Count.optional() })
  .strict();
export type RequestWaitQuery = z.infer<typeof RequestWaitQuery>;

/** A body naming more than `warrantId` asks for the one-call form (and is held to its schema). */
function isOneCall(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return ['requestId', 'envelopes', 'entry'].some((k) => Object.hasOwn(body, k));
}

/**
 * A progress answer with the request's sealed results once it is complete
 * (as `GET …/results` gives them); without them before, after a failure, or
 * once purged (`results` is then absent and `GET …/results` says why).
 */
function withResults(ctx: Context, who: InvestigatorIdentity, id: string, answer: RequestProgress): RequestProgress & { results?: RequestResults } {
  if (answer.state !== 'complete') return answer;
  try {
    return { ...answer, results: requestResults(ctx, who, id) };
  } catch (err) {
    if (err instanceof CoordinatorError && (err.code === 'PURGED' || err.code === 'NOT_READY')) return answer;
    throw err;
  }
}

export function requestRoutes(ctx: Context): Router {
  const r = Router();
  // The token first: an unauthenticated caller gets 401 before any body is read (config.ts BODIES).
  r.use('/v1/requests', investigatorAuth(ctx));
  r.post('/v1/requests', jsonBody(BODIES.envelopes), async (req, res) => {
    if (isOneCall(req.body)) {
      const call = parseBody(OneCallBody, req.body);
      return void res.status(202).json(await requestInOneCall(ctx, caller(res), call));
    }
    const { warrantId } = parseBody(OpenBody, req.body);
    res.status(201).json(openRequest(ctx, caller(res), warrantId));
  });
  r.post('/v1/requests/:id/envelopes', jsonBody(BODIES.envelopes), async (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    const { envelopes } = parseBody(BatchBody, req.body);
    res.json(await addEnvelopes(ctx, caller(res), id, envelopes));
  });
  r.post('/v1/requests/:id/submit', jsonBody(BODIES.submit), (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    const { entry } = parseBody(SubmitBody, req.body);
    res.status(202).json(submitRequest(ctx, caller(res), id, entry));
  });
  r.get('/v1/requests/:id', async (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    const { wait, results, ...seen } = parseBody(RequestWaitQuery, req.query, 'query');
    const who = caller(res);
    const view = () => requestProgress(ctx, who, id);
    let answer = view(); // 404/403 before waiting
    if (wait !== undefined) answer = await waitForChange(ctx.changes, view, seen, wait, () => res.destroyed);
    if (results === undefined) return void res.json(answer);
    res.set('cache-control', 'no-store');
    res.json(withResults(ctx, who, id, answer));
  });
  r.get('/v1/requests/:id/results', (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    res.set('cache-control', 'no-store');
    res.json(requestResults(ctx, caller(res), id));
  });
  return r;
}
