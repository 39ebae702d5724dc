/**
 * Decryption-request rules (docs/PROTOCOL.md §5 steps 4–6; docs/PROTOCOL.md §7.6):
 * screening envelopes against the full warrant's scope, checking the
 * investigator's signed `decryption-request`, and combining partials with
 * blame. No HTTP, no SQL.
 */
import { keyEpochOf } from '@custodes/shared/rules';
import { combineAndOpen, parseEnvelope, scopeCovers, verifyBinding, verifyPartial } from '@custodes/shared/crypto';
import type { Envelope, GroupPoint, ParsedEnvelope } from '@custodes/shared/crypto';
import { ProtocolError } from '@custodes/shared';
import type { ProtocolCode } from '@custodes/shared';
import { envelopeSetRoot, verifyRecordSignature } from '@custodes/shared/records';
import type { DecryptionRequestEntry, MisbehaviorEntry, PartialRecord, Warrant } from '@custodes/shared/records';
import { fail } from '../errors';
import type { Registry } from './registryChecks';

export type RejectReason = 'MALFORMED' | 'BAD_BINDING' | 'OUT_OF_SCOPE' | 'UNKNOWN_EPOCH';

export type Screened = { ok: true; envelope: ParsedEnvelope } | { ok: false; reason: RejectReason };

/** One envelope (attacker-controlled) against the warrant's scope and the registry's epochs. */
export function screenEnvelope(input: unknown, scope: Warrant['scope'], registry: Registry): Screened {
  let env: ParsedEnvelope;
  try {
    env = parseEnvelope(input);
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, reason: 'MALFORMED' };
    throw err;
  }
  if (!registry.epoch(env.epoch)) return { ok: false, reason: 'UNKNOWN_EPOCH' };
  if (!verifyBinding(env)) return { ok: false, reason: 'BAD_BINDING' };
  if (!scopeCovers(scope, env.envelope.label)) return { ok: false, reason: 'OUT_OF_SCOPE' };
  return { ok: true, envelope: env };
}

/** What the submitted entry must match: the draft as the coordinator holds it. */
export interface Draft {
  requestId: string;
  warrantId: string;
  investigator: string;
  envelopeIds: readonly string[];
  epochs: ReadonlySet<number>;
}

/** Checks the investigator's signed `decryption-request` against the draft. */
export function checkRequestEntry(entry: DecryptionRequestEntry, draft: Draft, now: number): void {
  if (draft.envelopeIds.length === 0) fail('NO_ENVELOPES', 'the request has no accepted envelopes');
  const mismatch = (what: string): never => fail('ENTRY_MISMATCH', `the entry's ${what} does not match the request`);
  if (entry.requestId !== draft.requestId) mismatch('requestId');
  if (entry.warrantId !== draft.warrantId) mismatch('warrantId');
  if (entry.investigator !== draft.investigator) mismatch('investigator');
  if (entry.envelopeCount !== draft.envelopeIds.length) mismatch('envelopeCount');
  if (entry.envelopeSetRoot !== envelopeSetRoot(draft.envelopeIds)) mismatch('envelopeSetRoot');
  const epochs = new Set(entry.epochs);
  if (epochs.size !== entry.epochs.length || epochs.size !== draft.epochs.size || [...epochs].some((e) => !draft.epochs.has(e))) {
    mismatch('epochs');
  }
  if (entry.time > now + 300) fail('BAD_REQUEST', 'the entry is dated in the future');
  if (!verifyRecordSignature(entry, 'decryption-request', entry.signature, entry.investigator)) {
    fail('BAD_SIGNATURE', "the investigator's signature does not verify");
  }
}

// ## Combination (docs/PROTOCOL.md §3.4)

/** Why one envelope of a request could not be opened (stored in its result, shown to the investigator). */
export type EnvelopeFailureCode = 'UNKNOWN_EPOCH' | ProtocolCode;

export interface EnvelopeOutcome {
  envelopeId: string;
  plaintext: Uint8Array | null;
  failure: EnvelopeFailureCode | null;
  /** Custodians whose partial for this envelope failed its check, with that partial. */
  blamed: { custodian: number; partial: PartialRecord }[];
}

/**
 * Opens one envelope from the partials custodians returned for it. `order`
 * lists custodian indices in the order to try them (known-bad ones last, so
 * the fast path rarely has to fall back).
 */
export function openEnvelope(
  env: ParsedEnvelope,
  partialsByCustodian: ReadonlyMap<number, PartialRecord>,
  order: readonly number[],
  registry: Registry,
): EnvelopeOutcome {
  // The key epoch's custodians hold the envelope's key now (§3.9: the end of its chain of reshares).
  const keyEpoch = keyEpochOf(registry.entry, env.epoch);
  const epoch = keyEpoch === undefined ? undefined : registry.epoch(keyEpoch);
  const shares = keyEpoch === undefined ? undefined : registry.verificationShares(keyEpoch);
  if (!epoch || !shares) return { envelopeId: env.id, plaintext: null, failure: 'UNKNOWN_EPOCH', blamed: [] };
  const partials = order.map((i) => partialsByCustodian.get(i)).filter((p): p is PartialRecord => p !== undefined);
  try {
    // Lagrange over the custodians' points, their ranks among the key epoch's indices (PROTOCOL §3.1, §3.4).
    const r = combineAndOpen(env, partials, epoch.threshold, shares);
    r.key.fill(0);
    return { envelopeId: env.id, plaintext: r.plaintext, failure: null, blamed: blamedPartials(r.blamed, partialsByCustodian) };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // NOT_ENOUGH_PARTIALS names the blamed indices only in its message; re-derive them.
    const blamed = err.code === 'NOT_ENOUGH_PARTIALS' ? blameAll(env, partials, shares) : [];
    return { envelopeId: env.id, plaintext: null, failure: err.code, blamed: blamedPartials(blamed, partialsByCustodian) };
  }
}

function blamedPartials(indices: readonly number[], byCustodian: ReadonlyMap<number, PartialRecord>): EnvelopeOutcome['blamed'] {
  const out: EnvelopeOutcome['blamed'] = [];
  for (const i of new Set(indices)) {
    const partial = byCustodian.get(i);
    if (partial) out.push({ custodian: i, partial });
  }
  return out;
}

/** Every custodian whose partial fails its DLEQ proof (docs/PROTOCOL.md §3.3), as the slow path judged. */
function blameAll(env: ParsedEnvelope, partials: readonly PartialRecord[], shares: ReadonlyMap<number, GroupPoint>): number[] {
  return partials.filter((p) => {
    const X = shares.get(p.index);
    return X === undefined || !verifyPartial(p, X, env);
  }).map((p) => p.index);
}

export function misbehaviorEntry(requestId: string, env: Envelope, envelopeId: string, custodian: number, partial: PartialRecord): MisbehaviorEntry {
  return {
    type: 'misbehavior',
    custodian,
    requestId,
    envelopeId,
    epoch: env.epoch,
    R: env.R,
    partial: { index: partial.index, D: partial.D, c: partial.c, z: partial.z },
  };
}
