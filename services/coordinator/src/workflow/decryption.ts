/**
 * The decryption workflow (DESIGN.md §5 steps 4–6), durable: each step is
 * persisted before the next, a restarted coordinator resumes unfinished
 * requests, and every log entry has a unique key so nothing is logged twice.
 *
 *   logged → cosigned (≥ t witnesses) → releasing (partials from the
 *   approving custodians, each release logged) → complete | failed
 *
 * Partials are never stored: on restart they are fetched again (custodians
 * answer a repeated request id with the same partials).
 */
import { parseEnvelope } from '@custodes/shared/crypto';
import type { ParsedEnvelope } from '@custodes/shared/crypto';
import { EnvelopeSchema, partialsRoot } from '@custodes/shared/records';
import type { PartialRecord } from '@custodes/shared/records';
import { HttpError } from '@custodes/shared/service';
import type { Logger } from 'pino';
import { checkRelease, entryKey } from '../domain/records';
import type { Registry } from '../domain/registry';
import { misbehaviorEntry, openEnvelope } from '../domain/requests';
import type { EnvelopeOutcome } from '../domain/requests';
import { CoordinatorError } from '../errors';
import type { Ledger } from '../ledger';
import type { Repository, RequestRow } from '../repo/repository';
import type { Cosigner } from './cosigner';
import { fetchPartials, mapLimit } from './custodians';
import type { PartialsAnswer } from './custodians';

export interface DecryptionDeps {
  repo: Repository;
  ledger: Ledger;
  cosigner: Cosigner;
  registry: () => Registry;
  custodianUrl: (index: number) => string;
  now: () => number;
  retentionSeconds: number;
  timeoutMs: number;
  retries: number;
  concurrency: number;
  logger: Logger;
}

/** A failure that ends a request: its code and message are shown to the investigator. */
class RequestFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

class Closing extends Error {}

export class DecryptionWorkflow {
  readonly #d: DecryptionDeps;
  readonly #running = new Map<string, Promise<void>>();
  /** Envelopes combined so far, for progress while a request is releasing. */
  readonly #progress = new Map<string, { done: number; failed: number }>();
  #closed = false;

  constructor(deps: DecryptionDeps) {
    this.#d = deps;
  }

  progress(requestId: string): { done: number; failed: number } | undefined {
    return this.#progress.get(requestId);
  }

  /** Runs (or joins) the workflow of a logged request in the background. */
  start(requestId: string): void {
    if (this.#closed || this.#running.has(requestId)) return;
    const run = this.#run(requestId)
      .catch((err: unknown) => {
        if (this.#closed || err instanceof Closing) return;
        this.#d.logger.error({ requestId, err: String(err) }, 'decryption workflow stopped; it resumes at the next start');
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
      if (req.state === 'logged') {
        await this.#cosign(req);
        this.#step();
        repo.setRequestState(requestId, 'cosigned');
        req = repo.request(requestId)!;
      }
      if (req.state === 'cosigned' || req.state === 'releasing') {
        repo.setRequestState(requestId, 'releasing');
        const { answers, unasked } = await this.#release(req);
        this.#step();
        await this.#combine(req, answers, unasked);
      }
    } catch (err) {
      if (!(err instanceof RequestFailure)) throw err;
      this.#fail(req, err);
    } finally {
      this.#progress.delete(requestId);
    }
    logger.info({ requestId, state: repo.request(requestId)?.state }, 'decryption request finished');
  }

  /** Step 4: the request must be in a checkpoint at least t custodians cosigned. */
  async #cosign(req: RequestRow): Promise<void> {
    const minSize = req.logIndex! + 1;
    const registry = this.#d.registry();
    const t = registry.threshold;
    // Also wait for the custodians #release asks first (the lowest approving indices), unless they are down:
    // each releases only from a checkpoint it has cosigned itself (DESIGN.md §1 goal 2).
    const first = this.#d.repo
      .decisions(req.warrantId)
      .filter((d) => d.decision === 'approve' && registry.custodian(d.custodian))
      .map((d) => d.custodian)
      .sort((a, b) => a - b)
      .slice(0, t);
    const r = await this.#d.cosigner.ensureCosigned(minSize, 3, first);
    this.#step();
    if (r.size < minSize || r.cosigners.size < t) {
      throw new RequestFailure(
        'QUORUM_UNAVAILABLE',
        `${r.cosigners.size} custodians cosigned a checkpoint with this request and ${t} are needed; nothing was released`,
      );
    }
  }

  /**
   * Step 5: partials from t approving custodians, in parallel; each release is
   * logged. The fast path (DESIGN.md §3.4) needs only t partials per envelope
   * and a release costs each custodian a BIP340 check and a DLEQ proof per
   * envelope, so the others are asked only if fewer than t serve, or later if
   * a partial fails its proof (#combine). `unasked` are those left.
   */
  async #release(req: RequestRow): Promise<{ answers: Map<number, PartialsAnswer>; unasked: number[] }> {
    const { repo, logger } = this.#d;
    const registry = this.#d.registry();
    const envelopes = this.#envelopes(req);
    const approvers = repo
      .decisions(req.warrantId)
      .filter((d) => d.decision === 'approve' && registry.custodian(d.custodian))
      .map((d) => d.custodian)
      .sort((a, b) => a - b);
    const answers = new Map<number, PartialsAnswer>();
    let next = 0;
    while (answers.size < registry.threshold && next < approvers.length && !this.#closed) {
      const batch = approvers.slice(next, next + registry.threshold - answers.size);
      next += batch.length;
      await this.#askAll(req, batch, envelopes, answers);
    }
    this.#step();
    if (answers.size < registry.threshold) {
      throw new RequestFailure(
        'NOT_ENOUGH_CUSTODIANS',
        `${answers.size} custodians released partials and ${registry.threshold} are needed; nothing was combined`,
      );
    }
    logger.info({ requestId: req.id, custodians: [...answers.keys()] }, 'partials released');
    return { answers, unasked: approvers.slice(next) };
  }

  #envelopes(req: RequestRow): unknown[] {
    return this.#d.repo.envelopes(req.id).map((e) => EnvelopeSchema.parse(JSON.parse(e.envelopeJson)));
  }

