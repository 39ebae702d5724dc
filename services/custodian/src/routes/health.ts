/**
 * `GET /health` (docs/PROTOCOL.md §9.5, Health and metrics): no credential,
 * answered while sealed; 200 when the node can do its job, else 503, with
 * the same body either way. `?sealedok=1` answers a node that is only sealed
 * with 200 (as Vault's `sealedcode`): for the operator console, which is how
 * it gets unsealed, and for checks that only want the process up.
 */
import { Router } from 'express';
import type { StorageMonitor } from '@custodes/shared/service';
import type { Context } from '../context';
import { custodianHealth } from '../health';
import type { LogHead } from '../health';

export function healthRoute(ctx: Context, storage: StorageMonitor, head: LogHead): Router {
  const r = Router();
  r.get('/health', (req, res) => {
    const health = custodianHealth(ctx, storage, head);
    const sealedOk = req.query.sealedok === '1' && health.sealed && health.storage.state === 'ok';
    res.status(health.ok || sealedOk ? 200 : 503).json(health);
  });
  return r;
}
