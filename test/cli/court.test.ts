/**
 * `custodes court revoke --custodian URL [--custodian URL…]` (docs/PROTOCOL.md §7.14):
 * the court's revocation posted to custodians directly, in force
 * at each at once; every target is tried even when one fails.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildWorld, call, keyFile, removeTempDirs, startNode, sync, tempDir } from '../custodian/fixture';
import type { Node, World } from '../custodian/fixture';
import { askPartials, scenario } from '../custodian/scenario';
import type { Scenario } from '../custodian/scenario';

const BIN = fileURLToPath(new URL('../../scripts/bin/custodes.js', import.meta.url));

/** The CLI as a child process, asynchronously: the nodes it calls run in this process. */
function custodes(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let world: World;
let s: Scenario;
let other: Node;
let courtKey: string;

beforeAll(async () => {
  world = buildWorld();
  s = await scenario(world);
  other = await startNode(world, s.standIn, 2);
  await sync(other, s.standIn);
  expect((await call(`${other.url}/v1/warrants`, { json: { warrant: s.warrant, salt: s.salt } })).status).toBe(202);
  expect((await call(`${other.url}/v1/operator/warrants/${s.warrant.id}/approve`, { json: {}, token: other.token })).status).toBe(200);
  courtKey = join(tempDir(), 'court.key');
  writeFileSync(courtKey, JSON.stringify(keyFile(world.court)));
}, 60_000);

afterAll(async () => {
  await other.close();
  await s.close();
  removeTempDirs();
});

describe('custodes court revoke --custodian', () => {
  it('needs a target', async () => {
    const r = await custodes(['court', 'revoke', '--key', courtKey, '--warrant-id', s.warrant.id, '--reason', 'withdrawn']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe('custodes: give --coordinator, --custodian (repeatable), or both');
  });

  it('posts one signed revocation to every custodian: each refuses at once; an unreachable one is reported after the others are served', async () => {
    const unreachable = 'http://127.0.0.1:9';
    const r = await custodes([
      'court', 'revoke', '--key', courtKey, '--warrant-id', s.warrant.id, '--reason', 'withdrawn',
      '--custodian', unreachable, '--custodian', s.node.url, '--custodian', other.url,
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`revoked at custodian ${s.node.url} (it forwards the revocation to the log)`);
    expect(r.stdout).toContain(`revoked at custodian ${other.url}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^custodes: revocation not accepted by http:\/\/127\.0\.0\.1:9: cannot reach/);
    for (const node of [s.node, other]) {
      const refused = await askPartials(node, s.request.requestId, s.envelopes);
      expect(refused.json.error?.code, refused.text).toBe('WARRANT_REVOKED');
    }
  });

  it('--coordinator alone still logs it there, as before', async () => {
    // Both custodians forward what they took (their outboxes post at once); then only the CLI's post follows.
    await vi.waitFor(() => expect(s.standIn.records.filter((e) => e.type === 'revocation')).toHaveLength(2), { timeout: 5000, interval: 50 });
    const before = s.standIn.records.length;
    const r = await custodes(['court', 'revoke', '--key', courtKey, '--warrant-id', s.warrant.id, '--reason', 'withdrawn', '--coordinator', s.standIn.url]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^revocation logged at index \d+\n$/);
    expect(s.standIn.records.slice(before)).toMatchObject([{ type: 'revocation', warrantId: s.warrant.id, by: 'court', signer: world.court.publicKey }]);
  });
});