  /** Asks each of `indices` in parallel; every answer is logged as a release and added to `answers`. */
  async #askAll(req: RequestRow, indices: readonly number[], envelopes: readonly unknown[], answers: Map<number, PartialsAnswer>): Promise<void> {
    await mapLimit(indices, this.#d.concurrency, async (index) => {
      const answer = await this.#ask(req, index, envelopes);
      if (!answer || this.#closed) return;
      answers.set(index, answer);
      this.#d.ledger.appendOnce(entryKey.release(req.id, index), answer.release);
    });
  }

  /** One custodian's partials, checked against its signed release; null if it cannot serve. */
  async #ask(req: RequestRow, index: number, envelopes: readonly unknown[]): Promise<PartialsAnswer | null> {
    const { logger } = this.#d;
    const registry = this.#d.registry();
    for (let attempt = 0; attempt < 3 && !this.#closed; attempt++) {
      try {
        const a = await fetchPartials(this.#d.custodianUrl(index), req.id, envelopes as never, this.#d.timeoutMs, this.#d.retries);
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
          return null;
        }
        checkRelease(r, registry, true);
        return a;
      } catch (err) {
        if (err instanceof CoordinatorError) {
          logger.warn({ requestId: req.id, custodian: index, code: err.code }, 'custodian release is invalid; ignored');
          return null;
        }
        // The custodian's replica lags behind the checkpoint: one more round, then ask again.
        if (err instanceof HttpError && err.code === 'REQUEST_NOT_LOGGED') {
          await this.#d.cosigner.round().catch(() => undefined);
          continue;
        }
        logger.warn(
          { requestId: req.id, custodian: index, code: err instanceof HttpError ? err.code : 'UNREACHABLE' },
          'custodian did not release partials',
        );
        return null;
      }
    }
    return null;
  }

  /** Step 6: combine per envelope, blame bad partials, log the outcome, keep plaintexts. */
  async #combine(req: RequestRow, answers: Map<number, PartialsAnswer>, unasked: number[]): Promise<void> {
    const { repo, ledger, logger, now } = this.#d;
    const registry = this.#d.registry();
    const rows = repo.envelopes(req.id);
    const outcomes: { position: number; env: ParsedEnvelope; outcome: EnvelopeOutcome }[] = [];
    const blamedFirst = new Map<number, { env: ParsedEnvelope; partial: PartialRecord }>();
    // Known-bad custodians go last, so the fast path keeps working.
    const order = [...answers.keys()].sort((a, b) => a - b);
    const progress = { done: 0, failed: 0 };
    this.#progress.set(req.id, progress);
    for (const row of rows) {
      const env = parseEnvelope(JSON.parse(row.envelopeJson));
      const partials = new Map<number, PartialRecord>();
      for (const [i, a] of answers) partials.set(i, a.partials[row.position]!);
      let outcome = openEnvelope(env, partials, order, registry);
      if (outcome.failure === 'NOT_ENOUGH_PARTIALS' && unasked.length) {
        // A bad partial among the first t: now ask the custodians held in reserve, once.
        const before = answers.size;
        await this.#askAll(req, unasked.splice(0), this.#envelopes(req), answers);
        this.#step();
        for (const i of [...answers.keys()].sort((a, b) => a - b)) if (!order.includes(i)) order.push(i);
        if (answers.size > before) {
          for (const [i, a] of answers) partials.set(i, a.partials[row.position]!);
          outcome = openEnvelope(env, partials, order, registry);
        }
      }
      outcomes.push({ position: row.position, env, outcome });
      for (const b of outcome.blamed) {
        if (!blamedFirst.has(b.custodian)) blamedFirst.set(b.custodian, { env, partial: b.partial });
        const k = order.indexOf(b.custodian);
        if (k >= 0) order.push(...order.splice(k, 1));
      }
      if (outcome.plaintext) progress.done++;
      else progress.failed++;
      // Yield now and then so the service keeps answering during large requests.
      if ((progress.done + progress.failed) % 64 === 0) {
        await new Promise((r) => setImmediate(r));
        this.#step();
      }
    }
    this.#step();
    const time = now();
    const blamed = [...blamedFirst.keys()].sort((a, b) => a - b);
    repo.transaction(() => {
      for (const [custodian, { env, partial }] of blamedFirst) {
        ledger.appendOnce(entryKey.misbehavior(req.id, custodian), misbehaviorEntry(req.id, env.envelope, env.id, custodian, partial));
      }
      for (const { position, outcome } of outcomes) {
        repo.putResult(req.id, position, outcome.envelopeId, outcome.plaintext, outcome.failure);
      }
      ledger.appendOnce(
        entryKey.complete(req.id),
        { type: 'decryption-complete', requestId: req.id, decrypted: progress.done, failed: progress.failed, blamed, time },
        () => repo.completeRequest(req.id, progress.done, progress.failed, time, time + this.#d.retentionSeconds),
      );
    });
    for (const { outcome } of outcomes) outcome.plaintext?.fill(0);
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
