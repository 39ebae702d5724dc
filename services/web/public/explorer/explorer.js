// @ts-check
/**
 * The public log explorer (served by the coordinator, no sign-in). It reads
 * only the fixed read API of docs/PROTOCOL.md §4.4 and the warrant index of
 * docs/PROTOCOL.md §7.3 (`../v1/log/warrant/:id`), relative to this page:
 * `../log/v1/checkpoint`, `../log/v1/entries`, `../log/v1/proof/inclusion`
 * and `../v1/registry`. Everything it reads is attacker-controlled and is
 * shown as text; the inclusion check runs here with WebCrypto.
 *
 * With `?tiles=URL` (relative to this page) it reads a C2SP tlog-tiles
 * mirror instead and nothing from a coordinator (docs/PROTOCOL.md §9.9): the
 * checkpoint, entries from bundles, and every proof computed here from hash
 * tiles (lib/tiles.js, the reader the auditor uses). The registry and a
 * warrant's history then come from reading the log itself, each entry shown
 * proved by inclusion against the checkpoint.
 */
import { describeError, requestJson, requestText } from './lib/api.js';
import { base64ToBytes, bytesToBase64, bytesToHex, equalBytes, hexToBytes } from './lib/bytes.js';
import { byId, dl, formatTime, h, replace, short, table } from './lib/dom.js';
import { canonicalText, decodeLeaf, describeEntry, warrantHistory, warrantIdOf } from './lib/entries.js';
import { epochTimeline } from './lib/epochTimeline.js';
import { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from './lib/merkle.js';
import { classifySignatures, parseCheckpointNote } from './lib/note.js';
import { judgeGenesis, judgeRegistryUpdate, newestEpoch, replayWarrant } from './lib/rules.js';
import { findWarrantEntries } from './lib/search.js';
import { TileReader } from './lib/tiles.js';

/** docs/PROTOCOL.md §4.4: at most 1000 entries a page. */
const MAX_PAGE = 1000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const api = {
  checkpoint: new URL('../log/v1/checkpoint', location.href).href,
  entries: new URL('../log/v1/entries', location.href).href,
  inclusion: new URL('../log/v1/proof/inclusion', location.href).href,
  consistency: new URL('../log/v1/proof/consistency', location.href).href,
  registry: new URL('../v1/registry', location.href).href,
  warrantSearch: new URL('../v1/log/warrant/', location.href).href,
};

/** The mirror this page reads instead of the coordinator (`?tiles=URL`), or null. */
const tilesParam = new URLSearchParams(location.search).get('tiles');
const mirror = tilesParam ? new TileReader(new URL(tilesParam, location.href).href) : null;

// ## State

/** @type {ReturnType<typeof parseCheckpointNote> | null} */
let checkpoint = null;
/** @typedef {{ index: number, entry: unknown, origin: string, logNoteKey: string, threshold: number, custodians: { index: number, name: string, witnessKey: string }[], witnesses: { name: string, key: string }[] }} Registry */
/** @type {Registry | null} */
let registry = null;
/** Decoded leaves by index; all within the checkpoint's tree. @type {Map<number, import('./lib/entries.js').DecodedEntry>} */
const cache = new Map();
/** The proof as served, for "restore". @type {Uint8Array[]} */
let servedProof = [];
/** @type {{ index: number, size: number, hash: Uint8Array, root: Uint8Array } | null} */
let proofTarget = null;

// ## Status lines

/** @param {string} id @param {string} text @param {'' | 'ok' | 'bad' | 'warn'} [kind] */
function status(id, text, kind = '') {
  const el = byId(id, HTMLElement);
  el.className = `status${kind ? ` ${kind}` : ''}`;
  el.textContent = text;
}

// ## Checkpoint and registry

/**
 * The keys the page checks signatures with, from registry entry `entry` at log index `index`, with
 * the proposed epochs that logged `epoch` entries activated filled in (`activated`, docs/PROTOCOL.md §3.8).
 * @param {number} index @param {any} entry @param {any[]} [activated] @returns {Registry | null}
 */
function registryKeys(index, entry, activated = []) {
  const epochs = Array.isArray(entry?.epochs) ? entry.epochs : [];
  const resolved = {
    ...entry,
    epochs: epochs.map((/** @type {any} */ e) => {
      const a = activated.find((/** @type {any} */ x) => x?.epoch === e?.epoch);
      return a ? { ...e, groupKey: a.groupKey, commitments: a.commitments } : e;
    }),
  };
  // The newest ACTIVE epoch by number (lib/rules.js, as every service reads it): its custodians cosign.
  const newest = newestEpoch(resolved);
  if (typeof entry?.origin !== 'string' || typeof entry?.logNoteKey !== 'string' || !newest || !Array.isArray(newest.custodians)) return null;
  const hex32 = (/** @type {unknown} */ v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  return {
    index,
    entry,
    origin: entry.origin,
    logNoteKey: entry.logNoteKey,
    threshold: Number(newest.threshold),
    custodians: newest.custodians
      .filter((/** @type {any} */ c) => typeof c?.name === 'string' && hex32(c?.witnessKey))
      .map((/** @type {any} */ c) => ({ index: Number(c.index), name: c.name, witnessKey: c.witnessKey })),
    // External witnesses (docs/PROTOCOL.md §4.3): their cosignatures are shown and checked, not counted toward t.
    witnesses: (Array.isArray(entry.witnesses) ? entry.witnesses : [])
      .filter((/** @type {any} */ w) => typeof w?.name === 'string' && hex32(w?.key))
      .map((/** @type {any} */ w) => ({ name: w.name, key: w.key })),
  };
}

/** @returns {Promise<Registry | null>} */
async function loadRegistry() {
  try {
    const body = await requestJson(api.registry);
    if (!Number.isSafeInteger(body?.index) || body.index < 0) return null;
    // The epochs logged `epoch` entries activated (docs/PROTOCOL.md §3.8), as the coordinator reports them.
    return registryKeys(body.index, body?.entry, Array.isArray(body?.activated) ? body.activated : []);
  } catch {
    return null; // the page still works without names
  }
}

/**
 * A mirror serves no registry call: the registry in force is read from the
 * log itself, replayed by the protocol's rule (lib/rules.js), each registry
 * entry proved in the checkpoint's tree here.
 * @param {{ size: number, root: Uint8Array }} cp
 * @returns {Promise<Registry | null>}
 */
async function registryFromLog(cp) {
  if (!mirror) return null;
  const all = await fetchEntries(0, cp.size);
  /** @type {any} */
  let current = null;
  let at = -1;
  for (const d of all) {
    if (d.type !== 'registry' || !d.entry) continue;
    const verdict = d.index === 0 ? await judgeGenesis(d.entry) : current ? await judgeRegistryUpdate(d.entry, current) : null;
    if (!verdict?.ok) continue;
    await proveEntry(d, cp);
    current = d.entry;
    at = d.index;
  }
  return current ? registryKeys(at, current) : null;
}

/**
 * RFC 9162 §2.1.3.2 here, for an entry read from a mirror: its inclusion
 * proof, computed from the mirror's hash tiles, must lead to the checkpoint's root.
 * @param {import('./lib/entries.js').DecodedEntry} d @param {{ size: number, root: Uint8Array }} cp
 */
async function proveEntry(d, cp) {
  if (!mirror) throw new Error('no mirror');
  const proof = await mirror.inclusionProof(d.index, cp.size);
  const result = await verifyInclusion(d.index, cp.size, await leafHash(d.bytes), proof, cp.root);
  if (!result.ok) throw new Error(`entry ${d.index} read from the mirror is not in the checkpoint's tree: ${result.reason}`);
}

async function loadCheckpoint() {
  status('checkpoint-status', 'Loading the latest checkpoint…');
  try {
    const [note, served] = await Promise.all([mirror ? mirror.checkpoint() : requestText(api.checkpoint), mirror ? null : loadRegistry()]);
    const parsed = parseCheckpointNote(note);
    if (checkpoint) await checkConsistency(checkpoint, parsed);
    checkpoint = parsed;
    // The keys come from the registry the log itself holds: the served copy must be that entry, byte for byte in meaning.
    let reg = mirror ? await registryFromLog(parsed) : served;
    let registryProblem = '';
    if (mirror) {
      // Read from the log and proved here: nothing served to compare it with.
    } else if (reg && reg.index >= parsed.size) {
      registryProblem = `the registry is entry ${reg.index}, beyond this checkpoint`;
      reg = null;
    } else if (reg) {
      const [logged] = await fetchEntries(reg.index, reg.index + 1);
      if (!logged || logged.type !== 'registry' || canonicalText(logged.entry) !== canonicalText(reg.entry)) {
        registryProblem = `the registry served at ../v1/registry is not log entry ${reg.index}`;
        reg = null;
      }
    }
    registry = reg;
    const roles = await classifySignatures(parsed, reg);
    const cosigners = roles.filter((r) => r.role === 'cosignature' && r.verified);
    const hasLog = roles.some((r) => r.role === 'log' && r.verified);
    const invalid = roles.filter((r) => r.role !== 'unknown' && !r.verified);
    replace(
      byId('checkpoint-body', HTMLElement),
      dl([
        ['Origin', parsed.origin],
        ['Tree size', h('span', { id: 'checkpoint-size' }, String(parsed.size))],
        ['Root (base64)', h('code', { id: 'checkpoint-root', class: 'wrap' }, bytesToBase64(parsed.root))],
        ['Root (hex)', h('code', { class: 'wrap' }, bytesToHex(parsed.root))],
      ]),
      table(
        'Signatures on this checkpoint',
        ['Signer', 'Role', 'Key ID', 'Cosigned at', 'Signature'],
        roles.map((r) => [
          r.signature.name,
          r.role === 'log' ? 'log signature' : r.role === 'cosignature' ? `cosignature (custodian ${r.custodian})` : r.role === 'external' ? 'cosignature (external witness)' : 'unknown key',
          h('code', {}, r.signature.keyId),
          r.signature.timestamp === null ? '—' : formatTime(r.signature.timestamp),
          r.role === 'unknown'
            ? h('span', { class: 'badge' }, 'not checked')
            : r.verified
              ? h('span', { class: 'badge ok' }, '✓ verified')
              : h('span', { class: 'badge bad' }, '✗ INVALID'),
        ]),
        { id: 'cosigners' },
      ),
    );
    if (!reg) {
      const why = registryProblem || 'the registry is unavailable';
      status('checkpoint-status', `${parsed.signatures.length} signature line(s) not checked: ${why}.`, registryProblem ? 'bad' : 'warn');
    } else if (invalid.length > 0) {
      status('checkpoint-status', `✗ ${invalid.length} signature(s) from registered keys do NOT verify: do not trust this checkpoint.`, 'bad');
    } else {
      const enough = cosigners.length >= reg.threshold;
      const external = roles.filter((r) => r.role === 'external' && r.verified).length;
      const others = reg.witnesses.length > 0 ? ` and ${external} of ${reg.witnesses.length} external witnesses` : '';
      const text = `Cosigned by ${cosigners.length} of ${reg.custodians.length} custodians (auditors require ${reg.threshold})${others}; signatures verified here.${hasLog ? '' : ' No valid signature by the log key.'}`;
      status('checkpoint-status', text, enough && hasLog ? 'ok' : 'warn');
    }
  } catch (err) {
    status('checkpoint-status', `Could not read the checkpoint: ${describeError(err)}`, 'bad');
  }
}

/**
 * RFC 9162 §2.1.4.2 in the browser: the new checkpoint must extend the one
 * this page showed before; anything else means the log showed two histories.
 * @param {NonNullable<typeof checkpoint>} before @param {NonNullable<typeof checkpoint>} after
 */
async function checkConsistency(before, after) {
  const id = 'checkpoint-consistency';
  if (after.origin !== before.origin) {
    status(id, `✗ The log changed its origin from ${before.origin} to ${after.origin}.`, 'bad');
    return;
  }
  let proof = /** @type {Uint8Array[]} */ ([]);
  if (after.size > before.size && mirror) {
    try {
      proof = await mirror.consistencyProof(before.size, after.size);
    } catch (err) {
      status(id, `✗ Could not check that size ${after.size} extends size ${before.size}: ${describeError(err)}`, 'bad');
      return;
    }
  } else if (after.size > before.size) {
    try {
      const url = new URL(api.consistency);
      url.searchParams.set('from', String(before.size));
      url.searchParams.set('to', String(after.size));
      const body = await requestJson(url.href);
      if (body?.from !== before.size || body?.to !== after.size || !Array.isArray(body.proof)) throw new Error('a malformed consistency proof');
      proof = body.proof.map((/** @type {unknown} */ p, /** @type {number} */ i) => base64ToBytes(typeof p === 'string' ? p : '', `proof[${i}]`));
    } catch (err) {
      status(id, `✗ Could not check that size ${after.size} extends size ${before.size}: ${describeError(err)}`, 'bad');
      return;
    }
  }
  const result = await verifyConsistency(before.size, after.size, before.root, after.root, proof);
  if (result.ok) {
    status(id, `✓ Consistent: the checkpoint of size ${after.size} extends the one of size ${before.size} shown before (RFC 9162 consistency proof checked here).`, 'ok');
  } else {
    status(id, `✗ NOT consistent with the checkpoint of size ${before.size} shown before: ${result.reason}. The log may be showing different histories.`, 'bad');
  }
}

/** @returns {Promise<NonNullable<typeof checkpoint>>} */
async function needCheckpoint() {
  if (!checkpoint) await loadCheckpoint();
  if (!checkpoint) throw new Error('no checkpoint is available');
  return checkpoint;
}

// ## Entries

/**
 * Decoded leaves [start, end), fetched in pages of at most 1000 (docs/PROTOCOL.md §4.4).
 * @param {number} start @param {number} end @param {(done: number) => void} [progress]
 */
async function fetchEntries(start, end, progress) {
  let at = start;
  while (at < end) {
    if (cache.has(at)) {
      at++;
      continue;
    }
    const stop = Math.min(end, at + MAX_PAGE);
    if (mirror) {
      // Bundles of the tree of the checkpoint shown (C2SP tlog-tiles).
      const leaves = await mirror.entries(at, stop, checkpoint?.size ?? stop);
      leaves.forEach((leaf, i) => cache.set(at + i, decodeLeaf(at + i, bytesToBase64(leaf))));
      at = stop;
      progress?.(at - start);
      continue;
    }
    const url = new URL(api.entries);
    url.searchParams.set('start', String(at));
    url.searchParams.set('end', String(stop));
    const body = await requestJson(url.href);
    if (body?.start !== at || !Array.isArray(body.entries) || body.entries.length === 0 || body.entries.length > stop - at) {
      throw new Error(`the log answered entries [${at}, ${stop}) with a malformed page`);
    }
    body.entries.forEach((/** @type {unknown} */ b64, /** @type {number} */ i) => {
      cache.set(at + i, decodeLeaf(at + i, typeof b64 === 'string' ? b64 : ''));
    });
    at += body.entries.length;
    progress?.(at - start);
  }
  /** @type {import('./lib/entries.js').DecodedEntry[]} */
  const out = [];
  for (let i = start; i < end; i++) out.push(/** @type {import('./lib/entries.js').DecodedEntry} */ (cache.get(i)));
  return out;
}

/** @param {import('./lib/entries.js').DecodedEntry} d */
function entryActions(d) {
  const wid = warrantIdOf(d);
  return h(
    'div',
    { class: 'buttons' },
    h('a', { href: `#proof=${d.index}`, 'aria-label': `Check inclusion of entry ${d.index}`, onclick: routeLink }, 'Check inclusion'),
    wid && UUID_RE.test(wid)
      ? h('a', { href: `#warrant=${wid}`, 'aria-label': `History of warrant ${wid}`, onclick: routeLink }, 'Warrant history')
      : null,
  );
}

// ## Names, badges and times a person reads

/** `Demo District Court (court-1)` for a registered id, else the id. @param {'courts' | 'agencies'} kind @param {unknown} id */
function named(kind, id) {
  /** @type {any} */
  const entry = registry?.entry;
  const list = Array.isArray(entry?.[kind]) ? entry[kind] : [];
  const hit = list.find((/** @type {any} */ x) => x?.id === id && typeof x?.name === 'string');
  return hit ? `${hit.name} (${String(id)})` : String(id ?? '—');
}

/** Custodian `index` by its registry name. @param {unknown} index */
function custodianName(index) {
  const c = registry?.custodians.find((x) => x.index === index);
  return c ? `${c.name} (custodian ${String(index)})` : `custodian ${String(index)}`;
}

/**
 * describeEntry with names for ids: the agency, court and custodian of an
 * entry as the registry names them (the ids stay, in brackets).
 * @param {import('./lib/entries.js').DecodedEntry} d
 */
function describeNamed(d) {
  const { title, fields } = describeEntry(d);
  const e = d.entry;
  if (!e) return { title, fields };
  let t = title;
  if (d.type === 'warrant') t = `Warrant cover sheet: ${named('agencies', e.agency)} before ${named('courts', e.court)}`;
  if (typeof e.custodian === 'number') t = t.replace(`custodian ${e.custodian}`, custodianName(e.custodian));
  /** @type {[string, import('./lib/dom.js').Child][]} */
  const out = fields.map(([k, v]) => {
    if (k === 'Agency') return [k, named('agencies', e.agency)];
    if (k === 'Court') return [k, named('courts', e.court)];
    if (k === 'Custodian' && typeof e.custodian === 'number') return [k, custodianName(e.custodian)];
    return [k, v];
  });
  return { title: t, fields: out };
}

/** The type badge: a denial is an `approval` entry, but it is not an approval. @param {import('./lib/entries.js').DecodedEntry} d */
function typeBadge(d) {
  if (d.type === 'approval' && d.entry?.decision === 'deny') return h('span', { class: 'badge bad' }, 'denial');
  if (d.type === 'approval') return h('span', { class: 'badge ok' }, 'approval');
  return h('span', { class: 'badge' }, d.type);
}

/** When an entry was made: its `time`, or a cover sheet's `issuedAt`. @param {import('./lib/entries.js').DecodedEntry} d */
function entryTime(d) {
  const e = d.entry;
  return typeof e?.time === 'number' ? e.time : typeof e?.issuedAt === 'number' ? e.issuedAt : null;
}

/** @param {import('./lib/entries.js').DecodedEntry} d */
function entryDetails(d) {
  const { title, fields } = describeNamed(d);
  return h('details', {}, h('summary', {}, title), dl(fields));
}

let pageStart = 0;

async function showEntries() {
  const cp = await needCheckpoint();
  const count = Number(byId('entries-count', HTMLSelectElement).value) || 20;
  // Newest first: the page ends at the entry asked for (by default the newest) and lists downwards.
  const newestInput = byId('entries-start', HTMLInputElement);
  if (cp.size === 0) {
    status('entries-status', 'The log is empty.');
    replace(byId('entries-body', HTMLElement));
    return;
  }
  let newest = newestInput.value === '' ? cp.size - 1 : Math.floor(Number(newestInput.value));
  if (!Number.isSafeInteger(newest) || newest >= cp.size) newest = cp.size - 1;
  if (newest < 0) newest = Math.min(cp.size, count) - 1;
  const end = newest + 1;
  const start = Math.max(0, end - count);
  pageStart = start;
  newestInput.value = String(newest);
  status('entries-status', `Loading entries ${start}–${end - 1}…`);
  try {
    const page = await fetchEntries(start, end);
    replace(
      byId('entries-body', HTMLElement),
      table(
        `Entries ${start}–${end - 1} of ${cp.size}`,
        ['Index', 'Type', 'Time', 'Entry', 'Actions'],
        [...page].reverse().map((d) => [String(d.index), typeBadge(d), formatTime(entryTime(d)), entryDetails(d), entryActions(d)]),
        { id: 'entries-table' },
      ),
    );
    status('entries-status', `Showing entries ${end - 1}–${start} (newest first) of ${cp.size} in checkpoint.`);
    byId('entries-prev', HTMLButtonElement).disabled = start === 0;
    byId('entries-next', HTMLButtonElement).disabled = end >= cp.size;
  } catch (err) {
    status('entries-status', `Could not read entries: ${describeError(err)}`, 'bad');
  }
}

/** @param {number} direction */
async function turnPage(direction) {
  const count = Number(byId('entries-count', HTMLSelectElement).value) || 20;
  // -1: older entries (the page below this one); +1: newer.
  byId('entries-start', HTMLInputElement).value = String(Math.max(0, pageStart - 1 + (direction > 0 ? 2 * count : 0)));
  await showEntries();
}

// ## Warrant history

/** @param {string} title @param {import('./lib/entries.js').DecodedEntry[]} items @param {string} none */
function historySection(title, items, none) {
  return h(
    'section',
    { 'aria-label': title },
    h('h3', {}, `${title} (${items.length})`),
    items.length === 0
      ? h('p', { class: 'muted' }, none)
      : h(
          'ol',
          { class: 'timeline' },
          items.map((d) => {
            const { title: t, fields } = describeNamed(d);
            return h('li', {}, h('h4', {}, `Entry ${d.index}: ${t}`), dl(fields), entryActions(d));
          }),
        ),
  );
}

/**
 * The warrant's story in one short list, oldest first: each logged step with
 * its time (the sections below hold every field).
 * @param {import('./lib/entries.js').DecodedEntry[]} all every entry of the warrant
 */
function timeline(all) {
  /** @param {import('./lib/entries.js').DecodedEntry} d */
  const step = (d) => {
    const e = d.entry ?? {};
    switch (d.type) {
      case 'warrant':
        return 'Cover sheet logged';
      case 'approval':
        return `${e.decision === 'deny' ? 'Denied' : 'Approved'} by ${custodianName(e.custodian)}`;
      case 'decryption-request':
        return `Decryption requested: ${String(e.envelopeCount)} envelope(s)`;
      case 'release':
        return `Partials released by ${custodianName(e.custodian)}`;
      case 'decryption-complete':
        return 'Decryption completed';
      case 'misbehavior':
        return 'Misbehaviour recorded';
      case 'revocation':
        return `Revoked by the ${String(e.by)}`;
      case 'unseal':
        return 'Unsealed: the full warrant is public';
      default:
        return d.type;
    }
  };
  const sorted = [...all].sort((a, b) => a.index - b.index);
  return h(
    'section',
    { 'aria-label': 'Timeline' },
    h('h3', {}, 'Timeline'),
    h(
      'ol',
      { class: 'steps', id: 'warrant-timeline' },
      sorted.map((d) => h('li', {}, h('time', {}, formatTime(entryTime(d))), ' ', step(d), ' ', h('span', { class: 'muted' }, `(entry ${d.index})`))),
    ),
  );
}

/**
 * A mirror has no warrant index: read every entry, keep the warrant's (the
 * coordinator's rule, entries.js `warrantHistory`) and the registries, and
 * prove each in the checkpoint's tree here.
 * @param {string} id @param {{ size: number, root: Uint8Array }} cp
 */
async function warrantFromLog(id, cp) {
  status('warrant-status', `Reading the mirror's ${cp.size} entries for warrant ${id}…`);
  const all = await fetchEntries(0, cp.size);
  const entries = Object.values(warrantHistory(id, all)).flat();
  const registry = all.filter((d) => d.type === 'registry');
  for (const d of [...registry, ...entries]) await proveEntry(d, cp);
  return { registry, entries };
}

/** @param {string} warrantId */
async function showWarrant(warrantId) {
  const id = warrantId.trim().toLowerCase();
  byId('warrant-id', HTMLInputElement).value = id;
  if (!UUID_RE.test(id)) {
    status('warrant-status', 'A warrant ID is a UUID such as 0b0c6f4e-…', 'bad');
    return;
  }
  const body = byId('warrant-body', HTMLElement);
  replace(body);
  try {
    const cp = await needCheckpoint();
    // Only this warrant's entries, each proved against the checkpoint here (docs/PROTOCOL.md §7.3, "Warrant search").
    status('warrant-status', `Looking up warrant ${id} in the log's index…`);
    const proved = mirror ? await warrantFromLog(id, cp) : await findWarrantEntries(id, cp, { search: api.warrantSearch, entries: api.entries, inclusion: api.inclusion }, requestJson);
    const all = [...proved.registry, ...proved.entries].sort((a, b) => a.index - b.index); // log order, genesis first
    for (const d of all) cache.set(d.index, d);
    const hist = warrantHistory(id, proved.entries);
    const found = Object.values(hist).reduce((n, list) => n + list.length, 0);
    if (found === 0) {
      status('warrant-status', `Warrant ${id} does not appear in the log's index at the latest checkpoint (${cp.size} entries).`, 'warn');
      return;
    }
    const cover = hist.cover[0]?.entry;
    const now = Date.now() / 1000;
    // Status, tally and sealing by the protocol's rules (lib/rules.js, as the services apply them):
    // only valid decisions by reviewers count, each custodian's first one once.
    const replay = await replayWarrant(all.map((d) => d.entry), id, now);
    const sealedUntil = typeof cover?.sealedUntil === 'number' ? cover.sealedUntil : null;
    /** @type {string[]} */
    const facts = replay ? [`${replay.approvers.length} approval(s), ${replay.deniers.length} denial(s)`, `quorum is ${replay.threshold}`] : ['no acceptable registry or cover sheet in this log'];
    if (replay?.status === 'revoked') facts.push('revoked');
    if (replay && sealedUntil !== null) {
      if (replay.seal === 'unsealed') facts.push('unsealed');
      else if (replay.seal === 'overdue') facts.push(`unsealing OVERDUE since ${formatTime(sealedUntil)}`);
      else facts.push(`sealed until ${formatTime(sealedUntil)}`);
    }
    const overdue = replay?.seal === 'overdue';
    status('warrant-status', `Warrant ${id} (${replay ? replay.status : 'status unknown'}): ${facts.join('; ')}. ${found} entries, each proved in the checkpoint here.`, replay && !overdue ? 'ok' : 'warn');
    replace(
      body,
      timeline(Object.values(hist).flat()),
      historySection('Cover sheet', hist.cover, 'No cover sheet in this log.'),
      historySection('Approvals and denials', hist.approvals, 'No custodian has decided yet.'),
      historySection('Decryption requests', hist.requests, 'No decryption requested.'),
      historySection('Releases', hist.releases, 'No partial decryptions released.'),
      historySection('Completed decryptions', hist.completions, 'None completed.'),
      historySection('Misbehaviour', hist.misbehavior, 'None recorded.'),
      historySection('Revocation', hist.revocations, 'Not revoked.'),
      historySection('Unsealing', hist.unsealings, overdue ? 'Overdue: not yet unsealed.' : 'Not yet unsealed.'),
    );
  } catch (err) {
    status('warrant-status', `✗ Could not show warrant ${id}'s history: ${describeError(err)}`, 'bad');
  }
}

// ## Inclusion proof

/** @param {string} text @returns {Uint8Array[] | string} the hashes, or why the text is not a proof */
function parseProofText(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  /** @type {Uint8Array[]} */
  const out = [];
  for (const [i, line] of lines.entries()) {
    try {
      out.push(hexToBytes(line, `line ${i + 1}`));
    } catch (err) {
      return `line ${i + 1} is not hex: ${describeError(err)}`;
    }
  }
  return out;
}

/** @param {readonly Uint8Array[]} proof */
function proofText(proof) {
  return proof.map(bytesToHex).join('\n');
}

/** @param {number} index */
async function fetchProof(index) {
  const facts = byId('proof-facts', HTMLElement);
  byId('proof-index', HTMLInputElement).value = String(index);
  replace(facts);
  replace(byId('proof-path', HTMLElement));
  byId('proof-check-form', HTMLFormElement).hidden = true;
  proofTarget = null;
  try {
    const cp = await needCheckpoint();
    if (!Number.isSafeInteger(index) || index < 0 || index >= cp.size) {
      status('proof-result', `Entry ${index} is not in the checkpoint's tree of ${cp.size} entries.`, 'bad');
      return;
    }
    status('proof-result', `Fetching entry ${index} and its proof…`);
    const [entry] = await fetchEntries(index, index + 1);
    if (!entry) throw new Error(`entry ${index} is missing`);
    const url = new URL(api.inclusion);
    url.searchParams.set('index', String(index));
    url.searchParams.set('size', String(cp.size));
    // From a mirror the proof is computed here from its hash tiles, in the read API's shape.
    const body = mirror
      ? { index, size: cp.size, proof: (await mirror.inclusionProof(index, cp.size)).map(bytesToBase64), leafHash: undefined }
      : await requestJson(url.href);
    if (body?.index !== index || body?.size !== cp.size || !Array.isArray(body.proof)) throw new Error('the log answered with a malformed proof');
    servedProof = body.proof.map((/** @type {unknown} */ p, /** @type {number} */ i) => base64ToBytes(typeof p === 'string' ? p : '', `proof[${i}]`));
    // The leaf hash is computed here from the entry's bytes, not taken from the server.
    const hash = await leafHash(entry.bytes);
    let served = null;
    try {
      served = typeof body.leafHash === 'string' ? base64ToBytes(body.leafHash, 'leafHash') : null;
    } catch {
      served = null;
    }
    proofTarget = { index, size: cp.size, hash, root: cp.root };
    replace(
      facts,
      dl([
        ['Entry', `${index}: ${describeEntry(entry).title}`],
        ['Tree size (checkpoint)', String(cp.size)],
        ['Checkpoint root', h('code', { class: 'wrap' }, bytesToHex(cp.root))],
        ['Leaf hash, computed here', h('code', { class: 'wrap', id: 'proof-leaf-hash' }, bytesToHex(hash))],
        [
          'Leaf hash, served',
          mirror ? 'not served by a mirror (computed here only)' : served === null ? 'missing or malformed' : equalBytes(served, hash) ? 'matches' : h('strong', {}, 'DIFFERS from the entry bytes'),
        ],
      ]),
    );
    byId('proof-hashes', HTMLTextAreaElement).value = proofText(servedProof);
    byId('proof-check-form', HTMLFormElement).hidden = false;
    await checkProof();
  } catch (err) {
    status('proof-result', `Could not fetch the proof: ${describeError(err)}`, 'bad');
  }
}

async function checkProof() {
  if (!proofTarget) return;
  const { index, size, hash, root } = proofTarget;
  const parsed = parseProofText(byId('proof-hashes', HTMLTextAreaElement).value);
  const pathEl = byId('proof-path', HTMLElement);
  if (typeof parsed === 'string') {
    replace(pathEl);
    status('proof-result', `✗ Inclusion NOT verified: ${parsed}.`, 'bad');
    return;
  }
  const result = await verifyInclusion(index, size, hash, parsed, root);
  replace(
    pathEl,
    table(
      `Audit path of entry ${index} in a tree of ${size}`,
      ['Step', 'Proof hash', 'Position', 'Running hash'],
      [
        ['leaf', '—', '—', h('code', { class: 'wrap' }, bytesToHex(hash))],
        ...result.steps.map((st) => [
          String(st.position + 1),
          h('code', { class: 'wrap' }, bytesToHex(st.sibling)),
          st.side === 'left' ? 'proof hash on the left' : 'proof hash on the right',
          h('code', { class: 'wrap' }, bytesToHex(st.result)),
        ]),
      ],
      { class: 'path', id: 'proof-path-table' },
    ),
    result.computedRoot
      ? dl([
          ['Computed root', h('code', { class: 'wrap' }, bytesToHex(result.computedRoot))],
          ['Checkpoint root', h('code', { class: 'wrap' }, bytesToHex(root))],
        ])
      : null,
  );
  if (result.ok) status('proof-result', `✓ Inclusion verified: entry ${index} is in the checkpoint of size ${size}.`, 'ok');
  else status('proof-result', `✗ Inclusion NOT verified: ${result.reason}.`, 'bad');
}

function tamper() {
  const area = byId('proof-hashes', HTMLTextAreaElement);
  const parsed = parseProofText(area.value);
  if (typeof parsed === 'string' || parsed.length === 0) {
    status('proof-result', 'There is no proof hash to change (a one-entry tree has an empty proof).', 'warn');
    return;
  }
  const first = /** @type {Uint8Array} */ (parsed[0]).slice();
  first[0] = /** @type {number} */ (first[0]) ^ 0x01;
  parsed[0] = first;
  area.value = proofText(parsed);
  void checkProof();
}

// ## Epoch timeline (docs/PROTOCOL.md §3.8)

/** @param {{ custodians: { index: number, name: string }[] }} story @param {number} index */
function nameIn(story, index) {
  return story.custodians.find((c) => c.index === index)?.name ?? `custodian ${index}`;
}

/** @param {Awaited<ReturnType<typeof epochTimeline>>['epochs'][number]} story @param {number | null} current */
function epochSection(story, current) {
  const by = (/** @type {{ custodian: number }[]} */ steps) => steps.map((x) => nameIn(story, x.custodian)).join(', ') || 'none';
  const made = story.origin === 'reshare' ? `reshare of epoch ${story.reshareOf}` : story.origin === 'dkg' ? 'DKG' : 'dealer';
  const state = story.supersededBy ? `superseded by epoch ${story.supersededBy.epoch}` : story.origin === 'proposed' ? 'proposed, not active' : `active (${made})`;
  const reshare = story.reshareOf === null ? '' : ` — a reshare of epoch ${story.reshareOf}, same group key (§3.9)`;
  /** @type {import('./lib/dom.js').Child[]} */
  const steps = [h('li', {}, `Listed in registry entry ${story.listedAt}: ${story.threshold} of ${story.total} — ${story.custodians.map((c) => c.name).join(', ')}${reshare}`)];
  for (const s of story.sessions) {
    const n = story.total;
    steps.push(
      h(
        'li',
        { class: 'dkg-session', 'data-session': s.session },
        h('strong', {}, `${story.reshareOf === null ? 'DKG' : 'Reshare'} session ${s.session.slice(0, 8)}`),
        // A reshare's dealers are the old epoch's custodians, so its count is not this epoch's n.
        story.reshareOf === null ? ` (from entry ${s.index}): ${s.commits.length}/${n} commits, ${s.reveals.length}/${n} reveals, ` : ` (from entry ${s.index}): ${s.commits.length} dealings committed, ${s.reveals.length} revealed, `,
        story.reshareOf === null ? (s.aggregate === null ? 'no aggregate' : `aggregate at entry ${s.aggregate}`) : s.dealers === null ? 'no dealers chosen' : `dealers chosen at entry ${s.dealers}`,
        `, ${s.certeqs.length}/${n} CertEq signatures.`,
        h(
          'ul',
          {},
          [
            h('li', {}, `Committed${story.reshareOf === null ? '' : ' (dealers of the old epoch)'}: ${by(s.commits)}`),
            h('li', {}, `Revealed: ${by(s.reveals)}`),
            h('li', {}, `Signed the transcript: ${by(s.certeqs)}`),
            ...s.blames.map((b) => h('li', { class: 'warn' }, `Entry ${b.index}: ${nameIn(story, b.custodian)} blamed ${nameIn(story, b.blamed)}`)),
            s.abort
              ? h('li', { class: 'bad' }, `Entry ${s.abort.index}: aborted (${s.abort.reason || 'no reason'}); blamed: ${s.abort.blamed.map((i) => nameIn(story, i)).join(', ') || 'nobody'}`)
              : null,
            ...s.refused.map((r) => h('li', { class: 'bad' }, `Entry ${r.index}: refused by the rules here (${r.code})`)),
          ],
        ),
      ),
    );
  }
  for (const r of story.refusedEpochEntries) steps.push(h('li', { class: 'bad' }, `Entry ${r.index}: an epoch entry refused here (${r.code}); it activates nothing`));
  if (story.activation) {
    const a = story.activation;
    steps.push(
      h(
        'li',
        { class: 'ok', id: `epoch-${story.epoch}-activation` },
        a.qualified === null
          ? `✓ Activated by entry ${a.index} (session ${a.session.slice(0, 8)}, ${formatTime(a.time)}): certificate verified here, group key and ${a.commitments} commitment(s) recomputed from the recovery data. Group key `
          : `✓ Activated by entry ${a.index} (session ${a.session.slice(0, 8)}, ${formatTime(a.time)}): reshare of epoch ${story.reshareOf} dealt by custodians ${a.qualified.join(', ')}; certificate, each dealing against the old public shares and the unchanged group key verified here. Group key `,
        short(a.groupKey),
      ),
    );
  }
  if (story.supersededBy) steps.push(h('li', { id: `epoch-${story.epoch}-superseded` }, `Entry ${story.supersededBy.index}: its key moved to epoch ${story.supersededBy.epoch}; its custodians must destroy their shares.`));
  for (const d of story.destroyed) steps.push(h('li', { class: 'ok destroyed' }, `Entry ${d.index}: ${nameIn(story, d.custodian)} destroyed its share (${formatTime(d.time)})`));
  if (story.supersededBy) {
    const missing = story.custodians.filter((c) => !story.destroyed.some((d) => d.custodian === c.index));
    if (missing.length) steps.push(h('li', { class: 'warn' }, `No share-destroyed statement yet from: ${missing.map((c) => c.name).join(', ')}`));
  }
  for (const r of story.refusedDestructions) steps.push(h('li', { class: 'bad' }, `Entry ${r.index}: a share-destroyed statement refused here (${r.code})`));
  // Retirement (docs/PROTOCOL.md §3.10): the date, then each custodian's signed statement that it destroyed its share.
  const retired = story.retireAfter !== null && Date.now() / 1000 >= story.retireAfter;
  if (story.retireAfter !== null) {
    const missing = story.custodians.filter((c) => !story.retirements.some((r) => r.custodian === c.index)).map((c) => c.name);
    steps.push(
      h(
        'li',
        { class: retired && missing.length > 0 ? 'warn' : 'ok', id: `epoch-${story.epoch}-retirement` },
        `${retired ? 'Retired' : 'Retires'} ${formatTime(story.retireAfter)}: ${story.retirements.length} of ${story.total} custodians logged that they destroyed their share`,
        missing.length > 0 ? ` (not yet: ${missing.join(', ')})` : '',
        h('ul', {}, story.retirements.map((r) => h('li', {}, `Entry ${r.index}: ${nameIn(story, r.custodian)} retired it, ${formatTime(r.time)} (signature verified here)`))),
      ),
    );
  }
  for (const r of story.refusedRetirements) steps.push(h('li', { class: 'bad' }, `Entry ${r.index}: a retirement statement refused here (${r.code})`));
  return h(
    'section',
    { 'aria-label': `Epoch ${story.epoch}`, class: 'epoch', 'data-epoch': String(story.epoch) },
    h('h3', {}, `Epoch ${story.epoch}: ${retired ? 'retired' : state}${story.epoch === current ? ' — current' : ''}`),
    h('ol', { class: 'steps' }, steps),
  );
}

async function showEpochs() {
  const body = byId('epochs-body', HTMLElement);
  replace(body);
  try {
    const cp = await needCheckpoint();
    status('epochs-status', `Reading ${cp.size} entries…`);
    const all = await fetchEntries(0, cp.size, (done) => status('epochs-status', `Reading entries: ${done} of ${cp.size}…`));
    // The entries must be the checkpoint's: recompute its root from them (RFC 9162 §2.1.1).
    const root = await rootFromLeafHashes(await Promise.all(all.map((d) => leafHash(d.bytes))));
    if (!equalBytes(root, cp.root)) {
      status('epochs-status', `✗ The ${cp.size} entries served do not hash to the checkpoint's root: nothing shown.`, 'bad');
      return;
    }
    const { epochs, current } = await epochTimeline(all);
    if (epochs.length === 0) {
      status('epochs-status', 'No registry this page accepts: no epochs to show.', 'warn');
      return;
    }
    status('epochs-status', `✓ ${epochs.length} epoch(s) from ${cp.size} entries that hash to the checkpoint's root; current epoch: ${current ?? 'none'}.`, 'ok');
    replace(body, ...epochs.map((e) => epochSection(e, current)));
  } catch (err) {
    status('epochs-status', `✗ Could not build the epoch timeline: ${describeError(err)}`, 'bad');
  }
}

// ## Routing: #warrant=<id>, #proof=<index>, #entries=<start>

/** @param {string} hash */
async function route(hash) {
  const m = /^#(warrant|proof|entries)=(.+)$/.exec(hash);
  if (!m) return;
  const [, kind, value = ''] = m;
  if (kind === 'warrant') {
    byId('warrant-h', HTMLElement).focus();
    let id = value;
    try {
      id = decodeURIComponent(value);
    } catch {
      // a malformed %-escape: showWarrant reports it as not a UUID
    }
    await showWarrant(id);
  } else if (kind === 'proof') {
    byId('proof-h', HTMLElement).focus();
    await fetchProof(Number(value));
  } else {
    byId('entries-start', HTMLInputElement).value = value;
    await showEntries();
  }
}

/** @param {Event} event */
function routeLink(event) {
  const a = event.currentTarget;
  if (!(a instanceof HTMLAnchorElement)) return;
  event.preventDefault();
  const hash = new URL(a.href).hash;
  history.replaceState(null, '', hash);
  void route(hash);
}

// ## Wiring

/** @param {string} id @param {() => Promise<void> | void} fn */
function onSubmit(id, fn) {
  byId(id, HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    void fn();
  });
}

function main() {
  byId('checkpoint-refresh', HTMLButtonElement).addEventListener('click', () => {
    cache.clear();
    void loadCheckpoint().then(showEntries);
  });
  onSubmit('entries-form', showEntries);
  byId('entries-prev', HTMLButtonElement).addEventListener('click', () => void turnPage(-1));
  byId('entries-next', HTMLButtonElement).addEventListener('click', () => void turnPage(1));
  onSubmit('warrant-form', () => {
    const id = byId('warrant-id', HTMLInputElement).value.trim().toLowerCase();
    history.replaceState(null, '', `#warrant=${id}`);
    return showWarrant(id);
  });
  onSubmit('proof-form', () => {
    const index = Number(byId('proof-index', HTMLInputElement).value);
    history.replaceState(null, '', `#proof=${index}`);
    return fetchProof(index);
  });
  onSubmit('proof-check-form', checkProof);
  byId('proof-tamper', HTMLButtonElement).addEventListener('click', tamper);
  byId('epochs-load', HTMLButtonElement).addEventListener('click', () => void showEpochs());
  byId('proof-reset', HTMLButtonElement).addEventListener('click', () => {
    byId('proof-hashes', HTMLTextAreaElement).value = proofText(servedProof);
    void checkProof();
  });
  window.addEventListener('hashchange', () => void route(location.hash));
  void (async () => {
    await loadCheckpoint();
    await showEntries();
    await route(location.hash);
    document.body.dataset.ready = 'true';
  })();
}

main();
