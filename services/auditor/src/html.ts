/**
 * report.html: one self-contained page (inline CSS, inline SVG charts, no
 * scripts, no external resources). Every chart has a title, an accessible
 * label and a data table beside it. Text from the log is attacker-controlled
 * and always escaped.
 */
import type { Count, TransparencyReport } from './report';

// ## Escaping and formatting

function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '−' : '';
  if (s < 3600) return `${sign}${Math.round(s / 60)} min`;
  if (s < 86_400) return `${sign}${(s / 3600).toFixed(1)} h`;
  return `${sign}${(s / 86_400).toFixed(1)} days`;
}

// ## Charts

/** Element ids for one page: chart-1, chart-2, … in order of appearance. */
type NextId = () => string;

// Labels are 12px text (CSS `.label`) and an SVG cannot measure text without
// a script, which this page has none of: widths are estimated from above,
// per character, against DejaVu Sans (one of the widest common sans-serif
// fonts; `W` is ~0.99em there), so that a label stays inside its column.
const LABEL_PAD = 8;
/** Label columns grow with their longest label up to this, then labels are ellipsised. */
const LABEL_MIN = 120;
const LABEL_MAX = 320;
const ELLIPSIS_W = 12;

/** A generous estimate of one character's width in px at 12px. */
function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x1100) return 16; // CJK, emoji and the like: about 1–1.3em
  if (/[MWmw@%]/.test(ch)) return 12;
  if (/\p{Lu}/u.test(ch)) return 10;
  return 8;
}

function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

/** `text` if it fits in `max` px, else its longest prefix that fits with a trailing ellipsis. */
function fitText(text: string, max: number): string {
  if (textWidth(text) <= max) return text;
  let out = '';
  let w = ELLIPSIS_W;
  for (const ch of text) {
    if (w + charWidth(ch) > max) break;
    out += ch;
    w += charWidth(ch);
  }
  return `${out}…`;
}

/**
 * Horizontal bars: one row per item, the value at the end of each bar. Labels
 * (court and agency ids from the log, up to 128 characters) are left-aligned
 * in a column sized to the longest, so a long one is never pushed past the
 * left edge of the SVG; past LABEL_MAX a label is ellipsised and its full
 * text kept in a <title> (a tooltip), in the <desc> and in the data table.
 */
