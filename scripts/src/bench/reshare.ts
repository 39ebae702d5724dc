/**
 * `npm run bench -- reshare`: the wall time of a 3-of-5 → 4-of-7 reshare over
 * the log (docs/PROTOCOL.md §3.9: two custodians join, the group key stays),
 * as a ratio to one warrant round trip measured in the same run.
 *
 * On an in-process cluster (scripts/src/cluster/in-process.ts) of 5 DKG nodes
 * whose epoch 1 is made by the DKG, two more custodian nodes are initialised
 * with host keys and started; the registry update proposing epoch 2
 * (`reshareOf: 1`, custodians 1–7) is built by proposeReshare, signed by 3
 * custodians of epoch 1 and submitted, and epoch 1's custodians (the
 * witnesses) replicate it; the joiners get the log from the coordinator. The
 * timed part is from the session start (after every operator consented) to
 * the coordinator's state `active`: commits of the 5 dealers, the logged
 * dealer set, reveals, the qualified set, 7 receivers' CertEq signatures,
 * each logged and cosigned before anyone acts on it, then the `epoch`
 * entry; polled every 50 ms. The baseline is the warrant round trip of the
 * dkg bench (bench/dkg.ts) on the same cluster before the reshare (submit →
 * approved by 5 → 10 envelopes decrypted → results), median of `rounds`
 * after one warm-up, each on a settled log.
 */
import pino from 'pino';
import { signRegistry } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { createCustodian, initCustodian } from '@custodes/custodian';
import type { Custodian } from '@custodes/custodian';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noteKeyPair, runDkg, startRealCluster } from '../cluster/in-process';
import type { RealCluster } from '../cluster/in-process';
import { DEMO_POLICY } from '../cluster/bootstrap';
import { proposeReshare } from '../reshareProposal';
import { median, settle, target, warrantRoundTrip } from './dkg';

type Write = (line: string) => void;
const stdout: Write = (line) => process.stdout.write(line + '\n');

export interface ReshareBenchOptions {
  /** Measured warrant round trips (after one warm-up). */
  rounds?: number;
  write?: Write;
}

export interface ReshareBenchResult {
  readonly roundTripMs: number;
  readonly reshareMs: number;
  readonly ratio: number;
}

const OLD = { t: 3, n: 5 };
const NEW = { t: 4, n: 7 };

/** A joining custodian node: initialised with a host key and no share, started against the cluster's coordinator. */
async function joinNode(cluster: RealCluster, index: number, dirs: string[]): Promise<{ service: Custodian; token: string; custodian: RegistryEntry['epochs'][number]['custodians'][number] }> {
  const dataDir = mkdtempSync(join(tmpdir(), `custodes-bench-reshare-join-${index}-`));
  dirs.push(dataDir);
  const key = noteKeyPair();
  const init = await initCustodian({ dataDir, dkg: { custodian: index, epoch: 2 }, keyFile: { format: 'custodes.key.v1', ...key }, dev: true, policy: DEMO_POLICY });
  const service = createCustodian({ logLevel: 'silent', dataDir, coordinatorUrl: cluster.coordinatorUrl, port: 0 });
  await service.start();
  return { service, token: init.operatorToken, custodian: { index, name: `custodian-${index}`, signingKey: key.publicKey, witnessKey: key.notePublicKey, url: service.url, hostKey: init.hostKey! } };
}

async function waitReplicated(nodes: readonly { url: string; token: string }[], size: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of nodes) {
    for (;;) {
      const w = await requestJson<{ replicaSize: number }>(`${n.url}/v1/operator/witness`, { token: n.token });
      if (w.replicaSize >= size) break;
      if (Date.now() > deadline) throw new Error(`bench reshare: ${n.url} did not replicate the registry update`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function runReshareBench(opts: ReshareBenchOptions = {}): Promise<ReshareBenchResult> {
  const rounds = opts.rounds ?? 3;
  const write = opts.write ?? stdout;
  const cluster = await startRealCluster({
    origin: `custodes.bench/reshare-${OLD.n}-to-${NEW.n}`,
    tempPrefix: 'bench-reshare',
    threshold: OLD.t,
    total: OLD.n,
    dkg: true,
    names: { custodian: (i) => `custodian-${i}`, court: 'Bench Court', agency: 'Bench Agency' },
    nodeInit: () => ({ dev: true, policy: DEMO_POLICY }),
    custodian: { logLevel: 'silent' },
    coordinator: { logger: pino({ level: 'silent' }) },
  });
  const joined: Custodian[] = [];
  const dirs: string[] = [];
  try {
    const dkg = await runDkg(cluster);
    if (dkg.status !== 'active') throw new Error(`bench reshare: the DKG of epoch 1 ended ${dkg.status}`);
    const c = target(cluster);
    await warrantRoundTrip(c, OLD.n); // warm-up
    const trips: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await settle(c.coordinator);
      trips.push(await warrantRoundTrip(c, OLD.n));
    }
    const roundTripMs = median(trips);
    write(`warrant round trip on the ${OLD.t}-of-${OLD.n} cluster (submit → approved by ${OLD.n} → 10 envelopes back): ${roundTripMs.toFixed(0)} ms, median of ${rounds} (${trips.map((x) => x.toFixed(0)).join(', ')} ms)`);

    // Two custodians join: nodes 6 and 7, then the update proposing epoch 2, signed by t of epoch 1.
    const extra = [await joinNode(cluster, 6, dirs), await joinNode(cluster, 7, dirs)];
    joined.push(...extra.map((x) => x.service));
    const current = (await requestJson<{ entry: RegistryEntry }>(`${cluster.coordinatorUrl}/v1/registry`)).entry;
    let next = proposeReshare(current, { from: 1, add: extra.map((x) => x.custodian), threshold: NEW.t, time: Math.floor(Date.now() / 1000) });
    for (let i = 1; i <= OLD.t; i++) next = signRegistry(next, i, cluster.custodianKeys[i - 1]!.secretKey);
    const posted = await requestJson<{ index: number }>(`${cluster.coordinatorUrl}/v1/registry`, { method: 'POST', body: { entry: next } });
    // The witnesses (epoch 1's custodians) replicate the update; the joiners are not witnesses yet, and get the log from the coordinator in the session.
    await waitReplicated(cluster.nodes.map((n) => ({ url: n.url, token: n.init.operatorToken })), posted.index + 1);
    for (const x of extra) await requestJson(`${x.service.url}/v1/operator/dkg/consent`, { method: 'POST', body: { epoch: 2 }, token: x.token });
    await settle(c.coordinator);

    // runDkg records the first five operators' consent (untimed, as in bench/dkg.ts) then starts and polls the session.
    const t0 = performance.now();
    const state = await runDkg(cluster, 2);
    const reshareMs = performance.now() - t0;
    if (state.status !== 'active') throw new Error(`bench reshare: the session ended ${state.status}${state.status === 'aborted' ? ` (${state.reason})` : ''}`);
    if (state.groupKey !== cluster.groupKey) throw new Error('bench reshare: the group key changed');
    const ratio = reshareMs / roundTripMs;
    write(`reshare ${OLD.t}-of-${OLD.n} → ${NEW.t}-of-${NEW.n}: ${reshareMs.toFixed(0)} ms (session start → epoch 2 active, same group key; in-process cluster of ${NEW.n} nodes)`);
    write(`  reshare / warrant round trip: ${ratio.toFixed(1)}×`);
    return { roundTripMs, reshareMs, ratio };
  } finally {
    await cluster.close();
    await Promise.all(joined.map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
