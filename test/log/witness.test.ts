/**
 * Witness logic (C2SP tlog-witness add-checkpoint, docs/PROTOCOL.md §4.3): accepts
 * only consistent growth from its last cosigned head, with the statuses the
 * spec assigns to each refusal, and never moves backwards.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ed25519PublicKey } from '../../shared/src/crypto/ed25519';
import {
  checkCheckpointUpdate,
  type CosignedHead,
  formatAddCheckpointRequest,
  LogError,
  MemoryTree,
  openAddCheckpoint,
  parseAddCheckpointRequest,
  parseCheckpoint,
  parseSignedNote,
  signCheckpoint,
  witnessNote,
} from '../../shared/src/log/index';
import { flipBit } from './helpers';

const ORIGIN = 'custodes.test/log';
const LOG_SECRET = new Uint8Array(32).fill(3);
const OTHER_SECRET = new Uint8Array(32).fill(4);

function growTree(prefix: string, n: number): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`${prefix}-${i}`));
  return t;
}

/** Tree A, and tree B which shares A's first 5 leaves and then forks. */
const A = growTree('a', 12);
const B = growTree('a', 5);
for (let i = 5; i < 12; i++) B.append(new TextEncoder().encode(`b-${i}`));

function note(tree: MemoryTree, size: number, secret = LOG_SECRET): string {
  return signCheckpoint({ origin: ORIGIN, size, root: tree.root(size) }, secret);
}

function body(oldSize: number, tree: MemoryTree, size: number, proof = tree.consistencyProof(oldSize, size)): string {
  return formatAddCheckpointRequest({ oldSize, proof, note: note(tree, size) });
}

/**
 * The witness as services run it (services/custodian/src/witness.ts): parse the
 * body, then checkCheckpointUpdate from the last cosigned head; a head that
 * passes becomes the new one. Log signature and origin are the service's
 * (test/custodian/witness.test.ts).
 */
let head: CosignedHead | undefined;
beforeEach(() => {
  head = undefined;
});

function witness(input: string | Uint8Array) {
  const request = parseAddCheckpointRequest(input);
  const checkpoint = parseCheckpoint(parseSignedNote(request.note).text);
  const verdict = checkCheckpointUpdate(head, request.oldSize, request.proof, checkpoint);
  if (verdict.ok) head = { size: checkpoint.size, root: checkpoint.root };
  return verdict;
}

describe('a witness following one log', () => {
  it('trusts the first checkpoint from size 0, then follows consistent growth', () => {
    expect(witness(body(0, A, 5))).toEqual({ ok: true });
    expect(witness(body(5, A, 8))).toEqual({ ok: true });
    expect(witness(body(8, A, 8))).toEqual({ ok: true }); // same head again: idempotent
    expect(witness(body(8, A, 12))).toEqual({ ok: true });
    expect(head?.size).toBe(12);
  });

  it('answers 409 with its size when the old size is not its own', () => {
    witness(body(0, A, 5));
    expect(witness(body(0, A, 8))).toMatchObject({ ok: false, status: 409, code: 'OLD_SIZE_MISMATCH', witnessSize: 5 });
    expect(witness(body(3, A, 8))).toMatchObject({ ok: false, status: 409, witnessSize: 5 });
  });

  it('refuses the same size with another root (a fork) with 409', () => {
    witness(body(0, A, 8));
    expect(witness(body(8, B, 8, []))).toMatchObject({ ok: false, status: 409, code: 'ROOT_MISMATCH', witnessSize: 8 });
    expect(head?.root).toEqual(A.root(8));
  });

  it('refuses a shrinking tree: 400 when old > new, 409 when old is not its size', () => {
    witness(body(0, A, 8));
    expect(witness(body(8, A, 6, []))).toMatchObject({ ok: false, status: 400, code: 'BAD_REQUEST' });
    expect(witness(body(6, A, 6))).toMatchObject({ ok: false, status: 409, witnessSize: 8 });
    expect(head?.size).toBe(8);
  });

  it('refuses a fork at a larger size with 422: the proof from its root cannot verify', () => {
    witness(body(0, A, 8));
    // B's own proof 8 → 10 is valid for B, but starts from B's root at 8, not A's.
    expect(witness(body(8, B, 10))).toMatchObject({ ok: false, status: 422, code: 'BAD_PROOF' });
    expect(head?.root).toEqual(A.root(8));
  });

  it('refuses a proof with any one bit flipped with 422, and a non-empty proof from 0', () => {
    witness(body(0, A, 5));
    const proof = A.consistencyProof(5, 9);
    proof.forEach((p, i) => {
      const bad = [...proof];
      bad[i] = flipBit(p, (i * 37) % 256);
      expect(witness(body(5, A, 9, bad))).toMatchObject({ ok: false, status: 422 });
    });
    expect(witness(body(5, A, 9, proof.slice(1)))).toMatchObject({ ok: false, status: 422 });
    expect(head?.size).toBe(5);
    head = undefined;
    expect(witness(body(0, A, 5, A.consistencyProof(1, 5)))).toMatchObject({ ok: false, status: 422 });
  });

  const junk: [string, string | Uint8Array][] = [
    ['empty', ''],
    ['no blank line', `old 0\n${note(A, 1)}`],
    ['leading zero', `old 00\n\n${note(A, 1)}`],
    ['negative', `old -1\n\n${note(A, 1)}`],
    ['missing size', `old \n\n${note(A, 1)}`],
    ['tab', `old\t0\n\n${note(A, 1)}`],
    ['huge', `old 99999999999999999999\n\n${note(A, 1)}`],
    ['bad proof line', `old 0\nnot base64!\n\n${note(A, 1)}`],
    ['short proof line', `old 0\nAAAA\n\n${note(A, 1)}`],
    ['64 proof lines', `old 0\n${`${'A'.repeat(43)}=\n`.repeat(64)}\n${note(A, 1)}`],
    ['no checkpoint', 'old 0\n\n'],
    ['checkpoint without signature', `old 0\n\n${ORIGIN}\n1\n${'A'.repeat(43)}=\n`],
    ['not a checkpoint', `old 0\n\nhello\n\n— ${ORIGIN} AAAAAAAA\n`],
    ['invalid UTF-8', Uint8Array.of(0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff)],
  ];

  it.each(junk)('refuses junk with a LogError (400): %s', (_name, input) => {
    expect(() => witness(input)).toThrow(LogError);
    expect(head).toBeUndefined();
  });
});

