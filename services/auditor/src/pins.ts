/**
 * Pinned keys (`--pin-keys FILE`): instead of trusting the genesis registry on
 * first use, an auditor may pin the log's key and the custodians' signing keys
 * obtained out of band (e.g. from the ceremony). The genesis registry must then
 * name exactly these keys.
 */
import { z } from 'zod';
import { Ed25519Key, formatZodError, XOnlyKey } from '@custodes/shared/records';

export const PinnedKeysSchema = z
  .object({
    format: z.literal('custodes.pins.v1'),
    /** The log's origin (its note key name); optional. */
    origin: z.string().min(1).max(253).optional(),
    logKey: XOnlyKey,
    /** The log's Ed25519 checkpoint key (docs/PROTOCOL.md §4.3); optional: without it, the genesis registry's. */
    logNoteKey: Ed25519Key.optional(),
    /** Every custodian signing key of the genesis registry, in any order. */
    custodianKeys: z.array(XOnlyKey).min(1).max(255),
  })
  .strict();
export type PinnedKeys = z.infer<typeof PinnedKeysSchema>;

/** Parses a pin file (user input); throws TypeError naming the first bad field. */
export function parsePinnedKeys(input: unknown): PinnedKeys {
  const r = PinnedKeysSchema.safeParse(input);
  if (!r.success) throw new TypeError(`pinned keys: ${formatZodError(r.error)}`);
  return r.data;
}
