/**
 * Reshare scenarios on real services (docs/PROTOCOL.md §3.9): a DKG cluster
 * whose epoch 1 is made by the DKG, then a registry update proposing the
 * reshare, signed by t reviewers, replicated, and run by the coordinator.
 */
import { signRegistry } from '@custodes/shared/records';
import type { Label } from '@custodes/shared/crypto';
import type { RegistryEntry } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { expect } from 'vitest';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { DkgSessionState, RealCluster } from '../../scripts/src/cluster/in-process';
import { proposeReshare } from '../../scripts/src/reshareProposal';
import type { ReshareProposal } from '../../scripts/src/reshareProposal';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, submitSealed } from '../coordinator/helpers/real';

export const now = () => Math.floor(Date.now() / 1000);

/** Proposes the reshare, signed by `signers` (t reviewers of the newest epoch), and waits until `nodes` replicated it. */
export async function submitReshare(c: RealCluster, proposal: Omit<ReshareProposal, 'time'>, signers: readonly number[], nodes: readonly number[]): Promise<RegistryEntry> {
  const current = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body.entry as RegistryEntry;
  let next = proposeReshare(current, { ...proposal, time: now() });
  for (const i of signers) next = signRegistry(next, i, c.custodianKeys[i - 1]!.secretKey);
  const posted = await api(c.coordinatorUrl, 'POST', '/v1/registry', { entry: next });
  expect(posted.status, JSON.stringify(posted.body)).toBe(201);
  const size = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body.index + 1;
  await waitFor('the update replicated', async () => {
    for (const i of nodes) {
      const n = c.nodes[i - 1]!;
      const w = await requestJson<{ replicaSize: number }>(`${n.url}/v1/operator/witness`, { token: n.init.operatorToken });
      if (w.replicaSize < size) return undefined;
    }
    return true;
  });
  return next;
}

/** Runs the reshare of `epoch` with `consent` (every dealer and receiver that takes part). */
export function runReshare(c: RealCluster, epoch: number, consent: readonly number[]): Promise<DkgSessionState> {
  return runDkg(c, epoch, consent);
}

/** A warrant for `caseId`, approved by the nodes' auto-approval policy. */
export async function approvedWarrant(c: RealCluster, caseId: string): Promise<string> {
  const w = courtSignedWarrant(c.court, c.investigators[0]!, caseId);
  expect((await api(c.coordinatorUrl, 'POST', '/v1/warrants', w, c.tokens[0]!)).status).toBe(201);
  await waitFor('approval', async () => ((await api(c.coordinatorUrl, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, c.tokens[0]!)).body.status === 'approved' ? true : undefined));
  return w.warrant.id;
}

/** Seals `texts` under `epoch` and the cluster's group key, requests them under `warrantId`, and returns what the investigator opens. */
export async function decrypt(c: RealCluster, warrantId: string, epoch: number, texts: readonly string[]): Promise<{ state: string; opened: string[] }> {
  const url = c.coordinatorUrl;
  const token = c.tokens[0]!;
  const investigator = c.investigators[0]!;
  const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });
  const requestId = await submitSealed({ url, token, investigator, groupKey: c.groupKey, warrantId, texts, label, epoch });
  const done = (await finishedRequest(url, token, requestId)) as { state: string };
  if (done.state !== 'complete') return { state: done.state, opened: [] };
  return { state: done.state, opened: openResults((await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token)).body, requestId, investigator.secretKey) };
}
