// @ts-check
/**
 * Four-eyes approval in the console (docs/PROTOCOL.md §7.13, Officers): who
 * is signed in (`GET ../v1/operator/whoami`), which officers have approved a
 * warrant and who is still awaited, and what a decision did. The node's
 * answers are shown as text only (lib/dom.js).
 */
import { dl, formatTime, h } from './lib/dom.js';

/**
 * @typedef {{ officer: string, decision: string, reason: string | null, time: number }} OfficerDecision
 * @typedef {{ required: number, officers: string[], approvedBy: OfficerDecision[], deniedBy: OfficerDecision[], awaited: string[] }} OfficerStatus
 */

/** @param {unknown} v @returns {string[]} */
const names = (v) => (Array.isArray(v) ? v.map(String) : []);
/** @param {unknown} v @returns {OfficerDecision[]} */
const decisions = (v) =>
  Array.isArray(v)
    ? v.map((/** @type {any} */ d) => ({ officer: String(d?.officer ?? '?'), decision: String(d?.decision ?? '?'), reason: d?.reason == null ? null : String(d.reason), time: Number(d?.time) }))
    : [];

/** The node's `officers` field, checked for shape; null when it has none (no quorum set). @param {unknown} raw @returns {OfficerStatus | null} */
function parseOfficers(raw) {
  const o = /** @type {any} */ (raw);
  if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.required)) return null;
  return { required: o.required, officers: names(o.officers), approvedBy: decisions(o.approvedBy), deniedBy: decisions(o.deniedBy), awaited: names(o.awaited) };
}

/** One line: "1 of 2 officer approvals; awaiting bob, carol". @param {OfficerStatus} o */
function officersLine(o) {
  const awaited = o.awaited.length ? `awaiting ${o.awaited.join(', ')}` : 'awaiting nobody';
  return `${o.approvedBy.length} of ${o.required} officer approvals; ${awaited}`;
}

/** The warrant view's officers section, or null without a quorum. @param {unknown} raw */
function officersSection(raw) {
  const o = parseOfficers(raw);
  if (!o) return null;
  return h(
    'section',
    { 'aria-label': 'Officers' },
    h('h3', {}, `Officers (four-eyes: ${o.required} of ${o.officers.length} must approve)`),
    h('p', { id: 'officers-status', class: 'status' }, officersLine(o)),
    dl([
      ['Approved by', h('span', { id: 'officers-approved' }, o.approvedBy.map((d) => `${d.officer} (${formatTime(d.time)})`).join(', ') || 'nobody yet')],
      ['Awaited', h('span', { id: 'officers-awaited' }, o.awaited.join(', ') || '—')],
      ['Denied by', o.deniedBy.map((d) => `${d.officer}: ${d.reason ?? ''}`).join('; ') || '—'],
    ]),
  );
}

/**
 * What a decision did, for the status line.
 * @param {'approve' | 'deny'} decision @param {any} res the node's answer
 */
function decisionMessage(decision, res) {
  const o = parseOfficers(res?.officers);
  if (res?.status === 'pending' && o) return `Your approval is recorded (${officersLine(o)}). The node signs when ${o.required} officers have approved.`;
  const entry = res?.entry ?? {};
  return `${decision === 'approve' ? 'Approved' : 'Denied'}: signed ${entry.decision ?? decision} entry by custodian ${entry.custodian ?? '?'} at ${formatTime(entry.time)}, sent to the log.`;
}

/** "Signed in as officer alice (2 of 3 officers must approve)". @param {any} who the body of GET /v1/operator/whoami */
function signedInText(who) {
  const actor = who?.actor;
  const fourEyes = who?.fourEyes;
  const rule = fourEyes && Number.isSafeInteger(fourEyes.required) ? ` (four-eyes: ${fourEyes.required} of ${names(fourEyes.officers).length} officers must approve)` : '';
  if (actor?.kind === 'officer') return `Signed in as officer ${String(actor.name)}${rule}.`;
  if (actor?.kind === 'operator') return `Signed in with the operator token${rule ? `${rule}; only officers decide` : ''}.`;
  return '';
}

export { decisionMessage, officersSection, signedInText };
