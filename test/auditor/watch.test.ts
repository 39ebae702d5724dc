/**
 * audit watch: bounded rounds (`once`), findings reported once, and split
 * views caught by comparing the coordinator's checkpoint with each
 * custodian's public `GET /witness/v1/checkpoint`.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalBytes } from '@custodes/shared/records';
import { MemoryTree } from '@custodes/shared/log';
import { AuditorState, watchLog, watchRound } from '@custodes/auditor';
import type { Finding } from '@custodes/auditor';
import { cleanScenario, DAY, LogBuilder, makeKeys, ORIGIN, T0 } from './scenario';
import type { CleanScenario } from './scenario';
import { signedNote, TestLogServer } from './server';

const keys = makeKeys();
let server: TestLogServer;
let clean: CleanScenario;
let leaves: Uint8Array[];

const codes = (findings: readonly Finding[]) => findings.map((f) => `${f.index} ${f.code}`);

/** A custodian's view: the checkpoint of `tree` with the log's signature and custodian `i`'s cosignature. */
function witnessNote(tree: MemoryTree, i: number): string {
  return signedNote(keys, { origin: ORIGIN, size: tree.size, root: tree.root() }, [i]);
}

function treeOf(list: readonly Uint8Array[]): MemoryTree {
  const tree = new MemoryTree();
  for (const leaf of list) tree.append(leaf);
  return tree;
}

/** The clean leaves with the last entry's bytes changed (a fork of the same size). */
function forkedLeaves(): Uint8Array[] {
  const last = clean.log.entries.at(-1)!;
  if (last.type !== 'approval') throw new Error('expected the scenario to end with an approval');
  return [...leaves.slice(0, -1), canonicalBytes({ ...last, reason: 'forked' })];
}

beforeAll(async () => {
  clean = cleanScenario(keys);
  leaves = clean.log.leaves();
  server = await new TestLogServer(keys).start();
});

afterAll(async () => {
  await server.close();
});

