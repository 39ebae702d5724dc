/**
 * Whole ChillDKG sessions through the public API (no Python needed): a
 * participant that sends a bad encrypted share is blamed, exactly, by the
 * investigation; recovery from the host secret key and the recovery data
 * gives back each participant's output; any t shares are shares of the
 * threshold key; the coordinator blames a bad certificate signature; recovery
 * acknowledgments; and our prefixed BIP340 (the pop's) is BIP340 itself
 * under the prefix "BIP0340".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decodePoint,
  encodePoint,
  lagrangeCoefficients,
  mulBase,
  pointEquals,
  schnorrSign,
  scalarFromBytes,
} from '@custodes/shared/crypto';
import {
  coordinatorFinalize,
  coordinatorRecover,
  coordinatorStep1,
  DkgError,
  hostpubkeyGen,
  participantFinalize,
  participantInvestigate,
  participantRecover,
  participantRecoveryAckSign,
  participantRecoveryAcksVerify,
  participantStep1,
  participantStep2,
  UnknownFaultyPartyError,
} from '@custodes/shared/dkg';
import { execFileSync } from 'node:child_process';
import { add, IDENTITY, mulPublic } from '../../shared/src/crypto/group';
import { schnorrSignPrefixed, schnorrVerifyPrefixed } from '../../shared/src/dkg/schnorr';
import { hex, unhex } from './helpers';
import { corruptEncShare, randomSession, runSession } from './session';
import type { SessionInput } from './session';

function expectDkgError(fn: () => unknown, code: DkgError['code'], participant?: number): DkgError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code}, got ${String(thrown)}`).toBeInstanceOf(DkgError);
  const e = thrown as DkgError;
  expect(e.code).toBe(code);
  expect(e.participant).toBe(participant);
  return e;
}

/** Runs a session up to the recovery data. */
function honestSession(t: number, n: number) {
  const input = randomSession(t, n);
  const seckeys = input.hostseckeys.map(unhex);
  const params = { hostpubkeys: seckeys.map(hostpubkeyGen), t };
  const steps1 = seckeys.map((sk, i) => participantStep1(sk, params, unhex(input.randoms[i]!)));
  const c1 = coordinatorStep1(
    steps1.map((s) => s.pmsg1),
    params,
  );
  const steps2 = seckeys.map((sk, i) => participantStep2(sk, steps1[i]!.state, c1.cmsg1, unhex(input.auxRands[i]!)));
  const pmsgs2 = steps2.map((s) => s.pmsg2);
  const c2 = coordinatorFinalize(c1.state, pmsgs2);
  const finals = steps2.map((s) => participantFinalize(s.state, c2.cmsg2));
  return { input, seckeys, params, c1, pmsgs2, c2, finals };
}

describe('a participant sending a bad encrypted share', () => {
  // Every ordered pair in a 3-of-4 session: the victim's investigation names the cheater, nobody else fails.
  const pairs = [0, 1, 2, 3].flatMap((from) => [0, 1, 2, 3].filter((to) => to !== from).map((to) => ({ from, to })));
  it.each(pairs)('participant $from cheating $to is blamed by $to alone', (cheat) => {
    const r = runSession(randomSession(3, 4, cheat));
    expect(r.investigations).toEqual({
      [String(cheat.to)]: {
        code: 'FAULTY_PARTICIPANT_OR_COORDINATOR',
        participant: cheat.from,
        message: 'Participant sent invalid partial secshare',
      },
    });
  });

  it('step by step: step 2 cannot tell whom to blame, the investigation can', () => {
    const input: SessionInput = randomSession(2, 3);
    const seckeys = input.hostseckeys.map(unhex);
    const params = { hostpubkeys: seckeys.map(hostpubkeyGen), t: 2 };
    const steps1 = seckeys.map((sk, i) => participantStep1(sk, params, unhex(input.randoms[i]!)));
    const pmsgs1 = steps1.map((s) => s.pmsg1);
    pmsgs1[2] = corruptEncShare(pmsgs1[2]!, 2, 0);
    const { cmsg1 } = coordinatorStep1(pmsgs1, params);
    const unknown = expectDkgError(
      () => participantStep2(seckeys[0]!, steps1[0]!.state, cmsg1, unhex(input.auxRands[0]!)),
      'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR',
    );
    expect(unknown).toBeInstanceOf(UnknownFaultyPartyError);
    const cinv = runSession({ ...input, cheat: { from: 2, to: 0 } }).cinvs[0]!;
    expectDkgError(() => participantInvestigate(unknown as UnknownFaultyPartyError, unhex(cinv)), 'FAULTY_PARTICIPANT_OR_COORDINATOR', 2);
  });

  it('a bad share to oneself reads as the coordinator fiddling (the BIP: we are not faulty)', () => {
    const r = runSession(randomSession(2, 3, { from: 1, to: 1 }));
    expect(r.investigations).toEqual({
      '1': { code: 'FAULTY_COORDINATOR', participant: undefined, message: 'Coordinator fiddled with the share from me to myself' },
    });
  });
});

