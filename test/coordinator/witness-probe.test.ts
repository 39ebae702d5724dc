/**
 * A witness cut off, then back (docs/PROTOCOL.md §7.8, Cosigning): while it
 * cannot be reached it is left alone for a pause that doubles per failure,
 * and probed meanwhile; the first answer ends the pause, so it cosigns again
 * as soon as the link heals, not when the pause would have ended. The pause
 * here is 10 minutes, far longer than the test: only the probe can bring the
 * witness back in time (BENCHMARKS.md, Partition).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, approvedWarrant, finished, seal, startCluster, subjectLabel, submitRequest, waitFor } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a witness that could not be reached', () => {
  it('is probed during its pause and cosigns as soon as it answers again', async () => {
    cluster = await startCluster({ coordinator: { witnessRetryBaseMs: 600_000, cosignDelayMs: 50 } });
    const c = cluster;
    const w = await approvedWarrant(c, 'a');
    const cut = c.custodians[4]!;
    const port = Number(new URL(cut.url).port);
    await cut.close();
    // A request served by custodians 1–3; its entries are cosigned in the background, where custodian 5 fails.
    const requestId = await submitRequest(c, 'a', w.warrant.id, [seal(c, 'while cut', subjectLabel('alice@example.com'))]);
    expect((await finished(c, 'a', requestId)).state).toBe('complete');
    await waitFor('custodian 5 found unreachable', () =>
      c.logLines.some((l) => l.includes('"custodian":5') && l.includes('witness unreachable') && l.includes('"retryInMs":600000')) ? true : undefined,
    );
    const behind = cut.size;
    const size = (await api<{ size: number }>(c.url, 'GET', '/health')).body.size;
    expect(behind).toBeLessThan(size);
    await cut.start(port);
    // Nothing new is appended: only the probe can end the 10-minute pause.
    await waitFor('custodian 5 caught up', () => (cut.size >= size ? true : undefined));
    expect(c.logLines.some((l) => l.includes('"custodian":5') && l.includes('witness reachable again'))).toBe(true);
  }, 40_000);
});
