/**
 * Retiring an epoch as the auditor sees it (docs/PROTOCOL.md §3.10, §8.8): a
 * log whose epoch retires, with every custodian's statement, is clean and its
 * report shows the retirements; each broken rule injected into such a log
 * has its own code at the entry at fault.
 */
import { describe, expect, test } from 'vitest';
import { buildReport, checkLeaves, renderReportHtml } from '@custodes/auditor';
import type { Finding } from '@custodes/auditor';
import { signRecord } from '@custodes/shared/records';
import type { RegistryEntry, RetiredEntry } from '@custodes/shared/records';
import { DAY, HOUR, keyPair, LogBuilder, makeKeys, T0 } from './scenario';
import type { Keys } from './scenario';

const keys = makeKeys();
/** Epoch 1's retention period ends 60 days after T0. */
const RETIRE_AFTER = T0 + 60 * DAY;
const NOW = T0 + 90 * DAY;

/** The builder's genesis with epoch 1 retiring at `retireAfter`, signed again by every custodian. */
function retiringGenesis(k: Keys, retireAfter: number): RegistryEntry {
  const plain = new LogBuilder(k).genesis(T0);
  const body: RegistryEntry = { ...plain, epochs: plain.epochs.map((e) => ({ ...e, retireAfter })), signatures: [] };
  return { ...body, signatures: k.custodians.map((c, i) => ({ custodian: i + 1, signature: signRecord(body, 'registry', c.secret) })) };
}

function retired(k: Keys, custodian: number, time: number, epoch = 1, signer?: Uint8Array): RetiredEntry {
  const body = { type: 'retired' as const, epoch, custodian, time };
  return { ...body, signature: signRecord(body, 'retired', signer ?? k.custodians[custodian - 1]!.secret) };
}

/** A warrant served before the retirement, then every custodian's statement. */
function retiredLog(retiring: readonly number[] = [1, 2, 3, 4, 5]): LogBuilder {
  const log = new LogBuilder(keys, T0, retiringGenesis(keys, RETIRE_AFTER));
  const w = log.warrant();
  log.approveBy(w, [1, 2, 3], T0 + DAY + HOUR);
  const r = log.request(w, 2, T0 + 2 * DAY);
  log.releaseBy(r, [1, 2, 3]);
  log.complete(r, 2, T0 + 2 * DAY + 60);
  for (const i of retiring) log.push(retired(keys, i, RETIRE_AFTER + i * 60));
  return log;
}

