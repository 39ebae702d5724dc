/**
 * Releases (shared/src/rules/releases.ts, docs/PROTOCOL.md §4.2 `release`,
 * §8.1): by a custodian of every epoch the request covers, signed; each
 * refusal with its code.
 */
import { describe, expect, it } from 'vitest';
import { judgeRelease } from '@custodes/shared/rules';
import type { DecryptionRequestEntry, ReleaseEntry } from '@custodes/shared/records';
import { coverOf, envelopesFor, multiGenesis, NOW, releaseEntry, requestEntry, signedWarrant, singleGenesis } from './corpus';
import type { ReleaseCase } from './corpus';

const cover = coverOf(signedWarrant());
const request = (registry: typeof singleGenesis, epochs: number[]): DecryptionRequestEntry => requestEntry(cover, envelopesFor(registry, epochs), NOW);
const release = (registry: typeof singleGenesis, epochs: number[], custodian: number, bad?: true): ReleaseEntry =>
  releaseEntry(request(registry, epochs), { name: '', expected: 'accept', registry, epochs, custodian, ...(bad ? { bad } : {}) } as ReleaseCase);

describe('judgeRelease', () => {
  it('accepts a custodian of every requested epoch, newest or not', () => {
    expect(judgeRelease(release(singleGenesis, [1], 5), singleGenesis, [1])).toEqual({ ok: true });
    expect(judgeRelease(release(multiGenesis, [3], 3), multiGenesis, [3])).toEqual({ ok: true });
    expect(judgeRelease(release(multiGenesis, [3, 5, 7], 1), multiGenesis, [3, 5, 7])).toEqual({ ok: true });
  });

  it.each<[string, ReleaseEntry, typeof singleGenesis, number[], string]>([
    ['an unregistered custodian', release(singleGenesis, [1], 9), singleGenesis, [1], 'UNKNOWN_CUSTODIAN'],
    ['a custodian of an older epoch, for the newest', release(multiGenesis, [7], 4), multiGenesis, [7], 'NOT_EPOCH_CUSTODIAN'],
    ['a newest custodian, for an epoch it holds no share of', release(multiGenesis, [5], 2), multiGenesis, [5], 'NOT_EPOCH_CUSTODIAN'],
    ['a custodian of one of two requested epochs', release(multiGenesis, [3, 7], 6), multiGenesis, [3, 7], 'NOT_EPOCH_CUSTODIAN'],
    ['an epoch the registry does not list', release(singleGenesis, [4], 1), singleGenesis, [4], 'NOT_EPOCH_CUSTODIAN'],
    ['a signature by another key', release(multiGenesis, [3], 5, true), multiGenesis, [3], 'BAD_SIGNATURE'],
  ])('refuses %s', (_, entry, registry, epochs, code) => {
    expect(judgeRelease(entry, registry, epochs)).toMatchObject({ ok: false, code });
  });

  it('refuses a release whose signed fields were changed', () => {
    const e = release(singleGenesis, [1], 2);
    expect(judgeRelease({ ...e, count: e.count + 1 }, singleGenesis, [1])).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('throws for junk: TypeError for a wrong type, RangeError for no epoch', () => {
    const e = release(singleGenesis, [1], 2);
    expect(() => judgeRelease(null as unknown as ReleaseEntry, singleGenesis, [1])).toThrow(TypeError);
    expect(() => judgeRelease(e, singleGenesis, 1 as unknown as number[])).toThrow(TypeError);
    expect(() => judgeRelease(e, singleGenesis, [])).toThrow(RangeError);
  });
});