describe('recovery', () => {
  it('participantRecover(hostseckey, recovery data) gives back each participant output; coordinatorRecover the public part', () => {
    const { seckeys, params, c2, finals } = honestSession(3, 5);
    seckeys.forEach((sk, i) => {
      const { output, params: recovered } = participantRecover(sk, c2.recoveryData);
      expect(bytesToHex(output.secshare!)).toBe(bytesToHex(finals[i]!.output.secshare!));
      expect(output.threshPk).toEqual(finals[i]!.output.threshPk);
      expect(output.pubshares).toEqual(finals[i]!.output.pubshares);
      expect(recovered.t).toBe(3);
      expect(recovered.hostpubkeys).toEqual(params.hostpubkeys);
    });
    const coord = coordinatorRecover(c2.recoveryData).output;
    expect(coord.secshare).toBeNull();
    expect(coord.threshPk).toEqual(c2.output.threshPk);
  });

  it('refuses a host key of no participant, and every recovery data with one bit flipped', () => {
    const { seckeys, c2 } = honestSession(2, 3);
    expectDkgError(() => participantRecover(unhex('11'.repeat(32)), c2.recoveryData), 'HOST_SECKEY');
    // Every 5th byte, one bit each: parse, parameters or certificate must fail, for both roles.
    for (let i = 0; i < c2.recoveryData.length; i += 5) {
      const bad = c2.recoveryData.slice();
      bad[i]! ^= 1 << i % 8;
      expectDkgError(() => coordinatorRecover(bad), 'RECOVERY_DATA');
      expectDkgError(() => participantRecover(seckeys[i % 3]!, bad), 'RECOVERY_DATA');
    }
  });
});

describe('outputs', () => {
  it('secshare·G = pubshare, and any t pubshares interpolate to the threshold key', () => {
    const { finals, c2 } = honestSession(3, 5);
    finals.forEach((f, i) => {
      expect(pointEquals(mulBase(scalarFromBytes(f.output.secshare!)), decodePoint(f.output.pubshares[i]!))).toBe(true);
      expect(f.output.threshPk).toEqual(c2.output.threshPk);
    });
    for (const set of [
      [0, 1, 2],
      [2, 3, 4],
      [0, 2, 4],
    ]) {
      const lambda = lagrangeCoefficients(set.map((i) => i + 1)); // participant i holds f(i + 1)
      const Y = set.reduce((acc, i) => add(acc, mulPublic(decodePoint(c2.output.pubshares[i]!), lambda.get(i + 1)!)), IDENTITY);
      expect(hex(encodePoint(Y))).toBe(hex(c2.output.threshPk));
    }
  });
});

