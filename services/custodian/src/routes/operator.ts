/** Operator API (bearer token; docs/PROTOCOL.md §7.13). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { bytesToHex } from '@custodes/shared/crypto';
import { Uuid } from '@custodes/shared/records';
import { bearerToken, jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from './bodies';
import type { Context } from '../context';
import { CustodianError } from '../errors';
import { releaseHistory, unloggedReleases } from '../release';
import { decideAs, officerStatus } from '../officers';
import type { Actor } from '../officers';
import { currentRegistry } from '../replica';
import { queue, showWarrant } from '../review';

const ApproveBody = z.object({ reason: z.string().min(1).max(1024).optional() }).strict();
const DenyBody = z.object({ reason: z.string().min(1).max(1024) }).strict();

/**
 * Checks `Authorization: Bearer <token>` against the stored SHA-256 of the
 * operator token (constant time), then of the officers' tokens (an indexed
 * lookup of the hash, §7.13 Officers); `res.locals.actor` says who it is.
 */
export function operatorAuth(ctx: Context): RequestHandler {
  const expected = Buffer.from(ctx.node.tokenHash, 'hex');
  return (req, res, next) => {
    const token = bearerToken(req);
    const given = token ? createHash('sha256').update(token, 'utf8').digest() : Buffer.alloc(expected.length);
    // Missing and wrong are told apart (the operator fixes different things); the token is never echoed.
    if (req.get('authorization') === undefined) return next(new CustodianError('UNAUTHENTICATED', 'an operator or officer token is required (Authorization: Bearer)'));
    if (token && timingSafeEqual(given, expected)) {
      res.locals.actor = { kind: 'operator' } satisfies Actor;
      return next();
    }
    const officer = token ? ctx.store.officerByToken(given.toString('hex')) : undefined;
    if (officer === undefined) return next(new CustodianError('UNAUTHENTICATED', 'the operator or officer token is not valid for this node'));
    res.locals.actor = { kind: 'officer', name: officer } satisfies Actor;
    next();
  };
}

const actorOf = (res: Response): Actor => res.locals.actor as Actor; // set by operatorAuth, which guards every route here

function warrantId(raw: unknown): string {
  const r = Uuid.safeParse(raw);
  if (!r.success) throw new CustodianError('UNKNOWN_WARRANT', 'warrant ids are UUIDs');
  return r.data;
}

export function operatorRoutes(ctx: Context, operator: RequestHandler): Router {
  const r = Router();
  // The token first: an unauthenticated caller gets 401 before any body is read.
  r.use('/v1/operator', operator);
  r.get('/v1/operator/queue', (_req, res) => {
    res.json({ warrants: queue(ctx) });
  });
  r.get('/v1/operator/whoami', (_req, res) => {
    const required = ctx.store.officerQuorum();
    res.json({ actor: actorOf(res), fourEyes: required === undefined ? null : { required, officers: ctx.store.officerNames() } });
  });
  r.get('/v1/operator/warrants/:id', (req, res) => {
    const id = warrantId(req.params.id);
    const officers = officerStatus(ctx, id);
    res.json({ ...showWarrant(ctx, id), ...(officers ? { officers } : {}) });
  });
  r.post('/v1/operator/warrants/:id/approve', jsonBody(BODIES.decision), (req, res) => {
    const { reason } = parseBody(ApproveBody, req.body ?? {});
    res.json(decideAs(ctx, actorOf(res), warrantId(req.params.id), 'approve', reason));
  });
  r.post('/v1/operator/warrants/:id/deny', jsonBody(BODIES.decision), (req, res) => {
    const { reason } = parseBody(DenyBody, req.body ?? {});
    res.json(decideAs(ctx, actorOf(res), warrantId(req.params.id), 'deny', reason));
  });
  // Names for ids (docs/PROTOCOL.md §7.13): the console shows "Demo District Court", not court-1.
  r.get('/v1/operator/names', (_req, res) => {
    const entry = currentRegistry(ctx.store)?.entry;
    const pairs = (list: readonly { id: string; name: string }[] | undefined) => Object.fromEntries((list ?? []).map((x) => [x.id, x.name]));
    const custodians = [...(entry?.epochs ?? [])].sort((a, b) => b.epoch - a.epoch)[0]?.custodians ?? []; // the newest epoch
    res.json({ courts: pairs(entry?.courts), agencies: pairs(entry?.agencies), custodians: Object.fromEntries(custodians.map((c) => [String(c.index), c.name])) });
  });
  r.get('/v1/operator/releases', (_req, res) => {
    // `unlogged`: this node's releases its replica has not yet seen logged; an overdue one stops new releases (release.ts).
    // Calls refused before they authenticated are counted, not listed (refusals.ts).
    res.json({ releases: releaseHistory(ctx), unlogged: unloggedReleases(ctx), releaseLogDeadlineMs: ctx.releaseLogDeadlineMs, unauthenticated: ctx.refusals.snapshot() });
  });
  r.get('/v1/operator/witness', (_req, res) => {
    const head = ctx.store.witness();
    res.json({
      checkpoint: head?.note ?? null,
      origin: head?.origin ?? null,
      size: head?.size ?? 0,
      root: head ? bytesToHex(head.root) : null,
      cosignedAt: head?.cosignedAt ?? null,
      replicaSize: ctx.store.entryCount(),
    });
  });
  return r;
}
