/**
 * Query schemas of the public read API (docs/PROTOCOL.md §4.4). Query strings are
 * attacker-controlled: integers must be canonical decimals (no sign, no
 * leading zeroes, no exponent) within 2^53 − 1; unknown or repeated
 * parameters are rejected.
 */
import { z } from 'zod';
import { base64ToBytes } from '@custodes/shared/crypto';

const Count = z
  .string({ error: 'must be given once, as a decimal integer' })
  .regex(/^(?:0|[1-9][0-9]{0,15})$/, 'must be a canonical decimal integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be at most 2^53 − 1');

const LeafHash = z
  .string({ error: 'must be given once, as base64' })
  .max(64, 'must be a base64 SHA-256 hash')
  .transform((text, ctx) => {
    try {
      const bytes = base64ToBytes(text, 'hash');
      if (bytes.length === 32) return bytes;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a padded standard base64 SHA-256 hash (percent-encode "+")' });
    return z.NEVER;
  });

const EntriesQuery = z.object({ start: Count, end: Count }).strict();
type EntriesQuery = z.infer<typeof EntriesQuery>;

const InclusionByIndexQuery = z.object({ index: Count, size: Count }).strict();
type InclusionByIndexQuery = z.infer<typeof InclusionByIndexQuery>;

const InclusionByHashQuery = z.object({ hash: LeafHash, size: Count }).strict();
type InclusionByHashQuery = z.infer<typeof InclusionByHashQuery>;

const ConsistencyQuery = z.object({ from: Count, to: Count }).strict();
type ConsistencyQuery = z.infer<typeof ConsistencyQuery>;

/** `GET /v1/log/warrant/:id` (docs/PROTOCOL.md §7.3, "Warrant search"): the tree size defaults to the latest checkpoint's. */
const WarrantSearchQuery = z.object({ size: Count.optional() }).strict();
type WarrantSearchQuery = z.infer<typeof WarrantSearchQuery>;

export {
  WarrantSearchQuery,
  ConsistencyQuery,
  EntriesQuery,
  InclusionByHashQuery,
  InclusionByIndexQuery,
};
