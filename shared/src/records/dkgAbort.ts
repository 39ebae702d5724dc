/**
 * The reason a DKG `abort` entry carries (docs/PROTOCOL.md §3.8): its payload
 * is Base64 of a UTF-8 reason (`timeout`, `blame`, `invalid`), up to 200,000
 * characters on the wire. Reports and status views show at most
 * ABORT_REASON_MAX characters of it. The payload is attacker-controlled:
 * bytes that are not UTF-8 decode to U+FFFD, never throw.
 */
import { base64ToBytes } from '../crypto/bytes';

/** Longest abort reason shown; a longer one is cut and ends in "…". */
const ABORT_REASON_MAX = 200;

/** The abort's UTF-8 reason, cut to ABORT_REASON_MAX. Throws TypeError/RangeError if `payload` is not canonical Base64 (the schema refuses that first). */
function abortReason(payload: string): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(base64ToBytes(payload, 'payload'));
  return text.length > ABORT_REASON_MAX ? `${text.slice(0, ABORT_REASON_MAX)}…` : text;
}

export { ABORT_REASON_MAX, abortReason };
