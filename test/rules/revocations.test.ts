/**
 * Revocations (shared/src/rules/revocations.ts, docs/PROTOCOL.md §4.2
 * `revocation`, §8.1): the cover-sheet rule, and the warrant's own
 * investigator where the warrant is known; each refusal with its code.
 */
import { describe, expect, it } from 'vitest';
import { judgeRevocation } from '@custodes/shared/rules';
import type { RevocationEntry } from '@custodes/shared/records';
import { colleague, court, coverOf, investigator, outsider, revocationBy, signedWarrant, singleGenesis } from './corpus';
import type { Party } from './corpus';

const cover = coverOf(signedWarrant());
const revocation = (by: 'court' | 'investigator', signer: Party, bad?: true) => revocationBy(cover, { name: '', expected: { log: 'accept', warrant: 'accept' }, by, signer, ...(bad ? { bad } : {}) });

describe('judgeRevocation', () => {
  it('accepts the court, and the warrant’s investigator with or without the warrant known', () => {
    expect(judgeRevocation(revocation('court', court), singleGenesis, cover, investigator.publicKey)).toEqual({ ok: true });
    expect(judgeRevocation(revocation('investigator', investigator), singleGenesis, cover)).toEqual({ ok: true });
    expect(judgeRevocation(revocation('investigator', investigator), singleGenesis, cover, investigator.publicKey)).toEqual({ ok: true });
  });

  it('accepts a colleague of the agency from the cover sheet, refuses it knowing the warrant', () => {
    expect(judgeRevocation(revocation('investigator', colleague), singleGenesis, cover)).toEqual({ ok: true });
    expect(judgeRevocation(revocation('investigator', colleague), singleGenesis, cover, investigator.publicKey)).toMatchObject({ ok: false, code: 'NOT_THE_INVESTIGATOR' });
  });

  it.each<[string, RevocationEntry, string]>([
    ['an investigator signing as the court', revocation('court', investigator), 'NOT_THE_COURT'],
    ['an unregistered investigator', revocation('investigator', outsider), 'NOT_AN_INVESTIGATOR'],
    ['the court, under another key', revocation('court', court, true), 'BAD_SIGNATURE'],
    ['the investigator, under another key', revocation('investigator', investigator, true), 'BAD_SIGNATURE'],
  ])('refuses %s', (_, entry, code) => {
    expect(judgeRevocation(entry, singleGenesis, cover)).toMatchObject({ ok: false, code });
  });

  it('refuses a court revocation for a court the cover sheet does not name', () => {
    expect(judgeRevocation(revocation('court', court), singleGenesis, { ...cover, court: 'court-2' })).toMatchObject({ ok: false, code: 'NOT_THE_COURT' });
  });

  it('throws for junk and for another warrant’s cover sheet', () => {
    const e = revocation('court', court);
    expect(() => judgeRevocation(null as unknown as RevocationEntry, singleGenesis, cover)).toThrow(TypeError);
    expect(() => judgeRevocation(e, singleGenesis, null as unknown as typeof cover)).toThrow(TypeError);
    expect(() => judgeRevocation(e, singleGenesis, cover, 7 as unknown as string)).toThrow(TypeError);
    expect(() => judgeRevocation(e, singleGenesis, { ...cover, warrantId: '00000000-0000-4000-8000-000000000002' })).toThrow(RangeError);
  });
});
