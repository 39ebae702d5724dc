/**
 * `audit report`: a transparency report computed from the log alone
 * (docs/PROTOCOL.md §1 goal 6, §5 step 7). Reproducible: the same log and the same
 * as-of time give a byte-identical report.json; `asOf` is the latest time
 * carried by an entry unless given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { MemoryTree } from '@custodes/shared/log';
import { compareFindings, type Finding } from './findings';
import type { PinnedKeys } from './pins';
import { renderReportHtml } from './html';
import { keyEpochOf, sealState, successorOf } from '@custodes/shared/rules';
import { decisionStatusOf, iso, overdueFindings, type AuditState } from './rules';
import { verifyLog, type Progress, type VerifyResult } from './verify';
import type { FetchOptions } from './fetch';

export const REPORT_FORMAT = 'custodes.transparency-report.v1';

export interface Count {
  readonly label: string;
  readonly count: number;
}

export interface TransparencyReport {
  readonly format: typeof REPORT_FORMAT;
  readonly log: {
    readonly origin: string;
    /** Entries the report covers (the verified log). */
    readonly size: number;
    /** RFC 6962 root of those entries, base64. */
    readonly root: string;
    /** Whether the checkpoint was accepted (signed, consistent, cosigned by ≥ t). */
    readonly checkpointAccepted: boolean;
  };
  readonly asOf: { readonly time: number; readonly iso: string; readonly source: 'latest-entry' | 'given' };
  readonly warrants: {
    readonly total: number;
    /** By month of issue (UTC), every month from the first to the last. */
    readonly perMonth: readonly Count[];
    readonly perCourt: readonly Count[];
    readonly perAgency: readonly Count[];
    /** approved (reached quorum), denied (quorum impossible), pending, revoked. */
    readonly outcomes: readonly Count[];
    readonly expired: number;
  };
  readonly decisions: {
    readonly approvals: number;
    readonly denials: number;
    readonly perCustodian: readonly { readonly custodian: number; readonly name: string; readonly approvals: number; readonly denials: number }[];
  };
  readonly requests: { readonly total: number; readonly envelopesRequested: number };
  readonly decryption: {
    readonly completed: number;
    readonly envelopesDecrypted: number;
    readonly envelopesFailed: number;
    /** Envelopes decrypted by month of completion (UTC). */
    readonly perMonth: readonly Count[];
  };
  readonly timeToQuorum: {
    /** Warrants that reached quorum. */
    readonly count: number;
    /** Seconds from issuedAt to the t-th approval; the lower median for an even count. */
    readonly medianSeconds: number | null;
    readonly minSeconds: number | null;
    readonly maxSeconds: number | null;
    readonly buckets: readonly Count[];
  };
  readonly sealing: {
    readonly sealed: number;
    readonly unsealed: number;
    readonly overdue: number;
    readonly overdueWarrants: readonly { readonly warrantId: string; readonly sealedUntil: number; readonly index: number }[];
  };
  readonly misbehavior: { readonly entries: number; readonly perCustodian: readonly Count[] };
  /**
   * The epochs timeline and the DKG/reshare sessions (docs/PROTOCOL.md §3.8,
   * §3.9): a blame or an abort is reported here, not as a finding.
   */
  readonly keyGeneration: {
    readonly epochs: readonly EpochReport[];
    readonly sessions: readonly SessionReport[];
    /** The epoch whose custodians hold the newest active epoch's key now (§3.9 keyEpochOf); null if none is active. */
    readonly currentKeyEpoch: number | null;
  };
  readonly audit: { readonly findings: number; readonly byCode: readonly Count[] };
}

/** One epoch's life in the log (§3.8, §3.9): proposal, key generation or reshare, activation, destruction of its shares. */
export interface EpochReport {
  readonly epoch: number;
  readonly threshold: number;
  readonly total: number;
  /** Its custodians' indices, ascending. */
  readonly custodians: readonly number[];
  /**
   * dealer: keys written in the registry; dkg: activated by a valid epoch entry of a DKG;
   * reshare: activated by a valid reshare of `reshareOf`; proposed: no valid epoch entry yet.
   */
  readonly origin: 'dealer' | 'dkg' | 'reshare' | 'proposed';
  /** Log index of the first registry entry that lists it. */
  readonly proposedAt: number | null;
  /** The epoch it reshares (§3.9), or null. */
  readonly reshareOf: number | null;
  readonly groupKey: string | null;
  /** Log index and time of the epoch entry that activated it. */
  readonly activatedAt: number | null;
  readonly activatedTime: number | null;
  readonly session: string | null;
  /** A reshare's qualified dealers Q (old indices, from the recovery data), or null. */
  readonly dealers: readonly number[] | null;
  /** Blames logged in its sessions (a reshare's complaints against dealers). */
  readonly complaints: readonly { readonly custodian: number; readonly blamed: number; readonly index: number }[];
  /** The active epoch that took over its key (§3.9 successorOf), or null. */
  readonly supersededBy: number | null;
  /** Valid share-destroyed statements of its custodians, in log order. */
  readonly destroyed: readonly { readonly custodian: number; readonly index: number; readonly time: number }[];
  /** The epoch's retireAfter (docs/PROTOCOL.md §3.10), Unix seconds; null if it has none. */
  readonly retireAfter: number | null;
  /** Valid `retired` statements, by custodian ascending: who destroyed its share, where and when. */
  readonly retirements: readonly { readonly custodian: number; readonly index: number; readonly time: number }[];
}

