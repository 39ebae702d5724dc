/**
 * `custodes audit …`: verify, watch and report. The CLI author wires these in
 * with `registerAuditCommands(program)`. Exit status: 0 without findings,
 * 1 with findings, 2 when the audit could not run (unreachable log, bad
 * arguments); reported by throwing CommanderError, which the `custodes` main
 * turns into the exit code without printing anything more.
 */
import { readFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { parseTimeText } from '@custodes/shared/records';
import { AuditError } from './fetch';
import { formatFinding, type Finding } from './findings';
import { parsePinnedKeys, type PinnedKeys } from './pins';
import { writeReport } from './report';
import type { CosignaturePolicy, Progress } from './verify';
import { verifyLog } from './verify';
import { closeServer, serveMetrics } from '@custodes/shared/service';
import { watchLog, type WatchOptions } from './watch';
import { watchMetrics } from './watchMetrics';

export interface AuditIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Stops a running watch (default: SIGINT / SIGTERM). */
  readonly signal?: AbortSignal;
}

const processIo: AuditIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Exit statuses (see the file comment). */
export const EXIT = { clean: 0, findings: 1, error: 2 } as const;

class UsageError extends Error {}

function exit(code: number, message: string): never {
  throw new CommanderError(code, 'custodes.audit', message);
}

/** Unix seconds from `1767225600` or an ISO 8601 date/time (the shared `parseTimeText`). */
export function parseTime(text: string, name: string): number {
  const t = parseTimeText(text);
  if (t === null) throw new UsageError(`${name} must be Unix seconds or an ISO 8601 date, got "${text}"`);
  return t;
}

function positiveInt(text: string, name: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new UsageError(`${name} must be a positive integer, got "${text}"`);
  return Number(text);
}

function portNumber(text: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65_535) throw new UsageError(`${name} must be a port number (0 to 65535), got "${text}"`);
  return Number(text);
}

// ## The cosignature policy (docs/PROTOCOL.md §8.8)

const MIN_CUSTODIANS_FLAG = '--min-custodian-cosignatures <n>';
const MIN_CUSTODIANS_HELP = 'cosignatures a checkpoint needs from registered custodians of the newest epoch (default: its threshold t)';
const MIN_EXTERNAL_FLAG = '--min-external-cosignatures <n>';
const MIN_EXTERNAL_HELP = "cosignatures a checkpoint needs from the registry's external witnesses (default: 0)";

interface PolicyFlags {
  minCustodianCosignatures?: string;
  minExternalCosignatures?: string;
}

function count(text: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) throw new UsageError(`${name} must be an integer from 0 to 999, got "${text}"`);
  return Number(text);
}

/** A number of seconds, 0 to 9 999 999 999 (about 300 years), decimal without leading zeros. */
function seconds(text: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) throw new UsageError(`${name} must be a whole number of seconds, got "${text}"`);
  return Number(text);
}

/** The policy the flags ask for; an absent flag keeps its default. */
function policyOf(opts: PolicyFlags): { policy?: CosignaturePolicy } {
  const custodians = opts.minCustodianCosignatures === undefined ? undefined : count(opts.minCustodianCosignatures, '--min-custodian-cosignatures');
  const external = opts.minExternalCosignatures === undefined ? undefined : count(opts.minExternalCosignatures, '--min-external-cosignatures');
  if (custodians === undefined && external === undefined) return {};
  return { policy: { ...(custodians !== undefined ? { custodians } : {}), ...(external !== undefined ? { external } : {}) } };
}

