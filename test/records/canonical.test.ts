/**
 * One spelling per value where JCS alone does not give one (docs/PROTOCOL.md
 * §4.2): a request's `epochs` strictly ascending, every id a lower-case UUID.
 * Both are refused by the shared schemas, so every service refuses them alike.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ApprovalEntrySchema,
  DecryptionRequestEntrySchema,
  PartialsCallSchema,
  SignedWarrantSchema,
  Uuid,
  WarrantEntrySchema,
} from '@custodes/shared/records';

const hex = (n: number, c = 'a') => c.repeat(2 * n);

function request(over: Record<string, unknown> = {}) {
  return {
    type: 'decryption-request',
    requestId: randomUUID(),
    warrantId: randomUUID(),
    investigator: hex(32),
    envelopeCount: 1,
    envelopeSetRoot: hex(32, 'b'),
    epochs: [0],
    time: 1_764_115_200,
    signature: hex(64, 'c'),
    ...over,
  };
}

const messageOf = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues.map((i) => i.message).join('; ');

describe('decryption-request epochs', () => {
  it('accepts strictly ascending epochs', () => {
    for (const epochs of [[0], [1], [0, 1], [1, 2, 7], [0, 0xffffffff]]) {
      expect(DecryptionRequestEntrySchema.safeParse(request({ epochs })).success, JSON.stringify(epochs)).toBe(true);
    }
  });

  it('refuses an unsorted or repeated list, saying why', () => {
    for (const epochs of [[1, 0], [2, 1, 3], [0, 0], [1, 2, 2], [3, 3, 3]]) {
      const r = DecryptionRequestEntrySchema.safeParse(request({ epochs }));
      expect(r.success, JSON.stringify(epochs)).toBe(false);
      expect(messageOf(r)).toMatch(/strictly ascending/);
    }
  });
});

describe('UUIDs are lower case', () => {
  const lower = randomUUID();
  const upper = lower.toUpperCase();

  it('the Uuid schema takes the lower-case spelling only', () => {
    expect(Uuid.safeParse(lower).success).toBe(true);
    const r = Uuid.safeParse(upper);
    expect(r.success).toBe(false);
    expect(messageOf(r)).toMatch(/lower-case UUID/);
    expect(Uuid.safeParse(lower.slice(0, 9) + lower.slice(9).toUpperCase()).success).toBe(false);
    expect(Uuid.safeParse('not-a-uuid').success).toBe(false);
  });

  it('every record with an id refuses an upper-case one', () => {
    expect(DecryptionRequestEntrySchema.safeParse(request({ requestId: upper })).success).toBe(false);
    expect(DecryptionRequestEntrySchema.safeParse(request({ warrantId: upper })).success).toBe(false);
    expect(DecryptionRequestEntrySchema.safeParse(request()).success).toBe(true);
    const approval = { type: 'approval', warrantId: lower, commitment: hex(32), custodian: 1, decision: 'approve', time: 1, signature: hex(64) };
    expect(ApprovalEntrySchema.safeParse(approval).success).toBe(true);
    expect(ApprovalEntrySchema.safeParse({ ...approval, warrantId: upper }).success).toBe(false);
    const call = { type: 'partials-call', custodian: 1, requestId: lower, envelopeCount: 1, envelopeSetRoot: hex(32), issuedAt: 1, signature: hex(64) };
    expect(PartialsCallSchema.safeParse(call).success).toBe(true);
    expect(PartialsCallSchema.safeParse({ ...call, requestId: upper }).success).toBe(false);
    const cover = {
      type: 'warrant', warrantId: lower, commitment: hex(32), agency: 'a', court: 'c', legalAuthority: 'x', categories: ['m'], subjectCount: 1,
      notBefore: 0, notAfter: 1, issuedAt: 0, expiresAt: 2, sealedUntil: 0, maxEnvelopes: 1,
    };
    expect(WarrantEntrySchema.safeParse(cover).success).toBe(true);
    expect(WarrantEntrySchema.safeParse({ ...cover, warrantId: upper }).success).toBe(false);
  });

  it('a signed warrant with an upper-case id is refused', () => {
    const warrant = {
      format: 'custodes.warrant.v1', id: lower, agency: 'a', investigator: hex(32), court: 'c', caseNumber: 'n', legalAuthority: 'l', offense: 'o',
      scope: { subjects: ['s'], categories: ['m'], notBefore: 0, notAfter: 1 }, maxEnvelopes: 1, issuedAt: 0, expiresAt: 2, sealedUntil: 0,
      courtSignature: hex(64), investigatorSignature: hex(64),
    };
    expect(SignedWarrantSchema.safeParse(warrant).success).toBe(true);
    const r = SignedWarrantSchema.safeParse({ ...warrant, id: upper });
    expect(r.success).toBe(false);
    expect(messageOf(r)).toMatch(/lower-case UUID/);
  });
});
