// @ts-check
/**
 * Renders `report.json` (beside this page) as figures and inline-SVG charts.
 * The shape, agreed with the auditor's `custodes audit report`:
 *
 *   { "warrantsPerMonth": { "YYYY-MM": n }, "byCourt": { id: n }, "byAgency": { id: n },
 *     "approvals": n, "denials": n, "envelopesDecrypted": n, "quorumHours": [h, …],
 *     "sealed": n, "unsealed": n, "overdue": n,
 *     "generatedAt"?: unix seconds, "origin"?: string, "treeSize"?: n }
 *
 * Every field is checked; a missing or malformed one is reported, not drawn.
 */
import { describeError, requestJson } from './lib/api.js';
import { barChart, columnChart, figure, median, quorumHistogram } from './lib/charts.js';
import { byId, formatTime, h, replace } from './lib/dom.js';

/** @typedef {[string, number]} Datum */

/** @param {unknown} v @returns {v is number} */
const isCount = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * A `{ key: count }` object as data, or null if malformed.
 * @param {unknown} v @returns {Datum[] | null}
 */
function counts(v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  /** @type {Datum[]} */
  const out = [];
  for (const [k, n] of Object.entries(v)) {
    if (!isCount(n)) return null;
    out.push([k, n]);
  }
  return out;
}

/** @param {Datum[]} data largest first, then by name */
const byCount = (data) => [...data].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** @param {string} label @param {string} value @param {boolean} [alert] */
function tile(label, value, alert = false) {
  return h('div', { class: `tile${alert ? ' alert' : ''}`, role: 'group', 'aria-label': label }, h('span', { class: 'n' }, value), label);
}

/** @param {any} r the parsed report.json */
function render(r) {
  /** @type {string[]} */
  const problems = [];
  /** @param {string} name */
  const count = (name) => {
    if (isCount(r?.[name])) return /** @type {number} */ (r[name]);
    problems.push(`${name} is missing or not a count`);
    return null;
  };
  /** @param {string} name */
  const table = (name) => {
    const c = counts(r?.[name]);
    if (c === null) problems.push(`${name} is missing or not an object of counts`);
    return c;
  };
  const months = table('warrantsPerMonth');
  const courts = table('byCourt');
  const agencies = table('byAgency');
  const approvals = count('approvals');
  const denials = count('denials');
  const decrypted = count('envelopesDecrypted');
  const sealed = count('sealed');
  const unsealed = count('unsealed');
  const overdue = count('overdue');
  /** @type {number[] | null} */
  let hours = null;
  if (Array.isArray(r?.quorumHours) && r.quorumHours.every((/** @type {unknown} */ x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
    hours = r.quorumHours;
  } else {
    problems.push('quorumHours is missing or not a list of non-negative numbers');
  }
  const show = (/** @type {number | null} */ n) => (n === null ? '—' : String(n));
  const med = hours ? median(hours) : null;

  /** @type {HTMLElement[]} */
  const figures = [];
  if (months) {
    const data = [...months].sort((a, b) => a[0].localeCompare(b[0]));
    figures.push(figure('Warrants logged per month', columnChart('Warrants logged per month', data, 'warrants'), data, 'Month'));
  }
  if (courts) {
    const data = byCount(courts);
    figures.push(figure('Warrants by court', barChart('Warrants by court', data, 'warrants'), data, 'Court'));
  }
  if (agencies) {
    const data = byCount(agencies);
    figures.push(figure('Warrants by agency', barChart('Warrants by agency', data, 'warrants'), data, 'Agency'));
  }
  if (approvals !== null && denials !== null) {
    /** @type {Datum[]} */
    const data = [
      ['Approvals', approvals],
      ['Denials', denials],
    ];
    figures.push(figure('Custodian decisions', barChart('Custodian decisions', data, 'decisions'), data, 'Decision'));
  }
  if (hours) {
    const data = quorumHistogram(hours);
    figures.push(figure('Time from warrant to quorum', columnChart('Time from warrant to quorum', data, 'warrants'), data, 'Time to quorum'));
  }
  if (sealed !== null && unsealed !== null && overdue !== null) {
    /** @type {Datum[]} */
    const data = [
      ['Still sealed', sealed],
      ['Unsealed', unsealed],
      ['Unsealing overdue', overdue],
    ];
    figures.push(figure('Sealed warrants', barChart('Sealed warrants', data, 'warrants'), data, 'State'));
  }

  const total = months ? months.reduce((n, [, v]) => n + v, 0) : null;
  const meta = [];
  if (typeof r?.origin === 'string') meta.push(`Log ${r.origin}`);
  if (isCount(r?.treeSize)) meta.push(`${r.treeSize} entries`);
  if (isCount(r?.generatedAt)) meta.push(`generated ${formatTime(r.generatedAt)}`);
  replace(
    byId('report-body', HTMLElement),
    meta.length ? h('p', { class: 'muted' }, meta.join(' · ')) : null,
    h(
      'div',
      { class: 'tiles', id: 'tiles' },
      tile('Warrants logged', show(total)),
      tile('Approvals', show(approvals)),
      tile('Denials', show(denials)),
      tile('Envelopes decrypted', show(decrypted)),
      tile('Median hours to quorum', med === null ? '—' : med.toFixed(1)),
      tile('Still sealed', show(sealed)),
      tile('Unsealed', show(unsealed)),
      tile('Unsealing overdue', show(overdue), (overdue ?? 0) > 0),
    ),
    h('div', { class: 'charts', id: 'charts' }, figures),
  );
  if (problems.length) status(`This report is incomplete: ${problems.join('; ')}.`, 'warn');
  else status('');
}

/** @param {string} text @param {'' | 'bad' | 'warn'} [kind] */
function status(text, kind = '') {
  const el = byId('report-status', HTMLElement);
  el.className = `status${kind ? ` ${kind}` : ''}`;
  el.textContent = text;
}

async function main() {
  status('Loading the report…');
  try {
    render(await requestJson(new URL('report.json', location.href).href));
  } catch (err) {
    status(`No report to show: ${describeError(err)}`, 'bad');
  }
  document.body.dataset.ready = 'true';
}

void main();
