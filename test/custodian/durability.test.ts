/**
 * Durability (restart keeps everything) and logging (structured, and never a
 * secret, plaintext, subject identifier or token).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createCustodian } from '../../services/custodian/src/index';
import { buildWorld, call, decryptionRequest, inScope, makeEnvelopes, removeTempDirs, sync } from './fixture';
import type { World } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';

let world: World;
const open: Scenario[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const s of open) await s.close();
  removeTempDirs();
});

describe('durability', () => {
  it('a restart keeps the replica, the witness head, reviews, releases and the cap count', async () => {
    const s = await scenario(world, { warrant: { maxEnvelopes: 4 } });
    open.push(s);
    const first = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(first.status).toBe(200);
    const witnessBefore = (await call(`${s.node.url}/v1/operator/witness`, { token: s.node.token })).json;
    const shownBefore = (await call(`${s.node.url}/v1/operator/warrants/${s.warrant.id}`, { token: s.node.token })).json;

    await s.node.restart();
    expect((await call(`${s.node.url}/v1/operator/witness`, { token: s.node.token })).json).toEqual(witnessBefore);
    expect((await call(`${s.node.url}/v1/operator/warrants/${s.warrant.id}`, { token: s.node.token })).json).toEqual(shownBefore);
    // the same request again: the same answer, counted once
    const again = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(again.json).toEqual(first.json);
    // 3 released of 4: a second request of 2 exceeds the cap even after the restart
    const more = makeEnvelopes(world, [inScope(7), inScope(8)]).envelopes;
    const second = decryptionRequest(world, s.warrant.id, more);
    s.standIn.append(second);
    await sync(s.node, s.standIn);
    expect((await askPartials(s.node, second.requestId, more)).json.error.code).toBe('ENVELOPE_CAP');
  });

  it("a second node on a running node's data directory is refused before it opens anything (two would cosign from one replica)", async () => {
    const s = await scenario(world);
    open.push(s);
    let second: unknown;
    try {
      createCustodian({ dataDir: s.node.dataDir, coordinatorUrl: s.standIn.url, logLevel: 'silent' });
    } catch (err) {
      second = err;
    }
    expect(second).toMatchObject({ code: 'DATA_DIR_IN_USE', message: expect.stringContaining('in use by another running custodian') });
    // The running node is untouched, and a restart (close, then start on the same directory) takes the directory over.
    expect((await call(`${s.node.url}/health`)).status).toBe(200);
    await s.node.restart();
    expect((await call(`${s.node.url}/health`)).status).toBe(200);
  });
});

describe('logging', () => {
  it('logs structured JSON without secrets, plaintexts, subjects or tokens', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const s = await scenario(world, { config: { logger } });
    open.push(s);
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status).toBe(200);
    await askPartials(s.node, s.request.requestId, s.envelopes.slice(1)); // a refusal
    await call(`${s.node.url}/v1/unseal`, { json: { key: 'junk' } });
    await vi.waitFor(() => expect(s.standIn.records.some((e) => e.type === 'release')).toBe(true));
    await s.node.close();

    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const text = lines.join('\n');
    const secrets = [
      world.shares[0]!.share,
      world.custodians[0]!.secretKey,
      s.node.token,
      ...s.node.init.unsealKeys,
      ...s.warrant.scope.subjects,
      ...s.plaintexts,
      s.salt,
      ...r.json.partials.map((p: { D: string }) => p.D),
    ];
    for (const secret of secrets) expect(text.includes(secret), secret).toBe(false);
    expect(text).toContain('partials released');
  });
});
