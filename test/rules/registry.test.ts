/**
 * Registry acceptance (shared/src/rules/registry.ts, docs/PROTOCOL.md §4.2): one
 * sound genesis and one sound update, then every rule broken one way at a
 * time, each with its own code; junk arguments are a caller's bug (TypeError).
 */
import { describe, expect, it } from 'vitest';
import { judgeGenesis, judgeRegistryUpdate } from '@custodes/shared/rules';
import type { RegistryEntry } from '@custodes/shared/records';
import { logKey, MULTI, multiGenesis, otherLogKey, signAs, singleGenesis, unsignedRegistry } from './corpus';
import type { EpochSpec } from './corpus';

const SINGLE: readonly EpochSpec[] = [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5] }];
const bad = (custodian: number) => ({ custodian, bad: true }) as const;
const update = (signers: Parameters<typeof signAs>[1], over: Partial<RegistryEntry> = {}, epochs = SINGLE) => signAs(unsignedRegistry(1, epochs, over), signers);

describe('judgeGenesis', () => {
  it('accepts a genesis signed by every custodian it lists, with the expected log key', () => {
    expect(judgeGenesis(singleGenesis, { logKey: logKey.publicKey })).toEqual({ ok: true, signers: [1, 2, 3, 4, 5] });
    expect(judgeGenesis(multiGenesis)).toEqual({ ok: true, signers: [1, 2, 3, 4, 5, 6] });
  });

  it.each<[string, RegistryEntry, string]>([
    ['sequence 1', signAs(unsignedRegistry(0, SINGLE, { sequence: 1 }), [1, 2, 3, 4, 5]), 'REGISTRY_SEQUENCE'],
    ['t ≤ n/2', signAs(unsignedRegistry(0, [{ epoch: 1, threshold: 2, custodians: [1, 2, 3, 4, 5] }]), [1, 2, 3, 4, 5]), 'BAD_REGISTRY'],
    ['a signer twice', signAs(unsignedRegistry(0, SINGLE), [1, 2, 3, 3, 4, 5]), 'DUPLICATE_SIGNATURE'],
    ['an unknown signer besides all', signAs(unsignedRegistry(0, SINGLE), [1, 2, 3, 4, 5, 9]), 'UNKNOWN_CUSTODIAN'],
    ['an invalid signature', signAs(unsignedRegistry(0, SINGLE), [1, 2, bad(3), 4, 5]), 'BAD_SIGNATURE'],
    ['one custodian missing', signAs(unsignedRegistry(0, SINGLE), [1, 2, 3, 4]), 'MISSING_SIGNATURE'],
    ['an older-epoch-only custodian missing', signAs(unsignedRegistry(0, MULTI), [1, 2, 3, 4, 6]), 'MISSING_SIGNATURE'],
  ])('refuses %s as %s', (_, entry, code) => {
    expect(judgeGenesis(entry)).toMatchObject({ ok: false, code });
  });

  it('refuses another log key as REGISTRY_LOG_KEY when one is expected', () => {
    expect(judgeGenesis(singleGenesis, { logKey: otherLogKey.publicKey })).toMatchObject({ ok: false, code: 'REGISTRY_LOG_KEY' });
  });

  it('names who is missing', () => {
    const v = judgeGenesis(signAs(unsignedRegistry(0, SINGLE), [1, 3, 5]));
    expect(v).toEqual({ ok: false, code: 'MISSING_SIGNATURE', message: 'the genesis registry lacks the signature of custodian 2, 4' });
  });

  it.each([null, undefined, 'registry', 7, {}, { type: 'warrant', signatures: [] }])('throws TypeError for %j', (junk) => {
    expect(() => judgeGenesis(junk as unknown as RegistryEntry)).toThrow(TypeError);
  });
});

describe('judgeRegistryUpdate', () => {
  it('accepts t valid signatures of the newest epoch of the registry in force', () => {
    expect(judgeRegistryUpdate(update([1, 2, 3]), singleGenesis)).toEqual({ ok: true, signers: [1, 2, 3] });
    // Multi-epoch: the newest (7, t = 2 of {1, 2, 6}) is first in the array; not the last listed (5, t = 3), nor the largest t (4).
    expect(judgeRegistryUpdate(update([1, 6], {}, MULTI), multiGenesis)).toEqual({ ok: true, signers: [1, 6] });
  });

  it.each<[string, RegistryEntry, string]>([
    ['sequence + 2', update([1, 2, 3], { sequence: 2 }), 'REGISTRY_SEQUENCE'],
    ['another origin', update([1, 2, 3], { origin: 'elsewhere' }), 'REGISTRY_ORIGIN'],
    ['another log key', update([1, 2, 3], { logKey: otherLogKey.publicKey }), 'REGISTRY_LOG_KEY'],
    ['two epochs with one number', update([1, 2, 3], {}, [...SINGLE, ...SINGLE]), 'BAD_REGISTRY'],
    ['t valid and a signer twice', update([1, 2, 3, 3]), 'DUPLICATE_SIGNATURE'],
    ['t valid and an unknown signer', update([1, 2, 3, 9]), 'UNKNOWN_CUSTODIAN'],
    ['t valid and an invalid signature', update([1, 2, 3, bad(4)]), 'BAD_SIGNATURE'],
    ['t − 1 valid', update([1, 2]), 'INSUFFICIENT_SIGNATURES'],
  ])('refuses %s as %s', (_, next, code) => {
    expect(judgeRegistryUpdate(next, singleGenesis)).toMatchObject({ ok: false, code });
  });

  it('refuses signers of an older epoch only as UNKNOWN_CUSTODIAN, and t − 1 of the newest as INSUFFICIENT_SIGNATURES', () => {
    expect(judgeRegistryUpdate(update([3, 4, 5], {}, MULTI), multiGenesis)).toMatchObject({ ok: false, code: 'UNKNOWN_CUSTODIAN' });
    expect(judgeRegistryUpdate(update([6], {}, MULTI), multiGenesis)).toMatchObject({ ok: false, code: 'INSUFFICIENT_SIGNATURES' });
  });

  it('checks in order: sequence before origin before structure before signatures', () => {
    const everything = update([9], { sequence: 5, origin: 'elsewhere' }, [...SINGLE, ...SINGLE]);
    expect(judgeRegistryUpdate(everything, singleGenesis)).toMatchObject({ code: 'REGISTRY_SEQUENCE' });
    expect(judgeRegistryUpdate({ ...everything, sequence: 1 }, singleGenesis)).toMatchObject({ code: 'REGISTRY_ORIGIN' });
  });

  it('throws TypeError for junk', () => {
    expect(() => judgeRegistryUpdate(null as unknown as RegistryEntry, singleGenesis)).toThrow(TypeError);
    expect(() => judgeRegistryUpdate(singleGenesis, {} as RegistryEntry)).toThrow(TypeError);
  });
});
