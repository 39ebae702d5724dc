/**
 * Dealers that fail a reshare (docs/PROTOCOL.md §3.9 "The reshare over the
 * log"; issue #18 Build 3), each a leaving custodian played by the test at its
 * node's URL with its real keys and share (fakeDealer.ts):
 * - one commits, then goes offline before its reveal: it is left out of Q
 *   past the step timeout and the reshare completes with t_O honest dealers;
 * - one reveals a dealing with a bad sub-share for custodian 1: custodian 1's
 *   complaint convicts it in the log, the session aborts naming it, and the
 *   coordinator's second session without it activates epoch 2.
 */
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDealerSet } from '@custodes/shared/records';
import { closeServer } from '@custodes/shared/service';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { waitFor } from '../coordinator/helpers/cluster';
import { logEntries, startDkgCluster } from '../dkg-service/helpers';
import { startFakeDealer } from './fakeDealer';
import { approvedWarrant, decryptEnvelopes, runReshare, seal, shareOf, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
let fake: Server | undefined;
afterEach(async () => {
  if (fake) await closeServer(fake);
  fake = undefined;
  await cluster?.close();
  cluster = undefined;
});

type Logged = Record<string, unknown>;
const dealerSet = (e: Logged | undefined) => decodeDealerSet(String(e?.payload));

describe('a dealer goes offline after its commit', () => {
  it('is left out of Q and the reshare completes with t_O honest dealers', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-offline', threshold: 3, total: 5, coordinator: { dkgStepTimeoutMs: 4000 } });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed before custodian 5 left']);
    const share5 = await shareOf(c, 5, 1);
    await submitReshare(c, { from: 1, remove: [5] }, [1, 2, 3], [1, 2, 3, 4, 5]);
    fake = await startFakeDealer(c, 5, share5, { kind: 'offline-after-commit' });

    const state = await runReshare(c, 2, [1, 2, 3, 4]);
    expect(state).toMatchObject({ status: 'active', epoch: 2, groupKey });
    const entries = (await waitFor('the epoch entry in a published checkpoint', async () => {
      const found = await logEntries(c.coordinatorUrl);
      return found.some((e) => e.type === 'epoch' && e.epoch === 2) ? found : undefined;
    })).filter((e) => e.session === state.session);
    expect(entries.filter((e) => e.step === 'commit').map((e) => e.custodian).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(dealerSet(entries.find((e) => e.step === 'dealers'))).toEqual([1, 2, 3, 4, 5]);
    expect(entries.filter((e) => e.step === 'reveal').map((e) => e.custodian).sort()).toEqual([1, 2, 3, 4]);
    const q = dealerSet(entries.find((e) => e.step === 'aggregate'))!;
    expect(q).toHaveLength(3);
    expect(q).not.toContain(5);
    expect(entries.some((e) => e.step === 'abort')).toBe(false);

    await c.stopNode(4);
    const warrantId = await approvedWarrant(c, 'CASE-OFFLINE-DEALER');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed before custodian 5 left'] });
  }, 120_000);
});

describe('a dealer cheats with a bad sub-share', () => {
  it('is convicted by the complaint, the session aborts naming it, and the retry without it completes', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-cheat', threshold: 3, total: 5, coordinator: { dkgStepTimeoutMs: 5000 } });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed before the cheat']);
    const share2 = await shareOf(c, 2, 1);
    await submitReshare(c, { from: 1, remove: [2] }, [1, 2, 3], [1, 2, 3, 4, 5]);
    // Custodian 1 is rank 1 of epoch 2 ({1, 3, 4, 5}): its sub-share from custodian 2 is wrong.
    fake = await startFakeDealer(c, 2, share2, { kind: 'bad-subshare', victimRank: 1 });

    const state = await runReshare(c, 2, [1, 3, 4, 5]);
    expect(state).toMatchObject({ status: 'active', epoch: 2, groupKey });
    const entries = await waitFor('the epoch entry in a published checkpoint', async () => {
      const found = await logEntries(c.coordinatorUrl);
      return found.some((e) => e.type === 'epoch' && e.epoch === 2) ? found : undefined;
    });
    const blame = entries.find((e) => e.step === 'blame')!;
    expect(blame).toMatchObject({ custodian: 1, blamed: [2], epoch: 2 });
    const first = blame.session;
    // The first session: 2 was a qualified dealer, then the abort names it.
    expect(dealerSet(entries.find((e) => e.session === first && e.step === 'aggregate'))).toContain(2);
    expect(entries.find((e) => e.session === first && e.step === 'abort')).toMatchObject({ blamed: [2] });
    // The second session: without 2 as a dealer, and its epoch entry activates epoch 2.
    const epochEntry = entries.find((e) => e.type === 'epoch' && e.epoch === 2)!;
    expect(epochEntry.session).not.toBe(first);
    expect(epochEntry.groupKey).toBe(groupKey);
    const second = entries.filter((e) => e.session === epochEntry.session);
    expect(dealerSet(second.find((e) => e.step === 'dealers'))).toEqual([1, 3, 4, 5]);
    expect(second.some((e) => e.step === 'blame' || e.step === 'abort')).toBe(false);
    expect(entries.findIndex((e) => e.session === first && e.step === 'abort')).toBeLessThan(entries.indexOf(epochEntry));

    await c.stopNode(5);
    const warrantId = await approvedWarrant(c, 'CASE-CHEAT-DEALER');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed before the cheat'] });
  }, 120_000);
});
