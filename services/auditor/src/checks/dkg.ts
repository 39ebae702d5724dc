/**
 * `dkg` entry checks (docs/PROTOCOL.md §3.8, §8.8): each message of a DKG
 * session is for a proposed epoch of the registry in force, and a
 * participant's step (commit, reveal, certeq, blame) is signed by that
 * custodian of the epoch (@custodes/shared/rules judgeDkgEntry), so the
 * coordinator cannot log one in a custodian's name. The form of each step
 * (payload encoding, `blamed`) is the schema's (checks/decode.ts). A blame
 * or an abort is how a session is meant to fail: it is reported in the
 * transparency report (`keyGeneration`), not as a finding.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { abortReason } from '@custodes/shared/records';
import type { DkgEntry } from '@custodes/shared/records';
import { judgeDkgEntry } from '@custodes/shared/rules';
import type { DkgEntryCode } from '@custodes/shared/rules';
import type { FindingCode } from '../findings';
import { short } from './context';
import type { Check, Context, DkgSessionState } from './context';

const FINDING: Record<DkgEntryCode, FindingCode> = {
  UNKNOWN_EPOCH: 'UNKNOWN_EPOCH',
  NOT_PROPOSED: 'EPOCH_NOT_PROPOSED',
  WRONG_STEP: 'DKG_WRONG_STEP',
  UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
};


export const dkgChecks: readonly Check<DkgEntry>[] = [
  {
    name: 'dkg.signer',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const verdict = judgeDkgEntry(entry, reg.entry);
      if (!verdict.ok) ctx.report(FINDING[verdict.code], `${verdict.message} (dkg ${entry.step} of session ${short(entry.session)}).`);
    },
  },
];

export function applyDkg(entry: DkgEntry, ctx: Context): void {
  if (!ctx.state.registry || ctx.reported.size > 0) return;
  const key = `${entry.epoch}/${entry.session}`;
  let s: DkgSessionState | undefined = ctx.state.dkgSessions.get(key);
  if (!s) {
    s = { epoch: entry.epoch, session: entry.session, index: ctx.index, commits: new Set(), reveals: new Set(), aggregate: false, certeqs: new Set(), blames: [], abort: undefined };
    ctx.state.dkgSessions.set(key, s);
  }
  switch (entry.step) {
    case 'commit':
      s.commits.add(entry.custodian!);
      break;
    case 'reveal':
      s.reveals.add(entry.custodian!);
      break;
    case 'aggregate':
      s.aggregate = true;
      break;
    case 'dealers':
      break;
    case 'certeq':
      s.certeqs.add(entry.custodian!);
      break;
    case 'blame':
      s.blames.push({ custodian: entry.custodian!, blamed: entry.blamed![0]!, index: ctx.index });
      break;
    case 'abort':
      s.abort ??= { reason: abortReason(entry.payload), blamed: [...entry.blamed!], index: ctx.index };
      break;
  }
}
