/**
 * Waiting without polling (docs/PROTOCOL.md §7.7 `?wait=`), and cosigning that
 * serves every waiter: long-polls on the investigator's status calls return
 * as soon as the state differs from what the caller saw, or at the cap; a
 * request appended while witnesses are busy with an older checkpoint still
 * gets its own checkpoint cosigned and completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRecord, warrantCommitment } from '@custodes/shared/records';
import type { ApprovalEntry } from '@custodes/shared/records';
import { api, approvedWarrant, finished, makeWarrant, openResults, seal, startCluster, subjectLabel, submitRequest, waitFor } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.close();
});

/** Custodian `k`'s signed approval of a delivered warrant, as a stand-in would post it. */
function approval(k: number, w: ReturnType<typeof makeWarrant>): ApprovalEntry {
  const unsigned = {
    type: 'approval' as const,
    warrantId: w.warrant.id,
    commitment: warrantCommitment(w.warrant, w.salt),
    custodian: k,
    decision: 'approve' as const,
    time: Math.floor(Date.now() / 1000),
  };
  return { ...unsigned, signature: signRecord(unsigned, 'approval', cluster.custodians[k - 1]!.opts.signingKey) };
}

describe('long-poll on GET /v1/warrants/:id', () => {
  it('returns as soon as an approval is logged, then at the cap when nothing changes, and at once for a stale view', async () => {
    for (const c of cluster.custodians) c.opts.decision = 'none';
    try {
      const w = makeWarrant(cluster, 'a');
      expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
      const path = `/v1/warrants/${w.warrant.id}`;
      const seen = 'status=pending&approvals=0&denials=0';

      // Nothing changes: the answer comes at the cap, unchanged.
      const capped = await api(cluster.url, 'GET', `${path}?wait=200&${seen}`, undefined, cluster.tokens.a);
      expect(capped.status).toBe(200);
      expect(capped.body).toMatchObject({ status: 'pending', approvals: 0, denials: 0 });

      // A long wait (30 s, longer than this test's timeout) ends with the approval.
      const waiting = api(cluster.url, 'GET', `${path}?wait=30000&${seen}`, undefined, cluster.tokens.a);
      const logged = await api(cluster.url, 'POST', '/v1/records', { entry: approval(1, w) });
      expect(logged.status).toBeLessThan(300);
      const changed = await waiting;
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ status: 'pending', approvals: 1 });

      // A caller that saw an older view gets the current one at once.
      const stale = await api(cluster.url, 'GET', `${path}?wait=30000&${seen}`, undefined, cluster.tokens.a);
      expect(stale.body).toMatchObject({ approvals: 1 });
    } finally {
      for (const c of cluster.custodians) c.opts.decision = 'approve';
    }
  }, 15_000);

  it('refuses junk wait parameters with 400 and checks ownership before waiting', async () => {
    const w = await approvedWarrant(cluster, 'a');
    for (const q of ['wait=-1', 'wait=abc', 'wait=1e3', 'wait=10&approvals=x', 'wait=10&colour=red', 'wait=10&status=' + 'x'.repeat(40)]) {
      const r = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}?${q}`, undefined, cluster.tokens.a);
      expect(r.status, q).toBe(400);
      expect(typeof r.body.error.code).toBe('string');
    }
    const other = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}?wait=30000`, undefined, cluster.tokens.c);
    expect(other.status).toBe(403);
  }, 15_000);
});

describe('long-poll on GET /v1/requests/:id', () => {
  it('follows a request to completion, one answer per state change', async () => {
    const w = await approvedWarrant(cluster, 'a');
    const requestId = await submitRequest(cluster, 'a', w.warrant.id, [seal(cluster, 'hello', subjectLabel('alice@example.com'))]);
    const states: string[] = [];
    let since = '';
    for (let calls = 0; calls < 8; calls++) {
      const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}?wait=30000${since}`, undefined, cluster.tokens.a);
      expect(r.status).toBe(200);
      states.push(r.body.state);
      if (r.body.state === 'complete' || r.body.state === 'failed') break;
      since = `&state=${r.body.state}&done=${r.body.done}&failed=${r.body.failed}`;
    }
    // logged → cosigned → releasing → complete at most, each seen once: no answer without a change.
    expect(states.at(-1)).toBe('complete');
    expect(new Set(states).size).toBe(states.length);
  }, 20_000);

  it('with results=1, the complete answer carries the sealed results, as GET …/results gives them (§7.6)', async () => {
    const w = await approvedWarrant(cluster, 'a');
    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, cluster.tokens.a);
    const draft = await api(cluster.url, 'GET', `/v1/requests/${open.body.requestId}?results=1`, undefined, cluster.tokens.a);
    expect(draft.body.state).toBe('draft');
    expect(draft.body.results).toBeUndefined(); // not complete: no results
    const requestId = await submitRequest(cluster, 'a', w.warrant.id, [seal(cluster, 'carried', subjectLabel('alice@example.com'))]);
    let since = '';
    let last: { state: string; results?: unknown } | undefined;
    for (let calls = 0; calls < 8; calls++) {
      const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}?wait=30000&results=1${since}`, undefined, cluster.tokens.a);
      expect(r.status).toBe(200);
      last = r.body;
      if (r.body.state === 'complete' || r.body.state === 'failed') break;
      expect(r.body.results).toBeUndefined();
      since = `&state=${r.body.state}&done=${r.body.done}&failed=${r.body.failed}`;
    }
    expect(last?.state).toBe('complete');
    const separate = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(last?.results).toEqual(separate.body);
    expect(openResults(last!.results as never, requestId, cluster.investigators.a.secretKey)).toEqual(['carried']);
    // Only the request's investigator, only results=1.
    expect((await api(cluster.url, 'GET', `/v1/requests/${requestId}?results=1`, undefined, cluster.tokens.b)).status).toBe(403);
    for (const q of ['results=0', 'results=true', 'results=']) {
      expect((await api(cluster.url, 'GET', `/v1/requests/${requestId}?${q}`, undefined, cluster.tokens.a)).status, q).toBe(400);
    }
    // Without it, the answer stays the progress view.
    expect((await api(cluster.url, 'GET', `/v1/requests/${requestId}`, undefined, cluster.tokens.a)).body.results).toBeUndefined();
  }, 20_000);

  it('answers at the cap for a request that does not change, and 403 for someone else', async () => {
    const w = await approvedWarrant(cluster, 'a');
    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, cluster.tokens.a);
    const id = open.body.requestId as string;
    const r = await api(cluster.url, 'GET', `/v1/requests/${id}?wait=200&state=draft`, undefined, cluster.tokens.a);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('draft');
    const other = await api(cluster.url, 'GET', `/v1/requests/${id}?wait=30000&state=draft`, undefined, cluster.tokens.c);
    expect(other.status).toBe(403);
  }, 15_000);
});

