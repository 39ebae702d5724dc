/**
 * Revocations (docs/PROTOCOL.md §4.2 `revocation`, §7.14, §8.1): who may sign
 * one.
 *
 * One rule, in two strengths, because not every party can check the same
 * thing (§8.4, §8.5): the logged cover sheet names the warrant's court and
 * agency but not its investigator (the warrant is sealed, §4.1).
 *
 * - The log rule, judged from the cover sheet, by everyone: `by: "court"` is
 *   signed under the registered key of the cover sheet's court; `by:
 *   "investigator"` under the key of a registered investigator of the cover
 *   sheet's agency; the §3.5 signature verifies. Witnesses (custodian
 *   replicas), the auditor and the explorer accept a logged revocation by this
 *   rule alone: a witness refusing an entry refuses its whole batch, so it must
 *   not judge by knowledge other witnesses may lack (a delivered warrant).
 * - The warrant's own investigator, where the full warrant is known
 *   (`investigator` given): a revocation `by: "investigator"` must be signed by
 *   exactly that key. The coordinator applies it at intake (it holds every
 *   warrant), a custodian to a revocation posted to it directly when it holds
 *   the delivered warrant (§7.14), and the auditor once the warrant is
 *   unsealed (UNAUTHORIZED_REVOCATION). So a log that refuses nothing the
 *   weaker rule admits still never carries another investigator's revocation
 *   unnoticed.
 *
 * A revocation only stops releases (fail-closed), so admitting one by a
 * colleague of the same agency until unseal costs availability, never secrecy.
 *
 * Pure: no HTTP, no SQL.
 */
import type { RegistryEntry, RevocationEntry, WarrantEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';

type RevocationCode = 'NOT_THE_COURT' | 'NOT_AN_INVESTIGATOR' | 'NOT_THE_INVESTIGATOR' | 'BAD_SIGNATURE';
type RevocationVerdict = { readonly ok: true } | { readonly ok: false; readonly code: RevocationCode; readonly message: string };

/** The cover sheet's fields the rule reads (§4.2 `warrant`). */
type Cover = Pick<WarrantEntry, 'warrantId' | 'court' | 'agency'>;

/**
 * Judges a `revocation` of the logged warrant `cover` against the registry in
 * force; with `investigator` (the full warrant's), also the stronger check.
 * Requires entry.warrantId = cover.warrantId.
 */
function judgeRevocation(entry: RevocationEntry, registry: Omit<RegistryEntry, 'signatures'>, cover: Cover, investigator?: string): RevocationVerdict {
  if (typeof entry !== 'object' || entry === null) throw new TypeError('entry must be a revocation entry');
  if (typeof cover !== 'object' || cover === null) throw new TypeError('cover must be the logged warrant entry');
  if (entry.warrantId !== cover.warrantId) throw new RangeError('cover must be the cover sheet of the revoked warrant');
  if (investigator !== undefined && typeof investigator !== 'string') throw new TypeError('investigator must be a key or undefined');
  if (entry.by === 'court') {
    if (registry.courts.find((c) => c.id === cover.court)?.key !== entry.signer) {
      return { ok: false, code: 'NOT_THE_COURT', message: `the revocation of warrant ${entry.warrantId} is not signed by its registered court ${cover.court}` };
    }
  } else {
    if (!registry.agencies.find((a) => a.id === cover.agency)?.investigators.includes(entry.signer)) {
      return { ok: false, code: 'NOT_AN_INVESTIGATOR', message: `the revocation of warrant ${entry.warrantId} is not signed by a registered investigator of agency ${cover.agency}` };
    }
    if (investigator !== undefined && entry.signer !== investigator) {
      return { ok: false, code: 'NOT_THE_INVESTIGATOR', message: `the revocation of warrant ${entry.warrantId} is signed by another investigator than the warrant's` };
    }
  }
  if (!verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the revocation of warrant ${entry.warrantId} has a signature that does not verify` };
  }
  return { ok: true };
}

export { judgeRevocation, type RevocationCode, type RevocationVerdict };
