// @ts-check
/**
 * Tiny DOM helpers. Text always goes in as text nodes, never as HTML: every
 * string the pages show may come from the network (attacker-controlled), and
 * the pages' Content-Security-Policy forbids inline script anyway.
 */

/** @typedef {Node | string | number | null | undefined | false | readonly unknown[]} Child  arrays nest (of Child) */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>} Attrs */

/** @param {Element} el @param {Attrs} attrs */
function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      if (!key.startsWith('on')) throw new TypeError(`attribute ${key} cannot be a function`);
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (/^on/i.test(key) || (/^(?:href|src|action|formaction|xlink:href)$/i.test(key) && /^\s*javascript:/i.test(String(value)))) {
      // Never an inline handler or a javascript: URL, whatever the data says (the CSP refuses them too).
      throw new TypeError(`attribute ${key} must not carry script`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** @param {Element} el @param {Child[]} children */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === 'string' || child instanceof Node) el.append(child);
    else if (typeof child === 'number') el.append(String(child));
    else append(el, /** @type {Child[]} */ (child));
  }
}

/**
 * An HTML element: `h('button', { type: 'button', onclick: fn }, 'Approve')`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Attrs} [attrs] @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element with presentation attributes (no inline style: CSP).
 * @param {string} tag @param {Attrs} [attrs] @param {...Child} children
 * @returns {SVGElement}
 */
function s(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. @param {Element} el @param {...Child} children */
function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * The element with this id, of the expected type.
 * @template {HTMLElement} T
 * @param {string} id @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return el;
}

/** Unix seconds as `2026-11-26 14:00:00 UTC`. @param {unknown} seconds */
function formatTime(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Unix seconds as a UTC date `2026-11-26`. @param {unknown} seconds */
function formatDate(seconds) {
  const t = formatTime(seconds);
  return t === '—' ? t : t.slice(0, 10);
}

/** A definition list from label/value pairs. @param {[string, Child][]} rows */
function dl(rows) {
  return h('dl', {}, rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

/**
 * A table with a caption; `rows` are arrays of cells. Responsive: below
 * 40rem each row is drawn as a card (style.css).
 * @param {string} caption @param {string[]} headers @param {Child[][]} rows @param {Attrs} [attrs]
 */
function table(caption, headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    // data-label: on a narrow screen each row becomes a card whose cells name their column (style.css).
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => h('td', { 'data-label': headers[i] ?? '' }, c))))),
  );
}

/** Shortens a long hex or base64 string for display; the full value stays in a title. @param {string} text */
function short(text, keep = 12) {
  if (text.length <= keep * 2 + 1) return h('code', {}, text);
  return h('code', { title: text }, `${text.slice(0, keep)}…${text.slice(-4)}`);
}

export { byId, dl, formatDate, formatTime, h, replace, s, short, table };