describe('cosigning while witnesses are busy', () => {
  it('cosigns a request appended while every witness is in an older exchange, and releases', async () => {
    const w = await approvedWarrant(cluster, 'a');
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const before = cluster.custodians.map((c) => c.witnessCalls);
    for (const c of cluster.custodians) c.witnessHold = hold;
    try {
      // A new warrant starts an exchange with every witness for a checkpoint without the request.
      const other = makeWarrant(cluster, 'a');
      expect((await api(cluster.url, 'POST', '/v1/warrants', other, cluster.tokens.a)).status).toBe(201);
      await waitFor('every witness busy', () => (cluster.custodians.every((c, i) => c.witnessCalls > before[i]!) ? true : undefined));
      const sizeBusy = Math.max(...cluster.custodians.map((c) => c.size));
      const requestId = await submitRequest(cluster, 'a', w.warrant.id, [seal(cluster, 'later', subjectLabel('alice@example.com'))]);
      release();
      const done = await finished(cluster, 'a', requestId);
      expect(done.state).toBe('complete');
      // Witnesses went past the checkpoint they were busy with, to one with the request.
      expect(cluster.custodians.filter((c) => c.logged.requests.has(requestId)).length).toBeGreaterThanOrEqual(3);
      expect(Math.min(...cluster.custodians.filter((c) => c.logged.requests.has(requestId)).map((c) => c.size))).toBeGreaterThan(sizeBusy);
    } finally {
      release();
      for (const c of cluster.custodians) c.witnessHold = null;
    }
  }, 30_000);

  it('sends the partials calls without waiting for the answer of a background exchange already sent (docs/PROTOCOL.md §5.1)', async () => {
    const w = await approvedWarrant(cluster, 'a');
    // A second warrant, delivered everywhere but not decided: an approval of it, posted later, is an
    // entry that only the background pass cosigns (no delivery carries it).
    for (const c of cluster.custodians) c.opts.decision = 'none';
    const other = makeWarrant(cluster, 'a');
    try {
      expect((await api(cluster.url, 'POST', '/v1/warrants', other, cluster.tokens.a)).status).toBe(201);
      await waitFor('the second warrant delivered', () => (cluster.custodians.every((c) => c.warrants.has(other.warrant.id)) ? true : undefined));
    } finally {
      for (const c of cluster.custodians) c.opts.decision = 'approve';
    }
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const before = cluster.custodians.map((c) => c.witnessCalls);
    for (const c of cluster.custodians) c.witnessHold = hold;
    try {
      expect((await api(cluster.url, 'POST', '/v1/records', { entry: approval(4, other) })).status).toBeLessThan(300);
      await waitFor('every witness in a background exchange', () => (cluster.custodians.every((c, i) => c.witnessCalls > before[i]!) ? true : undefined));
      const requestId = await submitRequest(cluster, 'a', w.warrant.id, [seal(cluster, 'pipelined', subjectLabel('alice@example.com'))]);
      // While every background exchange is still unanswered, t custodians already have the partials call,
      // carrying the checkpoint from the size the running exchange brings them to.
      const asked = await waitFor('t partials calls sent behind the running exchanges', () => {
        const got = cluster.custodians.filter((c) => c.calls.some((k) => k.requestId === requestId));
        return got.length >= 3 ? got : undefined;
      }, 1500); // well inside the exchanges' 2 s timeout (cosignTimeoutMs), which would end them otherwise
      expect(asked.every((c) => c.calls.find((k) => k.requestId === requestId)!.checkpoint)).toBe(true);
      release();
      expect((await finished(cluster, 'a', requestId)).state).toBe('complete');
      // One partials call each: the pipelined bundle was applied after the running exchange, not refused.
      for (const c of asked) expect(c.calls.filter((k) => k.requestId === requestId)).toHaveLength(1);
      for (const c of asked) expect(c.witnessAnswers.get(409) ?? 0).toBe(0);
    } finally {
      release();
      for (const c of cluster.custodians) c.witnessHold = null;
    }
  }, 30_000);
});
