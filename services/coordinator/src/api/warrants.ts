/** Investigator warrant calls (docs/SERVICES.md): intake and status. */
import { Router } from 'express';
import { z } from 'zod';
import { Hex32, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import { parseBody } from '@custodes/shared/service';
import type { Context } from '../context';
import { ownWarrant, statusOf, submitWarrant } from '../core/warrants';
import { caller, investigatorAuth } from './auth';

const IntakeBody = z.object({ warrant: SignedWarrantSchema, salt: Hex32 }).strict();
export type IntakeBody = z.infer<typeof IntakeBody>;

export function warrantRoutes(ctx: Context): Router {
  const r = Router();
  const auth = investigatorAuth(ctx);
  r.post('/v1/warrants', auth, (req, res) => {
    const { warrant, salt } = parseBody(IntakeBody, req.body);
    const { warrantId, index, fresh } = submitWarrant(ctx, caller(res), warrant, salt);
    res.status(fresh ? 201 : 200).json({ warrantId, index });
  });
  r.get('/v1/warrants/:id', auth, (req, res) => {
    const id = parseBody(Uuid, req.params.id, 'warrant id');
    ownWarrant(ctx, caller(res), id);
    res.json(statusOf(ctx, id));
  });
  return r;
}
