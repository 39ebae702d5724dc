// @ts-check
/**
 * Log entries (docs/PROTOCOL.md §4.2) decoded in the browser: one leaf is the JCS
 * bytes of one entry, served base64 by `GET /log/v1/entries` (§4.4). The
 * bytes are attacker-controlled: a leaf that is not a JSON object with a
 * known `type` is shown as undecodable, never trusted.
 */
import { base64ToBytes, utf8Decode } from './bytes.js';
import { formatDate, formatTime } from './dom.js';
import { newestEpoch } from './rules.js';

const TYPES = [
  'registry',
  'warrant',
  'approval',
  'decryption-request',
  'release',
  'decryption-complete',
  'misbehavior',
  'revocation',
  'unseal',
  'dkg',
  'epoch',
  'share-destroyed',
  'retired',
];

/**
 * @typedef {object} DecodedEntry
 * @property {number} index
 * @property {Uint8Array} bytes  the leaf's exact bytes
 * @property {Record<string, unknown> | null} entry  null if undecodable
 * @property {string} type  the entry type, or 'undecodable'
 * @property {string} error  why it is undecodable
 */

/**
 * @param {number} index @param {string} b64
 * @returns {DecodedEntry}
 */
function decodeLeaf(index, b64) {
  /** @type {Uint8Array} */
  let bytes = new Uint8Array(0);
  try {
    bytes = base64ToBytes(b64, `entry ${index}`);
    const value = JSON.parse(utf8Decode(bytes));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    const type = value.type;
    if (typeof type !== 'string' || !TYPES.includes(type)) throw new Error('unknown entry type');
    return { index, bytes, entry: value, type, error: '' };
  } catch (err) {
    return { index, bytes, entry: null, type: 'undecodable', error: err instanceof Error ? err.message : String(err) };
  }
}

/** @param {unknown} v @returns {string} */
const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '—' : JSON.stringify(v));
/** @param {unknown} v @returns {string} */
const list = (v) => (Array.isArray(v) ? v.map(str).join(', ') : str(v));
/** @param {unknown} v @returns {string} */
const num = (v) => (typeof v === 'number' ? String(v) : str(v));

/**
 * A one-line summary and the labelled fields of an entry, for display.
 * @param {DecodedEntry} d
 * @returns {{ title: string, fields: [string, string][] }}
 */
