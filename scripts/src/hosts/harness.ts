/**
 * Real hosts on one machine (issue #19): one network namespace per
 * organisation — the coordinator, each custodian, an investigator and an
 * auditor — on a private /24, TLS between all of them under a private CA, and
 * a delay proxy in front of every service so that each exchange costs one
 * WAN round trip. Each service is set up and started with the documented
 * `custodes` commands, run inside its namespace, exactly as its organisation
 * would run them (docs/DEPLOY.md names the function here for each step).
 * The key is made by the DKG among the custodian hosts over the log
 * (docs/PROTOCOL.md §3.8), as `npm start` does: no dealer, no share file.
 *
 * In a namespace, a service listens on its loopback (127.0.0.1:9000, which no
 * other host can reach) and the proxy on the host's address
 * (<ip>:8443 → 127.0.0.1:9000). Without the proxy an organisation binds the
 * service to its address directly (`--host <ip> --port 8443`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newKeyFile } from '../commands/keys';
import { genesisRegistry } from '../commands/registry';
import { DEMO_POLICY } from '../cluster/bootstrap';
import { AGENCY_ID, COURT_ID, EPOCH } from '../cluster/layout';
import { json, readJson, writeOutput } from '../io';
import { parsePublicKeySet, signRegistry } from '@custodes/shared/records';
import { createNetwork, leftovers, removeNetwork } from './netns';
import type { Network } from './netns';
import { makePki } from './pki';
import type { Pki } from './pki';
import { CLI, mustRun, spawnIn, stop, waitForLine } from './procs';
import { ProxyHandle } from './proxy';

/** Where each service listens inside its namespace, and where its proxy listens on the host's address. */
export const SERVICE_PORT = 9000;
export const PUBLIC_PORT = 8443;
export const ORIGIN = 'hosts.custodes.test/log';
const DRIVER = fileURLToPath(new URL('./driverMain.ts', import.meta.url));

export interface HostsOptions {
  /** Names every namespace and link (default `cdhost`); a previous run's leftovers with it are removed first. */
  prefix?: string;
  custodians?: number;
  threshold?: number;
  /** Delay added by each proxy in each direction, ms (default 50: a 100 ms round trip). */
  oneWayMs?: number;
  /** Working directory (default: a fresh one under the OS temp dir, removed at close). */
  dir?: string;
  /** Service log level (default info). */
  logLevel?: string;
  say?: (line: string) => void;
  /** Given the cleanup as soon as there is something to clean up: a signal handler can call it while the hosts are still being built. */
  onCleanup?: (close: () => Promise<void>) => void;
}

export interface Host {
  id: string;
  role: 'coordinator' | 'custodian' | 'investigator' | 'auditor';
  ns: string;
  ip: string;
  /** DNS name in its certificate. */
  name: string;
  /** Its public URL (services only). */
  url?: string;
  proxy?: ProxyHandle;
  process?: ChildProcess;
  logFile?: string;
}

export interface Hosts {
  readonly dir: string;
  readonly net: Network;
  readonly pki: Pki;
  readonly hosts: Host[];
  readonly coordinatorUrl: string;
  /** Environment of every process: the CA in NODE_EXTRA_CA_CERTS. */
  readonly env: NodeJS.ProcessEnv;
  readonly threshold: number;
  /** Files the investigator's host holds. */
  readonly investigator: { keyFile: string; courtKeyFile: string; tokenFile: string; publicKeySet: string };
  host(id: string): Host;
  /**
   * Runs a driver command (driverMain.ts) on `hostId` (default: the investigator) and returns its JSON answer;
   * `trustCa: false` runs it without the CA in NODE_EXTRA_CA_CERTS.
   */
  drive<T>(command: string, input: unknown, hostId?: string, opts?: { timeoutMs?: number; trustCa?: boolean }): Promise<T>;
  /** Runs the `custodes` CLI on `hostId`; its stdout, or an error with the first line of its stderr. */
  cli(hostId: string, args: string[], what: string, input?: string): Promise<string>;
  /** Sets every proxy's one-way delay, ms. */
  setDelay(oneWayMs: number): Promise<void>;
  /** Stops every process, removes every namespace and link, and the working directory (unless it was given). */
  close(): Promise<void>;
}