describe('CertEq', () => {
  it('the coordinator blames the first participant whose signature fails', () => {
    const { c1, pmsgs2 } = honestSession(2, 3);
    const swapped = [pmsgs2[0]!, pmsgs2[2]!, pmsgs2[1]!];
    const e = expectDkgError(() => coordinatorFinalize(c1.state, swapped), 'FAULTY_PARTICIPANT', 1);
    expect(e.message).toBe('Participant has provided an invalid signature for the certificate');
  });

  it('recovery acknowledgments: all n verify; a wrong one blames its signer', () => {
    const { seckeys, params, c2 } = honestSession(2, 3);
    const acks = seckeys.map((sk) => participantRecoveryAckSign(sk, c2.recoveryData, params, unhex('07'.repeat(32))));
    expect(() => participantRecoveryAcksVerify(c2.recoveryData, params, acks)).not.toThrow();
    expectDkgError(() => participantRecoveryAcksVerify(c2.recoveryData, params, [acks[0]!, acks[0]!, acks[2]!]), 'INVALID_RECOVERY_ACK', 1);
    expectDkgError(
      () => participantRecoveryAckSign(seckeys[0]!, c2.recoveryData, { ...params, t: 3 }, unhex('07'.repeat(32))),
      'RECOVERY_DATA',
    );
  });
});

describe('BIP340 with a tag prefix', () => {
  const rows = readFileSync(new URL('../vectors/bip340.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));

  it.each(rows.map((r) => [r[0]!, r] as const))('BIP340 vector %s under the prefix "BIP0340"', (_i, r) => {
    const [, sk, pk, aux, msg, sig, result] = r as [string, string, string, string, string, string, string];
    const lower = (s: string) => unhex(s.toLowerCase());
    if (sk !== '') expect(hex(schnorrSignPrefixed(lower(msg), lower(sk), lower(aux), 'BIP0340'))).toBe(sig.toLowerCase());
    expect(schnorrVerifyPrefixed(lower(sig), lower(msg), lower(pk), 'BIP0340')).toBe(result === 'TRUE');
  });

  it('equals group.ts schnorrSign for "BIP0340", and a pop does not verify as plain BIP340', () => {
    for (let i = 1; i < 20; i++) {
      const sk = unhex(i.toString(16).padStart(64, '0'));
      const aux = unhex('ab'.repeat(32));
      const msg = unhex('00'.repeat(i));
      expect(hex(schnorrSignPrefixed(msg, sk, aux, 'BIP0340'))).toBe(hex(schnorrSign(msg, sk, aux)));
      const pk = encodePoint(mulBase(BigInt(i))).subarray(1);
      const pop = schnorrSignPrefixed(msg, sk, aux, 'BIP DKG/pop message');
      expect(schnorrVerifyPrefixed(pop, msg, pk, 'BIP DKG/pop message')).toBe(true);
      expect(schnorrVerifyPrefixed(pop, msg, pk, 'BIP0340')).toBe(false);
    }
  });
});

describe('group backends', () => {
  // One child process per CUSTODES_CRYPTO_BACKEND value: a process chooses its
  // backend once at start-up (shared/src/crypto/backend.ts).
  const FIXTURE = new URL('./fixtures/session-bytes.ts', import.meta.url).pathname;
  const runIn = (choice: string | undefined, input: SessionInput): { backend: string; bytes: string } => {
    const env = { ...process.env };
    delete env.CUSTODES_CRYPTO_BACKEND;
    if (choice !== undefined) env.CUSTODES_CRYPTO_BACKEND = choice;
    return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', FIXTURE], { env, input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 }));
  };

  it('one session gives the same bytes natively, in WASM and on noble', () => {
    const input = randomSession(3, 4, null);
    const native = runIn(undefined, input);
    const wasm = runIn('wasm', input);
    const noble = runIn('noble', input);
    expect([native.backend, wasm.backend, noble.backend]).toEqual(['libsecp256k1-native', 'libsecp256k1-wasm', 'noble']);
    expect(wasm.bytes).toBe(noble.bytes);
    expect(native.bytes).toBe(noble.bytes);
    expect(JSON.parse(noble.bytes)).toEqual(JSON.parse(JSON.stringify(runSession(input))));
  });
});
