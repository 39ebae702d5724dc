/** `GET /v1/registry` (docs/PROTOCOL.md §4.4) and `POST /v1/registry` (updates signed by t custodians). */
import { Router } from 'express';
import { z } from 'zod';
import { RegistryEntrySchema } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from '../config';
import type { Context } from '../context';
import { updateRegistry } from '../actions/logRecords';

const UpdateBody = z.object({ entry: RegistryEntrySchema }).strict();
export type UpdateBody = z.infer<typeof UpdateBody>;

export function registryRoutes(ctx: Context): Router {
  const r = Router();
  // The entry exactly as logged (its signatures verify; the explorer checks it against the log), and
  // beside it the proposed epochs that logged `epoch` entries activated (docs/PROTOCOL.md §3.8, §7.4).
  r.get('/v1/registry', (_req, res) => {
    const reg = ctx.registry();
    const latest = ctx.repo.latestRegistry()!;
    const logged = JSON.parse(latest.entryJson) as RegistryEntry;
    const activated = reg.entry.epochs
      .filter((e) => e.groupKey !== undefined && logged.epochs.find((x) => x.epoch === e.epoch)?.groupKey === undefined)
      .map((e) => ({ epoch: e.epoch, groupKey: e.groupKey!, commitments: e.commitments! }));
    res.json({ index: reg.index, entry: logged, activated });
  });
  // Anyone may post (the t custodians' signatures are the authorisation), so the body is all there is to bound.
  r.post('/v1/registry', jsonBody(BODIES.registry), (req, res) => {
    const { entry } = parseBody(UpdateBody, req.body);
    const { index, fresh } = updateRegistry(ctx, entry);
    res.status(fresh ? 201 : 200).json({ index });
  });
  return r;
}