function barChart(nextId: NextId, title: string, items: readonly Count[], unit: string): string {
  const id = nextId();
  if (items.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">No data.</p></figure>`;
  const rowH = 26;
  const labelW = Math.min(LABEL_MAX, Math.max(LABEL_MIN, ...items.map((i) => textWidth(i.label) + 2 * LABEL_PAD)));
  const barW = 360;
  const width = labelW + barW + 60;
  const height = items.length * rowH + 10;
  const max = Math.max(1, ...items.map((i) => i.count));
  const rows = items
    .map((item, k) => {
      const y = 5 + k * rowH;
      const w = Math.round((item.count / max) * barW);
      const shown = fitText(item.label, labelW - 2 * LABEL_PAD);
      const full = shown === item.label ? '' : `<title>${esc(item.label)}</title>`;
      return (
        `<g><title>${esc(item.label)}: ${esc(item.count)} ${esc(unit)}</title>` +
        `<text x="${LABEL_PAD}" y="${y + 17}" class="label">${full}${esc(shown)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" class="bar"></rect>` +
        `<text x="${labelW + w + 6}" y="${y + 17}" class="value">${esc(item.count)}</text></g>`
      );
    })
    .join('');
  const summary = items.map((i) => `${i.label}: ${i.count}`).join(', ');
  return (
    `<figure><figcaption id="${id}-t">${esc(title)}</figcaption>` +
    `<svg role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<desc id="${id}-d">${esc(`${title} (${unit}): ${summary}`)}</desc>${rows}</svg>` +
    table(['', unit], items.map((i) => [i.label, String(i.count)])) +
    `</figure>`
  );
}

/** Vertical columns over a series (months, buckets). */
function columnChart(nextId: NextId, title: string, items: readonly Count[], unit: string): string {
  const id = nextId();
  if (items.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">No data.</p></figure>`;
  const colW = Math.max(28, Math.min(64, Math.floor(560 / items.length)));
  const plotH = 160;
  const width = items.length * colW + 40;
  const height = plotH + 60;
  const max = Math.max(1, ...items.map((i) => i.count));
  const cols = items
    .map((item, k) => {
      const h = Math.round((item.count / max) * plotH);
      const x = 20 + k * colW;
      const y = 20 + plotH - h;
      return (
        `<g><title>${esc(item.label)}: ${esc(item.count)} ${esc(unit)}</title>` +
        `<rect x="${x + 4}" y="${y}" width="${colW - 8}" height="${h}" class="bar"></rect>` +
        `<text x="${x + colW / 2}" y="${y - 4}" text-anchor="middle" class="value">${esc(item.count)}</text>` +
        `<text x="${x + colW / 2}" y="${20 + plotH + 16}" text-anchor="middle" class="label small">${esc(item.label)}</text></g>`
      );
    })
    .join('');
  const summary = items.map((i) => `${i.label}: ${i.count}`).join(', ');
  return (
    `<figure><figcaption id="${id}-t">${esc(title)}</figcaption>` +
    `<svg role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<desc id="${id}-d">${esc(`${title} (${unit}): ${summary}`)}</desc>` +
    `<line x1="20" y1="${20 + plotH}" x2="${width - 20}" y2="${20 + plotH}" class="axis"></line>${cols}</svg>` +
    table(['', unit], items.map((i) => [i.label, String(i.count)])) +
    `</figure>`
  );
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('');
  return `<details><summary>Data</summary><table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></details>`;
}

// ## The page

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--bar:#2f6feb;--line:#d0d7de;--warn:#b35900}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--bar:#58a6ff;--line:#30363d;--warn:#f0883e}}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);max-width:960px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
.meta{color:var(--muted)}.stats{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none}
.stats li{border:1px solid var(--line);border-radius:6px;padding:.5rem .9rem;min-width:8rem}.stats b{display:block;font-size:1.4rem}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg{max-width:100%;height:auto}
.bar{fill:var(--bar)}.axis{stroke:var(--line)}.label,.value{fill:var(--fg);font-size:12px}.small{font-size:10px}
table{border-collapse:collapse;margin:.4rem 0}th,td{border:1px solid var(--line);padding:.2rem .6rem;text-align:left}td{text-align:right}
.warn{color:var(--warn)}.empty{color:var(--muted)}code{font-size:.9em;word-break:break-all}
`;

/** Epochs and DKG sessions (docs/PROTOCOL.md §3.8): blames and aborts are part of the story, not findings. */
function keyGeneration(r: TransparencyReport): string {
  const { epochs, sessions } = r.keyGeneration;
  const at = (i: number | null) => (i === null ? '—' : `#${i}`);
  const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  // Retirement (docs/PROTOCOL.md §3.10): the date, then how many of the epoch's custodians logged that they destroyed their share.
  const retirement = (e: (typeof epochs)[number]) => (e.retireAfter === null ? '—' : `${day(e.retireAfter)}; ${e.retirements.length} of ${e.total} retired`);
  // The epochs timeline (§3.8, §3.9, §3.10): proposal, DKG or reshare (from which epoch, Q, complaints), activation, destruction of its shares, retirement.
  const epochRows = epochs.map((e) => [
    `epoch ${e.epoch}`,
    `${e.threshold} of ${e.total} (${e.custodians.join(', ')})`,
    e.origin === 'reshare' ? `reshare of epoch ${e.reshareOf}, Q = {${(e.dealers ?? []).join(', ')}}` : e.origin,
    at(e.proposedAt),
    at(e.activatedAt),
    e.complaints.map((c) => `${c.custodian} against ${c.blamed} (#${c.index})`).join('; ') || '—',
    e.supersededBy === null ? '—' : `by epoch ${e.supersededBy}`,
    e.destroyed.map((d) => `${d.custodian} (#${d.index})`).join(', ') || '—',
    retirement(e),
    e.groupKey ?? '—',
  ]);
  const sessionRows = sessions.map((s) => [
    `epoch ${s.epoch}, session ${s.session.slice(0, 8)}`,
    `${s.commits}/${s.reveals}/${s.certeqs}`,
    s.blames.map((b) => `${b.custodian} blamed ${b.blamed}`).join('; ') || '—',
    s.abort ? `${s.abort.reason} (blamed: ${s.abort.blamed.join(', ') || 'none'})` : '—',
    s.outcome,
  ]);
  const failed = sessions.filter((s) => s.outcome === 'aborted').length;
  const current = r.keyGeneration.currentKeyEpoch === null ? 'no epoch is active' : `the current key epoch is ${r.keyGeneration.currentKeyEpoch}`;
  const summary = `<p>${esc(epochs.filter((e) => e.origin === 'dkg').length)} epoch(s) made by a logged DKG, ${esc(epochs.filter((e) => e.origin === 'reshare').length)} by a reshare, ${esc(epochs.filter((e) => e.origin === 'dealer').length)} by a dealer, ${esc(epochs.filter((e) => e.origin === 'proposed').length)} proposed; ${esc(sessions.length)} session(s), ${esc(failed)} aborted; ${esc(current)}.</p>`;
  return (
    summary +
    table(['Epoch', 'Threshold (custodians)', 'Origin', 'Proposed', 'Activated', 'Complaints', 'Superseded', 'Shares destroyed', 'Retirement', 'Group key'], epochRows) +
    (sessions.length ? table(['Session', 'Commits/reveals/certeqs', 'Blames', 'Abort', 'Outcome'], sessionRows) : '')
  );
}

function stat(label: string, value: string | number): string {
  return `<li>${esc(label)}<b>${esc(value)}</b></li>`;
}

/** The whole page; deterministic for a given report. */
export function renderReportHtml(report: TransparencyReport): string {
  let seq = 0;
  const next: NextId = () => `chart-${++seq}`;
  const r = report;
  const ttq = r.timeToQuorum;
  const decisionsPerCustodian = r.decisions.perCustodian.flatMap((c) => [
    { label: `${c.name} approve`, count: c.approvals },
    { label: `${c.name} deny`, count: c.denials },
  ]);
  const overdue = r.sealing.overdueWarrants.length
    ? `<table><caption>Overdue unsealings</caption><thead><tr><th scope="col">Warrant</th><th scope="col">Log index</th><th scope="col">Due</th></tr></thead><tbody>${r.sealing.overdueWarrants
        .map((w) => `<tr><th scope="row"><code>${esc(w.warrantId)}</code></th><td>#${esc(w.index)}</td><td>${esc(new Date(w.sealedUntil * 1000).toISOString().slice(0, 10))}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>No unsealing is overdue.</p>';
  const findings = r.audit.findings
    ? `<p class="warn">The audit found ${esc(r.audit.findings)} problem(s) in this log.</p>` + barChart(next, 'Findings by code', r.audit.byCode, 'findings')
    : '<p>The audit found no problems: every rule checked holds for every entry.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Custodes transparency report — ${esc(r.log.origin)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Custodes transparency report</h1>
<p class="meta">Log <code>${esc(r.log.origin)}</code>, ${esc(r.log.size)} entries, root <code>${esc(r.log.root)}</code>. As of ${esc(r.asOf.iso)} (${r.asOf.source === 'given' ? 'given' : 'latest entry'}). Checkpoint ${r.log.checkpointAccepted ? 'verified: signed, consistent and cosigned by a quorum of custodians' : '<span class="warn">not verified</span>'}.</p>
</header>
<section aria-labelledby="s-summary">
<h2 id="s-summary">Summary</h2>
<ul class="stats">
${stat('Warrants', r.warrants.total)}${stat('Approvals', r.decisions.approvals)}${stat('Denials', r.decisions.denials)}${stat('Decryption requests', r.requests.total)}${stat('Envelopes decrypted', r.decryption.envelopesDecrypted)}${stat('Median time to quorum', duration(ttq.medianSeconds))}${stat('Overdue unsealings', r.sealing.overdue)}${stat('Audit findings', r.audit.findings)}
</ul>
</section>
<section aria-labelledby="s-warrants">
<h2 id="s-warrants">Warrants</h2>
${columnChart(next, 'Warrants issued per month', r.warrants.perMonth, 'warrants')}
${barChart(next, 'Warrants per court', r.warrants.perCourt, 'warrants')}
${barChart(next, 'Warrants per agency', r.warrants.perAgency, 'warrants')}
${barChart(next, 'Warrant outcomes', r.warrants.outcomes, 'warrants')}
</section>
<section aria-labelledby="s-decisions">
<h2 id="s-decisions">Custodian decisions</h2>
${barChart(next, 'Approvals and denials', [
  { label: 'approvals', count: r.decisions.approvals },
  { label: 'denials', count: r.decisions.denials },
], 'decisions')}
${barChart(next, 'Decisions per custodian', decisionsPerCustodian, 'decisions')}
</section>
<section aria-labelledby="s-quorum">
<h2 id="s-quorum">Time from warrant to quorum</h2>
<p>${esc(ttq.count)} warrant(s) reached a quorum. Median ${esc(duration(ttq.medianSeconds))}, fastest ${esc(duration(ttq.minSeconds))}, slowest ${esc(duration(ttq.maxSeconds))}.</p>
${columnChart(next, 'Time from issue to quorum', ttq.buckets, 'warrants')}
</section>
<section aria-labelledby="s-decryption">
<h2 id="s-decryption">Decryption</h2>
<p>${esc(r.requests.total)} request(s) for ${esc(r.requests.envelopesRequested)} envelope(s); ${esc(r.decryption.completed)} completed, ${esc(r.decryption.envelopesDecrypted)} envelope(s) decrypted, ${esc(r.decryption.envelopesFailed)} failed. ${esc(r.misbehavior.entries)} misbehaving partial(s) detected and logged.</p>
${columnChart(next, 'Envelopes decrypted per month', r.decryption.perMonth, 'envelopes')}
</section>
<section aria-labelledby="s-sealing">
<h2 id="s-sealing">Sealed and unsealed warrants</h2>
${barChart(next, 'Sealed, unsealed and overdue', [
  { label: 'sealed', count: r.sealing.sealed },
  { label: 'unsealed', count: r.sealing.unsealed },
  { label: 'overdue', count: r.sealing.overdue },
], 'warrants')}
${overdue}
</section>
<section aria-labelledby="s-keys">
<h2 id="s-keys">Key generation</h2>
${keyGeneration(r)}
</section>
<section aria-labelledby="s-audit">
<h2 id="s-audit">Audit</h2>
${findings}
</section>
</main>
</body>
</html>
`;
}
