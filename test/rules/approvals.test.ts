/**
 * Approvals (shared/src/rules/approvals.ts, docs/PROTOCOL.md §4.2, §1 goal 3): who may
 * sign one, each refusal with its code; the tally of distinct custodians.
 */
import { describe, expect, it } from 'vitest';
import { judgeApproval, tallyDecisions } from '@custodes/shared/rules';
import type { ApprovalEntry } from '@custodes/shared/records';
import { approvalEntry, coverOf, multiGenesis, signedWarrant, singleGenesis } from './corpus';

const cover = coverOf(signedWarrant());

describe('judgeApproval', () => {
  it('accepts a reviewer’s signed decision over the logged commitment', () => {
    expect(judgeApproval(approvalEntry(cover, { custodian: 2, decision: 'approve' }, 0), singleGenesis, cover.commitment)).toEqual({ ok: true });
    expect(judgeApproval(approvalEntry(cover, { custodian: 6, decision: 'deny' }, 0), multiGenesis)).toEqual({ ok: true });
  });

  it.each<[string, ApprovalEntry, typeof singleGenesis, string]>([
    ['an unregistered custodian', approvalEntry(cover, { custodian: 9, decision: 'approve' }, 0), singleGenesis, 'UNKNOWN_CUSTODIAN'],
    ['a custodian of an older epoch only', approvalEntry(cover, { custodian: 3, decision: 'approve' }, 0), multiGenesis, 'UNKNOWN_CUSTODIAN'],
    ['a signature by another key', approvalEntry(cover, { custodian: 2, decision: 'approve', bad: true }, 0), singleGenesis, 'BAD_SIGNATURE'],
    ['another commitment', { ...approvalEntry(cover, { custodian: 2, decision: 'approve' }, 0) }, singleGenesis, 'COMMITMENT_MISMATCH'],
  ])('refuses %s as %s', (what, entry, registry, code) => {
    const commitment = what === 'another commitment' ? '00'.repeat(32) : cover.commitment;
    expect(judgeApproval(entry, registry, commitment)).toMatchObject({ ok: false, code });
  });

  it('refuses a decision whose signed fields were changed', () => {
    const e = approvalEntry(cover, { custodian: 2, decision: 'approve' }, 0);
    expect(judgeApproval({ ...e, decision: 'deny' }, singleGenesis)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('throws TypeError for junk', () => {
    expect(() => judgeApproval(null as unknown as ApprovalEntry, singleGenesis)).toThrow(TypeError);
  });
});

describe('tallyDecisions', () => {
  const set = new Set([1, 2, 3, 4, 5]);
  it('counts distinct custodians of the set, each by its first decision', () => {
    const t = tallyDecisions(
      [
        { custodian: 3, decision: 'approve' },
        { custodian: 1, decision: 'deny' },
        { custodian: 3, decision: 'deny' }, // a later decision changes nothing
        { custodian: 9, decision: 'approve' }, // not in the set
        { custodian: 2, decision: 'approve' },
        { custodian: 2, decision: 'approve' }, // counted once
      ],
      set,
    );
    expect(t).toEqual({ approvers: [2, 3], deniers: [1] });
  });

  it('accepts a Map of custodians as the set; nothing counts in an empty one', () => {
    expect(tallyDecisions([{ custodian: 1, decision: 'approve' }], new Map([[1, {}]]))).toEqual({ approvers: [1], deniers: [] });
    expect(tallyDecisions([{ custodian: 1, decision: 'approve' }], new Set())).toEqual({ approvers: [], deniers: [] });
  });

  it('throws TypeError when decisions are not iterable', () => {
    expect(() => tallyDecisions(null as unknown as [], set)).toThrow(TypeError);
    expect(() => tallyDecisions(5 as unknown as [], set)).toThrow(TypeError);
  });
});
