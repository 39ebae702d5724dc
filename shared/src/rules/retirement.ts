/**
 * Retiring an epoch (docs/PROTOCOL.md §3.10): forward secrecy for what
 * providers sealed under it.
 *
 * An epoch of the registry may carry `retireAfter` (Unix seconds, §4.2): the
 * providers' retention period. From that time on (now ≥ retireAfter) the epoch
 * is *retired*: every custodian of it destroys its share and logs a signed
 * `retired` statement, no custodian releases a partial for it, and the
 * coordinator takes no request with an envelope of it (EPOCH_RETIRED). The
 * registry in force decides (resolved or raw: retirement does not depend on
 * keys), so every party reads the same date from the same log.
 *
 * - retirementOf / isRetired: when an epoch retires, and whether it has at `now`;
 * - retiredAmong: the first retired epoch of a set (a request's epochs);
 * - judgeRetired: whether a `retired` entry may stand in the log — its epoch
 *   has a retireAfter, the signer is a custodian of the epoch, it is dated at
 *   or after retireAfter and its §3.5 signature (kind `retired`) verifies.
 *
 * The coordinator, every custodian (release, its replica, its retirement
 * job), the auditor and the CLI call these; the explorer's port
 * (services/web/public/lib/rules.js) follows them (test/rules/agreement.test.ts).
 * Pure: no HTTP, no SQL, no clock (`now` is an argument).
 */
import { isoTime } from '../records/dates';
import type { RegistryEntry, RetiredEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';

type RegistryBody = Omit<RegistryEntry, 'signatures'>;

type RetiredCode = 'UNKNOWN_EPOCH' | 'NOT_RETIRABLE' | 'UNKNOWN_CUSTODIAN' | 'TOO_EARLY' | 'BAD_SIGNATURE';
type RetiredVerdict = { readonly ok: true } | { readonly ok: false; readonly code: RetiredCode; readonly message: string };

function aregistry(registry: unknown): RegistryBody {
  if (typeof registry !== 'object' || registry === null || !Array.isArray((registry as { epochs?: unknown }).epochs)) {
    throw new TypeError('registry must be a registry entry with an epochs array (docs/PROTOCOL.md §4.2)');
  }
  return registry as RegistryBody;
}

function atime(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (Unix seconds)`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite`);
  return value;
}

/** The epoch's `retireAfter` (Unix seconds), or undefined if the registry does not list the epoch or it has none. */
function retirementOf(registry: RegistryBody, epoch: number): number | undefined {
  if (typeof epoch !== 'number') throw new TypeError('epoch must be a number');
  return aregistry(registry).epochs.find((e) => e.epoch === epoch)?.retireAfter;
}

/** Whether `epoch` is retired at `now` (Unix seconds): it has a retireAfter and now ≥ retireAfter. */
function isRetired(registry: RegistryBody, epoch: number, now: number): boolean {
  const t = atime(now, 'now');
  const after = retirementOf(registry, epoch);
  return after !== undefined && t >= after;
}

/**
 * The lowest epoch of `epochs` retired at `now`, with its date and a message
 * naming it, or undefined if none is: what a refusal EPOCH_RETIRED says.
 */
function retiredAmong(registry: RegistryBody, epochs: Iterable<number>, now: number): { epoch: number; retireAfter: number; message: string } | undefined {
  const t = atime(now, 'now');
  for (const e of [...epochs].sort((a, b) => a - b)) {
    const after = retirementOf(registry, e);
    if (after !== undefined && t >= after) {
      return { epoch: e, retireAfter: after, message: `epoch ${e} was retired on ${isoTime(after)}: its shares are destroyed and nothing sealed under it can be opened` };
    }
  }
  return undefined;
}

/**
 * Why registry update `next` may not follow `current` as to retirement, or
 * undefined: a retireAfter, once in force, is kept as it is by every update
 * that lists the epoch (neither moved nor removed). Custodians destroy shares
 * on that date and providers rely on it; an update that moved it could revive
 * an epoch whose shares are partly gone, or keep one alive past the period
 * the providers were promised. An epoch without one may be given one.
 * judgeRegistryUpdate refuses with EPOCH_CHANGED.
 */
function retireAfterChange(next: RegistryBody, current: RegistryBody): string | undefined {
  for (const e of aregistry(next).epochs) {
    const was = aregistry(current).epochs.find((x) => x.epoch === e.epoch)?.retireAfter;
    if (was !== undefined && e.retireAfter !== was) return `registry update ${next.sequence} changes the retireAfter of epoch ${e.epoch}, which is kept once set`;
  }
  return undefined;
}

/**
 * Judges a `retired` entry against the registry in force where it is logged.
 * Checks, first failure wins: UNKNOWN_EPOCH, NOT_RETIRABLE (the epoch has no
 * retireAfter), UNKNOWN_CUSTODIAN (not a custodian of the epoch), TOO_EARLY
 * (time < retireAfter: a statement dated before the date proves nothing about
 * the date), BAD_SIGNATURE (§3.5 kind `retired` under the custodian's key).
 */
function judgeRetired(entry: RetiredEntry, registry: RegistryBody): RetiredVerdict {
  if (typeof entry !== 'object' || entry === null || entry.type !== 'retired') throw new TypeError('entry must be a parsed retired entry (docs/PROTOCOL.md §4.2)');
  const e = aregistry(registry).epochs.find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.retireAfter === undefined) return { ok: false, code: 'NOT_RETIRABLE', message: `epoch ${entry.epoch} has no retireAfter: it is not to be retired` };
  const custodian = e.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${entry.epoch}` };
  if (entry.time < e.retireAfter) {
    return { ok: false, code: 'TOO_EARLY', message: `the retirement of epoch ${entry.epoch} by custodian ${entry.custodian} is dated before its retireAfter ${isoTime(e.retireAfter)}` };
  }
  if (!verifyRecordSignature(entry, 'retired', entry.signature, custodian.signingKey)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the retirement of epoch ${entry.epoch} by custodian ${entry.custodian} has a signature that does not verify` };
  }
  return { ok: true };
}

export { isRetired, judgeRetired, retireAfterChange, retiredAmong, retirementOf, type RetiredCode, type RetiredVerdict };
