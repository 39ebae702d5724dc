/** `POST /v1/warrants` (coordinator delivers a full warrant) and `POST /v1/partials` (release). */
import express, { Router } from 'express';
import { z } from 'zod';
import { Hex32, PARTIALS_CALL_HEADER, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import type { PartialsCall } from '@custodes/shared/records';
import { parseBody } from '@custodes/shared/service';
import { authenticateCall } from '../callAuth';
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
  // The call authorisation (header) is checked before the body is read: an
  // unauthenticated caller never gets the node to buffer or parse 64 MB.
  const bigJson = express.json({ limit: '64mb', strict: true });
  r.post(
    '/v1/partials',
    (req, res, next) => {
      res.locals.call = authenticateCall(ctx, req.get(PARTIALS_CALL_HEADER));
      next();
    },
    bigJson,
    (req, res) => {
      const { requestId, envelopes } = parseBody(PartialsBody, req.body);
      res.json(releasePartials(ctx, res.locals.call as PartialsCall, requestId, envelopes));
    },
  );
  return r;
}
