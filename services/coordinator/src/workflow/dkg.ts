/**
 * The coordinator as ChillDKG's untrusted coordinator, with the log as the
 * broadcast channel (docs/PROTOCOL.md §3.8). One session moves forward through
 * its steps; each custodian answers from the entries it has cosigned:
 *
 *   commit  — every participant's signed SHA256(pmsg1), logged
 *   reveal  — every pmsg1, once each participant cosigned all commits; a reveal
 *             not matching its commit, or refused by coordinatorStep1, aborts
 *             naming its sender
 *   aggregate — cmsg1 = coordinatorStep1(reveals), logged
 *   certeq  — every CertEq signature; a logged `blame` aborts naming the culprit
 *   epoch   — coordinatorFinalize, then the `epoch` entry (judgeEpochEntry
 *             first), and the registry is resolved again
 *
 * A participant that does not answer a step within `stepTimeoutMs` is named
 * in an `abort` (reason `timeout`). This process never holds a share: it sees
 * pmsg1s (encrypted shares), cmsg1 and signatures only.
 *
 * The log is a session's durable record: each step starts from the entries
 * already logged for it, so a coordinator that stopped mid-session resumes it
 * at start (`resumeAll`) without asking again for a logged step, and its
 * keyed appends never log a second `aggregate` or `epoch` entry. A stop
 * leaves a running session running (no `abort`).
 */
import { randomUUID } from 'node:crypto';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, utf8 } from '@custodes/shared/crypto';
import { coordinatorFinalize, coordinatorStep1, DkgError, epochFromRecovery, pmsg1Commitment } from '@custodes/shared/dkg';
import type { CoordinatorState, SessionParams } from '@custodes/shared/dkg';
import { decodeDealerSet, DkgAnswerSchema, DKG_CALL_HEADER, dkgCallHeader, encodeDealerSet } from '@custodes/shared/records';
import type { DkgAnswer, DkgEntry, DkgStep, EpochEntry, LogEntry, RegistryEntry } from '@custodes/shared/records';
import { judgeDkgEntry, judgeEpochEntry, judgeShareDestroyed, quorumOf, reshareParamsOf, reviewers, sessionHostKeys } from '@custodes/shared/rules';
import { HttpError, requestJson } from '@custodes/shared/service';
import type { Logger } from 'pino';
import { CoordinatorError } from '../errors';
import { convicted, reshareEpochEntry, validDealings } from './reshare';

type RegistryEpoch = RegistryEntry['epochs'][number];

export interface DkgDeps {
  registry: () => RegistryEntry;
  reloadRegistry: () => void;
  /** Appends once under `key` (ledger.appendOnce); returns the index. */
  append: (key: string, entry: LogEntry) => number;
  /** The `dkg` entries logged (of `session`, or of every session), in log order. */
  logged: (session?: string) => DkgEntry[];
  /** The `epoch` entry logged for `epoch`, if any, and its index. */
  loggedEpoch: (epoch: number) => { index: number; entry: EpochEntry } | undefined;
  /** The registry in force just before the entry of `session` first logged (as logged, unresolved). */
  registryAtStart: (session: string) => RegistryEntry | undefined;
  /** Publish and start catching witnesses up now. */
  cosign: () => void;
  /** Brings a former custodian's replica up to the published checkpoint (Cosigner.replicateTo). */
  replicate: (custodian: RegistryEntry['epochs'][number]['custodians'][number]) => Promise<boolean>;
  custodianUrl: (index: number) => string;
  logSecretKey: Uint8Array | string;
  now: () => number;
  stepTimeoutMs: number;
  callTimeoutMs: number;
  insecureHttp: boolean;
  logger: Logger;
}

export type SessionState =
  | { status: 'running'; epoch: number; session: string; step: DkgStep }
  | { status: 'active'; epoch: number; session: string; groupKey: string; index: number }
  | { status: 'aborted'; epoch: number; session: string; reason: string; blamed: number[] };

/** Log keys of DKG entries (one per session, step and custodian; one `epoch` per epoch). */
export const dkgKey = {
  step: (session: string, step: DkgStep, custodian?: number) => `dkg:${session}:${step}:${custodian ?? 0}`,
  epoch: (epoch: number) => `epoch:${epoch}`,
};

/** The coordinator is closing: the session stays running in the log, for the next start to resume. */
class Closing extends Error {
  constructor() {
    super('coordinator is closing');
  }
}

