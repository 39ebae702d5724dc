/** Seal routes: with /health (./health.ts), the only ones that answer while sealed (docs/PROTOCOL.md §3.6). */
import { Router } from 'express';
import { z } from 'zod';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from './bodies';
import type { Context } from '../context';
import type { RequestHandler } from 'express';

const UnsealBody = z.object({ key: z.string().max(200) }).strict();

export function healthAndSealRoutes(ctx: Context): Router {
  const r = Router();
  r.get('/v1/seal', (_req, res) => {
    res.json(ctx.vault.status());
  });
  r.post('/v1/unseal', jsonBody(BODIES.unseal), async (req, res) => {
    const { key } = parseBody(UnsealBody, req.body);
    const wasSealed = ctx.vault.sealed;
    try {
      const open = await ctx.vault.submit(key);
      if (open && wasSealed) ctx.log.info('node unsealed');
    } catch (err) {
      ctx.log.warn({ code: (err as { code?: unknown }).code }, 'unseal attempt refused');
      throw err;
    }
    res.json(ctx.vault.status());
  });
  return r;
}

/** Operator-only re-seal, mounted behind the sealed gate and operator auth. */
export function sealRoute(ctx: Context, operator: RequestHandler): Router {
  const r = Router();
  // No body is read: the call has none.
  r.post('/v1/seal', operator, (_req, res) => {
    ctx.vault.seal();
    ctx.log.info('node sealed by operator');
    res.json(ctx.vault.status());
  });
  return r;
}
