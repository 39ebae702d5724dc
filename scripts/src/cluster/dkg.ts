/**
 * The local cluster's key, made by its five custodians (docs/PROTOCOL.md §3.8):
 * each operator consents to the epoch, the coordinator runs the session over
 * the log, and `keys/public.json` is written as an export of the logged
 * `epoch` entry (what the log proves; no process ever held the group secret).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestJson } from '@custodes/shared/service';
import { publicKeySetFromLog, startDkg, waitDkg } from '../dkgClient';
import { json, readKeyFile, writeOutput } from '../io';
import { CUSTODIANS, EPOCH } from './layout';
import type { Layout } from './layout';

export async function runClusterDkg(l: Layout, coordinatorUrl: string, custodianPorts: readonly number[], say: (line: string) => void): Promise<void> {
  for (let i = 1; i <= CUSTODIANS; i++) {
    const token = readFileSync(l.operatorToken(i), 'utf8').trim();
    await requestJson(`http://127.0.0.1:${custodianPorts[i - 1]}/v1/operator/dkg/consent`, { method: 'POST', body: { epoch: EPOCH }, token });
  }
  say(`  the ${CUSTODIANS} operators consented to epoch ${EPOCH}`);
  const session = await startDkg(coordinatorUrl, EPOCH, readKeyFile(l.logKey).secretKey);
  const state = await waitDkg(coordinatorUrl, session);
  if (state.status !== 'active') {
    throw new Error(`the DKG of epoch ${EPOCH} ended ${state.status}${state.status === 'aborted' ? ` (${state.reason}; blamed: ${state.blamed.join(', ') || 'none'})` : ''}`);
  }
  say(`  session ${session}: commit, reveal, aggregate, CertEq — epoch ${EPOCH} active, group key ${state.groupKey.slice(0, 16)}…, logged at ${state.index}`);
  const keys = await publicKeySetFromLog(coordinatorUrl, EPOCH, state.index);
  writeOutput(join(l.keys, 'public.json'), json(keys));
  say(`  ${join(l.keys, 'public.json')}: exported from the logged epoch entry`);
}
