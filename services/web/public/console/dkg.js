// @ts-check
/**
 * Key generation in the console (docs/PROTOCOL.md §3.8, §7.15): this node's
 * host public key and every epoch of the registry in force that lists it
 * (`GET ../v1/operator/dkg`), each with its threshold, committee, the
 * operator's consent, whether the node holds its share, and each DKG session
 * as the node's replica of the log shows it. A proposed epoch without
 * consent has a Consent button; the operator confirms a step that names the
 * epoch, t and n before `POST ../v1/operator/dkg/consent` is sent. The
 * node's answers are attacker-controlled as far as this page goes: shapes
 * are checked, and everything is shown as text (lib/dom.js).
 *
 * A reshare epoch N of O (§3.9; `reshare` in the status) is shown as
 * "reshare of epoch O", with both committees, this node's roles (dealer: a
 * custodian of O; receiver: of N), the same consent control, and what became
 * of the node's share of O (held, destroyed, its statement logged); an epoch
 * whose key moved on says by which reshare.
 */
import { dl, formatTime, h, short, table } from './lib/dom.js';

/**
 * @typedef {{ index: number, name: string }} Member
 * @typedef {{ session: string, step: string, committed: number[], revealed: number[], certified: number[], outcome: string, reason: string | null, blamed: number[] }} Session
 * @typedef {{ from: number, threshold: number, total: number, custodians: Member[], roles: string[], oldShareHeld: boolean, oldShareDestroyed: boolean, destructionLogged: boolean }} Reshare
 * @typedef {{ epoch: number, reshare: Reshare | null, threshold: number, total: number, custodians: Member[], state: string, groupKey: string | null, consent: { officer: string, time: number } | null, shareHeld: boolean, sessions: Session[] }} EpochStatus
 * @typedef {{ custodian: number | null, hostKey: string | null, epochs: EpochStatus[] }} DkgStatus
 */

/** @param {unknown} v */
const int = (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
/** @param {unknown} v @returns {number[]} */
const ints = (v) => (Array.isArray(v) ? v.map(int).filter((x) => x !== null) : []);
/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : null);

/** @param {unknown} v @returns {Member[]} */
const members = (v) => (Array.isArray(v) ? v : []).map((/** @type {any} */ c) => ({ index: int(c?.index) ?? 0, name: String(c?.name ?? '') }));

/** A reshare's part of an epoch's status, or null. @param {any} r @returns {Reshare | null} */
function parseReshare(r) {
  if (!r || typeof r !== 'object' || int(r.from) === null) return null;
  return {
    from: /** @type {number} */ (int(r.from)),
    threshold: int(r.threshold) ?? 0,
    total: int(r.total) ?? 0,
    custodians: members(r.custodians),
    roles: (Array.isArray(r.roles) ? r.roles : []).filter((/** @type {unknown} */ x) => x === 'dealer' || x === 'receiver'),
    oldShareHeld: r.oldShareHeld === true,
    oldShareDestroyed: r.oldShareDestroyed === true,
    destructionLogged: r.destructionLogged === true,
  };
}

/** The node's answer, checked for shape; epochs without a number are dropped. @param {any} raw @returns {DkgStatus} */
function parseStatus(raw) {
  const epochs = Array.isArray(raw?.epochs) ? raw.epochs : [];
  return {
    custodian: int(raw?.custodian),
    hostKey: str(raw?.hostKey),
    epochs: epochs
      .filter((/** @type {any} */ e) => int(e?.epoch) !== null)
      .map((/** @type {any} */ e) => ({
        epoch: /** @type {number} */ (int(e.epoch)),
        reshare: parseReshare(e.reshare),
        threshold: int(e.threshold) ?? 0,
        total: int(e.total) ?? 0,
        custodians: members(e.custodians),
        state: e.state === 'active' ? 'active' : 'proposed',
        groupKey: str(e.groupKey),
        consent: e.consent && typeof e.consent === 'object' ? { officer: String(e.consent.officer ?? '?'), time: Number(e.consent.time) } : null,
        shareHeld: e.shareHeld === true,
        sessions: (Array.isArray(e.sessions) ? e.sessions : []).map((/** @type {any} */ s) => ({
          session: String(s?.session ?? ''),
          step: String(s?.step ?? ''),
          committed: ints(s?.committed),
          revealed: ints(s?.revealed),
          certified: ints(s?.certified),
          outcome: String(s?.outcome ?? ''),
          reason: str(s?.reason),
          blamed: ints(s?.blamed),
        })),
      })),
  };
}

