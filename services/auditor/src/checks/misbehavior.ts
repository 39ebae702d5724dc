/**
 * Misbehavior checks (docs/PROTOCOL.md §1 goal 5, §3.3): the evidence must make the
 * DLEQ check fail when anyone re-runs it.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { keyEpochOf } from '@custodes/shared/rules';
import { bytesToHex, hexToBytes, liftX, parsePartial, verifyParsedPartial } from '@custodes/shared/crypto';
import type { Envelope, ParsedEnvelope } from '@custodes/shared/crypto';
import type { MisbehaviorEntry } from '@custodes/shared/records';
import { inactiveEpoch, short } from './context';
import type { Check, Context } from './context';

export const misbehaviorChecks: readonly Check<MisbehaviorEntry>[] = [
  {
    name: 'misbehavior.request',
    run(entry, ctx) {
      if (!ctx.state.requests.has(entry.requestId)) {
        ctx.report('UNKNOWN_REQUEST', `a misbehavior entry refers to request ${short(entry.requestId)}, which is not logged before it.`);
      }
    },
  },
  {
    name: 'misbehavior.evidence',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      if (!reg.epoch(entry.epoch)) {
        ctx.report('UNKNOWN_EPOCH', `a misbehavior entry names epoch ${entry.epoch}, which is not registered.`);
        return;
      }
      if (inactiveEpoch(reg, entry.epoch)) {
        ctx.report('EPOCH_NOT_ACTIVE', `a misbehavior entry blames custodian ${entry.custodian} under epoch ${entry.epoch}, which no valid epoch entry activated.`);
        return;
      }
      // X_i of the registry in force, in the envelope's key epoch then (§3.9): for a DKG or reshare epoch,
      // recomputed from its logged recovery data (§3.8, checks/epoch.ts).
      const X = reg.verificationShare(keyEpochOf(reg.entry, entry.epoch) ?? entry.epoch, entry.custodian);
      if (!X) {
        ctx.report('UNKNOWN_CUSTODIAN', `a misbehavior entry blames custodian ${entry.custodian}, who is not in epoch ${entry.epoch}.`);
        return;
      }
      const env = evidenceEnvelope(entry);
      if (!env) {
        ctx.report('FALSE_MISBEHAVIOR', `the evidence against custodian ${entry.custodian} cannot be checked: R is not a point.`);
        return;
      }
      const partial = parsePartial(entry.partial);
      // docs/PROTOCOL.md §3.3: re-run the DLEQ check; a malformed partial fails it too.
      if (partial !== null && verifyParsedPartial(partial, X, env)) {
        ctx.report('FALSE_MISBEHAVIOR', `custodian ${entry.custodian} is blamed for request ${short(entry.requestId)}, but its partial for envelope ${short(entry.envelopeId)} verifies.`);
      }
    },
  },
];

/**
 * The envelope fields the DLEQ challenge reads: Rx, R = lift_x(Rx) and μ
 * (docs/PROTOCOL.md §3.3). The ciphertext is not in the log and not needed.
 */
function evidenceEnvelope(entry: MisbehaviorEntry): ParsedEnvelope | null {
  let R;
  const Rx = hexToBytes(entry.R, 32, 'R');
  try {
    R = liftX(Rx, 'R');
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
  const placeholder: Envelope = {
    format: 'custodes.envelope.v1',
    epoch: entry.epoch,
    label: { subject: '-', category: '-', time: 0 },
    R: entry.R,
    nonce: '',
    ciphertext: '',
    proof: '',
  };
  const empty = new Uint8Array(0);
  const mu = hexToBytes(entry.envelopeId, 32, 'envelopeId');
  return { envelope: placeholder, epoch: entry.epoch, Rx, R, nonce: empty, ciphertext: empty, proof: empty, labelHash: empty, mu, id: bytesToHex(mu) };
}

export function applyMisbehavior(entry: MisbehaviorEntry, ctx: Context): void {
  // Evidence under an epoch with no shares (§3.8) or refuted by the DLEQ check blames no one.
  if (ctx.reported.has('FALSE_MISBEHAVIOR') || ctx.reported.has('EPOCH_NOT_ACTIVE')) return;
  ctx.state.misbehaviors.push({ index: ctx.index, entry });
  ctx.state.requests.get(entry.requestId)?.misbehaving.add(entry.custodian);
}

