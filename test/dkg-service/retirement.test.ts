/**
 * Retiring an epoch with the real services (docs/PROTOCOL.md §3.10, issue #18
 * build 5): five custodian nodes run the DKG of epoch 1, a warrant is served,
 * then a registry update gives epoch 1 a retireAfter. The services' clocks are
 * driven (custodian `clock`, coordinator `now`), never slept on: once the
 * clock passes the date every node destroys its share and host key and logs
 * its signed statement; the coordinator refuses a request for the epoch
 * (EPOCH_RETIRED, naming the date); a node refuses a partials call and the
 * share's recovery; a node whose statement is sent again after a restart is
 * answered with the same log index and makes no share; the auditor is clean
 * and its report shows the retirements.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, verifyLog } from '@custodes/auditor';
import { decodePoint, envelopeId, hexToBytes, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { envelopeSetRoot, partialsCallHeader, PARTIALS_CALL_HEADER, signRecord } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { requestEntry } from '../../scripts/src/fuzz/cluster';
import { DEV_KEYS_FILE } from '../../services/custodian/src/init';
import { Unsealer } from '../../services/custodian/src/seal';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest } from '../coordinator/helpers/real';
import { startDkgCluster } from './helpers';

/** Seconds the services' clocks are ahead of the real one; the test moves it. */
let ahead = 0;
const nowMs = () => Date.now() + ahead * 1000;
const now = () => Math.floor(nowMs() / 1000);

let cluster: RealCluster;