/** The CLI's unseal keys and operator token from `custodian init` output: kept in memory, never printed. */
function parseInitOutput(out: string): { unsealKeys: string[]; operatorToken: string } {
  const unsealKeys = [...out.matchAll(/^ {2}[0-9]+: ([0-9a-f]+)$/gm)].map((m) => m[1]!);
  const token = /Operator token[^\n]*\n {2}(\S+)/.exec(out)?.[1];
  if (unsealKeys.length === 0 || !token) throw new Error('`custodian init` printed no unseal keys or operator token');
  return { unsealKeys, operatorToken: token };
}

type Cli = (hostId: string, args: string[], what: string, input?: string) => Promise<string>;

/**
 * Every identity makes its own keys (`custodes keygen`, run here in process)
 * and each custodian host its DKG host key (`custodes custodian dkg hostkey`
 * on that host; its officers keep the file offline); the genesis registry
 * proposes epoch 1, t-of-n over those host keys (docs/PROTOCOL.md §3.8), with
 * the demo court, agency and investigator (§9.3), and every custodian signs it.
 */
async function identities(n: number, t: number, urls: string[], hostDir: (id: string) => string, cli: Cli): Promise<void> {
  const keyFile = (path: string) => {
    const k = newKeyFile();
    writeOutput(path, json(k), { secret: true });
    return k;
  };
  const log = keyFile(join(hostDir('coord'), 'log.key'));
  const court = keyFile(join(hostDir('inv'), 'court.key'));
  const investigator = keyFile(join(hostDir('inv'), 'investigator.key'));
  const custodianKeys = urls.map((_, k) => keyFile(join(hostDir(`c${k + 1}`), 'signing.key')));
  const hostKeys = await Promise.all(
    urls.map(async (_, k) => {
      const file = join(hostDir(`c${k + 1}`), 'hostkey.json');
      await cli(`c${k + 1}`, ['custodian', 'dkg', 'hostkey', '--out', file], `custodian dkg hostkey on c${k + 1}`);
      return (readJson(file, 'host key file') as { hostKey: string }).hostKey;
    }),
  );
  let registry = genesisRegistry({
    origin: ORIGIN,
    logKey: log.publicKey,
    logNoteKey: log.notePublicKey!,
    epoch: { proposed: { epoch: EPOCH, threshold: t } },
    custodians: custodianKeys.map((k, i) => ({
      index: i + 1,
      name: `custodian-${i + 1}.hosts.custodes.test`,
      url: urls[i]!,
      signingKey: k.publicKey,
      witnessKey: k.notePublicKey!,
      hostKey: hostKeys[i]!,
    })),
    courts: [{ id: COURT_ID, name: 'Hosts District Court', key: court.publicKey }],
    agencies: [{ id: AGENCY_ID, name: 'Hosts Investigative Agency', investigators: [investigator.publicKey] }],
    time: Math.floor(Date.now() / 1000),
  });
  // Each custodian signs the genesis with its own key (`custodes registry sign`, §9.3).
  custodianKeys.forEach((k, i) => (registry = signRegistry(registry, i + 1, k.secretKey)));
  writeOutput(join(hostDir('coord'), 'registry.json'), json(registry));
  for (let i = 1; i <= n; i++) writeOutput(join(hostDir(`c${i}`), 'policy.json'), json(DEMO_POLICY));
}

