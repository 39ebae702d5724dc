/**
 * The reason of a DKG `abort` entry (shared/src/records/dkgAbort.ts,
 * docs/PROTOCOL.md §3.8), as the auditor's report and a custodian's
 * `GET /v1/operator/dkg` show it: decoded, cut, never trusted.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64, utf8 } from '@custodes/shared/crypto';
import { ABORT_REASON_MAX, abortReason } from '@custodes/shared/records';

const b64 = (text: string) => bytesToBase64(utf8(text));

describe('abortReason', () => {
  it('decodes the UTF-8 reason', () => {
    expect(abortReason(b64('timeout'))).toBe('timeout');
    expect(abortReason(b64('blame'))).toBe('blame');
    expect(abortReason('')).toBe('');
  });

  it(`keeps ${ABORT_REASON_MAX} characters and marks the cut`, () => {
    expect(abortReason(b64('x'.repeat(ABORT_REASON_MAX)))).toBe('x'.repeat(ABORT_REASON_MAX));
    expect(abortReason(b64('x'.repeat(ABORT_REASON_MAX + 1)))).toBe(`${'x'.repeat(ABORT_REASON_MAX)}…`);
  });

  it('shows bytes that are not UTF-8 as U+FFFD', () => {
    expect(abortReason(bytesToBase64(new Uint8Array([0x74, 0xff, 0x74])))).toBe('t\ufffdt');
  });

  it('refuses what is not canonical Base64, and what is not a string', () => {
    expect(() => abortReason('not base64!')).toThrow(RangeError);
    expect(() => abortReason('dGltZW91dA')).toThrow(RangeError);
    expect(() => abortReason(null as unknown as string)).toThrow(TypeError);
  });
});
