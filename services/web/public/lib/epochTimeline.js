// @ts-check
/**
 * The epoch timeline (docs/PROTOCOL.md §3.8, §3.9, §3.10): every epoch a
 * registry proposed or dealt, the DKG or reshare sessions run for it
 * (commits, reveals, aggregate or dealers, CertEq signatures, blames and
 * aborts, and by whom), the `epoch` entry that activated it (for a reshare:
 * from which epoch, with which qualified dealers Q), the epoch that took its
 * key over, its custodians' `share-destroyed` statements, its retirement date
 * and the custodians' signed retirement statements, and which epoch is current — replayed from the log's
 * entries by the same rules every service applies (lib/rules.js for
 * registries, lib/dkgEpochs.js for `dkg` and `epoch` entries), so the page
 * trusts nothing the coordinator says about keys. Pure: entries in, a model
 * out; the explorer renders it.
 *
 * Everything here reads attacker-controlled entries.
 */
import { judgeDkgEntry, judgeEpochEntry, judgeShareDestroyed, resolveRegistry } from './dkgEpochs.js';
import { judgeGenesis, judgeRegistryUpdate, judgeRetired, newestEpoch } from './rules.js';

/** @typedef {import('./rules.js').Registry} Registry */
/** @typedef {{ custodian: number, index: number }} Step */
/**
 * @typedef {object} Session
 * @property {string} session
 * @property {number} index  log index of its first entry
 * @property {Step[]} commits
 * @property {Step[]} reveals
 * @property {number | null} aggregate  log index of the coordinator's aggregate
 * @property {number | null} dealers  log index of the coordinator's `dealers` step (a reshare, §3.9)
 * @property {Step[]} certeqs
 * @property {{ custodian: number, blamed: number, index: number }[]} blames
 * @property {{ reason: string, blamed: number[], index: number } | null} abort
 * @property {{ index: number, code: string }[]} refused  entries of this session no rule admits
 */
/**
 * @typedef {object} EpochStory
 * @property {number} epoch
 * @property {number} threshold
 * @property {number} total
 * @property {{ index: number, name: string }[]} custodians
 * @property {number} listedAt  index of the first accepted registry that lists it
 * @property {'dealer' | 'dkg' | 'reshare' | 'proposed'} origin
 * @property {number | null} reshareOf  the epoch it reshares (§3.9), or null
 * @property {Session[]} sessions
 * @property {{ index: number, session: string, groupKey: string, commitments: number, time: number, qualified: number[] | null } | null} activation
 * @property {{ index: number, code: string }[]} refusedEpochEntries
 * @property {{ epoch: number, index: number } | null} supersededBy  the reshare that took its key over, and where
 * @property {{ custodian: number, index: number, time: number }[]} destroyed  valid share-destroyed statements
 * @property {{ index: number, code: string }[]} refusedDestructions  share-destroyed statements no rule admits
 * @property {number | null} retireAfter  the epoch's retirement date in the registry in force (§3.10), Unix seconds
 * @property {{ custodian: number, index: number, time: number }[]} retirements  statements the rules here accept, first per custodian
 * @property {{ index: number, code: string }[]} refusedRetirements
 */

/** @param {unknown} v */
const int = (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : -1);

/**
 * @param {readonly { index: number, entry: Record<string, any> | null }[]} entries  the log's decoded entries, in order from 0
 * @returns {Promise<{ epochs: EpochStory[], current: number | null, registryIndex: number | null }>}
 */
