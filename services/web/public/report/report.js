// @ts-check
/**
 * Renders `report.json` (beside this page) as figures and inline-SVG charts.
 * The format is the auditor's `custodes.transparency-report.v1`, written by
 * `custodes audit report --out <dir>` (services/auditor/src/report.ts):
 *
 *   { format, log: { origin, size, root, checkpointAccepted },
 *     asOf: { time, iso, source },
 *     warrants: { total, perMonth: Count[], perCourt, perAgency, outcomes, expired },
 *     decisions: { approvals, denials, perCustodian: [{ custodian, name, approvals, denials }] },
 *     requests: { total, envelopesRequested },
 *     decryption: { completed, envelopesDecrypted, envelopesFailed, perMonth: Count[] },
 *     timeToQuorum: { count, medianSeconds, minSeconds, maxSeconds, buckets: Count[] },
 *     sealing: { sealed, unsealed, overdue, overdueWarrants: [{ warrantId, sealedUntil, index }] },
 *     misbehavior: { entries, perCustodian: Count[] },
 *     audit: { findings, byCode: Count[] } }        with Count = { label, count }
 *
 * The file is data about a log anyone can write into: every field is checked,
 * a malformed one is reported and left out, and all text goes in as text.
 */
import { describeError, requestJson } from './lib/api.js';
import { barChart, columnChart, figure } from './lib/charts.js';
import { byId, formatTime, h, replace, table } from './lib/dom.js';

const FORMAT = 'custodes.transparency-report.v1';

/** @typedef {[string, number]} Datum */

/** @param {unknown} v @returns {v is number} */
const isCount = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

class Reader {
  /** @param {unknown} root */
  constructor(root) {
    this.root = root;
    /** @type {string[]} */
    this.problems = [];
  }

  /** @param {string} path dotted @returns {unknown} */
  get(path) {
    /** @type {unknown} */
    let v = this.root;
    for (const key of path.split('.')) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      v = /** @type {Record<string, unknown>} */ (v)[key];
    }
    return v;
  }

  /** A non-negative integer, or null (noted). @param {string} path */
  count(path) {
    const v = this.get(path);
    if (isCount(v)) return v;
    this.problems.push(`${path} is missing or not a count`);
    return null;
  }

  /** A list of { label, count }, or null (noted). @param {string} path @returns {Datum[] | null} */
  counts(path) {
    const v = this.get(path);
    if (Array.isArray(v) && v.every((c) => typeof c?.label === 'string' && isCount(c?.count))) {
      return v.map((c) => /** @type {Datum} */ ([c.label, c.count]));
    }
    this.problems.push(`${path} is missing or not a list of { label, count }`);
    return null;
  }

  /** @param {string} path */
  string(path) {
    const v = this.get(path);
    return typeof v === 'string' ? v : null;
  }
}

/** @param {string} label @param {string} value @param {boolean} [alert] */
function tile(label, value, alert = false) {
  return h('div', { class: `tile${alert ? ' alert' : ''}`, role: 'group', 'aria-label': label }, h('span', { class: 'n' }, value), label);
}

/** @param {number | null} seconds */
function hours(seconds) {
  return seconds === null ? '—' : `${(seconds / 3600).toFixed(1)} h`;
}

