/** Investigator warrant calls (docs/PROTOCOL.md §7.5): intake and status. */
import { Router } from 'express';
import { z } from 'zod';
import { Hex32, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from '../config';
import type { Context } from '../context';
import { waitForChange } from '../actions/changes';
import { ownWarrant, statusOf, submitWarrant } from '../actions/warrants';
import { Count, WaitMs } from './wait';
import { caller, investigatorAuth } from './auth';

const IntakeBody = z.object({ warrant: SignedWarrantSchema, salt: Hex32 }).strict();
export type IntakeBody = z.infer<typeof IntakeBody>;
/** `?wait=<ms>` long-polls; the other fields are what the caller last saw (docs/PROTOCOL.md §7.7). */
const WarrantWaitQuery = z
  .object({ wait: WaitMs.optional(), status: z.string().max(16).optional(), approvals: Count.optional(), denials: Count.optional() })
  .strict();
export type WarrantWaitQuery = z.infer<typeof WarrantWaitQuery>;

export function warrantRoutes(ctx: Context): Router {
  const r = Router();
  const auth = investigatorAuth(ctx);
  // The token first: an unauthenticated caller gets 401 before the body is read.
  r.post('/v1/warrants', auth, jsonBody(BODIES.warrant), (req, res) => {
    const { warrant, salt } = parseBody(IntakeBody, req.body);
    const { warrantId, index, fresh } = submitWarrant(ctx, caller(res), warrant, salt);
    res.status(fresh ? 201 : 200).json({ warrantId, index });
  });
  r.get('/v1/warrants/:id', auth, async (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'warrant id');
    const { wait, ...seen } = parseBody(WarrantWaitQuery, req.query, 'query');
    ownWarrant(ctx, caller(res), id);
    if (wait === undefined) return void res.json(statusOf(ctx, id));
    res.json(await waitForChange(ctx.changes, () => statusOf(ctx, id), seen, wait, () => res.destroyed));
  });
  return r;
}
