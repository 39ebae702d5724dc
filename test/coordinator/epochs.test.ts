/**
 * Partials for a request over a two-epoch registry (docs/PROTOCOL.md §8.1
 * "Epochs and quorum", §8.2 (h)): the coordinator asks, for the request's
 * epochs, custodians of those epochs (approvers holding a share of each) and
 * needs max t_e of them, not the newest epoch's first t approvers.
 *
 * The registry: epoch 1 (newest, the reviewers) t = 3 of {1..5}; epoch 0
 * t = 2 of {4, 5}. Every stand-in approves; each holds the shares of the
 * epochs that list it and refuses envelopes of another (rule (h)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePoint, hexToBytes, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import type { Envelope } from '@custodes/shared/crypto';
import { api, approvedWarrant, finished, logEntries, openResults, startCluster, subjectLabel, submitRequest } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

const EPOCHS = [
  { epoch: 0, threshold: 2, custodians: [4, 5] },
  { epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5] },
];

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ epochs: EPOCHS });
}, 60_000);
afterAll(async () => cluster?.close());

/** An envelope sealed to epoch `epoch`'s group key in the cluster's registry. */
function sealTo(epoch: number, text: string): Envelope {
  const groupKey = cluster.registry.epochs.find((e) => e.epoch === epoch)!.groupKey!;
  return sealEnvelope(utf8(text), decodePoint(hexToBytes(groupKey, 33)), epoch, subjectLabel('alice@example.com'));
}

const partialCalls = () => cluster.custodians.map((c) => c.partialCalls);
const releasers = async (requestId: string) =>
  (await logEntries(cluster)).filter((e) => e.type === 'release' && e.requestId === requestId).map((e) => e.custodian as number).sort((a, b) => a - b);

describe('decryption over two epochs', () => {
  it('opens envelopes of the older epoch with its own custodians and t_0, asking no one else', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const before = partialCalls();
    const requestId = await submitRequest(cluster, 'a', warrant.id, [sealTo(0, 'old one'), sealTo(0, 'old two')]);
    const done = await finished(cluster, 'a', requestId);
    expect(done).toMatchObject({ state: 'complete', total: 2, done: 2, failed: 0 });
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(openResults(results.body, requestId, cluster.investigators.a.secretKey)).toEqual(['old one', 'old two']);
    // Only epoch 0's custodians were asked (the newest epoch's first t approvers, 1–3, hold no share of it).
    expect(partialCalls().map((n, i) => n - before[i]!)).toEqual([0, 0, 0, 1, 1]);
    expect(await releasers(requestId)).toEqual([4, 5]);
  }, 60_000);

  it('opens envelopes of the newest epoch with t_1 = 3 of its custodians', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const requestId = await submitRequest(cluster, 'a', warrant.id, [sealTo(1, 'new')]);
    expect(await finished(cluster, 'a', requestId)).toMatchObject({ state: 'complete', done: 1, failed: 0 });
    expect(await releasers(requestId)).toEqual([1, 2, 3]);
  }, 60_000);

  it('fails a request over both epochs at once: only {4, 5} hold both shares and max(t_0, t_1) = 3 are needed', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const before = partialCalls();
    const requestId = await submitRequest(cluster, 'a', warrant.id, [sealTo(0, 'old'), sealTo(1, 'new')]);
    expect(await finished(cluster, 'a', requestId)).toMatchObject({ state: 'failed', done: 0, error: { code: 'NOT_ENOUGH_CUSTODIANS' } });
    expect(partialCalls().map((n, i) => n - before[i]!)).toEqual([0, 0, 0, 1, 1]);
  }, 60_000);
});
