/**
 * Warrant search (docs/PROTOCOL.md §7.3, "Warrant search") with the
 * explorer's own module, services/web/public/lib/search.js, run in Node
 * against the stand-in log over HTTP: it fetches O(the warrant's entries),
 * not the log, and refuses an index answer that names another warrant's
 * entry, a bad proof, or a page of other bytes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warrantCoverSheet } from '@custodes/shared/records';
import { loadSearch } from './helpers/lib';
import { populatedLog } from './helpers/scenario';
import type { Scenario } from './helpers/scenario';
import { issueWarrant } from './helpers/world';
import type { Served } from './helpers/world';

const search = await loadSearch();

describe('lib/search.js: a warrant history without the whole log', () => {
  let scenario: Scenario;
  let served: Served;
  let urls: { search: string; entries: string; inclusion: string };
  const calls: string[] = [];

  /** requestJson as the explorer uses it, counting the calls. */
  const getJson = async (url: string, rewrite?: (path: string, body: any) => unknown): Promise<unknown> => {
    calls.push(url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    return rewrite ? rewrite(new URL(url).pathname, body) : body;
  };

  beforeAll(async () => {
    scenario = populatedLog();
    // A long log around the warrant: 1500 other warrants' cover sheets.
    for (let i = 0; i < 1500; i++) scenario.log.append(warrantCoverSheet(...cover(scenario, i)));
    scenario.log.publish();
    served = await scenario.log.serve();
    urls = { search: `${served.url}/v1/log/warrant/`, entries: `${served.url}/log/v1/entries`, inclusion: `${served.url}/log/v1/proof/inclusion` };
  });

  afterAll(async () => {
    await served?.close();
  });

  const checkpoint = () => ({ size: scenario.log.checkpointSize, root: scenario.log.root() });

  it('fetches only the index, the runs of its entries and one proof per entry', async () => {
    calls.length = 0;
    const id = scenario.served.warrant.id;
    const { registry, entries: found } = await search.findWarrantEntries(id, checkpoint(), urls, (u) => getJson(u));
    expect(registry.map((d) => [d.index, d.type])).toEqual([[0, 'registry']]);
    expect(found.map((d) => d.type)).toEqual(['warrant', 'approval', 'approval', 'approval', 'decryption-request', 'release', 'release', 'decryption-complete']);
    expect(checkpoint().size).toBeGreaterThan(1500);
    const entryCalls = calls.filter((u) => u.includes('/log/v1/entries'));
    const fetched = entryCalls.map((u) => new URL(u)).reduce((n, u) => n + Number(u.searchParams.get('end')) - Number(u.searchParams.get('start')), 0);
    const k = found.length + registry.length;
    expect(fetched).toBe(k); // not one entry more
    expect(calls.filter((u) => u.includes('/proof/inclusion'))).toHaveLength(k);
    expect(calls.filter((u) => u.includes('/v1/log/warrant/'))).toHaveLength(1);
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * k);
  });

  it('finds nothing for an unknown warrant: the index, and the registry with its proof', async () => {
    calls.length = 0;
    const r = await search.findWarrantEntries(randomUUID(), checkpoint(), urls, (u) => getJson(u));
    expect(r.entries).toEqual([]);
    expect(r.registry.map((d) => d.index)).toEqual([0]);
    expect(calls).toHaveLength(3);
  });

  it('refuses a registry list that names another entry', async () => {
    const id = scenario.served.warrant.id;
    const lying = (path: string, body: any) => (path.startsWith('/v1/log/warrant/') ? { ...body, registry: [0, scenario.junkIndex + 1] } : body);
    await expect(search.findWarrantEntries(id, checkpoint(), urls, (u) => getJson(u, lying))).rejects.toMatchObject({
      code: 'NOT_THIS_WARRANT',
      message: expect.stringContaining('is not a registry entry'),
    });
  });

  it('refuses an index that names an entry of another warrant', async () => {
    const id = scenario.served.warrant.id;
    const strangerIndex = scenario.approvalIndex + 100; // a filler cover sheet
    const lying = (path: string, body: any) => (path.startsWith('/v1/log/warrant/') ? { ...body, indices: [...body.indices, strangerIndex] } : body);
    await expect(search.findWarrantEntries(id, checkpoint(), urls, (u) => getJson(u, lying))).rejects.toMatchObject({
      code: 'NOT_THIS_WARRANT',
      message: expect.stringContaining(`entry ${strangerIndex} (warrant)`),
    });
  });

  it('refuses a bad inclusion proof and entry bytes that are not the leaf', async () => {
    const id = scenario.served.warrant.id;
    const badProof = (path: string, body: any) => {
      if (path !== '/log/v1/proof/inclusion' || body.index !== scenario.approvalIndex) return body;
      const first = Buffer.from(body.proof[0], 'base64');
      first[0] = first[0]! ^ 1;
      return { ...body, proof: [first.toString('base64'), ...body.proof.slice(1)] };
    };
    await expect(search.findWarrantEntries(id, checkpoint(), urls, (u) => getJson(u, badProof))).rejects.toMatchObject({
      code: 'NOT_IN_TREE',
      message: expect.stringContaining(`entry ${scenario.approvalIndex} is not in the checkpoint's tree`),
    });
    // A page whose first leaf is another entry's bytes (the revoked warrant's cover sheet, a real leaf elsewhere).
    const swapped = (path: string, body: any) => {
      if (path !== '/log/v1/entries') return body;
      const other = Buffer.from(JSON.stringify(warrantCoverSheet(scenario.revoked.warrant, scenario.revoked.commitment))).toString('base64');
      return { ...body, entries: [other, ...body.entries.slice(1)] };
    };
    await expect(search.findWarrantEntries(id, checkpoint(), urls, (u) => getJson(u, swapped))).rejects.toMatchObject({ code: 'NOT_IN_TREE' });
  });

  it('refuses malformed index answers', () => {
    const id = scenario.served.warrant.id;
    const ok = { warrantId: id, size: 10, indices: [1, 2, 5], registry: [0, 3] };
    expect(search.parseIndexAnswer(ok, id, 10)).toEqual({ indices: [1, 2, 5], registry: [0, 3] });
    for (const bad of [
      null,
      'x',
      { ...ok, warrantId: randomUUID() },
      { ...ok, size: 9 },
      { ...ok, indices: [1, 1] },
      { ...ok, indices: [2, 1] },
      { ...ok, indices: [10] },
      { ...ok, indices: [-1] },
      { ...ok, indices: [1.5] },
      { ...ok, indices: ['1'] },
      { ...ok, indices: [NaN] },
      { ...ok, indices: null },
      { ...ok, registry: undefined },
      { ...ok, registry: [] },
      { ...ok, registry: [3] },
      { ...ok, registry: [0, 2] },
    ]) {
      expect(() => search.parseIndexAnswer(bad, id, 10), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'BAD_INDEX' }));
    }
  });
});

/** The i-th filler warrant's cover sheet arguments. */
function cover(scenario: Scenario, i: number): [Parameters<typeof warrantCoverSheet>[0], string] {
  const w = issueWarrant(scenario.world, scenario.now, { caseNumber: `CR-FILL-${i}` });
  return [w.warrant, w.commitment];
}
