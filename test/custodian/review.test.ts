/**
 * Review (docs/PROTOCOL.md §5 step 3): delivery checks with their codes, the operator
 * queue and decisions, the auto-approval policy, and the outbox that resends
 * approvals until the coordinator acknowledges them, across restarts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyRecordSignature } from '@custodes/shared/records';
import type { Policy } from '../../services/custodian/src/index';
import { buildWorld, call, coverSheet, keyPair, makeWarrant, NOW, removeTempDirs, signRegistry, StandIn, startNode, sync, tempDir } from './fixture';
import type { Node, World } from './fixture';

let world: World;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  removeTempDirs();
});

async function setup(opts: { policy?: Policy; policyFile?: string } = {}): Promise<{ standIn: StandIn; node: Node }> {
  const standIn = new StandIn(world);
  await standIn.start();
  closers.push(() => standIn.close());
  standIn.append(world.registry);
  const node = await startNode(world, standIn, 1, {
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.policyFile ? { config: { policyFile: opts.policyFile } } : {}),
  });
  closers.push(() => node.close());
  return { standIn, node };
}

async function logAndDeliver(standIn: StandIn, node: Node, w: ReturnType<typeof makeWarrant>, salt = w.salt) {
  standIn.append(coverSheet(w.warrant, w.commitment));
  await sync(node, standIn);
  return call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt } });
}

describe('review: delivery checks', () => {
  it('409 WARRANT_NOT_LOGGED until the cover sheet is replicated, then 202 pending (idempotent)', async () => {
    const { standIn, node } = await setup();
    await sync(node, standIn);
    const w = makeWarrant(world);
    const early = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } });
    expect(early.status).toBe(409);
    expect(early.json.error.code).toBe('WARRANT_NOT_LOGGED');
    const r = await logAndDeliver(standIn, node, w);
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ warrantId: w.warrant.id, status: 'pending' });
    expect((await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } })).json.status).toBe('pending');
  });

  it('each failed check has its own code', async () => {
    const { standIn, node } = await setup();
    await sync(node, standIn);
    const cases: [ReturnType<typeof makeWarrant>, string, string?][] = [];
    const good = makeWarrant(world);
    cases.push([good, 'BAD_COMMITMENT', '00'.repeat(32)]);
    cases.push([makeWarrant(world, {}, { court: keyPair().secretKey }), 'BAD_COURT_SIGNATURE']);
    cases.push([makeWarrant(world, {}, { investigator: keyPair().secretKey }), 'BAD_INVESTIGATOR_SIGNATURE']);
    const stranger = keyPair();
    cases.push([makeWarrant(world, { investigator: stranger.publicKey }, { investigator: stranger.secretKey }), 'UNKNOWN_INVESTIGATOR']);
    cases.push([makeWarrant(world, { issuedAt: NOW - 100 * 86_400, expiresAt: NOW - 1 }), 'BAD_DATES']);
    cases.push([makeWarrant(world, { issuedAt: NOW + 86_400, expiresAt: NOW + 2 * 86_400 }), 'BAD_DATES']);
    for (const [w, code, salt] of cases) {
      const r = await logAndDeliver(standIn, node, w, salt);
      expect(r.status, code).toBe(400);
      expect(r.json.error.code).toBe(code);
    }
    // nothing of those reached the queue
    expect((await call(`${node.url}/v1/operator/queue`, { token: node.token })).json.warrants).toEqual([]);
  });

  it('UNKNOWN_COURT: the court left the registry between logging and delivery', async () => {
    const { standIn, node } = await setup();
    const w = makeWarrant(world);
    standIn.append(coverSheet(w.warrant, w.commitment));
    const { signatures: _, ...base } = world.registry;
    standIn.append(signRegistry({ ...base, sequence: 1, courts: [] }, [1, 2, 3].map((i) => ({ index: i, key: world.custodians[i - 1]! }))));
    await sync(node, standIn);
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } });
    expect(r.json.error?.code, r.text).toBe('UNKNOWN_COURT');
  });
});

describe('review: operators', () => {
  it('lists, shows, approves (signed approval posted), denies with a reason, and refuses a change of mind', async () => {
    const { standIn, node } = await setup();
    const a = makeWarrant(world);
    const b = makeWarrant(world);
    await logAndDeliver(standIn, node, a);
    await logAndDeliver(standIn, node, b);
    expect((await call(`${node.url}/v1/operator/queue`)).status).toBe(401);
    const q = await call(`${node.url}/v1/operator/queue`, { token: node.token });
    expect(q.json.warrants.map((x: { warrantId: string }) => x.warrantId).sort()).toEqual([a.warrant.id, b.warrant.id].sort());

    const shown = await call(`${node.url}/v1/operator/warrants/${a.warrant.id}`, { token: node.token });
    expect(shown.json.warrant).toEqual(a.warrant);
    expect(shown.json.decision.status).toBe('pending');
    expect((await call(`${node.url}/v1/operator/warrants/00000000-0000-4000-8000-000000000000`, { token: node.token })).status).toBe(404);

    const ok = await call(`${node.url}/v1/operator/warrants/${a.warrant.id}/approve`, { json: {}, token: node.token });
    expect(ok.status).toBe(200);
    expect(ok.json.entry).toMatchObject({ type: 'approval', warrantId: a.warrant.id, commitment: a.commitment, custodian: 1, decision: 'approve' });
    expect(verifyRecordSignature(ok.json.entry, 'approval', ok.json.entry.signature, world.custodians[0]!.publicKey)).toBe(true);
    expect((await call(`${node.url}/v1/operator/warrants/${a.warrant.id}/approve`, { json: {}, token: node.token })).json.entry).toEqual(ok.json.entry);
    expect((await call(`${node.url}/v1/operator/warrants/${a.warrant.id}/deny`, { json: { reason: 'changed mind' }, token: node.token })).json.error.code).toBe('ALREADY_DECIDED');

    expect((await call(`${node.url}/v1/operator/warrants/${b.warrant.id}/deny`, { json: {}, token: node.token })).status).toBe(400);
    const no = await call(`${node.url}/v1/operator/warrants/${b.warrant.id}/deny`, { json: { reason: 'scope too wide' }, token: node.token });
    expect(no.json.entry).toMatchObject({ decision: 'deny', reason: 'scope too wide' });

    await vi.waitFor(() => expect(standIn.records).toHaveLength(2));
    expect(standIn.records).toEqual(expect.arrayContaining([ok.json.entry, no.json.entry]));
    expect((await call(`${node.url}/v1/operator/queue`, { token: node.token })).json.warrants).toEqual([]);
  });

  it('persists an approval before sending it and resends after a restart until acknowledged', async () => {
    const { standIn, node } = await setup();
    const w = makeWarrant(world);
    await logAndDeliver(standIn, node, w);
    standIn.faults.recordsFail = 1_000;
    const ok = await call(`${node.url}/v1/operator/warrants/${w.warrant.id}/approve`, { json: {}, token: node.token });
    expect(ok.status).toBe(200);
    await node.close();
    expect(standIn.records).toEqual([]);
    standIn.faults.recordsFail = 0;
    await node.restart();
    await vi.waitFor(() => expect(standIn.records).toEqual([ok.json.entry]));
  });
});

describe('review: auto-approval policy', () => {
  const policy: Policy = { courts: ['court-1'], categories: ['messages'], maxSubjects: 2, maxWindowDays: 31, maxEnvelopes: 100 };

  it('approves a warrant inside the policy at once; anything outside waits for a person', async () => {
    const { standIn, node } = await setup({ policy });
    const inside = await logAndDeliver(standIn, node, makeWarrant(world));
    expect(inside.json.status).toBe('approved');
    const outside = [
      makeWarrant(world, { maxEnvelopes: 101 }),
      makeWarrant(world, { scope: { subjects: ['a', 'b', 'c'], categories: ['messages'], notBefore: NOW - 86_400, notAfter: NOW } }),
      makeWarrant(world, { scope: { subjects: ['a'], categories: ['location'], notBefore: NOW - 86_400, notAfter: NOW } }),
      makeWarrant(world, { scope: { subjects: ['a'], categories: ['messages'], notBefore: NOW - 40 * 86_400, notAfter: NOW } }),
    ];
    for (const w of outside) expect((await logAndDeliver(standIn, node, w)).json.status).toBe('pending');
    await vi.waitFor(() => expect(standIn.records.filter((e) => e.type === 'approval')).toHaveLength(1));
    const shown = await call(`${node.url}/v1/operator/warrants/${outside[0]!.warrant.id}`, { token: node.token });
    expect(shown.json.policy.auto).toBe(false);
    expect(shown.json.policy.reasons.join()).toMatch(/maxEnvelopes/);
  });

  it('reads a policy file at start (overriding the one from init)', async () => {
    const file = join(tempDir(), 'policy.json');
    writeFileSync(file, JSON.stringify({ ...policy, courts: [] }));
    const { standIn, node } = await setup({ policy, policyFile: file });
    expect((await logAndDeliver(standIn, node, makeWarrant(world))).json.status).toBe('pending');
  });
});
