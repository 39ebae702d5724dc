/** `POST /v1/records` (approvals, releases, revocations, retirements) and `POST /v1/unseals` (docs/PROTOCOL.md §7.4). */
import { Router } from 'express';
import { z } from 'zod';
import { ApprovalEntrySchema, Hex32, ReleaseEntrySchema, RetiredEntrySchema, RevocationEntrySchema, SignedWarrantSchema, Uuid } from '@custodes/shared/records';
import { jsonBody, parseBody } from '@custodes/shared/service';
import { BODIES } from '../config';
import type { Context } from '../context';
import { logRecord, unseal } from '../actions/logRecords';

const RecordBody = z.object({ entry: z.discriminatedUnion('type', [ApprovalEntrySchema, ReleaseEntrySchema, RevocationEntrySchema, RetiredEntrySchema]) }).strict();
export type RecordBody = z.infer<typeof RecordBody>;

const UnsealBody = z.object({ warrantId: Uuid, salt: Hex32, warrant: SignedWarrantSchema }).strict();
export type UnsealBody = z.infer<typeof UnsealBody>;

export function recordRoutes(ctx: Context): Router {
  const r = Router();
  // Signed records: anyone may post, the signature inside is checked after parsing; the body is bounded first.
  r.post('/v1/records', jsonBody(BODIES.records), async (req, res) => {
    const { entry } = parseBody(RecordBody, req.body);
    // Records arriving together (e.g. every custodian's approval) share one commit.
    const { index, fresh } = await ctx.commits.run(() => logRecord(ctx, entry));
    res.status(fresh ? 201 : 200).json({ index });
  });
  r.post('/v1/unseals', jsonBody(BODIES.warrant), (req, res) => {
    const body = parseBody(UnsealBody, req.body);
    const { index, fresh } = unseal(ctx, body);
    res.status(fresh ? 201 : 200).json({ index });
  });
  return r;
}
