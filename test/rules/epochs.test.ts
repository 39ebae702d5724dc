/**
 * Epoch selection (shared/src/rules/epochs.ts, docs/PROTOCOL.md §3.1, §4.2): the
 * newest epoch by number wherever it is listed, each epoch's own quorum, and
 * junk rejected with named errors.
 */
import { describe, expect, it } from 'vitest';
import { envelopeEpoch, newestEpoch, quorumOf, reviewers } from '@custodes/shared/rules';
import type { RegistryEntry } from '@custodes/shared/records';
import { MULTI, multiGenesis, unsignedRegistry } from './corpus';

describe('newestEpoch and reviewers', () => {
  it.each([
    ['first', MULTI],
    ['last', [...MULTI].reverse()],
    ['in the middle', [MULTI[1]!, MULTI[0]!, MULTI[2]!]],
  ])('pick epoch 7 (t = 2 of {1, 2, 6}) when it is listed %s', (_, epochs) => {
    const registry = unsignedRegistry(0, epochs);
    expect(newestEpoch(registry)?.epoch).toBe(7);
    const q = reviewers(registry)!;
    expect([q.epoch, q.threshold, q.total, [...q.custodians.keys()]]).toEqual([7, 2, 3, [1, 2, 6]]);
  });

  it('find nothing in a registry without epochs, and throw TypeError for junk', () => {
    expect(newestEpoch({ ...multiGenesis, epochs: [] })).toBeUndefined();
    expect(reviewers({ ...multiGenesis, epochs: [] })).toBeUndefined();
    for (const junk of [null, undefined, {}, { epochs: 'x' }]) expect(() => newestEpoch(junk as unknown as RegistryEntry)).toThrow(TypeError);
  });
});

describe('quorumOf', () => {
  it("gives each epoch's own threshold and custodians", () => {
    expect([3, 5, 7].map((e) => { const q = quorumOf(multiGenesis, e)!; return [q.threshold, [...q.custodians.keys()]]; })).toEqual([
      [4, [1, 2, 3, 4, 5]],
      [3, [1, 3, 4, 5]],
      [2, [1, 2, 6]],
    ]);
  });

  it('has none for an unlisted epoch; a non-number is a TypeError', () => {
    expect(quorumOf(multiGenesis, 4)).toBeUndefined();
    expect(() => quorumOf(multiGenesis, '7' as unknown as number)).toThrow(TypeError);
  });
});

describe('envelopeEpoch', () => {
  it('reads the epoch an envelope is sealed under', () => {
    expect(envelopeEpoch({ epoch: 5 })).toBe(5);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('epoch %s → RangeError', (epoch) => {
    expect(() => envelopeEpoch({ epoch })).toThrow(RangeError);
  });

  it('null → TypeError', () => {
    expect(() => envelopeEpoch(null as unknown as { epoch: number })).toThrow(TypeError);
  });
});
