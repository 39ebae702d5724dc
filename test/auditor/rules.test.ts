/**
 * The rule engine on entry sequences built in-test: a clean log passes with
 * no findings, and each broken rule of docs/PROTOCOL.md §1 is caught with its own code
 * at the index of the entry at fault.
 */
import { describe, expect, test } from 'vitest';
import { canonicalBytes, signRecord } from '@custodes/shared/records';
import type { LogEntry } from '@custodes/shared/records';
import { CHECK_NAMES, checkEntries, checkLeaves, formatFinding } from '@custodes/auditor';
import type { Finding, FindingCode } from '@custodes/auditor';
import { cleanScenario, DAY, HOUR, keyPair, LogBuilder, makeKeys, T0 } from './scenario';
import type { WarrantHandle } from './scenario';

const keys = makeKeys();
const NOW = T0 + 90 * DAY;

function audit(log: LogBuilder, now = NOW): Finding[] {
  return checkLeaves(log.leaves(), { now }).findings;
}

/** Findings reduced to `index CODE`, for exact comparisons. */
function brief(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.index} ${f.code}`);
}

/** A warrant approved by custodians 1, 2, 3 (a quorum of 3 of 5). */
function approved(log: LogBuilder, opts: Parameters<LogBuilder['warrant']>[0] = {}): WarrantHandle {
  const w = log.warrant(opts);
  log.approveBy(w, [1, 2, 3], T0 + DAY + HOUR);
  return w;
}

describe('a clean log', () => {
  test('passes with zero findings, and the pipeline names its checks', () => {
    const s = cleanScenario(keys);
    const { findings, state } = checkLeaves(s.log.leaves(), { now: s.now });
    expect(findings).toEqual([]);
    expect(state.warrants.size).toBe(5);
    expect(state.requests.size).toBe(3);
    expect(state.registry?.threshold).toBe(3);
    expect(CHECK_NAMES).toContain('request.quorum');
    expect(CHECK_NAMES).toContain('misbehavior.evidence');
    expect(new Set(CHECK_NAMES).size).toBe(CHECK_NAMES.length);
  });

  test('entries given as JSON values and as leaves give the same verdict', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2, 3]);
    log.complete(r, 1, T0 + 2 * DAY + 60);
    expect(checkEntries(log.entries, { now: NOW }).findings).toEqual([]);
    expect(audit(log)).toEqual([]);
  });

  test('reports progress every N entries and at the end', () => {
    const log = new LogBuilder(keys);
    approved(log);
    const seen: [number, number][] = [];
    checkLeaves(log.leaves(), { now: NOW, progressEvery: 2, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
  });
});

describe('signatures (docs/PROTOCOL.md §3.5)', () => {
  test('a forged approval signature is BAD_SIGNATURE and does not count toward the quorum', () => {
    const log = new LogBuilder(keys);
    const w = log.warrant();
    log.decide(w, 1, 'approve', T0 + DAY);
    log.decide(w, 2, 'approve', T0 + DAY);
    const forged = log.decide(w, 3, 'approve', T0 + DAY, keyPair().secret);
    const r = log.request(w, 1, T0 + 2 * DAY);
    const findings = audit(log);
    expect(brief(findings)).toEqual([`${forged} BAD_SIGNATURE`, `${r.index} REQUEST_BEFORE_QUORUM`]);
    expect(formatFinding(findings[0]!)).toMatch(new RegExp(`^#${forged} BAD_SIGNATURE the approve by custodian 3 `));
  });

  test('a genesis registry missing one custodian signature is BAD_SIGNATURE at #0', () => {
    const log = new LogBuilder(keys);
    const genesis = log.entries[0] as Extract<LogEntry, { type: 'registry' }>;
    log.entries[0] = { ...genesis, signatures: genesis.signatures.slice(0, 4) };
    expect(brief(audit(log))).toEqual(['0 BAD_SIGNATURE']);
  });

  test('a registry update needs t signatures of the registry in force', () => {
    const log = new LogBuilder(keys);
    const genesis = log.entries[0] as Extract<LogEntry, { type: 'registry' }>;
    const body = { ...genesis, sequence: 1, time: T0 + DAY, signatures: [] };
    const sign = (i: number) => ({ custodian: i, signature: signRecord(body, 'registry', keys.custodians[i - 1]!.secret) });
    const weak = log.push({ ...body, signatures: [sign(1), sign(2)] });
    expect(brief(audit(log))).toEqual([`${weak} BAD_SIGNATURE`]);
    log.entries[weak] = { ...body, signatures: [sign(1), sign(2), sign(4)] };
    expect(audit(log)).toEqual([]);
  });

  test('a request by an investigator of another agency is UNKNOWN_INVESTIGATOR', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request({ ...w, investigator: keys.investigators['agency-y'] }, 1, T0 + 2 * DAY);
    expect(brief(audit(log))).toEqual([`${r.index} UNKNOWN_INVESTIGATOR`]);
  });

  test('a revocation signed by another court is UNAUTHORIZED_REVOCATION', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const rev = log.revoke({ ...w, court: keys.courts['court-b'] }, T0 + 2 * DAY);
    const r = log.request(w, 1, T0 + 3 * DAY);
    // An unauthorised revocation changes nothing: the request after it is fine.
    expect(brief(audit(log))).toEqual([`${rev} UNAUTHORIZED_REVOCATION`]);
    expect(r.index).toBe(rev + 1);
  });
});

