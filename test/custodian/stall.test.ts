/**
 * A large release does not hold the node's event loop (services/custodian/src/slices.ts):
 * /health calls made during it are answered before it completes, and the
 * longest event-loop stall is a small fraction of the release. No absolute
 * time is asserted: the order of answers, and one ratio measured in this test.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWorld, call, inScope, removeTempDirs } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';

const N = 600;
let s: Scenario | undefined;

afterAll(async () => {
  await s?.close();
  removeTempDirs();
});

describe('a release of many envelopes', { timeout: 300_000 }, () => {
  it('lets /health answer while it runs, and never stalls the event loop for more than a fraction of it', async () => {
    s = await scenario(buildWorld(), { labels: Array.from({ length: N }, (_, k) => inScope(k)), warrant: { maxEnvelopes: 10_000 } });
    const node = s.node;
    const events: string[] = [];
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const t0 = performance.now();
    let done = false;
    const release = askPartials(node, s.request.requestId, s.envelopes).then((r) => {
      done = true;
      events.push('release');
      return r;
    });
    // One /health at a time, each sent while the release is still running.
    while (!done) {
      const h = await call(`${node.url}/health`);
      expect(h.status).toBe(200);
      events.push('health');
    }
    const r = await release;
    const total = performance.now() - t0;
    delay.disable();
    expect(r.status, r.text).toBe(200);
    expect(r.json.partials).toHaveLength(N);
    // Ordering: health answers arrived before the release's answer, several of them.
    const before = events.indexOf('release');
    expect(before).toBeGreaterThanOrEqual(5);
    // The longest stall (ns → ms) is far below the whole release.
    process.stderr.write(`stall: longest ${(delay.max / 1e6).toFixed(1)} ms of a ${total.toFixed(0)} ms release, ${before} health answers before it\n`);
    expect(delay.max / 1e6).toBeLessThan(total / 5);
  });
});
