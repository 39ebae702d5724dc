/**
 * The auditor on every reshare transition the real services made
 * (docs/PROTOCOL.md §3.9, §8.8; issue #18 Build 6): a 3-of-5 DKG (epoch 1),
 * a leaver (epoch 2: 3-of-4 without custodian 2), a refresh (epoch 3: the
 * same four), every old custodian's share-destroyed statement, and a
 * warrant whose envelope of epoch 1 opens with epoch 3's shares, then the
 * chain's retirement (§3.10, the services' clocks driven past the date) and
 * every custodian's `retired` statement. The log is
 * audited clean and the report's timeline tells that story; then each
 * broken rule, injected into that log, yields exactly its finding code.
 *
 * The nodes' host keys are made here so that the test can certify a forged
 * reshare as a fully compromised new committee would: the auditor must
 * still refuse it, by the dealings alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, encodePoint, hexToBytes, mulBase } from '@custodes/shared/crypto';
import type { ReshareParams } from '@custodes/shared/dkg';
import { signRecord } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { reshareParamsOf } from '@custodes/shared/rules';
import { buildReport, checkEntries, renderReportHtml, verifyLog } from '@custodes/auditor';
import { newHostKeyFile } from '../../services/custodian/src/init';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { logEntries, startDkgCluster } from '../dkg-service/helpers';
import { forgeRecovery } from '../dkg/reshareFixture';
import { approvedWarrant, decrypt, runReshare, submitReshare } from '../reshare-service/helpers';

type Entry = Record<string, unknown>;

const DAY = 86_400;
/** Seconds the services' clocks are ahead of the real one: moved to pass the retirement date, never slept on. */
let ahead = 0;
const nowMs = () => Date.now() + ahead * 1000;
const clock = () => Math.floor(nowMs() / 1000);
const hostFiles = Array.from({ length: 5 }, () => newHostKeyFile());
const hosts = new Map(hostFiles.map((f, k) => [k + 1, hexToBytes(f.secretKey, 32)] as const));

let cluster: RealCluster;
let entries: Entry[];
let groupKey: string;

const at = (type: string, pred: (e: Entry) => boolean = () => true) => entries.findIndex((e) => e.type === type && pred(e));
const epochEntryAt = (epoch: number) => at('epoch', (e) => e.epoch === epoch);
/** Within the grace periods for share destruction and retirement: only the injected rule can fire. */
const soon = () => Math.max(...entries.map((e) => (typeof e.time === 'number' ? e.time : 0))) + 60;
const brief = (list: Entry[], now = soon()) => checkEntries(list, { now }).findings.map((f) => `${f.index} ${f.code}`);

/** The findings the statements of epoch `o` become once its successor is refused. */
const earlyStatementsOf = (o: number) => entries.flatMap((e, k) => (e.type === 'share-destroyed' && e.epoch === o ? [`${k} SHARE_DESTROYED_EARLY`] : []));

/** `list` with `entry` inserted before index `k`. */
const insert = (list: Entry[], k: number, entry: Entry) => [...list.slice(0, k), entry, ...list.slice(k)];

function signAs(body: Entry, kind: string, custodian: number): Entry {
  const { signature: _s, ...rest } = body;
  return { ...rest, signature: signRecord(rest, kind, cluster.custodianKeys[custodian - 1]!.secretKey) };
}

/** The registry in force just before log index `k`, as the auditor resolved it. */
function registryBefore(k: number): RegistryEntry {
  return checkEntries(entries.slice(0, k), { now: soon() }).state.registry!.entry;
}

/** The dealings Q inside a reshare's recovery data (§3.9: params ‖ u8(|Q|) ‖ dealings ‖ certificate). */
function dealingsOf(recovery: Uint8Array, p: ReshareParams): Uint8Array[] {
  const paramsLength = 4 + 4 + 16 + 2 + 33 + 1 + 34 * p.oldCommittee.length + 1 + 34 * p.newCommittee.length;
  const dealingLength = 1 + 33 + 33 * p.newThreshold + 32 * p.newCommittee.length;
  return Array.from({ length: recovery[paramsLength]! }, (_, k) => recovery.slice(paramsLength + 1 + k * dealingLength, paramsLength + 1 + (k + 1) * dealingLength));
}

