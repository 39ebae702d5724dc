/**
 * Reshare scenarios on real services (docs/PROTOCOL.md §3.9): a DKG cluster
 * whose epoch 1 is made by the DKG, then a registry update proposing the
 * reshare, signed by t reviewers, replicated, and run by the coordinator.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPartial, decodePoint, evaluationPoints, hexToBytes, parseEnvelope, scalarFromBytes, sealEnvelope, utf8, verificationShare } from '@custodes/shared/crypto';
import type { Envelope, GroupPoint, Label, Partial } from '@custodes/shared/crypto';
import { signRegistry } from '@custodes/shared/records';
import type { RegistryEntry, ShareFile } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { expect } from 'vitest';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { DkgSessionState, RealCluster, RealNode } from '../../scripts/src/cluster/in-process';
import { DB_FILE } from '../../services/custodian/src/init';
import { Unsealer } from '../../services/custodian/src/seal';
import { proposeReshare } from '../../scripts/src/reshareProposal';
import type { ReshareProposal } from '../../scripts/src/reshareProposal';
import { requestEntry } from '../../scripts/src/fuzz/cluster';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest } from '../coordinator/helpers/real';

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

const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });

/** Envelopes of `texts` sealed now to the cluster's group key under `epoch`. */
export function seal(c: RealCluster, epoch: number, texts: readonly string[]): Envelope[] {
  const Y = decodePoint(hexToBytes(c.groupKey, 33));
  return texts.map((t, k) => sealEnvelope(utf8(t), Y, epoch, label(k)));
}

/** Opens a request for `envelopes` under `warrantId`, uploads them and submits the signed entry; returns the request id. */
export async function submitEnvelopes(c: RealCluster, warrantId: string, envelopes: readonly Envelope[]): Promise<string> {
  const url = c.coordinatorUrl;
  const token = c.tokens[0]!;
  const requestId = (await api(url, 'POST', '/v1/requests', { warrantId }, token)).body.requestId as string;
  expect((await api(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, token)).body.rejected).toEqual([]);
  const entry = requestEntry(c.investigators[0]!, requestId, warrantId, [...envelopes]);
  expect((await api(url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, token)).status).toBe(202);
  return requestId;
}

/** Requests `envelopes` under `warrantId` through the normal warrant path and returns what the investigator opens. */
export async function decryptEnvelopes(c: RealCluster, warrantId: string, envelopes: readonly Envelope[], timeoutMs?: number): Promise<{ state: string; opened: string[] }> {
  const url = c.coordinatorUrl;
  const token = c.tokens[0]!;
  const investigator = c.investigators[0]!;
  const requestId = await submitEnvelopes(c, warrantId, envelopes);
  const done = (await finishedRequest(url, token, requestId, timeoutMs)) as { state: string };
  if (done.state !== 'complete') return { state: done.state, opened: [] };
  return { state: done.state, opened: openResults((await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token)).body, requestId, investigator.secretKey) };
}

/** Seals `texts` under `epoch` and the cluster's group key, requests them under `warrantId`, and returns what the investigator opens. */
export function decrypt(c: RealCluster, warrantId: string, epoch: number, texts: readonly string[]): Promise<{ state: string; opened: string[] }> {
  return decryptEnvelopes(c, warrantId, seal(c, epoch, texts));
}

/**
 * The shares node `n` holds now, read from its database and opened with its
 * dev unseal keys: what a thief of the node's disk and keys would hold (the
 * compromised custodian of an emergency reshare, docs/PROTOCOL.md §3.9).
 */
export async function nodeShares(n: RealNode): Promise<ShareFile[]> {
  const db = new Database(join(n.dataDir, DB_FILE), { readonly: true });
  let row: { sealed_nonce: Buffer; sealed_box: Buffer; unseal_threshold: number };
  try {
    row = db.prepare('SELECT sealed_nonce, sealed_box, unseal_threshold FROM node WHERE id = 1').get() as typeof row;
  } finally {
    db.close();
  }
  const unsealer = new Unsealer(row.unseal_threshold, () => ({ nonce: new Uint8Array(row.sealed_nonce), box: new Uint8Array(row.sealed_box) }), () => null);
  for (const key of n.init.unsealKeys) {
    const opened = await unsealer.submit(key);
    if (opened) return opened.secrets.shares;
  }
  throw new Error(`node ${n.index} did not unseal`);
}

/** Node `index`'s share of `epoch`, read from its store (nodeShares) once it holds one: a receiver adopts it after the epoch entry is logged. */
export function shareOf(c: RealCluster, index: number, epoch: number): Promise<ShareFile> {
  return waitFor(`node ${index}'s share of epoch ${epoch}`, async () => (await nodeShares(c.nodes[index - 1]!)).find((s) => s.epoch === epoch));
}

/** The partial of `share` for `envelope` (docs/PROTOCOL.md §3.3), labelled `index` (default the share's own). */
export function partialWith(share: ShareFile, envelope: Envelope, index = share.index): Partial {
  return createPartial(scalarFromBytes(hexToBytes(share.share, 32), 'share'), index, parseEnvelope(envelope));
}

/** X_i for every custodian of the epoch `indices` list, from its logged commitments, at the custodians' ranks (§3.1). */
export function verificationShares(commitments: readonly string[], indices: readonly number[]): Map<number, GroupPoint> {
  const C = commitments.map((x) => decodePoint(hexToBytes(x, 33)));
  return new Map([...evaluationPoints(indices)].map(([i, p]) => [i, verificationShare(C, p)] as const));
}

/** The logged key set of `epoch` as the coordinator serves it: its custodians' indices and commitments. */
export async function keySetOf(c: RealCluster, epoch: number): Promise<{ indices: number[]; commitments: string[]; vs: Map<number, GroupPoint> }> {
  const served = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body as { entry: RegistryEntry; activated: { epoch: number; commitments: string[] }[] };
  const e = served.entry.epochs.find((x) => x.epoch === epoch)!;
  const indices = e.custodians.map((x) => x.index);
  const commitments = served.activated.find((a) => a.epoch === epoch)!.commitments;
  return { indices, commitments, vs: verificationShares(commitments, indices) };
}
