/**
 * The coordinator's per-envelope crypto as batch tasks over structured-clonable
 * data: screening at intake (DESIGN.md §5 step 4: parse, BIP340 binding check,
 * scope) and combination (§3.4). The same functions run on a worker thread
 * (cryptoPool.ts) or in-thread, so both give the same verdicts.
 */
import { bytesToHex, decodePoint, encodePoint, hexToBytes, parseEnvelope } from '@custodes/shared/crypto';
import type { Envelope, GroupPoint } from '@custodes/shared/crypto';
import type { PartialRecord, Warrant } from '@custodes/shared/records';
import { openEnvelope, screenEnvelope } from '../domain/requests';
import type { EpochKeys, RejectReason } from '../domain/requests';

// ## Screening

export interface ScreenTask {
  kind: 'screen';
  /** Envelopes as received (attacker-controlled JSON values). */
  items: unknown[];
  scope: Warrant['scope'];
  /** The registry's epochs. */
  epochs: number[];
}

/** Accepted: the envelope id and the normalised envelope's JSON, as stored. */
export type ScreenVerdict = { ok: true; id: string; json: string } | { ok: false; reason: RejectReason };

export function screenBatch(task: ScreenTask): ScreenVerdict[] {
  const epochs = new Set(task.epochs);
  return task.items.map((input) => {
    const s = screenEnvelope(input, task.scope, epochs);
    return s.ok ? { ok: true, id: s.envelope.id, json: JSON.stringify(s.envelope.envelope) } : s;
  });
}

// ## Combination

/** An epoch's threshold and verification shares X_i (hex33), as sent to a worker. */
export interface WireEpochKeys {
  epoch: number;
  threshold: number;
  shares: [number, string][];
}

export interface OpenJob {
  /** A stored (screened, normalised) envelope. */
  envelope: Envelope;
  /** Each custodian's partial for this envelope (attacker-controlled, schema-checked). */
  partials: [number, PartialRecord][];
  /** Custodian indices in the order to try them. */
  order: number[];
}

export interface OpenTask {
  kind: 'open';
  keys: WireEpochKeys[];
  items: OpenJob[];
}

export interface OpenVerdict {
  envelopeId: string;
  plaintext: Uint8Array | null;
  failure: string | null;
  /** Custodians whose partial failed its check. */
  blamed: number[];
}

export function wireEpochKeys(epoch: number, keys: EpochKeys): WireEpochKeys {
  const shares: [number, string][] = [];
  for (const [i, X] of keys.shares) shares.push([i, bytesToHex(encodePoint(X))]);
  return { epoch, threshold: keys.threshold, shares };
}

/** Decoded keys by their wire form: a worker sees the same few epochs in every task. */
const decoded = new Map<string, EpochKeys>();

function epochKeysFromWire(w: WireEpochKeys): EpochKeys {
  const id = JSON.stringify(w);
  let keys = decoded.get(id);
  if (!keys) {
    const shares = new Map<number, GroupPoint>();
    for (const [i, hex] of w.shares) shares.set(i, decodePoint(hexToBytes(hex, 33), `verificationShares[${i}]`));
    keys = { threshold: w.threshold, shares };
    if (decoded.size >= 64) decoded.clear();
    decoded.set(id, keys);
  }
  return keys;
}

export function openBatch(task: OpenTask): OpenVerdict[] {
  const byEpoch = new Map<number, EpochKeys>();
  for (const w of task.keys) byEpoch.set(w.epoch, epochKeysFromWire(w));
  return task.items.map((job) => {
    const env = parseEnvelope(job.envelope);
    const outcome = openEnvelope(env, new Map(job.partials), job.order, byEpoch.get(env.epoch));
    return { envelopeId: outcome.envelopeId, plaintext: outcome.plaintext, failure: outcome.failure, blamed: outcome.blamed.map((b) => b.custodian) };
  });
}

// ## Dispatch (one entry point for the worker and the in-thread fallback)

export type Task = ScreenTask | OpenTask;
export type Verdicts<T extends Task> = T extends ScreenTask ? ScreenVerdict[] : OpenVerdict[];

export function runTask<T extends Task>(task: T): Verdicts<T> {
  if (task.kind === 'screen') return screenBatch(task) as Verdicts<T>;
  if (task.kind === 'open') return openBatch(task) as Verdicts<T>;
  throw new TypeError(`unknown task ${String((task as { kind?: unknown }).kind)}`);
}