class Abort extends Error {
  constructor(
    readonly reason: string,
    readonly blamed: number[],
    /** A reshare dealer convicted by a valid complaint: the reshare tries again without it (§3.9). */
    readonly exclude?: number,
  ) {
    super(`DKG aborted: ${reason} (${blamed.join(', ')})`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a session's epoch is still the one it began under: same threshold, custodians and host keys (§3.8). */
function sameParticipants(a: RegistryEpoch, b: RegistryEpoch): boolean {
  const ids = (e: RegistryEpoch) => [...e.custodians].sort((x, y) => x.index - y.index).map((c) => `${c.index}:${c.signingKey}`).join();
  return a.threshold === b.threshold && sessionHostKeys(a).join() === sessionHostKeys(b).join() && ids(a) === ids(b);
}

export class DkgWorkflow {
  readonly #d: DkgDeps;
  readonly #sessions = new Map<string, SessionState>();
  readonly #running = new Set<number>();
  readonly #runs = new Set<Promise<SessionState>>();
  #closed = false;

  constructor(deps: DkgDeps) {
    this.#d = deps;
  }

  /** Stops driving sessions and waits for their calls in flight; a running session stays running in the log. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#runs]);
  }

  session(id: string): SessionState | undefined {
    return this.#sessions.get(id);
  }

  /**
   * Starts a session for proposed epoch `epoch`; returns its id at once and
   * runs in the background (`session(id)` for its state). One session per
   * epoch at a time (409 DKG_RUNNING).
   */
  start(epoch: number): { session: string; done: Promise<SessionState> } {
    const e = this.#d.registry().epochs.find((x) => x.epoch === epoch);
    if (!e) throw new CoordinatorError('NOT_FOUND', `the registry lists no epoch ${epoch}`);
    if (e.groupKey !== undefined) throw new CoordinatorError('CONFLICT', `epoch ${epoch} is active; there is no DKG to run`);
    if (this.#running.has(epoch)) throw new CoordinatorError('CONFLICT', `a DKG of epoch ${epoch} is running`);
    if (e.reshareOf !== undefined && quorumOf(this.#d.registry(), e.reshareOf)?.epoch !== e.reshareOf) {
      throw new CoordinatorError('CONFLICT', `epoch ${epoch} reshares epoch ${e.reshareOf}, which is not active or whose key already moved on`);
    }
    const session = randomUUID();
    return { session, done: this.#launch(e, session) };
  }

  /**
   * At start (docs/PROTOCOL.md §3.8, §7.15): every session the log holds gets
   * its state back — `active` with its `epoch` entry, `aborted` with its
   * `abort` — and each *running* one (`dkg` entries, no `abort`, no `epoch`
   * entry for its epoch) is resumed from its logged entries. Of several
   * running sessions of one epoch the newest resumes and the others are
   * aborted (`superseded`). A session whose epoch the registry no longer
   * proposes as it did when the session began is aborted (`registry-changed`),
   * or, if the registry no longer proposes the epoch at all — unlisted, or
   * listed with a key (an `abort` naming it would be refused, UNKNOWN_EPOCH or
   * NOT_PROPOSED) — marked aborted here only (`not-proposed`). Returns the
   * resumed sessions' ends.
   */
  resumeAll(): Promise<SessionState>[] {
    const sessions = new Map<string, DkgEntry[]>();
    for (const x of this.#d.logged()) sessions.set(x.session, [...(sessions.get(x.session) ?? []), x]);
    const running = new Map<number, string[]>();
    for (const [session, logged] of sessions) {
      const epoch = logged[0]!.epoch;
      const abort = logged.find((x) => x.step === 'abort');
      const done = this.#d.loggedEpoch(epoch);
      if (abort) {
        const reason = new TextDecoder().decode(base64ToBytes(abort.payload, 'abort'));
        this.#sessions.set(session, { status: 'aborted', epoch, session, reason, blamed: [...abort.blamed!] });
      } else if (done?.entry.session === session) {
        this.#sessions.set(session, { status: 'active', epoch, session, groupKey: done.entry.groupKey, index: done.index });
      } else if (!done) running.set(epoch, [...(running.get(epoch) ?? []), session]);
      // A session of an epoch that another session activated has nothing left to do, and nothing to log (NOT_PROPOSED).
    }
    const resumed: Promise<SessionState>[] = [];
    for (const [epoch, ids] of running) {
      const newest = ids.at(-1)!;
      const e = this.#d.registry().epochs.find((x) => x.epoch === epoch);
      for (const session of ids) {
        if (!e || e.groupKey !== undefined) {
          this.#d.logger.warn({ session, epoch }, 'DKG session not resumed: the registry no longer proposes its epoch');
          this.#sessions.set(session, { status: 'aborted', epoch, session, reason: 'not-proposed', blamed: [] });
          continue;
        }
        const began = this.#d.registryAtStart(session)?.epochs.find((x) => x.epoch === epoch);
        if (session !== newest) this.#sessions.set(session, this.#abort(epoch, session, 'superseded', []));
        else if (!began || !sameParticipants(began, e)) this.#sessions.set(session, this.#abort(epoch, session, 'registry-changed', []));
        else {
          this.#d.logger.info({ session, epoch }, 'DKG session resumed from the log');
          resumed.push(this.#launch(e, session));
        }
      }
    }
    return resumed;
  }

  /** Runs `session` of `e` in the background, one session per epoch. */
  #launch(e: RegistryEpoch, session: string): Promise<SessionState> {
    this.#running.add(e.epoch);
    this.#sessions.set(session, { status: 'running', epoch: e.epoch, session, step: 'commit' });
    const run = (e.reshareOf === undefined ? this.#run(e, session) : this.#runReshare(e, session)).finally(() => {
      this.#running.delete(e.epoch);
      this.#runs.delete(run);
    });
    this.#runs.add(run);
    // Nobody may be awaiting it (the route answers at once): a failure to log the abort is logged here.
    run.catch((err: unknown) => this.#d.logger.error({ session, err: String(err) }, 'DKG session could not log its end'));
    return run;
  }

  /**
   * Reshare sessions (docs/PROTOCOL.md §3.9) until one succeeds or fails for
   * good. A dealer convicted by a valid complaint is left out of the next
   * session's dealers, while t_O others remain; the first session's id
   * follows the attempts (its state names the current session).
   */
  async #runReshare(e: RegistryEpoch, first: string): Promise<SessionState> {
    const excluded = new Set<number>();
    for (let session = first; ; session = randomUUID()) {
      this.#sessions.set(first, { status: 'running', epoch: e.epoch, session, step: 'commit' });
      let state: SessionState;
      try {
        state = await this.#driveReshare(e, session, excluded);
      } catch (err) {
        // Stopping is not failing: the session stays running in the log, and the next start resumes it.
        if (this.#closed) return this.#sessions.get(first)!;
        if (!(err instanceof Abort)) {
          this.#d.logger.error({ session, err: String(err) }, 'reshare session failed');
          state = this.#abort(e.epoch, session, 'coordinator', []);
        } else {
          state = this.#abort(e.epoch, session, err.reason, err.blamed);
          if (err.exclude !== undefined && !excluded.has(err.exclude)) {
            excluded.add(err.exclude);
            this.#sessions.set(session, state);
            continue;
          }
        }
      }
      this.#sessions.set(session, state);
      this.#sessions.set(first, state);
      return state;
    }
  }

  async #driveReshare(e: RegistryEpoch, session: string, excluded: ReadonlySet<number>): Promise<SessionState> {
    const registry = this.#d.registry();
    const o = registry.epochs.find((x) => x.epoch === e.reshareOf)!;
    const params = reshareParamsOf(registry, e.epoch, session);
    const dealers = o.custodians.map((c) => c.index).filter((i) => !excluded.has(i)).sort((a, b) => a - b);
    const receivers = e.custodians.map((c) => c.index).sort((a, b) => a - b);
    if (dealers.length < o.threshold) throw new Abort('invalid', [...excluded]);
    const set = (step: DkgStep) => this.#sessions.set(session, { status: 'running', epoch: e.epoch, session, step });
    set('commit');

    // Commit: every dealer of O that answers in time, at least t_O of them; an offline one is left out (§3.9).
    const commits = await this.#collect(e, session, dealers, ['commit'], o.threshold);
    const committed = this.#decide(e.epoch, session, 'dealers', [...commits.keys()]);
    set('reveal');
    const reveals = await this.#collect(e, session, committed, ['reveal'], o.threshold);
    const { valid, failed } = validDealings(params, committed, commits, reveals);
    if (valid.size < o.threshold) throw new Abort('invalid', failed);
    const q = this.#decide(e.epoch, session, 'aggregate', [...valid.keys()].slice(0, o.threshold));
    if (q.some((i) => !valid.has(i))) throw new Abort('invalid', q.filter((i) => !valid.has(i)));
    set('certeq');
    const ends = await this.#collect(e, session, receivers, ['certeq', 'blame']);
    const blame = [...ends.values()].find((x) => x.step === 'blame');
    if (blame) {
      const guilty = convicted(params, blame, valid);
      throw new Abort('blame', [guilty], guilty === blame.custodian ? undefined : guilty);
    }
    const entry = reshareEpochEntry(params, session, q.map((i) => valid.get(i)!), receivers.map((j) => ends.get(j)!), this.#d.now());
    const verdict = judgeEpochEntry(entry, this.#d.registry());
    if (!verdict.ok) throw new Error(`own epoch entry refused: ${verdict.message}`);
    const index = this.#d.append(dkgKey.epoch(e.epoch), entry);
    this.#d.reloadRegistry();
    this.#d.cosign();
    this.#d.logger.info({ session, epoch: e.epoch, from: o.epoch, index }, 'reshare succeeded: epoch active with the same group key');
    // The new custodians adopt their shares, then the old ones destroy theirs and say so; best effort, off the result.
    void this.#settle(e, o, session).catch(() => undefined);
    return { status: 'active', epoch: e.epoch, session, groupKey: entry.groupKey, index };
  }

  /**
   * A custodian of a proposed epoch that is not among the witnesses (one that
   * joins in a reshare, §3.9) acts only on entries its replica holds: send
   * it the log up to the published checkpoint, its cosignature not counted.
   */
  async #replicateIfNoWitness(e: RegistryEpoch, index: number): Promise<void> {
    // The witnesses are the newest epoch's custodians (§4.3), whom the cosigner keeps up to date anyway.
    if (reviewers(this.#d.registry())?.custodians.has(index)) return;
    const custodian = e.custodians.find((c) => c.index === index);
    if (custodian) await this.#d.replicate(custodian).catch(() => false);
  }

  /**
   * A reshare's `dealers` or `aggregate` decision (§3.9): the one already
   * logged for the session (a resumed session keeps it), else `proposal`, logged now.
   */
  #decide(epoch: number, session: string, step: 'dealers' | 'aggregate', proposal: readonly number[]): number[] {
    const logged = this.#d.logged().find((x) => x.session === session && x.step === step);
    const decided = logged === undefined ? undefined : decodeDealerSet(logged.payload);
    if (decided) return decided;
    this.#log({ type: 'dkg', epoch, session, step, payload: encodeDealerSet(proposal), time: this.#d.now() });
    return [...proposal].sort((a, b) => a - b);
  }

  /**
   * After a reshare into `n` is logged (§3.9): asks each custodian of O and N
   * until every one of O has handed over its signed `share-destroyed`
   * (logged at once, once) and every one of N says it holds its share.
   * Custodians silent past the step timeout are left; the auditor reports
   * an old custodian that never logged its statement.
   */
  async #settle(n: RegistryEpoch, o: RegistryEpoch, session: string): Promise<void> {
    const olds = new Set(o.custodians.map((c) => c.index));
    const pending = new Set([...olds, ...n.custodians.map((c) => c.index)]);
    const deadline = Date.now() + this.#d.stepTimeoutMs;
    for (let delay = 25; pending.size > 0 && !this.#closed && Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
      await Promise.all(
        [...pending].map(async (i) => {
          const answer = await this.#ask(n.epoch, session, i).catch(() => undefined);
          // A custodian that left is no longer a witness here: its replica learns of the epoch entry only if sent it.
          const leaver = o.custodians.find((c) => c.index === i && !n.custodians.some((x) => x.index === i));
          if (answer === undefined && leaver) await this.#d.replicate(leaver).catch(() => false);
          if (answer === undefined) return;
          if ('destroyed' in answer) {
            const statement = answer.destroyed;
            if (statement.custodian !== i || statement.epoch !== o.epoch || !judgeShareDestroyed(statement, this.#d.registry()).ok) return;
            this.#d.append(`share-destroyed:${o.epoch}:${i}`, statement);
            pending.delete(i);
          } else if ('active' in answer && !olds.has(i)) pending.delete(i);
        }),
      );
      this.#d.cosign();
      await sleep(delay);
    }
  }

  async #run(e: RegistryEpoch, session: string): Promise<SessionState> {
    let state: SessionState;
    try {
      state = await this.#drive(e, session);
    } catch (err) {
      // Stopping is not failing: the session stays running in the log, and the next start resumes it.
      if (this.#closed) return this.#sessions.get(session)!;
      if (!(err instanceof Abort)) {
        this.#d.logger.error({ session, err: String(err) }, 'DKG session failed');
        state = this.#abort(e.epoch, session, 'coordinator', []);
      } else state = this.#abort(e.epoch, session, err.reason, err.blamed);
    }
    this.#sessions.set(session, state);
    return state;
  }

  #abort(epoch: number, session: string, reason: string, blamed: number[]): SessionState {
    const sorted = [...new Set(blamed)].sort((a, b) => a - b);
    const entry: DkgEntry = { type: 'dkg', epoch, session, step: 'abort', payload: bytesToBase64(utf8(reason)), blamed: sorted, time: this.#d.now() };
    this.#d.append(dkgKey.step(session, 'abort'), entry);
    this.#d.cosign();
    this.#d.logger.warn({ session, epoch, reason, blamed: sorted }, 'DKG session aborted');
    return { status: 'aborted', epoch, session, reason, blamed: sorted };
  }

  async #drive(e: RegistryEpoch, session: string): Promise<SessionState> {
    // Participant p is the custodian of rank p + 1 (§3.1, §3.8): indices[p].
    const indices = e.custodians.map((c) => c.index).sort((a, b) => a - b);
    const params: SessionParams = { hostpubkeys: sessionHostKeys(e).map((k) => hexToBytes(k, 33)), t: e.threshold };
    const set = (step: DkgStep) => this.#sessions.set(session, { status: 'running', epoch: e.epoch, session, step });

    const commits = await this.#collect(e, session, indices, ['commit']);
    set('reveal');
    const reveals = await this.#collect(e, session, indices, ['reveal']);
    const pmsgs1 = indices.map((i) => {
      const pmsg1 = base64ToBytes(reveals.get(i)!.payload, 'reveal');
      // Signed by i, so a mismatch is i's (commit-then-reveal, §3.8).
      if (bytesToHex(pmsg1Commitment(pmsg1)) !== commits.get(i)!.payload) throw new Abort('invalid', [i]);
      return pmsg1;
    });
    let state: CoordinatorState;
    let cmsg1: Uint8Array;
    try {
      ({ state, cmsg1 } = coordinatorStep1(pmsgs1, params));
    } catch (err) {
      if (err instanceof DkgError && err.code === 'FAULTY_PARTICIPANT' && err.participant !== undefined) throw new Abort('invalid', [indices[err.participant]!]);
      throw err;
    }
    this.#log({ type: 'dkg', epoch: e.epoch, session, step: 'aggregate', payload: bytesToBase64(cmsg1), time: this.#d.now() });
    set('certeq');
    const ends = await this.#collect(e, session, indices, ['certeq', 'blame']);
    const blames = [...ends.values()].filter((x) => x.step === 'blame');
    if (blames.length > 0) throw new Abort('blame', blames.map((b) => b.blamed![0]!));
    let recoveryData: Uint8Array;
    try {
      ({ recoveryData } = coordinatorFinalize(state, indices.map((i) => hexToBytes(ends.get(i)!.payload, 64))));
    } catch (err) {
      if (err instanceof DkgError && err.code === 'FAULTY_PARTICIPANT' && err.participant !== undefined) throw new Abort('invalid', [indices[err.participant]!]);
      throw err;
    }
    const keys = epochFromRecovery(recoveryData);
    const entry: EpochEntry = {
      type: 'epoch',
      epoch: e.epoch,
      session,
      groupKey: keys.groupKey,
      commitments: [...keys.commitments],
      recoveryData: bytesToBase64(recoveryData),
      time: this.#d.now(),
    };
    const verdict = judgeEpochEntry(entry, this.#d.registry());
    if (!verdict.ok) throw new Error(`own epoch entry refused: ${verdict.message}`);
    const index = this.#d.append(dkgKey.epoch(e.epoch), entry);
    this.#d.reloadRegistry();
    this.#d.cosign();
    this.#d.logger.info({ session, epoch: e.epoch, groupKey: keys.groupKey, index }, 'DKG session succeeded: epoch active');
    // Each custodian recovers and seals its share once it has the epoch entry; best effort, off the result.
    void this.#collect(e, session, indices, []).catch(() => undefined);
    return { status: 'active', epoch: e.epoch, session, groupKey: keys.groupKey, index };
  }

  /** Logs a DKG entry (the shared rule first: the coordinator never logs what a witness would refuse). */
  #log(entry: DkgEntry): void {
    const verdict = judgeDkgEntry(entry, this.#d.registry());
    if (!verdict.ok) throw new Error(`own dkg entry refused: ${verdict.message}`);
    this.#d.append(dkgKey.step(entry.session, entry.step, entry.custodian), entry);
    this.#d.cosign();
  }

  /**
   * Asks every participant for its next step until each has given one of
   * `steps` (logged at once), or, with `steps` empty, until each says its
   * epoch is active. Participants silent past stepTimeoutMs are aborted.
   */
  async #collect(e: RegistryEpoch, session: string, indices: readonly number[], steps: readonly DkgStep[], quorum?: number): Promise<Map<number, DkgEntry>> {
    const got = new Map<number, DkgEntry>();
    const deadline = Date.now() + this.#d.stepTimeoutMs;
    let delay = 25;
    // What is logged already is not asked again (a resumed session; a custodian answers `waiting` for it).
    for (const x of this.#d.logged(session)) if (x.custodian !== undefined && steps.includes(x.step)) got.set(x.custodian, x);
    for (;;) {
      if (this.#closed) throw new Closing();
      const pending = indices.filter((i) => !got.has(i));
      await Promise.all(
        pending.map(async (i) => {
          const answer = await this.#ask(e.epoch, session, i);
          if (answer === undefined && !this.#closed) await this.#replicateIfNoWitness(e, i);
          if (answer === undefined || this.#closed) return;
          if ('entry' in answer && steps.includes(answer.entry.step)) {
            const entry = answer.entry;
            // Attacker-controlled: the custodian's own step of this session, signed by it (judgeDkgEntry).
            if (entry.session !== session || entry.epoch !== e.epoch || entry.custodian !== i) throw new Abort('invalid', [i]);
            if (!judgeDkgEntry(entry, this.#d.registry()).ok) throw new Abort('invalid', [i]);
            this.#d.append(dkgKey.step(session, entry.step, i), entry);
            got.set(i, entry);
          } else if (steps.length === 0 && 'active' in answer) got.set(i, { type: 'dkg', epoch: e.epoch, session, step: 'certeq', payload: '', time: 0 });
        }),
      );
      // A logged blame means a participant will never sign this transcript: stop waiting for the others.
      if (got.size === indices.length || [...got.values()].some((x) => x.step === 'blame')) {
        this.#d.cosign();
        return got;
      }
      this.#d.cosign();
      if (Date.now() > deadline) {
        // A reshare needs only t_O dealers (§3.9): the silent ones are left out, not waited for.
        if (steps.length === 0 || (quorum !== undefined && got.size >= quorum)) return got;
        throw new Abort('timeout', indices.filter((i) => !got.has(i)));
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 500);
    }
  }

  /** One call; undefined when the custodian cannot answer now (offline, waiting, no consent yet). */
  async #ask(epoch: number, session: string, custodian: number): Promise<DkgAnswer | undefined> {
    const header = dkgCallHeader({ custodian, epoch, session, issuedAt: this.#d.now() }, this.#d.logSecretKey);
    let raw: unknown;
    try {
      raw = await requestJson<unknown>(`${this.#d.custodianUrl(custodian)}/v1/dkg`, {
        method: 'POST',
        headers: { [DKG_CALL_HEADER]: header },
        timeoutMs: this.#d.callTimeoutMs,
        insecureHttp: this.#d.insecureHttp,
      });
    } catch (err) {
      if (err instanceof HttpError && ['DKG_REVEAL_MISMATCH', 'DKG_AGGREGATE_MISMATCH'].includes(err.code)) {
        // A custodian says the log shows the coordinator cheating: nothing to retry.
        throw new Abort('coordinator', []);
      }
      if (err instanceof HttpError && err.code === 'DKG_ABORTED') throw new Abort('aborted', []);
      this.#d.logger.debug({ custodian, err: String(err) }, 'DKG call not answered');
      return undefined;
    }
    const r = DkgAnswerSchema.safeParse(raw);
    if (!r.success) return undefined;
    return 'waiting' in r.data ? undefined : r.data;
  }
}
