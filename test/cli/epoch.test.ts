/**
 * The epoch key from the log (docs/PROTOCOL.md §3.8, §7.16), as a provider
 * runs it against a stand-in coordinator on loopback whose genesis proposes a
 * 2-of-3 epoch made by a real ChillDKG session:
 * - `custodes epoch export` writes public.json from the logged epoch entry
 *   (group key and public shares recomputed from the recovery data);
 * - `custodes seal-records --coordinator` seals under that key: the
 *   custodians' own DKG shares open every envelope;
 * - a log whose epoch entry does not verify, pinned keys that do not match,
 *   an unreachable coordinator, or both key sources at once: one line, exit 1.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineAndOpen, createPartial, parseEnvelope } from '@custodes/shared/crypto';
import { epochFromRecovery } from '@custodes/shared/dkg';
import { openRecords, parsePublicKeySet, SealedRecordSchema } from '@custodes/shared/records';
import { epochEntry, runDkg } from '../auditor/dkgScenario';
import { dkgStandInLog, dkgWorld } from '../web/helpers/dkgLog';
import type { Served } from '../web/helpers/world';
import { custodesAsync } from './run';

const NOW = Math.floor(Date.now() / 1000);
const dir = mkdtempSync(join(tmpdir(), 'custodes-epoch-'));
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('the epoch key from the log', { timeout: 240_000 }, () => {
  const dkg = runDkg(2, 3);
  const world = dkgWorld(dkg, NOW);
  const good = epochEntry(dkg, NOW - 200, { session: '00000000-0000-4000-8000-00000000e907' });
  const keys = epochFromRecovery(dkg.recoveryData);
  let served: Served;
  let broken: Served;

  beforeAll(async () => {
    served = await dkgStandInLog(world, dkg, good, NOW).serve();
    broken = await dkgStandInLog(world, dkg, { ...good, commitments: [good.commitments[0]!, good.commitments[0]!] }, NOW).serve();
  });

  afterAll(async () => {
    await served?.close();
    await broken?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('epoch export writes public.json from the logged recovery data', async () => {
    const out = join(dir, 'public.json');
    const r = await custodesAsync(['epoch', 'export', '--coordinator', served.url, '--out', out]);
    expect(r.stderr).toBe(`epoch 1: ${keys.groupKey} from the DKG activated at log entry 16, written to ${out}\n`);
    expect(r.status).toBe(0);
    expect(read(out)).toEqual({
      format: 'custodes.public.v1',
      epoch: 1,
      threshold: 2,
      total: 3,
      groupKey: keys.groupKey,
      commitments: keys.commitments,
      verificationShares: { 1: keys.publicShares[0], 2: keys.publicShares[1], 3: keys.publicShares[2] },
    });
    // The same file for --epoch 1, on stdout.
    const again = await custodesAsync(['epoch', 'export', '--coordinator', served.url, '--epoch', '1']);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(readFileSync(out, 'utf8'));
  });

  it('seal-records --coordinator seals under the DKG key: two custodians’ own shares open every envelope', async () => {
    const t0 = 1_764_115_200;
    const records = [
      { subject: 'acct:a', category: 'messages', time: t0 + 10, body: 'a-1' },
      { subject: 'acct:b', category: 'messages', time: t0 + 20, body: 'b-1' },
    ];
    writeFileSync(join(dir, 'records.jsonl'), records.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const out = join(dir, 'sealed');
    const r = await custodesAsync(['seal-records', '--coordinator', served.url, '--in', join(dir, 'records.jsonl'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pub = parsePublicKeySet(read(join(dir, 'public.json')));
    const bodies: string[] = [];
    for (const f of readdirSync(join(out, 'envelopes'))) {
      const env = parseEnvelope(read(join(out, 'envelopes', f)));
      const partials = [1, 3].map((i) => createPartial(dkg.secshares[i - 1]!, i, env));
      const { plaintext } = combineAndOpen(env, partials, 2, pub.verificationShares);
      const sealed = read(join(out, 'records', f)).records.map((x: unknown) => SealedRecordSchema.parse(x));
      bodies.push(...openRecords(env.id, plaintext, sealed).map((x) => x.body));
    }
    expect(bodies.sort()).toEqual(['a-1', 'b-1']);
  });

  it('refuses a log whose epoch entry does not verify: the epoch is not active', async () => {
    const r = await custodesAsync(['seal-records', '--coordinator', broken.url, '--in', join(dir, 'records.jsonl'), '--out', join(dir, 'never')]);
    expect(r.stderr).toBe('custodes: epoch 1 is proposed: no valid epoch entry in the verified log activates it\n');
    expect(r.status).toBe(1);
    const e = await custodesAsync(['epoch', 'export', '--coordinator', broken.url, '--out', join(dir, 'never.json')]);
    expect(e.stderr).toBe('custodes: epoch 1 is proposed: no valid epoch entry in the verified log activates it\n');
    expect(e.status).toBe(1);
  });

  it('refuses a genesis that is not the pinned one, an unknown epoch, an unreachable coordinator, and two key sources', async () => {
    const pins = join(dir, 'pins.json');
    writeFileSync(pins, JSON.stringify({ format: 'custodes.pins.v1', logKey: 'ab'.repeat(32), custodianKeys: world.custodians.map((c) => c.publicKey) }));
    const pinned = await custodesAsync(['epoch', 'export', '--coordinator', served.url, '--pin-keys', pins]);
    expect(pinned.status).toBe(1);
    expect(pinned.stderr.split('\n')).toHaveLength(2);
    expect(pinned.stderr).toMatch(/^custodes: the log's checkpoint is not verified|^custodes: the log has no accepted genesis registry/);
    const unknown = await custodesAsync(['epoch', 'export', '--coordinator', served.url, '--epoch', '7']);
    expect(unknown.stderr).toBe('custodes: epoch 7 is not in the registry\n');
    expect(unknown.status).toBe(1);
    const down = await custodesAsync(['epoch', 'export', '--coordinator', 'http://127.0.0.1:9']);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^custodes: http:\/\/127\.0\.0\.1:9: .+\n$/);
    const both = await custodesAsync(['seal-records', '--coordinator', served.url, '--public', join(dir, 'public.json'), '--out', join(dir, 'never')]);
    expect(both.stderr).toBe('custodes: give exactly one of --coordinator <url> and --public <file>\n');
    expect(both.status).toBe(1);
  });
});
