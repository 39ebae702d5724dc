/**
 * Checkpoints and cosigning (docs/PROTOCOL.md §4.3, §1 goal 8): publish a signed
 * checkpoint after appends, and bring every custodian, as a C2SP tlog-witness,
 * up to the newest published checkpoint.
 *
 * Each witness catches up on its own: as soon as it is free it is asked to
 * cosign the newest checkpoint, and again while a newer one was published
 * meanwhile. One add-checkpoint per witness is in flight at a time (the
 * witness serialises them anyway), and a slow witness never holds the others
 * back. A waiter for size S is served by the witnesses whose verified and
 * stored cosignature covers a checkpoint of at least S: each of them has
 * checked that checkpoint's consistency with everything it cosigned before.
 *
 * Every add-checkpoint carries the entries it adds (a checkpoint bundle,
 * docs/PROTOCOL.md §4.5), so a witness does not have to fetch them; and `carry`
 * lets another call to a custodian (the warrant delivery) carry the bundle, so
 * one exchange both cosigns and delivers.
 */
import { bytesToBase64, hexToBytes } from '@custodes/shared/crypto';
import { MAX_BUNDLE_ENTRIES, MAX_BUNDLE_ENTRY_CHARS } from '@custodes/shared/records';
import type { CheckpointBundle } from '@custodes/shared/records';
import { formatAddCheckpointRequest, formatSignedNote, parseSignedNote, verifyCosignature } from '@custodes/shared/log';
import { storageProblem } from '@custodes/shared/service';
import type { Logger } from 'pino';
import type { Registry, RegistryCustodian } from '../rules/registryChecks';
import type { LogStorePort } from '../ledger';
import type { GroupCommit } from '../repo/groupCommit';
import type { Repository } from '../repo/repository';
import { addCheckpointBundle, witnessRefusal, witnessSizeConflict } from './custodians';
import type { AddCheckpointAnswer } from './custodians';

export interface CosignResult {
  /** The published checkpoint size the call was for (≥ the size asked for). */
  size: number;
  /** Indices of custodians whose verified cosignature covers a checkpoint of at least that size. */
  cosigners: Set<number>;
}

export interface CosignerDeps {
  store: LogStorePort;
  repo: Repository;
  /** Cosignatures answered in the same turn of the event loop share one commit (with any records posted then). */
  commits: GroupCommit;
  registry: () => Registry;
  custodianUrl: (index: number) => string;
  origin: string;
  timeoutMs: number;
  /** CoordinatorConfig.insecureHttp: plain http to custodians off loopback allowed. */
  insecureHttp?: boolean;
  /** Delay of a background publish after the append that scheduled it, so that a burst shares one. */
  backgroundDelayMs?: number;
  concurrency: number;
  logger: Logger;
}

interface WitnessState {
  /** Size of the largest checkpoint carrying this witness's verified, stored cosignature. */
  cosigned: number;
  /** Size of the largest checkpoint this witness answered with a verifying cosignature (its replica holds it; ours may not yet). */
  answered: number;
  /** An add-checkpoint exchange with this witness is running. */
  busy: boolean;
  /** The published size this witness last refused: not asked again for it except by an explicit round. */
  refused: number;
  /** Left to the next background pass (#defer): not asked before it except by an explicit round. */
  deferred: boolean;
  /** Called when `busy` clears (carry waits for a running exchange). */
  idle: (() => void)[];
}

/** What a call that carries a checkpoint bundle brings back (see Cosigner.carry). */
export interface Carried<T> {
  result: T;
  /** The custodian's cosignature line of the bundle's checkpoint, if it sent one. */
  cosignature?: string;
}

interface Waiter {
  minSize: number;
  /** Resolve before every witness is done once this holds of the cosigners so far. */
  enough: (cosigners: Set<number>) => boolean;
  resolve: (cosigners: Set<number>) => void;
}

