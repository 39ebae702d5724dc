/**
 * `share-destroyed` statements (docs/PROTOCOL.md §3.9): after a reshare moved
 * epoch O's key to epoch N, each custodian of O deletes its share and says
 * so in the log. The statement may stand only once N is active — its
 * `epoch` entry, carrying every new custodian's certificate signature (an
 * acknowledgement that each holds a verified share), comes first — so no old
 * custodian can destroy before the new shares are safe.
 *
 * Pure; the coordinator (before logging), every custodian (as a witness) and
 * the auditor call it with the registry in force at the statement's place in
 * the log (resolveRegistry over the `epoch` entries before it).
 */
import type { RegistryEntry, ShareDestroyedEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';
import { successorOf } from './epochs';

type RegistryBody = Omit<RegistryEntry, 'signatures'>;

type ShareDestroyedCode = 'UNKNOWN_EPOCH' | 'NOT_SUPERSEDED' | 'UNKNOWN_CUSTODIAN' | 'BAD_SIGNATURE';
type ShareDestroyedVerdict = { readonly ok: true } | { readonly ok: false; readonly code: ShareDestroyedCode; readonly message: string };

/**
 * Whether `entry` may stand: epoch O is listed (UNKNOWN_EPOCH); its active
 * successor is `entry.successor` (NOT_SUPERSEDED: no reshare of O is active
 * yet, or another one is); the custodian is one of O's (UNKNOWN_CUSTODIAN)
 * and signed it, kind `share-destroyed` (BAD_SIGNATURE).
 */
function judgeShareDestroyed(entry: ShareDestroyedEntry, registry: RegistryBody): ShareDestroyedVerdict {
  if (typeof entry !== 'object' || entry === null || entry.type !== 'share-destroyed') throw new TypeError('entry must be a parsed share-destroyed entry (docs/PROTOCOL.md §4.2)');
  if (typeof registry !== 'object' || registry === null || !Array.isArray(registry.epochs)) throw new TypeError('registry must be a registry entry (docs/PROTOCOL.md §4.2)');
  const o = registry.epochs.find((x) => x.epoch === entry.epoch);
  if (!o) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  const successor = successorOf(registry, o.epoch);
  if (successor?.epoch !== entry.successor) {
    return {
      ok: false,
      code: 'NOT_SUPERSEDED',
      message: successor === undefined ? `epoch ${o.epoch} has no active successor yet: its shares must live until the reshare into ${entry.successor} is logged` : `epoch ${o.epoch}'s key moved to epoch ${successor.epoch}, not ${entry.successor}`,
    };
  }
  const custodian = o.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${o.epoch}` };
  if (!verifyRecordSignature(entry, 'share-destroyed', entry.signature, custodian.signingKey)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the share-destroyed statement of custodian ${entry.custodian} does not verify` };
  }
  return { ok: true };
}

export { judgeShareDestroyed, type ShareDestroyedCode, type ShareDestroyedVerdict };
