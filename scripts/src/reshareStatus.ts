/**
 * `custodes custodian reshare status` (docs/PROTOCOL.md §3.9): one line per
 * reshare epoch this node is in, from its `GET /v1/operator/dkg` answer
 * (services/custodian/src/dkgStatus.ts) — O → N, this node's roles, both
 * thresholds, the operator's consent, the last session's step, and what
 * became of its share of O and of N.
 */
import type { DkgStatus } from '@custodes/custodian';

type EpochStatus = DkgStatus['epochs'][number];

function line(e: EpochStatus): string {
  const r = e.reshare!;
  const session = e.sessions.at(-1);
  const step = session === undefined ? 'not started' : session.outcome === 'running' ? `session at ${session.step}` : `session ${session.outcome}${session.reason ? ` (${session.reason})` : ''}`;
  const old = !r.roles.includes('dealer') ? '' : r.destructionLogged ? '; old share destroyed (logged)' : r.oldShareDestroyed ? '; old share destroyed (statement signed, not yet in this node\'s replica)' : r.oldShareHeld ? '; old share held' : '; no old share';
  const held = r.roles.includes('receiver') ? (e.shareHeld ? '; new share held' : '; no new share yet') : '';
  return (
    `epoch ${r.from} → ${e.epoch}: ${r.roles.join(' and ')}; ${r.threshold}-of-${r.total} → ${e.threshold}-of-${e.total}; ` +
    `${e.state}; consent ${e.consent ? `given by ${e.consent.officer}` : 'not given'}; ${step}${old}${held}`
  );
}

/** The lines for every reshare epoch of `status`, newest first; one saying there is none otherwise. */
export function reshareStatusLines(status: DkgStatus): string[] {
  const reshares = status.epochs.filter((e) => e.reshare !== null);
  if (reshares.length === 0) return [`custodian ${status.custodian} is in no reshare`];
  return reshares.map(line);
}
