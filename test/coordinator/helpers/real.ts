/**
 * Scaffolding for tests that run a real coordinator with real custodians
 * (custodians.test.ts, retry.test.ts): free loopback ports, temporary
 * directories removed together at the end, and the investigator's side of a
 * request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { decodePoint, hexToBytes, parseEnvelope, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { envelopeSetRoot, signRecord } from '@custodes/shared/records';
import { api, waitFor } from './cluster';
import type { Party } from './cluster';

/** A loopback port that was free a moment ago, so custodians can be told the coordinator's URL before it starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Temporary directories named `custodes-<prefix>-…`; `removeAll` deletes every one made so far. */
export function tempDirs(prefix: string): { make: () => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const d = mkdtempSync(join(tmpdir(), `custodes-${prefix}-`));
      dirs.push(d);
      return d;
    },
    removeAll: () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
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
}): Promise<string> {
  const { url, token, investigator, warrantId } = opts;
  const Y = decodePoint(hexToBytes(opts.groupKey, 33));
  const envelopes: Envelope[] = opts.texts.map((t, k) => sealEnvelope(utf8(t), Y, 1, opts.label(k)));
  const open = await api(url, 'POST', '/v1/requests', { warrantId }, token);
  const requestId = open.body.requestId as string;
  expect((await api(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, token)).body.rejected).toEqual([]);
  const unsigned = {
    type: 'decryption-request' as const,
    requestId,
    warrantId,
    investigator: investigator.publicKey,
    envelopeCount: envelopes.length,
    envelopeSetRoot: envelopeSetRoot(envelopes.map((e) => parseEnvelope(e).id)),
    epochs: [1],
    time: Math.floor(Date.now() / 1000),
  };
  const entry = { ...unsigned, signature: signRecord(unsigned, 'decryption-request', investigator.secretKey) };
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
