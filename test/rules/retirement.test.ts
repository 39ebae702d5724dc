/**
 * Retirement (shared/src/rules/retirement.ts, docs/PROTOCOL.md §3.10): when an
 * epoch is retired, what a refusal names, and whether a `retired` statement
 * stands — each refusal with its code, and junk arguments refused as a
 * caller's bug.
 */
import { describe, expect, it } from 'vitest';
import { isRetired, judgeRegistryUpdate, judgeRetired, retiredAmong, retirementOf } from '@custodes/shared/rules';
import { signRecord } from '@custodes/shared/records';
import type { RetiredEntry } from '@custodes/shared/records';
import { custodianKeys, NOW, RETIRING, retiringGenesis, signAs, singleGenesis, unsignedRegistry } from './corpus';

function statement(custodian: number, time: number, epoch = 1, signer = custodianKeys.get(custodian)?.secretKey ?? custodianKeys.get(1)!.secretKey): RetiredEntry {
  const body = { type: 'retired' as const, epoch, custodian, time };
  return { ...body, signature: signRecord(body, 'retired', signer) };
}

describe('isRetired, retirementOf, retiredAmong', () => {
  it('an epoch is retired from its retireAfter on (now ≥ retireAfter), never without one', () => {
    expect(retirementOf(retiringGenesis, 1)).toBe(NOW);
    expect(isRetired(retiringGenesis, 1, NOW - 1)).toBe(false);
    expect(isRetired(retiringGenesis, 1, NOW)).toBe(true);
    expect(isRetired(retiringGenesis, 1, NOW + 1)).toBe(true);
    expect(retirementOf(singleGenesis, 1)).toBeUndefined();
    expect(isRetired(singleGenesis, 1, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isRetired(retiringGenesis, 2, NOW)).toBe(false); // unlisted: not retired (other rules refuse it)
  });

  it('retiredAmong names the lowest retired epoch of a set and its date', () => {
    const two = signAs(unsignedRegistry(0, [...RETIRING, { epoch: 2, threshold: 3, custodians: [1, 2, 3, 4, 5] }]), [1, 2, 3, 4, 5]);
    expect(retiredAmong(two, [2], NOW)).toBeUndefined();
    expect(retiredAmong(two, [2, 1], NOW - 1)).toBeUndefined();
    const hit = retiredAmong(two, new Set([2, 1]), NOW);
    expect(hit).toMatchObject({ epoch: 1, retireAfter: NOW });
    expect(hit!.message).toBe('epoch 1 was retired on 2027-01-15T08:00:00Z: its shares are destroyed and nothing sealed under it can be opened');
  });

  it('refuses junk arguments as a caller’s bug', () => {
    expect(() => isRetired(retiringGenesis, 1, Number.NaN)).toThrow(RangeError);
    expect(() => isRetired(retiringGenesis, 1, '1' as unknown as number)).toThrow(TypeError);
    expect(() => isRetired(null as never, 1, NOW)).toThrow(TypeError);
    expect(() => retirementOf(retiringGenesis, '1' as unknown as number)).toThrow(TypeError);
    expect(() => judgeRetired({ type: 'release' } as unknown as RetiredEntry, retiringGenesis)).toThrow(TypeError);
  });
});

describe('judgeRetired', () => {
  it('accepts a custodian of the epoch, dated on or after retireAfter, signed', () => {
    expect(judgeRetired(statement(4, NOW), retiringGenesis)).toEqual({ ok: true });
    expect(judgeRetired(statement(1, NOW + 86_400), retiringGenesis)).toEqual({ ok: true });
  });

  it.each<[string, RetiredEntry, typeof singleGenesis, string]>([
    ['an epoch the registry does not list', statement(1, NOW, 2), retiringGenesis, 'UNKNOWN_EPOCH'],
    ['an epoch without retireAfter', statement(1, NOW), singleGenesis, 'NOT_RETIRABLE'],
    ['a custodian not of the epoch', statement(7, NOW), retiringGenesis, 'UNKNOWN_CUSTODIAN'],
    ['a statement dated before retireAfter', statement(2, NOW - 1), retiringGenesis, 'TOO_EARLY'],
    ['a signature by another custodian’s key', statement(2, NOW, 1, custodianKeys.get(3)!.secretKey), retiringGenesis, 'BAD_SIGNATURE'],
  ])('refuses %s', (_, entry, registry, code) => {
    expect(judgeRetired(entry, registry)).toMatchObject({ ok: false, code });
  });

  it('refuses a statement altered after signing', () => {
    expect(judgeRetired({ ...statement(2, NOW), time: NOW + 1 }, retiringGenesis)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
});

describe('a registry update keeps a retireAfter once set (EPOCH_CHANGED)', () => {
  it('refuses moving or removing it, accepts setting or keeping it', () => {
    const update = (retireAfter?: number) =>
      signAs(unsignedRegistry(1, [{ ...RETIRING[0]!, ...(retireAfter === undefined ? { retireAfter: undefined } : { retireAfter }) }]), [1, 2, 3]);
    expect(judgeRegistryUpdate(update(NOW), retiringGenesis)).toMatchObject({ ok: true });
    expect(judgeRegistryUpdate(update(NOW), singleGenesis)).toMatchObject({ ok: true });
    expect(judgeRegistryUpdate(update(NOW + 1), retiringGenesis)).toMatchObject({ ok: false, code: 'EPOCH_CHANGED' });
    expect(judgeRegistryUpdate(update(undefined), retiringGenesis)).toMatchObject({ ok: false, code: 'EPOCH_CHANGED' });
  });
});
