/**
 * `npm start`: the local cluster. On a fresh clone it creates `.custodes/`
 * (registry proposing a DKG epoch, demo identities), runs the 3-of-5 DKG among
 * the custodians once they are up (no dealer, docs/PROTOCOL.md §3.8), starts the coordinator and five
 * custodians as separate processes on loopback, seeds the demo once, prints
 * where everything is, and serves until Ctrl-C (stopping every child).
 *
 * Environment: CUSTODES_HOME (default .custodes), CUSTODES_PORT_BASE (default
 * 8600: coordinator, then custodians 1–5 on the next ports),
 * CUSTODES_EXIT_AFTER_DEMO=1 to stop once the demo has run (tests).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap } from './cluster/bootstrap';
import { CUSTODIANS, EPOCH, layout, ports, THRESHOLD } from './cluster/layout';
import { runClusterDkg } from './cluster/dkg';
import type { Ports } from './cluster/layout';
import { firstPortInUse, startChild, stopAll, waitHealthy } from './cluster/processes';
import type { Child } from './cluster/processes';
import { pageLines } from './cluster/pages';
import { seedDemo } from './cluster/seed';
import type { SeedResult } from './cluster/seed';

interface ClusterState {
  ports: Ports;
  demo?: SeedResult;
}

const say = (line = '') => process.stdout.write(line + '\n');

async function main(): Promise<number> {
  const l = layout();
  const rel = l.show;
  const saved = existsSync(l.state) ? (JSON.parse(readFileSync(l.state, 'utf8')) as ClusterState) : null;
  // Before anything starts: a taken port most likely means this cluster is already running, and a
  // health check would then find the other cluster's services and call this one up.
  const wanted = saved?.ports ?? ports();
  const taken = await firstPortInUse([wanted.coordinator, ...wanted.custodians]);
  if (taken !== null) {
    process.stderr.write(`start: port ${taken} on 127.0.0.1 is in use: is this cluster already running (another \`npm start\`)? Stop it, or choose other ports with CUSTODES_PORT_BASE and another CUSTODES_HOME.\n`);
    return 1;
  }
  let state: ClusterState;
  if (saved) {
    state = saved;
    say(`Reusing ${rel(l.root)}/ (delete it to start from scratch).`);
  } else {
    say(`Setting up ${rel(l.root)}/ …`);
    await bootstrap(l, wanted, (line) => say(`  ${line}`));
    state = { ports: wanted };
    writeFileSync(l.state, JSON.stringify(state, null, 2) + '\n');
  }

  const coordinatorUrl = `http://127.0.0.1:${state.ports.coordinator}`;
  const children: Child[] = [
    startChild('coordinator', ['coordinator', 'start', '--data', l.coordinator, '--port', String(state.ports.coordinator), '--report-dir', l.report], coordinatorUrl, l.logs),
  ];
  for (let i = 1; i <= CUSTODIANS; i++) {
    const port = state.ports.custodians[i - 1]!;
    children.push(startChild(`custodian-${i}`, ['custodian', 'start', '--data', l.custodian(i), '--coordinator', coordinatorUrl, '--port', String(port)], `http://127.0.0.1:${port}`, l.logs));
  }
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return code;
    stopping = true;
    say('\nStopping the cluster …');
    await stopAll(children);
    say('Stopped.');
    return code;
  };
  try {
    say('Starting the coordinator and 5 custodians …');
    await Promise.all(children.map((c) => waitHealthy(c)));
    for (const c of children) {
      c.process.once('exit', (code, signal) => {
        if (!stopping) {
          process.stderr.write(`${c.name} stopped unexpectedly (${signal ?? `exit ${code}`}); see ${join(rel(l.logs), c.name + '.log')}\n`);
          void stop(1).then((c2) => process.exit(c2));
        }
      });
    }
    if (!existsSync(join(l.keys, 'public.json'))) {
      say(`\nDistributed key generation (ChillDKG over the log), epoch ${EPOCH}, ${THRESHOLD}-of-${CUSTODIANS}: no dealer`);
      await runClusterDkg(l, coordinatorUrl, state.ports.custodians, say);
    }
    if (!state.demo) {
      say('\nDemo');
      state.demo = await seedDemo(l, coordinatorUrl, say);
      writeFileSync(l.state, JSON.stringify(state, null, 2) + '\n');
    }
    // The transparency report behind /report/: an auditor re-verifies the log and rewrites it as the log grows.
    const auditor = startChild('auditor', ['audit', 'watch', '--log', coordinatorUrl, '--interval', '10', '--report-dir', l.report], coordinatorUrl, l.logs);
    children.push(auditor);
    await waitForFile(join(l.report, 'report.json'), auditor);
  } catch (err) {
    process.stderr.write(`start: ${(err as Error).message}\n`);
    return stop(1);
  }
  banner(state, coordinatorUrl, rel);
  if (process.env.CUSTODES_EXIT_AFTER_DEMO === '1') return stop(0);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  return stop(0);
}

/** Waits until `path` exists (the first report), failing if `child` exits first. */
async function waitForFile(path: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; !existsSync(path); delay = Math.min(500, delay * 2)) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with code ${child.process.exitCode} (${child.logFile})`);
    if (Date.now() > deadline) throw new Error(`${child.name} wrote no ${path} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function banner(state: ClusterState, coordinatorUrl: string, rel: (p: string) => string): void {
  const l = layout();
  const d = state.demo!;
  say('\nThe cluster is up (Ctrl-C stops it; `npm start` again reuses the data).');
  say(`  coordinator   ${coordinatorUrl}   (public log: ${coordinatorUrl}/log/v1/checkpoint)`);
  state.ports.custodians.forEach((p, i) => say(`  custodian ${i + 1}   http://127.0.0.1:${p}`));
  say('');
  say('Pages:');
  for (const line of pageLines(coordinatorUrl, state.ports.custodians.map((p) => `http://127.0.0.1:${p}`))) say(line);
  say('');
  say(`  demo: warrant ${d.warrantId}, request ${d.requestId}`);
  say(`        ${d.inScope} in-scope envelopes decrypted → ${d.records} records in ${rel(d.resultsFile)}; ${d.refused} out-of-scope envelopes refused`);
  say(`  keys: ${rel(l.identities)}/ (court, investigator, custodians, log), ${rel(l.keys)}/public.json (exported from the logged DKG), tokens: ${rel(l.investigatorToken)}, ${rel(join(l.root, 'tokens'))}/custodian-<i>.token`);
  say(`  report: ${rel(l.report)}/`);
  say(`  logs: ${rel(l.logs)}/`);
  say('');
  say('Try:');
  say(`  npx custodes investigator status --coordinator ${coordinatorUrl} --token-file ${rel(l.investigatorToken)} ${d.warrantId}`);
  say(`  npx custodes custodian queue --node http://127.0.0.1:${state.ports.custodians[0]} --token-file ${rel(l.operatorToken(1))}`);
  say(`  curl -s ${coordinatorUrl}/log/v1/checkpoint`);
}

process.exitCode = await main();
