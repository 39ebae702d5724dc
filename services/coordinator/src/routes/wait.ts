/** Query fields of the long-polling status calls (docs/PROTOCOL.md §7.7 `?wait=`). Query values are attacker-controlled text. */
import { z } from 'zod';
import { MAX_WAIT_MS } from '../actions/changes';

/** Milliseconds to wait for a change: a canonical decimal, capped at MAX_WAIT_MS. */
export const WaitMs = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,8})$/, 'wait must be a whole number of milliseconds')
  .transform((v) => Math.min(Number(v), MAX_WAIT_MS));

/** A count the caller last saw, kept as text (compared as text). */
export const Count = z.string().regex(/^(0|[1-9][0-9]{0,8})$/, 'must be a whole number');
