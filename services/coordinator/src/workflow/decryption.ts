/**
 * The decryption workflow (docs/PROTOCOL.md §5 steps 4–6), durable: each step is
 * persisted before the next, a restarted coordinator resumes unfinished
 * requests, and every log entry has a unique key so nothing is logged twice.
 *
 *   logged ─cosign→ releasing ─release→ combining ─┬─────────────→ complete
 *                                                  └─reserve→ recombining ─┘
 *   (any step may end the request: failed)
 *
 * Each step is a method that takes what the one before produced and returns
 * what the next needs; none calls back into an earlier one. `combining` and
 * `recombining` live in memory only (partials are not stored). Who is asked
 * is planned once per run (#plan: approvers holding a share of every epoch of
 * the request, max t_e of them needed): #release asks the first of them, and the
 * next ones only while fewer than t have served; those it did not ask are the
 * reserve. The reserve is asked at most once, only when blamed partials left
 * an envelope without t valid ones, and only the envelopes that fell short
 * are combined again (docs/PROTOCOL.md §3.4).
 *
 * (`cosigned`, between logged and releasing, is no longer written: it cost a
 * commit on the request's path. A request stored in it by an older version
 * resumes as `releasing`.)
 *
 * Partials are never stored: on restart they are fetched again (custodians
 * answer a repeated request id with the same partials).
 */
import { parseEnvelope, resultContext, sealToInvestigator } from '@custodes/shared/crypto';
import type { ParsedEnvelope, SealedResult } from '@custodes/shared/crypto';
import { envelopeSetRoot, partialsRoot } from '@custodes/shared/records';
import type { CheckpointBundle, PartialRecord } from '@custodes/shared/records';
import { HttpError } from '@custodes/shared/service';
import type { Logger } from 'pino';
import { checkRelease, entryKey } from '../rules/recordChecks';
import type { Registry } from '../rules/registryChecks';
import { misbehaviorEntry, openEnvelope } from '../rules/requestChecks';
import type { EnvelopeFailureCode } from '../rules/requestChecks';
import { approversOf, releasePlan } from '../rules/warrantChecks';
import type { ReleasePlan } from '../rules/warrantChecks';
import { CoordinatorError } from '../errors';
import type { Ledger } from '../ledger';
import type { Repository, RequestRow } from '../repo/repository';
import type { Cosigner } from './cosigner';
import { fetchPartials, mapLimit } from './custodians';
import type { CallSigner, PartialsAnswer } from './custodians';

export interface DecryptionDeps {
  repo: Repository;
  ledger: Ledger;
  cosigner: Cosigner;
  registry: () => Registry;
  custodianUrl: (index: number) => string;
  now: () => number;
  retentionSeconds: number;
  timeoutMs: number;
  /** CoordinatorConfig.insecureHttp: plain http to custodians off loopback allowed. */
  insecureHttp?: boolean;
  retries: number;
  /**
   * How long, in ms, a request waits for custodians that cannot answer now:
   * #cosign for witnesses (then QUORUM_UNAVAILABLE; counted in this process)
   * and #release for approvers — unreachable, sealed, lagging — (then
   * NOT_ENOUGH_CUSTODIANS; counted from when the request first went to
   * releasing, stored, so across restarts; to the second).
   */
  deadlineMs: number;
  /** First pause between rounds of re-asking, ms; doubles up to 10 s (default 500). */
  retryBaseMs?: number;
  /** Signs the `Custodes-Call` authorisation of each partials call with the log key. */
  signCall: CallSigner;
  concurrency: number;
  logger: Logger;
}

/** What one custodian's partials call came to. */
type AskOutcome =
  | { kind: 'served'; answer: PartialsAnswer }
  /** Could not answer now (network, 5xx, sealed, rate-limited, replica lagging): ask again later. */
  | { kind: 'retry' }
  /** Refused for good or answered something invalid: not asked again for this request. */
  | { kind: 'refused' };

/**
 * Refusals that waiting can turn into an answer: a custodian whose replica lags
 * behind the cosigned checkpoint (REQUEST_NOT_LOGGED, or NO_QUORUM while the
 * approvals are not yet in its replica), one rate-limited, sealed or failing
 * (429, 5xx), or unreachable. Everything else (expired, revoked, out of scope,
 * its own denial, a call it will not accept) is final.
 */