describe('checkCheckpointUpdate', () => {
  const cp = (tree: MemoryTree, size: number) => ({ origin: ORIGIN, size, root: tree.root(size) });

  it('accepts from nothing with an empty proof, including the empty tree, and then only that empty root', () => {
    expect(checkCheckpointUpdate(undefined, 0, [], cp(A, 0))).toEqual({ ok: true });
    const empty = { size: 0, root: A.root(0) };
    expect(checkCheckpointUpdate(empty, 0, [], cp(A, 0))).toEqual({ ok: true });
    expect(checkCheckpointUpdate(empty, 0, [], { ...cp(A, 0), root: A.root(1) })).toMatchObject({ status: 409 });
  });

  it('throws for caller bugs', () => {
    expect(() => checkCheckpointUpdate(undefined, -1, [], cp(A, 1))).toThrow(RangeError);
    expect(() => checkCheckpointUpdate({ size: 1, root: new Uint8Array(3) }, 1, [], cp(A, 1))).toThrow(RangeError);
    expect(() => checkCheckpointUpdate(undefined, 0, 'x' as never, cp(A, 1))).toThrow(TypeError);
  });
});

describe('add-checkpoint request bodies', () => {
  it('round-trip', () => {
    const proof = A.consistencyProof(3, 7);
    const signed = note(A, 7);
    const text = formatAddCheckpointRequest({ oldSize: 3, proof, note: signed });
    expect(text.startsWith('old 3\n')).toBe(true);
    expect(parseAddCheckpointRequest(text)).toEqual({ oldSize: 3, proof, note: signed });
    expect(parseAddCheckpointRequest(new TextEncoder().encode(text))).toEqual({ oldSize: 3, proof, note: signed });
  });
});

describe('witnessNote (the note a witness stores and serves)', () => {
  it("refuses a caller's bug: a note of another checkpoint, no log signature, or not one line", () => {
    const logKey = { name: ORIGIN, publicKey: ed25519PublicKey(LOG_SECRET) };
    const cp = { origin: ORIGIN, size: 5, root: A.root(5) };
    const line = '\u2014 custodian-1.test AAAAAAAA\n';
    const signed = note(A, 5);
    expect(witnessNote(cp, parseSignedNote(signed), logKey, line)).toBe(`${signed}${line}`);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 6)), logKey, line)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5, OTHER_SECRET)), logKey, line)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5)), logKey, `${line}${line}`)).toThrow(RangeError);
    expect(() => witnessNote(cp, parseSignedNote(note(A, 5)), logKey, 'x')).toThrow(RangeError);
  });
});

describe('openAddCheckpoint (the C2SP steps every witness shares)', () => {
  const logKey = { name: ORIGIN, publicKey: ed25519PublicKey(LOG_SECRET) };
  const known = (origin: string) => (origin === ORIGIN ? logKey : undefined);
  const body = (text: string) => formatAddCheckpointRequest({ oldSize: 3, proof: A.consistencyProof(3, 7), note: text });

  it('opens a well-formed request signed by the known log key', () => {
    const opened = openAddCheckpoint(body(note(A, 7)), known);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect([opened.oldSize, opened.checkpoint.size, opened.proof.length, opened.logKey]).toEqual([3, 7, A.consistencyProof(3, 7).length, logKey]);
  });

  it('400 for junk, 404 for an unknown origin, 403 for another key, in that order', () => {
    expect(openAddCheckpoint('old 3\n', known)).toMatchObject({ ok: false, status: 400 });
    expect(openAddCheckpoint(body(note(A, 7)), () => undefined)).toMatchObject({ ok: false, status: 404, code: 'UNKNOWN_LOG' });
    expect(openAddCheckpoint(body(note(A, 7, OTHER_SECRET)), known)).toMatchObject({ ok: false, status: 403, code: 'BAD_SIGNATURE' });
    // A key under another name than the origin is not that log's.
    expect(openAddCheckpoint(body(note(A, 7)), () => ({ ...logKey, name: 'other.test/log' }))).toMatchObject({ ok: false, status: 404 });
    expect(() => openAddCheckpoint(body(note(A, 7)), null as never)).toThrow(TypeError);
  });
});