const brief = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.index} ${f.code}`);
const audit = (log: LogBuilder, now = NOW, retirementGraceSeconds?: number) =>
  checkLeaves(log.leaves(), { now, ...(retirementGraceSeconds === undefined ? {} : { retirementGraceSeconds }) });

describe('a log whose epoch retires', () => {
  test('is clean when every custodian logged its statement, and the report shows the date and each retirement', () => {
    const log = retiredLog();
    const { findings, state } = audit(log);
    expect(findings).toEqual([]);
    const report = buildReport({ audit: state, leaves: log.leaves(), findings, checkpointAccepted: true });
    expect(report.keyGeneration.epochs).toHaveLength(1);
    expect(report.keyGeneration.epochs[0]).toMatchObject({ epoch: 1, origin: 'dealer', retireAfter: RETIRE_AFTER });
    expect(report.keyGeneration.epochs[0]!.retirements).toEqual([1, 2, 3, 4, 5].map((i) => ({ custodian: i, index: 9 + i, time: RETIRE_AFTER + i * 60 })));
    expect(renderReportHtml(report)).toContain('2026-03-02; 5 of 5 retired');
  });

  test('RETIREMENT_MISSING: a custodian without a statement once retireAfter + grace has passed (default grace one day)', () => {
    const log = retiredLog([1, 2, 3, 4]);
    expect(brief(audit(log).findings)).toEqual(['0 RETIREMENT_MISSING']);
    expect(audit(log).findings[0]!.message).toContain('custodian 5');
    // Within the grace period nothing is missing yet; a shorter grace given to the auditor finds it sooner.
    expect(audit(log, RETIRE_AFTER + DAY - 1).findings).toEqual([]);
    expect(brief(audit(log, RETIRE_AFTER + 10, 5).findings)).toEqual(['0 RETIREMENT_MISSING']);
    expect(audit(log, RETIRE_AFTER - 1, 0).findings).toEqual([]);
  });

  test('BAD_RETIREMENT: a forged signature, a statement dated before retireAfter, a non-custodian, an epoch that does not retire', () => {
    const cases: [string, RetiredEntry, LogBuilder][] = [
      ['forged', retired(keys, 5, RETIRE_AFTER + HOUR, 1, keyPair().secret), retiredLog([1, 2, 3, 4])],
      ['early', retired(keys, 5, RETIRE_AFTER - 1), retiredLog([1, 2, 3, 4])],
      ['stranger', retired(keys, 6, RETIRE_AFTER + HOUR, 1, keyPair().secret), retiredLog()],
      ['unknown epoch', retired(keys, 5, RETIRE_AFTER + HOUR, 2), retiredLog([1, 2, 3, 4])],
    ];
    for (const [name, entry, log] of cases) {
      const at = log.push(entry);
      const codes = brief(audit(log).findings);
      expect(codes, name).toContain(`${at} BAD_RETIREMENT`);
      // A bad statement proves nothing: custodian 5 is still missing.
      if (entry.custodian === 5) expect(codes, name).toContain('0 RETIREMENT_MISSING');
    }
    // An epoch without retireAfter is not to be retired: a statement for it is refused too.
    const plain = new LogBuilder(keys);
    const at = plain.push(retired(keys, 1, RETIRE_AFTER));
    expect(brief(audit(plain).findings)).toEqual([`${at} BAD_RETIREMENT`]);
  });

  test('DUPLICATE_ENTRY: a second statement by the same custodian for the same epoch', () => {
    const log = retiredLog();
    const at = log.push(retired(keys, 3, RETIRE_AFTER + DAY));
    expect(brief(audit(log).findings)).toEqual([`${at} DUPLICATE_ENTRY`]);
  });

  test('RELEASE_AFTER_RETIREMENT: a release logged once the log clock reached retireAfter, or after the custodian said it destroyed its share', () => {
    // The request is dated after the epoch retired (the coordinator should have refused it: EPOCH_RETIRED).
    const late = new LogBuilder(keys, T0, retiringGenesis(keys, RETIRE_AFTER));
    const w = late.warrant({ issuedAt: RETIRE_AFTER - DAY });
    late.approveBy(w, [1, 2, 3], RETIRE_AFTER - DAY + HOUR);
    const r = late.request(w, 1, RETIRE_AFTER + HOUR);
    const released = late.release(r, 2);
    for (const i of [1, 2, 3, 4, 5]) late.push(retired(keys, i, RETIRE_AFTER + 2 * HOUR));
    expect(brief(audit(late).findings)).toEqual([`${released} RELEASE_AFTER_RETIREMENT`]);

    // Custodian 2 states its retirement, then a release of its for a request logged before the date.
    const own = retiredLog([1, 3, 4, 5]);
    const w2 = own.warrant({ issuedAt: RETIRE_AFTER - 2 * DAY });
    own.approveBy(w2, [1, 2, 3], RETIRE_AFTER - 2 * DAY + HOUR);
    const r2 = own.request(w2, 1, RETIRE_AFTER - DAY);
    own.push(retired(keys, 2, RETIRE_AFTER + HOUR));
    const after = own.release(r2, 2);
    const findings = audit(own).findings;
    expect(brief(findings)).toEqual([`${after} RELEASE_AFTER_RETIREMENT`]);
    expect(findings[0]!.message).toContain('after stating');
  });
});