export async function buildHosts(options: HostsOptions = {}): Promise<Hosts> {
  const prefix = options.prefix ?? 'cdhost';
  const n = options.custodians ?? 5;
  const t = options.threshold ?? Math.floor(n / 2) + 1;
  const oneWayMs = options.oneWayMs ?? 50;
  const say = options.say ?? (() => undefined);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new RangeError(`custodians must be in [1, 9], got ${n}`);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `custodes-${prefix}-`));
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const stale = leftovers(prefix);
  if (stale.namespaces.length || stale.links.length) say(`removing a previous run's leftovers: ${removeNetwork(prefix).join(', ')}`);

  const ids: [string, number][] = [['coord', 2], ...Array.from({ length: n }, (_, k) => [`c${k + 1}`, 11 + k] as [string, number]), ['inv', 100], ['aud', 101]];
  const processes: ChildProcess[] = [];
  const proxies: ProxyHandle[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(processes.map((p) => stop(p)));
    await Promise.all(proxies.map((p) => p.close()));
    removeNetwork(prefix);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  options.onCleanup?.(close);

  try {
    const net = buildNetwork(prefix, ids, say);
    const role = (id: string): Host['role'] => (id === 'coord' ? 'coordinator' : id === 'inv' ? 'investigator' : id === 'aud' ? 'auditor' : 'custodian');
    const hosts: Host[] = net.hosts.map((h) => ({ ...h, role: role(h.id), name: `${h.id}.hosts.custodes.test` }));
    for (const h of hosts) if (h.role === 'coordinator' || h.role === 'custodian') h.url = `https://${h.ip}:${PUBLIC_PORT}`;
    const host = (id: string) => {
      const h = hosts.find((x) => x.id === id);
      if (!h) throw new Error(`no host ${id}`);
      return h;
    };
    const hostDir = (id: string) => {
      const d = join(dir, id);
      mkdirSync(d, { recursive: true, mode: 0o700 });
      return d;
    };
    const pki = makeCertificates(dir, hosts, say);
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCert, CUSTODES_LOG_LEVEL: options.logLevel ?? 'info' };
    const cli = (hostId: string, args: string[], what: string, input?: string) =>
      mustRun(host(hostId).ns, CLI, args, { env, what, ...(input !== undefined ? { input } : {}) });

    const custodians = hosts.filter((h) => h.role === 'custodian');
    await identities(n, t, custodians.map((h) => h.url!), hostDir, cli);
    say(`identities (offline): signing keys, a DKG host key on each custodian host, genesis registry proposing epoch ${EPOCH} (${t}-of-${n}) signed by every custodian`);

    const coord = host('coord');
    const serviceArgs = (id: string) => ['--host', '127.0.0.1', '--port', String(SERVICE_PORT), '--tls-cert', pki.hosts.get(id)!.cert, '--tls-key', pki.hosts.get(id)!.key];
    const start = async (h: Host, args: string[], ready: RegExp) => {
      // The proxy first: the service is reachable at its address as soon as it listens.
      h.proxy = await ProxyHandle.start(h.ns, `${h.ip}:${PUBLIC_PORT}`, `127.0.0.1:${SERVICE_PORT}`, oneWayMs);
      proxies.push(h.proxy);
      h.logFile = join(hostDir(h.id), 'service.log');
      h.process = spawnIn(h.ns, CLI, args, { env, logFile: h.logFile });
      processes.push(h.process);
      await waitForLine(h.process, h.logFile, ready, 120_000, `${h.role} on ${h.id}`);
    };

    // Custodians first, unsealed before the coordinator asks them to cosign its genesis checkpoint.
    const operatorTokens = new Map<string, string>();
    await Promise.all(
      custodians.map(async (h) => {
        const secrets = await initCustodianHost(h, hostDir(h.id), cli);
        operatorTokens.set(h.id, secrets.operatorToken);
        await start(h, ['custodian', 'start', '--data', join(hostDir(h.id), 'data'), '--coordinator', coord.url!, ...serviceArgs(h.id)], /custodian listening on https:/);
        await unsealCustodianHost(h, secrets.unsealKeys, cli);
      }),
    );
    say(`custodians initialised, started over TLS and unsealed (2 of 3 unseal keys each): ${custodians.map((h) => h.id).join(', ')}`);

    const token = await initCoordinatorHost(coord, hostDir('coord'), cli);
    const tokenFile = join(hostDir('inv'), 'investigator.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    await start(coord, ['coordinator', 'start', '--data', join(hostDir('coord'), 'data'), ...serviceArgs('coord')], /coordinator listening on https:/);
    say(`coordinator initialised with the genesis registry and started over TLS; investigator token issued`);

    const dkgStarted = Date.now();
    const publicKeySet = await runHostsDkg(coord, custodians, operatorTokens, hostDir, cli);
    say(`DKG over the log: the ${n} operators consented, epoch ${EPOCH} active; the investigator exported public.json from the log (${((Date.now() - dkgStarted) / 1000).toFixed(1)} s, CLI start-up included)`);

    const built: Hosts = {
      dir,
      net,
      pki,
      hosts,
      coordinatorUrl: coord.url!,
      env,
      threshold: t,
      investigator: { keyFile: join(hostDir('inv'), 'investigator.key'), courtKeyFile: join(hostDir('inv'), 'court.key'), tokenFile, publicKeySet },
      host,
      cli,
      async drive<T>(command: string, input: unknown, hostId = 'inv', opts: { timeoutMs?: number; trustCa?: boolean } = {}): Promise<T> {
        const { NODE_EXTRA_CA_CERTS: _ca, ...untrusting } = env;
        const out = await mustRun(host(hostId).ns, DRIVER, [command], {
          env: opts.trustCa === false ? untrusting : env,
          input: JSON.stringify(input),
          timeoutMs: opts.timeoutMs ?? 300_000,
          what: `driver ${command} on ${hostId}`,
        });
        const last = out.trim().split('\n').pop() ?? '';
        return JSON.parse(last) as T;
      },
      async setDelay(ms: number) {
        await Promise.all(proxies.map((p) => p.setDelay(ms)));
      },
      close,
    };
    return built;
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** The namespaces, the bridge and the addresses (netns.ts). */
function buildNetwork(prefix: string, ids: [string, number][], say: (l: string) => void): Network {
  const net = createNetwork(prefix, ids);
  say(`network: ${net.hosts.length} namespaces on ${net.subnet}, bridge br0 in ${net.bridgeNs}`);
  return net;
}

/** The private CA and a certificate per host naming its IP and DNS name (pki.ts). */
function makeCertificates(dir: string, hosts: readonly Host[], say: (l: string) => void): Pki {
  const pki = makePki(join(dir, 'pki'), hosts.map((h) => ({ id: h.id, ip: h.ip, name: h.name })));
  say(`private CA ${pki.caCert}; a certificate for each host (subjectAltName = its IP and name)`);
  return pki;
}

/**
 * `custodes custodian init --dkg-index i` on the custodian's own host: the signing key and the host
 * key sealed, no share (the DKG makes it), 3 unseal keys (any 2 unseal).
 */
async function initCustodianHost(h: Host, home: string, cli: Cli): Promise<{ unsealKeys: string[]; operatorToken: string }> {
  const index = h.id.slice(1);
  const out = await cli(
    h.id,
    ['custodian', 'init', '--data', join(home, 'data'), '--dkg-index', index, '--epoch', String(EPOCH), '--host-key', join(home, 'hostkey.json'),
      '--key', join(home, 'signing.key'), '--name', `custodian-${index}.hosts.custodes.test`, '--policy', join(home, 'policy.json'), '--unseal-keys', '3', '--unseal-threshold', '2'],
    `custodian init on ${h.id}`,
  );
  // Once sealed into the store, the plain keys are not needed on the host any more (the officers keep the host key offline).
  rmSync(join(home, 'hostkey.json'));
  rmSync(join(home, 'signing.key'));
  return parseInitOutput(out);
}

/**
 * The DKG among the custodian hosts (docs/PROTOCOL.md §3.8), with the documented commands: each
 * operator consents on its own host (`custodes custodian dkg consent`), the log key's holder starts
 * the session and waits for the `epoch` entry (`custodes coordinator dkg start`), and the
 * investigator exports the epoch's public keys from the verified log (`custodes epoch export`).
 * Returns the path of the investigator's public.json.
 */
async function runHostsDkg(coord: Host, custodians: readonly Host[], operatorTokens: ReadonlyMap<string, string>, hostDir: (id: string) => string, cli: Cli): Promise<string> {
  await Promise.all(
    custodians.map(async (h) => {
      // The operator's token from its secrets store: a 0600 file on its host, never on the command line.
      const tokenFile = join(hostDir(h.id), 'operator.token');
      writeFileSync(tokenFile, `${operatorTokens.get(h.id)!}\n`, { mode: 0o600 });
      await cli(h.id, ['custodian', 'dkg', 'consent', '--node', h.url!, '--token-file', tokenFile, '--epoch', String(EPOCH)], `custodian dkg consent on ${h.id}`);
    }),
  );
  const logKey = join(hostDir('coord'), 'log.key');
  await cli(coord.id, ['coordinator', 'dkg', 'start', '--coordinator', coord.url!, '--log-key', logKey, '--epoch', String(EPOCH)], 'coordinator dkg start');
  rmSync(logKey); // init copied it into the data directory (0600); starting the DKG was its last use here
  const out = join(hostDir('inv'), 'public.json');
  // The epoch entry is logged; a checkpoint cosigned by t custodians covers it a moment later (§4.3).
  for (let attempt = 1; ; attempt++) {
    try {
      await cli('inv', ['epoch', 'export', '--coordinator', coord.url!, '--epoch', String(EPOCH), '--out', out], 'epoch export');
      break;
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  parsePublicKeySet(readJson(out, 'public key set'));
  return out;
}

/** `custodes custodian unseal`, once per officer's key, each key on stdin (never in argv). */
async function unsealCustodianHost(h: Host, unsealKeys: readonly string[], cli: Cli): Promise<void> {
  let last = '';
  for (const key of unsealKeys.slice(0, 2)) last = await cli(h.id, ['custodian', 'unseal', '--node', h.url!], `custodian unseal on ${h.id}`, `${key}\n`);
  if (last.trim() !== 'unsealed') throw new Error(`custodian ${h.id} is still sealed after two unseal keys: ${last.trim()}`);
}

/** `custodes coordinator init` with the signed genesis registry and the log key, then `add-token` for the investigator. */
async function initCoordinatorHost(h: Host, home: string, cli: Cli): Promise<string> {
  await cli(h.id, ['coordinator', 'init', '--data', join(home, 'data'), '--registry', join(home, 'registry.json'), '--log-key', join(home, 'log.key')], 'coordinator init');
  const registry = readJson(join(home, 'registry.json'), 'registry') as { agencies: { investigators: string[] }[] };
  const investigator = registry.agencies[0]!.investigators[0]!;
  return (await cli(h.id, ['coordinator', 'add-token', '--data', join(home, 'data'), '--agency', AGENCY_ID, '--investigator', investigator], 'coordinator add-token')).trim();
}

/** What was built, one line per host, for people. */
export function describeHosts(h: Hosts, oneWayMs: number): string {
  const lines = [
    `network ${h.net.subnet}: bridge br0 in namespace ${h.net.bridgeNs}; each proxy adds ${oneWayMs} ms per direction (RTT ${2 * oneWayMs} ms)`,
    `CA certificate (NODE_EXTRA_CA_CERTS): ${h.pki.caCert}`,
  ];
  for (const x of h.hosts) {
    const where = x.url ? `${x.url}  (service on 127.0.0.1:${SERVICE_PORT} inside, proxy ${x.ip}:${PUBLIC_PORT} → it)` : '(client)';
    lines.push(`  ${x.role.padEnd(12)} ${x.id.padEnd(6)} ns ${x.ns.padEnd(14)} ${x.ip.padEnd(12)} ${where}`);
  }
  lines.push(`working directory: ${h.dir} (logs: <host>/service.log)`);
  return lines.join('\n');
}
