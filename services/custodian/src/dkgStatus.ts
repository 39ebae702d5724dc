/**
 * What this node's operator sees of distributed key generation
 * (docs/PROTOCOL.md §3.8, §7.15; `GET /v1/operator/dkg`, the console's Key
 * generation view and `custodes custodian dkg status`): its host public key,
 * and every epoch of the registry in force that lists this node — threshold,
 * committee, whether the operator consented (by whom, when), whether the node
 * holds its share, and each DKG session of the epoch as this node's replica
 * of the log shows it (who committed, revealed and certified, how it ended).
 *
 * Read only, from the replica (entries in checkpoints this node cosigned) and
 * the node's own store; no secret leaves it: the host key is public, a share
 * is reported as held or not.
 */
import { bytesToHex } from '@custodes/shared/crypto';
import { hostpubkeyGen } from '@custodes/shared/dkg';
import { abortReason } from '@custodes/shared/records';
import type { DkgEntry, DkgStep, EpochEntry } from '@custodes/shared/records';
import type { Context } from './context';
import { currentRegistry, loggedDkgEntries } from './replica';


export interface DkgConsent {
  epoch: number;
  /** Who consented: `operator` (docs/PROTOCOL.md §7.15). */
  officer: string;
  time: number;
}

export interface DkgSessionStatus {
  session: string;
  /** Log index of its first entry in the replica. */
  index: number;
  /** The last step logged. */
  step: DkgStep;
  /** Custodians whose commit, reveal and CertEq signature are logged. */
  committed: number[];
  revealed: number[];
  certified: number[];
  /** `active`: its `epoch` entry is logged; `aborted`: an `abort` is logged; else `running`. */
  outcome: 'running' | 'active' | 'aborted';
  /** For an aborted session: the abort's reason (§3.8: `timeout`, `blame`, `invalid`; abortReason) and the custodians it names. */
  reason: string | null;
  blamed: number[];
}

export interface DkgEpochStatus {
  epoch: number;
  threshold: number;
  total: number;
  custodians: { index: number; name: string }[];
  /** `proposed` until a logged `epoch` entry activates it (or a dealer epoch, listed with its key). */
  state: 'proposed' | 'active';
  groupKey: string | null;
  consent: { officer: string; time: number } | null;
  shareHeld: boolean;
  sessions: DkgSessionStatus[];
}

export interface DkgStatus {
  custodian: number;
  hostKey: string | null;
  consents: DkgConsent[];
  epochs: DkgEpochStatus[];
}

/** The sessions of `epoch` in log order, from the replica's `dkg` entries (schema-checked when applied). */
function sessionsOf(epoch: number, entries: readonly { idx: number; entry: DkgEntry }[], activatedBy: string | undefined): DkgSessionStatus[] {
  const sessions = new Map<string, DkgSessionStatus>();
  for (const { idx, entry } of entries) {
    if (entry.epoch !== epoch) continue;
    let s = sessions.get(entry.session);
    if (!s) {
      s = { session: entry.session, index: idx, step: entry.step, committed: [], revealed: [], certified: [], outcome: 'running', reason: null, blamed: [] };
      sessions.set(entry.session, s);
    }
    s.step = entry.step;
    if (entry.step === 'commit') s.committed.push(entry.custodian!);
    if (entry.step === 'reveal') s.revealed.push(entry.custodian!);
    if (entry.step === 'certeq') s.certified.push(entry.custodian!);
    if (entry.step === 'abort' && s.outcome !== 'aborted') {
      s.outcome = 'aborted';
      s.reason = abortReason(entry.payload);
      s.blamed = [...entry.blamed!];
    }
  }
  const out = [...sessions.values()];
  for (const s of out) if (s.session === activatedBy && s.outcome === 'running') s.outcome = 'active';
  return out;
}

/** This node's DKG status (docs/PROTOCOL.md §7.15, `GET /v1/operator/dkg`). */
export function dkgStatus(ctx: Context): DkgStatus {
  const host = ctx.vault.hostKey();
  const me = ctx.me.custodian;
  const registry = currentRegistry(ctx.store)?.entry;
  const dkgRows = ctx.store.replicaEntries('dkg');
  const logged = loggedDkgEntries(ctx.store).map((entry, k) => ({ idx: dkgRows[k]!.idx, entry }));
  // The first epoch entry per epoch is the one that can activate it (resolveRegistry); the replica holds only valid ones.
  const activations = new Map<number, EpochEntry>();
  for (const row of ctx.store.replicaEntries('epoch')) {
    const e = JSON.parse(row.data) as EpochEntry;
    if (!activations.has(e.epoch)) activations.set(e.epoch, e);
  }
  const mine = (registry?.epochs ?? []).filter((e) => e.custodians.some((c) => c.index === me)).sort((a, b) => b.epoch - a.epoch);
  const consents: DkgConsent[] = [];
  const epochs = mine.map((e): DkgEpochStatus => {
    const consent = ctx.store.dkgConsent(e.epoch) ?? null;
    if (consent) consents.push({ epoch: e.epoch, ...consent });
    return {
      epoch: e.epoch,
      threshold: e.threshold,
      total: e.total,
      custodians: [...e.custodians].sort((a, b) => a.index - b.index).map((c) => ({ index: c.index, name: c.name })),
      state: e.groupKey === undefined ? 'proposed' : 'active',
      groupKey: e.groupKey ?? null,
      consent,
      shareHeld: ctx.vault.share(e.epoch) !== undefined,
      sessions: sessionsOf(e.epoch, logged, activations.get(e.epoch)?.session),
    };
  });
  return { custodian: me, hostKey: host ? bytesToHex(hostpubkeyGen(host)) : null, consents, epochs };
}