beforeAll(async () => {
  cluster = await startDkgCluster({
    tempPrefix: 'retire',
    threshold: 3,
    total: 5,
    custodian: { clock: nowMs, retirementCheckMs: 50 },
    coordinator: { now },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

/** Every published log entry, parsed (the public read API). */
async function publishedEntries(): Promise<{ type: string; [k: string]: unknown }[]> {
  const size = ((await api(cluster.coordinatorUrl, 'GET', '/log/v1/checkpoint')).body as string).split('\n')[1];
  const page = await api(cluster.coordinatorUrl, 'GET', `/log/v1/entries?start=0&end=${size}`);
  return (page.body.entries as string[]).map((b64) => JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
}

/** Envelopes of epoch 1 in the auto-approval policy's scope. */
function sealed(texts: readonly string[]): Envelope[] {
  const Y = decodePoint(hexToBytes(cluster.groupKey, 33));
  return texts.map((t, k): Envelope => sealEnvelope(utf8(t), Y, 1, { subject: 'subject-a', category: 'messages', time: now() - 86_400 - k } satisfies Label));
}

/** A draft request under `warrantId` with `envelopes`, then its submission (the answer of the submit call). */
async function requestFor(warrantId: string, envelopes: Envelope[]) {
  const token = cluster.tokens[0]!;
  const url = cluster.coordinatorUrl;
  const requestId = (await api(url, 'POST', '/v1/requests', { warrantId }, token)).body.requestId as string;
  expect((await api(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, token)).body.rejected).toEqual([]);
  const submit = await api(url, 'POST', `/v1/requests/${requestId}/submit`, { entry: requestEntry(cluster.investigators[0]!, requestId, warrantId, envelopes) }, token);
  return { requestId, submit };
}

/** The registry update that dates epoch 1's retirement, signed by custodians 1–3 (t of the epoch in force). */
function retiringUpdate(retireAfter: number): RegistryEntry {
  const { signatures: _genesisSignatures, ...genesis } = cluster.registry;
  const unsigned = { ...genesis, sequence: 1, time: now(), epochs: genesis.epochs.map((e) => ({ ...e, retireAfter })) };
  return { ...unsigned, signatures: [1, 2, 3].map((i) => ({ custodian: i, signature: signRecord(unsigned, 'registry', cluster.custodianKeys[i - 1]!.secretKey) })) };
}

/** The secrets node `index` keeps sealed on disk, opened with its dev unseal keys (the node must be stopped). */
async function secretsOnDisk(index: number) {
  const dir = cluster.nodes[index - 1]!.dataDir;
  const db = new Database(join(dir, 'custodian.db'), { readonly: true });
  const row = db.prepare('SELECT sealed_nonce, sealed_box, unseal_threshold, unseal_commitments FROM node WHERE id = 1').get() as Record<string, Buffer>;
  db.close();
  const { unsealKeys } = JSON.parse(readFileSync(join(dir, DEV_KEYS_FILE), 'utf8')) as { unsealKeys: string[] };
  const unsealer = new Unsealer(Number(row.unseal_threshold), () => ({ nonce: new Uint8Array(row.sealed_nonce!), box: new Uint8Array(row.sealed_box!) }), () => new Uint8Array(row.unseal_commitments!));
  for (const k of unsealKeys) {
    const opened = await unsealer.submit(k);
    if (opened) return opened.secrets;
  }
  throw new Error('the dev unseal keys do not open the store');
}

describe('retiring a DKG epoch with the real services', () => {
  it('destroys every share, logs five statements, refuses the epoch everywhere, and audits clean', async () => {
    expect(await runDkg(cluster)).toMatchObject({ status: 'active' });
    const url = cluster.coordinatorUrl;
    const token = cluster.tokens[0]!;

    // A warrant served before the retirement.
    const w = courtSignedWarrant(cluster.court, cluster.investigators[0]!, 'CASE-RETIRE');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval', async () => ((await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token)).body.status === 'approved' ? true : undefined));
    const before = sealed(['kept until the retention period ends']);
    const served = await requestFor(w.warrant.id, before);
    expect(served.submit.status, JSON.stringify(served.submit.body)).toBe(202);
    expect(await finishedRequest(url, token, served.requestId)).toMatchObject({ state: 'complete', done: 1 });

    // The providers' retention period: epoch 1 retires in an hour.
    const retireAfter = now() + 3600;
    const update = await api(url, 'POST', '/v1/registry', { entry: retiringUpdate(retireAfter) });
    expect(update.status, JSON.stringify(update.body)).toBe(201);
    // Before the date nothing is destroyed or refused (the nodes' passes run every 50 ms meanwhile).
    const early = await requestFor(w.warrant.id, sealed(['still in the retention period']));
    expect(early.submit.status, JSON.stringify(early.submit.body)).toBe(202);
    expect(await finishedRequest(url, token, early.requestId)).toMatchObject({ state: 'complete', done: 1 });

    // Node 1 served both requests: it holds its share of epoch 1 (recovered from the log) and its host key.
    await cluster.stopNode(1);
    const held = await secretsOnDisk(1);
    expect(held.shares.map((x) => x.epoch)).toEqual([1]);
    expect(held.hostKey).toMatch(/^[0-9a-f]{64}$/);
    await cluster.startNode(1);

    // The date passes.
    ahead = 2 * 3600;
    const statements = await waitFor(
      'five retirement statements in the published log',
      async () => {
        const retired = (await publishedEntries()).filter((e) => e.type === 'retired');
        return retired.length === 5 ? retired : undefined;
      },
      60_000,
    );
    expect(statements.map((e) => e.custodian).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const e of statements) expect(e).toMatchObject({ epoch: 1, time: expect.any(Number) });
    for (const e of statements) expect(e.time as number).toBeGreaterThanOrEqual(retireAfter);

    // The coordinator refuses a request for the retired epoch, naming the date.
    const late = await requestFor(w.warrant.id, sealed(['past the retention period']));
    expect(late.submit.status, JSON.stringify(late.submit.body)).toBe(409);
    expect(late.submit.body.error.code).toBe('EPOCH_RETIRED');
    expect(late.submit.body.error.message).toContain(`epoch 1 was retired on ${new Date(retireAfter * 1000).toISOString().replace('.000Z', 'Z')}`);

    // A node asked directly — by a validly signed call, for the request it served — refuses; so does recovering the share.
    const node = cluster.nodes[0]!;
    const call = partialsCallHeader(
      { custodian: 1, requestId: served.requestId, envelopeCount: 1, envelopeSetRoot: envelopeSetRoot(before.map((e) => envelopeId(e))), issuedAt: now() },
      cluster.log.secretKey,
    );
    const direct = await fetch(`${node.url}/v1/partials`, { method: 'POST', headers: { 'content-type': 'application/json', [PARTIALS_CALL_HEADER]: call }, body: JSON.stringify({ requestId: served.requestId, envelopes: before }) });
    const refused = (await direct.json()) as { error: { code: string } };
    expect([direct.status, refused.error.code]).toEqual([409, 'EPOCH_RETIRED']);
    const recover = await api(node.url, 'POST', '/v1/operator/dkg/recover', { epoch: 1 }, node.init.operatorToken);
    expect([recover.status, recover.body.error?.code]).toEqual([409, 'EPOCH_RETIRED']);

    // On disk: no share of epoch 1 and no host key (it and the logged recovery data would re-derive the share).
    await cluster.stopNode(1);
    const secrets = await secretsOnDisk(1);
    expect(secrets.shares.map((s) => s.epoch)).toEqual([]);
    expect(secrets.hostKey).toBeUndefined();

    // A restart that sends the statement again (as after a crash before the coordinator answered): the same index, no new share.
    const db = new Database(join(node.dataDir, 'custodian.db'));
    db.prepare("UPDATE outbox SET acked_at = NULL WHERE key = 'retired:1'").run();
    db.close();
    await cluster.startNode(1);
    await waitFor('the statement acknowledged again', async () => {
      const d = new Database(join(node.dataDir, 'custodian.db'), { readonly: true });
      const row = d.prepare("SELECT acked_at, log_index FROM outbox WHERE key = 'retired:1'").get() as { acked_at: number | null; log_index: number | null };
      d.close();
      return row.acked_at !== null ? row : undefined;
    });
    await cluster.stopNode(1);
    expect((await secretsOnDisk(1)).shares).toEqual([]);
    await cluster.startNode(1);
    expect((await publishedEntries()).filter((e) => e.type === 'retired')).toHaveLength(5);

    // The auditor: clean, and the report's epochs show the date and the five statements.
    const verified = await verifyLog({ logUrl: url, now: now() + 2 * 86_400 });
    expect(verified.checkpoint?.accepted).toBe(true);
    expect(verified.findings).toEqual([]);
    const report = buildReport({ audit: verified.audit, leaves: verified.leaves, findings: verified.findings, checkpointAccepted: true });
    expect(report.keyGeneration.epochs).toMatchObject([{ epoch: 1, origin: 'dkg', retireAfter }]);
    expect(report.keyGeneration.epochs[0]!.retirements.map((r) => r.custodian)).toEqual([1, 2, 3, 4, 5]);
  }, 180_000);
});
