/**
 * A coordinator restart resumes a running DKG session from the log
 * (docs/PROTOCOL.md §3.8, §7.15). Deterministic: custodian 5 is reached
 * through a proxy that withholds its CertEq signature until released, so the
 * coordinator is stopped after the aggregate is logged and before the epoch
 * entry; restarted on the same data directory, it finishes the session with
 * ONE aggregate and ONE epoch entry, and the auditor finds nothing.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DKG_START_HEADER, dkgStartHeader } from '@custodes/shared/records';
import { closeServer, requestJson } from '@custodes/shared/service';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import type { DkgSessionState } from '../../scripts/src/cluster/in-process';
import { checkEntries } from '../../services/auditor/src/index';
import { custodesAsync } from '../cli/run';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { logEntries, startDkgCluster } from './helpers';

const now = () => Math.floor(Date.now() / 1000);

/** Forwards every call to `target`, except that while `hold` is set a `certeq` answer to POST /v1/dkg becomes a 503. */
class WithholdingProxy {
  hold = true;
  withheld = 0;
  server: Server | undefined;
  url = '';

  constructor(readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        fetch(`${this.target}${req.url}`, { method: req.method!, headers, ...(body ? { body } : {}) })
          .then(async (r) => {
            const text = await r.text();
            if (this.hold && req.url === '/v1/dkg' && r.ok && (JSON.parse(text) as { entry?: { step?: string } }).entry?.step === 'certeq') {
              this.withheld++;
              res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'withheld by the test' } }));
              return;
            }
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(text);
          })
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}

const sessionState = (c: RealCluster, session: string) => requestJson<DkgSessionState>(`${c.coordinatorUrl}/v1/dkg/sessions/${session}`);

let cluster: RealCluster;
let proxy: WithholdingProxy;

beforeAll(async () => {
  cluster = await startDkgCluster({ tempPrefix: 'dkg-resume', threshold: 3, total: 5, coordinator: { dkgStepTimeoutMs: 60_000 } });
  proxy = new WithholdingProxy(cluster.nodes[4]!.url);
  await proxy.start();
  // The coordinator reaches custodian 5 (its DKG calls and its cosigning) only through the proxy.
  await cluster.restartCoordinator({ custodianUrls: { 5: proxy.url } });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await proxy?.close();
});

describe('a coordinator restart in the middle of a DKG session', () => {
  it('resumes the session from the log: one aggregate, one epoch entry, no abort, and the auditor is clean', async () => {
    const c = cluster;
    for (const n of c.nodes) await requestJson(`${n.url}/v1/operator/dkg/consent`, { method: 'POST', body: { epoch: 1 }, token: n.init.operatorToken });
    const { session } = await requestJson<{ session: string }>(`${c.coordinatorUrl}/v1/dkg/sessions`, {
      method: 'POST',
      headers: { [DKG_START_HEADER]: dkgStartHeader(1, now(), c.log.secretKey) },
    });
    // Custodian 5 signs its CertEq only on the aggregate in a checkpoint it cosigned: the aggregate is logged.
    await waitFor('custodian 5 signed its CertEq (withheld)', async () => (proxy.withheld > 0 ? true : undefined));
    expect(await sessionState(c, session)).toMatchObject({ status: 'running', step: 'certeq' });

    // (restartCoordinator applies its overrides to the first config: the proxy is named again each time.)
    await c.restartCoordinator({ custodianUrls: { 5: proxy.url } });
    // The restarted coordinator knows the session from the log alone (`custodes coordinator dkg status` shows it), and no stop logged an abort.
    expect(await sessionState(c, session)).toMatchObject({ status: 'running', epoch: 1, session });
    const status = await custodesAsync(['coordinator', 'dkg', 'status', '--coordinator', c.coordinatorUrl, session]);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ status: 'running', epoch: 1, session, step: 'certeq' });
    const before = await waitFor('the aggregate in a published checkpoint', async () => {
      const found = await logEntries(c.coordinatorUrl);
      return found.some((e) => e.step === 'aggregate') ? found : undefined;
    });
    expect(before.some((e) => e.step === 'abort' || e.type === 'epoch')).toBe(false);

    proxy.hold = false;
    const end = await waitFor('the resumed session ends', async () => {
      const s = await sessionState(c, session);
      return s.status === 'running' ? undefined : s;
    }, 60_000);
    expect(end).toMatchObject({ status: 'active', epoch: 1, session });

    const entries = await waitFor('the epoch entry in a published checkpoint', async () => {
      const found = await logEntries(c.coordinatorUrl);
      return found.some((e) => e.type === 'epoch') ? found : undefined;
    });
    const steps = entries.filter((e) => e.type === 'dkg').map((e) => e.step);
    expect(steps).toEqual([...Array(5).fill('commit'), ...Array(5).fill('reveal'), 'aggregate', ...Array(5).fill('certeq')]);
    expect(entries.filter((e) => e.type === 'epoch')).toHaveLength(1);
    expect(entries.find((e) => e.type === 'epoch')).toMatchObject({ epoch: 1, session });
    expect(checkEntries(entries, { now: now() }).findings).toEqual([]);

    // Another restart finds the session ended: `dkg status` shows it active, and nothing more is logged.
    const size = entries.length;
    await c.restartCoordinator({ custodianUrls: { 5: proxy.url } });
    expect(await sessionState(c, session)).toMatchObject({ status: 'active', epoch: 1, session, index: entries.findIndex((e) => e.type === 'epoch') });
    expect((await api<string>(c.coordinatorUrl, 'GET', '/log/v1/checkpoint')).body.split('\n')[1]).toBe(String(size));
  }, 120_000);
});
