/**
 * The auditor on epochs made by ChillDKG (docs/PROTOCOL.md §3.8, §8.8): a log
 * with a real 3-of-5 session and its epoch entry, then warrants decrypted
 * under the DKG key, verifies with zero findings; each rule broken once gives
 * exactly its finding; blames and aborts land in the report, not in findings.
 */
import { describe, expect, test } from 'vitest';
import { bytesToBase64, bytesToHex, encodePoint } from '@custodes/shared/crypto';
import { epochFromRecovery } from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { DkgEntry } from '@custodes/shared/records';
import { buildReport, checkLeaves, provenEpochKeys, renderReportHtml } from '@custodes/auditor';
import { ceremonyFiles } from '@custodes/shared/records';
import type { Finding } from '@custodes/auditor';
import { DKG_SESSION, dkgLog, epochEntry, logSession, makeDkgKeys, participantEntry, proposedGenesis, runDkg } from './dkgScenario';
import { DAY, HOUR, LogBuilder, T0 } from './scenario';
import type { RequestHandle } from './scenario';

const { keys, dkg } = makeDkgKeys();
const NOW = T0 + 90 * DAY;

const audit = (log: LogBuilder) => checkLeaves(log.leaves(), { now: NOW });
const brief = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.index} ${f.code}`);

/** A warrant approved by 1, 2, 3, a request of 2 envelopes for epoch 1, released by 1, 2, 3. */
function decrypted(log: LogBuilder): RequestHandle {
  const w = log.warrant({ issuedAt: T0 + DAY });
  log.approveBy(w, [1, 2, 3], T0 + DAY + HOUR);
  const r = log.request(w, 2, T0 + 2 * DAY);
  log.releaseBy(r, [1, 2, 3]);
  return r;
}

describe('a clean DKG epoch', () => {
  test('verifies with zero findings, and the registry in force carries the keys recomputed from the recovery data', () => {
    const log = dkgLog(keys, dkg);
    const r = decrypted(log);
    log.misbehavior(r, 4); // a wrong partial by custodian 4, checked against X_4 from the logged DKG
    log.complete(r, 2, T0 + 2 * DAY + 60, [4]);
    const { findings, state } = audit(log);
    expect(findings).toEqual([]);
    const k = epochFromRecovery(dkg.recoveryData);
    expect(state.registry?.epoch(1)?.groupKey).toBe(k.groupKey);
    expect(state.activations.get(1)?.index).toBe(17);
    const shares = state.registry!.verificationShares(1)!;
    expect([1, 2, 3, 4, 5].map((i) => bytesToHex(encodePoint(shares.get(i)!)))).toEqual(k.publicShares);
    expect(state.misbehaviors).toHaveLength(1);
  });

  test('a true partial blamed as misbehavior is FALSE_MISBEHAVIOR: evidence is judged by the DKG public shares', () => {
    const log = dkgLog(keys, dkg);
    const r = decrypted(log);
    const at = log.misbehavior(r, 4, true);
    expect(brief(audit(log).findings)).toEqual([`${at} FALSE_MISBEHAVIOR`]);
  });

  test('the report lists the epoch as made by the DKG and the session as activated', () => {
    const log = dkgLog(keys, dkg);
    const { findings, state } = audit(log);
    const report = buildReport({ audit: state, leaves: log.leaves(), findings, checkpointAccepted: true });
    expect(report.keyGeneration.epochs).toEqual([
      {
        epoch: 1,
        threshold: 3,
        total: 5,
        custodians: [1, 2, 3, 4, 5],
        origin: 'dkg',
        proposedAt: 0,
        reshareOf: null,
        groupKey: epochFromRecovery(dkg.recoveryData).groupKey,
        activatedAt: 17,
        activatedTime: T0 + 120,
        session: DKG_SESSION,
        dealers: null,
        complaints: [],
        supersededBy: null,
        destroyed: [],
        retireAfter: null,
        retirements: [],
      },
    ]);
    expect(report.keyGeneration.sessions).toEqual([
      { epoch: 1, session: DKG_SESSION, index: 1, commits: 5, reveals: 5, aggregate: true, certeqs: 5, blames: [], abort: null, outcome: 'activated' },
    ]);
  });
});

describe('each rule broken once gives exactly its finding', () => {
  /** A log with the session but without its epoch entry, to append a broken one. */
  function withoutEpochEntry(): LogBuilder {
    const log = new LogBuilder(keys, T0, proposedGenesis(keys, dkg.hostKeys));
    logSession(log, dkg, T0 + 60);
    return log;
  }

  test('BAD_EPOCH_CERTIFICATE: a certificate signature flipped in the recovery data', () => {
    const log = withoutEpochEntry();
    const bad = dkg.recoveryData.slice();
    bad[bad.length - 10]! ^= 1;
    const at = log.push(epochEntry(dkg, T0 + 120, { recoveryData: bytesToBase64(bad) }));
    const { findings, state } = audit(log);
    expect(brief(findings)).toEqual([`${at} BAD_EPOCH_CERTIFICATE`]);
    expect(state.registry?.epoch(1)?.groupKey).toBeUndefined();
  });

  test('EPOCH_KEY_MISMATCH: a groupKey that is not the recovery data’s', () => {
    const log = withoutEpochEntry();
    const e = epochEntry(dkg, T0 + 120);
    const at = log.push({ ...e, groupKey: e.commitments[1]! });
    expect(brief(audit(log).findings)).toEqual([`${at} EPOCH_KEY_MISMATCH`]);
  });

  test('EPOCH_KEY_MISMATCH: commitments that are not the recovery data’s', () => {
    const log = withoutEpochEntry();
    const e = epochEntry(dkg, T0 + 120);
    const at = log.push({ ...e, commitments: [e.commitments[0]!, e.commitments[2]!, e.commitments[1]!] });
    expect(brief(audit(log).findings)).toEqual([`${at} EPOCH_KEY_MISMATCH`]);
  });

  test('EPOCH_SESSION_MISMATCH: a valid session among other host keys', () => {
    const log = withoutEpochEntry();
    const at = log.push(epochEntry(runDkg(3, 5), T0 + 120));
    expect(brief(audit(log).findings)).toEqual([`${at} EPOCH_SESSION_MISMATCH`]);
  });

  test('DUPLICATE_ENTRY: a second epoch entry for an activated epoch', () => {
    const log = dkgLog(keys, dkg);
    const at = log.push(epochEntry(dkg, T0 + 130));
    expect(brief(audit(log).findings)).toEqual([`${at} DUPLICATE_ENTRY`]);
  });

  test('EPOCH_NOT_PROPOSED: an epoch entry or a dkg step for a dealer epoch', () => {
    const log = new LogBuilder(keys);
    const a = log.push(epochEntry(dkg, T0 + 120));
    const b = log.push(participantEntry(keys, 1, 'commit', '00'.repeat(32), T0 + 130));
    expect(brief(audit(log).findings)).toEqual([`${a} EPOCH_NOT_PROPOSED`, `${b} EPOCH_NOT_PROPOSED`]);
  });

  test('UNKNOWN_EPOCH: an epoch entry for an epoch the registry does not list', () => {
    const log = withoutEpochEntry();
    const at = log.push(epochEntry(dkg, T0 + 120, { epoch: 2 }));
    expect(brief(audit(log).findings)).toEqual([`${at} UNKNOWN_EPOCH`]);
  });

  test('EPOCH_NOT_ACTIVE: a request and releases for a proposed epoch (no epoch entry)', () => {
    const log = dkgLog(keys, dkg, false);
    const r = decrypted(log);
    const releases = [r.index + 1, r.index + 2, r.index + 3];
    expect(brief(audit(log).findings)).toEqual([r.index, ...releases].map((i) => `${i} EPOCH_NOT_ACTIVE`));
  });

  test('EPOCH_NOT_ACTIVE: a release after an epoch entry with a bad certificate', () => {
    const log = withoutEpochEntry();
    const bad = dkg.recoveryData.slice();
    bad[bad.length - 1]! ^= 1;
    const at = log.push(epochEntry(dkg, T0 + 120, { recoveryData: bytesToBase64(bad) }));
    const r = decrypted(log);
    const m = log.misbehavior(r, 4);
    const { findings, state } = audit(log);
    expect(state.misbehaviors).toEqual([]); // evidence under an epoch with no shares blames no one
    expect(brief(findings)).toEqual([
      `${at} BAD_EPOCH_CERTIFICATE`,
      ...[r.index, r.index + 1, r.index + 2, r.index + 3, m].map((i) => `${i} EPOCH_NOT_ACTIVE`),
    ]);
  });

  test('BAD_SIGNATURE: the coordinator writes a reveal in custodian 2’s name', () => {
    const log = withoutEpochEntry();
    const at = log.push(participantEntry(keys, 2, 'reveal', bytesToBase64(dkg.pmsgs1[1]!), T0 + 100, {}, keys.custodians[0]!.secret));
    expect(brief(audit(log).findings)).toEqual([`${at} BAD_SIGNATURE`]);
  });

  test('UNKNOWN_CUSTODIAN: a commit by a custodian the epoch does not list', () => {
    const log = withoutEpochEntry();
    const body: DkgEntry = { type: 'dkg', epoch: 1, session: DKG_SESSION, step: 'commit', custodian: 9, payload: '00'.repeat(32), time: T0 + 100 };
    const at = log.push({ ...body, signature: signRecord(body, 'dkg', keys.custodians[0]!.secret) });
    expect(brief(audit(log).findings)).toEqual([`${at} UNKNOWN_CUSTODIAN`]);
  });
});

describe('a failed session is reported, not a finding', () => {
  test('a blame and an abort naming custodian 4, then a restart that succeeds', () => {
    const log = new LogBuilder(keys, T0, proposedGenesis(keys, dkg.hostKeys));
    const failed = '00000000-0000-4000-8000-00000000fa11';
    for (const i of [1, 2, 3, 4, 5]) log.push(participantEntry(keys, i, 'commit', '11'.repeat(32), T0 + 10, { session: failed }));
    log.push(participantEntry(keys, 2, 'blame', bytesToBase64(new Uint8Array(16)), T0 + 20, { session: failed, blamed: [4] }));
    const abortAt = log.push({ type: 'dkg', epoch: 1, session: failed, step: 'abort', payload: bytesToBase64(new TextEncoder().encode('blame')), blamed: [4], time: T0 + 30 });
    logSession(log, dkg, T0 + 60);
    log.push(epochEntry(dkg, T0 + 120));
    const { findings, state } = audit(log);
    expect(findings).toEqual([]);
    const report = buildReport({ audit: state, leaves: log.leaves(), findings, checkpointAccepted: true });
    expect(report.keyGeneration.sessions.map((s) => [s.session, s.outcome])).toEqual([
      [failed, 'aborted'],
      [DKG_SESSION, 'activated'],
    ]);
    expect(report.keyGeneration.sessions[0]).toMatchObject({ commits: 5, reveals: 0, blames: [{ custodian: 2, blamed: 4, index: 6 }], abort: { reason: 'blame', blamed: [4], index: abortAt } });
    const html = renderReportHtml(report);
    expect(html).toContain('1 epoch(s) made by a logged DKG, 0 by a reshare, 0 by a dealer, 0 proposed; 2 session(s), 1 aborted; the current key epoch is 1.');
    expect(html).toContain('<td>2 blamed 4</td><td>blame (blamed: 4)</td><td>aborted</td>');
  });
});

describe('provenEpochKeys: public.json from the replayed log (docs/PROTOCOL.md §7.16)', () => {
  test('a DKG epoch: the public shares recomputed from the recovery data', () => {
    const k = epochFromRecovery(dkg.recoveryData);
    expect(provenEpochKeys(audit(dkgLog(keys, dkg)).state)).toEqual({
      origin: 'dkg',
      activatedAt: 17,
      publicKeySet: { format: 'custodes.public.v1', epoch: 1, threshold: 3, total: 5, groupKey: k.groupKey, commitments: k.commitments, verificationShares: Object.fromEntries(k.publicShares.map((x, p) => [String(p + 1), x])) },
    });
  });

  test('a dealer epoch: the ceremony’s own public.json', () => {
    expect(provenEpochKeys(audit(new LogBuilder(keys)).state, 1)).toEqual({ origin: 'dealer', activatedAt: null, publicKeySet: ceremonyFiles(keys.ceremony, 1).publicKeySet });
  });

  test('refuses a proposed epoch and an unknown one', () => {
    const proposed = audit(dkgLog(keys, dkg, false)).state;
    expect(() => provenEpochKeys(proposed)).toThrow(expect.objectContaining({ code: 'EPOCH_NOT_ACTIVE' }));
    expect(() => provenEpochKeys(proposed, 2)).toThrow(expect.objectContaining({ code: 'UNKNOWN_EPOCH' }));
  });
});
