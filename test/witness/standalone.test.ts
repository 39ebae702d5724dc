/**
 * The standalone witness (`custodes witness`, scripts/src/witness/service.ts;
 * docs/PROTOCOL.md §4.3, §7.10): the C2SP tlog-witness add-checkpoint API on
 * the shared witness steps, each refusal with its C2SP status; a split view
 * (two checkpoints of one size) is refused 409; its cosignature counts toward
 * an auditor's external-witness policy, and an auditor comparing its view
 * with the log's flags the split view (SPLIT_VIEW).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@custodes/shared/crypto';
import { formatAddCheckpointRequest, MemoryTree, parseSignedNote, signCheckpoint, verifyCosignature, verifyLogSignature } from '@custodes/shared/log';
import { canonicalBytes } from '@custodes/shared/records';
import { AuditorState, verifyLog, watchRound } from '@custodes/auditor';
import type { Finding } from '@custodes/auditor';
import { createStandaloneWitness, type StandaloneWitness } from '../../scripts/src/witness/service';
import { custodes } from '../cli/run';
import { removeTempDirs, tempDir } from '../custodian/fixture';
import { cleanScenario, EXTERNAL_WITNESS, makeKeys, ORIGIN } from '../auditor/scenario';
import { TestLogServer } from '../auditor/server';

const keys = makeKeys();
const codes = (findings: readonly Finding[]) => findings.map((f) => `${f.index} ${f.code}`);

function treeOf(leaves: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree();
  for (const leaf of leaves) tree.append(leaf);
  return tree;
}

/** The log's signed note of `tree` at `size` (no cosignatures: what a witness is sent). */
const logNote = (tree: MemoryTree, size = tree.size, secret = keys.log.noteSecret) => signCheckpoint({ origin: ORIGIN, size, root: tree.root(size) }, secret);