export class Cosigner {
  readonly #d: CosignerDeps;
  #closed = false;
  #scheduled: NodeJS.Timeout | null = null;
  /**
   * Witnesses that just failed are skipped until `until` (ms), backing off
   * to 30 s, so one unreachable node does not stall every waiter by a timeout.
   */
  readonly #backoff = new Map<number, { until: number; failures: number }>();
  readonly #witnesses = new Map<number, WitnessState>();
  /** The newest published checkpoint, as witnesses get it: with the log's signature only (docs/PROTOCOL.md §7.8). */
  #published: { size: number; note: string } | null = null;
  readonly #waiters = new Set<Waiter>();
  readonly #listeners: ((custodian: number, size: number) => void)[] = [];
  /** Verified cosignatures that could not be stored (e.g. STORAGE_FULL), counted, and the last such error. */
  #storageFailures = 0;
  #storageError: unknown = null;

  constructor(deps: CosignerDeps) {
    this.#d = deps;
  }

  close(): void {
    this.#closed = true;
    if (this.#scheduled) clearTimeout(this.#scheduled);
    this.#scheduled = null;
    for (const w of this.#waiters) w.resolve(this.#cosignersAt(w.minSize));
    this.#waiters.clear();
    for (const st of this.#witnesses.values()) for (const fn of st.idle.splice(0)) fn(); // carry stops waiting
  }

  /**
   * Calls `fn` when a witness has answered a verifying cosignature of a
   * checkpoint of `size` — its own replica then holds those entries — e.g. to
   * deliver the warrants it covers. Our copy of the cosignature may still be
   * being written; waiters (ensureCosigned, round) wait for that.
   */
  onCosigned(fn: (custodian: number, size: number) => void): void {
    this.#listeners.push(fn);
  }

  /** True while `custodian` is being brought to a checkpoint of at least `size` (it will be reported to onCosigned). */
  catchingUp(custodian: number, size: number): boolean {
    const st = this.#witnesses.get(custodian);
    return st !== undefined && st.busy && st.answered < size && (this.#published?.size ?? 0) >= size;
  }

  /**
   * Publishes a checkpoint at the current size (if newer), asks every witness
   * that is behind it (even one that refused it before), and resolves when
   * each has cosigned it or failed.
   */
  async round(): Promise<CosignResult> {
    if (this.#closed) throw new Error('coordinator is closing');
    const size = this.#publish();
    this.#driveAll(true);
    return { size, cosigners: await this.#wait(size, () => false) };
  }

  /**
   * Until ≥ t witnesses cosigned a checkpoint of at least `minSize`, at most
   * `attempts` times. With `prefer`, also waits for those witnesses (the ones
   * the caller will ask next) unless they stopped trying; when they are at
   * least t, the first attempt asks only them (the others catch up in the
   * background, off the caller's path). Returns the last result; the caller
   * decides. Throws instead if it fell short because this node could not
   * store cosignatures it got (its storage is full): that is not the
   * witnesses' doing, and the caller should try again later.
   */
  async ensureCosigned(minSize: number, attempts = 3, prefer: readonly number[] = []): Promise<CosignResult> {
    const t = () => this.#d.registry().threshold;
    const storageFailures = this.#storageFailures;
    const enough = (c: Set<number>) => c.size >= t() && prefer.every((i) => c.has(i) || !this.#witnesses.get(i)?.busy);
    let result: CosignResult = { size: 0, cosigners: new Set() };
    for (let a = 0; a < attempts && !this.#closed; a++) {
      if (a > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** a));
      if (this.#closed) break;
      const size = Math.max(this.#publish(), minSize);
      if (a === 0 && prefer.length >= t()) this.#defer(new Set(prefer));
      this.#driveAll(a > 0);
      result = { size, cosigners: await this.#wait(minSize, enough) };
      if (result.cosigners.size >= t()) break;
    }
    // Only a failure during this call counts: once storage is back, unreachable witnesses are the reason again.
    if (result.cosigners.size < t() && this.#storageFailures > storageFailures) throw this.#storageError;
    return result;
  }

  /**
   * Publish and start catching witnesses up soon, e.g. after an approval is
   * logged: `backgroundDelayMs` after the first call, however many follow.
   */
  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = setTimeout(() => {
      this.#scheduled = null;
      if (this.#closed) return;
      try {
        this.#publish();
        for (const st of this.#witnesses.values()) st.deferred = false; // this is the background pass they were left to
        this.#driveAll(false);
      } catch (err) {
        this.#d.logger.warn({ err: String(err) }, 'publishing a checkpoint failed');
      }
    }, this.#d.backgroundDelayMs ?? 0);
  }

  /** Signs a checkpoint at the current size unless the latest has it; returns the newest published size. */
  #publish(): number {
    if (this.#closed) throw new Error('coordinator is closing');
    if (this.#published === null) this.#load();
    const published = this.#d.store.publishCheckpoint();
    if (this.#published === null || published.size > this.#published.size) {
      const parsed = parseSignedNote(published.note);
      const note = formatSignedNote({ text: parsed.text, signatures: parsed.signatures.filter((s) => s.name === this.#d.origin) });
      this.#published = { size: published.size, note };
    }
    return this.#published!.size;
  }

  /** Once per process: which witnesses' cosignatures the latest stored checkpoint already carries. */
  #load(): void {
    const latest = this.#d.store.latestCheckpoint();
    if (!latest) return;
    const note = parseSignedNote(latest.note);
    for (const w of this.#d.registry().custodians) {
      if (verifyCosignature(note, { name: w.name, publicKey: hexToBytes(w.witnessKey, 32) })) {
        const st = this.#state(w.index);
        st.cosigned = st.answered = latest.size;
      }
    }
  }

  #state(index: number): WitnessState {
    let st = this.#witnesses.get(index);
    if (!st) {
      st = { cosigned: 0, answered: 0, busy: false, refused: -1, deferred: false, idle: [] };
      this.#witnesses.set(index, st);
    }
    return st;
  }

  /**
   * Leaves every witness but `needed` to the next background pass, so that on
   * a waiter's path only the witnesses it waits for compete for the CPU.
   */
  #defer(needed: ReadonlySet<number>): void {
    for (const w of this.#d.registry().custodians) if (!needed.has(w.index)) this.#state(w.index).deferred = true;
    this.schedule();
  }

  /** Starts catching up every witness that is behind, free, not backing off and (unless `retryRefused`) not deferred and did not refuse this size. */
  #driveAll(retryRefused: boolean): void {
    const target = this.#published;
    if (this.#closed || target === null) return;
    const now = Date.now();
    let busy = [...this.#witnesses.values()].filter((s) => s.busy).length;
    for (const w of this.#d.registry().custodians) {
      if (busy >= this.#d.concurrency) break;
      const st = this.#state(w.index);
      if (st.busy || st.cosigned >= target.size) continue;
      if ((this.#backoff.get(w.index)?.until ?? 0) > now) continue;
      if (!retryRefused && st.deferred) continue;
      if (!retryRefused && st.refused === target.size) continue;
      st.busy = true;
      busy++;
      void this.#catchUp(w, st);
    }
  }

  /** Asks `w` for the newest checkpoint until it has cosigned it, refuses, or fails. */
  async #catchUp(w: RegistryCustodian, st: WitnessState): Promise<void> {
    try {
      while (!this.#closed && this.#published !== null && st.cosigned < this.#published.size) {
        if (!(await this.#cosignOne(w, st, this.#published))) break;
      }
    } catch (err) {
      this.#d.logger.error({ custodian: w.index, err: String(err) }, 'cosigning failed');
    } finally {
      this.#free(st);
    }
  }

  /** Ends an exchange with a witness: waiters are told, and a witness left waiting by the concurrency limit may start. */
  #free(st: WitnessState): void {
    st.busy = false;
    for (const fn of st.idle.splice(0)) fn();
    this.#settle();
    if (!this.#closed) this.#driveAll(false);
  }

  /**
   * Runs `send`, a call to custodian `index` that can carry a checkpoint
   * bundle, so that the custodian has cosigned a checkpoint of at least
   * `minSize` by the time it serves the call: without a bundle if its replica
   * already holds that size; otherwise with one, after any exchange already
   * running with it. A cosignature in the answer is verified and stored like
   * any other. A witness size conflict is retried once from the witness's
   * size; other errors of `send` are the caller's.
   */
  async carry<T>(index: number, minSize: number, send: (bundle?: CheckpointBundle) => Promise<Carried<T>>): Promise<T> {
    const w = this.#d.registry().custodian(index);
    if (!w) return (await send()).result;
    const st = this.#state(index);
    while (st.busy && st.answered < minSize && !this.#closed) await new Promise<void>((r) => st.idle.push(r));
    if (st.answered >= minSize || this.#closed) return (await send()).result;
    st.busy = true;
    let freeLater = false;
    try {
      this.#publish();
      const target = this.#published!;
      let served: { result: T } | undefined;
      const line = await this.#ask(w, target.size, target.note, async (bundle) => {
        try {
          const carried = await send(bundle);
          served = { result: carried.result };
          return carried.cosignature === undefined
            ? { kind: 'refused', status: 502, message: 'no cosignature in the answer' }
            : { kind: 'cosigned', line: carried.cosignature };
        } catch (err) {
          // The witness part refused (a size conflict is #ask's to retry): the call itself was not served.
          if (witnessSizeConflict(err) === undefined && witnessRefusal(err)) return { kind: 'refused', status: err.status, message: err.message };
          throw err;
        }
      });
      if (line !== null && served) {
        this.#backoff.delete(index); // it answered and cosigned: no reason left to skip it
        // The cosignature goes into the next group commit, which the caller's own writes for this
        // answer (e.g. the decision it carried) then share; the witness stays busy until it is stored.
        freeLater = true;
        void this.#accept(w, st, target.size, target.note, line)
          .catch((err: unknown) => this.#d.logger.error({ custodian: index, err: String(err) }, 'storing a cosignature failed'))
          .finally(() => this.#free(st));
        return served.result;
      }
      // Not served with a bundle (the witness refused it): the call alone, which may then fail as it would have.
      return served ? served.result : (await send()).result;
    } finally {
      if (!freeLater) this.#free(st);
    }
  }

  /** One checkpoint for one witness: ask, verify, store. False if it refused or failed. */
  async #cosignOne(w: RegistryCustodian, st: WitnessState, target: { size: number; note: string }): Promise<boolean> {
    const { logger } = this.#d;
    const { size, note } = target;
    try {
      const line = await this.#ask(w, size, note, (bundle) => addCheckpointBundle(this.#d.custodianUrl(w.index), bundle, this.#d.timeoutMs, this.#d.insecureHttp));
      this.#backoff.delete(w.index);
      if (this.#closed) return false;
      if (line === null || !(await this.#accept(w, st, size, note, line))) {
        st.refused = size;
        return false;
      }
    } catch (err) {
      if (this.#closed) return false;
      // Backing off either way, so a full disk here does not turn into a loop of exchanges.
      const failures = (this.#backoff.get(w.index)?.failures ?? 0) + 1;
      const waitMs = Math.min(30_000, 500 * 2 ** (failures - 1));
      this.#backoff.set(w.index, { until: Date.now() + waitMs, failures });
      // Asked again when the pause ends, even if nothing is appended meanwhile (an idle log).
      setTimeout(() => this.#driveAll(false), waitMs).unref();
      if (storageProblem(err)) logger.error({ custodian: w.index, size, retryInMs: waitMs, err: String(err) }, 'storing a cosignature failed');
      else logger.warn({ custodian: w.index, size, retryInMs: waitMs, err: String(err) }, 'witness unreachable');
      return false;
    }
    this.#settle();
    return true;
  }

  /** Verifies and stores a witness's cosignature of the checkpoint `note` of `size`; false if it does not verify. */
  async #accept(w: RegistryCustodian, st: WitnessState, size: number, note: string, line: string): Promise<boolean> {
    const check = parseSignedNote(`${note}${line}`);
    if (!verifyCosignature(check, { name: w.name, publicKey: hexToBytes(w.witnessKey, 32) })) {
      this.#d.logger.warn({ custodian: w.index, size }, 'witness returned a cosignature that does not verify');
      return false;
    }
    if (size > st.answered) st.answered = size;
    this.#tell(w.index, size);
    // Persisted before any waiter is told (docs/PROTOCOL.md §5: every step persisted before it is acknowledged).
    await this.#persist(size, w.index, line);
    if (size > st.cosigned) st.cosigned = size;
    this.#d.logger.debug({ custodian: w.index, size }, 'checkpoint cosigned');
    return true;
  }

  #tell(custodian: number, size: number): void {
    for (const fn of this.#listeners) {
      try {
        fn(custodian, size);
      } catch (err) {
        this.#d.logger.error({ err: String(err) }, 'cosignature listener failed');
      }
    }
  }

  /**
   * Stores a verified cosignature (and the witness's size) through the
   * coordinator's group commit: those that arrive in the same turn of the
   * event loop share one fsync, each in its own savepoint.
   */
  async #persist(size: number, custodian: number, line: string): Promise<void> {
    const { store, repo, commits } = this.#d;
    try {
      await commits.run(() => {
        store.addCosignatures(size, [line]);
        repo.setWitnessSize(custodian, size);
      });
    } catch (err) {
      if (storageProblem(err)) {
        this.#storageFailures++;
        this.#storageError = err;
      }
      throw err;
    }
  }


  /** Registered witnesses whose stored cosignature covers a checkpoint of at least `minSize`. */
  #cosignersAt(minSize: number): Set<number> {
    const out = new Set<number>();
    for (const w of this.#d.registry().custodians) {
      if ((this.#witnesses.get(w.index)?.cosigned ?? 0) >= minSize) out.add(w.index);
    }
    return out;
  }

  /** Resolves with the cosigners of ≥ `minSize` once `enough` holds or no witness is still trying. */
  #wait(minSize: number, enough: (c: Set<number>) => boolean): Promise<Set<number>> {
    return new Promise((resolve) => {
      this.#waiters.add({ minSize, enough, resolve });
      this.#settle();
    });
  }

  #settle(): void {
    for (const w of this.#waiters) {
      const cosigners = this.#cosignersAt(w.minSize);
      const trying = this.#d.registry().custodians.some((c) => !cosigners.has(c.index) && this.#witnesses.get(c.index)?.busy);
      if (this.#closed || !trying || w.enough(cosigners)) {
        this.#waiters.delete(w);
        w.resolve(cosigners);
      }
    }
  }

  /**
   * The add-checkpoint from `old` to the published checkpoint `note` of
   * `size`, with the entries it adds unless they are too many or too large
   * for one body (the witness then fetches them).
   */
  #bundle(old: number, size: number, note: string): CheckpointBundle {
    const { store } = this.#d;
    const addCheckpoint = formatAddCheckpointRequest({ oldSize: old, proof: store.consistencyProof(old, size), note });
    if (size - old > MAX_BUNDLE_ENTRIES) return { addCheckpoint };
    const entries = store.entries(old, size).map((leaf) => bytesToBase64(leaf));
    const chars = entries.reduce((n, e) => n + e.length, 0);
    return chars > MAX_BUNDLE_ENTRY_CHARS ? { addCheckpoint } : { addCheckpoint, entries };
  }

  /**
   * One add-checkpoint exchange through `exchange`; on a size conflict it
   * retries once from the witness's own size. The cosignature line, or null
   * if the witness refused.
   */
  async #ask(w: RegistryCustodian, size: number, note: string, exchange: (bundle: CheckpointBundle) => Promise<AddCheckpointAnswer>): Promise<string | null> {
    const { repo, logger } = this.#d;
    let old = Math.min(repo.witnessSize(w.index), size);
    for (let attempt = 0; attempt < 2; attempt++) {
      let answer: AddCheckpointAnswer;
      try {
        answer = await exchange(this.#bundle(old, size, note));
      } catch (err) {
        // A call carrying the bundle (carry) reports a conflict as its own error.
        const witnessSize = witnessSizeConflict(err);
        if (witnessSize === undefined) throw err;
        answer = { kind: 'conflict', size: witnessSize };
      }
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
