/**
 * A whole ChillDKG session through @custodes/shared/dkg, in the shape the
 * Python driver (chilldkg_driver.py) prints, so the two can be compared byte
 * for byte; optionally with a participant that sends a bad encrypted share.
 */
import { randomBytes } from 'node:crypto';
import {
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorRecover,
  coordinatorStep1,
  DkgError,
  hostpubkeyGen,
  paramsHash,
  participantFinalize,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
  UnknownFaultyPartyError,
} from '@custodes/shared/dkg';
import type { DkgOutput, ParticipantState2 } from '@custodes/shared/dkg';
import { hex, unhex } from './helpers';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface SessionInput {
  t: number;
  hostseckeys: string[];
  randoms: string[];
  auxRands: string[];
  cheat: null | { from: number; to: number };
}

export interface HexOutput {
  secshare: string | null;
  threshPk: string;
  pubshares: string[];
}

export interface SessionResult {
  hostpubkeys: string[];
  paramsHash: string;
  pmsgs1: string[];
  cmsg1: string;
  cinvs: string[];
  /** Only with a cheat: what each participant whose step 2 failed blamed after investigating. */
  investigations?: Record<string, { code: string; participant: number | undefined; message: string }>;
  pmsgs2?: string[];
  cmsg2?: string;
  coordinatorOutput?: HexOutput;
  recoveryData?: string;
  participantOutputs?: HexOutput[];
  recovered?: HexOutput[];
  coordinatorRecovered?: HexOutput;
}

const rand32 = () => randomBytes(32).toString('hex');

/** Fresh random inputs for a t-of-n session. */
export function randomSession(t: number, n: number, cheat: SessionInput['cheat'] = null): SessionInput {
  return {
    t,
    hostseckeys: Array.from({ length: n }, rand32),
    randoms: Array.from({ length: n }, rand32),
    auxRands: Array.from({ length: n }, rand32),
    cheat,
  };
}

export function hexOutput(o: DkgOutput): HexOutput {
  return { secshare: o.secshare === null ? null : hex(o.secshare), threshPk: hex(o.threshPk), pubshares: o.pubshares.map(hex) };
}

/** pmsg1 with the encrypted share for `to` increased by 1 mod n (layout: com 33·t ‖ pop 64 ‖ pubnonce 33 ‖ shares 32·n). */
export function corruptEncShare(pmsg1: Uint8Array, t: number, to: number): Uint8Array {
  const out = pmsg1.slice();
  const off = 33 * t + 64 + 33 + 32 * to;
  const share = (BigInt('0x' + hex(out.subarray(off, off + 32))) + 1n) % N;
  out.set(unhex(share.toString(16).padStart(64, '0')), off);
  return out;
}

export function runSession(input: SessionInput): SessionResult {
  const seckeys = input.hostseckeys.map(unhex);
  const hostpubkeys = seckeys.map(hostpubkeyGen);
  const params = { hostpubkeys, t: input.t };

  const steps1 = seckeys.map((sk, i) => participantStep1(sk, params, unhex(input.randoms[i]!)));
  const pmsgs1 = steps1.map((s) => s.pmsg1);
  if (input.cheat) pmsgs1[input.cheat.from] = corruptEncShare(pmsgs1[input.cheat.from]!, input.t, input.cheat.to);
  const { state: cstate, cmsg1 } = coordinatorStep1(pmsgs1, params);
  const cinvs = coordinatorInvestigate(pmsgs1, params);
  const r: SessionResult = {
    hostpubkeys: hostpubkeys.map(hex),
    paramsHash: hex(paramsHash(params)),
    pmsgs1: pmsgs1.map(hex),
    cmsg1: hex(cmsg1),
    cinvs: cinvs.map(hex),
  };

  const states2: ParticipantState2[] = [];
  const pmsgs2: Uint8Array[] = [];
  const investigations: NonNullable<SessionResult['investigations']> = {};
  seckeys.forEach((sk, i) => {
    try {
      const { state, pmsg2 } = participantStep2(sk, steps1[i]!.state, cmsg1, unhex(input.auxRands[i]!));
      states2.push(state);
      pmsgs2.push(pmsg2);
    } catch (err) {
      if (!(err instanceof UnknownFaultyPartyError)) throw err;
      try {
        participantInvestigate(err, cinvs[i]!);
      } catch (blamed) {
        if (!(blamed instanceof DkgError)) throw blamed;
        investigations[String(i)] = { code: blamed.code, participant: blamed.participant, message: blamed.message };
      }
    }
  });
  if (Object.keys(investigations).length > 0) return { ...r, investigations };

  const { cmsg2, output, recoveryData } = coordinatorFinalize(cstate, pmsgs2);
  const finals = states2.map((s) => participantFinalize(s, cmsg2));
  for (const f of finals) if (hex(f.recoveryData) !== hex(recoveryData)) throw new Error('participants disagree on the recovery data');
  return {
    ...r,
    pmsgs2: pmsgs2.map(hex),
    cmsg2: hex(cmsg2),
    coordinatorOutput: hexOutput(output),
    recoveryData: hex(recoveryData),
    participantOutputs: finals.map((f) => hexOutput(f.output)),
    recovered: seckeys.map((sk) => hexOutput(participantRecover(sk, recoveryData).output)),
    coordinatorRecovered: hexOutput(coordinatorRecover(recoveryData).output),
  };
}