describe('quorum before release (docs/PROTOCOL.md §1 goal 3)', () => {
  test('a request before t approvals is REQUEST_BEFORE_QUORUM, and so are its releases', () => {
    const log = new LogBuilder(keys);
    const w = log.warrant();
    log.approveBy(w, [1, 2], T0 + DAY);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2]);
    const findings = audit(log);
    expect(brief(findings)).toEqual([`${r.index} REQUEST_BEFORE_QUORUM`, `${r.index + 1} RELEASE_BEFORE_QUORUM`, `${r.index + 2} RELEASE_BEFORE_QUORUM`]);
    expect(findings[0]!.message).toContain('has 2 of the 3 approvals needed');
  });

  test('more than n − t denials make a quorum impossible, and the message says so', () => {
    const log = new LogBuilder(keys);
    const w = log.warrant();
    for (const i of [1, 2, 3]) log.decide(w, i, 'deny', T0 + DAY);
    const r = log.request(w, 1, T0 + 2 * DAY);
    const [f] = audit(log);
    expect(f?.code).toBe('REQUEST_BEFORE_QUORUM');
    expect(f?.index).toBe(r.index);
    expect(f?.message).toContain('3 denials make a quorum impossible');
  });

  test('a release by a custodian that denied is RELEASE_BY_DENIER', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    log.decide(w, 4, 'deny', T0 + DAY + 2 * HOUR);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2]);
    const bad = log.release(r, 4);
    expect(brief(audit(log))).toEqual([`${bad} RELEASE_BY_DENIER`]);
  });

  test('a release by a custodian that never decided is RELEASE_BY_NON_APPROVER', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    const bad = log.release(r, 5);
    expect(brief(audit(log))).toEqual([`${bad} RELEASE_BY_NON_APPROVER`]);
  });

  test('a release logged before its request is RELEASE_BEFORE_REQUEST; for no request at all, UNKNOWN_REQUEST', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    const rel = log.release(r, 1);
    // Swap: the release now comes first.
    [log.entries[r.index], log.entries[rel]] = [log.entries[rel]!, log.entries[r.index]!];
    const orphan = log.request(w, 1, T0 + 3 * DAY);
    log.entries.pop();
    const unknown = log.release(orphan, 2);
    expect(brief(audit(log))).toEqual([`${r.index} RELEASE_BEFORE_REQUEST`, `${unknown} UNKNOWN_REQUEST`]);
  });

  test('a release for a request whose warrant was never logged is UNKNOWN_WARRANT', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const ghost = { ...w, warrant: { ...w.warrant, id: '00000000-0000-4000-8000-000000000001' } };
    const r = log.request(ghost, 1, T0 + 2 * DAY);
    const rel = log.release(r, 1);
    expect(brief(audit(log))).toEqual([`${r.index} UNKNOWN_WARRANT`, `${rel} UNKNOWN_WARRANT`]);
  });

  test('a completion with fewer than t releases, or more envelopes than requested, is flagged', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 2, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2]);
    const c = log.complete(r, 2, T0 + 2 * DAY + 60, [], 1);
    expect(brief(audit(log))).toEqual([`${c} COMPLETE_MISMATCH`, `${c} COMPLETE_WITHOUT_RELEASES`]);
  });
});

