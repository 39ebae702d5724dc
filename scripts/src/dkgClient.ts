/**
 * The operator's side of a DKG over the log (docs/PROTOCOL.md §3.8, §7.15): start
 * a session at the coordinator (the start header signed with the log key),
 * follow it to its end, and read the epoch's public keys from the logged
 * `epoch` entry — an export of what the log proves, computed by anyone from
 * the recovery data (epochFromRecovery), never from a secret.
 */
import { base64ToBytes } from '@custodes/shared/crypto';
import { epochFromRecovery } from '@custodes/shared/dkg';
import { DKG_START_HEADER, dkgStartHeader, EpochEntrySchema } from '@custodes/shared/records';
import type { PublicKeySet } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';

export type DkgState =
  | { status: 'running'; epoch: number; session: string; step: string }
  | { status: 'active'; epoch: number; session: string; groupKey: string; index: number }
  | { status: 'aborted'; epoch: number; session: string; reason: string; blamed: number[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDkg(coordinatorUrl: string, epoch: number, logSecretKey: string, insecureHttp = false): Promise<string> {
  const header = dkgStartHeader(epoch, Math.floor(Date.now() / 1000), logSecretKey);
  const r = await requestJson<{ session: string }>(`${coordinatorUrl}/v1/dkg/sessions`, { method: 'POST', headers: { [DKG_START_HEADER]: header }, insecureHttp });
  return r.session;
}

/** Polls the session until it is active or aborted (or `timeoutMs` passes: then its last state). */
export async function waitDkg(coordinatorUrl: string, session: string, timeoutMs = 300_000, insecureHttp = false): Promise<DkgState> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const state = await requestJson<DkgState>(`${coordinatorUrl}/v1/dkg/sessions/${session}`, { insecureHttp });
    if (state.status !== 'running' || Date.now() > deadline) return state;
    await sleep(delay);
  }
}

/**
 * `public.json` for an epoch, from its logged `epoch` entry at `index` (read
 * through the public read API once a published checkpoint covers it).
 */
export async function publicKeySetFromLog(coordinatorUrl: string, index: number, timeoutMs = 60_000, insecureHttp = false): Promise<PublicKeySet> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const cp = await requestJson<string>(`${coordinatorUrl}/log/v1/checkpoint`, { expectText: true, insecureHttp });
    if (Number(cp.split('\n')[1]) > index) break;
    if (Date.now() > deadline) throw new Error(`no published checkpoint covers entry ${index} yet`);
    await sleep(delay);
  }
  const page = await requestJson<{ entries: string[] }>(`${coordinatorUrl}/log/v1/entries?start=${index}&end=${index + 1}`, { insecureHttp });
  const entry = EpochEntrySchema.parse(JSON.parse(new TextDecoder().decode(base64ToBytes(page.entries[0]!))));
  const keys = epochFromRecovery(base64ToBytes(entry.recoveryData));
  if (keys.groupKey !== entry.groupKey || keys.commitments.join() !== entry.commitments.join()) throw new Error(`the epoch entry at ${index} does not match its recovery data`);
  return {
    format: 'custodes.public.v1',
    epoch: entry.epoch,
    threshold: keys.threshold,
    total: keys.hostKeys.length,
    groupKey: keys.groupKey,
    commitments: [...keys.commitments],
    verificationShares: Object.fromEntries(keys.publicShares.map((x, p) => [String(p + 1), x])),
  };
}
