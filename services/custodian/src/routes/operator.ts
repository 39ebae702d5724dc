/** Operator API (bearer token; docs/PROTOCOL.md §7.13). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { bytesToHex } from '@custodes/shared/crypto';
import { Uuid } from '@custodes/shared/records';
import { bearerToken, parseBody } from '@custodes/shared/service';
import type { Context } from '../context';
import { CustodianError } from '../errors';
import { releaseHistory, unloggedReleases } from '../release';
import { decide, queue, showWarrant } from '../review';

const ApproveBody = z.object({ reason: z.string().min(1).max(1024).optional() }).strict();
const DenyBody = z.object({ reason: z.string().min(1).max(1024) }).strict();

/** Checks `Authorization: Bearer <token>` against the stored SHA-256. */
export function operatorAuth(ctx: Context): RequestHandler {
  const expected = Buffer.from(ctx.node.tokenHash, 'hex');
  return (req, _res, next) => {
    const token = bearerToken(req);
    const given = token ? createHash('sha256').update(token, 'utf8').digest() : Buffer.alloc(expected.length);
    if (!token || !timingSafeEqual(given, expected)) return next(new CustodianError('UNAUTHENTICATED', 'operator token required'));
    next();
  };
}

function warrantId(raw: unknown): string {
  const r = Uuid.safeParse(raw);
  if (!r.success) throw new CustodianError('UNKNOWN_WARRANT', 'warrant ids are UUIDs');
  return r.data;
}

export function operatorRoutes(ctx: Context, operator: RequestHandler): Router {
  const r = Router();
  r.use('/v1/operator', operator);
  r.get('/v1/operator/queue', (_req, res) => {
    res.json({ warrants: queue(ctx) });
  });
  r.get('/v1/operator/warrants/:id', (req, res) => {
    res.json(showWarrant(ctx, warrantId(req.params.id)));
  });
  r.post('/v1/operator/warrants/:id/approve', (req, res) => {
    const { reason } = parseBody(ApproveBody, req.body ?? {});
    res.json(decide(ctx, warrantId(req.params.id), 'approve', reason, 'operator'));
  });
  r.post('/v1/operator/warrants/:id/deny', (req, res) => {
    const { reason } = parseBody(DenyBody, req.body ?? {});
    res.json(decide(ctx, warrantId(req.params.id), 'deny', reason, 'operator'));
  });
  r.get('/v1/operator/releases', (_req, res) => {
    // `unlogged`: this node's releases its replica has not yet seen logged; an overdue one stops new releases (release.ts).
    res.json({ releases: releaseHistory(ctx), unlogged: unloggedReleases(ctx), releaseLogDeadlineMs: ctx.releaseLogDeadlineMs });
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