describe('expiry, revocation and caps (docs/PROTOCOL.md §1 goal 7)', () => {
  test('a release after revocation is RELEASE_AFTER_REVOCATION; a request after it, REQUEST_AFTER_REVOCATION', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2]);
    log.revoke(w, T0 + 2 * DAY + 60);
    const late = log.release(r, 3);
    const r2 = log.request(w, 1, T0 + 3 * DAY);
    expect(brief(audit(log))).toEqual([`${late} RELEASE_AFTER_REVOCATION`, `${r2.index} REQUEST_AFTER_REVOCATION`]);
  });

  test('a revocation by the investigator is honoured too', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    log.revoke(w, T0 + 2 * DAY, 'investigator');
    const r = log.request(w, 1, T0 + 3 * DAY);
    expect(brief(audit(log))).toEqual([`${r.index} REQUEST_AFTER_REVOCATION`]);
  });

  test('a request at or after expiresAt is REQUEST_AFTER_EXPIRY; a release after it, RELEASE_AFTER_EXPIRY', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { expiresIn: 2 * DAY });
    const ok = log.request(w, 1, w.warrant.expiresAt - 1);
    const late = log.request(w, 1, w.warrant.expiresAt);
    const rel = log.release(ok, 1);
    expect(brief(audit(log))).toEqual([`${late.index} REQUEST_AFTER_EXPIRY`, `${rel} RELEASE_AFTER_EXPIRY`]);
  });

  test('requests that together pass maxEnvelopes are ENVELOPE_CAP_EXCEEDED at the one that crosses', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { maxEnvelopes: 5 });
    log.request(w, 3, T0 + 2 * DAY);
    log.request(w, 2, T0 + 3 * DAY);
    const over = log.request(w, 1, T0 + 4 * DAY);
    const findings = audit(log);
    expect(brief(findings)).toEqual([`${over.index} ENVELOPE_CAP_EXCEEDED`]);
    expect(findings[0]!.message).toContain('to 6 envelopes; its cap is 5');
  });
});

describe('sealed but accountable (docs/PROTOCOL.md §1 goal 6)', () => {
  test('an unsealing that does not open the commitment is UNSEAL_DOES_NOT_OPEN', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { sealedFor: 10 * DAY });
    const u = log.unseal(w, T0 + 12 * DAY, '00'.repeat(32));
    const findings = audit(log);
    // It does not count as an unsealing, so the warrant is also overdue.
    expect(brief(findings)).toEqual([`${w.index} UNSEAL_OVERDUE`, `${u} UNSEAL_DOES_NOT_OPEN`]);
  });

  test('an unsealing with a forged court signature is BAD_SIGNATURE', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { sealedFor: 10 * DAY });
    const forged = { ...w, warrant: { ...w.warrant, courtSignature: w.warrant.investigatorSignature } };
    const u = log.unseal(forged, T0 + 12 * DAY);
    expect(brief(audit(log))).toEqual([`${w.index} UNSEAL_OVERDUE`, `${u} BAD_SIGNATURE`]);
  });

  test('a warrant still sealed after sealedUntil is UNSEAL_OVERDUE, relative to the injected now', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { sealedFor: 30 * DAY });
    expect(audit(log, w.warrant.sealedUntil)).toEqual([]);
    const findings = audit(log, w.warrant.sealedUntil + 1);
    expect(brief(findings)).toEqual([`${w.index} UNSEAL_OVERDUE`]);
    log.unseal(w, w.warrant.sealedUntil + 2);
    expect(audit(log, w.warrant.sealedUntil + 3)).toEqual([]);
  });

  test('a cover sheet that misstates the warrant is COVER_SHEET_MISMATCH once unsealed', () => {
    const log = new LogBuilder(keys);
    const w = approved(log, { sealedFor: 10 * DAY });
    log.entries[w.index] = { ...w.entry, maxEnvelopes: 1000 };
    const u = log.unseal(w, T0 + 12 * DAY);
    expect(brief(audit(log))).toEqual([`${u} COVER_SHEET_MISMATCH`]);
  });
});

