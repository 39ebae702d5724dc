/**
 * The payload of a reshare's `dealers` and `aggregate` steps (docs/PROTOCOL.md
 * §3.9): Base64 of the dealers' custodian indices, one byte each, strictly
 * ascending, at least one. Written by the coordinator, read by every
 * custodian and the auditor: attacker-controlled where it is read.
 */
import { base64ToBytes, bytesToBase64 } from '../crypto/bytes';

/** Encodes a dealer set (indices in any order, each 1–255, distinct). */
function encodeDealerSet(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((x, k) => !Number.isInteger(x) || x < 1 || x > 255 || (k > 0 && sorted[k - 1] === x))) {
    throw new RangeError('a dealer set is 1–255 distinct custodian indices');
  }
  return bytesToBase64(Uint8Array.from(sorted));
}

/** The indices a payload lists, or undefined if it is not a well-formed dealer set. */
function decodeDealerSet(payload: string): number[] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(payload, 'payload');
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) return undefined;
    throw err;
  }
  const list = [...bytes];
  return list.length > 0 && list.every((x, k) => x >= 1 && (k === 0 || list[k - 1]! < x)) ? list : undefined;
}

export { decodeDealerSet, encodeDealerSet };
