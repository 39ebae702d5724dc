/**
 * `audit watch` webhooks (docs/PROTOCOL.md §9.7): a finding becomes a signed
 * `audit.finding` event; while the receiver answers 500 and then refuses
 * connections the event waits in the state across runs, and once the
 * receiver recovers it arrives, once per id; a finding already reported is
 * not sent again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalBytes } from '@custodes/shared/records';
import { MemoryTree } from '@custodes/shared/log';
import { watchLog } from '@custodes/auditor';
import { cleanScenario, makeKeys, ORIGIN } from './scenario';
import type { CleanScenario } from './scenario';
import { signedNote, TestLogServer } from './server';
import { WebhookReceiver } from '../service/webhookReceiver';

const keys = makeKeys();
const SECRET = randomBytes(32).toString('hex');
let server: TestLogServer;
let clean: CleanScenario;
let receiver: WebhookReceiver;
const stateDir = mkdtempSync(join(tmpdir(), 'audit-webhooks-'));

beforeAll(async () => {
  clean = cleanScenario(keys);
  server = await new TestLogServer(keys).start();
  receiver = new WebhookReceiver(SECRET);
  await receiver.open();
});

afterAll(async () => {
  await server.close();
  await receiver.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('audit watch --webhook', () => {
  test('a SPLIT_VIEW finding arrives once, signed, after 500s, refused connections and a restart of the watch', async () => {
    const leaves = clean.log.leaves();
    server.publish(leaves);
    // Custodian 3 cosigned a forked history of the same size.
    const forked = [...leaves.slice(0, -1), canonicalBytes({ ...clean.log.entries.at(-1)!, reason: 'forked' })];
    const tree = new MemoryTree();
    for (const l of forked) tree.append(l);
    server.witness.clear();
    server.witness.set(3, signedNote(keys, { origin: ORIGIN, size: tree.size, root: tree.root() }, [3]));
    const run = () =>
      watchLog({
        logUrl: server.url,
        custodianUrls: [server.custodianUrl(3)],
        stateDir,
        once: true,
        now: () => clean.now,
        webhook: { url: receiver.url, secret: SECRET, retryBaseMs: 10, retryMaxMs: 50 },
      });

    receiver.mode = 'fail';
    const [first] = await run();
    expect(first!.findings.map((f) => f.code)).toEqual(['SPLIT_VIEW']);
    expect(receiver.attempts.filter((a) => a.status === 500).length).toBeGreaterThanOrEqual(1);
    expect(receiver.events.size).toBe(0);

    await receiver.close(); // connections refused
    const [second] = await run(); // the finding was reported already: not a new event
    expect(second!.findings).toEqual([]);

    receiver.mode = 'ok';
    await receiver.open();
    await run(); // the next run sends what waited in the state
    const events = [...receiver.events.values()];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'audit.finding', source: { service: 'auditor' }, data: { code: 'SPLIT_VIEW', index: leaves.length } });
    expect(receiver.attempts.filter((a) => a.status === 500).every((a) => a.id === events[0]!.id)).toBe(true);
    expect(receiver.duplicates).toBe(0);
    expect(receiver.badSignatures).toBe(0);
  });
});
