/**
 * The coordinator gathers the registry's external witnesses' cosignatures
 * (services/coordinator/src/workflow/externalWitnesses.ts; docs/PROTOCOL.md
 * §4.3) over C2SP add-checkpoint, in the background: an approved warrant
 * never waits on them, even when the witness is down, and once it is up its
 * `cosignature/v1` reaches the checkpoint auditors read.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, ed25519PublicKey, ed25519SecretKey, hexToBytes } from '@custodes/shared/crypto';
import { parseSignedNote, verifiedCosigners, verifyCosignature } from '@custodes/shared/log';
import { createStandaloneWitness, type StandaloneWitness } from '../../scripts/src/witness/service';
import { removeTempDirs, tempDir } from '../custodian/fixture';
import { api, approvedWarrant, noteParty, ORIGIN, startCluster, THRESHOLD, waitFor, type Cluster } from './helpers/cluster';

const NAME = 'witness.public.example';
const secret = ed25519SecretKey();
const witnessKey = { name: NAME, publicKey: ed25519PublicKey(secret) };
const log = noteParty();
let dataDir: string;
let witness: StandaloneWitness;
let cluster: Cluster;

const startWitness = async (port = 0) => {
  witness = createStandaloneWitness({ dataDir, name: NAME, secretKey: bytesToHex(secret), logs: [{ origin: ORIGIN, key: log.notePublicKey }], port });
  await witness.start();
};

beforeAll(async () => {
  dataDir = join(tempDir(), 'external-witness');
  await startWitness();
  cluster = await startCluster({
    log,
    witnesses: [{ name: NAME, key: bytesToHex(witnessKey.publicKey), url: witness.url }],
    coordinator: { externalWitnessIntervalMs: 100 },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await witness.close();
  removeTempDirs();
});

async function checkpoint(): Promise<{ size: number; external: boolean; custodians: number }> {
  const cp = await api<string>(cluster.url, 'GET', '/log/v1/checkpoint');
  const note = parseSignedNote(cp.body);
  const custodianKeys = cluster.registry.epochs[0]!.custodians.map((c) => ({ name: c.name, publicKey: hexToBytes(c.witnessKey, 32) }));
  return { size: Number(note.text.split('\n')[1]), external: verifyCosignature(note, witnessKey), custodians: verifiedCosigners(note, custodianKeys).length };
}

describe('external witnesses', { timeout: 60_000 }, () => {
  it('their cosignature reaches the served checkpoint', async () => {
    await waitFor('the external cosignature on the served checkpoint', async () => ((await checkpoint()).external ? true : undefined));
  });

  it('releases do not wait on them: with the witness down a warrant is approved and cosigned by t custodians; back up, it cosigns the newer checkpoint', async () => {
    const port = Number(new URL(witness.url).port);
    await witness.close();
    const before = await checkpoint();
    await approvedWarrant(cluster);
    const after = await waitFor('a newer checkpoint cosigned by t custodians', async () => {
      const cp = await checkpoint();
      return cp.size > before.size && cp.custodians >= THRESHOLD ? cp : undefined;
    });
    expect(after.external).toBe(false);
    await startWitness(port);
    await waitFor('the external witness catches up', async () => {
      const cp = await checkpoint();
      return cp.size >= after.size && cp.external ? true : undefined;
    });
  });
});
