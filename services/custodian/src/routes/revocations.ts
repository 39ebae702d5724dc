/**
 * `POST /v1/revocations` (docs/PROTOCOL.md §7.14): a court- or
 * investigator-signed revocation posted to this node directly. No operator
 * token: the signature, checked against the replicated registry, is the authority.
 */
import { Router } from 'express';
import { z } from 'zod';
import { RevocationEntrySchema } from '@custodes/shared/records';
import { parseBody } from '@custodes/shared/service';
import type { Context } from '../context';
import { receiveRevocation } from '../revocation';

const RevocationBody = z.object({ entry: RevocationEntrySchema }).strict();

export function revocationRoutes(ctx: Context): Router {
  const r = Router();
  r.post('/v1/revocations', (req, res) => {
    const { entry } = parseBody(RevocationBody, req.body);
    res.json(receiveRevocation(ctx, entry));
  });
  return r;
}
