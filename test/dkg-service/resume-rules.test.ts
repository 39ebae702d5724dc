/**
 * What a coordinator does at start with each DKG session its log holds
 * (docs/PROTOCOL.md §3.8, §7.15), one case per rule of DkgWorkflow.resumeAll:
 * ended sessions get their state back and nothing is logged; of two running
 * sessions of one epoch the older is aborted `superseded`; a session whose
 * epoch changed since it began is aborted `registry-changed`; one whose epoch
 * the registry no longer proposes (unlisted, or listed with a key) is marked
 * aborted without a log entry (an abort naming it would be refused); a stop
 * logs no abort.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, utf8 } from '@custodes/shared/crypto';
import type { DkgEntry, EpochEntry, LogEntry, RegistryEntry } from '@custodes/shared/records';
import { DkgWorkflow } from '../../services/coordinator/src/workflow/dkg';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const hex = (c: string, n: number) => c.repeat(n * 2);

function registry(epochs: { epoch: number; threshold: number; hostKey?: string; groupKey?: string }[]): RegistryEntry {
  return {
    epochs: epochs.map((e) => ({
      epoch: e.epoch,
      threshold: e.threshold,
      total: 3,
      ...(e.groupKey !== undefined ? { groupKey: e.groupKey, commitments: [e.groupKey] } : {}),
      custodians: [1, 2, 3].map((index) => ({ index, name: `c${index}`, url: `http://127.0.0.1:9`, signingKey: hex(String(index), 32), witnessKey: hex('e', 32), hostKey: e.hostKey ?? `02${hex(String(index), 32)}` })),
    })),
  } as unknown as RegistryEntry;
}

const dkg = (session: string, step: DkgEntry['step'], custodian?: number, extra: Partial<DkgEntry> = {}): DkgEntry =>
  ({ type: 'dkg', epoch: 1, session, step, payload: '', time: 1, ...(custodian !== undefined ? { custodian } : {}), ...extra }) as DkgEntry;

function workflow(opts: { logged: DkgEntry[]; now: RegistryEntry; atStart?: RegistryEntry; epochEntry?: { index: number; entry: EpochEntry } }) {
  const appended: { key: string; entry: LogEntry }[] = [];
  const w = new DkgWorkflow({
    registry: () => opts.now,
    reloadRegistry: () => undefined,
    append: (key, entry) => appended.push({ key, entry }),
    logged: (session) => opts.logged.filter((x) => session === undefined || x.session === session),
    loggedEpoch: (epoch) => (opts.epochEntry?.entry.epoch === epoch ? opts.epochEntry : undefined),
    registryAtStart: () => opts.atStart ?? opts.now,
    cosign: () => undefined,
    replicate: async () => false,
    // Nobody answers: a resumed session waits (its step timeout is far away).
    custodianUrl: () => 'http://127.0.0.1:9',
    logSecretKey: hex('1', 32),
    now: () => 2,
    stepTimeoutMs: 600_000,
    callTimeoutMs: 200,
    insecureHttp: false,
    logger: pino({ level: 'silent' }),
  });
  return { w, appended };
}

const aborts = (appended: { entry: LogEntry }[]) =>
  appended.flatMap(({ entry }) => (entry.type === 'dkg' && entry.step === 'abort' ? [{ session: entry.session, reason: new TextDecoder().decode(Buffer.from(entry.payload, 'base64')) }] : []));

describe('DkgWorkflow.resumeAll (docs/PROTOCOL.md §3.8)', () => {
  it('gives ended sessions their state back (aborted, active) and logs nothing', async () => {
    const epochEntry = { index: 9, entry: { type: 'epoch', epoch: 1, session: B, groupKey: `02${hex('a', 32)}`, commitments: [], recoveryData: '', time: 1 } as EpochEntry };
    const { w, appended } = workflow({
      logged: [dkg(A, 'commit', 1), dkg(A, 'abort', undefined, { payload: bytesToBase64(utf8('timeout')), blamed: [2] }), dkg(B, 'commit', 1), dkg(B, 'aggregate')],
      now: registry([{ epoch: 1, threshold: 2 }]),
      epochEntry,
    });
    expect(w.resumeAll()).toEqual([]);
    expect(w.session(A)).toEqual({ status: 'aborted', epoch: 1, session: A, reason: 'timeout', blamed: [2] });
    expect(w.session(B)).toEqual({ status: 'active', epoch: 1, session: B, groupKey: epochEntry.entry.groupKey, index: 9 });
    expect(appended).toEqual([]);
    await w.close();
  });

  it('resumes the newest running session of an epoch and aborts the older one `superseded`; a stop logs no abort', async () => {
    const { w, appended } = workflow({ logged: [dkg(A, 'commit', 1), dkg(B, 'commit', 2)], now: registry([{ epoch: 1, threshold: 2 }]) });
    expect(w.resumeAll()).toHaveLength(1);
    expect(aborts(appended)).toEqual([{ session: A, reason: 'superseded' }]);
    expect(w.session(A)).toMatchObject({ status: 'aborted', reason: 'superseded' });
    expect(w.session(B)).toMatchObject({ status: 'running', epoch: 1, session: B });
    await w.close();
    expect(aborts(appended)).toEqual([{ session: A, reason: 'superseded' }]);
    expect(w.session(B)).toMatchObject({ status: 'running' });
  });

  it('aborts `registry-changed` a session whose epoch has another threshold or other host keys than when it began', async () => {
    for (const now of [registry([{ epoch: 1, threshold: 3 }]), registry([{ epoch: 1, threshold: 2, hostKey: `03${hex('f', 32)}` }])]) {
      const { w, appended } = workflow({ logged: [dkg(A, 'commit', 1)], now, atStart: registry([{ epoch: 1, threshold: 2 }]) });
      expect(w.resumeAll()).toEqual([]);
      expect(aborts(appended)).toEqual([{ session: A, reason: 'registry-changed' }]);
      expect(w.session(A)).toMatchObject({ status: 'aborted', reason: 'registry-changed', blamed: [] });
      await w.close();
    }
  });

  it('marks a session whose epoch the registry no longer proposes aborted, and logs nothing (an abort for it would be UNKNOWN_EPOCH or NOT_PROPOSED)', async () => {
    for (const now of [registry([{ epoch: 2, threshold: 2 }]), registry([{ epoch: 1, threshold: 2, groupKey: `02${hex('c', 32)}` }])]) {
      const { w, appended } = workflow({ logged: [dkg(A, 'commit', 1)], now, atStart: registry([{ epoch: 1, threshold: 2 }]) });
      expect(w.resumeAll()).toEqual([]);
      expect(w.session(A)).toEqual({ status: 'aborted', epoch: 1, session: A, reason: 'not-proposed', blamed: [] });
      expect(appended).toEqual([]);
      await w.close();
    }
  });
});
