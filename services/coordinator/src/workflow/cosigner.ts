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
import { HttpError, requestJson, storageProblem } from '@custodes/shared/service';
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
  /** First pause after a witness failed, doubling to 30 s (or this, if longer; default 500 ms); see #probe. */
  retryBaseMs?: number;
  /** How often a witness that could not be reached is probed during its pause (default 1000 ms). */
  probeMs?: number;
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
  /** The checkpoint size a running background exchange (#cosignOne) has sent, else null (carry pipelines behind it). */
  sending: number | null;
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

/**
 * The add-checkpoint exchange of a call that carries a bundle (Cosigner.carry):
 * `served` gets the call's result when the custodian served it; the witness
 * part's answer is the cosignature in it, or its refusal. A witness refusal
 * means the call itself was not served (a size conflict is #ask's to retry).
 */
function carrying<T>(send: (bundle?: CheckpointBundle) => Promise<Carried<T>>, served: (result: T) => void): (bundle: CheckpointBundle) => Promise<AddCheckpointAnswer> {
  return async (bundle) => {
    try {
      const carried = await send(bundle);
      served(carried.result);
      return carried.cosignature === undefined ? { kind: 'refused', status: 502, message: 'no cosignature in the answer' } : { kind: 'cosigned', line: carried.cosignature };
    } catch (err) {
      if (witnessSizeConflict(err) === undefined && witnessRefusal(err)) return { kind: 'refused', status: err.status, message: err.message };
      throw err;
    }
  };
}

/** Longest pause before a witness that failed is asked again. */
const BACKOFF_MAX_MS = 30_000;