/** The webhook option pair (docs/PROTOCOL.md §9.7): both or neither; the secret never reaches a message. */
function readWebhook(url: string | undefined, secretFile: string | undefined): { url: string; secret: string } | undefined {
  if (url === undefined && secretFile === undefined) return undefined;
  if (url === undefined || secretFile === undefined) throw new UsageError('--webhook-url and --webhook-secret-file go together');
  let secret: string;
  try {
    secret = readFileSync(secretFile, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  return { url, secret };
}

function readPins(path: string | undefined): PinnedKeys | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parsePinnedKeys(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`${path}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
  }
}

/** Progress lines on stderr, only for logs longer than one step. */
function progressPrinter(io: AuditIo, every: number): (p: Progress) => void {
  return (p) => {
    if (p.total <= every) return;
    io.stderr(`audit: ${p.phase === 'fetch' ? 'fetched' : 'checked'} ${p.done}/${p.total} entries\n`);
  };
}

/** One line per watch round: `audit: round 3: log size 42 (+2 new), 0 new finding(s)`. */
export function roundLine(r: { round: number; size: number; newEntries: number; findings: readonly unknown[] }): string {
  return `audit: round ${r.round}: log size ${r.size} (+${r.newEntries} new), ${r.findings.length} new finding(s)`;
}

function printFindings(io: AuditIo, findings: readonly Finding[]): void {
  for (const f of findings) io.stdout(formatFinding(f).replace(/\n/g, ' ') + '\n');
}

/** Runs an action, mapping failures to one stderr line and exit status 2. */
async function guarded(io: AuditIo, run: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await run();
  } catch (err) {
    if (err instanceof CommanderError) throw err;
    if (err instanceof UsageError || err instanceof AuditError || err instanceof TypeError || err instanceof RangeError) {
      io.stderr(`custodes: audit: ${err.message.split('\n')[0]}\n`);
      exit(EXIT.error, err.message);
    }
    throw err;
  }
  if (code !== EXIT.clean) exit(code, code === EXIT.findings ? 'findings' : 'failed');
}

function stopSignal(io: AuditIo): { signal: AbortSignal; dispose: () => void } {
  if (io.signal) return { signal: io.signal, dispose: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Spawned by `npm start` with an IPC channel: stop with the parent, however it ends.
  if (process.connected) process.once('disconnect', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
    },
  };
}

/** Adds `audit verify`, `audit watch` and `audit report` to `program`. */
export function registerAuditCommands(program: Command, io: AuditIo = processIo): Command {
  const audit = program.command('audit').description('verify a Custodes log, watch it for split views, publish a transparency report');

  audit
    .command('verify')
    .description('fetch the log, check its checkpoint and every rule of docs/PROTOCOL.md §1 and §8; exit 0 only without findings')
    .option('--log <url>', "the coordinator's base URL (public read API)")
    .option('--tiles <url>', 'instead of --log: a static C2SP tlog-tiles mirror (custodes log mirror), or <coordinator>/log/v1')
    .option('--state <dir>', 'keep verified checkpoints and entries here (default: in memory, nothing kept)')
    .option('--pin-keys <file>', 'JSON { format: "custodes.pins.v1", logKey, custodianKeys, origin? } instead of trusting the genesis on first use')
    .option('--now <time>', 'judge overdue unsealings, missing retirements and undestroyed shares as of this time (Unix seconds or ISO 8601; default: now)')
    .option('--retirement-grace <seconds>', "seconds after an epoch's retireAfter by which each of its custodians must have logged its retirement (RETIREMENT_MISSING)", '86400')
    .option('--destroy-grace <seconds>', "seconds after a reshare's activation by which each old custodian must have logged share-destroyed (SHARE_NOT_DESTROYED)", '86400')
    .option('--progress-every <n>', 'progress on stderr every n entries', '1000')
    .option(MIN_CUSTODIANS_FLAG, MIN_CUSTODIANS_HELP)
    .option(MIN_EXTERNAL_FLAG, MIN_EXTERNAL_HELP)
    .action((opts: { log?: string; tiles?: string; state?: string; pinKeys?: string; now?: string; retirementGrace: string; destroyGrace: string; progressEvery: string } & PolicyFlags) =>
      guarded(io, async () => {
        const every = positiveInt(opts.progressEvery, '--progress-every');
        const grace = seconds(opts.retirementGrace, '--retirement-grace');
        const destroyGrace = seconds(opts.destroyGrace, '--destroy-grace');
        if ((opts.log === undefined) === (opts.tiles === undefined)) throw new UsageError('give exactly one of --log <url> and --tiles <url>');
        const result = await verifyLog({
          ...policyOf(opts),
          logUrl: opts.log,
          tilesUrl: opts.tiles,
          stateDir: opts.state,
          pinnedKeys: readPins(opts.pinKeys),
          now: opts.now === undefined ? undefined : parseTime(opts.now, '--now'),
          retirementGraceSeconds: grace,
          destroyGraceSeconds: destroyGrace,
          progressEvery: every,
          onProgress: progressPrinter(io, every),
        });
        printFindings(io, result.findings);
        const cp = result.checkpoint;
        const head = cp ? `checkpoint of size ${cp.size} ${cp.accepted ? `accepted (cosigned by ${cp.cosigners.length})` : 'NOT accepted'}` : 'no checkpoint';
        io.stderr(`audit: ${result.size} entries verified, ${head}, ${result.findings.length} finding(s)\n`);
        return result.findings.length === 0 ? EXIT.clean : EXIT.findings;
      }),
    );

  audit
    .command('watch')
    .description("poll the log, report new findings, compare the coordinator's checkpoint with custodians' cosigned ones")
    .requiredOption('--log <url>', "the coordinator's base URL")
    .option('--custodian <url...>', "a custodian's or external witness's base URL (its public GET /witness/v1/checkpoint); repeatable")
    .option('--interval <seconds>', 'seconds between rounds', '60')
    .option('--once', 'one round, then exit (0 without findings, 1 with)')
    .option('--state <dir>', 'keep state here across restarts (default: in memory)')
    .option('--pin-keys <file>', 'pinned log and custodian keys (see audit verify)')
    .option('--report-dir <dir>', 'also write the transparency report (report.json, report.html) here whenever the log grew; a coordinator started with --report-dir serves it at /report/')
    .option('--metrics-port <port>', 'serve Prometheus metrics at GET /metrics on this port while watching (default: off)')
    .option('--metrics-host <host>', 'bind address of the metrics port', '127.0.0.1')
    .option('--webhook-url <url>', 'POST each new finding as a signed webhook here (docs/PROTOCOL.md §9.7)')
    .option('--webhook-secret-file <file>', 'file holding the HMAC-SHA256 webhook secret (≥ 32 bytes)')
    .option(MIN_CUSTODIANS_FLAG, MIN_CUSTODIANS_HELP)
    .option(MIN_EXTERNAL_FLAG, MIN_EXTERNAL_HELP)
    .action((opts: { log: string; custodian?: string[]; interval: string; once?: boolean; state?: string; pinKeys?: string; reportDir?: string; metricsPort?: string; metricsHost: string; webhookUrl?: string; webhookSecretFile?: string } & PolicyFlags) =>
      guarded(io, async () => {
        const interval = positiveInt(opts.interval, '--interval');
        const webhook = readWebhook(opts.webhookUrl, opts.webhookSecretFile);
        const pins = readPins(opts.pinKeys);
        const metricsPort = opts.metricsPort === undefined ? undefined : portNumber(opts.metricsPort, '--metrics-port');
        const metrics = metricsPort === undefined ? undefined : watchMetrics();
        const metricsServer = metrics && (await serveMetrics(metrics.registry, { port: metricsPort!, host: opts.metricsHost }));
        if (metricsServer) io.stderr(`audit: metrics at ${metricsServer.url}/metrics\n`);
        const stop = opts.once ? undefined : stopSignal(io);
        let total = 0;
        const observe = metrics?.observe ?? ((o: WatchOptions) => o);
        try {
          await watchLog(observe({
            ...policyOf(opts),
            logUrl: opts.log,
            custodianUrls: opts.custodian ?? [],
            stateDir: opts.state,
            pinnedKeys: pins,
            intervalSeconds: interval,
            once: opts.once === true,
            signal: stop?.signal,
            onFindings: (findings) => {
              total += findings.length;
              printFindings(io, findings);
            },
            onWarning: (message) => io.stderr(`audit: warning: ${message}\n`),
            onProgress: progressPrinter(io, 1000),
            onRound: async (r) => {
              if (opts.reportDir !== undefined && (r.newEntries > 0 || r.round === 1)) await writeReport({ logUrl: opts.log, outDir: opts.reportDir, pinnedKeys: pins });
              io.stderr(`${roundLine(r)}\n`);
            },
            ...(webhook ? { webhook } : {}),
          }));
        } finally {
          stop?.dispose();
          if (metricsServer) await closeServer(metricsServer.server);
        }
        if (opts.once) io.stderr(`audit: ${total} new finding(s)\n`);
        return total === 0 ? EXIT.clean : EXIT.findings;
      }),
    );

  audit
    .command('report')
    .description('write a transparency report (report.json and a self-contained report.html) computed from the log alone')
    .requiredOption('--log <url>', "the coordinator's base URL")
    .requiredOption('--out <dir>', 'directory for report.json and report.html')
    .option('--as-of <time>', 'report as of this time (Unix seconds or ISO 8601; default: the latest entry time)')
    .option('--state <dir>', 'verified state to reuse (see audit verify)')
    .option('--pin-keys <file>', 'pinned log and custodian keys (see audit verify)')
    .action((opts: { log: string; out: string; asOf?: string; state?: string; pinKeys?: string }) =>
      guarded(io, async () => {
        const { files, report } = await writeReport({
          logUrl: opts.log,
          outDir: opts.out,
          asOf: opts.asOf === undefined ? undefined : parseTime(opts.asOf, '--as-of'),
          stateDir: opts.state,
          pinnedKeys: readPins(opts.pinKeys),
          onProgress: progressPrinter(io, 1000),
        });
        for (const f of files) io.stdout(`${f}\n`);
        io.stderr(`audit: report of ${report.log.size} entries as of ${report.asOf.iso}, ${report.audit.findings} finding(s)\n`);
        return EXIT.clean;
      }),
    );

  return audit;
}
