/**
 * The operator's side of a DKG over the log (docs/PROTOCOL.md §3.8, §7.15): start
 * a session at the coordinator (the start header signed with the log key),
 * follow it to its end, and read the epoch's public keys from the verified
 * log — an export of what the log proves, computed by anyone from the
 * recovery data, never from a secret.
 */
import { DKG_START_HEADER, dkgStartHeader } from '@custodes/shared/records';
import type { PublicKeySet } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { epochFromLog } from './epochFromLog';

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
 * `public.json` for `epoch`, whose `epoch` entry is logged at `index`: once a
 * published checkpoint covers that entry, the log is verified and the keys
 * are taken from what it proves (epochFromLog: the resolved registry, so the
 * public shares are keyed by the epoch's custodian indices, §3.1), exactly as
 * `custodes epoch export` does.
 */
export async function publicKeySetFromLog(coordinatorUrl: string, epoch: number, index: number, timeoutMs = 60_000, insecureHttp = false): Promise<PublicKeySet> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const cp = await requestJson<string>(`${coordinatorUrl}/log/v1/checkpoint`, { expectText: true, insecureHttp });
    if (Number(cp.split('\n')[1]) > index) break;
    if (Date.now() > deadline) throw new Error(`no published checkpoint covers entry ${index} yet`);
    await sleep(delay);
  }
  return (await epochFromLog({ coordinator: coordinatorUrl, epoch })).publicKeySet;
}