function retryable(err: unknown): boolean {
  if (!(err instanceof HttpError)) return true; // network error or timeout
  if (err.status >= 500 || err.status === 429) return true;
  return err.code === 'REQUEST_NOT_LOGGED' || err.code === 'NO_QUORUM';
}

/**
 * Why a request ended without any envelope opened (stored as its error_code,
 * shown to the investigator): fewer than t witnesses cosigned it (#cosign), or
 * fewer than t approvers released partials (#release), within the deadline.
 */
export type RequestFailureCode = 'QUORUM_UNAVAILABLE' | 'NOT_ENOUGH_CUSTODIANS';

/** A failure that ends a request: its code and message are shown to the investigator. */
class RequestFailure extends Error {
  readonly code: RequestFailureCode;
  constructor(code: RequestFailureCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What #release hands on: the partials in hand, and the approvers not asked (asked only by #recombine). */
interface Released {
  readonly answers: ReadonlyMap<number, PartialsAnswer>;
  readonly reserve: readonly number[];
}

/** Step 6 so far. */
interface Combined {
  /** Envelopes finished, in position order once #recombine has run. */
  readonly outcomes: { position: number; envelopeId: string; sealed: SealedResult | null; failure: EnvelopeFailureCode | null }[];
  /** Each blamed custodian with the first envelope and partial it was blamed for (its misbehavior entry). */
  readonly blamed: Map<number, { env: ParsedEnvelope; partial: PartialRecord }>;
  /** Custodians in the order their partials are tried: blamed ones moved last. */
  readonly order: number[];
  /** Positions left short of t valid partials while a reserve remains. */
  readonly short: number[];
  readonly progress: { done: number; failed: number };
}

class Closing extends Error {}

const RETRY_MAX_MS = 10_000;
/** Longest pause before a stopped workflow runs again (start). */
const STALL_MAX_MS = 60_000;

export class DecryptionWorkflow {
  readonly #d: DecryptionDeps;
  readonly #running = new Map<string, Promise<void>>();
  /** Requests whose workflow stopped on an unexpected error (e.g. STORAGE_FULL): consecutive stops and the timer that runs it again. */
  readonly #stalled = new Map<string, { stops: number; timer: NodeJS.Timeout | null }>();
  /** Envelopes combined so far, for progress while a request is releasing. */
  readonly #progress = new Map<string, { done: number; failed: number }>();
  #closed = false;

  constructor(deps: DecryptionDeps) {
    this.#d = deps;
  }

  progress(requestId: string): { done: number; failed: number } | undefined {
    return this.#progress.get(requestId);
  }

  /**
   * Runs (or joins) the workflow of a logged request in the background. If it
   * stops on an unexpected error — a full disk, say, when a commit fails — it
   * runs again from its stored state after a pause (1 s, doubling to 60 s):
   * every step is persisted before the next and logged once by key, so a
   * repeat redoes only what was not stored (docs/PROTOCOL.md §5).
   */
  start(requestId: string): void {
    if (this.#closed || this.#running.has(requestId)) return;
    const stalled = this.#stalled.get(requestId);
    if (stalled?.timer) clearTimeout(stalled.timer);
    const run = this.#run(requestId)
      .then(() => void this.#stalled.delete(requestId))
      .catch((err: unknown) => {
        if (this.#closed || err instanceof Closing) return;
        const stops = (this.#stalled.get(requestId)?.stops ?? 0) + 1;
        const delayMs = Math.min(STALL_MAX_MS, 1000 * 2 ** (stops - 1));
        this.#d.logger.error({ requestId, err: String(err), retryInMs: delayMs }, 'decryption workflow stopped; it runs again after a pause');
        const timer = setTimeout(() => {
          const s = this.#stalled.get(requestId);
          if (s) s.timer = null;
          this.start(requestId);
        }, delayMs);
        timer.unref();
        this.#stalled.set(requestId, { stops, timer });
      })
      .finally(() => this.#running.delete(requestId));
    this.#running.set(requestId, run);
  }

  /** Resumes every request that was logged but not finished (after a restart). */
  resumeAll(): void {
    for (const r of this.#d.repo.unfinishedRequests()) this.start(r.id);
  }

  /** Stops taking steps; waits (bounded) for running steps to notice. */
  async close(graceMs = 3000): Promise<void> {
    this.#closed = true;
    for (const s of this.#stalled.values()) if (s.timer) clearTimeout(s.timer);
    this.#stalled.clear();
    const all = Promise.allSettled([...this.#running.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  #step(): void {
    if (this.#closed) throw new Closing('coordinator is closing');
  }

  async #run(requestId: string): Promise<void> {
    const { repo, logger } = this.#d;
    let req = repo.request(requestId);
    if (!req) return;
    try {
      if (req.state === 'logged' || req.state === 'cosigned' || req.state === 'releasing') {
        const envelopes = this.#envelopes(req);
        const plan = this.#plan(req, envelopes);
        // Keeps the time of the first start across restarts: the partials deadline counts from it.
        repo.startReleasing(requestId, this.#d.now());
        req = repo.request(requestId)!;
        const released = await this.#release(req, envelopes, plan);
        this.#step();
        // Each partials call carried the checkpoint that logs the request (#ask), so the
        // custodians that released have cosigned it in the same exchange: normally the quorum
        // is already there, and nothing is combined before it is (docs/PROTOCOL.md §4.6).
        await this.#cosign(req, [...released.answers.keys()]);
        this.#step();
        const first = await this.#combine(req, envelopes, released.answers, released.reserve.length > 0);
        const done = first.short.length > 0 ? await this.#recombine(req, envelopes, released, first) : first;
        this.#complete(req, done);
      }
    } catch (err) {
      if (!(err instanceof RequestFailure)) throw err;
      this.#fail(req, err);
    } finally {
      this.#progress.delete(requestId);
    }
    logger.info({ requestId, state: repo.request(requestId)?.state }, 'decryption request finished');
  }

  /**
   * Who is asked for partials: the reviewers that approved the request's
   * warrant (@custodes/shared/rules tallyDecisions) that are custodians of
   * every epoch of its envelopes, and how many must serve (max t_e;
   * rules/warrantChecks.ts releasePlan).
   */
  #plan(req: RequestRow, envelopes: readonly ParsedEnvelope[]): ReleasePlan {
    const registry = this.#d.registry();
    const epochs = [...new Set(envelopes.map((e) => e.epoch))].sort((a, b) => a - b);
    return releasePlan(approversOf(this.#d.repo.decisions(req.warrantId), registry), registry, epochs);
  }

  /**
   * Step 4, checked before anything is combined: the request must be in a
   * checkpoint at least t custodians cosigned. Those that released cosigned it
   * in their partials exchange (#ask), so this normally waits only for their
   * cosignatures to be stored. Witnesses that cannot cosign now (restarting,
   * unreachable, their storage full) are asked again with backoff until
   * `deadlineMs` has passed in this process; only then does the request fail
   * with QUORUM_UNAVAILABLE, with fewer than t witnesses, and nothing combined
   * (what was released is logged; docs/PROTOCOL.md §4.6).
   */
  async #cosign(req: RequestRow, released: readonly number[]): Promise<void> {
    const { logger } = this.#d;
    const minSize = req.logIndex! + 1;
    // Witnesses are the newest epoch's custodians (§4.3): its t cosignatures make the checkpoint.
    const t = this.#d.registry().threshold;
    const first = released;
    if ((await this.#d.cosigner.cosignedBy(minSize, first)).size >= t) return;
    this.#step();
    const until = Date.now() + this.#d.deadlineMs;
    for (let pause = this.#d.retryBaseMs ?? 500; ; pause = Math.min(pause * 2, RETRY_MAX_MS)) {
      const r = await this.#d.cosigner.ensureCosigned(minSize, 3, first);
      this.#step();
      if (r.size >= minSize && r.cosigners.size >= t) return;
      const left = until - Date.now();
      if (left <= 0) {
        throw new RequestFailure(
          'QUORUM_UNAVAILABLE',
          `${r.cosigners.size} custodians cosigned a checkpoint with this request and ${t} are needed; nothing was released`,
        );
      }
      logger.info({ requestId: req.id, cosigners: r.cosigners.size, threshold: t }, 'too few witnesses cosigned the request; asking again');
      await this.#sleep(Math.min(pause, left));
      this.#step();
    }
  }

  /**
   * Step 5: partials from `plan.needed` (max t_e over the request's epochs)
   * approvers that are custodians of every one of those epochs (#plan), in
   * parallel; each release is logged. The fast path (docs/PROTOCOL.md §3.4) needs only t partials per envelope
   * and a release costs each custodian a BIP340 check and a DLEQ proof per
   * envelope, so the others are asked only if fewer than t serve, or later if
   * a partial fails its proof (#recombine). `reserve` are those not asked.
   *
   * An approver that cannot answer right now (restarting, sealed, its replica
   * behind) is asked again, with backoff, until `deadlineMs` has passed: with
   * exactly t approvers, one brief outage must not fail the request. Only
   * then, or when every approver left has refused for good, does it fail with
   * NOT_ENOUGH_CUSTODIANS. The state stays `releasing` meanwhile; after a
   * restart the workflow resumes here and asks again (a custodian repeats the
   * stored answer for a request it served; releases are logged once by key).
   */
  async #release(req: RequestRow, envelopes: readonly ParsedEnvelope[], plan: ReleasePlan): Promise<Released> {
    const { logger } = this.#d;
    const { candidates: approvers, needed } = plan;
    // The others catch up in the next background pass, off this request's path.
    this.#d.cosigner.focus(approvers.slice(0, needed));
    const answers = new Map<number, PartialsAnswer>();
    // Counted from when the request first went to releasing, so a restart does not start it again.
    const spentMs = Math.max(0, this.#d.now() - (req.releasingSince ?? this.#d.now())) * 1000;
    const deadline = Date.now() + Math.max(0, this.#d.deadlineMs - spentMs);
    /** Asked, could not answer yet: asked again after a pause. */
    let waiting: number[] = [];
    let next = 0;
    let pause = this.#d.retryBaseMs ?? 500;
    for (;;) {
      while (answers.size < needed && next < approvers.length && !this.#closed) {
        const batch = approvers.slice(next, next + needed - answers.size);
        next += batch.length;
        waiting.push(...(await this.#askAll(req, batch, envelopes, answers)));
      }
      this.#step();
      if (answers.size >= needed || waiting.length === 0) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      logger.info({ requestId: req.id, waiting, released: answers.size, threshold: needed }, 'approvers unavailable; asking again');
      await this.#sleep(Math.min(pause, left));
      this.#step();
      pause = Math.min(pause * 2, RETRY_MAX_MS);
      const again = waiting;
      waiting = [];
      waiting.push(...(await this.#askAll(req, again, envelopes, answers)));
    }
    this.#step();
    if (answers.size < needed) {
      throw new RequestFailure(
        'NOT_ENOUGH_CUSTODIANS',
        `${answers.size} custodians released partials and ${needed} are needed; nothing was combined`,
      );
    }
    logger.info({ requestId: req.id, custodians: [...answers.keys()] }, 'partials released');
    return { answers, reserve: approvers.slice(next) };
  }

  /**
   * The request's envelopes in position order, decoded once for both release
   * and combination (they were screened at intake and stored as their
   * normalised JSON; parseEnvelope checks them strictly again).
   */
  #envelopes(req: RequestRow): ParsedEnvelope[] {
    return this.#d.repo.envelopes(req.id).map((row, k) => {
      if (row.position !== k) throw new Error(`request ${req.id}: envelope positions are not 0..n−1`);
      return parseEnvelope(JSON.parse(row.envelopeJson));
    });
  }

  /** A pause that ends early when the workflow closes. */
  async #sleep(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.#closed && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())).unref());
  }

  /**
   * Asks each of `indices` in parallel; every answer is logged as a release
   * (all of them in one commit once everyone asked has answered or failed) and
   * added to `answers`. Returns those that could not answer but may later.
   */
  async #askAll(req: RequestRow, indices: readonly number[], envelopes: readonly ParsedEnvelope[], answers: Map<number, PartialsAnswer>): Promise<number[]> {
    const later: number[] = [];
    const served: PartialsAnswer[] = [];
    await mapLimit(indices, this.#d.concurrency, async (index) => {
      const outcome = await this.#ask(req, index, envelopes);
      if (this.#closed) return;
      if (outcome.kind === 'retry') later.push(index);
      if (outcome.kind === 'served') served.push(outcome.answer);
    });
    this.#step();
    const { repo, ledger } = this.#d;
    // Logged before they are combined (docs/PROTOCOL.md §5 step 5); a crash before this commit only means asking again.
    repo.transaction(() => {
      for (const a of served) ledger.appendOnce(entryKey.release(req.id, a.custodian), a.release);
    });
    for (const a of served) answers.set(a.custodian, a);
    return later.sort((a, b) => a - b);
  }

  /** One custodian's partials, checked against its signed release. */
  async #ask(req: RequestRow, index: number, envelopes: readonly ParsedEnvelope[]): Promise<AskOutcome> {
    const { logger } = this.#d;
    const registry = this.#d.registry();
    // The call is authorised for exactly these envelopes, in the order sent (docs/PROTOCOL.md §7.12, Call authorisation).
    const root = envelopeSetRoot(envelopes.map((e) => e.id));
    const records = envelopes.map((e) => e.envelope);
    const minSize = req.logIndex! + 1;
    // With the checkpoint that logs the request unless the custodian already cosigned one:
    // it witnesses and releases in one exchange (docs/PROTOCOL.md §4.6, §5.1).
    const call = (checkpoint?: CheckpointBundle) =>
      fetchPartials(this.#d.custodianUrl(index), index, req.id, records, root, this.#d.signCall, this.#d.timeoutMs, this.#d.retries, this.#d.insecureHttp, checkpoint).then(
        ({ cosignature, ...result }) => (cosignature === undefined ? { result } : { result, cosignature }),
      );
    let lastRetryable = false;
    for (let attempt = 0; attempt < 3 && !this.#closed; attempt++) {
      try {
        const a = await this.#d.cosigner.carry(index, minSize, call);
        const r = a.release;
        const consistent =
          a.custodian === index &&
          r.custodian === index &&
          r.requestId === req.id &&
          a.partials.length === envelopes.length &&
          r.count === envelopes.length &&
          a.partials.every((p) => p.index === index) &&
          r.partialsRoot === partialsRoot(a.partials);
        if (!consistent) {
          logger.warn({ requestId: req.id, custodian: index }, 'custodian answer does not match its release; ignored');
          return { kind: 'refused' };
        }
        checkRelease(r, registry, [...new Set(envelopes.map((e) => e.epoch))]);
        return { kind: 'served', answer: a };
      } catch (err) {
        if (err instanceof CoordinatorError) {
          logger.warn({ requestId: req.id, custodian: index, code: err.code }, 'custodian release is invalid; ignored');
          return { kind: 'refused' };
        }
        // The custodian's replica lags behind the checkpoint: one more round, then ask again.
        if (err instanceof HttpError && err.code === 'REQUEST_NOT_LOGGED') {
          lastRetryable = true;
          await this.#d.cosigner.round().catch(() => undefined);
          continue;
        }
        logger.warn(
          { requestId: req.id, custodian: index, code: err instanceof HttpError ? err.code : 'UNREACHABLE' },
          'custodian did not release partials',
        );
        return retryable(err) ? { kind: 'retry' } : { kind: 'refused' };
      }
    }
    return lastRetryable ? { kind: 'retry' } : { kind: 'refused' };
  }

  /**
   * Step 6: combine per envelope, in position order, blaming bad partials.
   * Each plaintext is sealed to the request's investigator as soon as it is
   * opened and zeroed; only the sealed result is kept (docs/PROTOCOL.md §3.7). With `reserveLeft`, an envelope
   * short of t valid partials (NOT_ENOUGH_PARTIALS) is left for #recombine,
   * neither stored nor counted yet.
   */
  async #combine(req: RequestRow, envelopes: readonly ParsedEnvelope[], answers: ReadonlyMap<number, PartialsAnswer>, reserveLeft: boolean): Promise<Combined> {
    // Known-bad custodians go last, so the fast path keeps working.
    const c: Combined = { outcomes: [], blamed: new Map(), order: [...answers.keys()].sort((a, b) => a - b), short: [], progress: { done: 0, failed: 0 } };
    this.#progress.set(req.id, c.progress);
    await this.#open(req, envelopes, answers, envelopes.map((_, k) => k), c, reserveLeft);
    return c;
  }

  /**
   * Step 6, after blamed partials left envelopes short: asks the reserve
   * (each of them once, in one batch; those that cannot answer now are not
   * waited for), then opens only the short envelopes again with every
   * partial in hand. Moves forward to #complete whatever the reserve gave.
   */
  async #recombine(req: RequestRow, envelopes: readonly ParsedEnvelope[], released: Released, c: Combined): Promise<Combined> {
    const answers = new Map(released.answers);
    await this.#askAll(req, released.reserve, envelopes, answers);
    this.#step();
    // The reserve goes after those asked first (and the blamed among them).
    for (const i of [...answers.keys()].sort((a, b) => a - b)) if (!c.order.includes(i)) c.order.push(i);
    const short = c.short.splice(0);
    await this.#open(req, envelopes, answers, short, c, false);
    c.outcomes.sort((a, b) => a.position - b.position);
    return c;
  }

  /** Opens the envelopes at `positions` into `c` (see #combine for `deferShort`). */
  async #open(
    req: RequestRow,
    envelopes: readonly ParsedEnvelope[],
    answers: ReadonlyMap<number, PartialsAnswer>,
    positions: readonly number[],
    c: Combined,
    deferShort: boolean,
  ): Promise<void> {
    const registry = this.#d.registry();
    for (const position of positions) {
      const env = envelopes[position]!;
      const partials = new Map<number, PartialRecord>();
      for (const [i, a] of answers) partials.set(i, a.partials[position]!);
      const outcome = openEnvelope(env, partials, c.order, registry);
      for (const b of outcome.blamed) {
        if (!c.blamed.has(b.custodian)) c.blamed.set(b.custodian, { env, partial: b.partial });
        const k = c.order.indexOf(b.custodian);
        if (k >= 0) c.order.push(...c.order.splice(k, 1));
      }
      if (deferShort && outcome.failure === 'NOT_ENOUGH_PARTIALS') {
        c.short.push(position);
        continue;
      }
      const sealed = outcome.plaintext ? sealToInvestigator(outcome.plaintext, req.investigator, resultContext(req.id, outcome.envelopeId)) : null;
      outcome.plaintext?.fill(0);
      c.outcomes.push({ position, envelopeId: outcome.envelopeId, sealed, failure: outcome.failure });
      if (sealed) c.progress.done++;
      else c.progress.failed++;
      // Yield now and then so the service keeps answering during large requests.
      if ((c.progress.done + c.progress.failed) % 64 === 0) {
        await new Promise((r) => setImmediate(r));
        this.#step();
      }
    }
    this.#step();
  }

  /** The end of step 6: misbehavior, the sealed results and the completion, logged and stored in one commit. */
  #complete(req: RequestRow, c: Combined): void {
    const { repo, ledger, logger, now } = this.#d;
    const time = now();
    const blamed = [...c.blamed.keys()].sort((a, b) => a - b);
    const { done, failed } = c.progress;
    repo.transaction(() => {
      for (const [custodian, { env, partial }] of c.blamed) {
        ledger.appendOnce(entryKey.misbehavior(req.id, custodian), misbehaviorEntry(req.id, env.envelope, env.id, custodian, partial));
      }
      for (const { position, envelopeId, sealed, failure } of c.outcomes) repo.putResult(req.id, position, envelopeId, sealed, failure);
      ledger.appendOnce(
        entryKey.complete(req.id),
        { type: 'decryption-complete', requestId: req.id, decrypted: done, failed, blamed, time },
        () => repo.completeRequest(req.id, done, failed, time, time + this.#d.retentionSeconds),
      );
    });
    if (blamed.length) logger.warn({ requestId: req.id, blamed }, 'custodians returned bad partials; misbehavior logged');
  }

  /** Ends a request that cannot complete: logged as complete with every envelope failed. */
  #fail(req: RequestRow, err: RequestFailure): void {
    const { repo, ledger, logger, now } = this.#d;
    const time = now();
    repo.transaction(() => {
      ledger.appendOnce(
        entryKey.complete(req.id),
        { type: 'decryption-complete', requestId: req.id, decrypted: 0, failed: req.envelopeCount, blamed: [], time },
        () => repo.failRequest(req.id, err.code, err.message, time),
      );
    });
    logger.warn({ requestId: req.id, code: err.code }, 'decryption request failed');
  }
}
