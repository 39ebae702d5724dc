/**
 * `custodes custodian dkg …` and `custodes coordinator dkg …` (docs/PROTOCOL.md
 * §3.8) against a real 3-of-5 DKG cluster: host key files, consent, start to
 * an active epoch with public.json exported from the log, recovery, and the
 * registry update that restarts without a custodian. Bad input: one line on
 * stderr and a non-zero exit.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHostKeyFile } from '../../services/custodian/src/init';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { custodes, custodesAsync } from './run';

let cluster: RealCluster;
const dir = mkdtempSync(join(tmpdir(), 'custodes-cli-dkg-'));

beforeAll(async () => {
  cluster = await startDkgCluster({ tempPrefix: 'cli-dkg', threshold: 3, total: 5 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const tokenFile = (i: number) => {
  const f = join(dir, `op-${i}.token`);
  writeFileSync(f, cluster.nodes[i - 1]!.init.operatorToken + '\n', { mode: 0o600 });
  return f;
};

describe('custodes … dkg', () => {
  it('custodian dkg hostkey --out writes a valid host key file, mode 0600', () => {
    const out = join(dir, 'host.key');
    const r = custodes(['custodian', 'dkg', 'hostkey', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const file = parseHostKeyFile(JSON.parse(readFileSync(out, 'utf8')));
    expect(r.stdout).toContain(file.hostKey);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('coordinator dkg exclude writes the restart update; an impossible one is one line and exit 1', async () => {
    const out = join(dir, 'next.json');
    const ok = await custodesAsync(['coordinator', 'dkg', 'exclude', '--coordinator', cluster.coordinatorUrl, '--epoch', '1', '--exclude', '5', '--out', out]);
    expect(ok.status, ok.stderr).toBe(0);
    const next = JSON.parse(readFileSync(out, 'utf8'));
    expect(next.sequence).toBe(1);
    expect(next.epochs[1]).toMatchObject({ epoch: 2, threshold: 3, total: 4 });
    expect(next.epochs[1].custodians.map((c: { index: number }) => c.index)).toEqual([1, 2, 3, 4]);
    // Any custodian may go (shares sit at ranks, §3.1): excluding 2 leaves {1, 3, 4, 5}.
    const gap = await custodesAsync(['coordinator', 'dkg', 'exclude', '--coordinator', cluster.coordinatorUrl, '--epoch', '1', '--exclude', '2', '--out', out]);
    expect(gap.status, gap.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).epochs[1].custodians.map((c: { index: number }) => c.index)).toEqual([1, 3, 4, 5]);
    const impossible = await custodesAsync(['coordinator', 'dkg', 'exclude', '--coordinator', cluster.coordinatorUrl, '--epoch', '1', '--exclude', '1,2,3,4,5']);
    expect(impossible.status).toBe(1);
    expect(impossible.stderr.trim().split('\n')).toHaveLength(1);
    expect(impossible.stderr).toMatch(/cannot be proposed/);
    const junk = custodes(['coordinator', 'dkg', 'exclude', '--coordinator', cluster.coordinatorUrl, '--epoch', '1', '--exclude', 'x']);
    expect(junk.status).not.toBe(0);
    expect(junk.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('consent on every node, then coordinator dkg start runs the session to an active epoch and exports public.json; recover is idempotent', async () => {
    const before = await custodesAsync(['coordinator', 'dkg', 'start', '--coordinator', cluster.coordinatorUrl, '--log-key', join(dir, 'missing.key'), '--epoch', '1']);
    expect(before.status).not.toBe(0);
    expect(before.stderr.trim().split('\n')).toHaveLength(1);
    for (let i = 1; i <= 5; i++) {
      const r = await custodesAsync(['custodian', 'dkg', 'consent', '--node', cluster.nodes[i - 1]!.url, '--token-file', tokenFile(i), '--epoch', '1']);
      expect(r.status, r.stderr).toBe(0);
    }
    const logKey = join(dir, 'log.key');
    writeFileSync(logKey, JSON.stringify({ format: 'custodes.key.v1', ...cluster.log }), { mode: 0o600 });
    const pub = join(dir, 'public.json');
    const r = await custodesAsync(['coordinator', 'dkg', 'start', '--coordinator', cluster.coordinatorUrl, '--log-key', logKey, '--epoch', '1', '--public-out', pub]);
    expect(r.status, r.stderr).toBe(0);
    const groupKey = /group key ([0-9a-f]{66})/.exec(r.stdout)![1];
    expect(JSON.parse(readFileSync(pub, 'utf8'))).toMatchObject({ format: 'custodes.public.v1', epoch: 1, threshold: 3, total: 5, groupKey });
    const rec = await custodesAsync(['custodian', 'dkg', 'recover', '--node', cluster.nodes[0]!.url, '--token-file', tokenFile(1), '--epoch', '1']);
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout).toContain(groupKey!);
    const status = await custodesAsync(['custodian', 'dkg', 'status', '--node', cluster.nodes[0]!.url, '--token-file', tokenFile(1)]);
    expect(status.stdout).toContain(cluster.nodes[0]!.init.hostKey!);
  }, 60_000);
});