/** @param {unknown} report the parsed report.json */
function render(report) {
  const r = new Reader(report);
  if (r.get('format') !== FORMAT) {
    status(`report.json is not a ${FORMAT} report (format: ${JSON.stringify(r.get('format')) ?? 'missing'}).`, 'bad');
    return;
  }
  const show = (/** @type {number | null} */ n) => (n === null ? '—' : String(n));
  /** @type {{ caption: string, kind: 'column' | 'bar', path: string, column: string, unit: string, optional?: boolean }[]} */
  const charts = [
    { caption: 'Warrants logged per month', kind: 'column', path: 'warrants.perMonth', column: 'Month', unit: 'warrants' },
    { caption: 'Warrants by court', kind: 'bar', path: 'warrants.perCourt', column: 'Court', unit: 'warrants' },
    { caption: 'Warrants by agency', kind: 'bar', path: 'warrants.perAgency', column: 'Agency', unit: 'warrants' },
    { caption: 'Warrant outcomes', kind: 'bar', path: 'warrants.outcomes', column: 'Outcome', unit: 'warrants' },
    { caption: 'Time from issue to quorum', kind: 'column', path: 'timeToQuorum.buckets', column: 'Time to quorum', unit: 'warrants' },
    { caption: 'Envelopes decrypted per month', kind: 'column', path: 'decryption.perMonth', column: 'Month', unit: 'envelopes' },
    { caption: 'Misbehaviour by custodian', kind: 'bar', path: 'misbehavior.perCustodian', column: 'Custodian', unit: 'entries', optional: true },
    { caption: 'Audit findings by code', kind: 'bar', path: 'audit.byCode', column: 'Finding', unit: 'findings', optional: true },
  ];
  /** @type {HTMLElement[]} */
  const figures = [];
  for (const c of charts) {
    const data = r.counts(c.path);
    if (data === null || (c.optional && data.length === 0)) continue;
    if (data.length === 0) {
      figures.push(h('figure', { class: 'figure' }, h('figcaption', {}, c.caption), h('p', { class: 'muted' }, 'No data.')));
      continue;
    }
    const svg = c.kind === 'column' ? columnChart(c.caption, data, c.unit) : barChart(c.caption, data, c.unit);
    figures.push(figure(c.caption, svg, data, c.column));
  }
  const approvals = r.count('decisions.approvals');
  const denials = r.count('decisions.denials');
  if (approvals !== null && denials !== null) {
    /** @type {Datum[]} */
    const data = [
      ['Approvals', approvals],
      ['Denials', denials],
    ];
    figures.splice(4, 0, figure('Custodian decisions', barChart('Custodian decisions', data, 'decisions'), data, 'Decision'));
  }
  const sealed = r.count('sealing.sealed');
  const unsealed = r.count('sealing.unsealed');
  const overdue = r.count('sealing.overdue');
  if (sealed !== null && unsealed !== null && overdue !== null) {
    /** @type {Datum[]} */
    const data = [
      ['Still sealed', sealed],
      ['Unsealed', unsealed],
      ['Unsealing overdue', overdue],
    ];
    figures.push(figure('Sealed warrants', barChart('Sealed warrants', data, 'warrants'), data, 'State'));
  }

  const median = r.get('timeToQuorum.medianSeconds');
  const findings = r.count('audit.findings');
  const misbehavior = r.count('misbehavior.entries');
  const accepted = r.get('log.checkpointAccepted') === true;
  const overdueList = r.get('sealing.overdueWarrants');
  const overdueRows = Array.isArray(overdueList)
    ? overdueList.filter((w) => typeof w?.warrantId === 'string' && /^[0-9a-f-]{36}$/.test(w.warrantId))
    : [];
  replace(
    byId('report-body', HTMLElement),
    h(
      'p',
      { class: 'muted', id: 'report-meta' },
      `Log ${r.string('log.origin') ?? '?'} · ${show(r.count('log.size'))} entries · as of ${r.string('asOf.iso') ?? formatTime(r.get('asOf.time'))}`,
    ),
    h(
      'p',
      { class: `status ${accepted ? 'ok' : 'bad'}`, id: 'report-checkpoint' },
      accepted
        ? 'The auditor accepted the log’s checkpoint: signed, consistent, and cosigned by a quorum of custodians.'
        : 'The auditor did NOT accept the log’s checkpoint: these figures rest on an unverified log.',
    ),
    h(
      'div',
      { class: 'tiles', id: 'tiles' },
      tile('Warrants logged', show(r.count('warrants.total'))),
      tile('Approvals', show(approvals)),
      tile('Denials', show(denials)),
      tile('Decryption requests', show(r.count('requests.total'))),
      tile('Envelopes decrypted', show(r.count('decryption.envelopesDecrypted'))),
      tile('Median time to quorum', hours(isCount(median) ? median : null)),
      tile('Still sealed', show(sealed)),
      tile('Unsealed', show(unsealed)),
      tile('Unsealing overdue', show(overdue), (overdue ?? 0) > 0),
      tile('Misbehaviour entries', show(misbehavior), (misbehavior ?? 0) > 0),
      tile('Audit findings', show(findings), (findings ?? 0) > 0),
    ),
    h('div', { class: 'charts', id: 'charts' }, figures),
    overdueRows.length
      ? table(
          'Overdue unsealings',
          ['Warrant', 'Sealed until', 'Log index'],
          overdueRows.map((w) => [
            h('a', { href: `../explorer/#warrant=${w.warrantId}` }, w.warrantId),
            formatTime(w.sealedUntil),
            isCount(w.index) ? String(w.index) : '—',
          ]),
          { id: 'overdue-table' },
        )
      : null,
  );
  if (r.problems.length) status(`This report is incomplete: ${r.problems.join('; ')}.`, 'warn');
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
