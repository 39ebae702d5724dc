/**
 * Webhook signatures (docs/PROTOCOL.md §9.7): a signed event verifies; a
 * changed body, id, timestamp or secret does not; stale timestamps, missing
 * or malformed headers are refused with their reason; bad arguments throw.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '@custodes/shared/service';

const SECRET = randomBytes(32).toString('hex');
const NOW = 1_800_000_000;
const BODY = JSON.stringify({ id: 'e1', type: 'release.refused', time: NOW, source: { service: 'custodian', custodian: 1 }, data: { code: 'STALE_CALL' } });

describe('signWebhook / verifyWebhook', () => {
  it('verifies what it signed, over the exact bytes', () => {
    const h = signWebhook(SECRET, 'e1', NOW, BODY);
    expect(h['custodes-webhook-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, h, BODY, NOW)).toEqual({ ok: true, id: 'e1', timestamp: NOW });
    expect(verifyWebhook(SECRET, h, Buffer.from(BODY), NOW + 300).ok).toBe(true);
  });

  it('refuses every change, each with its reason', () => {
    const h = signWebhook(SECRET, 'e1', NOW, BODY);
    const bad = (headers: Record<string, string | string[] | undefined>, body = BODY, secret = SECRET, now = NOW) => verifyWebhook(secret, headers, body, now);
    expect(bad(h, BODY.replace('STALE_CALL', 'BAD_BINDING'))).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(bad({ ...h, 'custodes-webhook-id': 'e2' })).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(bad({ ...h, 'custodes-webhook-timestamp': String(NOW + 1) })).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(bad(h, BODY, randomBytes(32).toString('hex'))).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(bad(h, BODY, SECRET, NOW + 301)).toEqual({ ok: false, reason: 'STALE' });
    expect(bad(h, BODY, SECRET, NOW - 301)).toEqual({ ok: false, reason: 'STALE' });
    for (const name of ['custodes-webhook-id', 'custodes-webhook-timestamp', 'custodes-webhook-signature']) {
      expect(bad({ ...h, [name]: undefined })).toEqual({ ok: false, reason: 'MISSING_HEADER' });
      expect(bad({ ...h, [name]: ['a', 'b'] })).toEqual({ ok: false, reason: 'MISSING_HEADER' });
    }
    for (const ts of ['', '01', '-1', '1e9', ' 1', 'NaN']) expect(bad({ ...h, 'custodes-webhook-timestamp': ts }).ok, ts).toBe(false);
    const sig = h['custodes-webhook-signature']!;
    for (const s of [sig.slice(3), `v2=${sig.slice(3)}`, sig.toUpperCase(), `${sig}00`, 'v1=']) {
      expect(bad({ ...h, 'custodes-webhook-signature': s }), s).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    }
  });

  it('throws for a caller bug: a short or missing secret, a bad id or timestamp', () => {
    expect(() => signWebhook('short', 'e1', NOW, BODY)).toThrow(RangeError);
    expect(() => verifyWebhook('short', {}, BODY, NOW)).toThrow(RangeError);
    expect(() => signWebhook(null as unknown as string, 'e1', NOW, BODY)).toThrow(TypeError);
    expect(() => signWebhook(SECRET, '', NOW, BODY)).toThrow(RangeError);
    expect(() => signWebhook(SECRET, 'e1', NaN, BODY)).toThrow(RangeError);
    expect(() => verifyWebhook(SECRET, {}, BODY, NaN)).toThrow(TypeError);
  });
});
