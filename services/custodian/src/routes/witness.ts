/**
 * `POST /witness/v1/add-checkpoint` (C2SP tlog-witness) and the public
 * `GET /witness/v1/checkpoint`: the last checkpoint this node cosigned, with the
 * log's signature and its own cosignature, for auditors' split-view checks
 * (docs/PROTOCOL.md §7.10); `POST /witness/v1/add-checkpoint-bundle`, the same with
 * the entries it adds.
 */
import express, { Router } from 'express';
import { CheckpointBundleSchema } from '@custodes/shared/records';
import { HttpError, jsonBody, parseBody } from '@custodes/shared/service';
import { ADD_CHECKPOINT_LIMIT, BODIES } from './bodies';
import { WitnessRefused } from '../witness';
import type { Witness } from '../witness';
import type { Context } from '../context';

export function witnessRoutes(ctx: Context, witness: Witness): Router {
  const r = Router();
  r.get('/witness/v1/checkpoint', (_req, res) => {
    const head = ctx.store.witness();
    if (!head) throw new HttpError(404, 'NO_CHECKPOINT', 'this node has not cosigned a checkpoint yet');
    res.type('text/plain; charset=utf-8').send(head.note);
  });
  r.post('/witness/v1/add-checkpoint', express.text({ type: () => true, limit: ADD_CHECKPOINT_LIMIT }), async (req, res) => {
    if (typeof req.body !== 'string') throw new HttpError(400, 'BAD_CHECKPOINT', 'body must be text');
    try {
      const line = await witness.add(req.body);
      res.type('text/plain; charset=utf-8').send(line);
    } catch (err) {
      if (err instanceof WitnessRefused && err.witnessSize !== undefined) {
        res.status(409).type('text/x.tlog.size').send(`${err.witnessSize}\n`);
        return;
      }
      throw err;
    }
  });
  // The same, with the entries it adds (docs/PROTOCOL.md §4.5, Checkpoint bundles): JSON in, `{ "cosignature" }` out.
  // Anyone may ask (the log signature and proofs inside are the checks), so the body is bounded and scanned first.
  r.post('/witness/v1/add-checkpoint-bundle', jsonBody(BODIES.bundle), async (req, res) => {
    const bundle = parseBody(CheckpointBundleSchema, req.body);
    res.json({ cosignature: await witness.add(bundle.addCheckpoint, bundle.entries) });
  });
  return r;
}
