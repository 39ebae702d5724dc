/**
 * A dealer of a reshare played by the test (docs/PROTOCOL.md §3.9): it takes
 * the place of a stopped node at the node's URL, with that node's signing key
 * and its real share of the old epoch, and answers the coordinator's
 * `POST /v1/dkg` calls. `offline-after-commit`: it commits to an honest
 * dealing, then answers nothing more. `bad-subshare`: it commits to and
 * reveals a dealing whose encrypted sub-share for the receiver at rank
 * `victimRank` is off by one, which that receiver can prove (a complaint).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { bytesToBase64, bytesToHex, CURVE_ORDER, hexToBytes, scalarToBytes, sha256 } from '@custodes/shared/crypto';
import { dealReshare } from '@custodes/shared/dkg';
import { canonicalJson, decodeDkgCall, DKG_CALL_HEADER, signRecord } from '@custodes/shared/records';
import type { DkgEntry, RegistryEntry, ShareFile } from '@custodes/shared/records';
import { reshareParamsOf } from '@custodes/shared/rules';
import { listen, requestJson } from '@custodes/shared/service';
import type { RealCluster } from '../../scripts/src/cluster/in-process';

export type FakeDealerMode = { kind: 'offline-after-commit' } | { kind: 'bad-subshare'; victimRank: number };

/** The registry as the coordinator resolves it: the logged entry with the epochs the log activated (§3.8). */
async function resolvedRegistry(coordinatorUrl: string): Promise<RegistryEntry> {
  const served = await requestJson<{ entry: RegistryEntry; activated: { epoch: number; groupKey: string; commitments: string[] }[] }>(`${coordinatorUrl}/v1/registry`);
  return {
    ...served.entry,
    epochs: served.entry.epochs.map((e) => {
      const a = served.activated.find((x) => x.epoch === e.epoch);
      return a ? { ...e, groupKey: a.groupKey, commitments: a.commitments } : e;
    }),
  };
}

/** The dealing with the encrypted sub-share at `rank` (1-based, new committee) plus one: dealing = u8(i) ‖ pubnonce ‖ C_0…C_{t_N−1} ‖ enc_1…enc_{n_N}. */
export function corruptSubshare(dealing: Uint8Array, newThreshold: number, rank: number): Uint8Array {
  const out = dealing.slice();
  const at = 1 + 33 + 33 * newThreshold + 32 * (rank - 1);
  const enc = BigInt('0x' + bytesToHex(out.subarray(at, at + 32)));
  out.set(scalarToBytes((enc + 1n) % CURVE_ORDER), at);
  return out;
}

/** Stops node `index` and serves its `/v1/dkg` at its URL as `mode` says; returns the server (close it after). */
export async function startFakeDealer(c: RealCluster, index: number, share: ShareFile, mode: FakeDealerMode): Promise<Server> {
  const node = c.nodes[index - 1]!;
  await c.stopNode(index);
  const key = c.custodianKeys[index - 1]!.secretKey;
  const dealings = new Map<string, { dealing: Uint8Array; committed: boolean }>();
  const app = express();
  app.post('/v1/dkg', async (req, res) => {
    const call = decodeDkgCall(req.get(DKG_CALL_HEADER));
    if (!call) return void res.status(401).json({ error: { code: 'BAD_CALL', message: 'no call' } });
    let own = dealings.get(call.session);
    if (!own) {
      const params = reshareParamsOf(await resolvedRegistry(c.coordinatorUrl), call.epoch, call.session);
      const honest = dealReshare(params, hexToBytes(share.share, 32), index, new Uint8Array(randomBytes(32)));
      own = { dealing: mode.kind === 'bad-subshare' ? corruptSubshare(honest, params.newThreshold, mode.victimRank) : honest, committed: false };
      dealings.set(call.session, own);
    }
    if (own.committed && mode.kind === 'offline-after-commit') return void res.status(503).json({ error: { code: 'OFFLINE', message: 'gone' } });
    const base = { type: 'dkg' as const, epoch: call.epoch, session: call.session, custodian: index, time: Math.floor(Date.now() / 1000) };
    const body = own.committed ? { ...base, step: 'reveal' as const, payload: bytesToBase64(own.dealing) } : { ...base, step: 'commit' as const, payload: bytesToHex(sha256(own.dealing)) };
    own.committed = true;
    const entry = { ...body, signature: signRecord(body, 'dkg', key) } as DkgEntry;
    res.json({ entry: JSON.parse(canonicalJson(entry)) });
  });
  return (await listen(app, Number(new URL(node.url).port), '127.0.0.1')).server;
}