describe('verifiable shares (docs/PROTOCOL.md §1 goal 5)', () => {
  test('a misbehavior entry whose partial really fails DLEQ passes; one whose partial verifies is FALSE_MISBEHAVIOR', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2, 3]);
    log.misbehavior(r, 2);
    expect(audit(log)).toEqual([]);
    const lie = log.misbehavior(r, 3, true);
    const findings = audit(log);
    expect(brief(findings)).toEqual([`${lie} FALSE_MISBEHAVIOR`]);
  });

  test('a completion blaming a custodian without evidence is UNSUPPORTED_BLAME', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const r = log.request(w, 1, T0 + 2 * DAY);
    log.releaseBy(r, [1, 2, 3]);
    const c = log.complete(r, 1, T0 + 2 * DAY + 60, [4]);
    expect(brief(audit(log))).toEqual([`${c} UNSUPPORTED_BLAME`]);
  });
});

describe('form of the log', () => {
  test('junk, non-canonical JSON and unknown entry types are MALFORMED_ENTRY; a non-registry genesis is BAD_GENESIS', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const leaves = log.leaves();
    const text = new TextDecoder().decode(leaves[w.index]);
    leaves.push(new TextEncoder().encode(' ' + text)); // not canonical
    leaves.push(Uint8Array.of(0xff, 0x00)); // not UTF-8 JSON
    leaves.push(canonicalBytes({ type: 'mystery' }));
    const findings = checkLeaves(leaves, { now: NOW }).findings;
    const n = log.size;
    expect(brief(findings)).toEqual([`${n} MALFORMED_ENTRY`, `${n + 1} MALFORMED_ENTRY`, `${n + 2} MALFORMED_ENTRY`]);
    expect(brief(checkLeaves(leaves.slice(1), { now: NOW }).findings)[0]).toBe('0 BAD_GENESIS');
  });

  test('entries about warrants never logged are UNKNOWN_WARRANT; a warrant logged twice is DUPLICATE_ENTRY', () => {
    const log = new LogBuilder(keys);
    const w = approved(log);
    const ghost = { ...w, warrant: { ...w.warrant, id: '00000000-0000-4000-8000-000000000000' } };
    const a = log.decide(ghost, 4, 'approve', T0 + DAY);
    const dup = log.push(w.entry);
    const codes = brief(audit(log));
    expect(codes).toEqual([`${a} UNKNOWN_WARRANT`, `${dup} DUPLICATE_ENTRY`]);
  });

  test('pinned keys that the genesis does not name are PIN_MISMATCH', () => {
    const log = new LogBuilder(keys);
    const custodianKeys = keys.custodians.map((k) => k.public);
    const good = { format: 'custodes.pins.v1' as const, logKey: keys.log.public, custodianKeys };
    expect(checkLeaves(log.leaves(), { now: NOW, pinnedKeys: good }).findings).toEqual([]);
    const bad = { ...good, custodianKeys: [...custodianKeys.slice(1), keyPair().public] };
    const codes = new Set<FindingCode>(checkLeaves(log.leaves(), { now: NOW, pinnedKeys: bad }).findings.map((f) => f.code));
    expect([...codes]).toEqual(['PIN_MISMATCH']);
  });
});
