/**
 * Distributed key generation at this node (docs/PROTOCOL.md §3.8, §7.15):
 * `POST /v1/dkg`, the coordinator's call for this node's next step (the signed
 * `Custodes-Dkg-Call` header is the whole request: no body), and the operator's
 * consent, recovery and status under `/v1/operator/dkg` (§7.13).
 */
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { decodeDkgCall, DKG_CALL_HEADER, Epoch, verifyDkgCall } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from './bodies';
import type { Context } from '../context';
import { nowSeconds } from '../context';
import { adoptShare, consentToDkg, dkgStep, ensureHostKey } from '../dkg';
import { dkgStatus } from '../dkgStatus';
import { CustodianError } from '../errors';
import type { Actor } from '../officers';
import { currentRegistry } from '../replica';

const EpochBody = z.object({ epoch: Epoch }).strict();

/** The call's cheap checks (well-formed, for this node, fresh), then the log key's signature. */
function authenticateDkgCall(ctx: Context, header: string | undefined) {
  const call = decodeDkgCall(header);
  if (!call) throw new CustodianError('UNAUTHENTICATED', "POST /v1/dkg needs the coordinator's signed Custodes-Dkg-Call header");
  if (call.custodian !== ctx.node.custodian) throw new CustodianError('WRONG_CUSTODIAN', `the call is for custodian ${call.custodian}, this is custodian ${ctx.node.custodian}`);
  if (Math.abs(call.issuedAt - nowSeconds(ctx)) > ctx.callWindowSeconds) throw new CustodianError('STALE_CALL', 'the DKG call is outside the clock window');
  const logKey = currentRegistry(ctx.store)?.entry.logKey;
  if (logKey === undefined || !verifyDkgCall(call, logKey)) throw new CustodianError('BAD_CALL_SIGNATURE', 'the DKG call is not signed by the log key');
  return call;
}

const requireOperator: RequestHandler = (_req, res, next) => {
  const actor = res.locals.actor as Actor; // set by operatorAuth, which guards /v1/operator/dkg
  if (actor.kind !== 'operator') return next(new CustodianError('OPERATOR_REQUIRED', `officer ${actor.name} cannot consent to a key generation: only the node's operator token does`));
  next();
};

export function dkgRoutes(ctx: Context, operator: RequestHandler): Router {
  const r = Router();
  r.post('/v1/dkg', (req, res) => {
    const call = authenticateDkgCall(ctx, req.get(DKG_CALL_HEADER));
    res.json(dkgStep(ctx, call.epoch, call.session));
  });
  r.use('/v1/operator/dkg', operator);
  r.get('/v1/operator/dkg', (_req, res) => {
    res.json(dkgStatus(ctx));
  });
  // `custodes custodian dkg hostkey`: a node without a host key makes one, sealed with its secrets; it never leaves the node.
  r.post('/v1/operator/dkg/hostkey', (_req, res) => {
    res.json({ hostKey: ensureHostKey(ctx) });
  });
  // The node's operator consents (§7.15): an officer's token decides warrants under four-eyes, but does not
  // commit the node to a key generation. Refused before the body is read.
  r.post('/v1/operator/dkg/consent', requireOperator, jsonBody(BODIES.dkg), (req, res) => {
    const { epoch } = parseBody(EpochBody, req.body);
    res.json(consentToDkg(ctx, epoch, 'operator'));
  });
  r.post('/v1/operator/dkg/recover', jsonBody(BODIES.dkg), (req, res) => {
    const { epoch } = parseBody(EpochBody, req.body);
    const active = adoptShare(ctx, epoch);
    if (!active) throw new CustodianError('DKG_UNKNOWN_EPOCH', `this node's replica holds no epoch entry for epoch ${epoch}`);
    res.json(active);
  });
  return r;
}
