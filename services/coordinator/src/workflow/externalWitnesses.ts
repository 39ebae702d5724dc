/**
 * Cosignatures from the registry's external witnesses (docs/PROTOCOL.md §4.3,
 * §7.10): parties that are not custodians, reached over the standard C2SP
 * tlog-witness `POST <url>/add-checkpoint`.
 *
 * Nothing waits on them: releases, deliveries and the checkpoint served need
 * only the custodians (workflow/cosigner.ts). Every `intervalMs` each external
 * witness is offered the newest published checkpoint, with a consistency proof
 * from the size it last acknowledged (learned from a 409 `text/x.tlog.size`
 * answer after a restart); a cosignature that verifies under the registry's
 * key for it is added to that checkpoint's note, so auditors who require
 * external cosignatures (`audit verify --min-external-cosignatures`) see it.
 */
import type { Logger } from 'pino';
import { hexToBytes } from '@custodes/shared/crypto';
import { formatAddCheckpointRequest, formatSignedNote, parseSignedNote, parseTreeSize, verifyCosignature } from '@custodes/shared/log';
import type { RegistryWitness } from '@custodes/shared/records';
import { HttpError, requestJson } from '@custodes/shared/service';
import type { LogStore } from '../log/index';
import type { GroupCommit } from '../repo/groupCommit';

interface ExternalWitnessDeps {
  store: LogStore;
  commits: GroupCommit;
  /** The registry's external witnesses now (a registry update may add or drop some). */
  witnesses: () => readonly RegistryWitness[];
  origin: string;
  /** Between offers (default 2000 ms). */
  intervalMs: number;
  timeoutMs: number;
  insecureHttp: boolean;
  logger: Logger;
}

interface ExternalState {
  /** The witness's size as it last told us (0 until it answers). */
  known: number;
  /** The newest size whose cosignature we stored. */
  cosigned: number;
  busy: boolean;
  /** No offer before this time (ms), after a failure; doubles up to a minute. */
  until: number;
  failures: number;
}

export class ExternalWitnesses {
  readonly #d: ExternalWitnessDeps;
  readonly #state = new Map<string, ExternalState>();
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(deps: ExternalWitnessDeps) {
    this.#d = deps;
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.offerAll(), this.#d.intervalMs);
    this.#timer.unref();
  }

  /** Stops offering and waits for the exchanges in flight (before the database closes). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.allSettled([...this.#inflight]);
  }

  /** Offers the newest checkpoint to every external witness that is idle and behind it. */
  offerAll(): void {
    if (this.#closed) return;
    for (const w of this.#d.witnesses()) {
      const st = this.#stateOf(w.name);
      if (st.busy || Date.now() < st.until) continue;
      st.busy = true;
      const run = this.#offer(w, st).finally(() => {
        st.busy = false;
        this.#inflight.delete(run);
      });
      this.#inflight.add(run);
    }
  }

  #stateOf(name: string): ExternalState {
    let st = this.#state.get(name);
    if (!st) {
      st = { known: 0, cosigned: 0, busy: false, until: 0, failures: 0 };
      this.#state.set(name, st);
    }
    return st;
  }

  async #offer(w: RegistryWitness, st: ExternalState): Promise<void> {
    const { store, logger } = this.#d;
    const latest = store.latestCheckpoint();
    if (!latest || latest.size <= st.cosigned) return;
    // The log's signature only: a witness cosigns the log's statement, not other witnesses' lines.
    const parsed = parseSignedNote(latest.note);
    const note = formatSignedNote({ text: parsed.text, signatures: parsed.signatures.filter((s) => s.name === this.#d.origin) });
    try {
      for (let attempt = 0; attempt < 2 && !this.#closed; attempt++) {
        const old = Math.min(st.known, latest.size);
        const body = formatAddCheckpointRequest({ oldSize: old, proof: old > 0 && old < latest.size ? store.consistencyProof(old, latest.size) : [], note });
        let line: string;
        try {
          line = await requestJson<string>(`${w.url.replace(/\/+$/, '')}/add-checkpoint`, { text: body, expectText: true, timeoutMs: this.#d.timeoutMs, insecureHttp: this.#d.insecureHttp });
        } catch (err) {
          // C2SP tlog-witness: 409 carries the witness's size; ask again from it.
          const size = err instanceof HttpError && err.status === 409 && err.body !== undefined ? parseTreeSize(err.body.trim()) : undefined;
          if (size === undefined) throw err;
          if (size > latest.size) throw new Error(`witness ${w.name} is at size ${size}, beyond this log's ${latest.size}`);
          st.known = size;
          continue;
        }
        if (!verifyCosignature(parseSignedNote(`${note}${line}`), { name: w.name, publicKey: hexToBytes(w.key, 32) })) {
          throw new Error(`witness ${w.name} answered a cosignature that does not verify under its registered key`);
        }
        if (this.#closed) return;
        await this.#d.commits.run(() => store.addCosignature(latest.size, line));
        st.known = st.cosigned = latest.size;
        st.failures = 0;
        st.until = 0;
        logger.debug({ witness: w.name, size: latest.size }, 'external witness cosigned');
        return;
      }
    } catch (err) {
      st.failures += 1;
      const waitMs = Math.min(60_000, this.#d.intervalMs * 2 ** st.failures);
      st.until = Date.now() + waitMs;
      logger.warn({ witness: w.name, size: latest.size, retryInMs: waitMs, err: String(err) }, 'external witness did not cosign');
    }
  }
}
