/**
 * The coordinator's intake of `retired` statements and its refusal of
 * requests for a retired epoch (docs/PROTOCOL.md §3.10, §7.4, §7.6): each
 * refusal with its code, one test per check.
 */
import { describe, expect, it } from 'vitest';
import { signRecord } from '@custodes/shared/records';
import type { RetiredEntry } from '@custodes/shared/records';
import { CoordinatorError, statusOf } from '../../services/coordinator/src/errors';
import { checkRetired } from '../../services/coordinator/src/rules/recordChecks';
import { Registry } from '../../services/coordinator/src/rules/registryChecks';
import { requireNotRetired } from '../../services/coordinator/src/rules/warrantChecks';
import { custodianKeys, NOW, retiringGenesis, singleGenesis } from '../rules/corpus';

const retiring = new Registry(retiringGenesis, 0);

function statement(custodian: number, time: number, epoch = 1, signer = custodianKeys.get(custodian)!.secretKey): RetiredEntry {
  const body = { type: 'retired' as const, epoch, custodian, time };
  return { ...body, signature: signRecord(body, 'retired', signer) };
}

/** The code `fn` fails with, or 'ok'. */
function codeOf(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof CoordinatorError) return err.code;
    throw err;
  }
}

describe('checkRetired (POST /v1/records)', () => {
  it('accepts a custodian’s signed statement dated at or after retireAfter, up to 300 s ahead of the coordinator', () => {
    expect(codeOf(() => checkRetired(statement(1, NOW), retiring, NOW))).toBe('ok');
    expect(codeOf(() => checkRetired(statement(1, NOW + 300), retiring, NOW))).toBe('ok');
  });

  it.each<[string, RetiredEntry, Registry, string]>([
    ['dated more than 300 s in the coordinator’s future', statement(1, NOW + 301), retiring, 'BAD_REQUEST'],
    ['an epoch the registry does not list', statement(1, NOW, 3), retiring, 'UNKNOWN_EPOCH'],
    ['an epoch without retireAfter', statement(1, NOW), new Registry(singleGenesis, 0), 'FORBIDDEN'],
    ['a custodian not of the epoch', statement(8, NOW), retiring, 'UNKNOWN_CUSTODIAN'],
    ['dated before retireAfter', statement(1, NOW - 1), retiring, 'FORBIDDEN'],
    ['signed by another custodian', statement(1, NOW, 1, custodianKeys.get(2)!.secretKey), retiring, 'BAD_SIGNATURE'],
  ])('refuses %s', (_, entry, registry, code) => {
    expect(codeOf(() => checkRetired(entry, registry, NOW))).toBe(code);
  });
});

describe('requireNotRetired (POST /v1/requests/:id/submit, one-call requests)', () => {
  it('passes before retireAfter and for epochs without one; refuses EPOCH_RETIRED from retireAfter on, naming the date', () => {
    expect(codeOf(() => requireNotRetired([1], retiring, NOW - 1))).toBe('ok');
    expect(codeOf(() => requireNotRetired([1], new Registry(singleGenesis, 0), NOW + 10 ** 9))).toBe('ok');
    expect(codeOf(() => requireNotRetired([1], retiring, NOW))).toBe('EPOCH_RETIRED');
    expect(() => requireNotRetired(new Set([1]), retiring, NOW)).toThrow('epoch 1 was retired on 2027-01-15T08:00:00Z: its shares are destroyed and nothing sealed under it can be opened');
    expect(statusOf('EPOCH_RETIRED')).toBe(409);
  });
});
