/**
 * Every transparency-dev/merkle vector (test/vectors/merkle, a copy of ../shared/conformance/merkle) through
 * the verifier (docs/PROTOCOL.md §4.3): accept iff wantErr is false.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from '../../shared/src/log/index';

const ROOT = join(import.meta.dirname, '../vectors/merkle/testdata');

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

// Vectors hold base64 strings; some are deliberately not 32 bytes (or empty).
const b64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));
const proofOf = (p: string[] | null): Uint8Array[] => (p ?? []).map(b64);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

// JSON.parse turns 2^64 − 1 (a Go uint64 underflow) into an unsafe number,
// which the verifier must reject like any other impossible index.
const load = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const inclusion = filesUnder(join(ROOT, 'inclusion'));
const consistency = filesUnder(join(ROOT, 'consistency'));

describe('conformance: transparency-dev/merkle inclusion vectors', () => {
  it('finds the vectors', () => {
    expect(inclusion.length).toBeGreaterThanOrEqual(80);
    expect(inclusion.some((f) => f.includes('additional'))).toBe(true);
  });

  it.each(inclusion.map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    const v = load<InclusionVector>(file);
    const proof = proofOf(v.proof);
    const ok = verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), proof, b64(v.root));
    expect(ok).toBe(!v.wantErr);
    if (!v.wantErr) {
      expect(rootFromInclusionProof(v.leafIdx, v.treeSize, b64(v.leafHash), proof)).toEqual(b64(v.root));
    }
  });
});

describe('conformance: transparency-dev/merkle consistency vectors', () => {
  it('finds the vectors', () => {
    expect(consistency.length).toBeGreaterThanOrEqual(80);
    expect(consistency.some((f) => f.includes('additional'))).toBe(true);
  });

  it.each(consistency.map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    const v = load<ConsistencyVector>(file);
    const ok = verifyConsistency(v.size1, v.size2, proofOf(v.proof), b64(v.root1), b64(v.root2));
    expect(ok).toBe(!v.wantErr);
  });
});
