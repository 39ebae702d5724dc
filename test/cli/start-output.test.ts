/**
 * What `npm start` prints (scripts/src/start.ts, scripts/src/cluster/seed.ts):
 * the warrant's progress says approvals and quorum apart (five custodians
 * may approve a 3-of-5 warrant: "approved: 5 approvals, quorum 3", never
 * "5 of 3"), and paths follow one rule: absolute when CUSTODES_HOME is
 * absolute, relative to the working directory when it was given relative.
 * The full run is test/cluster/start.test.ts.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout } from '../../scripts/src/cluster/layout';
import { warrantProgressLine } from '../../scripts/src/status';

describe('npm start output', () => {
  it('prints approvals and quorum apart', () => {
    expect(warrantProgressLine({ status: 'approved', approvals: 5, threshold: 3 })).toBe('approved: 5 approvals, quorum 3');
    expect(warrantProgressLine({ status: 'approved', approvals: 4, threshold: 3 })).toBe('approved: 4 approvals, quorum 3');
    expect(warrantProgressLine({ status: 'pending', approvals: 1, threshold: 3 })).toBe('pending: 1 approval, quorum 3');
    expect(warrantProgressLine({ status: 'pending', approvals: 0, threshold: 3 })).toBe('pending: 0 approvals, quorum 3');
    expect(warrantProgressLine({ status: 'approved', approvals: 5, threshold: 3 })).not.toMatch(/\bof\b/);
  });

  it('prints every path absolute when CUSTODES_HOME is absolute', () => {
    const home = join(tmpdir(), 'custodes-home-abs');
    const l = layout(home);
    expect(l.show(l.root)).toBe(home);
    expect(l.show(l.identities)).toBe(join(home, 'identities'));
    expect(l.show(l.investigatorToken)).toBe(join(home, 'investigator.token'));
    expect(l.show(join(l.demo, 'results', 'records.jsonl'))).toBe(join(home, 'demo', 'results', 'records.jsonl'));
  });

  it('prints paths relative to the working directory when CUSTODES_HOME is relative', () => {
    const l = layout('.custodes');
    expect(l.root).toBe(resolve('.custodes'));
    expect(l.show(l.root)).toBe('.custodes');
    expect(l.show(l.logs)).toBe(join('.custodes', 'logs'));
    expect(l.show(l.operatorToken(1))).toBe(join('.custodes', 'tokens', 'custodian-1.token'));
    expect(layout('some/dir').show(layout('some/dir').keys)).toBe(join('some', 'dir', 'keys'));
  });
});
