// @ts-check
/**
 * Inline-SVG charts for the transparency report: no library, no network.
 * Each chart is a <figure> with an SVG (role="img", a <title> and one <rect
 * class="bar"> per datum, each with its own <title>) and the same numbers in
 * a table, so that the figures are readable without the picture.
 */
import { h, s } from './dom.js';

/** @typedef {[label: string, value: number]} Datum */

const PLOT_HEIGHT = 160;
/** Column charts fit about this width, between these column widths. */
const COLUMN_AREA = 440;
const COLUMN_MIN = 40;
const COLUMN_MAX = 64;
const HBAR_ROW = 26;
const HBAR_LABEL = 190;
const HBAR_PLOT = 220;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

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
 * A column label as at most two short lines: `2026-03` → `Mar` / `2026`;
 * `6–24 hours` → `6–24` / `hours`.
 * @param {string} label @param {number} maxChars per line
 * @returns {string[]}
 */
function labelLines(label, maxChars) {
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  if (month) return [MONTHS[Number(month[2]) - 1] ?? (month[2] ?? ''), month[1] ?? ''];
  if (label.length <= maxChars) return [label];
  const space = label.indexOf(' ');
  if (space > 0) return [clip(label.slice(0, space), maxChars), clip(label.slice(space + 1), maxChars)];
  return [clip(label, maxChars)];
}

/**
 * Vertical bars, one per datum in the given order (e.g. months).
 * @param {string} title @param {readonly Datum[]} data @param {string} unit
 */
function columnChart(title, data, unit) {
  const id = `chart-${++nextId}`;
  const top = niceMax(Math.max(0, ...data.map(([, v]) => v)));
  const slot = Math.max(COLUMN_MIN, Math.min(COLUMN_MAX, Math.floor(COLUMN_AREA / Math.max(1, data.length))));
  const barWidth = slot - Math.max(6, Math.round(slot / 5));
  const maxChars = Math.floor(slot / 6.5);
  const width = Math.max(240, data.length * slot + 48);
  const height = PLOT_HEIGHT + 60;
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
      const x = x0 + 8 + i * slot;
      const mid = x + barWidth / 2;
      return s(
        'g',
        {},
        s(
          'rect',
          { class: 'bar', x, y: y0 - barHeight, width: barWidth, height: barHeight, 'data-label': label, 'data-value': value },
          s('title', {}, `${label}: ${value} ${unit}`),
        ),
        s('text', { class: 'value', x: mid, y: y0 - barHeight - 4, 'text-anchor': 'middle' }, String(value)),
        s(
          'text',
          { class: 'label', x: mid, y: y0 + 15, 'text-anchor': 'middle' },
          labelLines(label, maxChars).map((line, k) => s('tspan', { x: mid, dy: k === 0 ? 0 : 13 }, line)),
        ),
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
        s('text', { class: 'label', x: HBAR_LABEL - 6, y: y + 14, 'text-anchor': 'end' }, clip(label, 30)),
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

export { barChart, columnChart, figure };
