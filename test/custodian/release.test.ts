/**
 * Release rules (a)–(k) of the custodian issue: one valid scenario, then one
 * test per rule that breaks exactly that rule and expects exactly its code.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { combineAndOpen, decodePoint, hexToBytes, parseEnvelope, verifyPartial } from '@custodes/shared/crypto';
import { partialsRoot, verifyRecordSignature } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { buildWorld, call, decryptionRequest, inScope, keyPair, makeEnvelopes, NOW, removeTempDirs, revocation, signRegistry, startNode, sync } from './fixture';
import type { World } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';
import * as Independent from '../independent/impl';

let world: World;
const open: Scenario[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const s of open) await s.close();
  removeTempDirs();
});

async function make(opts: Parameters<typeof scenario>[1] = {}): Promise<Scenario> {
  const s = await scenario(world, opts);
  open.push(s);
  return s;
}

function verificationShare(index: number) {
  return decodePoint(hexToBytes(world.publicKeySet.verificationShares[String(index)]!, 33), 'X');
}

describe('release: the valid scenario', () => {
  it('serves verifiable partials, logs a signed release, and repeats the same answer without double counting', async () => {
    const s = await make();
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status, r.text).toBe(200);
    expect(r.json.custodian).toBe(1);
    expect(r.json.partials).toHaveLength(3);
    const parsed = s.envelopes.map((e) => parseEnvelope(e));
    r.json.partials.forEach((p: unknown, k: number) => expect(verifyPartial(p, verificationShare(1), parsed[k]!)).toBe(true));
    // …and under the independent implementation of docs/PROTOCOL.md §3.3 (test/independent/impl.ts), which fails them when tampered.
    const X1 = Independent.readPublic(world.publicKeySet as never).X.get(1)!;
    r.json.partials.forEach((p: Independent.Partial, k: number) => {
      const o = Independent.decodeEnvelope(s.envelopes[k] as never);
      expect(Independent.verifyPartial(p, X1, o)).toBe(true);
      expect(Independent.verifyPartial({ ...p, z: (p.z[0] === 'a' ? 'b' : 'a') + p.z.slice(1) }, X1, o)).toBe(false);
    });
    const release = r.json.release;
    expect(release).toMatchObject({ type: 'release', requestId: s.request.requestId, custodian: 1, count: 3 });
    expect(release.partialsRoot).toBe(partialsRoot(r.json.partials));
    expect(verifyRecordSignature(release, 'release', release.signature, world.custodians[0]!.publicKey)).toBe(true);
    await vi.waitFor(() => expect(s.standIn.records.some((e) => e.type === 'release' && e.requestId === s.request.requestId)).toBe(true));

    const again = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(r.json);
    const history = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    expect(history.json.releases.map((x: { outcome: string }) => x.outcome)).toEqual(['repeated', 'served']);

    // The released release entry, once logged, replicates back cleanly.
    await sync(s.node, s.standIn);
  });

  it('concurrent calls for one request get one answer, released and counted once', async () => {
    const s = await make({ warrant: { maxEnvelopes: 3 } });
    const answers = await Promise.all([1, 2, 3, 4].map(() => askPartials(s.node, s.request.requestId, s.envelopes)));
    for (const a of answers) expect(a.status, a.text).toBe(200);
    for (const a of answers.slice(1)) expect(a.json).toEqual(answers[0]!.json);
    const history = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    const outcomes = history.json.releases.map((x: { outcome: string }) => x.outcome).sort();
    expect(outcomes).toEqual(['repeated', 'repeated', 'repeated', 'served']);
  });

  it('three custodians together open every envelope (partials combine under their verification shares)', async () => {
    const s = await make();
    const nodes = [s.node];
    for (const i of [2, 3]) {
      const n = await startNode(world, s.standIn, i);
      nodes.push(n);
      await sync(n, s.standIn);
      expect((await call(`${n.url}/v1/warrants`, { json: { warrant: s.warrant, salt: s.salt } })).status).toBe(202);
      const d = await call(`${n.url}/v1/operator/warrants/${s.warrant.id}/approve`, { json: {}, token: n.token });
      expect(d.status).toBe(200);
    }
    // Nodes 2 and 3 approved above; the scenario already logged approvals in their names, which count once each.
    await vi.waitFor(() => expect(s.standIn.records.filter((e) => e.type === 'approval').length).toBe(3));
    for (const n of nodes) await sync(n, s.standIn);
    const answers: unknown[][] = [];
    for (const n of nodes) {
      const r = await askPartials(n, s.request.requestId, s.envelopes);
      expect(r.status, r.text).toBe(200);
      answers.push(r.json.partials as unknown[]);
    }
    const shares = new Map([1, 2, 3].map((i) => [i, verificationShare(i)]));
    s.envelopes.forEach((e, k) => {
      const out = combineAndOpen(parseEnvelope(e), answers.map((a) => a[k]), 3, shares);
      expect(new TextDecoder().decode(out.plaintext)).toBe(s.plaintexts[k]);
      expect(out.blamed).toEqual([]);
    });
    for (const n of nodes.slice(1)) await n.close();
  });
});

describe('release: one refusal per rule', () => {
  it('(a) REQUEST_NOT_LOGGED: the request is in the log but not in a checkpoint this node cosigned', async () => {
    const s = await make({ logRequest: false });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('REQUEST_NOT_LOGGED');
  });

  it('(b) WARRANT_INVALID: a registry update (signed by t custodians) drops the court after approval', async () => {
    const s = await make();
    const next: Omit<RegistryEntry, 'signatures'> = { ...world.registry, sequence: 1, courts: [] };
    delete (next as Partial<RegistryEntry>).signatures;
    s.standIn.append(signRegistry(next, [1, 2, 3].map((i) => ({ index: i, key: world.custodians[i - 1]! }))));
    await sync(s.node, s.standIn);
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('WARRANT_INVALID');
  });

  it('(b) INVESTIGATOR_MISMATCH: a request signed by another registered investigator of the warrant\'s agency', async () => {
    const s = await make();
    // A registry update (signed by t custodians) adds a second investigator to the agency; its
    // request passes every entry rule of the replica, so only rule (b) stands in its way.
    const other = keyPair();
    const next: Omit<RegistryEntry, 'signatures'> = {
      ...world.registry,
      sequence: 1,
      agencies: [{ id: world.agency.id, name: 'Test Agency', investigators: [world.agency.investigator.publicKey, other.publicKey] }],
    };
    delete (next as Partial<RegistryEntry>).signatures;
    s.standIn.append(signRegistry(next, [1, 2, 3].map((i) => ({ index: i, key: world.custodians[i - 1]! }))));
    const foreign = decryptionRequest(world, s.warrant.id, s.envelopes, {}, other);
    s.standIn.append(foreign);
    await sync(s.node, s.standIn);
    const r = await askPartials(s.node, foreign.requestId, s.envelopes);
    expect(r.status, r.text).toBe(403);
    expect(r.json.error.code).toBe('INVESTIGATOR_MISMATCH');
    // The warrant's own investigator's request for the same envelopes is still served.
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200);
  });

  it('(c) WARRANT_EXPIRED: the clock passes expiresAt', async () => {
    const s = await make();
    await s.node.restart({ clock: () => (s.warrant.expiresAt + 1) * 1000 });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes, { issuedAt: s.warrant.expiresAt + 1 });
    expect(r.json.error?.code, r.text).toBe('WARRANT_EXPIRED');
  });

  it('(c) WARRANT_REVOKED: the court revokes the warrant in the log', async () => {
    const s = await make();
    s.standIn.append(revocation(world, s.warrant.id));
    await sync(s.node, s.standIn);
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('WARRANT_REVOKED');
  });

  it('(d) NO_QUORUM: only two logged approvals, this node\'s among them', async () => {
    const s = await make({ approvers: [2] });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('NO_QUORUM');
  });

  it('(d) NOT_APPROVED_BY_ME: three others approve but this node never did', async () => {
    const s = await make({ own: 'none', approvers: [2, 3, 4] });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('NOT_APPROVED_BY_ME');
  });

  it('(d) NOT_APPROVED_BY_ME: this node denied, even with three others approving', async () => {
    const s = await make({ own: 'deny', approvers: [2, 3, 4] });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('NOT_APPROVED_BY_ME');
  });

  it('(e) ENVELOPE_SET_MISMATCH: the envelopes in another order, or one short', async () => {
    const s = await make();
    const swapped = [s.envelopes[1]!, s.envelopes[0]!, s.envelopes[2]!];
    expect((await askPartials(s.node, s.request.requestId, swapped)).json.error?.code).toBe('ENVELOPE_SET_MISMATCH');
    expect((await askPartials(s.node, s.request.requestId, s.envelopes.slice(0, 2))).json.error?.code).toBe('ENVELOPE_SET_MISMATCH');
  });

  it('(f) BAD_BINDING: an envelope whose binding proof fails (id unchanged, so the set still matches)', async () => {
    const s = await make({
      tamper: (envs) =>
        envs.map((e, k) => (k === 1 ? { ...e, proof: e.proof.slice(0, -2) + (e.proof.endsWith('00') ? '01' : '00') } : e)),
    });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('BAD_BINDING');
  });

  it('(g) OUT_OF_SCOPE: a label for a subject the warrant does not name', async () => {
    const s = await make({ labels: [inScope(0), inScope(1, 'subject-z')] });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('OUT_OF_SCOPE');
  });

  it('(h) UNKNOWN_EPOCH: envelopes sealed under an epoch the registry does not know', async () => {
    const s = await make({ epoch: 7 });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('UNKNOWN_EPOCH');
  });

  it('(k) EPOCH_RETIRED: envelopes of an epoch past its retireAfter, even a request served before (and the node destroys its share and posts its statement)', async () => {
    const { signatures: _signed, ...unsigned } = world.registry;
    const custodians = world.custodians.map((key, i) => ({ index: i + 1, key }));
    let now = NOW * 1000;
    const retiring = signRegistry({ ...unsigned, sequence: 1, epochs: unsigned.epochs.map((e) => ({ ...e, retireAfter: NOW + 60 })) }, custodians.slice(0, 3));
    const s = await make({ config: { clock: () => now, retirementCheckMs: 20 } });
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200);
    // The providers' retention period: a registry update dates epoch 1's retirement.
    s.standIn.append(retiring);
    await sync(s.node, s.standIn);
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200); // not yet: a repeat is answered
    now = (NOW + 60) * 1000;
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status, r.text).toBe(409);
    expect(r.json.error.code).toBe('EPOCH_RETIRED');
    expect(r.json.error.message).toBe('epoch 1 was retired on 2027-01-15T08:01:00Z: its shares are destroyed and nothing sealed under it can be opened');
    await vi.waitFor(() => expect(s.standIn.records.find((e) => e.type === 'retired')).toMatchObject({ type: 'retired', epoch: 1, custodian: 1, time: NOW + 60 }), { timeout: 15_000 });
  });

  it('(i) ENVELOPE_CAP: more envelopes than the warrant\'s maxEnvelopes', async () => {
    const s = await make({ warrant: { maxEnvelopes: 2 } });
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.json.error?.code, r.text).toBe('ENVELOPE_CAP');
  });

  it('(j) RATE_LIMITED: the agency exceeds its envelopes per minute; a minute later it passes', async () => {
    let now = NOW * 1000;
    const s = await make({ config: { rateLimit: { envelopesPerMinute: 4 }, clock: () => now } });
    expect((await askPartials(s.node, s.request.requestId, s.envelopes)).status).toBe(200);
    const more = makeEnvelopes(world, [inScope(5), inScope(6)]).envelopes;
    const second = decryptionRequest(world, s.warrant.id, more);
    s.standIn.append(second);
    await sync(s.node, s.standIn);
    const r = await askPartials(s.node, second.requestId, more);
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe('RATE_LIMITED');
    now += 61_000;
    expect((await askPartials(s.node, second.requestId, more)).status).toBe(200);
  });

  it('RELEASES_UNLOGGED: a coordinator that never logs this node\'s release gets nothing new past the deadline, until the release is logged', async () => {
    let now = NOW * 1000;
    const s = await make({ config: { clock: () => now, releaseLogDeadlineMs: 60_000 } });
    s.standIn.autoLog = false; // the stand-in coordinator takes every release and logs none
    const first = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(first.status, first.text).toBe(200);
    const more = makeEnvelopes(world, [inScope(5)]).envelopes;
    const second = decryptionRequest(world, s.warrant.id, more);
    s.standIn.append(second);
    await sync(s.node, s.standIn);
    const at = (ms: number) => ({ issuedAt: Math.floor(ms / 1000) });

    now += 61_000;
    const refused = await askPartials(s.node, second.requestId, more, at(now));
    expect(refused.status, refused.text).toBe(503);
    expect(refused.json.error.code).toBe('RELEASES_UNLOGGED');
    expect(refused.text).not.toMatch(/"partials"/);
    // The operator sees why (the view the console reads).
    const view = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    expect(view.json.unlogged).toEqual([{ requestId: s.request.requestId, servedAt: NOW, overdue: true }]);
    expect(view.json.releases[0]).toMatchObject({ requestId: second.requestId, outcome: 'refused', code: 'RELEASES_UNLOGGED' });
    // A repeat of the served request releases nothing new and is still answered.
    expect((await askPartials(s.node, s.request.requestId, s.envelopes, at(now))).json).toEqual(first.json);
    // Posting the release is not enough (the coordinator's word); seeing it in the log is.
    await vi.waitFor(() => expect(s.standIn.records.some((e) => e.type === 'release' && e.requestId === s.request.requestId)).toBe(true));
    expect((await askPartials(s.node, second.requestId, more, at(now))).json.error?.code).toBe('RELEASES_UNLOGGED');
    s.standIn.append(first.json.release);
    await sync(s.node, s.standIn);
    expect((await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token })).json.unlogged).toEqual([]);
    expect((await askPartials(s.node, second.requestId, more, at(now))).status).toBe(200);
  });

  it('records every refusal locally, newest first', async () => {
    const s = await make({ approvers: [2] });
    await askPartials(s.node, s.request.requestId, s.envelopes);
    const history = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    expect(history.json.releases[0]).toMatchObject({ requestId: s.request.requestId, outcome: 'refused', code: 'NO_QUORUM', count: 3 });
  });
});
