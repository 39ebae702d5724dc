/**
 * A custodian node's retirement pass (docs/PROTOCOL.md §3.10,
 * services/custodian/src/retirement.ts): a sealed node retires nothing (it
 * cannot re-seal its secrets); once unsealed, its first pass destroys the
 * share of the retired epoch and posts one signed statement; a bad
 * `retirementCheckMs` is refused at creation.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyRecordSignature } from '@custodes/shared/records';
import { createCustodian } from '../../services/custodian/src/index';
import { buildWorld, call, NOW, removeTempDirs, signRegistry, StandIn, startNode, sync, tempDir } from './fixture';
import type { Node, World } from './fixture';

let world: World;
let standIn: StandIn;
let node: Node;

beforeAll(async () => {
  const base = buildWorld();
  const { signatures: _signed, ...unsigned } = base.registry;
  // The genesis dates epoch 1's retirement a minute before the node's clock.
  const registry = signRegistry({ ...unsigned, epochs: unsigned.epochs.map((e) => ({ ...e, retireAfter: NOW - 60 })) }, base.custodians.map((key, i) => ({ index: i + 1, key })));
  world = { ...base, registry };
  standIn = new StandIn(world);
  await standIn.start();
  standIn.autoLog = true;
  standIn.append(world.registry);
  node = await startNode(world, standIn, 1, { dev: false, config: { retirementCheckMs: 20 } });
});

afterAll(async () => {
  await node?.close();
  await standIn?.close();
  removeTempDirs();
});

describe('the retirement pass', () => {
  it('waits while the node is sealed, then destroys the share and posts one statement once it is unsealed', async () => {
    // Sealed, with passes every 20 ms: nothing is posted (the share stays under K, which is not in memory).
    expect((await call(`${node.url}/health`)).json).toMatchObject({ sealed: true });
    expect(standIn.records.filter((e) => e.type === 'retired')).toEqual([]);
    for (const key of node.init.unsealKeys.slice(0, 3)) await call(`${node.url}/v1/unseal`, { json: { key } });
    await sync(node, standIn);
    await vi.waitFor(() => expect(standIn.records.filter((e) => e.type === 'retired')).toHaveLength(1), { timeout: 15_000 });
    const statement = standIn.records.find((e) => e.type === 'retired')!;
    expect(statement).toMatchObject({ type: 'retired', epoch: 1, custodian: 1, time: NOW });
    expect(verifyRecordSignature(statement, 'retired', (statement as { signature: string }).signature, world.custodians[0]!.publicKey)).toBe(true);
    // Logged and replicated: later passes find the statement made and post no second one.
    await sync(node, standIn);
    expect(standIn.records.filter((e) => e.type === 'retired')).toHaveLength(1);
  });

  it('refuses a retirementCheckMs that is not a positive integer timer', () => {
    for (const retirementCheckMs of [0, -1, 1.5, 2 ** 31]) {
      expect(() => createCustodian({ dataDir: tempDir(), coordinatorUrl: standIn.url, retirementCheckMs }), String(retirementCheckMs)).toThrow(/retirementCheckMs/);
    }
  });
});
