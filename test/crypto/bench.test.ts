/**
 * The crypto bench still runs and prints its table (smallest settings). Its
 * figures are reported, never judged: nothing here looks at a duration.
 */
import { describe, expect, it } from 'vitest';
import { measureCryptoBench } from '../../scripts/src/bench/crypto';

describe('scripts/src/bench/crypto.ts', () => {
  it('measures every operation against the baseline multiplication and prints one row each', async () => {
    const lines: string[] = [];
    const rows = await measureCryptoBench({ iterations: 1, batches: 1, write: (l) => lines.push(l) });
    expect(rows.map((r) => r.operation.split(' (')[0])).toEqual([
      'baseline: Point.multiply',
      'seal',
      'binding check',
      'partial with DLEQ proof',
      'verify partial',
      'combine t=3, fast path',
    ]);
    expect(rows[0]!.ratio).toBe(1);
    for (const r of rows) expect(Number.isFinite(r.ratio)).toBe(true);
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[1]).toMatch(/^operation\s+µs\/op\s+ratio$/);
    for (const [k, r] of rows.entries()) expect(lines[k + 2]).toMatch(new RegExp(`^${r.operation.replace(/[()§.+×]/g, '\\$&')}\\s+\\d+\\s+\\d+\\.\\d\\d×$`));
    await expect(measureCryptoBench({ iterations: 0 })).rejects.toThrow(RangeError);
  });
});
