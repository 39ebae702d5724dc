/**
 * Logs with an epoch made by ChillDKG (docs/PROTOCOL.md §3.8), built in-test
 * from the shared primitives: a real t-of-n session among the scenario's
 * custodians, a genesis proposing the epoch with their host keys, the
 * session's `dkg` entries (signed by each custodian, kind `dkg`) and the
 * `epoch` entry. `keys.ceremony` holds each custodian's OWN DKG share and
 * the session's commitments, so LogBuilder.misbehavior() makes real
 * evidence under the DKG key; no code here sums shares.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64, bytesToHex, decodePoint, hexToBytes } from '@custodes/shared/crypto';
import {
  coordinatorFinalize,
  coordinatorStep1,
  epochFromRecovery,
  hostpubkeyGen,
  participantFinalize,
  participantStep1,
  participantStep2,
  pmsg1Commitment,
} from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { DkgEntry, EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { keyPair, LogBuilder, T0 } from './scenario';
import type { Keys } from './scenario';

export const DKG_SESSION = '00000000-0000-4000-8000-00000000d4c1';

export interface DkgRun {
  readonly hostKeys: string[];
  readonly pmsgs1: Uint8Array[];
  readonly cmsg1: Uint8Array;
  readonly pmsgs2: Uint8Array[];
  readonly recoveryData: Uint8Array;
  /** Participant p's own secret share, p = index − 1. */
  readonly secshares: bigint[];
}

/** A t-of-n ChillDKG session with fresh host keys, as n participants and the coordinator run it. */
export function runDkg(t: number, n: number): DkgRun {
  const hostseckeys = Array.from({ length: n }, () => new Uint8Array(randomBytes(32)));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const s1 = hostseckeys.map((sk) => participantStep1(sk, params, new Uint8Array(randomBytes(32))));
  const c1 = coordinatorStep1(s1.map((s) => s.pmsg1), params);
  const s2 = hostseckeys.map((sk, i) => participantStep2(sk, s1[i]!.state, c1.cmsg1, new Uint8Array(randomBytes(32))));
  const fin = coordinatorFinalize(c1.state, s2.map((s) => s.pmsg2));
  const secshares = s2.map((s) => BigInt('0x' + bytesToHex(participantFinalize(s.state, fin.cmsg2).output.secshare!)));
  return {
    hostKeys: params.hostpubkeys.map(bytesToHex),
    pmsgs1: s1.map((s) => s.pmsg1),
    cmsg1: c1.cmsg1,
    pmsgs2: s2.map((s) => s.pmsg2),
    recoveryData: fin.recoveryData,
    secshares,
  };
}

/** Scenario keys whose epoch 1 is a 3-of-5 DKG (the LogBuilder's custodians, courts, agencies). */
export function makeDkgKeys(): { keys: Keys; dkg: DkgRun } {
  const dkg = runDkg(3, 5);
  const { commitments } = epochFromRecovery(dkg.recoveryData);
  const keys: Keys = {
    ceremony: { threshold: 3, total: 5, commitments: commitments.map((c) => decodePoint(hexToBytes(c, 33))), shares: dkg.secshares },
    custodians: Array.from({ length: 5 }, keyPair),
    log: keyPair(),
    external: keyPair(),
    courts: { 'court-a': keyPair(), 'court-b': keyPair() },
    investigators: { 'agency-x': keyPair(), 'agency-y': keyPair() },
  };
  return { keys, dkg };
}

/** The scenario's genesis with epoch 1 proposed (no keys; each custodian's hostKey), signed by all. */
export function proposedGenesis(keys: Keys, hostKeys: readonly string[], time = T0): RegistryEntry {
  const dealer = new LogBuilder(keys, time).entries[0] as RegistryEntry;
  const { groupKey: _g, commitments: _c, ...e } = dealer.epochs[0]!;
  const body: RegistryEntry = {
    ...dealer,
    epochs: [{ ...e, custodians: e.custodians.map((c) => ({ ...c, hostKey: hostKeys[c.index - 1]! })) }],
    signatures: [],
  };
  return { ...body, signatures: keys.custodians.map((k, i) => ({ custodian: i + 1, signature: signRecord(body, 'registry', k.secret) })) };
}

/** A participant's step, signed by custodian `i` (kind `dkg`, §3.5), or by `signer` to forge. */
export function participantEntry(keys: Keys, i: number, step: 'commit' | 'reveal' | 'certeq' | 'blame', payload: string, time: number, extra: Partial<DkgEntry> = {}, signer?: Uint8Array): DkgEntry {
  const body: DkgEntry = { type: 'dkg', epoch: 1, session: DKG_SESSION, step, custodian: i, payload, time, ...extra };
  return { ...body, signature: signRecord(body, 'dkg', signer ?? keys.custodians[i - 1]!.secret) };
}

/** Logs the whole session of epoch 1 (commits, reveals, aggregate, certeqs); returns the index of the last entry. */
export function logSession(log: LogBuilder, dkg: DkgRun, time: number): number {
  const n = dkg.pmsgs1.length;
  for (let i = 1; i <= n; i++) log.push(participantEntry(log.keys, i, 'commit', bytesToHex(pmsg1Commitment(dkg.pmsgs1[i - 1]!)), time));
  for (let i = 1; i <= n; i++) log.push(participantEntry(log.keys, i, 'reveal', bytesToBase64(dkg.pmsgs1[i - 1]!), time + 1));
  log.push({ type: 'dkg', epoch: 1, session: DKG_SESSION, step: 'aggregate', payload: bytesToBase64(dkg.cmsg1), time: time + 2 });
  let last = 0;
  for (let i = 1; i <= n; i++) last = log.push(participantEntry(log.keys, i, 'certeq', bytesToHex(dkg.pmsgs2[i - 1]!), time + 3));
  return last;
}

/** The epoch entry the coordinator logs for `dkg` (valid unless `over` breaks it). */
export function epochEntry(dkg: DkgRun, time: number, over: Partial<EpochEntry> = {}): EpochEntry {
  const k = epochFromRecovery(dkg.recoveryData);
  return { type: 'epoch', epoch: 1, session: DKG_SESSION, groupKey: k.groupKey, commitments: [...k.commitments], recoveryData: bytesToBase64(dkg.recoveryData), time, ...over };
}

/** A log whose genesis proposes epoch 1, then (unless `activate` is false) the session and its epoch entry. */
export function dkgLog(keys: Keys, dkg: DkgRun, activate = true): LogBuilder {
  const log = new LogBuilder(keys, T0, proposedGenesis(keys, dkg.hostKeys));
  if (activate) {
    logSession(log, dkg, T0 + 60);
    log.push(epochEntry(dkg, T0 + 120));
  }
  return log;
}
