/**
 * CLI output a person reads (issue #21): a progress bar's last line once,
 * refusals grouped by reason with the field outside the scope, a results hint
 * with every flag needed, every page of `npm start` with its URL. Each test
 * fails on the code before #21.
 */
import { describe, expect, it } from 'vitest';
import { isoTime, parseTimeText } from '@custodes/shared/records';
import { resultsCommand } from '../../scripts/src/commands/investigator';
import { pageLines } from '../../scripts/src/cluster/pages';
import { progressBar } from '../../scripts/src/progress';
import { refusalLines } from '../../scripts/src/refusals';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, write: (s: string) => writes.push(s) }, writes };
}

describe('progress bar', () => {
  it('draws the final count once, as its own line, however often the total is reached (not a TTY)', () => {
    const { out, writes } = sink(false);
    const bar = progressBar('decrypting', 8, out);
    for (const done of [0, 2, 4, 6, 8, 8]) bar.update(done);
    bar.finish();
    bar.finish();
    expect(writes.filter((w) => w.includes('8/8'))).toEqual(['decrypting: 8/8 (100%)\n']);
    expect(writes.join('')).toBe('decrypting: 2/8 (25%)\ndecrypting: 4/8 (50%)\ndecrypting: 6/8 (75%)\ndecrypting: 8/8 (100%)\n');
  });

  it('on a terminal, redraws in place and ends with one clean line', () => {
    const { out, writes } = sink(true);
    const bar = progressBar('uploading', 2, out);
    bar.update(1);
    bar.update(2);
    bar.finish();
    expect(writes.filter((w) => w.includes('2/2'))).toHaveLength(1);
    expect(writes.at(-1)).toMatch(/^\ruploading \[#{30}\] 2\/2 100%\x1b\[K\n$/);
  });
});

describe('refusals', () => {
  const scope = { subjects: ['acct:a'], categories: ['messages'], notBefore: 1000, notAfter: 2000 };
  const refused = [
    { at: 2, file: 'e2.json', reason: 'OUT_OF_SCOPE', label: { subject: 'acct:b', category: 'messages', time: 1500 } },
    { at: 0, file: 'e0.json', reason: 'OUT_OF_SCOPE', label: { subject: 'acct:a', category: 'messages', time: 5000 } },
    { at: 1, file: 'e1.json', reason: 'OUT_OF_SCOPE', label: { subject: 'acct:c', category: 'messages', time: 1200 } },
    { at: 3, file: 'e3.json', reason: 'MALFORMED' },
  ];

  it('are grouped by reason, naming the field outside the scope, most frequent first', () => {
    expect(refusalLines(refused, scope, false)).toEqual([
      'refused 2 envelopes: OUT_OF_SCOPE (subject)',
      'refused 1 envelope: OUT_OF_SCOPE (time)',
      'refused 1 envelope: MALFORMED',
      '(--verbose lists each envelope)',
    ]);
  });

  it('list each envelope, in command-line order, under --verbose', () => {
    const lines = refusalLines(refused, scope, true);
    expect(lines.slice(0, 4)).toEqual([
      `refused e0.json: OUT_OF_SCOPE (time) [acct:a, messages, ${isoTime(5000)}]`,
      `refused e1.json: OUT_OF_SCOPE (subject) [acct:c, messages, ${isoTime(1200)}]`,
      `refused e2.json: OUT_OF_SCOPE (subject) [acct:b, messages, ${isoTime(1500)}]`,
      'refused e3.json: MALFORMED',
    ]);
  });

  it('without the warrant, say how to learn the field', () => {
    expect(refusalLines(refused.slice(0, 1), null, false)).toEqual(['refused 1 envelope: OUT_OF_SCOPE', '(--verbose lists each envelope; --package <file> names the field outside the scope)']);
  });
});

describe('hints and pages', () => {
  it('the results hint carries the coordinator, the token file and the key', () => {
    expect(resultsCommand('r-1', { coordinator: 'http://c', tokenFile: 't.token', key: 'i.key' })).toBe(
      'custodes investigator results r-1 --coordinator http://c --token-file t.token --key i.key --out <dir>',
    );
    // A token given inline is never printed back.
    expect(resultsCommand('r-1', { coordinator: 'http://c', key: 'i.key' })).not.toMatch(/--token/);
  });

  it('npm start lists the explorer, the report and every console', () => {
    const text = pageLines('http://127.0.0.1:8600', ['http://127.0.0.1:8601', 'http://127.0.0.1:8602']).join('\n');
    expect(text).toContain('http://127.0.0.1:8600/explorer/');
    expect(text).toContain('http://127.0.0.1:8600/report/');
    expect(text).toContain('http://127.0.0.1:8601/console/');
    expect(text).toContain('http://127.0.0.1:8602/console/');
  });

  it('times are read in ISO 8601 (or Unix seconds) and printed in ISO 8601', () => {
    expect(parseTimeText('2027-06-01')).toBe(1811808000);
    expect(parseTimeText('2027-06-01T02:00:00+02:00')).toBe(1811808000);
    expect(parseTimeText('1811808000')).toBe(1811808000);
    for (const bad of ['', 'yesterday', '2027-13-45', '2027-06-01 00:00', '-5', '1e9']) expect(parseTimeText(bad)).toBeNull();
    expect(isoTime(1811808000)).toBe('2027-06-01T00:00:00Z');
    expect(() => isoTime(Number.NaN)).toThrow(TypeError);
  });
});
