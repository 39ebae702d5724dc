/**
 * `GET /v1/log/warrant/:id` (docs/PROTOCOL.md §7.3, "Warrant search"): the
 * log indices of one warrant's entries and of the registry entries, so that a reader fetches those
 * entries and their inclusion proofs instead of the whole log. Public, like
 * the rest of the read API; the answer is an index, not evidence: a reader
 * checks each entry's proof against a checkpoint and that each entry is the
 * warrant's (services/web/public/lib/search.js).
 */
import { Router } from 'express';
import { formatZodError, Uuid } from '@custodes/shared/records';
import { HttpError } from '@custodes/shared/service';
import type { Context } from '../context';
import { WarrantSearchQuery } from './logQuery';

function warrantSearchRoutes(ctx: Context): Router {
  const r = Router();
  r.get('/v1/log/warrant/:id', (req, res) => {
    const id = Uuid.safeParse(req.params.id);
    if (!id.success) throw new HttpError(400, 'BAD_REQUEST', 'warrant id: expected a lower-case UUID');
    const query = WarrantSearchQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'BAD_PARAMETER', formatZodError(query.error));
    // Every answer is about a published checkpoint (§7.3): nothing beyond the latest one.
    const published = ctx.store.latestCheckpoint();
    if (published === undefined) throw new HttpError(404, 'NO_CHECKPOINT', 'no checkpoint has been published yet');
    const size = query.data.size ?? published.size;
    if (size === 0) throw new HttpError(400, 'BAD_PARAMETER', 'size must be at least 1');
    if (size > published.size) throw new HttpError(404, 'BEYOND_TREE', `size ${size} exceeds the published tree size ${published.size}`);
    res.setHeader('Cache-Control', 'no-cache');
    // The registry entries too (few: genesis and its updates): a reader replays the warrant's rules from them (§5).
    res.json({ warrantId: id.data, size, indices: ctx.repo.warrantEntries(id.data, size), registry: ctx.repo.registryIndices(size) });
  });
  return r;
}

export { warrantSearchRoutes };