export interface SessionReport {
  readonly epoch: number;
  readonly session: string;
  /** Log index of the session's first entry. */
  readonly index: number;
  readonly commits: number;
  readonly reveals: number;
  readonly aggregate: boolean;
  readonly certeqs: number;
  readonly blames: readonly { readonly custodian: number; readonly blamed: number; readonly index: number }[];
  readonly abort: { readonly reason: string; readonly blamed: readonly number[]; readonly index: number } | null;
  readonly outcome: 'activated' | 'aborted' | 'open';
}

// ## Helpers

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Time-to-quorum buckets: upper bounds in seconds (inclusive), the last open. */
const QUORUM_BUCKETS: readonly { label: string; upTo: number }[] = [
  { label: '≤ 1 hour', upTo: HOUR },
  { label: '1–6 hours', upTo: 6 * HOUR },
  { label: '6–24 hours', upTo: DAY },
  { label: '1–7 days', upTo: 7 * DAY },
  { label: '> 7 days', upTo: Infinity },
];

function month(seconds: number): string {
  return iso(seconds).slice(0, 7);
}

/** Every month from the first to the last key, with zeros in between. */
function monthSeries(counts: ReadonlyMap<string, number>): Count[] {
  const keys = [...counts.keys()].filter((k) => /^\d{4}-\d{2}$/.test(k)).sort();
  const first = keys[0];
  const last = keys.at(-1);
  if (first === undefined || last === undefined) return [];
  const out: Count[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  for (let guard = 0; guard < 1200; guard++) {
    const label = `${y}-${String(m).padStart(2, '0')}`;
    out.push({ label, count: counts.get(label) ?? 0 });
    if (label === last) break;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Counts sorted by descending count, then label (deterministic). */
function sortedCounts(map: ReadonlyMap<string, number>): Count[] {
  return [...map.entries()]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

// ## Building

export interface ReportInput {
  readonly audit: AuditState;
  readonly leaves: readonly Uint8Array[];
  /** Every finding (checkpoint and rules), as of `asOf`. */
  readonly findings: readonly Finding[];
  readonly checkpointAccepted: boolean;
  /** Unix seconds; the latest entry time if omitted. */
  readonly asOf?: number;
}

/** Computes the report from a replayed log. Pure. */
export function buildReport(input: ReportInput): TransparencyReport {
  const { audit } = input;
  const asOfTime = input.asOf ?? audit.clock ?? 0;
  const registry = audit.registry;
  const tree = new MemoryTree();
  for (const leaf of input.leaves) tree.append(leaf);

  const perMonth = new Map<string, number>();
  const perCourt = new Map<string, number>();
  const perAgency = new Map<string, number>();
  const outcomes = new Map<string, number>([
    ['approved', 0],
    ['denied', 0],
    ['pending', 0],
    ['revoked', 0],
  ]);
  const decisions = new Map<number, { approvals: number; denials: number }>();
  const quorumTimes: number[] = [];
  let expired = 0;
  let sealed = 0;
  let unsealed = 0;
  let requests = 0;
  let envelopesRequested = 0;
  for (const w of audit.warrants.values()) {
    const e = w.entry;
    bump(perMonth, month(e.issuedAt));
    bump(perCourt, e.court);
    bump(perAgency, e.agency);
    for (const [custodian, d] of w.decisions) {
      const tally = decisions.get(custodian) ?? { approvals: 0, denials: 0 };
      if (d.decision === 'approve') tally.approvals++;
      else tally.denials++;
      decisions.set(custodian, tally);
    }
    // The shared status (@custodes/shared/rules) without expiry, which is counted beside it.
    const outcome = w.revocation ? 'revoked' : registry ? decisionStatusOf(w, registry) : 'pending';
    bump(outcomes, outcome);
    if (asOfTime >= e.expiresAt) expired++;
    if (w.quorum) quorumTimes.push(w.quorum.time - e.issuedAt);
    const seal = sealState(e.sealedUntil, w.unseal !== undefined, asOfTime);
    if (seal === 'unsealed') unsealed++;
    else if (seal === 'sealed') sealed++;
    requests += w.requests.length;
    envelopesRequested += w.envelopesRequested;
  }
  const byIndex = new Map([...audit.warrants.values()].map((w) => [w.index, w] as const));
  const overdue = overdueFindings(audit, asOfTime).flatMap((f) => {
    const w = byIndex.get(f.index);
    return w ? [{ warrantId: w.entry.warrantId, sealedUntil: w.entry.sealedUntil, index: w.index }] : [];
  });

  const decryptedPerMonth = new Map<string, number>();
  let completed = 0;
  let envelopesDecrypted = 0;
  let envelopesFailed = 0;
  for (const r of audit.requests.values()) {
    if (!r.complete) continue;
    completed++;
    envelopesDecrypted += r.complete.entry.decrypted;
    envelopesFailed += r.complete.entry.failed;
    bump(decryptedPerMonth, month(r.complete.entry.time), r.complete.entry.decrypted);
  }
  // Requests whose warrant is unknown are counted too (they are in the log).
  for (const r of audit.requests.values()) {
    if (!r.warrant) {
      requests++;
      envelopesRequested += r.entry.envelopeCount;
    }
  }

  const sortedTimes = [...quorumTimes].sort((a, b) => a - b);
  const median = sortedTimes.length ? sortedTimes[Math.floor((sortedTimes.length - 1) / 2)]! : null;
  const buckets = QUORUM_BUCKETS.map((b, i) => ({
    label: b.label,
    count: sortedTimes.filter((t) => t <= b.upTo && (i === 0 || t > QUORUM_BUCKETS[i - 1]!.upTo)).length,
  }));

  const misbehaving = new Map<string, number>();
  for (const m of audit.misbehaviors) bump(misbehaving, `custodian ${m.entry.custodian}`);

  const keyGeneration = keyGenerationOf(audit);

  const findings = [...input.findings].sort(compareFindings);
  const byCode = new Map<string, number>();
  for (const f of findings) bump(byCode, f.code);

  const custodianNames = new Map<number, string>();
  for (const reg of audit.registries) for (const e of reg.entry.epochs) for (const c of e.custodians) custodianNames.set(c.index, c.name);
  const perCustodian = [...decisions.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([custodian, t]) => ({ custodian, name: custodianNames.get(custodian) ?? `custodian ${custodian}`, approvals: t.approvals, denials: t.denials }));

  const courtName = (id: string) => registry?.court(id)?.name;
  const agencyName = (id: string) => registry?.agency(id)?.name;
  return {
    format: REPORT_FORMAT,
    log: {
      origin: registry?.entry.origin ?? '',
      size: input.leaves.length,
      root: bytesToBase64(tree.root()),
      checkpointAccepted: input.checkpointAccepted,
    },
    asOf: { time: asOfTime, iso: iso(asOfTime), source: input.asOf === undefined ? 'latest-entry' : 'given' },
    warrants: {
      total: audit.warrants.size,
      perMonth: monthSeries(perMonth),
      perCourt: sortedCounts(perCourt).map((c) => ({ label: courtName(c.label) ? `${c.label} (${courtName(c.label)})` : c.label, count: c.count })),
      perAgency: sortedCounts(perAgency).map((c) => ({ label: agencyName(c.label) ? `${c.label} (${agencyName(c.label)})` : c.label, count: c.count })),
      outcomes: [...outcomes.entries()].map(([label, count]) => ({ label, count })),
      expired,
    },
    decisions: {
      approvals: perCustodian.reduce((s, c) => s + c.approvals, 0),
      denials: perCustodian.reduce((s, c) => s + c.denials, 0),
      perCustodian,
    },
    requests: { total: requests, envelopesRequested },
    decryption: { completed, envelopesDecrypted, envelopesFailed, perMonth: monthSeries(decryptedPerMonth) },
    timeToQuorum: {
      count: sortedTimes.length,
      medianSeconds: median,
      minSeconds: sortedTimes[0] ?? null,
      maxSeconds: sortedTimes.at(-1) ?? null,
      buckets,
    },
    sealing: { sealed, unsealed, overdue: overdue.length, overdueWarrants: overdue },
    misbehavior: { entries: audit.misbehaviors.length, perCustodian: sortedCounts(misbehaving) },
    keyGeneration,
    audit: { findings: findings.length, byCode: sortedCounts(byCode) },
  };
}

/** The registry in force's epochs, ascending, as a timeline with their retirements (§3.10), and every DKG or reshare session in log order (§3.8, §3.9). */
function keyGenerationOf(audit: AuditState): TransparencyReport['keyGeneration'] {
  const registry = audit.registry?.entry;
  const epochs = [...(registry?.epochs ?? [])]
    .sort((a, b) => a.epoch - b.epoch)
    .map((e): EpochReport => {
      const a = audit.activations.get(e.epoch);
      const origin = a ? (e.reshareOf === undefined ? 'dkg' : 'reshare') : e.groupKey === undefined ? 'proposed' : 'dealer';
      const qualified = a && 'qualified' in a.keys ? (a.keys as { readonly qualified: readonly number[] }).qualified : null;
      const destroyed = [...(audit.destructions.get(e.epoch)?.entries() ?? [])].map(([custodian, d]) => ({ custodian, index: d.index, time: d.time })).sort((x, y) => x.index - y.index);
      const retirements = [...(audit.retirements.get(e.epoch)?.entries() ?? [])].sort((x, y) => x[0] - y[0]).map(([custodian, r]) => ({ custodian, index: r.index, time: r.time }));
      return {
        epoch: e.epoch,
        threshold: e.threshold,
        total: e.total,
        custodians: e.custodians.map((c) => c.index).sort((x, y) => x - y),
        origin,
        proposedAt: audit.registries.find((r) => r.entry.epochs.some((x) => x.epoch === e.epoch))?.index ?? null,
        reshareOf: e.reshareOf ?? null,
        groupKey: e.groupKey ?? null,
        activatedAt: a?.index ?? null,
        activatedTime: a?.entry.time ?? null,
        session: a?.entry.session ?? null,
        dealers: qualified ? [...qualified] : null,
        complaints: [...audit.dkgSessions.values()].filter((s) => s.epoch === e.epoch).flatMap((s) => s.blames.map((b) => ({ ...b }))),
        supersededBy: registry ? (successorOf(registry, e.epoch)?.epoch ?? null) : null,
        destroyed,
        retireAfter: e.retireAfter ?? null,
        retirements,
      };
    });
  const newestActive = epochs.filter((e) => e.groupKey !== null).at(-1);
  const currentKeyEpoch = registry && newestActive ? (keyEpochOf(registry, newestActive.epoch) ?? null) : null;
  const sessions = [...audit.dkgSessions.values()].map((s): SessionReport => {
    const activated = audit.activations.get(s.epoch)?.entry.session === s.session;
    return {
      epoch: s.epoch,
      session: s.session,
      index: s.index,
      commits: s.commits.size,
      reveals: s.reveals.size,
      aggregate: s.aggregate,
      certeqs: s.certeqs.size,
      blames: s.blames.map((b) => ({ ...b })),
      abort: s.abort ? { ...s.abort, blamed: [...s.abort.blamed] } : null,
      outcome: activated ? 'activated' : s.abort ? 'aborted' : 'open',
    };
  });
  return { epochs, sessions, currentKeyEpoch };
}

/** report.json: two-space JSON with a final newline; key order fixed by construction. */
export function reportJson(report: TransparencyReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

// ## From a log URL

export interface ReportOptions {
  readonly logUrl: string;
  readonly outDir: string;
  /** Unix seconds; default: the latest time carried by an entry. */
  readonly asOf?: number;
  readonly stateDir?: string;
  readonly pinnedKeys?: PinnedKeys;
  readonly onProgress?: (progress: Progress) => void;
  readonly fetch?: FetchOptions;
}

/** Verifies the log and writes report.json and report.html into `outDir`. */
export async function writeReport(options: ReportOptions): Promise<{ report: TransparencyReport; verified: VerifyResult; files: string[] }> {
  // now = 0 leaves overdue unsealings out; they are added relative to asOf below.
  const verified = await verifyLog({
    logUrl: options.logUrl,
    stateDir: options.stateDir,
    pinnedKeys: options.pinnedKeys,
    now: 0,
    onProgress: options.onProgress,
    fetch: options.fetch,
  });
  const asOf = options.asOf ?? verified.audit.clock ?? 0;
  const findings = [...verified.findings, ...overdueFindings(verified.audit, asOf)];
  const report = buildReport({
    audit: verified.audit,
    leaves: verified.leaves,
    findings,
    checkpointAccepted: verified.checkpoint?.accepted ?? false,
    asOf: options.asOf,
  });
  mkdirSync(options.outDir, { recursive: true });
  const files = [join(options.outDir, 'report.json'), join(options.outDir, 'report.html')];
  writeFileSync(files[0]!, reportJson(report));
  writeFileSync(files[1]!, renderReportHtml(report));
  return { report, verified, files };
}
