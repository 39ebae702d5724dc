// @ts-check
/**
 * The custodian console (served by each custodian node). It talks only to
 * its own node's API (docs/PROTOCOL.md §7.9), relative to this page: `../health`,
 * `../v1/seal`, `../v1/unseal` and `../v1/operator/*` (key generation: dkg.js, §7.15). The operator token
 * lives in sessionStorage (this tab only) and travels in the Authorization
 * header, never in a URL. Unseal keys are never stored at all.
 */
import { ApiError, describeError, requestJson } from './lib/api.js';
import { byId, dl, formatDate, formatTime, h, replace, short, table } from './lib/dom.js';
import { dkgSection } from './dkg.js';
import { decisionMessage, officersSection, signedInText } from './officers.js';

const TOKEN_KEY = 'custodes.operatorToken';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @param {string} path */
const url = (path) => new URL(`../${path}`, location.href).href;

// ## Small helpers

/** @param {string} id @param {string} text @param {'' | 'ok' | 'bad' | 'warn'} [kind] */
function status(id, text, kind = '') {
  const el = byId(id, HTMLElement);
  el.className = `status${kind ? ` ${kind}` : ''}`;
  el.textContent = text;
}

/** @param {string} id @param {boolean} shown */
function show(id, shown) {
  byId(id, HTMLElement).hidden = !shown;
}

/** @param {boolean} ok @param {string} yes @param {string} no */
function badge(ok, yes, no) {
  return h('span', { class: `badge ${ok ? 'ok' : 'bad'}` }, ok ? yes : no);
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** What each check of docs/PROTOCOL.md §8.6 means, for the checks table. */
const CHECK_LABELS = /** @type {Record<string, string>} */ ({
  commitment: 'Matches the commitment logged on its cover sheet',
  courtSignature: "Court's signature (registered court key)",
  investigatorSignature: "Investigator's signature (registered investigator)",
  dates: 'Dates (issued, not expired)',
});

/** Registry names by id (`GET ../v1/operator/names`), loaded at sign-in. */
let names = { courts: /** @type {Record<string, string>} */ ({}), agencies: /** @type {Record<string, string>} */ ({}), custodians: /** @type {Record<string, string>} */ ({}) };

/** `Demo District Court (court-1)`, or the id alone. @param {'courts' | 'agencies'} kind @param {unknown} id */
function named(kind, id) {
  const name = typeof id === 'string' ? names[kind][id] : undefined;
  return name ? `${name} (${String(id)})` : String(id ?? '—');
}

// ## Seal and unseal (docs/PROTOCOL.md §3.6)

/** @param {any} s the body of GET /v1/seal */
function renderSeal(s) {
  const sealed = s?.sealed === true;
  const progress = Number(s?.progress) || 0;
  const threshold = Number(s?.threshold) || 0;
  const bar = byId('seal-progress', HTMLProgressElement);
  bar.max = Math.max(1, threshold);
  bar.value = progress;
  bar.hidden = !sealed;
  show('unseal-form', sealed);
  if (sealed) {
    status('seal-status', `Sealed: ${progress} of ${threshold} unseal keys entered (${Number(s?.shares) || '?'} issued).`, 'warn');
  } else {
    status('seal-status', 'Unsealed: the node is serving.', 'ok');
  }
  return sealed;
}

async function refreshSeal() {
  try {
    const sealed = renderSeal(await requestJson(url('v1/seal')));
    if (sealed) {
      show('signin', false);
      show('app', false);
      return;
    }
    if (token()) await enterApp();
    else show('signin', true);
  } catch (err) {
    status('seal-status', `Could not read the seal status: ${describeError(err)}`, 'bad');
  }
}

async function submitUnseal() {
  const input = byId('unseal-key', HTMLInputElement);
  const key = input.value.trim();
  input.value = ''; // never keep a key on the page
  status('unseal-error', '');
  if (!key) return;
  try {
    renderSeal(await requestJson(url('v1/unseal'), { method: 'POST', body: { key } }));
  } catch (err) {
    const code = err instanceof ApiError ? err.code : '';
    const why =
      code === 'UNSEAL_FAILED'
        ? 'These keys do not open the store; progress was reset. '
        : code === 'WRONG_UNSEAL_KEY'
          ? 'This is not one of this node’s unseal keys; it was not counted and the keys already in stay. '
          : '';
    status('unseal-error', `Unseal key refused: ${why}${describeError(err)}`, 'bad');
  }
  await refreshSeal();
  input.focus();
}

// ## Operator calls

/**
 * @param {string} path under /v1/operator/
 * @param {{ method?: string, body?: unknown }} [options]
 */
async function operator(path, options = {}) {
  try {
    return await requestJson(url(`v1/operator/${path}`), { ...options, token: token() });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut('The node refused the operator token; sign in again.');
    } else if (err instanceof ApiError && err.status === 503) {
      void refreshSeal();
    }
    throw err;
  }
}

