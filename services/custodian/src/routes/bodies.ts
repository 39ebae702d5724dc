/**
 * Each route's body: the size of its largest legitimate request and the depth
 * of its schema, the body itself being depth 1 (shared/src/service/body.ts;
 * docs/PROTOCOL.md §8.9). Bodies are read by their route, after its cheap checks:
 * the sealed gate, the operator token, the `Custodes-Call` header. A JSON
 * string costs at most 3 bytes per UTF-16 unit unescaped (6 escaped).
 */
import { KiB, MiB } from '@custodes/shared/service';
import type { BodyLimits } from '@custodes/shared/service';

export const BODIES = {
  /** `{ key }`, an unseal key of ≤ 200 characters. */
  unseal: { limit: 2 * KiB, maxDepth: 1 },
  /** `{ reason }` of an approval or denial, ≤ 1024 characters. */
  decision: { limit: 8 * KiB, maxDepth: 1 },
  /** `{ addCheckpoint, entries: [] }`: ≤ 80 KiB of note and, from the coordinator, ≤ 512 KiB of base64 entries. */
  bundle: { limit: 1 * MiB, maxDepth: 2 },
  /** `{ warrant: { scope: { subjects: [] } }, salt, checkpoint?: bundle }`: a warrant (≤ 1 MiB, as at the coordinator's intake) and a bundle. */
  warrant: { limit: 2 * MiB, maxDepth: 4 },
  /** `{ entry }`: a signed revocation (docs/PROTOCOL.md §7.14), a few hundred bytes; anyone may post one, so the cap is tight. */
  revocation: { limit: 16 * KiB, maxDepth: 2 },
  /** `{ requestId, envelopes: [{ label: {…} }] }`: every envelope of a request in one call (docs/PROTOCOL.md §7.12). */
  partials: { limit: 64 * MiB, maxDepth: 4 },
  /** `{ epoch }`: the operator's DKG consent or recovery (docs/PROTOCOL.md §3.8). */
  dkg: { limit: 1 * KiB, maxDepth: 1 },
} as const satisfies Record<string, BodyLimits>;

/** `POST /witness/v1/add-checkpoint` (text): proof lines and a checkpoint with every cosignature. */
export const ADD_CHECKPOINT_LIMIT = 128 * KiB;
