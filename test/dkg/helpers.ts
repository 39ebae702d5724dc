/** Helpers for the ChillDKG tests: hex in either case, and matching the BIP's exception names. */
import { expect } from 'vitest';
import { DkgError, UnknownFaultyPartyError } from '@custodes/shared/dkg';
import type { DkgCode, DkgOutput, SessionParams } from '@custodes/shared/dkg';
import type { VectorError, VectorOutput, VectorParams } from '../vectors/chilldkg/load';

/** Hex (upper or lower case, as the BIP's vectors) to bytes; rejects anything else. */
export function unhex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`bad hex in vector: ${String(hex).slice(0, 20)}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function vectorParams(p: VectorParams): SessionParams {
  return { hostpubkeys: p.hostpubkeys.map(unhex), t: p.t };
}

/** The BIP's exception class names and our codes. ValueError is a caller's structural error here. */
const CODE_OF: Record<string, DkgCode | 'RangeError'> = {
  ValueError: 'RangeError',
  HostSeckeyError: 'HOST_SECKEY',
  InvalidHostPubkeyError: 'INVALID_HOSTPUBKEY',
  DuplicateHostPubkeyError: 'DUPLICATE_HOSTPUBKEY',
  ThresholdOrCountError: 'THRESHOLD_OR_COUNT',
  RandomnessError: 'RANDOMNESS',
  FaultyParticipantError: 'FAULTY_PARTICIPANT',
  FaultyParticipantOrCoordinatorError: 'FAULTY_PARTICIPANT_OR_COORDINATOR',
  FaultyCoordinatorError: 'FAULTY_COORDINATOR',
  UnknownFaultyParticipantOrCoordinatorError: 'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR',
  RecoveryDataError: 'RECOVERY_DATA',
  InvalidRecoveryAckError: 'INVALID_RECOVERY_ACK',
};

/** Our code for one of the BIP's exception class names (ValueError: 'RangeError'). */
export function codeOfBipError(type: string): DkgCode | 'RangeError' | undefined {
  return CODE_OF[type];
}

/** Runs `fn`, which must throw exactly what `expected` names (type, blame, message if given); returns the error. */
export function expectVectorError(fn: () => unknown, expected: VectorError): unknown {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  const code = CODE_OF[expected.type];
  expect(code, `unknown BIP exception ${expected.type}`).toBeDefined();
  if (code === 'RangeError') {
    expect(thrown, `expected ValueError, got ${String(thrown)}`).toBeInstanceOf(RangeError);
    return thrown;
  }
  expect(thrown, `expected ${expected.type}, got ${String(thrown)}`).toBeInstanceOf(DkgError);
  const e = thrown as DkgError;
  expect(e.code).toBe(code);
  if (code === 'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR') expect(e).toBeInstanceOf(UnknownFaultyPartyError);
  expect(e.participant).toBe(expected.participantId);
  expect(e.participants).toEqual(
    expected.participantId1 === undefined ? undefined : [expected.participantId1, expected.participantId2],
  );
  if (expected.message !== undefined) expect(e.message).toBe(expected.message);
  return e;
}

export function expectOutput(actual: DkgOutput, expected: VectorOutput): void {
  expect({
    secshare: actual.secshare === null ? null : hex(actual.secshare),
    threshPk: hex(actual.threshPk),
    pubshares: actual.pubshares.map(hex),
  }).toEqual({
    secshare: expected.secshare === null ? null : expected.secshare.toLowerCase(),
    threshPk: expected.threshPk.toLowerCase(),
    pubshares: expected.pubshares.map((p) => p.toLowerCase()),
  });
}