async function signIn() {
  const input = byId('signin-token', HTMLInputElement);
  const candidate = input.value.trim();
  input.value = '';
  status('signin-error', '');
  try {
    // Checked against the node before it is kept.
    await requestJson(url('v1/operator/queue'), { token: candidate });
  } catch (err) {
    status('signin-error', err instanceof ApiError && err.status === 401 ? 'The node refused this token.' : `Sign-in failed: ${describeError(err)}`, 'bad');
    input.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, candidate);
  await enterApp();
}

/** @param {string} [message] */
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  show('app', false);
  show('signin', true);
  status('signin-error', message ?? '', message ? 'bad' : '');
  byId('signin-token', HTMLInputElement).focus();
}

async function enterApp() {
  show('signin', false);
  show('app', true);
  try {
    const n = await operator('names');
    names = { courts: n?.courts ?? {}, agencies: n?.agencies ?? {}, custodians: n?.custodians ?? {} };
  } catch {
    // ids instead of names: the console still works
  }
  byId('signed-in-as', HTMLElement).textContent = '';
  try {
    byId('signed-in-as', HTMLElement).textContent = signedInText(await operator('whoami'));
  } catch {
    // a node without officers (docs/PROTOCOL.md §7.13): nothing to say
  }
  await showView('queue', false);
}

// ## Views

/** @typedef {'queue' | 'warrant' | 'releases' | 'witness' | 'dkg'} View */

