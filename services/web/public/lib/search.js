// @ts-check
/**
 * Warrant search without the whole log (docs/PROTOCOL.md §7.3, "Warrant
 * search"): ask the coordinator's index `GET /v1/log/warrant/:id?size=S` for
 * the indices of one warrant's entries, fetch only those entries
 * (`GET /log/v1/entries`, contiguous runs in one call) and one inclusion proof
 * each (`GET /log/v1/proof/inclusion`), and check here, against the
 * checkpoint's root, that every entry is in the tree (RFC 9162 §2.1.3.2) and
 * is the warrant's (entries.js `warrantHistory`).
 *
 * It also fetches the registry entries the index lists (genesis and its
 * updates), which the explorer needs to replay the warrant's rules
 * (lib/rules.js `replayWarrant`). Requests: 1 + (runs of consecutive indices)
 * + (entries) ≤ 1 + 2k for k entries (the warrant's and the registry's),
 * independent of the log's size.
 *
 * Everything served is attacker-controlled. What this cannot catch: an index
 * that leaves an entry out (only a reader of every entry, the auditor, sees
 * that); what it does catch is listed in `SearchError` codes.
 */
import { base64ToBytes } from './bytes.js';
import { decodeLeaf, warrantHistory } from './entries.js';
import { leafHash, verifyInclusion } from './merkle.js';

/** docs/PROTOCOL.md §4.4: at most 1000 entries a page. */
const MAX_PAGE = 1000;
/** Proof calls in flight at once. */
const PARALLEL = 8;

/**
 * @typedef {'BAD_INDEX' | 'BAD_ENTRIES' | 'BAD_PROOF' | 'NOT_IN_TREE' | 'NOT_THIS_WARRANT'} SearchCode
 */

class SearchError extends Error {
  /** @param {SearchCode} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'SearchError';
    this.code = code;
  }
}

/** Canonical indices, strictly ascending, within [0, size). @param {unknown} list @param {number} size @param {string} what @returns {number[]} */
function indexList(list, size, what) {
  if (!Array.isArray(list)) throw new SearchError('BAD_INDEX', `the index answer has no ${what} list`);
  /** @type {number[]} */
  const out = [];
  for (const i of list) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= size) throw new SearchError('BAD_INDEX', `the index names entry ${String(i)}, outside the tree of ${size}`);
    if (out.length > 0 && i <= /** @type {number} */ (out[out.length - 1])) throw new SearchError('BAD_INDEX', 'the index answer is not strictly ascending');
    out.push(i);
  }
  return out;
}

/**
 * The served index, checked: the warrant's entries and the registry entries
 * (genesis first), each list canonical, strictly ascending, within [0, size).
 * @param {unknown} body @param {string} warrantId @param {number} size
 * @returns {{ indices: number[], registry: number[] }}
 */
function parseIndexAnswer(body, warrantId, size) {
  const b = /** @type {any} */ (body);
  if (typeof b !== 'object' || b === null || b.warrantId !== warrantId || b.size !== size) {
    throw new SearchError('BAD_INDEX', `the index answer is not about warrant ${warrantId} at size ${size}`);
  }
  const indices = indexList(b.indices, size, 'indices');
  const registry = indexList(b.registry, size, 'registry');
  if (registry[0] !== 0) throw new SearchError('BAD_INDEX', 'the index answer does not start the registry at entry 0');
  if (registry.some((i) => indices.includes(i))) throw new SearchError('BAD_INDEX', 'the index answer names an entry as both registry and warrant');
  return { indices, registry };
}

