/**
 * Releases (docs/PROTOCOL.md §4.2 `release`, §3.1, §8.1): who may sign one.
 *
 * A `release` says that custodian i served request r: it released one partial
 * per envelope of r, each under its share of the envelope's epoch. Only the
 * custodians of epoch e hold a share of it (§3.1; `quorumOf`), so a release by
 * anyone else cannot be what it claims. The rule, judged alike by the
 * coordinator (intake and the partials it collects), the custodians' replicas
 * and the auditor:
 *
 * - the signer is a custodian of every epoch the request covers (the
 *   request's `epochs`, §4.2 `decryption-request`), in the registry in force
 *   where the release is logged. Not "any custodian of any epoch" (what the
 *   replicas accepted) and not "a custodian of the newest epoch" (what the
 *   coordinator and the auditor accepted): a request for epoch 3 envelopes
 *   is served by epoch 3's custodians, whether or not they still review. This
 *   is release rule (h) (§8.2) seen from the log;
 * - its signature verifies under that custodian's registered signing key
 *   (one key per index across epochs, §4.2 `registry`).
 *
 * Pure: no HTTP, no SQL.
 */
import type { RegistryEntry, ReleaseEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';
import { quorumOf } from './epochs';

type ReleaseCode = 'UNKNOWN_CUSTODIAN' | 'NOT_EPOCH_CUSTODIAN' | 'BAD_SIGNATURE';
type ReleaseVerdict = { readonly ok: true } | { readonly ok: false; readonly code: ReleaseCode; readonly message: string };

function aepochs(epochs: unknown): readonly number[] {
  if (!Array.isArray(epochs)) throw new TypeError('epochs must be an array of epoch numbers (the request’s, §4.2)');
  if (epochs.length === 0) throw new RangeError('epochs must name at least one epoch (a request covers 1–64)');
  return epochs as readonly number[];
}

/**
 * Judges a `release` entry for a request covering `epochs` against the
 * registry in force: by a custodian of each of those epochs, with a valid
 * signature. Requires epochs ≠ ∅. Checks are cheap first, the signature last.
 */
function judgeRelease(entry: ReleaseEntry, registry: Omit<RegistryEntry, 'signatures'>, epochs: readonly number[]): ReleaseVerdict {
  if (typeof entry !== 'object' || entry === null) throw new TypeError('entry must be a release entry');
  const wanted = aepochs(epochs);
  const listed = registry.epochs.some((e) => e.custodians.some((c) => c.index === entry.custodian));
  if (!listed) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not registered` };
  let signingKey: string | undefined;
  for (const e of [...wanted].sort((a, b) => a - b)) {
    const c = quorumOf(registry, e)?.custodians.get(entry.custodian);
    if (!c) return { ok: false, code: 'NOT_EPOCH_CUSTODIAN', message: `custodian ${entry.custodian} holds no share of epoch ${e}, which the request covers` };
    signingKey = c.signingKey;
  }
  if (!verifyRecordSignature(entry, 'release', entry.signature, signingKey!)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the release by custodian ${entry.custodian} has a signature that does not verify` };
  }
  return { ok: true };
}

export { judgeRelease, type ReleaseCode, type ReleaseVerdict };
