/** `POST /v1/warrants` (coordinator delivers a full warrant) and `POST /v1/partials` (release). */
import { Router } from 'express';
import { z } from 'zod';
import { Hex32, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import { parseBody } from '@custodes/shared/service';
import type { Context } from '../context';
import { releasePartials } from '../release';
import { receiveWarrant } from '../review';

const WarrantBody = z.object({ warrant: SignedWarrantSchema, salt: Hex32 }).strict();
/** Envelopes are parsed strictly one by one in the domain (parseEnvelope). */
const PartialsBody = z.object({ requestId: Uuid, envelopes: z.array(z.unknown()).min(1).max(100_000) }).strict();

export function warrantRoutes(ctx: Context): Router {
  const r = Router();
  r.post('/v1/warrants', (req, res) => {
    const { warrant, salt } = parseBody(WarrantBody, req.body);
    res.status(202).json(receiveWarrant(ctx, warrant, salt));
  });
  r.post('/v1/partials', (req, res) => {
    const { requestId, envelopes } = parseBody(PartialsBody, req.body);
    res.json(releasePartials(ctx, requestId, envelopes));
  });
  return r;
}
