/**
 * Warrant status and request admissibility (shared/src/rules/warrantStatus.ts,
 * docs/PROTOCOL.md §1 goals 3, 6, 7): the precedence revoked > expired > denied >
 * approved > pending, the sealing flag, and each refusal of a request with
 * its own code, one rule broken at a time.
 */
import { describe, expect, it } from 'vitest';
import { decisionStatus, judgeRequest, sealState, statusAdmits, warrantStatus } from '@custodes/shared/rules';
import type { WarrantStatus } from '@custodes/shared/rules';
import { multiGenesis, singleGenesis } from './corpus';

describe('warrantStatus (t = 3 of n = 5)', () => {
  const quorum = { threshold: 3, total: 5 };
  const base = { approvals: 0, denials: 0, revoked: false, expiresAt: 1000 };
  it.each([
    [{}, 'pending'],
    [{ approvals: 2 }, 'pending'],
    [{ approvals: 3 }, 'approved'],
    [{ approvals: 3, denials: 2 }, 'approved'],
    [{ denials: 2 }, 'pending'],
    [{ denials: 3 }, 'denied'],
    [{ approvals: 5, expiresAt: 900 }, 'expired'],
    [{ approvals: 5, expiresAt: 901 }, 'approved'],
    [{ denials: 3, expiresAt: 500 }, 'expired'],
    [{ approvals: 5, revoked: true }, 'revoked'],
    [{ revoked: true, expiresAt: 500 }, 'revoked'],
  ])('%j at 900 → %s', (over, status) => {
    expect(warrantStatus({ ...base, ...over }, quorum, 900)).toBe(status);
  });

  it('decisionStatus leaves out revocation and expiry', () => {
    expect(decisionStatus({ approvals: 3, denials: 0 }, quorum)).toBe('approved');
    expect(decisionStatus({ approvals: 0, denials: 3 }, quorum)).toBe('denied');
  });

  it.each([
    [{ approvals: -1, denials: 0 }, RangeError],
    [{ approvals: 1.5, denials: 0 }, RangeError],
    [{ approvals: Number.NaN, denials: 0 }, RangeError],
    [{ approvals: '3', denials: 0 }, TypeError],
  ])('rejects counts %j', (counts, error) => {
    expect(() => decisionStatus(counts as never, quorum)).toThrow(error);
  });

  it('rejects a non-boolean revoked and non-number times', () => {
    expect(() => warrantStatus({ ...base, revoked: 'no' as never }, quorum, 900)).toThrow(TypeError);
    expect(() => warrantStatus(base, quorum, '900' as never)).toThrow(TypeError);
  });
});

describe('sealState: a flag beside the status', () => {
  it.each([
    [100, false, 100, 'sealed'],
    [100, false, 101, 'overdue'],
    [100, true, 101, 'unsealed'],
    [100, true, 50, 'unsealed'],
  ] as const)('sealedUntil %i, unsealed %s, at %i → %s', (until, unsealed, now, state) => {
    expect(sealState(until, unsealed, now)).toBe(state);
  });
});

describe('statusAdmits and judgeRequest', () => {
  it.each<[WarrantStatus, string | undefined]>([
    ['approved', undefined],
    ['revoked', 'WARRANT_REVOKED'],
    ['expired', 'WARRANT_EXPIRED'],
    ['denied', 'WARRANT_DENIED'],
    ['pending', 'WARRANT_NOT_APPROVED'],
  ])('a %s warrant → %s', (status, code) => {
    const v = statusAdmits(status);
    expect(v.ok ? undefined : v.code).toBe(code);
  });

  it('an unknown status is a RangeError', () => {
    expect(() => statusAdmits('sealed' as WarrantStatus)).toThrow(RangeError);
  });

  it('admits an approved warrant whose approvers cover each epoch', () => {
    expect(judgeRequest({ status: 'approved', epochs: [1], approvers: [1, 2, 3] }, singleGenesis)).toEqual({ ok: true });
    expect(judgeRequest({ status: 'approved', epochs: [7], approvers: [1, 2] }, multiGenesis)).toEqual({ ok: true });
  });

  it.each<[string, Parameters<typeof judgeRequest>[0], string]>([
    ['a pending warrant', { status: 'pending', epochs: [7], approvers: [1] }, 'WARRANT_NOT_APPROVED'],
    ['epoch 3 (t = 4) with 2 approvers of its custodians', { status: 'approved', epochs: [3], approvers: [1, 2] }, 'EPOCH_QUORUM'],
    ['epoch 5 (t = 3 of {1, 3, 4, 5}) with approvers {1, 2, 6}', { status: 'approved', epochs: [5], approvers: [1, 2, 6] }, 'EPOCH_QUORUM'],
    ['an unregistered epoch', { status: 'approved', epochs: [4], approvers: [1, 2] }, 'UNKNOWN_EPOCH'],
    ['an epoch short of quorum before an unregistered one', { status: 'approved', epochs: [4, 3], approvers: [1, 2] }, 'EPOCH_QUORUM'],
    ['a revoked warrant before any epoch', { status: 'revoked', epochs: [4], approvers: [] }, 'WARRANT_REVOKED'],
  ])('refuses %s', (_, facts, code) => {
    expect(judgeRequest(facts, multiGenesis)).toMatchObject({ ok: false, code });
  });
});
