/**
 * A real cluster in one process: a t-of-n key ceremony, the genesis registry
 * signed by every custodian (docs/PROTOCOL.md §3.1), real custodian nodes
 * (services/custodian) and a real coordinator (services/coordinator) on
 * loopback ports, each in its own temporary directory.
 *
 * The one place this setup is written: the hardening harness
 * (../fuzz/cluster.ts) and the tests that need real services
 * (test/coordinator, test/web) each describe only what differs — policy,
 * dev mode, names, timeouts, loggers — through `RealClusterOptions`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, dealShares, ed25519PublicKey, ed25519SecretKey, randomSecretKey, schnorrPublicKey } from '@custodes/shared/crypto';
import { ceremonyFiles, DKG_START_HEADER, dkgStartHeader, signRecord } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import type { RegistryEntry, ShareFile } from '@custodes/shared/records';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import type { Coordinator, CoordinatorConfig } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import type { Custodian, CustodianConfig, InitOptions, InitResult } from '@custodes/custodian';

// ## Keys, ports, directories

interface KeyPair {
  secretKey: string;
  publicKey: string;
}

/** A BIP340 key pair with the identity's Ed25519 note key (docs/PROTOCOL.md §4.3, §9.3): the log's, a custodian's. */
interface NoteKeyPair extends KeyPair {
  noteSecretKey: string;
  notePublicKey: string;
}

/** A fresh BIP340 key pair, hex. */
function keyPair(): KeyPair {
  const sk = randomSecretKey();
  return { secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)) };
}

/** A fresh BIP340 key pair and Ed25519 note key pair, hex (what `custodes keygen` writes). */
function noteKeyPair(): NoteKeyPair {
  const note = ed25519SecretKey();
  return { ...keyPair(), noteSecretKey: bytesToHex(note), notePublicKey: bytesToHex(ed25519PublicKey(note)) };
}