/** @param {View} view @param {boolean} [focus] */
async function showView(view, focus = true) {
  for (const v of ['queue', 'warrant', 'releases', 'witness', 'dkg']) show(`${v}-view`, v === view);
  for (const b of document.querySelectorAll('nav.tabs button[data-view]')) {
    if (b.getAttribute('data-view') === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  status('app-status', '');
  if (view === 'queue') await loadQueue();
  if (view === 'releases') await loadReleases();
  if (view === 'witness') await loadWitness();
  if (view === 'dkg') await loadDkg();
  if (focus) byId(`${view}-h`, HTMLElement).focus();
}

async function loadQueue() {
  const body = byId('queue-body', HTMLElement);
  try {
    const data = await operator('queue');
    const warrants = Array.isArray(data?.warrants) ? data.warrants : [];
    if (warrants.length === 0) {
      replace(body, h('p', { id: 'queue-empty' }, 'No warrant is waiting for a decision.'));
      return;
    }
    replace(
      body,
      table(
        `${warrants.length} warrant(s) waiting for a decision`,
        ['Warrant', 'Agency', 'Court', 'Case', 'Received', 'Expires', 'Policy', ''],
        warrants.map((/** @type {any} */ w) => [
          short(String(w.warrantId), 8),
          named('agencies', w.agency),
          named('courts', w.court),
          String(w.caseNumber ?? '—'),
          formatTime(w.receivedAt),
          formatTime(w.expiresAt),
          w.policy?.auto ? 'within policy' : `needs review: ${(Array.isArray(w.policy?.reasons) ? w.policy.reasons : []).join('; ') || '—'}`,
          h(
            'button',
            { type: 'button', 'aria-label': `Review warrant ${w.warrantId}`, onclick: () => void openWarrant(String(w.warrantId)) },
            'Review',
          ),
        ]),
        { id: 'queue-table' },
      ),
    );
  } catch (err) {
    replace(body);
    status('app-status', `Could not load the queue: ${describeError(err)}`, 'bad');
  }
}

/** @type {string | null} */
let currentWarrant = null;

/** @param {string} id */
async function openWarrant(id) {
  currentWarrant = id;
  status('decide-status', '');
  byId('deny-reason', HTMLTextAreaElement).value = '';
  byId('approve-confirm', HTMLInputElement).checked = false;
  byId('approve', HTMLButtonElement).disabled = true;
  await showView('warrant', false);
  await loadWarrant(id);
  byId('warrant-h', HTMLElement).focus();
}

/** @param {string} id */
async function loadWarrant(id) {
  const body = byId('warrant-body', HTMLElement);
  replace(body, h('p', {}, 'Loading…'));
  show('decide', false);
  try {
    const d = await operator(`warrants/${encodeURIComponent(id)}`);
    /** @type {any} */
    const w = d?.warrant ?? {};
    /** @type {any} */
    const scope = w.scope ?? {};
    /** @type {Record<string, unknown>} */
    const checks = d?.checks ?? {};
    const policyReasons = Array.isArray(d?.policy?.reasons) ? d.policy.reasons.map(String) : [];
    /** @type {any} */
    const decision = d?.decision ?? {};
    /** @type {any} */
    const logged = d?.logged ?? {};
    /** @type {string[]} */
    const subjects = Array.isArray(scope.subjects) ? scope.subjects.map(String) : [];
    /** @type {string[]} */
    const categories = Array.isArray(scope.categories) ? scope.categories.map(String) : [];
    byId('warrant-h', HTMLElement).textContent = `Warrant ${String(w.caseNumber ?? id)}`;
    replace(
      body,
      h('h3', {}, 'Warrant'),
      dl([
        ['Warrant ID', h('code', { id: 'warrant-id' }, String(w.id ?? id))],
        ['Agency', named('agencies', w.agency)],
        ['Court', named('courts', w.court)],
        ['Case number', String(w.caseNumber ?? '—')],
        ['Legal authority', String(w.legalAuthority ?? '—')],
        ['Offense', String(w.offense ?? '—')],
        ['Investigator key', short(String(w.investigator ?? '—'))],
        ['Commitment', short(String(d?.commitment ?? '—'))],
        ['Log index of the cover sheet', d?.logIndex === null || d?.logIndex === undefined ? 'not logged' : String(d.logIndex)],
      ]),
      h('h3', {}, 'Scope'),
      dl([
        ['Subjects', h('ul', { id: 'scope-subjects' }, subjects.map((x) => h('li', {}, x)))],
        ['Categories', categories.join(', ') || '—'],
        ['Data from', formatTime(scope.notBefore)],
        ['Data until', formatTime(scope.notAfter)],
        ['Envelope cap', String(w.maxEnvelopes ?? '—')],
      ]),
      h('h3', {}, 'Dates'),
      dl([
        ['Issued', formatTime(w.issuedAt)],
        ['Expires', formatTime(w.expiresAt)],
        ['Sealed until', `${formatDate(w.sealedUntil)} (${formatTime(w.sealedUntil)})`],
        ['Received here', formatTime(d?.receivedAt)],
      ]),
      table(
        'Checks made by this node',
        ['Check', 'Result'],
        Object.entries(checks).map(([name, result]) => [CHECK_LABELS[name] ?? name, badge(result === 'ok', 'ok', String(result))]),
        { id: 'checks-table' },
      ),
      h('h3', {}, "This node's policy"),
      h(
        'p',
        { id: 'policy-verdict' },
        d?.policy?.auto ? 'Within the auto-approval policy.' : 'Outside the auto-approval policy: an operator must decide.',
      ),
      policyReasons.length ? h('ul', { id: 'policy-reasons' }, policyReasons.map((/** @type {string} */ r) => h('li', {}, r))) : null,
      h('h3', {}, "This node's decision"),
      dl([
        ['Here', h('span', { id: 'decision-status' }, String(decision.status ?? '—'))],
        ['By', String(decision.decidedBy ?? '—')],
        ['At', formatTime(decision.decidedAt)],
        ['Reason', String(decision.reason ?? '—')],
      ]),
      officersSection(d?.officers),
      h('h3', {}, 'In the log'),
      dl([
        ['Approvals logged', h('span', { id: 'logged-approvals' }, loggedLine(logged.approvals, decision.status === 'approved'))],
        ['Denials logged', h('span', { id: 'logged-denials' }, loggedLine(logged.denials, decision.status === 'denied'))],
        ['Revoked', logged.revoked ? 'yes' : 'no'],
        ['Expired', logged.expired ? 'yes' : 'no'],
      ]),
    );
    show('decide', decision.status === 'pending' && !logged.revoked && !logged.expired);
  } catch (err) {
    replace(body);
    status('decide-status', `Could not load warrant ${id}: ${describeError(err)}`, 'bad');
  }
}

/**
 * The custodians whose decision is logged, by name, and this node's own while
 * it is signed but not yet in its replica of the log (it is sent at once, §7.13).
 * @param {unknown} custodians @param {boolean} oursPending
 */
function loggedLine(custodians, oursPending) {
  const list = Array.isArray(custodians) ? custodians.map((i) => (names.custodians[String(i)] ? `${names.custodians[String(i)]} (custodian ${String(i)})` : `custodian ${String(i)}`)) : [];
  if (list.length) return list.join(', ');
  return oursPending ? "this node's decision is signed and on its way to the log" : 'none yet';
}

/**
 * After a decision, re-reads the warrant until the decision shows in the log
 * (a few seconds: the coordinator logs it, this node's witness replicates it).
 * @param {string} id @param {'approve' | 'deny'} decision
 */
async function followIntoLog(id, decision) {
  const key = decision === 'approve' ? 'approvals' : 'denials';
  for (let tries = 0; tries < 30 && currentWarrant === id; tries++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (currentWarrant !== id) return;
    const d = await operator(`warrants/${encodeURIComponent(id)}`).catch(() => null);
    if (Array.isArray(d?.logged?.[key]) && d.logged[key].length) {
      await loadWarrant(id);
      return;
    }
  }
}

/** @param {'approve' | 'deny'} decision */
async function decide(decision) {
  const id = currentWarrant;
  if (!id) return;
  /** @type {{ reason?: string }} */
  const body = {};
  if (decision === 'deny') {
    const reason = byId('deny-reason', HTMLTextAreaElement).value.trim();
    if (!reason) {
      status('decide-status', 'A denial needs a reason.', 'bad');
      byId('deny-reason', HTMLTextAreaElement).focus();
      return;
    }
    body.reason = reason;
  }
  for (const b of byId('decide', HTMLElement).querySelectorAll('button')) b.disabled = true;
  try {
    const res = await operator(`warrants/${encodeURIComponent(id)}/${decision}`, { method: 'POST', body });
    await loadWarrant(id);
    status('decide-status', decisionMessage(decision, res), 'ok');
    // Once the node has signed (not while four-eyes waits for more officers), follow its entry into the log.
    if (res?.status !== 'pending') void followIntoLog(id, decision);
  } catch (err) {
    status('decide-status', `The node did not record the decision: ${describeError(err)}`, 'bad');
  } finally {
    for (const b of byId('decide', HTMLElement).querySelectorAll('button')) b.disabled = false;
    byId('approve', HTMLButtonElement).disabled = !byId('approve-confirm', HTMLInputElement).checked;
  }
}

async function loadReleases() {
  const body = byId('releases-body', HTMLElement);
  try {
    const data = await operator('releases');
    const rows = Array.isArray(data?.releases) ? data.releases : [];
    const served = rows.filter((/** @type {any} */ r) => r.outcome === 'served').length;
    const refused = rows.filter((/** @type {any} */ r) => r.outcome === 'refused').length;
    // Releases of this node not yet in its log replica; an overdue one stops new releases (RELEASES_UNLOGGED).
    const unlogged = Array.isArray(data?.unlogged) ? data.unlogged : [];
    const overdue = unlogged.filter((/** @type {any} */ r) => r.overdue === true);
    replace(
      body,
      overdue.length > 0
        ? h(
            'p',
            { id: 'releases-unlogged', role: 'alert', class: 'badge bad' },
            `${overdue.length} release(s) of this node are not in the log past the deadline (oldest: request ${short(String(overdue[0].requestId), 8)}): new releases are refused (RELEASES_UNLOGGED) until the coordinator logs them.`,
          )
        : h('p', { id: 'releases-unlogged' }, `${unlogged.length} release(s) waiting to be seen in the log, none overdue.`),
      h('p', {}, `${served} release(s), ${refused} refusal(s), newest first.`),
      rows.length === 0
        ? h('p', {}, 'Nothing released or refused yet.')
        : table(
            'Releases and refusals',
            ['Time', 'Outcome', 'Request', 'Warrant', 'Envelopes', 'Refusal code'],
            rows.map((/** @type {any} */ r) => [
              formatTime(r.time),
              h('span', { class: `badge ${r.outcome === 'refused' ? 'bad' : 'ok'}` }, String(r.outcome)),
              r.requestId ? short(String(r.requestId), 8) : '—',
              r.warrantId && UUID_RE.test(r.warrantId)
                ? h('button', { type: 'button', 'aria-label': `Open warrant ${r.warrantId}`, onclick: () => void openWarrant(r.warrantId) }, short(r.warrantId, 8))
                : '—',
              String(r.count ?? '—'),
              r.code ? h('code', {}, String(r.code)) : '—',
            ]),
            { id: 'releases-table' },
          ),
    );
  } catch (err) {
    replace(body);
    status('app-status', `Could not load releases: ${describeError(err)}`, 'bad');
  }
}

async function loadWitness() {
  const body = byId('witness-body', HTMLElement);
  try {
    const w = await operator('witness');
    replace(
      body,
      dl([
        ['Log origin', String(w?.origin ?? '—')],
        ['Last cosigned size', h('span', { id: 'witness-size' }, String(w?.size ?? 0))],
        ['Last cosigned root (hex)', w?.root ? h('code', { class: 'wrap' }, String(w.root)) : '—'],
        ['Cosigned at', formatTime(w?.cosignedAt)],
        ['Entries in this node’s replica', h('span', { id: 'witness-replica' }, String(w?.replicaSize ?? 0))],
      ]),
      w?.checkpoint ? [h('h3', {}, 'Checkpoint as cosigned'), h('pre', { class: 'mono wrap' }, String(w.checkpoint))] : h('p', {}, 'This node has not cosigned a checkpoint yet.'),
    );
  } catch (err) {
    replace(body);
    status('app-status', `Could not load the witness state: ${describeError(err)}`, 'bad');
  }
}

async function loadDkg() {
  const body = byId('dkg-body', HTMLElement);
  try {
    replace(body, dkgSection(await operator('dkg'), consentToDkg));
  } catch (err) {
    replace(body);
    status('app-status', `Could not load the key generation status: ${describeError(err)}`, 'bad');
  }
}

/**
 * Sends the consent (docs/PROTOCOL.md §7.15), then shows the node's status
 * again. Null when recorded, else the node's message and code.
 * @param {number} epoch
 */
async function consentToDkg(epoch) {
  try {
    await operator('dkg/consent', { method: 'POST', body: { epoch } });
  } catch (err) {
    return describeError(err);
  }
  await loadDkg();
  status('app-status', `Consent to epoch ${epoch} recorded.`, 'ok');
  return null;
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
  onSubmit('unseal-form', submitUnseal);
  onSubmit('signin-form', signIn);
  onSubmit('deny-form', () => decide('deny'));
  onSubmit('lookup-form', () => {
    const id = byId('lookup-id', HTMLInputElement).value.trim().toLowerCase();
    if (!UUID_RE.test(id)) {
      status('app-status', 'A warrant ID is a UUID.', 'bad');
      return;
    }
    return openWarrant(id);
  });
  // Approving releases keys later: the operator confirms the review first.
  byId('approve-confirm', HTMLInputElement).addEventListener('change', (event) => {
    byId('approve', HTMLButtonElement).disabled = !(event.currentTarget instanceof HTMLInputElement && event.currentTarget.checked);
  });
  byId('approve', HTMLButtonElement).addEventListener('click', () => void decide('approve'));
  byId('signout', HTMLButtonElement).addEventListener('click', () => signOut());
  byId('warrant-back', HTMLButtonElement).addEventListener('click', () => void showView('queue'));
  byId('queue-refresh', HTMLButtonElement).addEventListener('click', () => void loadQueue());
  byId('releases-refresh', HTMLButtonElement).addEventListener('click', () => void loadReleases());
  byId('witness-refresh', HTMLButtonElement).addEventListener('click', () => void loadWitness());
  byId('dkg-refresh', HTMLButtonElement).addEventListener('click', () => void loadDkg());
  for (const b of document.querySelectorAll('nav.tabs button[data-view]')) {
    const view = /** @type {View} */ (b.getAttribute('data-view'));
    b.addEventListener('click', () => void showView(view));
  }
  void (async () => {
    try {
      // sealedok: a sealed node answers 200 here (docs/PROTOCOL.md §9.5); the console is how it gets unsealed.
      const health = await requestJson(url('health?sealedok=1'));
      if (typeof health?.custodian === 'number') byId('node-name', HTMLElement).textContent = `Custodian ${health.custodian}`;
    } catch {
      // the seal status below reports an unreachable node
    }
    await refreshSeal();
    document.body.dataset.ready = 'true';
  })();
}

main();
