/**
 * `custodes log mirror`: a static C2SP tlog-tiles copy of the log
 * (docs/PROTOCOL.md §9.9), verified as it is copied (../mirror/mirror.ts).
 * Progress and the outcome of each round go to stderr, one line each; a
 * failed check is one line and exit 1, and a watching mirror stops at it
 * (a mirror must not go on past a log that lied). What is not a lie is
 * retried by a watching mirror at the next round: an unreachable source, and
 * a checkpoint still short of t cosignatures (a fresh log, §7.3). One mirror
 * process per directory (docs/PROTOCOL.md §9.2: the shared data-directory lock).
 */
import type { Command } from 'commander';
import { AuditError, TileClient } from '@custodes/auditor';
import { tryLockDataDir, type DataDirLock } from '@custodes/shared/service';
import { CliError } from '../io';
import { makeDirs } from '../mirror/files';
import { Mirror, MirrorError, type SyncResult } from '../mirror/mirror';

interface MirrorOptions {
  coordinator?: string;
  tiles?: string;
  out: string;
  watch?: boolean;
  interval: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

function roundLine(r: SyncResult): string {
  if (!r.wrote) return `mirror: size ${r.size}, up to date`;
  const what = r.added > 0 ? `+${r.added} entries` : 'new cosignatures';
  return `mirror: size ${r.size} (${what}), checkpoint written (cosigned by ${r.cosigners.length})`;
}

function sourceOf(opts: MirrorOptions): TileClient {
  if ((opts.coordinator === undefined) === (opts.tiles === undefined)) throw new CliError('give exactly one of --coordinator <url> and --tiles <url>');
  try {
    // The coordinator serves the tlog-tiles paths under /log/v1 (docs/PROTOCOL.md §4.4).
    return new TileClient(opts.tiles ?? `${opts.coordinator!.replace(/\/+$/, '')}/log/v1`);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

async function round(mirror: Mirror, source: TileClient): Promise<SyncResult> {
  let last = 0;
  return mirror.sync(source, (done, total) => {
    // About ten progress lines for a long catch-up, none for a short one.
    if (total < 10_000 || done - last < total / 10) return;
    last = done;
    process.stderr.write(`mirror: fetched ${done}/${total} entries\n`);
  });
}

export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('the public log: mirror it as static tiles');
  log
    .command('mirror')
    .description('copy the log into a directory in the C2SP tlog-tiles layout (checkpoint, tile/…), verifying every entry, tile and signature; serve it with any web server')
    .option('--coordinator <url>', "the coordinator's base URL (its tiles under /log/v1)")
    .option('--tiles <url>', 'instead: another tlog-tiles mirror')
    .requiredOption('--out <dir>', 'the mirror directory (created if absent)')
    .option('--watch', 'keep polling for new checkpoints until interrupted')
    .option('--interval <seconds>', 'seconds between rounds with --watch', '10')
    .action(async (opts: MirrorOptions) => {
      if (!/^[1-9][0-9]{0,5}$/.test(opts.interval)) throw new CliError(`--interval must be a positive number of seconds, got "${opts.interval}"`);
      const source = sourceOf(opts);
      let mirror: Mirror;
      let lock: DataDirLock | null = null;
      try {
        // The lock before anything else: opening clears what a round left staged.
        makeDirs(opts.out);
        lock = tryLockDataDir(opts.out);
        if (!lock) throw new CliError(`mirror: another process is writing ${opts.out}`);
        mirror = Mirror.open(opts.out);
      } catch (err) {
        lock?.release();
        if (err instanceof CliError) throw err;
        if (err instanceof MirrorError) throw new CliError(`mirror: ${err.code}: ${err.message}`);
        throw new CliError(`mirror: cannot open ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        do {
          try {
            process.stderr.write(`${roundLine(await round(mirror, source))}\n`);
          } catch (err) {
            if (err instanceof MirrorError && !(opts.watch && err.code === 'INSUFFICIENT_COSIGNATURES')) throw new CliError(`mirror: ${err.code}: ${err.message}`);
            if (!(err instanceof MirrorError) && !(err instanceof AuditError)) {
              const code = (err as NodeJS.ErrnoException).code;
              if (typeof code === 'string') throw new CliError(`mirror: cannot write ${opts.out}: ${code}`);
              throw err;
            }
            if (!opts.watch) throw new CliError(`mirror: ${err.message}`);
            process.stderr.write(`mirror: warning: ${err.message.split('\n')[0]}; retrying\n`);
          }
          if (opts.watch) await sleep(Number(opts.interval) * 1000, controller.signal);
        } while (opts.watch && !controller.signal.aborted);
      } finally {
        lock?.release();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