function describeEntry(d) {
  const e = d.entry;
  if (!e) return { title: `Undecodable leaf (${d.error})`, fields: [['Bytes', String(d.bytes.length)]] };
  switch (d.type) {
    case 'registry': {
      // The newest epoch by number, never the last listed (rules.js newestEpoch; docs/PROTOCOL.md §4.2).
      /** @type {any} */
      const newest = newestEpoch(/** @type {any} */ (e)) ?? {};
      const custodians = Array.isArray(newest.custodians) ? newest.custodians : [];
      return {
        title: `Registry #${num(e.sequence)}: ${num(newest.threshold)} of ${num(newest.total)} custodians`,
        fields: [
          ['Origin', str(e.origin)],
          ['Log key', str(e.logKey)],
          ['Log note key (Ed25519)', str(e.logNoteKey)],
          ['Custodians', custodians.map((/** @type {any} */ c) => `${num(c.index)}. ${str(c.name)}`).join(', ')],
          ['External witnesses', Array.isArray(e.witnesses) && e.witnesses.length > 0 ? e.witnesses.map((/** @type {any} */ w) => str(w.name)).join(', ') : '—'],
          ['Courts', Array.isArray(e.courts) ? e.courts.map((/** @type {any} */ c) => str(c.id)).join(', ') : '—'],
          ['Agencies', Array.isArray(e.agencies) ? e.agencies.map((/** @type {any} */ a) => str(a.id)).join(', ') : '—'],
          ['Time', formatTime(e.time)],
        ],
      };
    }
    case 'warrant':
      return {
        title: `Warrant cover sheet: ${str(e.agency)} before ${str(e.court)}`,
        fields: [
          ['Warrant', str(e.warrantId)],
          ['Agency', str(e.agency)],
          ['Court', str(e.court)],
          ['Legal authority', str(e.legalAuthority)],
          ['Categories', list(e.categories)],
          ['Subjects', num(e.subjectCount)],
          ['Data from', formatDate(e.notBefore)],
          ['Data until', formatDate(e.notAfter)],
          ['Issued', formatTime(e.issuedAt)],
          ['Expires', formatTime(e.expiresAt)],
          ['Sealed until', formatTime(e.sealedUntil)],
          ['Envelope cap', num(e.maxEnvelopes)],
          ['Commitment', str(e.commitment)],
        ],
      };
    case 'approval':
      return {
        title: `${e.decision === 'deny' ? 'Denial' : 'Approval'} by custodian ${num(e.custodian)}`,
        fields: [
          ['Warrant', str(e.warrantId)],
          ['Custodian', num(e.custodian)],
          ['Decision', str(e.decision)],
          ['Reason', str(e.reason)],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'decryption-request':
      return {
        title: `Decryption request for ${num(e.envelopeCount)} envelope${e.envelopeCount === 1 ? '' : 's'}`,
        fields: [
          ['Request', str(e.requestId)],
          ['Warrant', str(e.warrantId)],
          ['Envelopes', num(e.envelopeCount)],
          ['Envelope set root', str(e.envelopeSetRoot)],
          ['Epochs', list(e.epochs)],
          ['Investigator key', str(e.investigator)],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'release':
      return {
        title: `Release by custodian ${num(e.custodian)}: ${num(e.count)} partial decryption${e.count === 1 ? '' : 's'}`,
        fields: [
          ['Request', str(e.requestId)],
          ['Custodian', num(e.custodian)],
          ['Partials', num(e.count)],
          ['Partials root', str(e.partialsRoot)],
        ],
      };
    case 'decryption-complete':
      return {
        title: `Decryption complete: ${num(e.decrypted)} decrypted, ${num(e.failed)} failed`,
        fields: [
          ['Request', str(e.requestId)],
          ['Decrypted', num(e.decrypted)],
          ['Failed', num(e.failed)],
          ['Blamed custodians', Array.isArray(e.blamed) && e.blamed.length ? list(e.blamed) : 'none'],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'misbehavior':
      return {
        title: `Misbehaviour: bad partial from custodian ${num(e.custodian)}`,
        fields: [
          ['Request', str(e.requestId)],
          ['Custodian', num(e.custodian)],
          ['Envelope', str(e.envelopeId)],
          ['Epoch', num(e.epoch)],
          ['R', str(e.R)],
        ],
      };
    case 'revocation':
      return {
        title: `Revocation by the ${str(e.by)}`,
        fields: [
          ['Warrant', str(e.warrantId)],
          ['Reason', str(e.reason)],
          ['Signer', str(e.signer)],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'unseal': {
      /** @type {any} */
      const w = typeof e.warrant === 'object' && e.warrant !== null ? e.warrant : {};
      /** @type {any} */
      const scope = typeof w.scope === 'object' && w.scope !== null ? w.scope : {};
      return {
        title: `Unsealing: case ${str(w.caseNumber)}`,
        fields: [
          ['Warrant', str(e.warrantId)],
          ['Case number', str(w.caseNumber)],
          ['Offense', str(w.offense)],
          ['Subjects', list(scope.subjects)],
          ['Categories', list(scope.categories)],
          ['Salt', str(e.salt)],
          ['Time', formatTime(e.time)],
        ],
      };
    }
    case 'dkg':
      // One message of a DKG session over the log (docs/PROTOCOL.md §3.8).
      return {
        title: `DKG epoch ${num(e.epoch)}: ${str(e.step)}${e.custodian === undefined ? ' (coordinator)' : ` by custodian ${num(e.custodian)}`}`,
        fields: [
          ['Session', str(e.session)],
          ['Step', str(e.step)],
          ['Custodian', e.custodian === undefined ? 'coordinator' : num(e.custodian)],
          ...(/** @type {[string, string][]} */ (Array.isArray(e.blamed) ? [['Blamed', e.blamed.length ? list(e.blamed) : 'none']] : [])),
          ['Time', formatTime(e.time)],
        ],
      };
    case 'epoch':
      return {
        title: `Epoch ${num(e.epoch)} active: key made by DKG`,
        fields: [
          ['Session', str(e.session)],
          ['Group key', str(e.groupKey)],
          ['Threshold', num(Array.isArray(e.commitments) ? e.commitments.length : undefined)],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'share-destroyed':
      // An old custodian deleted its share once the reshare into `successor` was logged (docs/PROTOCOL.md §3.9).
      return {
        title: `Share destroyed: custodian ${num(e.custodian)} of epoch ${num(e.epoch)}`,
        fields: [
          ['Epoch', num(e.epoch)],
          ['Successor', num(e.successor)],
          ['Custodian', num(e.custodian)],
          ['Time', formatTime(e.time)],
        ],
      };
    case 'retired':
      return {
        title: `Epoch ${num(e.epoch)} retired by custodian ${num(e.custodian)}: share destroyed`,
        fields: [
          ['Epoch', num(e.epoch)],
          ['Custodian', num(e.custodian)],
          ['Time', formatTime(e.time)],
        ],
      };
    default:
      return { title: d.type, fields: [] };
  }
}

/** The warrant an entry names directly, if any. @param {DecodedEntry} d */
function warrantIdOf(d) {
  const id = d.entry?.warrantId;
  return typeof id === 'string' ? id : null;
}

/**
 * A warrant's public history (docs/PROTOCOL.md §4.2): its cover sheet, approvals and
 * denials, requests, releases, completions, misbehaviour, revocation and
 * unsealing. Releases and completions name a request, not the warrant, so
 * they are found through the warrant's `decryption-request` entries.
 * @param {string} warrantId
 * @param {readonly DecodedEntry[]} entries  in log order
 */
function warrantHistory(warrantId, entries) {
  const requests = new Set();
  for (const d of entries) {
    if (d.type === 'decryption-request' && warrantIdOf(d) === warrantId) requests.add(d.entry?.requestId);
  }
  /** @type {Record<'cover' | 'approvals' | 'requests' | 'releases' | 'completions' | 'misbehavior' | 'revocations' | 'unsealings', DecodedEntry[]>} */
  const h = { cover: [], approvals: [], requests: [], releases: [], completions: [], misbehavior: [], revocations: [], unsealings: [] };
  for (const d of entries) {
    const mine = warrantIdOf(d) === warrantId;
    const viaRequest = typeof d.entry?.requestId === 'string' && requests.has(d.entry.requestId);
    if (d.type === 'warrant' && mine) h.cover.push(d);
    else if (d.type === 'approval' && mine) h.approvals.push(d);
    else if (d.type === 'decryption-request' && mine) h.requests.push(d);
    else if (d.type === 'release' && viaRequest) h.releases.push(d);
    else if (d.type === 'decryption-complete' && viaRequest) h.completions.push(d);
    else if (d.type === 'misbehavior' && viaRequest) h.misbehavior.push(d);
    else if (d.type === 'revocation' && mine) h.revocations.push(d);
    else if (d.type === 'unseal' && mine) h.unsealings.push(d);
  }
  return h;
}

/**
 * JSON text with object keys sorted at every level: two parsed records are the
 * same record iff their canonical texts are equal (numbers here are integers).
 * @param {unknown} value @returns {string}
 */
function canonicalText(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = /** @type {Record<string, unknown>} */ (value);
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalText(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export { TYPES, canonicalText, decodeLeaf, describeEntry, warrantHistory, warrantIdOf };
