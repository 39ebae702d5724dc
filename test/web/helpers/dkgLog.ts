/**
 * A stand-in log whose genesis proposes a 2-of-3 epoch run by ChillDKG
 * (docs/PROTOCOL.md §3.8): a first session blamed and aborted, then a real
 * session (test/auditor/dkgScenario.ts runDkg) and its `epoch` entry — or
 * whatever `epoch` entry the test passes, to break it. Served with the read
 * API, cosigned by every custodian, for the explorer and the CLI.
 */
import { randomUUID } from 'node:crypto';
import { bytesToBase64, bytesToHex, hexToBytes } from '@custodes/shared/crypto';
import { pmsg1Commitment } from '@custodes/shared/dkg';
import { signRecord, signRegistry } from '@custodes/shared/records';
import type { DkgEntry, EpochEntry, RegistryEntry } from '@custodes/shared/records';
import type { DkgRun } from '../../auditor/dkgScenario';
import { makeWorld, StandInLog } from './world';
import type { World } from './world';

/** The world's genesis with epoch 1 proposed: no keys, each custodian's host key from `dkg`. */
export function dkgWorld(dkg: DkgRun, now: number): World {
  const world = makeWorld(now);
  const { groupKey: _g, commitments: _c, ...e } = world.registry.epochs[0]!;
  let registry: RegistryEntry = {
    ...world.registry,
    epochs: [{ ...e, custodians: e.custodians.map((c) => ({ ...c, hostKey: dkg.hostKeys[c.index - 1]! })) }],
    signatures: [],
  };
  for (const c of world.custodians) registry = signRegistry(registry, c.index, c.secretKey);
  return { ...world, registry };
}

function step(world: World, session: string, i: number, kind: 'commit' | 'reveal' | 'certeq' | 'blame', payload: string, time: number, extra: Partial<DkgEntry> = {}): DkgEntry {
  const body: DkgEntry = { type: 'dkg', epoch: 1, session, step: kind, custodian: i, payload, time, ...extra };
  return { ...body, signature: signRecord(body, 'dkg', hexToBytes(world.custodians[i - 1]!.secretKey, 32)) };
}

/**
 * Entries 1–5: a failed session (custodian 2 blames 3, the coordinator
 * aborts); 6–15: `dkg`'s session; 16: `epoch`. Published.
 */
export function dkgStandInLog(world: World, dkg: DkgRun, epoch: EpochEntry, now: number): StandInLog {
  const log = new StandInLog(world, now);
  const failed = randomUUID();
  for (const i of [1, 2, 3]) log.append(step(world, failed, i, 'commit', '11'.repeat(32), now - 500));
  log.append(step(world, failed, 2, 'blame', bytesToBase64(new Uint8Array(8)), now - 500, { blamed: [3] }));
  log.append({ type: 'dkg', epoch: 1, session: failed, step: 'abort', payload: bytesToBase64(new TextEncoder().encode('blame')), blamed: [3], time: now - 400 });
  const s = epoch.session;
  for (const i of [1, 2, 3]) log.append(step(world, s, i, 'commit', bytesToHex(pmsg1Commitment(dkg.pmsgs1[i - 1]!)), now - 350));
  for (const i of [1, 2, 3]) log.append(step(world, s, i, 'reveal', bytesToBase64(dkg.pmsgs1[i - 1]!), now - 340));
  log.append({ type: 'dkg', epoch: 1, session: s, step: 'aggregate', payload: bytesToBase64(dkg.cmsg1), time: now - 300 });
  for (const i of [1, 2, 3]) log.append(step(world, s, i, 'certeq', bytesToHex(dkg.pmsgs2[i - 1]!), now - 250));
  log.append(epoch);
  log.publish();
  return log;
}
