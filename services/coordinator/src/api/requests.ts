/** Investigator decryption-request calls (docs/SERVICES.md). */
import { Router } from 'express';
import { z } from 'zod';
import { DecryptionRequestEntrySchema, Uuid } from '@custodes/shared/records';
import { parseBody } from '@custodes/shared/service';
import type { Context } from '../context';
import { addEnvelopes, MAX_BATCH, openRequest, requestProgress, requestResults, submitRequest } from '../core/requests';
import { caller, investigatorAuth } from './auth';

const OpenBody = z.object({ warrantId: Uuid }).strict();
export type OpenBody = z.infer<typeof OpenBody>;
/** Each envelope is attacker-controlled and screened on its own (MALFORMED and so on). */
const BatchBody = z.object({ envelopes: z.array(z.unknown()).min(1).max(MAX_BATCH) }).strict();
export type BatchBody = z.infer<typeof BatchBody>;
const SubmitBody = z.object({ entry: DecryptionRequestEntrySchema }).strict();
export type SubmitBody = z.infer<typeof SubmitBody>;

export function requestRoutes(ctx: Context): Router {
  const r = Router();
  r.use('/v1/requests', investigatorAuth(ctx));
  r.post('/v1/requests', (req, res) => {
    const { warrantId } = parseBody(OpenBody, req.body);
    res.status(201).json(openRequest(ctx, caller(res), warrantId));
  });
  r.post('/v1/requests/:id/envelopes', async (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    const { envelopes } = parseBody(BatchBody, req.body);
    res.json(await addEnvelopes(ctx, caller(res), id, envelopes));
  });
  r.post('/v1/requests/:id/submit', (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    const { entry } = parseBody(SubmitBody, req.body);
    res.status(202).json(submitRequest(ctx, caller(res), id, entry));
  });
  r.get('/v1/requests/:id', (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    res.json(requestProgress(ctx, caller(res), id));
  });
  r.get('/v1/requests/:id/results', (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'request id');
    res.set('cache-control', 'no-store');
    res.json(requestResults(ctx, caller(res), id));
  });
  return r;
}