export class Cosigner {
  readonly #d: CosignerDeps;
  #closed = false;
  #scheduled: NodeJS.Timeout | null = null;
  /**
   * Witnesses that just failed are skipped until `until` (ms), backing off
   * to 30 s, so one unreachable node does not stall every waiter by a timeout.
   * One that could not be reached at all is probed meanwhile (#probe).
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
   * The witnesses whose stored cosignature covers a checkpoint of at least
   * `minSize`, once those of `prefer` are no longer busy (a cosignature
   * answered in a carried exchange is being stored). Publishes nothing and
   * asks no one: a request whose releasers cosigned it in their partials
   * exchanges learns that it has its quorum without another exchange.
   */
  async cosignedBy(minSize: number, prefer: readonly number[] = []): Promise<Set<number>> {
    if (this.#closed) return this.#cosignersAt(minSize);
    return this.#wait(minSize, (c) => prefer.every((i) => c.has(i) || !this.#witnesses.get(i)?.busy));
  }

  /**
   * Leaves every witness but `needed` (those a request is about to call with
   * a carried bundle, docs/PROTOCOL.md §4.6) to the next background pass, so
   * that only they compete for the CPU on the request's path.
   */
  focus(needed: readonly number[]): void {
    if (!this.#closed) this.#defer(new Set(needed));
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
      st = { cosigned: 0, answered: 0, busy: false, sending: null, refused: -1, deferred: false, idle: [] };
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
   * already holds that size; otherwise with one. Behind a background exchange
   * already sent, the call goes at once (#pipelined) instead of waiting for
   * that exchange's answer, so background cosigning never costs a waiting
   * request a round trip (docs/PROTOCOL.md §5.1); behind another carried call,
   * it waits. A cosignature in the answer is verified and stored like any
   * other. A witness size conflict is retried once from the witness's size;
   * other errors of `send` are the caller's.
   */
  async carry<T>(index: number, minSize: number, send: (bundle?: CheckpointBundle) => Promise<Carried<T>>): Promise<T> {
    const w = this.#d.registry().custodian(index);
    if (!w) return (await send()).result;
    const st = this.#state(index);
    if (st.busy && st.answered < minSize && st.sending !== null && !this.#closed) {
      // The witness applies add-checkpoints in the order they arrive, and serves a call after the
      // one it is applying (custodian routes/warrants.ts): the running exchange was sent first.
      if (st.sending >= minSize) return (await send()).result;
      return this.#pipelined(w, st, st.sending, send);
    }
    while (st.busy && st.answered < minSize && !this.#closed) await new Promise<void>((r) => st.idle.push(r));
    if (st.answered >= minSize || this.#closed) return (await send()).result;
    st.busy = true;
    let freeLater = false;
    try {
      this.#publish();
      const target = this.#published!;
      let served: { result: T } | undefined;
      const line = await this.#ask(w, target.size, target.note, carrying(send, (result) => (served = { result })));
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

  /**
   * A carried call sent while a background exchange to checkpoint size
   * `sending` is in flight with the same witness: its bundle starts at
   * `sending`, the size the witness will hold once it has applied that
   * exchange. Should the call overtake it, the witness answers a size
   * conflict and #ask retries from the witness's size. The witness stays the
   * background exchange's (`busy`); this cosignature is stored as any other.
   */
  async #pipelined<T>(w: RegistryCustodian, st: WitnessState, sending: number, send: (bundle?: CheckpointBundle) => Promise<Carried<T>>): Promise<T> {
    this.#publish();
    const target = this.#published!;
    let served: { result: T } | undefined;
    const line = await this.#ask(w, target.size, target.note, carrying(send, (result) => (served = { result })), sending);
    if (line !== null && served) {
      this.#backoff.delete(w.index);
      try {
        await this.#accept(w, st, target.size, target.note, line);
      } catch (err) {
        this.#d.logger.error({ custodian: w.index, err: String(err) }, 'storing a cosignature failed');
      }
      this.#settle();
      return served.result;
    }
    return served ? served.result : (await send()).result;
  }

  /**
   * Brings a former custodian's replica up to the published checkpoint
   * (docs/PROTOCOL.md §3.9: a custodian that left in a reshare acts on the new
   * epoch entry only once its replica holds it, and it is no longer among the
   * witnesses driven here). Its cosignature is neither counted nor stored.
   * True if it answered with one.
   */
  async replicateTo(w: RegistryCustodian): Promise<boolean> {
    if (this.#closed) return false;
    this.#publish();
    const target = this.#published;
    if (target === null) return false;
    const line = await this.#ask(w, target.size, target.note, (bundle) => addCheckpointBundle(this.#d.custodianUrl(w.index), bundle, this.#d.timeoutMs, this.#d.insecureHttp));
    return line !== null;
  }

  /** One checkpoint for one witness: ask, verify, store. False if it refused or failed. */
  async #cosignOne(w: RegistryCustodian, st: WitnessState, target: { size: number; note: string }): Promise<boolean> {
    const { logger } = this.#d;
    const { size, note } = target;
    try {
      st.sending = size;
      const line = await this.#ask(w, size, note, (bundle) => addCheckpointBundle(this.#d.custodianUrl(w.index), bundle, this.#d.timeoutMs, this.#d.insecureHttp)).finally(() => {
        st.sending = null;
      });
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
      const base = this.#d.retryBaseMs ?? 500;
      const waitMs = Math.min(Math.max(BACKOFF_MAX_MS, base), base * 2 ** (failures - 1));
      const pause = { until: Date.now() + waitMs, failures };
      this.#backoff.set(w.index, pause);
      // Asked again when the pause ends, even if nothing is appended meanwhile (an idle log).
      setTimeout(() => this.#driveAll(false), waitMs).unref();
      if (storageProblem(err)) logger.error({ custodian: w.index, size, retryInMs: waitMs, err: String(err) }, 'storing a cosignature failed');
      else logger.warn({ custodian: w.index, size, retryInMs: waitMs, err: String(err) }, 'witness unreachable');
      // Not reached at all (no HTTP answer): the pause ends as soon as it answers again.
      if (!(err instanceof HttpError) && !storageProblem(err)) void this.#probe(w.index, pause);
      return false;
    }
    this.#settle();
    return true;
  }

  /**
   * While `pause` is the witness's current backoff, asks its `GET /health`
   * every `probeMs`; the first answer from an unsealed node ends the pause and
   * the witness is asked again at once. A custodian cut off by a partition
   * thus cosigns within about a second of the link healing, not at the end of
   * a pause of up to 30 s (BENCHMARKS.md, Partition). A probe costs the node
   * a health check, and a witness that answers but fails its exchanges (5xx)
   * is never probed: it backs off as before.
   */
  async #probe(index: number, pause: { until: number; failures: number }): Promise<void> {
    const every = this.#d.probeMs ?? 1000;
    while (!this.#closed && this.#backoff.get(index) === pause && Date.now() + every < pause.until) {
      await new Promise((r) => setTimeout(r, every).unref());
      if (this.#closed || this.#backoff.get(index) !== pause) return;
      try {
        const health = await requestJson<{ sealed?: unknown }>(`${this.#d.custodianUrl(index)}/health`, { timeoutMs: Math.max(every, 2000), insecureHttp: this.#d.insecureHttp ?? false });
        if (health?.sealed === true) continue; // reachable, but it cannot cosign until unsealed
      } catch {
        continue; // still unreachable (or answering errors): the pause goes on
      }
      if (this.#backoff.get(index) !== pause) return;
      this.#d.logger.info({ custodian: index }, 'witness reachable again');
      this.#backoff.delete(index);
      this.#driveAll(false);
      return;
    }
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
  async #ask(w: RegistryCustodian, size: number, note: string, exchange: (bundle: CheckpointBundle) => Promise<AddCheckpointAnswer>, from?: number): Promise<string | null> {
    const { repo, logger } = this.#d;
    let old = Math.min(from ?? repo.witnessSize(w.index), size);
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
        // Beyond this checkpoint but not beyond what we published: a pipelined call (#pipelined) got there first.
        if (answer.size > (this.#published?.size ?? 0)) logger.error({ custodian: w.index, size, witnessSize: answer.size }, 'witness has seen a larger tree than this log published');
        return null;
      }
      repo.setWitnessSize(w.index, answer.size);
      old = answer.size;
    }
    return null;
  }
}
