/**
 * Shared fixtures for the crypto tests: a ceremony with its files decoded, the
 * k-subsets of a set, byte tampering, and exact-outcome assertions.
 */
import { expect } from 'vitest';
import { CURVE_ORDER, dealShares, parseEnvelope, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import type { Envelope, Label, ParsedEnvelope } from '@custodes/shared/crypto';
import { ceremonyFiles, parsePublicKeySet, parseShareFile } from '@custodes/shared/records';
import type { CustodianShare, EpochKeys, PublicKeySet, ShareFile } from '@custodes/shared/records';
// Type only: the root entry also loads shared/src/log, which these tests do not need.
import type { ProtocolCode, ProtocolError } from '@custodes/shared';

export interface Fixture {
  keys: EpochKeys;
  shares: CustodianShare[];
  files: { publicKeySet: PublicKeySet; shares: ShareFile[] };
}

/** A fresh t-of-n ceremony for `epoch`, passed through its own file formats. */
export function ceremony(threshold: number, total: number, epoch = 1): Fixture {
  const files = ceremonyFiles(dealShares(threshold, total), epoch);
  return {
    keys: parsePublicKeySet(files.publicKeySet),
    shares: files.shares.map((s) => parseShareFile(s)),
    files,
  };
}

export function shareOf(f: Fixture, index: number): CustodianShare {
  const s = f.shares[index - 1];
  if (!s) throw new RangeError(`no share ${index}`);
  return s;
}

export function seal(f: Fixture, text: string, label: Label): { envelope: Envelope; env: ParsedEnvelope } {
  const envelope = sealEnvelope(utf8(text), f.keys.groupKey, f.keys.epoch, label);
  return { envelope, env: parseEnvelope(envelope) };
}

/** All k-element subsets of `items`, in lexicographic order. */
export function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of subsets(items.slice(i + 1), k - 1)) out.push([item, ...rest]);
  });
  return out;
}

/** Flips the low bit of byte `at` (negative counts from the end) of a base64 string. */
export function flipBase64(b64: string, at = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 1;
  return bytes.toString('base64');
}

/** Flips the low bit of byte `at` of a lower-case hex string. */
export function flipHex(hex: string, at = 0): string {
  const bytes = Buffer.from(hex, 'hex');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 1;
  return bytes.toString('hex');
}

export const hex32 = (k: bigint): string => k.toString(16).padStart(64, '0');

/** a^(n−2) mod n: the inverse mod the prime group order (test-side, no library help). */
export function invMod(a: bigint, n: bigint = CURVE_ORDER): bigint {
  let result = 1n;
  let base = ((a % n) + n) % n;
  let e = n - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % n;
    base = (base * base) % n;
    e >>= 1n;
  }
  return result;
}

/** Runs `fn`, expecting a ProtocolError with `code` (and a message matching `message`). */
export function expectProtocolError(fn: () => unknown, code: ProtocolCode, message?: RegExp): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ProtocolError ${code}`).toBeInstanceOf(Error);
  const err = caught as ProtocolError;
  expect(err.name, String(err)).toBe('ProtocolError');
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}