/** "2 (custodian-2.test), 3 (custodian-3.test)". @param {number[]} indices @param {Member[]} members */
function who(indices, members) {
  if (indices.length === 0) return 'none';
  return indices.map((i) => `${i} (${members.find((m) => m.index === i)?.name ?? '?'})`).join(', ');
}

/** A session's step or outcome, in words. @param {Session} s @param {Member[]} members */
function outcomeText(s, members) {
  if (s.outcome === 'active') return 'succeeded: the epoch entry is logged';
  if (s.outcome === 'aborted') return `aborted (${s.reason || 'no reason'}); blamed: ${who(s.blamed, members)}`;
  return `running: last logged step ${s.step}`;
}

/** One row per session. @param {EpochStatus} e */
function sessionsTable(e) {
  const kind = e.reshare ? 'reshare' : 'DKG';
  // A reshare's dealers are the old committee's custodians, its receivers the new one's (§3.9).
  const members = e.reshare ? [...e.custodians, ...e.reshare.custodians] : e.custodians;
  if (e.sessions.length === 0) return h('p', { class: 'muted' }, `No ${kind} session of this epoch is in the log yet.`);
  return table(
    `${e.reshare ? 'Reshare' : 'DKG'} sessions of epoch ${e.epoch}, as this node's replica of the log shows them`,
    ['Session', 'Step or outcome', 'Committed', 'Revealed', 'Certified'],
    e.sessions.map((s) => [
      short(s.session, 8),
      h('span', { class: `badge ${s.outcome === 'aborted' ? 'bad' : s.outcome === 'active' ? 'ok' : ''}`, 'data-outcome': s.outcome }, outcomeText(s, members)),
      who(s.committed, members),
      who(s.revealed, members),
      who(s.certified, members),
    ]),
    { id: `dkg-sessions-${e.epoch}` },
  );
}

/**
 * The consent control of a proposed epoch: a button, then a confirm step
 * naming the epoch, t and n; `consent` sends it and answers an error message
 * or null.
 * @param {EpochStatus} e @param {(epoch: number) => Promise<string | null>} consent
 */
function consentControl(e, consent) {
  const note = h('p', { class: 'status', id: `dkg-consent-status-${e.epoch}`, role: 'status', 'aria-live': 'polite' });
  const confirmBox = h(
    'div',
    { class: 'panel', id: `dkg-confirm-${e.epoch}`, hidden: true, role: 'group', 'aria-label': `Confirm consent to epoch ${e.epoch}` },
    h(
      'p',
      {},
      e.reshare
        ? `Consent for this node to take part in the reshare of epoch ${e.reshare.from} into epoch ${e.epoch}: ${e.threshold} of ${e.total} custodians, as ${e.reshare.roles.join(' and ')}. ` +
            `${e.reshare.roles.includes('dealer') ? `The node will deal its share of epoch ${e.reshare.from}, and destroy it once epoch ${e.epoch} is active. ` : ''}` +
            `${e.reshare.roles.includes('receiver') ? 'The node will hold a share of the same group key. ' : ''}A consent cannot be withdrawn.`
        : `Consent for this node to take part in the key generation of epoch ${e.epoch}: ${e.threshold} of ${e.total} custodians. ` +
          'The node will send its messages when the coordinator runs the session, and will hold a share of the new key. A consent cannot be withdrawn.',
    ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', class: 'primary', id: `dkg-confirm-yes-${e.epoch}`, onclick: () => void send() }, `Confirm consent to epoch ${e.epoch} (${e.threshold} of ${e.total})`),
      h('button', { type: 'button', onclick: () => ask(false) }, 'Cancel'),
    ),
  );
  const button = h('button', { type: 'button', class: 'primary', id: `dkg-consent-${e.epoch}`, onclick: () => ask(true) }, `Consent to epoch ${e.epoch}`);
  /** @param {boolean} open */
  function ask(open) {
    confirmBox.hidden = !open;
    button.hidden = open;
  }
  async function send() {
    for (const b of confirmBox.querySelectorAll('button')) b.disabled = true;
    note.className = 'status';
    note.textContent = 'Sending the consent…';
    const error = await consent(e.epoch);
    for (const b of confirmBox.querySelectorAll('button')) b.disabled = false;
    if (error !== null) {
      note.className = 'status bad';
      note.textContent = `The node did not record the consent: ${error}`;
      ask(false);
    }
  }
  return h('div', {}, h('div', { class: 'buttons' }, button), confirmBox, note);
}

