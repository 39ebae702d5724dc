/**
 * The whole path of docs/PROTOCOL.md §9.9 with real parts: the coordinator
 * writes a log, `custodes log mirror` copies it, Debian's nginx serves the
 * directory as plain files, the coordinator is stopped, and `custodes audit
 * verify --tiles` verifies the whole log from nginx alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approvedWarrant, finished, logEntries, seal, startCluster, subjectLabel, submitRequest, type Cluster } from '../coordinator/helpers/cluster';
import { custodesAsync } from '../cli/run';
import { NGINX_SKIP_REASON, SKIP_NGINX, startNginx, type Nginx } from './nginx';

let cluster: Cluster | undefined;
let nginx: Nginx | undefined;
let out: string;
let logged = 0;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'custodes-mirror-nginx-'));
  if (SKIP_NGINX) return;
  cluster = await startCluster();
  const { warrant } = await approvedWarrant(cluster, 'a');
  const requestId = await submitRequest(cluster, 'a', warrant.id, [seal(cluster, 'one', subjectLabel('alice@example.com'))]);
  await finished(cluster, 'a', requestId);
  logged = (await logEntries(cluster)).length;
}, 120_000);

afterAll(async () => {
  await nginx?.close();
  await cluster?.close();
  rmSync(out, { recursive: true, force: true });
});

describe.skipIf(SKIP_NGINX)(`a mirror served by nginx${NGINX_SKIP_REASON}`, () => {
  test('log mirror copies the coordinator\'s log in one round, one line on stderr', async () => {
    const r = await custodesAsync(['log', 'mirror', '--coordinator', cluster!.url, '--out', out]);
    expect(r.stderr).toMatch(/^mirror: size \d+ \(\+\d+ entries\), checkpoint written \(cosigned by [3-5]\)\n$/);
    expect(r.status).toBe(0);
    const size = Number(/size (\d+)/.exec(r.stderr)![1]);
    expect(size).toBeGreaterThan(3);
    expect(size).toBeLessThanOrEqual(logged);
    const again = await custodesAsync(['log', 'mirror', '--coordinator', cluster!.url, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^mirror: size \d+( \(.*\), checkpoint written \(cosigned by [3-5]\)|, up to date)\n$/);
  }, 60_000);

  test('audit verify --tiles verifies the whole log through nginx with the coordinator stopped', async () => {
    const size = Number(/^mirror: size (\d+)/m.exec((await custodesAsync(['log', 'mirror', '--coordinator', cluster!.url, '--out', out])).stderr)![1]);
    const url = cluster!.url;
    await cluster!.close();
    cluster = undefined;
    await expect(fetch(`${url}/log/v1/checkpoint`)).rejects.toThrow();
    nginx = await startNginx(out);
    const checkpoint = await fetch(`${nginx.url}/checkpoint`);
    expect(checkpoint.headers.get('content-type')).toMatch(/^text\/plain/);
    const r = await custodesAsync(['audit', 'verify', '--tiles', nginx.url]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`audit: ${size} entries verified, checkpoint of size ${size} accepted (cosigned by ${/cosigned by (\d)/.exec(r.stderr)?.[1]}), 0 finding(s)\n`);
    expect(r.status).toBe(0);
  }, 60_000);

  test('bad arguments and an unreachable source are one line and a non-zero exit', async () => {
    const both = await custodesAsync(['log', 'mirror', '--coordinator', 'http://127.0.0.1:9', '--tiles', 'http://127.0.0.1:9', '--out', out]);
    expect(both.stderr).toBe('custodes: give exactly one of --coordinator <url> and --tiles <url>\n');
    expect(both.status).not.toBe(0);
    const down = await custodesAsync(['log', 'mirror', '--tiles', 'http://127.0.0.1:9', '--out', out]);
    expect(down.stderr).toMatch(/^custodes: mirror: GET http:\/\/127\.0\.0\.1:9\/checkpoint: .+\n$/);
    expect(down.status).not.toBe(0);
    const audit = await custodesAsync(['audit', 'verify', '--log', 'http://127.0.0.1:9', '--tiles', 'http://127.0.0.1:9']);
    expect(audit.stderr).toBe('custodes: audit: give exactly one of --log <url> and --tiles <url>\n');
    expect(audit.status).toBe(2);
  }, 60_000);
});
