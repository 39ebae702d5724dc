/**
 * `custodes coordinator reshare propose`, `custodes custodian reshare
 * consent|status` and the update's path through `registry sign|submit` and
 * `coordinator dkg start` (docs/PROTOCOL.md §3.9), against a real 3-of-5 DKG
 * cluster: epoch 1 is reshared into epoch 2 (3-of-4 without custodian 2),
 * driven only from the CLI. Bad input: one line on stderr, non-zero exit.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestJson } from '@custodes/shared/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { waitFor } from '../coordinator/helpers/cluster';
import { logEntries, startDkgCluster } from '../dkg-service/helpers';
import { custodes, custodesAsync } from './run';

let cluster: RealCluster;
const dir = mkdtempSync(join(tmpdir(), 'custodes-cli-reshare-'));

beforeAll(async () => {
  cluster = await startDkgCluster({ tempPrefix: 'cli-reshare', threshold: 3, total: 5 });
  expect(await runDkg(cluster)).toMatchObject({ status: 'active', epoch: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const tokenFile = (i: number) => {
  const f = join(dir, `op-${i}.token`);
  writeFileSync(f, cluster.nodes[i - 1]!.init.operatorToken + '\n', { mode: 0o600 });
  return f;
};
const keyFile = (i: number) => {
  const f = join(dir, `custodian-${i}.key`);
  writeFileSync(f, JSON.stringify({ format: 'custodes.key.v1', ...cluster.custodianKeys[i - 1]! }), { mode: 0o600 });
  return f;
};
const oneLine = (r: { status: number | null; stderr: string }) => {
  expect(r.status).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
};

describe('custodes … reshare', () => {
  it('--help of each command says what it does', () => {
    const help = (args: string[]) => {
      const r = custodes([...args, '--help']);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(help(['custodian', 'reshare'])).toMatch(/key moves to a new committee/);
    expect(help(['custodian', 'reshare', 'consent'])).toMatch(/consent[\s\S]*dealer[\s\S]*receiver[\s\S]*--epoch/);
    expect(help(['custodian', 'reshare', 'status'])).toMatch(/old share is destroyed and the new one held/);
    expect(help(['coordinator', 'reshare', 'propose'])).toMatch(/--from[\s\S]*--remove[\s\S]*--add[\s\S]*--threshold[\s\S]*--out/);
  });

  it('bad input is one line on stderr and a non-zero exit', async () => {
    const url = cluster.coordinatorUrl;
    oneLine(await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '7', '--out', join(dir, 'x.json')]));
    oneLine(await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--remove', '9', '--out', join(dir, 'x.json')]));
    oneLine(custodes(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--remove', 'two', '--out', join(dir, 'x.json')]));
    writeFileSync(join(dir, 'bad-custodian.json'), JSON.stringify({ index: 6, name: 'x' }));
    oneLine(await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--add', join(dir, 'bad-custodian.json'), '--out', join(dir, 'x.json')]));
    oneLine(custodes(['custodian', 'reshare', 'consent', '--node', cluster.nodes[0]!.url, '--token-file', tokenFile(1), '--epoch', 'x']));
    oneLine(await custodesAsync(['custodian', 'reshare', 'status', '--node', cluster.nodes[0]!.url, '--token', 'not-a-token']));
  });

  it('propose, sign by t, submit, consent on every node, dkg start: epoch 2 active with the same key; status shows roles and destroyed shares', async () => {
    const url = cluster.coordinatorUrl;
    const groupKey = cluster.groupKey;
    const proposal = join(dir, 'reshare.json');
    const p = await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--remove', '2', '--out', proposal]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/epoch 2 \(3-of-4: 1, 3, 4, 5\) reshares epoch 1 \(3-of-5\)/);
    expect(p.stdout).toMatch(/3 custodians of epoch 1 \(1, 2, 3, 4, 5\)/);
    expect(JSON.parse(readFileSync(proposal, 'utf8')).epochs[1]).toMatchObject({ epoch: 2, threshold: 3, total: 4, reshareOf: 1 });

    // Custodian 2 leaves but is a reviewer of epoch 1: it may sign.
    for (const i of [2, 3, 4]) {
      const s = custodes(['registry', 'sign', '--key', keyFile(i), '--index', String(i), '--in', proposal]);
      expect(s.status, s.stderr).toBe(0);
      expect(s.stdout).toContain(`signed as custodian ${i}`);
    }
    const sub = await custodesAsync(['registry', 'submit', '--coordinator', url, '--in', proposal]);
    expect(sub.status, sub.stderr).toBe(0);
    const size = (await requestJson<{ index: number }>(`${url}/v1/registry`)).index + 1;
    await waitFor('the update replicated', async () => {
      for (const n of cluster.nodes) if ((await requestJson<{ replicaSize: number }>(`${n.url}/v1/operator/witness`, { token: n.init.operatorToken })).replicaSize < size) return undefined;
      return true;
    });

    const before = await custodesAsync(['custodian', 'reshare', 'status', '--node', cluster.nodes[1]!.url, '--token-file', tokenFile(2)]);
    expect(before.status, before.stderr).toBe(0);
    expect(before.stdout.trim()).toBe('epoch 1 → 2: dealer; 3-of-5 → 3-of-4; proposed; consent not given; not started; old share held');

    for (let i = 1; i <= 5; i++) {
      const r = await custodesAsync(['custodian', 'reshare', 'consent', '--node', cluster.nodes[i - 1]!.url, '--token-file', tokenFile(i), '--epoch', '2']);
      expect(r.status, r.stderr).toBe(0);
    }
    const logKey = join(dir, 'log.key');
    writeFileSync(logKey, JSON.stringify({ format: 'custodes.key.v1', ...cluster.log }), { mode: 0o600 });
    const run = await custodesAsync(['coordinator', 'dkg', 'start', '--coordinator', url, '--log-key', logKey, '--epoch', '2']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/started for epoch 2 \(reshare of epoch 1\)/);
    expect(run.stdout).toContain(`epoch 2 active: the key of epoch 1 moved to it, group key ${groupKey} unchanged`);

    // Every dealer's statement is logged after the new epoch entry.
    const entries = await waitFor('five share-destroyed statements', async () => {
      const found = await logEntries(url);
      return found.filter((e) => e.type === 'share-destroyed').length === 5 ? found : undefined;
    }, 30_000);
    expect(entries.filter((e) => e.type === 'share-destroyed').map((e) => e.custodian).sort()).toEqual([1, 2, 3, 4, 5]);
    // Custodian 2 left: it destroyed its share, but as a witness of no current epoch its replica may stop before its statement.
    const status = (i: number) => custodesAsync(['custodian', 'reshare', 'status', '--node', cluster.nodes[i - 1]!.url, '--token-file', tokenFile(i)]);
    const leaver = await status(2);
    expect(leaver.stdout.trim()).toMatch(/^epoch 1 → 2: dealer; 3-of-5 → 3-of-4; active; consent given by operator; session active; old share destroyed \((logged|statement signed, not yet in this node's replica)\)$/);
    const stayer = await waitFor('custodian 3 shows its destruction logged', async () => {
      const r = await status(3);
      return r.stdout.includes('(logged)') ? r : undefined;
    }, 30_000);
    expect(stayer.stdout.trim()).toMatch(/^epoch 1 → 2: dealer and receiver; .*old share destroyed \(logged\); new share held$/);
    const asJson = await custodesAsync(['custodian', 'reshare', 'status', '--node', cluster.nodes[2]!.url, '--token-file', tokenFile(3), '--json']);
    expect(JSON.parse(asJson.stdout).epochs).toMatchObject([{ epoch: 2, reshare: { from: 1, roles: ['dealer', 'receiver'], oldShareHeld: false, oldShareDestroyed: true, destructionLogged: true }, shareHeld: true }]);

    // Epoch 1's key has moved: proposing to reshare it again is refused.
    oneLine(await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--out', join(dir, 'again.json')]));
  }, 120_000);
});
