/**
 * Providers roll over (docs/PROTOCOL.md §3.10, §7.16): `custodes seal-records
 * --coordinator` seals to the newest active epoch that is not retired, and
 * refuses — one line on stderr, exit 1 — a retired `--epoch`, or a log whose
 * every active epoch is retired. Against a stand-in coordinator on loopback
 * whose registry update retires epoch 1 (and, in one log, adds epoch 2).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRegistry } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { keyPair } from '../auditor/scenario';
import { makeWorld, StandInLog } from '../web/helpers/world';
import type { Served, World } from '../web/helpers/world';
import { custodes, custodesAsync } from './run';

const NOW = Math.floor(Date.now() / 1000);
const RETIRED_AT = NOW - 3600;
const dir = mkdtempSync(join(tmpdir(), 'custodes-retire-cli-'));

/** Registry update 1 of `world`: epoch 1 retired an hour ago, and `next` epochs added; signed by every custodian. */
function retiringUpdate(world: World, next: RegistryEntry['epochs']): RegistryEntry {
  const genesis = world.registry;
  let update: RegistryEntry = {
    ...genesis,
    sequence: 1,
    time: NOW - 60,
    epochs: [...genesis.epochs.map((e) => ({ ...e, retireAfter: RETIRED_AT })), ...next],
    signatures: [],
  };
  for (const c of world.custodians) update = signRegistry(update, c.index, c.secretKey);
  return update;
}

function served(next: (world: World) => RegistryEntry['epochs']): Promise<Served> {
  const world = makeWorld(NOW);
  const log = new StandInLog(world, NOW);
  log.append(retiringUpdate(world, next(world)));
  log.publish();
  return log.serve();
}

describe('seal-records rolls over to the newest epoch that is not retired', { timeout: 120_000 }, () => {
  let rolled: Served;
  let none: Served;
  const epoch2Key = `02${keyPair().public}`;

  beforeAll(async () => {
    // Epoch 2: 2 of the same 3 custodians, with a dealer's key (any point serves to seal).
    rolled = await served((world) => [{ ...world.registry.epochs[0]!, epoch: 2, groupKey: epoch2Key, commitments: [epoch2Key, `02${keyPair().public}`] }]);
    none = await served(() => []);
    writeFileSync(join(dir, 'records.jsonl'), `${JSON.stringify({ subject: 'acct:a', category: 'messages', time: NOW - 86_400, body: 'a-1' })}\n`);
  });

  afterAll(async () => {
    await rolled?.close();
    await none?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals to epoch 2 when epoch 1 is retired', async () => {
    const out = join(dir, 'rolled');
    const r = await custodesAsync(['seal-records', '--coordinator', rolled.url, '--in', join(dir, 'records.jsonl'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = readdirSync(join(out, 'envelopes'));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(out, 'envelopes', files[0]!), 'utf8')).epoch).toBe(2);
  });

  it('refuses --epoch 1, retired, in one line naming the date', async () => {
    const r = await custodesAsync(['seal-records', '--coordinator', rolled.url, '--epoch', '1', '--in', join(dir, 'records.jsonl'), '--out', join(dir, 'refused')]);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toContain(`epoch 1 was retired on ${new Date(RETIRED_AT * 1000).toISOString().replace('.000Z', 'Z')}`);
    expect(r.stderr).toContain('seal to a newer epoch');
  });

  it('refuses a log whose every active epoch is retired, in one line', async () => {
    const r = await custodesAsync(['seal-records', '--coordinator', none.url, '--in', join(dir, 'records.jsonl'), '--out', join(dir, 'none')]);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toContain('no active epoch that is not retired to seal to (epoch 1 was retired on');
  });
});

describe('registry propose --retire-after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-retire-propose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('dates an epoch’s retirement in the proposal, and refuses to move a date already set', () => {
    const base = join(dir, 'base.json');
    writeFileSync(base, JSON.stringify(makeWorld(NOW).registry));
    const proposal = join(dir, 'retire-proposal.json');
    const r = custodes(['registry', 'propose', '--base', base, '--retire-after', '1,2027-01-15T08:00:00Z', '--out', proposal]);
    expect(r.status, r.stderr).toBe(0);
    const entry = JSON.parse(readFileSync(proposal, 'utf8')) as RegistryEntry;
    expect([entry.sequence, entry.epochs[0]!.retireAfter, entry.signatures]).toEqual([1, 1_800_000_000, []]);
    const moved = custodes(['registry', 'propose', '--base', proposal, '--retire-after', '1,1800000001', '--out', join(dir, 'moved.json')]);
    expect(moved.status).toBe(1);
    expect(moved.stderr).toBe('custodes: epoch 1 already retires at 1800000000; a retireAfter is kept once set\n');
    const unknown = custodes(['registry', 'propose', '--base', base, '--retire-after', '9,1800000000', '--out', join(dir, 'unknown.json')]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.split('\n')).toHaveLength(2);
  });
});
