/**
 * `audit watch`: polls a log, reports findings not reported before, and looks
 * for split views (docs/PROTOCOL.md §1 goal 8): the coordinator's checkpoint is
 * compared with each custodian's latest cosigned one, served publicly at
 * `GET /witness/v1/checkpoint` (docs/PROTOCOL.md §7.10). Two checkpoints of one size
 * with different roots, or a custodian's checkpoint that is not a prefix of
 * the verified log, are SPLIT_VIEW.
 */
import { bytesToBase64, equalBytes } from '@custodes/shared/crypto';
import { MemoryTree, openCheckpoint, verifiedCosigners, verifyConsistency } from '@custodes/shared/log';
import { createHash } from 'node:crypto';
import { storageProblem } from '@custodes/shared/service';
import type { WebhookSender } from '@custodes/shared/service';
import { AuditError, fetchWitnessCheckpoint, LogClient, type FetchOptions } from './fetch';
import { compareFindings, type Finding } from './findings';
import type { PinnedKeys } from './pins';
import { decodeLeaf } from './rules';
import { AuditorState } from './state';
import { externalWitnessKeys, logNoteKey, verifyLog, witnessKeys, type CosignaturePolicy, type Progress, type VerifyResult } from './verify';

export interface WatchOptions {
  readonly logUrl: string;
  /** Custodian base URLs whose `/witness/v1/checkpoint` to compare. */
  readonly custodianUrls?: readonly string[];
  readonly stateDir?: string;
  readonly pinnedKeys?: PinnedKeys;
  /** Seconds between rounds (default 60). */
  readonly intervalSeconds?: number;
  /** One round only. */
  readonly once?: boolean;
  /** Unix seconds; a function so that a long-running watcher reads the clock each round. */
  readonly now?: () => number;
  /** New findings of a round (never repeated across rounds with the same state). */
  readonly onFindings?: (findings: readonly Finding[], round: number) => void;
  /** Trouble that is not a finding (an unreachable custodian, a log that cannot be read). */
  readonly onWarning?: (message: string) => void;
  readonly onProgress?: (progress: Progress) => void;
  /** After every completed round, its findings already given to onFindings (awaited): a watcher shows it is alive and what it saw. */
  readonly onRound?: (round: WatchRound) => void | Promise<void>;
  readonly signal?: AbortSignal;
  readonly fetch?: FetchOptions;
  /** Cosignatures a checkpoint needs (verify.ts CosignaturePolicy; defaults: t custodians, 0 external). */
  readonly policy?: CosignaturePolicy;
  /**
   * Signed webhooks (docs/PROTOCOL.md §9.7): `audit.finding` for each new
   * finding, `storage.trouble` when the state cannot be stored. Undelivered
   * events wait in the state (`stateDir`) for the next run.
   */
  readonly webhook?: { readonly url: string; readonly secret: string; readonly retryBaseMs?: number; readonly retryMaxMs?: number };
}

