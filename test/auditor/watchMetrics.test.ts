/**
 * A long-running `audit watch` exposes its progress as Prometheus metrics
 * (docs/PROTOCOL.md §9.5): rounds, the last round's time, the verified size,
 * findings by code and warnings, each watcher in its own registry.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalBytes } from '@custodes/shared/records';
import { MemoryTree } from '@custodes/shared/log';
import { closeServer, serveMetrics } from '@custodes/shared/service';
import { watchLog, watchMetrics } from '@custodes/auditor';
import { cleanScenario, makeKeys, ORIGIN } from './scenario';
import { signedNote, TestLogServer } from './server';

const keys = makeKeys();
let server: TestLogServer;

beforeAll(async () => {
  server = await new TestLogServer(keys).start();
});
afterAll(async () => {
  await server.close();
});

function treeOf(list: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree();
  for (const leaf of list) tree.append(leaf);
  return tree;
}

describe('audit watch metrics', () => {
  test('rounds, verified size, findings by code and warnings, served at GET /metrics', async () => {
    const clean = cleanScenario(keys);
    const leaves = clean.log.leaves();
    server.publish(leaves);
    server.witness.clear();
    // Custodian 3 cosigned a fork of the same size: one SPLIT_VIEW. Custodian 9 serves nothing: a warning.
    const last = clean.log.entries.at(-1)!;
    const forked = treeOf([...leaves.slice(0, -1), canonicalBytes({ ...last, reason: 'forked' })]);
    server.witness.set(3, signedNote(keys, { origin: ORIGIN, size: forked.size, root: forked.root() }, [3]));
    const metrics = watchMetrics(() => 1_800_000_000_000);
    const other = watchMetrics();
    const { server: http, url } = await serveMetrics(metrics.registry, { port: 0 });
    try {
      await watchLog(metrics.observe({ logUrl: server.url, custodianUrls: [server.custodianUrl(3), 'http://127.0.0.1:9'], once: true, now: () => clean.now }));
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^custodes_audit_rounds_total\{service="auditor"\} 1$/m);
      expect(text).toMatch(/^custodes_audit_last_round_timestamp_seconds\{service="auditor"\} 1800000000$/m);
      expect(text).toContain(`custodes_audit_verified_size{service="auditor"} ${leaves.length}\n`);
      expect(text).toMatch(/^custodes_audit_findings_total\{code="SPLIT_VIEW",service="auditor"\} 1$/m);
      expect(text).toMatch(/^custodes_audit_warnings_total\{service="auditor"\} 1$/m);
      // Another watcher's registry saw none of it.
      expect(await other.registry.metrics()).toMatch(/^custodes_audit_rounds_total\{service="auditor"\} 0$/m);
    } finally {
      await closeServer(http);
    }
  });
});