/** What became of a dealer's share of the old epoch. @param {Reshare} r */
function oldShareText(r) {
  if (r.destructionLogged) return 'old share destroyed; the statement is logged';
  if (r.oldShareDestroyed) return "old share destroyed; the statement is not in this node's replica yet";
  return r.oldShareHeld ? 'held: it is destroyed once the new epoch is active' : 'not held';
}

/**
 * The Key generation view's content.
 * @param {unknown} raw the body of GET ../v1/operator/dkg
 * @param {(epoch: number) => Promise<string | null>} consent sends the consent; null when recorded, else the error to show
 */
function dkgSection(raw, consent) {
  const s = parseStatus(raw);
  /** @param {Member[]} list @param {string} id */
  const committee = (list, id) => h('ul', { id }, list.map((c) => h('li', {}, `${c.index}. ${c.name}${c.index === s.custodian ? ' (this node)' : ''}`)));
  const epochs = s.epochs.map((e) => {
    const r = e.reshare;
    const movedTo = s.epochs.find((x) => x.reshare?.from === e.epoch && x.state === 'active');
    const receiver = !r || r.roles.includes('receiver');
    return h(
      'section',
      { class: 'panel', id: `dkg-epoch-${e.epoch}`, 'aria-labelledby': `dkg-epoch-h-${e.epoch}` },
      h('h3', { id: `dkg-epoch-h-${e.epoch}` }, `Epoch ${e.epoch}: ${e.state === 'active' ? 'active' : 'proposed'}${r ? `, reshare of epoch ${r.from}` : ''}${movedTo ? `; its key moved to epoch ${movedTo.epoch}` : ''}`),
      dl([
        ...(r
          ? /** @type {[string, any][]} */ ([
              ['Reshare of', h('span', { id: `dkg-reshare-of-${e.epoch}` }, `epoch ${r.from} (${r.threshold} of ${r.total}): the same group key moves to the committee below`)],
              ['Old committee', committee(r.custodians, `dkg-old-committee-${e.epoch}`)],
              ["This node's role", h('span', { id: `dkg-role-${e.epoch}` }, r.roles.join(' and '))],
            ])
          : []),
        ['Threshold', h('span', { id: `dkg-threshold-${e.epoch}` }, `${e.threshold} of ${e.total}`)],
        [r ? 'New committee' : 'Committee', committee(e.custodians, `dkg-committee-${e.epoch}`)],
        ['Group key', e.groupKey ? h('code', { class: 'wrap', id: `dkg-groupkey-${e.epoch}` }, e.groupKey) : 'none yet: the epoch is proposed'],
        ['Consent', h('span', { id: `dkg-consent-given-${e.epoch}` }, e.consent ? `given by ${e.consent.officer} at ${formatTime(e.consent.time)}` : 'not given')],
        ...(r?.roles.includes('dealer') ? /** @type {[string, any][]} */ ([[`Share of epoch ${r.from}`, h('span', { id: `dkg-old-share-${e.epoch}` }, oldShareText(r))]]) : []),
        ...(receiver ? /** @type {[string, any][]} */ ([['Share of this node', h('span', { id: `dkg-share-${e.epoch}` }, e.shareHeld ? 'share held (sealed on this node)' : movedTo ? `not held: the key moved to epoch ${movedTo.epoch}` : 'not held')]]) : []),
      ]),
      e.state === 'proposed' && !e.consent ? consentControl(e, consent) : null,
      sessionsTable(e),
    );
  });
  return [
    dl([['Host public key', s.hostKey ? h('code', { class: 'wrap', id: 'dkg-hostkey' }, s.hostKey) : h('span', { id: 'dkg-hostkey' }, 'none: make one with custodes custodian dkg hostkey')]]),
    epochs.length ? epochs : h('p', { id: 'dkg-none' }, 'The registry in force lists this node in no epoch.'),
  ];
}

export { dkgSection };
