/**
 * What this node's operator sees of distributed key generation
 * (docs/PROTOCOL.md §3.8, §7.15; `GET /v1/operator/dkg`, the console's Key
 * generation view and `custodes custodian dkg status`): its host public key,
 * and every epoch of the registry in force that lists this node — threshold,
 * committee, whether the operator consented (by whom, when), whether the node
 * holds its share, and each DKG session of the epoch as this node's replica
 * of the log shows it (who committed, revealed and certified, how it ended).
 *
 * A reshare epoch N (`reshareOf: O`, §3.9) is listed also at a custodian
 * of O that N drops (it deals, and must destroy its share of O): its
 * `reshare` says O, O's committee, this node's roles, and what became of
 * its share of O (held; destruction signed; the statement logged).
 *
 * Read only, from the replica (entries in checkpoints this node cosigned) and
 * the node's own store; no secret leaves it: the host key is public, a share
 * is reported as held or not.
 */
import { bytesToHex } from '@custodes/shared/crypto';
import { hostpubkeyGen } from '@custodes/shared/dkg';
import { abortReason } from '@custodes/shared/records';
import type { DkgEntry, DkgStep, EpochEntry, RegistryEntry, ShareDestroyedEntry } from '@custodes/shared/records';
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

type RegistryEpoch = RegistryEntry['epochs'][number];

/** For a reshare epoch N of O (docs/PROTOCOL.md §3.9): this node's part in it. */
export interface ReshareStatus {
  /** O, the epoch whose key N takes over. */
  from: number;
  threshold: number;
  total: number;
  /** O's committee. */
  custodians: { index: number; name: string }[];
  /** `dealer`: a custodian of O (deals its share of O); `receiver`: a custodian of N. */
  roles: ('dealer' | 'receiver')[];
  /** This node still holds its share of O. */
  oldShareHeld: boolean;
  /** This node deleted its share of O and signed `share-destroyed` (only after N is active). */
  oldShareDestroyed: boolean;
  /** Its `share-destroyed` statement for O is in the replica (logged and cosigned). */
  destructionLogged: boolean;
}

export interface DkgEpochStatus {
  epoch: number;
  /** Null for a DKG epoch. */
  reshare: ReshareStatus | null;
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
  const dkgLogged = loggedDkgEntries(ctx.store).map((entry, k) => ({ idx: dkgRows[k]!.idx, entry }));
  // The first epoch entry per epoch is the one that can activate it (resolveRegistry); the replica holds only valid ones.
  const activations = new Map<number, EpochEntry>();
  for (const row of ctx.store.replicaEntries('epoch')) {
    const e = JSON.parse(row.data) as EpochEntry;
    if (!activations.has(e.epoch)) activations.set(e.epoch, e);
  }
  const listsMe = (e: RegistryEpoch | undefined) => e?.custodians.some((c) => c.index === me) === true;
  const epochOf = (n: number) => registry?.epochs.find((x) => x.epoch === n);
  // A reshare epoch counts a custodian of O as a dealer even when N drops it (§3.9).
  const mine = (registry?.epochs ?? []).filter((e) => listsMe(e) || (e.reshareOf !== undefined && listsMe(epochOf(e.reshareOf)))).sort((a, b) => b.epoch - a.epoch);
  const logged = new Set(ctx.store.replicaEntries('share-destroyed').map((r) => JSON.parse(r.data) as ShareDestroyedEntry).filter((d) => d.custodian === me).map((d) => `${d.epoch}>${d.successor}`));
  const committee = (e: RegistryEpoch) => [...e.custodians].sort((a, b) => a.index - b.index).map((c) => ({ index: c.index, name: c.name }));
  const reshareOf = (e: RegistryEpoch): ReshareStatus | null => {
    const o = e.reshareOf === undefined ? undefined : epochOf(e.reshareOf);
    if (!o) return null;
    const roles = [...(listsMe(o) ? (['dealer'] as const) : []), ...(listsMe(e) ? (['receiver'] as const) : [])];
    return {
      from: o.epoch,
      threshold: o.threshold,
      total: o.total,
      custodians: committee(o),
      roles,
      oldShareHeld: ctx.vault.share(o.epoch) !== undefined,
      oldShareDestroyed: ctx.store.dkgSigned(`share-destroyed:${o.epoch}`, 'share-destroyed') !== undefined,
      destructionLogged: logged.has(`${o.epoch}>${e.epoch}`),
    };
  };
  const consents: DkgConsent[] = [];
  const epochs = mine.map((e): DkgEpochStatus => {
    const consent = ctx.store.dkgConsent(e.epoch) ?? null;
    if (consent) consents.push({ epoch: e.epoch, ...consent });
    return {
      epoch: e.epoch,
      reshare: reshareOf(e),
      threshold: e.threshold,
      total: e.total,
      custodians: committee(e),
      state: e.groupKey === undefined ? 'proposed' : 'active',
      groupKey: e.groupKey ?? null,
      consent,
      shareHeld: ctx.vault.share(e.epoch) !== undefined,
      sessions: sessionsOf(e.epoch, dkgLogged, activations.get(e.epoch)?.session),
    };
  });
  return { custodian: me, hostKey: host ? bytesToHex(hostpubkeyGen(host)) : null, consents, epochs };
}
