/**
 * Crash chaos (scripts/src/chaos) at a small N: the cluster as separate
 * processes, SIGKILLs of the coordinator and custodians under a stream of
 * warrants and requests, and spells of a full disk at random processes;
 * every request completes, nothing acknowledged is lost, nothing is logged
 * twice, no process dies by itself, and the auditor verifies the log clean.
 */
import { describe, expect, it } from 'vitest';
import { chaosPassed, formatChaosReport, runChaos } from '../../scripts/src/chaos/chaos';

describe('chaos', { timeout: 300_000 }, () => {
  it('5 SIGKILLs with restarts: every request completes, nothing lost or duplicated, the log audits clean', async () => {
    const report = await runChaos({ kills: 5, minutes: 4, parallel: 2, envelopes: 2 });
    const text = formatChaosReport(report);
    expect(report.kills, text).toBe(5);
    expect(report.jobs.failed, text).toEqual([]);
    expect(report.jobs.completed, text).toBe(report.jobs.started);
    expect(report.jobs.completed, text).toBeGreaterThan(0);
    expect(report.lost, text).toEqual([]);
    expect(report.integrity, text).toEqual([]);
    expect(report.findings, text).toEqual([]);
    expect(report.crashed, text).toEqual([]);
    expect(chaosPassed(report), text).toBe(true);
  });

  it('4 spells of a full disk and a SIGKILL: the same, with every process still running', async () => {
    const report = await runChaos({ kills: 1, fullDisks: 4, capMb: 12, minutes: 4, parallel: 2, envelopes: 2 });
    const text = formatChaosReport(report);
    expect(report.fullDisks, text).toBe(4);
    expect(report.kills, text).toBe(1);
    expect(report.jobs.failed, text).toEqual([]);
    expect(report.jobs.completed, text).toBe(report.jobs.started);
    expect(report.lost, text).toEqual([]);
    expect(report.integrity, text).toEqual([]);
    expect(report.findings, text).toEqual([]);
    expect(report.crashed, text).toEqual([]);
    expect(chaosPassed(report), text).toBe(true);
  });
});
