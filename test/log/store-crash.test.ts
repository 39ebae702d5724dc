/**
 * Crash safety of the log store (docs/PROTOCOL.md §5: persisted before acknowledged):
 * a child process appends in a loop and is SIGKILLed mid-write, three times.
 * After each kill every acknowledged entry is present with its bytes, every
 * stored hash recomputes from the leaves, proofs verify, and the latest
 * checkpoint matches the stored tree.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../shared/src/crypto/bytes';
import { ed25519PublicKey } from '../../shared/src/crypto/ed25519';
import { MemoryTree, leafHash, openCheckpoint, subtreeNodes, verifyConsistency, verifyInclusion } from '../../shared/src/log/index';
import { LogStore } from '../../services/coordinator/src/log/index';
import { expectedLeaf } from './fixtures/leaves';

const SECRET = new Uint8Array(32).fill(21);
const FIXTURE = join(import.meta.dirname, 'fixtures/appender.ts');
const dir = mkdtempSync(join(tmpdir(), 'custodes-crash-'));
const file = join(dir, 'log.sqlite');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the appender until it has acknowledged `acks` more commits, then SIGKILLs it. */
async function runAndKill(acks: number): Promise<{ acked: number; checkpoints: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, file, bytesToHex(SECRET)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let acked = 0;
  let seen = 0;
  const checkpoints: number[] = [];
  const deadline = Date.now() + 45_000;
  const lines = createInterface({ input: child.stdout });
  try {
    for await (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ack') {
        acked = Math.max(acked, Number(a) + Number(b));
        seen += 1;
      } else if (kind === 'cp') checkpoints.push(Number(a));
      if (seen >= acks) break;
      if (Date.now() > deadline) throw new Error(`appender too slow; stderr: ${stderr}`);
    }
  } finally {
    child.kill('SIGKILL');
  }
  const how = await exited;
  if (seen < acks) throw new Error(`appender exited early (${String(how)}): ${stderr}`);
  expect(how).toBe('SIGKILL');
  return { acked, checkpoints };
}

function checkStore(acked: number, checkpoints: number[]): number {
  const store = LogStore.open(file, { origin: 'custodes.test/crash' });
  try {
    const size = store.size();
    expect(size).toBeGreaterThanOrEqual(acked);
    // Every stored leaf (acknowledged or committed just before the kill) is intact.
    const leaves = store.entries(0, size);
    const ref = new MemoryTree();
    leaves.forEach((leaf, i) => {
      expect(bytesToHex(leaf)).toBe(bytesToHex(expectedLeaf(i)));
      ref.append(leaf);
    });
    // Every stored complete subtree recomputes from the leaves.
    for (let level = 1; 2 ** level <= size; level++) {
      const count = Math.floor(size / 2 ** level);
      const nodes = Array.from({ length: count }, (_, index) => ({ level, index }));
      expect(store.readHashes(nodes)).toEqual(ref.readHashes(nodes));
    }
    expect(store.readHashes(subtreeNodes(0, size))).toEqual(ref.readHashes(subtreeNodes(0, size)));
    // Proofs verify at the acknowledged size and at the stored size.
    for (const n of [acked, size]) {
      const root = ref.root(n);
      expect(store.treeHead(n).root).toEqual(root);
      for (const i of [0, Math.floor(n / 3), n - 1]) {
        expect(verifyInclusion(i, n, leafHash(leaves[i]!), store.inclusionProof(i, n), root)).toBe(true);
      }
      expect(verifyConsistency(1, n, store.consistencyProof(1, n), ref.root(1), root)).toBe(true);
    }
    // The latest checkpoint is a signed note over a stored prefix.
    const latest = store.latestCheckpoint();
    if (checkpoints.length > 0) expect(latest?.size).toBeGreaterThanOrEqual(Math.max(...checkpoints));
    if (latest) {
      const opened = openCheckpoint(latest.note, { name: 'custodes.test/crash', publicKey: ed25519PublicKey(SECRET) });
      expect(opened?.checkpoint.root).toEqual(ref.root(latest.size));
    }
    return size;
  } finally {
    store.close();
  }
}

describe('log store crash safety', () => {
  it('keeps every acknowledged entry and a consistent tree across three SIGKILLs', async () => {
    let previous = 0;
    for (let round = 0; round < 3; round++) {
      const { acked, checkpoints } = await runAndKill(12 + round * 5);
      expect(acked).toBeGreaterThan(previous);
      previous = checkStore(acked, checkpoints);
    }
  });
});
