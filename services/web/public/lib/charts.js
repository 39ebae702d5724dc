// @ts-check
/**
 * Inline-SVG charts for the transparency report: no library, no network.
 * Each chart is a <figure> with an SVG (role="img", a <title> and one <rect
 * class="bar"> per datum, each with its own <title>) and the same numbers in
 * a table, so that the figures are readable without the picture.
 */
import { h, s } from './dom.js';

/** @typedef {[label: string, value: number]} Datum */

const BAR_SLOT = 56;
const PLOT_HEIGHT = 160;
const HBAR_ROW = 26;
const HBAR_LABEL = 150;
const HBAR_PLOT = 320;

let nextId = 0;

/** Round numbers a reader can compare bars against. @param {number} max */
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** @param {string} text @param {number} max */
function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Vertical bars, one per datum in the given order (e.g. months).
 * @param {string} title @param {readonly Datum[]} data @param {string} unit
 */
function columnChart(title, data, unit) {
  const id = `chart-${++nextId}`;
  const top = niceMax(Math.max(0, ...data.map(([, v]) => v)));
  const width = Math.max(240, data.length * BAR_SLOT + 48);
  const height = PLOT_HEIGHT + 56;
  const x0 = 40;
  const y0 = 16 + PLOT_HEIGHT;
  return s(
    'svg',
    { class: 'chart', role: 'img', 'aria-labelledby': id, viewBox: `0 0 ${width} ${height}`, width, height },
    s('title', { id }, title),
    s('line', { class: 'axis', x1: x0, y1: y0, x2: width - 8, y2: y0 }),
    s('text', { class: 'tick', x: x0 - 6, y: 20, 'text-anchor': 'end' }, String(top)),
    s('text', { class: 'tick', x: x0 - 6, y: y0, 'text-anchor': 'end' }, '0'),
    data.map(([label, value], i) => {
      const barHeight = (value / top) * PLOT_HEIGHT;
      const x = x0 + 8 + i * BAR_SLOT;
      return s(
        'g',
        {},
        s(
          'rect',
          { class: 'bar', x, y: y0 - barHeight, width: BAR_SLOT - 16, height: barHeight, 'data-label': label, 'data-value': value },
          s('title', {}, `${label}: ${value} ${unit}`),
        ),
        s('text', { class: 'value', x: x + (BAR_SLOT - 16) / 2, y: y0 - barHeight - 4, 'text-anchor': 'middle' }, String(value)),
        s('text', { class: 'label', x: x + (BAR_SLOT - 16) / 2, y: y0 + 16, 'text-anchor': 'middle' }, clip(label, 9)),
      );
    }),
  );
}

/**
 * Horizontal bars, one per datum in the given order (e.g. largest first).
 * @param {string} title @param {readonly Datum[]} data @param {string} unit
 */
function barChart(title, data, unit) {
  const id = `chart-${++nextId}`;
  const top = niceMax(Math.max(0, ...data.map(([, v]) => v)));
  const width = HBAR_LABEL + HBAR_PLOT + 56;
  const height = Math.max(1, data.length) * HBAR_ROW + 12;
  return s(
    'svg',
    { class: 'chart', role: 'img', 'aria-labelledby': id, viewBox: `0 0 ${width} ${height}`, width, height },
    s('title', { id }, title),
    s('line', { class: 'axis', x1: HBAR_LABEL, y1: 4, x2: HBAR_LABEL, y2: height - 4 }),
    data.map(([label, value], i) => {
      const y = 6 + i * HBAR_ROW;
      const barWidth = (value / top) * HBAR_PLOT;
      return s(
        'g',
        {},
        s('text', { class: 'label', x: HBAR_LABEL - 6, y: y + 14, 'text-anchor': 'end' }, clip(label, 22)),
        s(
          'rect',
          { class: 'bar', x: HBAR_LABEL, y, width: barWidth, height: HBAR_ROW - 8, 'data-label': label, 'data-value': value },
          s('title', {}, `${label}: ${value} ${unit}`),
        ),
        s('text', { class: 'value', x: HBAR_LABEL + barWidth + 6, y: y + 14 }, String(value)),
      );
    }),
  );
}

/**
 * A chart in a <figure> with a caption and its numbers as a table.
 * @param {string} caption @param {SVGElement} chart @param {readonly Datum[]} data @param {string} column
 */
function figure(caption, chart, data, column) {
  return h(
    'figure',
    { class: 'figure' },
    h('figcaption', {}, caption),
    chart,
    h(
      'details',
      {},
      h('summary', {}, `${caption}: the numbers`),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, column), h('th', { scope: 'col' }, 'Count'))),
        h('tbody', {}, data.map(([label, value]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, String(value))))),
      ),
    ),
  );
}

/** Quorum-time bins, in hours: [label, lower bound inclusive, upper bound exclusive]. */
const QUORUM_BINS = /** @type {const} */ ([
  ['< 1 h', 0, 1],
  ['1–6 h', 1, 6],
  ['6–24 h', 6, 24],
  ['1–3 d', 24, 72],
  ['3–7 d', 72, 168],
  ['≥ 7 d', 168, Infinity],
]);

/** @param {readonly number[]} hours @returns {Datum[]} */
function quorumHistogram(hours) {
  return QUORUM_BINS.map(([label, lo, hi]) => [label, hours.filter((x) => x >= lo && x < hi).length]);
}

/** @param {readonly number[]} values */
function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

export { QUORUM_BINS, barChart, columnChart, figure, median, quorumHistogram };