/** Runs of consecutive indices, each at most MAX_PAGE long: [start, end). @param {number[]} indices */
function runsOf(indices) {
  /** @type {[number, number][]} */
  const runs = [];
  for (const i of indices) {
    const last = runs[runs.length - 1];
    if (last && last[1] === i && last[1] - last[0] < MAX_PAGE) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  return runs;
}

/**
 * @template T, R
 * @param {readonly T[]} items @param {(item: T) => Promise<R>} fn @returns {Promise<R[]>}
 */
async function mapLimited(items, fn) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(/** @type {T} */ (items[k]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return out;
}

/**
 * The entries of `warrantId` in the tree of `checkpoint`, and the registry
 * entries to replay its rules with, each proved in it and each what the index
 * says it is; throws SearchError if the log's answers do not
 * check, and whatever `getJson` throws for a failed call.
 *
 * @param {string} warrantId  a lower-case UUID
 * @param {{ size: number, root: Uint8Array }} checkpoint  verified by the caller
 * @param {{ search: string, entries: string, inclusion: string }} urls  absolute: `…/v1/log/warrant/`, `…/log/v1/entries`, `…/log/v1/proof/inclusion`
 * @param {(url: string) => Promise<unknown>} getJson
 * @returns {Promise<{ registry: import('./entries.js').DecodedEntry[], entries: import('./entries.js').DecodedEntry[] }>} each ascending by index
 */
async function findWarrantEntries(warrantId, checkpoint, urls, getJson) {
  const { size, root } = checkpoint;
  const searchUrl = new URL(encodeURIComponent(warrantId), urls.search);
  searchUrl.searchParams.set('size', String(size));
  const answer = parseIndexAnswer(await getJson(searchUrl.href), warrantId, size);
  const indices = [...answer.indices, ...answer.registry].sort((a, b) => a - b);

  /** @type {Map<number, import('./entries.js').DecodedEntry>} */
  const decoded = new Map();
  for (const [start, end] of runsOf(indices)) {
    const url = new URL(urls.entries);
    url.searchParams.set('start', String(start));
    url.searchParams.set('end', String(end));
    const body = /** @type {any} */ (await getJson(url.href));
    if (body?.start !== start || !Array.isArray(body.entries) || body.entries.length !== end - start) {
      throw new SearchError('BAD_ENTRIES', `the log answered entries [${start}, ${end}) with a malformed page`);
    }
    body.entries.forEach((/** @type {unknown} */ b64, /** @type {number} */ k) => decoded.set(start + k, decodeLeaf(start + k, typeof b64 === 'string' ? b64 : '')));
  }
  const entries = indices.map((i) => /** @type {import('./entries.js').DecodedEntry} */ (decoded.get(i)));

  await mapLimited(entries, async (d) => {
    const url = new URL(urls.inclusion);
    url.searchParams.set('index', String(d.index));
    url.searchParams.set('size', String(size));
    const body = /** @type {any} */ (await getJson(url.href));
    if (body?.index !== d.index || body?.size !== size || !Array.isArray(body.proof)) {
      throw new SearchError('BAD_PROOF', `the log answered the proof of entry ${d.index} malformed`);
    }
    /** @type {Uint8Array[]} */
    let proof;
    try {
      proof = body.proof.map((/** @type {unknown} */ p, /** @type {number} */ k) => base64ToBytes(typeof p === 'string' ? p : '', `proof[${k}]`));
    } catch {
      throw new SearchError('BAD_PROOF', `the proof of entry ${d.index} is not base64`);
    }
    // RFC 9162 §2.1.3.2, with the leaf hash computed here from the bytes served.
    const result = await verifyInclusion(d.index, size, await leafHash(d.bytes), proof, root);
    if (!result.ok) throw new SearchError('NOT_IN_TREE', `entry ${d.index} is not in the checkpoint's tree: ${result.reason}`);
  });

  // Every entry the index names must be what it says: a registry entry, or the warrant's by the explorer's own rule.
  const registrySet = new Set(answer.registry);
  const registry = entries.filter((d) => registrySet.has(d.index));
  const notRegistry = registry.find((d) => d.type !== 'registry');
  if (notRegistry) throw new SearchError('NOT_THIS_WARRANT', `entry ${notRegistry.index} (${notRegistry.type}) is not a registry entry`);
  const warrantEntries = entries.filter((d) => !registrySet.has(d.index));
  const history = warrantHistory(warrantId, warrantEntries);
  const mine = new Set(Object.values(history).flat().map((d) => d.index));
  const stranger = warrantEntries.find((d) => !mine.has(d.index));
  if (stranger) throw new SearchError('NOT_THIS_WARRANT', `entry ${stranger.index} (${stranger.type}) is not warrant ${warrantId}'s`);
  return { registry, entries: warrantEntries };
}

export { SearchError, findWarrantEntries, parseIndexAnswer };
