/**
 * Checkpoints and cosigning (DESIGN.md §4.3, §1 goal 8): publish a signed
 * checkpoint at the current size, then ask every custodian, as a C2SP
 * tlog-witness, to cosign it, in parallel with timeouts and bounded
 * concurrency. Rounds run one at a time; each serves every caller waiting
 * for a size it covers.
 */
import { hexToBytes } from '@custodes/shared/crypto';
import { formatAddCheckpointRequest, formatSignedNote, parseSignedNote, verifyCosignature } from '@custodes/shared/log';
import type { Logger } from 'pino';
import type { Registry, RegistryCustodian } from '../domain/registry';
import type { LogStorePort } from '../ledger';
import type { Repository } from '../repo/repository';
import { addCheckpoint, mapLimit } from './custodians';

export interface CosignResult {
  size: number;
  /** Indices of custodians whose cosignature on this checkpoint verified. */
  cosigners: Set<number>;
}

export interface CosignerDeps {
  store: LogStorePort;
  repo: Repository;
  registry: () => Registry;
  custodianUrl: (index: number) => string;
  origin: string;
  timeoutMs: number;
  concurrency: number;
  logger: Logger;
}

export class Cosigner {
  readonly #d: CosignerDeps;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #scheduled = false;
  /**
   * The last note checked by #cosigners and who had verified on it. Rounds
   * come several times a request (after every append) and mostly find the
   * same stored note, whose cosignatures would otherwise be BIP340-verified
   * again each time; the answer depends only on the note text and the witnesses' keys.
   */
  #checked: { note: string; keys: string; cosigners: ReadonlySet<number> } | null = null;
  /**
   * Witnesses that just failed are skipped until `until` (ms), backing off
   * to 30 s, so one unreachable node does not stall every round by a timeout.
   */
  readonly #backoff = new Map<number, { until: number; failures: number }>();

  constructor(deps: CosignerDeps) {
    this.#d = deps;
  }

  close(): void {
    this.#closed = true;
  }

