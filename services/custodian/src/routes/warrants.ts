/** `POST /v1/warrants` (coordinator delivers a full warrant, optionally with the checkpoint that logs it) and `POST /v1/partials` (release, optionally with the checkpoint that logs the request). */
import { Router } from 'express';
import { z } from 'zod';
import { CheckpointBundleSchema, Hex32, PARTIALS_CALL_HEADER, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import type { PartialsCall } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from './bodies';
import { authenticateCall } from '../callAuth';
import type { Context } from '../context';
import { releasePartials } from '../release';
import { receiveWarrant, requireLogged } from '../review';
import type { Witness } from '../witness';

/** `checkpoint`: the coordinator's single-exchange delivery (docs/PROTOCOL.md §4.5, Checkpoint bundles). */
const WarrantBody = z.object({ warrant: SignedWarrantSchema, salt: Hex32, checkpoint: CheckpointBundleSchema.optional() }).strict();
/**
 * Envelopes are parsed strictly one by one in the domain (parseEnvelope).
 * `checkpoint`: the checkpoint that logs the request, witnessed before the
 * release in the same exchange (docs/PROTOCOL.md §4.6, §7.12).
 */
const PartialsBody = z.object({ requestId: Uuid, envelopes: z.array(z.unknown()).min(1).max(100_000), checkpoint: CheckpointBundleSchema.optional() }).strict();

export function warrantRoutes(ctx: Context, witness: Witness): Router {
  const r = Router();
  r.post('/v1/warrants', jsonBody(BODIES.warrant), async (req, res) => {
    const { warrant, salt, checkpoint } = parseBody(WarrantBody, req.body);
    if (!checkpoint) return void res.status(202).json(receiveWarrant(ctx, warrant, salt));
    // With a bundle: witness the checkpoint that logs the warrant (all of §4.3's
    // checks), so the replica holds its cover sheet, and review the warrant, in
    // one commit: a warrant that fails its review leaves nothing cosigned.
    // A warrant that neither the replica nor the checkpoint logs cannot pass its review:
    // refused before anything is stored or signed.
    const { cosignature, result } = await witness.addThen(
      checkpoint.addCheckpoint,
      checkpoint.entries,
      () => receiveWarrant(ctx, warrant, salt, true),
      (added) => requireLogged(ctx, warrant.id, added),
    );
    res.status(202).json({ ...result, cosignature });
  });
  // The call authorisation (header) is checked before the body is read: an
  // unauthenticated caller never gets the node to buffer or parse 64 MB.
  r.post(
    '/v1/partials',
    (req, res, next) => {
      res.locals.call = authenticateCall(ctx, req.get(PARTIALS_CALL_HEADER));
      next();
    },
    jsonBody(BODIES.partials),
    async (req, res) => {
      const { requestId, envelopes, checkpoint } = parseBody(PartialsBody, req.body);
      // With a bundle: witness it first (all of §4.3's checks, one commit), so that rule (a)
      // finds the request in a checkpoint this node has cosigned; the release rules then run
      // unchanged. A witness refusal answers before anything is released. Without one, an
      // add-checkpoint already queued (the coordinator's background pass, sent just before)
      // is applied first, so it is not mistaken for a lagging replica (REQUEST_NOT_LOGGED).
      const cosignature = checkpoint ? await witness.add(checkpoint.addCheckpoint, checkpoint.entries) : (await witness.idle(), undefined);
      const answer = await releasePartials(ctx, res.locals.call as PartialsCall, requestId, envelopes);
      res.json(cosignature === undefined ? answer : { ...answer, cosignature });
    },
  );
  return r;
}
