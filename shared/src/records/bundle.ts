/**
 * A checkpoint bundle: a C2SP tlog-witness add-checkpoint request together
 * with the log entries it adds (docs/PROTOCOL.md §4.5, "Checkpoint bundles"). A
 * deliberate extension of docs/PROTOCOL.md §4.3, for speed only: the witness checks
 * exactly what it checks after fetching the entries itself (log signature,
 * consistency with its last cosigned head, entries reproducing the root, every
 * entry rule), it just does not have to ask for them.
 *
 * It travels in `POST /witness/v1/add-checkpoint-bundle` and, so that one
 * exchange does the work of four, in the coordinator's warrant delivery
 * (`POST /v1/warrants` `{ …, "checkpoint": bundle }`).
 */
import { z } from 'zod';

/** At most one page of entries, as `GET /log/v1/entries` serves (docs/PROTOCOL.md §4.4). */
export const MAX_BUNDLE_ENTRIES = 1000;
/** Above this many base64 characters of entries the witness fetches them itself (bodies stay well under 1 MB). */
export const MAX_BUNDLE_ENTRY_CHARS = 512 * 1024;
/** The add-checkpoint text: proof lines and a checkpoint with every cosignature fit in 80 KiB (shared/src/log/witness.ts). */
const MAX_ADD_CHECKPOINT_CHARS = 80 * 1024;

export const CheckpointBundleSchema = z
  .object({
    /** The C2SP add-checkpoint request body: `old <size>`, proof lines, blank line, the signed note. */
    addCheckpoint: z.string().min(1).max(MAX_ADD_CHECKPOINT_CHARS),
    /**
     * Base64 of every leaf from the old size to the checkpoint's size, in
     * order; absent when there are too many (the witness then fetches them).
     */
    entries: z.array(z.string().max(MAX_BUNDLE_ENTRY_CHARS)).max(MAX_BUNDLE_ENTRIES).optional(),
  })
  .strict();

export type CheckpointBundle = z.infer<typeof CheckpointBundleSchema>;

/** The 409 answer of a witness whose size is not the bundle's old size: it says its own size. */
export const WitnessSizeConflictSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), witnessSize: z.number().int().min(0) }) });
