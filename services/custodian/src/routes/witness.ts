/** `POST /witness/v1/add-checkpoint` (C2SP tlog-witness; docs/SERVICES.md). */
import { Router } from 'express';
import express from 'express';
import { HttpError } from '@custodes/shared/service';
import { WitnessRefused } from '../witness';
import type { Witness } from '../witness';

export function witnessRoutes(witness: Witness): Router {
  const r = Router();
  r.post('/witness/v1/add-checkpoint', express.text({ type: () => true, limit: '128kb' }), async (req, res) => {
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
  return r;
}
