/**
 * Scaffolding for tests that run a real coordinator with real custodians
 * (custodians.test.ts, retry.test.ts): the cluster as these tests know it, and
 * the investigator's side of a request.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { decodePoint, hexToBytes, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { newSalt, signWarrant } from '@custodes/shared/records';
import type { SignedWarrant, Warrant } from '@custodes/shared/records';
import { startRealCluster } from '../../../scripts/src/cluster/in-process';
import type { RealCluster, RealClusterOptions } from '../../../scripts/src/cluster/in-process';
import { requestEntry } from '../../../scripts/src/fuzz/cluster';
import { api, waitFor } from './cluster';
import type { Party } from './cluster';

/** What an auto-approving node accepts: court-1's warrants for messages. */
const AUTO_APPROVAL_POLICY = { courts: ['court-1'], categories: ['messages'], maxSubjects: 10, maxWindowDays: 365, maxEnvelopes: 1000 };

/**
 * A 3-of-5 real cluster: nodes `custodian-<i>.test` in dev mode (unsealed at
 * start) with silent logs, Test Court, Test Agency with one investigator, and
 * a coordinator with 5 s add-checkpoint calls. Nodes listed in
 * `autoApprovers` (default: all) approve under AUTO_APPROVAL_POLICY; the
 * others leave warrants pending.
 */
export function startTestCluster(opts: {
  origin: string;
  tempPrefix: string;
  autoApprovers?: readonly number[];
  coordinator?: RealClusterOptions['coordinator'];
  custodian?: RealClusterOptions['custodian'];
}): Promise<RealCluster> {
  const approves = (index: number) => opts.autoApprovers?.includes(index) ?? true;
  return startRealCluster({
    origin: opts.origin,
    tempPrefix: opts.tempPrefix,
    names: { custodian: (i) => `custodian-${i}.test`, court: 'Test Court', agency: 'Test Agency' },
    nodeInit: (i) => ({ dev: true, ...(approves(i) ? { policy: AUTO_APPROVAL_POLICY } : {}) }),
    custodian: { logLevel: 'silent', ...opts.custodian },
    coordinator: { cosignTimeoutMs: 5000, ...opts.coordinator },
  });
}

/**
 * A warrant of court-1 for agency-1's `investigator`: subject-a's messages of
 * the last 30 days, up to 100 envelopes, sealed for 90 days, signed by both
 * (inside AUTO_APPROVAL_POLICY).
 */
export function courtSignedWarrant(court: Party, investigator: Party, caseNumber: string): { warrant: SignedWarrant; salt: string } {
  const t = Math.floor(Date.now() / 1000);
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: 'agency-1',
    investigator: investigator.publicKey,
    court: 'court-1',
    caseNumber,
    legalAuthority: 'Test Act §1',
    offense: 'testing',
    scope: { subjects: ['subject-a'], categories: ['messages'], notBefore: t - 30 * 86_400, notAfter: t },
    maxEnvelopes: 100,
    issuedAt: t - 600,
    expiresAt: t + 30 * 86_400,
    sealedUntil: t + 90 * 86_400,
  };
  return {
    warrant: { ...body, courtSignature: signWarrant(body, court.secretKey), investigatorSignature: signWarrant(body, investigator.secretKey) },
    salt: newSalt(),
  };
}

/** Seals `texts` to the group key under `label(k)`, opens a request for `warrantId`, uploads them and submits the signed entry; returns the request id. */
export async function submitSealed(opts: {
  url: string;
  token: string;
  investigator: Party;
  groupKey: string;
  warrantId: string;
  texts: readonly string[];
  label: (k: number) => Label;
  /** The epoch the envelopes are sealed under (default 1). */
  epoch?: number;
}): Promise<string> {
  const { url, token, investigator, warrantId } = opts;
  const Y = decodePoint(hexToBytes(opts.groupKey, 33));
  const envelopes: Envelope[] = opts.texts.map((t, k) => sealEnvelope(utf8(t), Y, opts.epoch ?? 1, opts.label(k)));
  const open = await api(url, 'POST', '/v1/requests', { warrantId }, token);
  const requestId = open.body.requestId as string;
  expect((await api(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, token)).body.rejected).toEqual([]);
  const entry = requestEntry(investigator, requestId, warrantId, envelopes);
  expect((await api(url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, token)).status).toBe(202);
  return requestId;
}

/** The request's status once it is complete or failed. */
export function finishedRequest(url: string, token: string, requestId: string, timeoutMs?: number) {
  return waitFor(
    'the request to finish',
    async () => {
      const r = await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token);
      return r.body.state === 'complete' || r.body.state === 'failed' ? r.body : undefined;
    },
    timeoutMs,
  );
}
