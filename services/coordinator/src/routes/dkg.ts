/**
 * `POST /v1/dkg/sessions` and `GET /v1/dkg/sessions/:id` (docs/PROTOCOL.md §3.8,
 * §7.15). Starting a session needs the `Custodes-Dkg-Start` header signed by
 * the log key (the operator of this coordinator), checked before anything
 * else; there is no body. The session runs in the background.
 */
import { Router } from 'express';
import { decodeDkgStart, DKG_START_HEADER, Uuid, verifyDkgStart } from '@custodes/shared/records';
import type { Context } from '../context';
import { fail } from '../errors';

/** How far `issuedAt` may be from this coordinator's clock, seconds. */
const START_WINDOW_SECONDS = 300;

export function dkgRoutes(ctx: Context): Router {
  const r = Router();
  r.post('/v1/dkg/sessions', (req, res) => {
    const start = decodeDkgStart(req.get(DKG_START_HEADER));
    if (!start) fail('UNAUTHENTICATED', 'starting a DKG needs the Custodes-Dkg-Start header signed by the log key');
    if (Math.abs(start.issuedAt - ctx.now()) > START_WINDOW_SECONDS) fail('UNAUTHENTICATED', 'the Custodes-Dkg-Start header is outside the clock window');
    if (!verifyDkgStart(start, ctx.registry().entry.logKey)) fail('UNAUTHENTICATED', 'the Custodes-Dkg-Start header is not signed by the log key');
    const { session } = ctx.dkg.start(start.epoch);
    res.status(202).json({ session, epoch: start.epoch });
  });
  r.get('/v1/dkg/sessions/:id', (req, res) => {
    const id = Uuid.safeParse(req.params.id);
    const state = id.success ? ctx.dkg.session(id.data) : undefined;
    if (!state) fail('NOT_FOUND', 'no such DKG session at this coordinator');
    res.json(state);
  });
  return r;
}
