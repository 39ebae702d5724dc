/**
 * `GET /health` (docs/PROTOCOL.md §9.5, Health and metrics): no credential,
 * answered while sealed; 200 when the node can do its job, else 503, with
 * the same body either way.
 */
import { Router } from 'express';
import type { StorageMonitor } from '@custodes/shared/service';
import type { Context } from '../context';
import { custodianHealth } from '../health';
import type { LogHead } from '../health';

export function healthRoute(ctx: Context, storage: StorageMonitor, head: LogHead): Router {
  const r = Router();
  r.get('/health', (_req, res) => {
    const health = custodianHealth(ctx, storage, head);
    res.status(health.ok ? 200 : 503).json(health);
  });
  return r;
}