/** The log with epoch 3's epoch entry replaced by one carrying `recovery` (certified by every new custodian's host key). */
function withEpoch3Recovery(recovery: Uint8Array): { list: Entry[]; k: number } {
  const k = epochEntryAt(3);
  const list = [...entries];
  list[k] = { ...entries[k]!, recoveryData: bytesToBase64(recovery) };
  return { list, k };
}

beforeAll(async () => {
  cluster = await startDkgCluster({
    tempPrefix: 'audit-reshare',
    threshold: 3,
    total: 5,
    nodeInit: (i) => ({ hostKeyFile: hostFiles[i - 1] }),
    custodian: { clock: nowMs, retirementCheckMs: 50 },
    coordinator: { now: clock },
  });
  const c = cluster;
  expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
  groupKey = c.groupKey;
  await submitReshare(c, { from: 1, remove: [2] }, [1, 2, 3], [1, 2, 3, 4, 5]);
  expect(await runReshare(c, 2, [1, 2, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 2, groupKey });
  await waitFor('five share-destroyed statements of epoch 1', async () => ((await logEntries(c.coordinatorUrl)).filter((e) => e.type === 'share-destroyed').length === 5 ? true : undefined), 30_000);
  await submitReshare(c, { from: 2 }, [1, 3, 4], [1, 3, 4, 5]);
  expect(await runReshare(c, 3, [1, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 3, groupKey });
  await waitFor('four share-destroyed statements of epoch 2', async () => ((await logEntries(c.coordinatorUrl)).filter((e) => e.type === 'share-destroyed').length === 9 ? true : undefined), 30_000);
  const warrantId = await approvedWarrant(c, 'CASE-AUDIT-RESHARE');
  expect(await decrypt(c, warrantId, 1, ['sealed under epoch 1'])).toEqual({ state: 'complete', opened: ['sealed under epoch 1'] });
  // Retirement (§3.10) is per key: the whole chain 1 → 2 → 3 gets one date, signed by reviewers 1, 3, 4 of epoch 3.
  const current = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body.entry as RegistryEntry;
  const { signatures: _s, ...body } = current;
  const retiring = { ...body, sequence: current.sequence + 1, time: clock(), epochs: current.epochs.map((e) => ({ ...e, retireAfter: clock() + 60 })) };
  const update = { ...retiring, signatures: [1, 3, 4].map((i) => ({ custodian: i, signature: signRecord(retiring, 'registry', c.custodianKeys[i - 1]!.secretKey) })) };
  const posted = await api(c.coordinatorUrl, 'POST', '/v1/registry', { entry: update });
  expect(posted.status, JSON.stringify(posted.body)).toBe(201);
  ahead = 3600;
  // Every custodian of the key epoch 3, and the old committees that still run (a leaver may not see the date), log `retired`.
  entries = await waitFor('the retirement statements in the published log', async () => {
    const found = await logEntries(c.coordinatorUrl);
    const retired = (epoch: number) => found.filter((e) => e.type === 'retired' && e.epoch === epoch).length;
    return retired(3) === 4 && retired(2) === 4 && retired(1) >= 4 && found.some((e) => e.type === 'decryption-complete') ? found : undefined;
  }, 60_000);
}, 170_000);

afterAll(async () => {
  await cluster?.close();
});

describe('a log of a DKG and two reshares made by the services', () => {
  it('verifies with zero findings, and the report’s timeline shows each transition', async () => {
    const verified = await verifyLog({ logUrl: cluster.coordinatorUrl });
    expect(verified.checkpoint?.accepted).toBe(true);
    expect(verified.findings).toEqual([]);
    const report = buildReport({ audit: verified.audit, leaves: verified.leaves, findings: verified.findings, checkpointAccepted: true });
    const { epochs, currentKeyEpoch } = report.keyGeneration;
    expect(currentKeyEpoch).toBe(3);
    const destroyedBy = (k: number) => epochs[k]!.destroyed.map((d) => d.custodian).sort();
    expect(epochs.map((e) => [e.epoch, e.origin, e.reshareOf, `${e.threshold}/${e.total}`, e.custodians.join(), e.supersededBy, e.groupKey])).toEqual([
      [1, 'dkg', null, '3/5', '1,2,3,4,5', 2, groupKey],
      [2, 'reshare', 1, '3/4', '1,3,4,5', 3, groupKey],
      [3, 'reshare', 2, '3/4', '1,3,4,5', null, groupKey],
    ]);
    expect([destroyedBy(0), destroyedBy(1), destroyedBy(2)]).toEqual([[1, 2, 3, 4, 5], [1, 3, 4, 5], []]);
    // One retirement date for the whole chain; the key epoch's custodians all retired it.
    expect(new Set(epochs.map((e) => e.retireAfter)).size).toBe(1);
    expect(epochs[2]!.retirements.map((r) => r.custodian)).toEqual([1, 3, 4, 5]);
    expect(epochs[1]!.retirements.map((r) => r.custodian)).toEqual([1, 3, 4, 5]);
    for (const e of epochs) expect(e.activatedAt).toBe(verified.audit.activations.get(e.epoch)!.index);
    // Each destruction comes after its successor's activation; each reshare after its own proposal.
    expect(epochs[0]!.destroyed.every((d) => d.index > epochs[1]!.activatedAt!)).toBe(true);
    expect(epochs[1]!.destroyed.every((d) => d.index > epochs[2]!.activatedAt!)).toBe(true);
    expect(epochs[1]!.proposedAt! < epochs[1]!.activatedAt! && epochs[2]!.proposedAt! > epochs[1]!.activatedAt!).toBe(true);
    expect(epochs[1]!.dealers!.length).toBeGreaterThanOrEqual(3);
    expect(epochs[2]!.dealers!.every((i) => [1, 3, 4, 5].includes(i))).toBe(true);
    expect(epochs.every((e) => e.complaints.length === 0)).toBe(true);
    const html = renderReportHtml(report);
    expect(html).toContain('reshare of epoch 1');
    expect(html).toContain('the current key epoch is 3');
  });
});

describe('retirement after reshares', () => {
  it('past the date and its grace, only custodians of the key epoch owe a statement: one that destroyed its share in a reshare does not', () => {
    // The leaver, custodian 2, destroyed its share of epoch 1 and is no witness: drop any statement of its for epoch 1.
    const list = entries.filter((e) => !(e.type === 'retired' && e.epoch === 1 && e.custodian === 2));
    const retireAfter = Math.max(...registryBefore(entries.length).epochs.map((e) => e.retireAfter ?? 0));
    expect(checkEntries(list, { now: retireAfter + 10, retirementGraceSeconds: 5 }).findings.map((f) => f.code)).toEqual([]);
    // A custodian of the key epoch that never announced is still reported.
    const missing = list.filter((e) => !(e.type === 'retired' && e.epoch === 3 && e.custodian === 4));
    expect(checkEntries(missing, { now: retireAfter + 10, retirementGraceSeconds: 5 }).findings.map((f) => f.code)).toEqual(['RETIREMENT_MISSING']);
  });
});

describe('each broken reshare rule, injected into that log, gives exactly its finding', () => {
  it('control: the log as logged, and epoch 3 re-certified over its own dealings, are clean', () => {
    expect(brief(entries)).toEqual([]);
    const k = epochEntryAt(3);
    const p = reshareParamsOf(registryBefore(k), 3, entries[k]!.session as string);
    const recovery = base64ToBytes(entries[k]!.recoveryData as string);
    expect(brief(withEpoch3Recovery(forgeRecovery(p, hosts, dealingsOf(recovery, p))).list)).toEqual([]);
  });

  it('RESHARE_COMMITMENT_MISMATCH: a certified dealing whose C_{i,0} is not its dealer’s public share of epoch 2', () => {
    const k = epochEntryAt(3);
    const p = reshareParamsOf(registryBefore(k), 3, entries[k]!.session as string);
    const dealings = dealingsOf(base64ToBytes(entries[k]!.recoveryData as string), p);
    const moved = dealings[0]!.slice();
    moved.set(encodePoint(mulBase(4242n)), 34); // C_{i,0}, after u8(i) ‖ pubnonce
    const { list } = withEpoch3Recovery(forgeRecovery(p, hosts, [moved, ...dealings.slice(1)]));
    // Epoch 3 stays proposed, so epoch 2 keeps its key: its custodians' statements that follow are early.
    expect(brief(list)).toEqual([`${k} RESHARE_COMMITMENT_MISMATCH`, ...earlyStatementsOf(2)]);
  });

  it('RESHARE_KEY_CHANGED: the dealings of epoch 2’s key, certified as a reshare of another group key', () => {
    const k = epochEntryAt(3);
    const p = reshareParamsOf(registryBefore(k), 3, entries[k]!.session as string);
    const dealings = dealingsOf(base64ToBytes(entries[k]!.recoveryData as string), p);
    const { list } = withEpoch3Recovery(forgeRecovery({ ...p, groupKey: encodePoint(mulBase(31337n)) }, hosts, dealings));
    expect(brief(list)).toEqual([`${k} RESHARE_KEY_CHANGED`, ...earlyStatementsOf(2)]);
  });

  it('SHARE_DESTROYED_EARLY: a statement logged before its successor’s epoch entry', () => {
    const k = epochEntryAt(2);
    const early = entries.find((e) => e.type === 'share-destroyed' && e.epoch === 1)!;
    expect(brief(insert(entries, k, early))).toEqual([`${k} SHARE_DESTROYED_EARLY`]);
  });

  it('SHARE_DESTROYED_EARLY: a statement naming another successor than the one that took the key', () => {
    const k = at('share-destroyed', (e) => e.epoch === 1);
    const list = [...entries];
    list[k] = signAs({ ...entries[k]!, successor: 3 }, 'share-destroyed', entries[k]!.custodian as number);
    expect(brief(list)).toEqual([`${k} SHARE_DESTROYED_EARLY`]);
  });

  it('BAD_SIGNATURE: a statement signed by another custodian', () => {
    const k = at('share-destroyed', (e) => e.epoch === 2 && e.custodian === 4);
    const forged = signAs(entries[k]!, 'share-destroyed', 5);
    const list = [...entries];
    list[k] = forged;
    expect(brief(list)).toEqual([`${k} BAD_SIGNATURE`]);
  });

  it('UNKNOWN_CUSTODIAN: the leaver states it destroyed a share of epoch 2, which it never held', () => {
    const s = entries.find((e) => e.type === 'share-destroyed' && e.epoch === 2)!;
    const stranger = signAs({ ...s, custodian: 2 }, 'share-destroyed', 2);
    expect(brief([...entries, stranger])).toEqual([`${entries.length} UNKNOWN_CUSTODIAN`]);
  });

  it('UNKNOWN_EPOCH: a statement for an epoch the registry does not list', () => {
    const s = entries.find((e) => e.type === 'share-destroyed' && e.epoch === 2)!;
    expect(brief([...entries, signAs({ ...s, epoch: 9, successor: 10 }, 'share-destroyed', s.custodian as number)])).toEqual([`${entries.length} UNKNOWN_EPOCH`]);
  });

  it('DUPLICATE_ENTRY: a statement logged twice', () => {
    const s = entries.find((e) => e.type === 'share-destroyed' && e.epoch === 2)!;
    expect(brief([...entries, s])).toEqual([`${entries.length} DUPLICATE_ENTRY`]);
  });

  it('SHARE_NOT_DESTROYED: custodian 4 never logs its statement for epoch 2, once the grace period after epoch 3 is over', () => {
    const k = at('share-destroyed', (e) => e.epoch === 2 && e.custodian === 4);
    const list = entries.filter((_, j) => j !== k);
    const activated = entries[epochEntryAt(3)]!.time as number;
    expect(brief(list)).toEqual([]); // within the grace period, it may still come
    expect(brief(list, activated + DAY + 1)).toEqual([`${epochEntryAt(3)} SHARE_NOT_DESTROYED`]);
    expect(checkEntries(list, { now: activated + 11, destroyGraceSeconds: 10 }).findings.map((f) => f.code)).toEqual(['SHARE_NOT_DESTROYED']);
    expect(brief(entries, activated + DAY + 1)).toEqual([]);
  });

  it('NOT_EPOCH_CUSTODIAN: after the reshares (before the retirement), the leaver releases for an envelope of epoch 1', () => {
    const k = at('release') + 1;
    const byLeaver = signAs({ ...entries[k - 1]!, custodian: 2 }, 'release', 2);
    // The leaver never approved either: it is no reviewer of epoch 3 (§4.2), so the release is also by a non-approver.
    expect(brief(insert(entries, k, byLeaver))).toEqual([`${k} NOT_EPOCH_CUSTODIAN`, `${k} RELEASE_BY_NON_APPROVER`]);
    // A custodian of epoch 1 that stayed releases under epoch 3, whose quorum epoch 1's envelopes now need.
    const stayed = entries.filter((e) => e.type === 'release').map((e) => e.custodian as number);
    expect(stayed.every((i) => [1, 3, 4, 5].includes(i))).toBe(true);
  });
});
