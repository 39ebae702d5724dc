/**
 * Four-eyes approval (docs/PROTOCOL.md §7.13, Officers): with m = 2 of three
 * named officers, one approval records and waits, the second signs the node's
 * approval (the count in its reason) and sends it to the log; the operator
 * token no longer decides; any officer denies alone; each officer decides
 * once; decisions survive a restart; `addOfficer` checks its arguments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRecordSignature } from '@custodes/shared/records';
import { addOfficer } from '../../services/custodian/src/index';
import { buildWorld, call, coverSheet, makeWarrant, removeTempDirs, StandIn, startNode, sync, tempDir } from './fixture';
import type { Node, World } from './fixture';

let world: World;
let standIn: StandIn;
let node: Node;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  world = buildWorld();
  standIn = new StandIn(world);
  await standIn.start();
  standIn.append(world.registry);
  node = await startNode(world, standIn, 1, { config: { outboxGraceMs: 0 } });
  // Named while the node runs: it reads officers from its store on every call.
  tokens.alice = addOfficer({ dataDir: node.dataDir, name: 'alice' }).token;
  tokens.bob = addOfficer({ dataDir: node.dataDir, name: 'bob' }).token;
  const carol = addOfficer({ dataDir: node.dataDir, name: 'carol', require: 2 });
  tokens.carol = carol.token;
  expect(carol).toMatchObject({ officers: ['alice', 'bob', 'carol'], required: 2 });
});

afterAll(async () => {
  await node?.close();
  await standIn?.close();
  removeTempDirs();
});

async function delivered(): Promise<string> {
  const w = makeWarrant(world);
  standIn.append(coverSheet(w.warrant, w.commitment));
  await sync(node, standIn);
  const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } });
  expect(r.status).toBe(202);
  return w.warrant.id;
}

const decide = (id: string, who: string, decision: 'approve' | 'deny', reason?: string) =>
  call(`${node.url}/v1/operator/warrants/${id}/${decision}`, { json: reason ? { reason } : {}, token: tokens[who] ?? who });

describe('four-eyes approval', () => {
  it('the first officer approval waits, naming who is awaited; the second signs and sends the approval', async () => {
    const id = await delivered();
    const first = await decide(id, 'alice', 'approve');
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      status: 'pending',
      officers: {
        required: 2,
        officers: ['alice', 'bob', 'carol'],
        approvedBy: [{ officer: 'alice', decision: 'approve', reason: null, time: expect.any(Number) }],
        deniedBy: [],
        awaited: ['bob', 'carol'],
      },
    });
    // Repeating it changes nothing; nothing was signed or posted yet.
    expect((await decide(id, 'alice', 'approve')).json.status).toBe('pending');
    expect(standIn.records.filter((r) => r.type === 'approval' && r.warrantId === id)).toEqual([]);
    const shown = await call(`${node.url}/v1/operator/warrants/${id}`, { token: tokens.carol });
    expect(shown.json.decision.status).toBe('pending');
    expect(shown.json.officers.awaited).toEqual(['bob', 'carol']);

    const second = await decide(id, 'bob', 'approve', 'scope checked');
    expect(second.status).toBe(200);
    expect(second.json.status).toBe('approved');
    expect(second.json.officers.awaited).toEqual([]);
    const entry = second.json.entry;
    expect(entry).toMatchObject({ type: 'approval', warrantId: id, custodian: 1, decision: 'approve', reason: 'four-eyes: 2 officers approved (2 required)' });
    expect(verifyRecordSignature(entry, 'approval', entry.signature, world.custodians[0]!.publicKey)).toBe(true);
    expect(JSON.stringify(entry)).not.toMatch(/alice|bob|scope checked/); // names and officers' reasons stay here
    await expect.poll(() => standIn.records.filter((r) => r.type === 'approval' && r.warrantId === id)).toEqual([entry]);
    const after = await call(`${node.url}/v1/operator/warrants/${id}`, { token: node.token });
    expect(after.json.decision).toMatchObject({ status: 'approved', decidedBy: 'officers:alice,bob' });
    // A third officer's approval now answers the signed entry; a denial is too late.
    expect((await decide(id, 'carol', 'approve')).json.entry).toEqual(entry);
    const late = await decide(id, 'carol', 'deny', 'too late');
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('ALREADY_DECIDED');
  });

  it('the operator token reads but no longer decides; an unknown token is 401', async () => {
    const id = await delivered();
    for (const decision of ['approve', 'deny'] as const) {
      const r = await decide(id, node.token, decision, 'no');
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('OFFICER_REQUIRED');
    }
    expect((await call(`${node.url}/v1/operator/queue`, { token: node.token })).status).toBe(200);
    const who = await call(`${node.url}/v1/operator/whoami`, { token: tokens.alice });
    expect(who.json).toEqual({ actor: { kind: 'officer', name: 'alice' }, fourEyes: { required: 2, officers: ['alice', 'bob', 'carol'] } });
    expect((await call(`${node.url}/v1/operator/whoami`, { token: node.token })).json.actor).toEqual({ kind: 'operator' });
    const stranger = await decide(id, 'not-a-token', 'approve');
    expect(stranger.status).toBe(401);
    expect(stranger.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('one officer denies alone, with the reason logged; an officer cannot change their mind', async () => {
    const id = await delivered();
    expect((await decide(id, 'alice', 'approve')).json.status).toBe('pending');
    const change = await decide(id, 'alice', 'deny', 'second thoughts');
    expect(change.status).toBe(409);
    expect(change.json.error.code).toBe('ALREADY_DECIDED');
    const denied = await decide(id, 'carol', 'deny', 'scope too broad');
    expect(denied.json).toMatchObject({ status: 'denied', entry: { decision: 'deny', reason: 'scope too broad' } });
    expect(denied.json.officers.deniedBy.map((d: { officer: string }) => d.officer)).toEqual(['carol']);
    const late = await decide(id, 'bob', 'approve');
    expect(late.status).toBe(409);
  });

  it('officer decisions survive a restart', async () => {
    const id = await delivered();
    await decide(id, 'bob', 'approve');
    await node.restart();
    const shown = await call(`${node.url}/v1/operator/warrants/${id}`, { token: tokens.bob });
    expect(shown.json.officers.approvedBy.map((d: { officer: string }) => d.officer)).toEqual(['bob']);
    expect((await decide(id, 'carol', 'approve')).json.status).toBe('approved');
  });

  it('addOfficer refuses bad names, duplicates, m above k, and an uninitialised directory', () => {
    for (const name of ['', 'Alice', 'a b', '-x', 'x'.repeat(65), 'ünï']) {
      expect(() => addOfficer({ dataDir: node.dataDir, name }), name).toThrow(expect.objectContaining({ code: 'BAD_OFFICER' }));
    }
    expect(() => addOfficer({ dataDir: node.dataDir, name: 'alice' })).toThrow(expect.objectContaining({ code: 'BAD_OFFICER' }));
    expect(() => addOfficer({ dataDir: node.dataDir, name: 'dave', require: 5 })).toThrow(/exceeds the 4 officer/);
    expect(() => addOfficer({ dataDir: node.dataDir, name: 'erin', require: 0 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => addOfficer({ dataDir: tempDir(), name: 'frank' })).toThrow(expect.objectContaining({ code: 'NOT_INITIALISED' }));
  });
});