async function epochTimeline(entries) {
  /** @type {Registry | null} */
  let logged = null;
  /** @type {Registry | null} */
  let resolved = null;
  let registryIndex = null;
  /** @type {Record<string, any>[]} */
  const activations = [];
  /** @type {Map<number, EpochStory>} */
  const stories = new Map();

  /** @param {Registry} reg @param {number} index */
  const list = (reg, index) => {
    for (const e of reg.epochs) {
      const known = stories.get(e.epoch);
      if (known) {
        known.retireAfter = typeof e.retireAfter === 'number' ? e.retireAfter : null; // the registry in force dates it
        continue;
      }
      stories.set(e.epoch, {
        epoch: e.epoch,
        threshold: e.threshold,
        total: e.total,
        custodians: [...e.custodians].sort((a, b) => a.index - b.index).map((c) => ({ index: c.index, name: String(c.name) })),
        listedAt: index,
        origin: e.groupKey === undefined ? 'proposed' : 'dealer',
        reshareOf: e.reshareOf ?? null,
        sessions: [],
        activation: null,
        refusedEpochEntries: [],
        supersededBy: null,
        destroyed: [],
        refusedDestructions: [],
        retireAfter: typeof e.retireAfter === 'number' ? e.retireAfter : null,
        retirements: [],
        refusedRetirements: [],
      });
    }
  };

  for (const { index, entry: e } of entries) {
    if (!e) continue;
    if (e.type === 'registry') {
      const verdict = index === 0 ? await judgeGenesis(e) : resolved ? await judgeRegistryUpdate(e, resolved) : null;
      if (!verdict?.ok) continue;
      logged = /** @type {Registry} */ (e);
      resolved = await resolveRegistry(logged, activations);
      registryIndex = index;
      list(logged, index);
    } else if (e.type === 'dkg' && resolved) {
      const story = stories.get(e.epoch);
      if (!story) continue;
      let s = story.sessions.find((x) => x.session === e.session);
      if (!s) {
        s = { session: String(e.session), index, commits: [], reveals: [], aggregate: null, dealers: null, certeqs: [], blames: [], abort: null, refused: [] };
        story.sessions.push(s);
      }
      const verdict = await judgeDkgEntry(e, resolved);
      if (!verdict.ok) {
        s.refused.push({ index, code: verdict.code });
        continue;
      }
      const step = { custodian: int(e.custodian), index };
      if (e.step === 'commit') s.commits.push(step);
      else if (e.step === 'reveal') s.reveals.push(step);
      else if (e.step === 'certeq') s.certeqs.push(step);
      else if (e.step === 'aggregate') s.aggregate ??= index;
      else if (e.step === 'dealers') s.dealers ??= index;
      else if (e.step === 'blame') s.blames.push({ custodian: int(e.custodian), blamed: int(e.blamed?.[0]), index });
      else if (e.step === 'abort' && !s.abort) s.abort = { reason: abortReason(e.payload), blamed: Array.isArray(e.blamed) ? e.blamed.map(int) : [], index };
    } else if (e.type === 'retired' && resolved) {
      const story = stories.get(e.epoch);
      if (!story) continue;
      const verdict = await judgeRetired(e, resolved);
      if (!verdict.ok) story.refusedRetirements.push({ index, code: verdict.code });
      else if (story.retirements.some((r) => r.custodian === e.custodian)) story.refusedRetirements.push({ index, code: 'DUPLICATE_ENTRY' });
      else story.retirements.push({ custodian: int(e.custodian), index, time: int(e.time) });
    } else if (e.type === 'epoch' && resolved && logged) {
      const story = stories.get(e.epoch);
      const verdict = await judgeEpochEntry(e, resolved);
      if (!verdict.ok) {
        story?.refusedEpochEntries.push({ index, code: verdict.code });
        continue;
      }
      activations.push(e);
      resolved = await resolveRegistry(logged, activations);
      if (story) {
        const qualified = Array.isArray(verdict.keys.qualified) ? [...verdict.keys.qualified] : null;
        story.origin = story.reshareOf === null ? 'dkg' : 'reshare';
        story.activation = { index, session: String(e.session), groupKey: verdict.keys.groupKey, commitments: verdict.keys.commitments.length, time: int(e.time), qualified };
        const old = story.reshareOf === null ? undefined : stories.get(story.reshareOf);
        if (old) old.supersededBy ??= { epoch: story.epoch, index };
      }
    } else if (e.type === 'share-destroyed' && resolved) {
      // Old shares die only after the new ones are safe (§3.9): judged against the registry resolved so far.
      const story = stories.get(e.epoch);
      const verdict = await judgeShareDestroyed(e, resolved);
      if (!verdict.ok) story?.refusedDestructions.push({ index, code: verdict.code });
      else if (story && !story.destroyed.some((d) => d.custodian === e.custodian)) story.destroyed.push({ custodian: int(e.custodian), index, time: int(e.time) });
    }
  }
  const epochs = [...stories.values()].sort((a, b) => a.epoch - b.epoch);
  // The newest ACTIVE epoch, else the newest proposed one (docs/PROTOCOL.md §3.8, rules.js newestEpoch).
  const current = resolved ? newestEpoch(resolved)?.epoch ?? null : null;
  return { epochs, current, registryIndex };
}

/** The abort's UTF-8 reason, at most 200 characters. @param {unknown} payload */
function abortReason(payload) {
  if (typeof payload !== 'string') return '';
  try {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)));
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return ''; // not base64: the schema would have refused it; shown as no reason
  }
}

export { epochTimeline };