/** A loopback port that was free a moment ago, so custodians can be told the coordinator's URL before it starts. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Temporary directories named `custodes-<prefix>-…`; `removeAll` deletes every one made so far. */
function tempDirs(prefix: string): { make: () => string; removeAll: () => void } {
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

// ## The cluster

/** How one node is initialised beyond its share and signing key. */
type NodeInit = Pick<InitOptions, 'dev' | 'policy' | 'name' | 'hostKeyFile'>;

interface RealClusterOptions {
  /** The log's origin, in the registry and the coordinator's config. */
  origin: string;
  /** Temporary directories are named `custodes-<tempPrefix>-…`. */
  tempPrefix: string;
  /** Requires 1 ≤ threshold ≤ total (default 3 of 5). */
  threshold?: number;
  total?: number;
  /** Registry names: custodian `index` ∈ [1, total] (also its key name on cosignatures), the court `court-1`, the agency `agency-1`. */
  names: { custodian: (index: number) => string; court: string; agency: string };
  /** How many investigators agency-1 lists; each gets a bearer token (default 1). */
  investigators?: number;
  /** Seconds before now that the genesis registry is dated (default 60). */
  registryAgeSeconds?: number;
  /** Dev mode, auto-approval policy and registry name of node `index` (default: none of them). */
  nodeInit?: (index: number) => NodeInit;
  /** Every node's service config; the port is chosen here so that a node restarts where the registry says it is. */
  custodian?: Partial<Omit<CustodianConfig, 'dataDir' | 'coordinatorUrl' | 'port'>>;
  coordinator?: Partial<Omit<CoordinatorConfig, 'dataDir' | 'port' | 'origin' | 'logSecretKey' | 'logNoteSecretKey'>>;
  /**
   * No dealer (docs/PROTOCOL.md §3.8): the genesis proposes epoch 1 with every
   * node's host key, and the key is made by `runDkg` once the cluster runs.
   */
  dkg?: boolean;
}

interface RealNode {
  /** Its share index, 1-based. */
  index: number;
  dataDir: string;
  /** Where the registry says it is; it keeps this URL across restarts. */
  url: string;
  init: InitResult;
  /** Null while stopped. */
  service: Custodian | null;
}

interface RealCluster {
  /** The running coordinator; `restartCoordinator` replaces it. */
  coordinator: Coordinator;
  /** The config the coordinator was last started with. */
  coordinatorConfig: CoordinatorConfig;
  coordinatorUrl: string;
  coordinatorDir: string;
  nodes: RealNode[];
  court: KeyPair;
  /** The agency's investigators, with their bearer tokens in the same order. */
  investigators: KeyPair[];
  tokens: string[];
  registry: RegistryEntry;
  /** '' for a DKG cluster until runDkg made the key. */
  groupKey: string;
  shares: ShareFile[];
  custodianKeys: NoteKeyPair[];
  log: NoteKeyPair;
  /** Starts node `index` again on its data directory and URL. */
  startNode(index: number): Promise<void>;
  stopNode(index: number): Promise<void>;
  /**
   * Starts a new node with the next index, a fresh signing key (appended to
   * `custodianKeys`) and a host key, initialised to join proposed epoch
   * `epoch` by a reshare or DKG (docs/PROTOCOL.md §3.9): the registry lists
   * it once a registry update adds `registryCustodian(index)`.
   */
  addNode(epoch: number): Promise<RealNode>;
  /** Node `index` as a registry entry lists it (with its host key, if it has one). */
  registryCustodian(index: number): RegistryEntry['epochs'][number]['custodians'][number];
  /** Closes the coordinator and starts a new one on the same data directory and port, with `over` applied to its config. */
  restartCoordinator(over?: Partial<CoordinatorConfig>): Promise<void>;
  /** Stops everything and removes the temporary directories. */
  close(): Promise<void>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The genesis registry (sequence 0) of one epoch, signed by every custodian it lists. */
function signedGenesis(opts: {
  origin: string;
  log: NoteKeyPair;
  /** Null: epoch 1 is proposed, listed with host keys and no keys of its own (docs/PROTOCOL.md §3.8). */
  publicKeySet: { groupKey: string; commitments: string[] } | null;
  threshold: number;
  nodes: readonly (Pick<RealNode, 'index' | 'url'> & Partial<Pick<RealNode, 'init'>>)[];
  custodianKeys: readonly NoteKeyPair[];
  court: KeyPair;
  investigators: readonly KeyPair[];
  names: RealClusterOptions['names'];
  time: number;
}): RegistryEntry {
  const unsigned: Omit<RegistryEntry, 'signatures'> = {
    type: 'registry',
    sequence: 0,
    origin: opts.origin,
    logKey: opts.log.publicKey,
    logNoteKey: opts.log.notePublicKey,
    epochs: [
      {
        epoch: 1,
        threshold: opts.threshold,
        total: opts.nodes.length,
        ...(opts.publicKeySet ? { groupKey: opts.publicKeySet.groupKey, commitments: opts.publicKeySet.commitments } : {}),
        custodians: opts.nodes.map((n) => ({
          index: n.index,
          name: opts.names.custodian(n.index),
          signingKey: opts.custodianKeys[n.index - 1]!.publicKey,
          witnessKey: opts.custodianKeys[n.index - 1]!.notePublicKey,
          url: n.url,
          ...(opts.publicKeySet ? {} : { hostKey: n.init!.hostKey! }),
        })),
      },
    ],
    courts: [{ id: 'court-1', name: opts.names.court, key: opts.court.publicKey }],
    agencies: [{ id: 'agency-1', name: opts.names.agency, investigators: opts.investigators.map((k) => k.publicKey) }],
    time: opts.time,
  };
  // docs/PROTOCOL.md §3.1: a genesis entry is valid only when every listed custodian has signed it.
  return { ...unsigned, signatures: opts.custodianKeys.map((k, i) => ({ custodian: i + 1, signature: signRecord(unsigned, 'registry', k.secretKey) })) };
}

/**
 * Starts the cluster: nodes first (the coordinator's port is reserved so they
 * know its URL), then the registry that lists them, then the coordinator.
 * On any failure everything started so far is closed again.
 */
async function startRealCluster(opts: RealClusterOptions): Promise<RealCluster> {
  const { threshold = 3, total = 5, investigators: investigatorCount = 1, registryAgeSeconds = 60 } = opts;
  if (!Number.isInteger(total) || !Number.isInteger(threshold) || threshold < 1 || threshold > total) throw new RangeError('threshold and total: requires 1 ≤ threshold ≤ total');
  const temp = tempDirs(opts.tempPrefix);
  // The dealer only when no DKG is asked for: an offline tool for tests and vectors (docs/PROTOCOL.md §3.1).
  const { publicKeySet, shares } = opts.dkg ? { publicKeySet: null, shares: [] as ShareFile[] } : ceremonyFiles(dealShares(threshold, total), 1);
  const port = await freePort();
  const coordinatorUrl = `http://127.0.0.1:${port}`;
  const custodianKeys = Array.from({ length: total }, noteKeyPair);
  const nodes: RealNode[] = [];
  let coordinator: Coordinator | undefined;

  const node = (index: number) => {
    const n = nodes[index - 1];
    if (!n) throw new RangeError(`index: no node ${index}`);
    return n;
  };
  const startNode = async (index: number) => {
    const n = node(index);
    // Port 0 on the first start; afterwards the port the registry lists, so the coordinator finds the node again.
    const service = createCustodian({ ...opts.custodian, dataDir: n.dataDir, coordinatorUrl, port: n.url ? Number(new URL(n.url).port) : 0 });
    await service.start();
    n.url = service.url;
    n.service = service;
  };
  const stopNode = async (index: number) => {
    const n = node(index);
    await n.service?.close();
    n.service = null;
  };
  const close = async () => {
    await coordinator?.close();
    await Promise.all(nodes.map((n) => stopNode(n.index)));
    temp.removeAll();
  };

  /** Initialises and starts node `index` (the next one): a DKG node of `dkgEpoch`, else with its dealt share. */
  const makeNode = async (index: number, dkgEpoch: number | null) => {
    const dataDir = temp.make();
    const init = await initCustodian({
      dataDir,
      ...(dkgEpoch !== null ? { dkg: { custodian: index, epoch: dkgEpoch } } : { shareFile: shares[index - 1] }),
      keyFile: { format: 'custodes.key.v1', ...custodianKeys[index - 1]! },
      ...opts.nodeInit?.(index),
    });
    const n: RealNode = { index, dataDir, url: '', init, service: null };
    nodes.push(n);
    await startNode(index);
    return n;
  };

  try {
    for (let index = 1; index <= total; index++) await makeNode(index, opts.dkg ? 1 : null);
    const log = noteKeyPair();
    const court = keyPair();
    const investigators = Array.from({ length: investigatorCount }, keyPair);
    const registry = signedGenesis({ origin: opts.origin, log, publicKeySet, threshold, nodes, custodianKeys, court, investigators, names: opts.names, time: nowSeconds() - registryAgeSeconds });
    const coordinatorDir = temp.make();
    initCoordinator({ dataDir: coordinatorDir, registry, logSecretKey: log.secretKey, logNoteSecretKey: log.noteSecretKey });
    const tokens = investigators.map((k) => addInvestigatorToken({ dataDir: coordinatorDir, agency: 'agency-1', investigator: k.publicKey }));
    const coordinatorConfig: CoordinatorConfig = { ...opts.coordinator, dataDir: coordinatorDir, port, origin: opts.origin, logSecretKey: log.secretKey, logNoteSecretKey: log.noteSecretKey };
    coordinator = createCoordinator(coordinatorConfig);
    await coordinator.start();

    const cluster: RealCluster = {
      coordinator,
      coordinatorConfig,
      coordinatorUrl,
      coordinatorDir,
      nodes,
      court,
      investigators,
      tokens,
      registry,
      groupKey: publicKeySet?.groupKey ?? '',
      shares,
      custodianKeys,
      log,
      startNode,
      stopNode,
      addNode: async (epoch) => {
        custodianKeys.push(noteKeyPair());
        return makeNode(nodes.length + 1, epoch);
      },
      registryCustodian: (index) => {
        const n = node(index);
        const k = custodianKeys[index - 1]!;
        return { index, name: opts.names.custodian(index), signingKey: k.publicKey, witnessKey: k.notePublicKey, url: n.url, ...(n.init.hostKey ? { hostKey: n.init.hostKey } : {}) };
      },
      restartCoordinator: async (over = {}) => {
        await cluster.coordinator.close();
        cluster.coordinatorConfig = { ...coordinatorConfig, ...over };
        coordinator = cluster.coordinator = createCoordinator(cluster.coordinatorConfig);
        await coordinator.start();
      },
      close,
    };
    return cluster;
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Runs the DKG of proposed epoch `epoch` (docs/PROTOCOL.md §3.8): each node's
 * operator consents (`consent`, default all), the coordinator starts a session
 * (the start header signed by the log key), and the state is polled until it
 * is `active` or `aborted`. On success `cluster.groupKey` is the DKG key.
 */
async function runDkg(cluster: RealCluster, epoch = 1, consent: readonly number[] = cluster.nodes.map((n) => n.index)): Promise<DkgSessionState> {
  for (const i of consent) {
    const n = cluster.nodes[i - 1]!;
    await requestJson(`${n.url}/v1/operator/dkg/consent`, { method: 'POST', body: { epoch }, token: n.init.operatorToken });
  }
  const started = await requestJson<{ session: string }>(`${cluster.coordinatorUrl}/v1/dkg/sessions`, {
    method: 'POST',
    headers: { [DKG_START_HEADER]: dkgStartHeader(epoch, nowSeconds(), cluster.log.secretKey) },
  });
  for (;;) {
    const state = await requestJson<DkgSessionState>(`${cluster.coordinatorUrl}/v1/dkg/sessions/${started.session}`);
    if (state.status === 'active') cluster.groupKey = state.groupKey;
    if (state.status !== 'running') return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

type DkgSessionState =
  | { status: 'running'; epoch: number; session: string; step: string }
  | { status: 'active'; epoch: number; session: string; groupKey: string; index: number }
  | { status: 'aborted'; epoch: number; session: string; reason: string; blamed: number[] };

export { freePort, keyPair, noteKeyPair, runDkg, signedGenesis, startRealCluster };
export type { DkgSessionState };
export type { KeyPair, NodeInit, NoteKeyPair, RealCluster, RealClusterOptions, RealNode };