  /** Publishes a checkpoint at the current size (if newer) and runs one cosigning round. */
  round(): Promise<CosignResult> {
    const run = this.#tail.then(() => this.#round());
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Rounds until a checkpoint of at least `minSize` carries ≥ t cosignatures,
   * at most `attempts` times. Returns the last result; the caller decides.
   */
  async ensureCosigned(minSize: number, attempts = 3): Promise<CosignResult> {
    let result = await this.round();
    for (let a = 1; a < attempts && !this.#enough(result, minSize) && !this.#closed; a++) {
      await new Promise((r) => setTimeout(r, 100 * 2 ** a));
      result = await this.round();
    }
    return result;
  }

  /**
   * A background round soon, e.g. after an approval is logged. Coalesced until
   * that round starts, not just within one tick: a round publishes the size
   * at its start, so one queued round covers every append made while an
   * earlier round runs (three releases logged during one round cost one
   * more round, not three, each fanning out to every witness).
   */
  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      if (this.#closed) {
        this.#scheduled = false;
        return;
      }
      const run = this.#tail.then(() => {
        this.#scheduled = false;
        return this.#round();
      });
      this.#tail = run.catch(() => undefined);
      run.catch((err: unknown) => this.#d.logger.warn({ err: String(err) }, 'cosigning round failed'));
    });
  }

  #enough(r: CosignResult, minSize: number): boolean {
    return r.size >= minSize && r.cosigners.size >= this.#d.registry().threshold;
  }

  async #round(): Promise<CosignResult> {
    const { store, repo, logger } = this.#d;
    if (this.#closed) throw new Error('coordinator is closing');
    const published = store.publishCheckpoint();
    const size = published.size;
    const witnesses = this.#d.registry().custodians;
    const done = this.#cosigners(witnesses);
    // The witness gets the checkpoint with the log's signature only (docs/SERVICES.md).
    const parsed = parseSignedNote(published.note);
    const logNote = formatSignedNote({ text: parsed.text, signatures: parsed.signatures.filter((s) => s.name === this.#d.origin) });
    const now = Date.now();
    const todo = witnesses.filter((w) => !done.has(w.index) && (this.#backoff.get(w.index)?.until ?? 0) <= now);
    const cosigned: { index: number; line: string }[] = [];
    await mapLimit(todo, this.#d.concurrency, async (w) => {
      try {
        const line = await this.#ask(w, size, logNote);
        this.#backoff.delete(w.index);
        if (line === null || this.#closed) return;
        const check = parseSignedNote(`${logNote}${line}`);
        if (!verifyCosignature(check, { name: w.name, publicKey: hexToBytes(w.signingKey, 32) })) {
          logger.warn({ custodian: w.index, size }, 'witness returned a cosignature that does not verify');
          return;
        }
        cosigned.push({ index: w.index, line });
      } catch (err) {
        if (this.#closed) return;
        const failures = (this.#backoff.get(w.index)?.failures ?? 0) + 1;
        const waitMs = Math.min(30_000, 500 * 2 ** (failures - 1));
        this.#backoff.set(w.index, { until: Date.now() + waitMs, failures });
        logger.warn({ custodian: w.index, size, retryInMs: waitMs, err: String(err) }, 'witness unreachable');
      }
    });
    // One transaction (one fsync) for the round's cosignatures rather than one
    // per witness: the round's result is returned only now either way, and a
    // commit per witness blocked the event loop five times a round. A
    // database error fails the round instead of reading as an unreachable witness.
    if (cosigned.length && !this.#closed) {
      repo.transaction(() => {
        store.addCosignatures(size, cosigned.map((c) => c.line));
        for (const c of cosigned) repo.setWitnessSize(c.index, size);
      });
      for (const c of cosigned) done.add(c.index);
    }
    logger.debug({ size, cosigners: done.size }, 'cosigning round');
    return { size, cosigners: done };
  }

  /** Custodians whose cosignature is already on the latest checkpoint. */
  #cosigners(witnesses: readonly RegistryCustodian[]): Set<number> {
    const latest = this.#d.store.latestCheckpoint();
    const out = new Set<number>();
    if (!latest) return out;
    const keys = witnesses.map((w) => `${w.index}:${w.name}:${w.signingKey}`).join(' ');
    if (this.#checked?.note === latest.note && this.#checked.keys === keys) return new Set(this.#checked.cosigners);
    const note = parseSignedNote(latest.note);
    for (const w of witnesses) {
      if (verifyCosignature(note, { name: w.name, publicKey: hexToBytes(w.signingKey, 32) })) out.add(w.index);
    }
    this.#checked = { note: latest.note, keys, cosigners: new Set(out) };
    return out;
  }

  /** One add-checkpoint exchange; on 409 it retries once from the witness's own size. */
  async #ask(w: RegistryCustodian, size: number, note: string): Promise<string | null> {
    const { store, repo, logger } = this.#d;
    const url = this.#d.custodianUrl(w.index);
    let old = Math.min(repo.witnessSize(w.index), size);
    for (let attempt = 0; attempt < 2; attempt++) {
      const body = formatAddCheckpointRequest({ oldSize: old, proof: store.consistencyProof(old, size), note });
      const answer = await addCheckpoint(url, body, this.#d.timeoutMs);
      if (answer.kind === 'cosigned') return answer.line;
      if (answer.kind === 'refused') {
        logger.warn({ custodian: w.index, size, status: answer.status, reason: answer.message }, 'witness refused the checkpoint');
        return null;
      }
      if (answer.size > size) {
        logger.error({ custodian: w.index, size, witnessSize: answer.size }, 'witness has seen a larger tree than this log published');
        return null;
      }
      repo.setWitnessSize(w.index, answer.size);
      old = answer.size;
    }
    return null;
  }
}
