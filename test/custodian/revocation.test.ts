/**
 * A revocation posted to a custodian directly (docs/PROTOCOL.md §7.14):
 * in force there at once, forwarded to the log by its outbox, then enforced
 * by the other custodians from their replicas (docs/PROTOCOL.md §1 goal 7). Every
 * refusal stores nothing and leaves releases as they were.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalJson, signRecord } from '@custodes/shared/records';
import type { RevocationEntry } from '@custodes/shared/records';
import { buildWorld, call, keyPair, makeWarrant, removeTempDirs, revocation, startNode, sync } from './fixture';
import type { KeyPair, Node, World } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';

let world: World;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  removeTempDirs();
});

async function make(): Promise<Scenario> {
  const s = await scenario(world);
  closers.push(() => s.close());
  return s;
}

/** A second custodian on the scenario's log that reviewed and approved the warrant (its approval logged by the stand-in). */
async function secondNode(s: Scenario): Promise<Node> {
  const n = await startNode(world, s.standIn, 2);
  closers.push(() => n.close());
  await sync(n, s.standIn);
  expect((await call(`${n.url}/v1/warrants`, { json: { warrant: s.warrant, salt: s.salt } })).status).toBe(202);
  expect((await call(`${n.url}/v1/operator/warrants/${s.warrant.id}/approve`, { json: {}, token: n.token })).status).toBe(200);
  return n;
}

function signed(warrantId: string, by: 'court' | 'investigator', key: KeyPair): RevocationEntry {
  const unsigned = { type: 'revocation' as const, warrantId, reason: 'withdrawn', by, signer: key.publicKey, time: 1_800_000_000 };
  return { ...unsigned, signature: signRecord(unsigned, 'revocation', key.secretKey) };
}

const revoke = (node: Node, body: unknown) => call(`${node.url}/v1/revocations`, { json: body });

describe('revocation posted to one custodian', () => {
  it('stops its releases at once, reaches the log through its outbox, and another custodian then refuses', async () => {
    const s = await make();
    const other = await secondNode(s);
    const entry = revocation(world, s.warrant.id);

    const r = await revoke(s.node, { entry });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ warrantId: s.warrant.id, revoked: true, logIndex: null });
    // At once: nothing new has been logged or cosigned.
    const refused = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('WARRANT_REVOKED');
    expect((await call(`${s.node.url}/v1/operator/warrants/${s.warrant.id}`, { token: s.node.token })).json.logged.revoked).toBe(true);

    // Forwarded: the node's outbox posts the exact entry, and the stand-in coordinator logs it.
    await vi.waitFor(() => expect(s.standIn.records.filter((e) => e.type === 'revocation')).toEqual([entry]), { timeout: 5000, interval: 50 });
    const index = s.standIn.leaves.findIndex((l) => Buffer.from(l).toString('utf8') === canonicalJson(entry));
    expect(index).toBeGreaterThan(0);

    // The other custodian enforces it once its replica holds it.
    await sync(other, s.standIn);
    const elsewhere = await askPartials(other, s.request.requestId, s.envelopes);
    expect(elsewhere.status, elsewhere.text).toBe(403);
    expect(elsewhere.json.error.code).toBe('WARRANT_REVOKED');

    // The first node sees its forwarded revocation logged; posting it again is idempotent and names the index.
    await sync(s.node, s.standIn);
    const again = await revoke(s.node, { entry });
    expect(again.json).toEqual({ warrantId: s.warrant.id, revoked: true, logIndex: index });
    await new Promise((done) => setTimeout(done, 300));
    expect(s.standIn.records.filter((e) => e.type === 'revocation')).toHaveLength(1);
  });

  it('accepts a revocation by the warrant\'s investigator too (the rule the log applies)', async () => {
    const s = await make();
    const r = await revoke(s.node, { entry: signed(s.warrant.id, 'investigator', world.agency.investigator) });
    expect(r.status, r.text).toBe(200);
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).json.error.code).toBe('WARRANT_REVOKED');
  });
});

describe('revocation posted to one custodian: refusals (nothing stored, releases go on)', () => {
  it('another key, a bad signature, an unknown warrant and junk each get their code', async () => {
    const s = await make();
    const stranger = keyPair();
    const good = revocation(world, s.warrant.id);
    const cases: [unknown, number, string][] = [
      // A key that is not the warrant's court, claiming to be it.
      [{ entry: signed(s.warrant.id, 'court', stranger) }, 403, 'FORBIDDEN'],
      // The court's key named as an investigator's.
      [{ entry: signed(s.warrant.id, 'investigator', world.court) }, 403, 'FORBIDDEN'],
      // The court's key, a signature over other content.
      [{ entry: { ...good, reason: 'changed after signing' } }, 400, 'BAD_SIGNATURE'],
      // A warrant this node's replica does not hold.
      [{ entry: revocation(world, makeWarrant(world).warrant.id) }, 409, 'WARRANT_NOT_LOGGED'],
      [{ entry: { ...good, extra: 1 } }, 400, 'BAD_REQUEST'],
      [{ entry: good, extra: 1 }, 400, 'BAD_REQUEST'],
      [{}, 400, 'BAD_REQUEST'],
      [{ entry: 'revoke' }, 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const r = await revoke(s.node, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error.code, JSON.stringify(body)).toBe(code);
    }
    const junk = await call(`${s.node.url}/v1/revocations`, { raw: '{"entry":' });
    expect(junk.status).toBe(400);
    expect(typeof junk.json.error.code).toBe('string');
    await new Promise((done) => setTimeout(done, 300));
    expect(s.standIn.records.filter((e) => e.type === 'revocation')).toEqual([]);
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200);
  });
});