export interface WatchRound {
  readonly round: number;
  /** Findings first reported in this round. */
  readonly findings: Finding[];
  readonly size: number;
  /** Entries verified for the first time in this round. */
  readonly newEntries: number;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Compares one custodian's cosigned checkpoint with the verified log. Returns
 * findings; throws AuditError if the custodian cannot be read.
 */
export async function compareWitness(custodianUrl: string, verified: VerifyResult, client: LogClient, fetchOpts?: FetchOptions): Promise<Finding[]> {
  const genesis = verified.leaves[0] && decodeLeaf(verified.leaves[0]);
  const registry = verified.audit.registry;
  if (!genesis || !genesis.ok || genesis.entry.type !== 'registry' || !registry) return [];
  const text = await fetchWitnessCheckpoint(custodianUrl, fetchOpts);
  const opened = openCheckpoint(text, logNoteKey(genesis.entry.origin, genesis.entry.logNoteKey));
  const who = custodianUrl;
  if (!opened) {
    return [{ index: verified.size, code: 'BAD_CHECKPOINT', message: `the checkpoint served by custodian ${who} is not signed by the log.` }];
  }
  // A custodian or one of the registry's external witnesses (docs/PROTOCOL.md §4.3): the same split-view check.
  const names = verifiedCosigners(opened.note, [...witnessKeys(registry), ...externalWitnessKeys(registry)]);
  if (names.length === 0) {
    return [{ index: opened.checkpoint.size, code: 'BAD_CHECKPOINT', message: `the checkpoint served by witness ${who} carries no valid cosignature of a registered custodian or witness.` }];
  }
  const label = `${names.join(', ')} (${who})`;
  const { size, root } = opened.checkpoint;
  const tree = new MemoryTree();
  for (const leaf of verified.leaves) tree.append(leaf);
  if (size <= tree.size) {
    const ours = tree.root(size);
    if (equalBytes(ours, root)) return [];
    return [
      {
        index: size,
        code: 'SPLIT_VIEW',
        message: `${label} cosigned root ${bytesToBase64(root)} for size ${size}; the log shows auditors root ${bytesToBase64(ours)} at that size.`,
      },
    ];
  }
  // The custodian is ahead of what we verified: the log must prove it extends our view.
  if (tree.size === 0) return [];
  let proof: Uint8Array[];
  try {
    proof = await client.consistency(tree.size, size);
  } catch (err) {
    if (err instanceof AuditError) return []; // the log has not published that size yet: lag, not proof of a fork
    throw err;
  }
  if (verifyConsistency(tree.size, size, proof, tree.root(), root)) return [];
  return [
    {
      index: size,
      code: 'SPLIT_VIEW',
      message: `${label} cosigned a checkpoint of size ${size} that the log cannot prove consistent with the verified checkpoint of size ${tree.size}.`,
    },
  ];
}

/** One round: verify the log, compare every custodian, and keep only findings not reported before. */
export async function watchRound(options: WatchOptions, state: AuditorState, round: number, webhooks?: WebhookSender): Promise<WatchRound> {
  const now = (options.now ?? nowSeconds)();
  const before = state.size;
  const verified = await verifyLog({
    logUrl: options.logUrl,
    state,
    pinnedKeys: options.pinnedKeys,
    now,
    onProgress: options.onProgress,
    fetch: options.fetch,
    ...(options.policy ? { policy: options.policy } : {}),
  });
  const client = new LogClient(options.logUrl, options.fetch);
  const findings = [...verified.findings];
  for (const url of options.custodianUrls ?? []) {
    try {
      findings.push(...(await compareWitness(url, verified, client, options.fetch)));
    } catch (err) {
      if (!(err instanceof AuditError)) throw err;
      options.onWarning?.(`custodian ${url}: ${err.message}`);
    }
  }
  findings.sort(compareFindings);
  // Stored as events before they count as reported: a crash between the two re-emits, and the key makes that one event.
  for (const f of findings) {
    const key = `finding:${f.index}:${f.code}:${createHash('sha256').update(f.message, 'utf8').digest('hex')}`;
    webhooks?.emit('audit.finding', { index: f.index, code: f.code, message: f.message }, now, key);
  }
  void webhooks?.kick();
  const fresh = state.markReported(findings, now);
  if (fresh.length) options.onFindings?.(fresh, round);
  return { round, findings: fresh, size: verified.size, newEntries: Math.max(0, state.size - before) };
}

/** `storage.trouble` (docs/PROTOCOL.md §9.7): stored if the state can take it, else one unstored attempt. */
function storageEvent(webhooks: WebhookSender | undefined, code: string, now: number): void {
  if (!webhooks) return;
  try {
    webhooks.emit('storage.trouble', { code }, now, `storage:${code}:${Math.floor(now / 60)}`);
  } catch {
    void webhooks.sendNow('storage.trouble', { code }, now);
  }
}

function pause(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, seconds * 1000);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls until `once` or the signal stops it. A log that cannot be read, or
 * state that cannot be stored (a full disk), is a warning for that round, not
 * the end of the watch (unless `once`): the next round verifies again.
 */
export async function watchLog(options: WatchOptions): Promise<WatchRound[]> {
  const interval = options.intervalSeconds ?? 60;
  if (!(interval > 0)) throw new RangeError('intervalSeconds must be positive');
  const state = AuditorState.open(options.stateDir);
  const rounds: WatchRound[] = [];
  let webhooks: WebhookSender | undefined;
  try {
    webhooks = options.webhook
      ? state.webhooks({ ...options.webhook, source: { service: 'auditor' }, onError: (message) => options.onWarning?.(message) })
      : undefined;
    void webhooks?.kick(); // what an earlier run left undelivered
    for (let round = 1; ; round++) {
      try {
        const done = await watchRound(options, state, round, webhooks);
        rounds.push(done);
        await options.onRound?.(done);
      } catch (err) {
        const storage = storageProblem(err);
        if (storage) storageEvent(webhooks, storage.code, nowSeconds());
        if (!(err instanceof AuditError || storage) || options.once) throw err;
        options.onWarning?.(storage ? `round ${round}: the auditor's state could not be stored (${storage.code}); the next round tries again` : (err as Error).message);
      }
      if (options.once || options.signal?.aborted) return rounds;
      await pause(interval, options.signal);
      if (options.signal?.aborted) return rounds;
    }
  } finally {
    await webhooks?.kick(); // one last attempt before exit; what fails waits in the state
    await webhooks?.close();
    state.close();
  }
}