describe('audit watch', () => {
  test('one round over a clean log with agreeing custodians reports nothing', async () => {
    server.publish(leaves);
    server.witness.clear();
    server.witness.set(1, witnessNote(server.current.tree, 1));
    server.witness.set(2, witnessNote(treeOf(leaves.slice(0, 10)), 2)); // behind, but a prefix
    const seen: Finding[] = [];
    const rounds = await watchLog({
      logUrl: server.url,
      custodianUrls: [server.custodianUrl(1), server.custodianUrl(2)],
      once: true,
      now: () => clean.now,
      onFindings: (f) => seen.push(...f),
    });
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toMatchObject({ round: 1, findings: [], size: leaves.length });
    expect(seen).toEqual([]);
  });

  test('a custodian that cosigned another root at the same size is SPLIT_VIEW', async () => {
    server.publish(leaves);
    server.witness.clear();
    server.witness.set(1, witnessNote(server.current.tree, 1));
    server.witness.set(3, witnessNote(treeOf(forkedLeaves()), 3));
    const [round] = await watchLog({ logUrl: server.url, custodianUrls: [server.custodianUrl(1), server.custodianUrl(3)], once: true, now: () => clean.now });
    expect(codes(round!.findings)).toEqual([`${leaves.length} SPLIT_VIEW`]);
    expect(round!.findings[0]!.message).toContain('custodian-3');
  });

  test("a custodian's smaller checkpoint that is not a prefix of the log is SPLIT_VIEW", async () => {
    server.publish(leaves);
    server.witness.clear();
    const smaller = [...leaves.slice(0, 5), canonicalBytes({ ...clean.log.entries[5]!, rewritten: true })];
    server.witness.set(4, witnessNote(treeOf(smaller), 4));
    const [round] = await watchLog({ logUrl: server.url, custodianUrls: [server.custodianUrl(4)], once: true, now: () => clean.now });
    expect(codes(round!.findings)).toEqual(['6 SPLIT_VIEW']);
  });

  test('a custodian ahead of the log on a consistent history is fine; on a forked one, SPLIT_VIEW', async () => {
    server.witness.clear();
    server.publish(leaves);
    const state = AuditorState.open();
    try {
      // The auditor verifies a prefix; the custodian has cosigned the full log.
      server.publish(leaves.slice(0, leaves.length - 3));
      await watchRound({ logUrl: server.url, now: () => clean.now }, state, 1);
      server.publish(leaves);
      server.witness.set(5, witnessNote(server.current.tree, 5));
      // The coordinator still shows the prefix, but can prove the custodian's head extends it.
      const fullNote = server.current.note;
      const prefixNote = signedNote(keys, { origin: ORIGIN, size: leaves.length - 3, root: server.current.tree.root(leaves.length - 3) }, [1, 2, 3]);
      server.serveNote(prefixNote);
      const ok = await watchRound({ logUrl: server.url, custodianUrls: [server.custodianUrl(5)], now: () => clean.now }, state, 2);
      expect(ok.findings).toEqual([]);
      expect(fullNote).not.toBe(prefixNote);
      // Now custodian 5 holds a forked head ahead of the log.
      server.witness.set(5, witnessNote(treeOf(forkedLeaves()), 5));
      const bad = await watchRound({ logUrl: server.url, custodianUrls: [server.custodianUrl(5)], now: () => clean.now }, state, 3);
      expect(codes(bad.findings)).toEqual([`${leaves.length} SPLIT_VIEW`]);
    } finally {
      state.close();
    }
  });

  test('findings are reported once across rounds; an unreachable custodian is a warning, not a finding', async () => {
    const log = new LogBuilder(keys);
    const w = log.warrant();
    log.approveBy(w, [1, 2], T0 + DAY);
    const r = log.request(w, 1, T0 + 2 * DAY);
    server.publish(log.leaves());
    server.witness.clear();
    const state = AuditorState.open();
    const warnings: string[] = [];
    try {
      const options = { logUrl: server.url, custodianUrls: [server.custodianUrl(9)], now: () => T0 + 3 * DAY, onWarning: (m: string) => warnings.push(m), fetch: { retries: 0 } };
      const first = await watchRound(options, state, 1);
      expect(codes(first.findings)).toEqual([`${r.index} REQUEST_BEFORE_QUORUM`]);
      const second = await watchRound(options, state, 2);
      expect(second.findings).toEqual([]);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/custodian .*\/custodian\/9: .*404/);
    } finally {
      state.close();
    }
  });

  test('an equivocating coordinator is caught between rounds', async () => {
    server.witness.clear();
    server.publish(leaves);
    const state = AuditorState.open();
    try {
      expect((await watchRound({ logUrl: server.url, now: () => clean.now }, state, 1)).findings).toEqual([]);
      server.publish(forkedLeaves());
      const second = await watchRound({ logUrl: server.url, now: () => clean.now }, state, 2);
      expect(codes(second.findings)).toEqual([`${leaves.length} LOG_EQUIVOCATION`]);
    } finally {
      state.close();
    }
  });

  test('state that cannot be stored (a full disk) is a warning for that round; the watch goes on and the next round reports', async () => {
    server.publish(leaves);
    server.witness.clear();
    const markReported = AuditorState.prototype.markReported;
    let refused = 0;
    AuditorState.prototype.markReported = function (this: AuditorState, ...args: Parameters<typeof markReported>) {
      if (refused++ === 0) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      return markReported.apply(this, args);
    };
    const warnings: string[] = [];
    const stop = new AbortController();
    let rounds = 0;
    try {
      const done = await watchLog({
        logUrl: server.url,
        intervalSeconds: 0.05,
        signal: stop.signal,
        // Read once per round: the watch stops after the second.
        now: () => {
          if (++rounds === 2) stop.abort();
          return clean.now;
        },
        onWarning: (w) => warnings.push(w),
      });
      expect(warnings).toEqual([expect.stringMatching(/^round 1: the auditor's state could not be stored \(STORAGE_FULL\)/)]);
      expect(done.map((r) => r.round)).toEqual([2]);
      expect(done[0]!.size).toBe(leaves.length);
    } finally {
      AuditorState.prototype.markReported = markReported;
    }
  });
});