async function post(w: StandaloneWitness, body: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const leaves = Array.from({ length: 9 }, (_, i) => canonicalBytes({ n: i }));
const tree = treeOf(leaves);
/** Same size, another last leaf: a fork the log could show someone else. */
const fork = treeOf([...leaves.slice(0, -1), canonicalBytes({ n: 'forked' })]);

let dataDir: string;
let witness: StandaloneWitness;
const start = async () => {
  witness = createStandaloneWitness({ dataDir, name: EXTERNAL_WITNESS, secretKey: bytesToHex(keys.external.noteSecret), logs: [{ origin: ORIGIN, key: keys.log.notePublic }] });
  await witness.start();
};

beforeAll(async () => {
  dataDir = join(tempDir(), 'witness');
  await start();
});
afterAll(async () => {
  await witness.close();
  removeTempDirs();
});

describe('C2SP tlog-witness add-checkpoint', () => {
  const witnessKey = { name: EXTERNAL_WITNESS, publicKey: hexToBytes(keys.external.notePublic, 32) };

  it('refuses junk (400), an unknown origin (404) and a note not signed by the log key (403), storing nothing', async () => {
    expect((await post(witness, 'not a request')).status).toBe(400);
    const other = signCheckpoint({ origin: 'other.example/log', size: 3, root: tree.root(3) }, keys.log.noteSecret);
    expect((await post(witness, formatAddCheckpointRequest({ oldSize: 0, proof: [], note: other }))).status).toBe(404);
    const forged = logNote(tree, 3, keys.custodians[0]!.noteSecret);
    expect((await post(witness, formatAddCheckpointRequest({ oldSize: 0, proof: [], note: forged }))).status).toBe(403);
    expect((await fetch(`${witness.url}/witness/v1/checkpoint`)).status).toBe(404);
  });

  it('cosigns from size 0, then moves forward only along a consistency proof', async () => {
    const first = await post(witness, formatAddCheckpointRequest({ oldSize: 0, proof: [], note: logNote(tree, 3) }));
    expect(first.status, first.text).toBe(200);
    expect(verifyCosignature(parseSignedNote(logNote(tree, 3) + first.text), witnessKey)).toBe(true);
    // A bad proof from its size is 422; old > size is 400.
    const bad = await post(witness, formatAddCheckpointRequest({ oldSize: 3, proof: fork.consistencyProof(3, 9), note: logNote(tree, 9) }));
    expect(bad.status).toBe(422);
    expect((await post(witness, formatAddCheckpointRequest({ oldSize: 5, proof: [], note: logNote(tree, 3) }))).status).toBe(400);
    const next = await post(witness, formatAddCheckpointRequest({ oldSize: 3, proof: tree.consistencyProof(3, 9), note: logNote(tree, 9) }));
    expect(next.status, next.text).toBe(200);
    const served = parseSignedNote(await (await fetch(`${witness.url}/witness/v1/checkpoint`)).text());
    expect(served.text.split('\n')[1]).toBe('9');
    expect(verifyLogSignature(served, { name: ORIGIN, publicKey: hexToBytes(keys.log.notePublic, 32) })).toBe(true);
    expect(verifyCosignature(served, witnessKey)).toBe(true);
  });

  it('refuses a split view: another root at the size it cosigned is 409 with its size as text/x.tlog.size, and so is a stale old size', async () => {
    const split = await post(witness, formatAddCheckpointRequest({ oldSize: 9, proof: [], note: logNote(fork) }));
    expect(split.status).toBe(409);
    expect(split.type).toMatch(/^text\/x\.tlog\.size/);
    expect(split.text).toBe('9\n');
    const stale = await post(witness, formatAddCheckpointRequest({ oldSize: 3, proof: fork.consistencyProof(3, 9), note: logNote(fork) }));
    expect([stale.status, stale.text]).toEqual([409, '9\n']);
  });

  it('keeps its state across a restart', async () => {
    await witness.close();
    await start();
    const again = await post(witness, formatAddCheckpointRequest({ oldSize: 0, proof: [], note: logNote(tree, 9) }));
    expect([again.status, again.text]).toEqual([409, '9\n']);
    expect(statSync(join(dataDir, 'witness.db')).mode & 0o077).toBe(0);
  });
});

describe('auditors and the external witness', () => {
  let server: TestLogServer;
  const scenario = cleanScenario(keys);
  const auditLeaves = scenario.log.leaves();
  let external: StandaloneWitness;

  beforeAll(async () => {
    server = await new TestLogServer(keys).start();
    external = createStandaloneWitness({ dataDir: join(tempDir(), 'w2'), name: EXTERNAL_WITNESS, secretKey: bytesToHex(keys.external.noteSecret), logs: [{ origin: ORIGIN, key: keys.log.notePublic }] });
    await external.start();
  });
  afterAll(async () => {
    await external.close();
    await server.close();
  });

  it('its cosignature counts toward --min-external-cosignatures; without it the checkpoint is INSUFFICIENT_EXTERNAL_COSIGNATURES and not accepted', async () => {
    const published = server.publish(auditLeaves);
    const logOnly = logNote(published.tree);
    const r = await post(external, formatAddCheckpointRequest({ oldSize: 0, proof: [], note: logOnly }));
    expect(r.status, r.text).toBe(200);
    // Without the external line, the default policy (t custodians, 0 external) accepts; asking for one does not.
    expect((await verifyLog({ logUrl: server.url, now: scenario.now })).findings).toEqual([]);
    const without = await verifyLog({ logUrl: server.url, now: scenario.now, policy: { external: 1 } });
    expect(codes(without.findings)).toEqual([`${auditLeaves.length} INSUFFICIENT_EXTERNAL_COSIGNATURES`]);
    expect(without.checkpoint?.accepted).toBe(false);
    server.serveNote(published.note + r.text);
    const withIt = await verifyLog({ logUrl: server.url, now: scenario.now, policy: { external: 1 } });
    expect(withIt.findings).toEqual([]);
    expect(withIt.checkpoint).toMatchObject({ accepted: true, externalCosigners: [EXTERNAL_WITNESS] });
    // The custodian count is its own: asking for all five with three cosigning is a finding.
    server.publish(auditLeaves, [1, 2, 3]);
    expect(codes((await verifyLog({ logUrl: server.url, now: scenario.now, policy: { custodians: 5 } })).findings)).toEqual([`${auditLeaves.length} INSUFFICIENT_COSIGNATURES`]);
  });

  it('a fork of the same size is refused by the witness (409), and an auditor comparing its view flags SPLIT_VIEW', async () => {
    // The witness holds the log's checkpoint of the clean leaves (previous test); the log now shows auditors a fork.
    const forked = [...auditLeaves.slice(0, -1), canonicalBytes({ ...scenario.log.entries.at(-1)!, reason: 'forked' })];
    const shown = server.publish(forked);
    const refused = await post(external, formatAddCheckpointRequest({ oldSize: auditLeaves.length, proof: [], note: logNote(shown.tree) }));
    expect([refused.status, refused.text]).toEqual([409, `${auditLeaves.length}\n`]);
    const state = AuditorState.open();
    try {
      const round = await watchRound({ logUrl: server.url, custodianUrls: [external.url], now: () => scenario.now }, state, 1);
      const split = round.findings.filter((f) => f.code === 'SPLIT_VIEW');
      expect(split).toHaveLength(1);
      expect(split[0]!.message).toContain(EXTERNAL_WITNESS);
    } finally {
      state.close();
    }
  });
});

describe('custodes witness init', () => {
  it('makes its key (0600) and config, prints its Ed25519 key, and refuses a second init', () => {
    const data = join(tempDir(), 'cli-witness');
    const r = custodes(['witness', 'init', '--data', data, '--name', 'witness.example', '--origin', ORIGIN, '--log-note-key', keys.log.notePublic]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(join(data, 'witness.key')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(data, 'witness.json'))).toBe(true);
    const again = custodes(['witness', 'init', '--data', data, '--name', 'witness.example', '--origin', ORIGIN, '--log-note-key', keys.log.notePublic]);
    expect(again.status).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
  });
});
