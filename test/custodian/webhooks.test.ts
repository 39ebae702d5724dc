/**
 * The node's webhooks (docs/PROTOCOL.md §9.7) under a receiver in trouble:
 * it answers 500, then refuses connections (and the node restarts meanwhile),
 * then recovers. Every event arrives, in order, each id accepted once, each
 * signature verified by the receiver; the same id is retried; no body carries a
 * subject or a token.
 */
import { randomBytes } from 'node:crypto';
import { PARTIALS_CALL_HEADER } from '@custodes/shared/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, call, callHeader, coverSheet, inScope, makeEnvelopes, makeWarrant, removeTempDirs, StandIn, startNode, sync, SUBJECTS } from './fixture';
import type { Node, World } from './fixture';
import { askPartials, scenario } from './scenario';
import { WebhookReceiver } from '../service/webhookReceiver';

const SECRET = randomBytes(32).toString('base64url');

let world: World;
let standIn: StandIn;
let node: Node;
let receiver: WebhookReceiver;

beforeAll(async () => {
  world = buildWorld();
  standIn = new StandIn(world);
  await standIn.start();
  standIn.append(world.registry);
  receiver = new WebhookReceiver(SECRET);
  await receiver.open();
  node = await startNode(world, standIn, 1, { config: { webhook: { url: receiver.url, secret: SECRET, retryBaseMs: 20, retryMaxMs: 200 } } });
});

afterAll(async () => {
  await node?.close();
  await receiver?.close();
  await standIn?.close();
  removeTempDirs();
});

async function deliver(): Promise<string> {
  const w = makeWarrant(world);
  standIn.append(coverSheet(w.warrant, w.commitment));
  await sync(node, standIn);
  expect((await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } })).status).toBe(202);
  return w.warrant.id;
}

const NEVER_LOGGED = '00000000-0000-4000-8000-000000000000';

const accepted = (type: string) => [...receiver.events.values()].filter((e) => e.type === type);

describe('webhooks: a receiver that fails, refuses connections, then recovers', () => {
  it('delivers every event, each id once, signed, after 500s, refused connections and a node restart', async () => {
    receiver.mode = 'fail';
    const warrants = [await deliver(), await deliver()];
    // Retried with backoff while the receiver answers 500, always under the same ids.
    await expect.poll(() => receiver.attempts.filter((a) => a.status === 500).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const failedIds = new Set(receiver.attempts.map((a) => a.id));
    expect(receiver.events.size).toBe(0);

    // Connections refused; meanwhile another warrant and a refused partials call, then a node restart.
    await receiver.close();
    warrants.push(await deliver());
    // A call the coordinator signed, refused by a release rule, is stored and becomes an event; junk
    // without a valid Custodes-Call is only counted (docs/PROTOCOL.md §7.12), so it cannot flood the receiver.
    const junk = await call(`${node.url}/v1/partials`, { json: { requestId: NEVER_LOGGED, envelopes: [] } });
    expect(junk.status).toBe(401);
    const { envelopes } = makeEnvelopes(world, [inScope(0)]);
    const refused = await call(`${node.url}/v1/partials`, { json: { requestId: NEVER_LOGGED, envelopes }, headers: { [PARTIALS_CALL_HEADER]: callHeader(world, 1, NEVER_LOGGED, envelopes) } });
    expect(refused.json.error.code).toBe('REQUEST_NOT_LOGGED');
    await new Promise<void>((resolve) => setImmediate(resolve)); // the scan after that answer
    await node.restart();

    receiver.mode = 'ok';
    await receiver.open(); // same port
    await expect.poll(() => accepted('warrant.awaiting-review').length, { timeout: 15_000 }).toBe(3);
    await expect.poll(() => accepted('release.refused').length, { timeout: 15_000 }).toBe(1);
    // Oldest first, also across the backoff: in the order the node stored them.
    expect([...receiver.events.values()].map((e) => (e.type === 'warrant.awaiting-review' ? e.data.warrantId : e.type))).toEqual([...warrants, 'release.refused']);
    expect(accepted('release.refused')[0]!.data).toEqual({ requestId: NEVER_LOGGED, warrantId: null, code: 'REQUEST_NOT_LOGGED' });
    for (const e of receiver.events.values()) expect(e.source).toEqual({ service: 'custodian', custodian: 1 });
    // The ids that failed are the ids that arrived: retries keep the event's id.
    for (const id of failedIds) expect(receiver.events.has(id)).toBe(true);
    expect(receiver.duplicates).toBe(0);
    expect(receiver.badSignatures).toBe(0);
    // Nothing private in any body.
    const bodies = JSON.stringify([...receiver.events.values()]);
    for (const s of SUBJECTS) expect(bodies).not.toContain(s);
    expect(bodies).not.toContain(node.token);
  });

  it('emits nothing more once delivered, and nothing for repeated scans', async () => {
    const before = receiver.events.size;
    await node.restart();
    await call(`${node.url}/health`);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.events.size).toBe(before);
    expect(receiver.duplicates).toBe(0);
  });

  it('a release is one release.served event: ids and count, no partial, no subject', async () => {
    const own = new WebhookReceiver(SECRET);
    await own.open();
    const s = await scenario(world, { config: { webhook: { url: own.url, secret: SECRET, retryBaseMs: 20, retryMaxMs: 200 } } });
    try {
      const r = await askPartials(s.node, s.request.requestId, s.envelopes);
      expect(r.status, r.text).toBe(200);
      expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200); // a repeat is no new event
      await expect.poll(() => [...own.events.values()].filter((e) => e.type === 'release.served').length, { timeout: 10_000 }).toBe(1);
      await new Promise((done) => setTimeout(done, 200));
      const served = [...own.events.values()].filter((e) => e.type === 'release.served');
      expect(served.map((e) => e.data)).toEqual([{ requestId: s.request.requestId, warrantId: s.warrant.id, count: 3 }]);
      const bodies = JSON.stringify([...own.events.values()]);
      for (const p of r.json.partials as { D: string }[]) expect(bodies).not.toContain(p.D);
      for (const subject of SUBJECTS) expect(bodies).not.toContain(subject);
      expect(own.duplicates).toBe(0);
      expect(own.badSignatures).toBe(0);
    } finally {
      await s.close();
      await own.close();
    }
  });
});
