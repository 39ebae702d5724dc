/**
 * The foundation CLI end to end: ceremony, keygen, envelope seal / partial /
 * verify-partial / combine, and their refusals (one line on stderr, non-zero exit).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, ed25519PublicKey, hexToBytes, schnorrPublicKey } from '@custodes/shared/crypto';
import { KeyFileSchema, PublicKeySetSchema, ShareFileSchema, parseShareFile } from '@custodes/shared/records';
import { custodes } from './run';

const oneLineError = (stderr: string) => {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/); // no stack frames
};

describe('custodes ceremony / keygen', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-cli-'));
  const keys = join(dir, 'keys');

  beforeAll(() => {
    const r = custodes(['ceremony', '--threshold', '3', '--custodians', '5', '--epoch', '7', '--out', keys]);
    expect(r.status).toBe(0);
  }, 240_000);

  it('writes public.json and share files (0600) in the formats of §3.1', () => {
    const pub = PublicKeySetSchema.parse(JSON.parse(readFileSync(join(keys, 'public.json'), 'utf8')));
    expect(pub).toMatchObject({ epoch: 7, threshold: 3, total: 5 });
    for (let i = 1; i <= 5; i++) {
      const file = join(keys, `share-${i}.json`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const share = ShareFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      expect(parseShareFile(share).index).toBe(i);
      expect(share.groupKey).toBe(pub.groupKey);
    }
  });

  it.each([
    [['--threshold', '2', '--custodians', '4'], /more than half/],
    [['--threshold', '3', '--custodians', '6'], /more than half/],
    [['--threshold', '200', '--custodians', '256'], /at most 255|\[1, 255\]/],
    [['--threshold', '6', '--custodians', '5'], /exceeds total/],
    [['--threshold', 'x', '--custodians', '5'], /must be an integer/],
  ])('refuses %j', (args, message) => {
    const r = custodes(['ceremony', ...args, '--epoch', '1', '--out', join(dir, 'never')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    oneLineError(r.stderr);
  });

  it('refuses an existing non-empty output directory', () => {
    const r = custodes(['ceremony', '--threshold', '3', '--custodians', '5', '--epoch', '1', '--out', keys]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not empty/);
    oneLineError(r.stderr);
  });

  it('keygen writes a key file (0600): a BIP340 pair and an Ed25519 pair whose public keys match, printed in that order', () => {
    const file = join(dir, 'k.json');
    const r = custodes(['keygen', '--out', file]);
    expect(r.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = KeyFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(bytesToHex(schnorrPublicKey(hexToBytes(key.secretKey)))).toBe(key.publicKey);
    expect(bytesToHex(ed25519PublicKey(hexToBytes(key.noteSecretKey!)))).toBe(key.notePublicKey);
    expect(key.noteSecretKey).not.toBe(key.secretKey);
    expect(r.stdout).toBe(`${key.publicKey}\n${key.notePublicKey}\n`);
    const again = custodes(['keygen', '--out', file]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });
});

describe('custodes envelope', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-env-'));
  const keys = join(dir, 'keys');
  const env = join(dir, 'env.json');
  const plaintext = Buffer.from([0, 1, 2, 250, 255, ...Buffer.from(' binary-safe plaintext')]);

  beforeAll(() => {
    expect(custodes(['ceremony', '--threshold', '3', '--custodians', '5', '--epoch', '1', '--out', keys]).status).toBe(0);
    const seal = custodes(
      ['envelope', 'seal', '--public', join(keys, 'public.json'), '--label', '{"subject":"acct:bob","category":"messages","time":1764115200}'],
      { input: plaintext },
    );
    expect(seal.status).toBe(0);
    writeFileSync(env, seal.stdout);
    for (const i of [1, 2, 3, 4]) {
      const p = custodes(['envelope', 'partial', '--share', join(keys, `share-${i}.json`), '--in', env, '--out', join(dir, `p${i}.json`)]);
      expect(p.status).toBe(0);
    }
  }, 240_000);

  it('seals from stdin to stdout as envelope JSON of §3.2', () => {
    const e = JSON.parse(readFileSync(env, 'utf8'));
    expect(e).toMatchObject({ format: 'custodes.envelope.v1', epoch: 1, label: { subject: 'acct:bob' } });
  });

  it('verify-partial exits 0 for a valid partial and 1 for a tampered one', () => {
    const ok = custodes(['envelope', 'verify-partial', '--public', join(keys, 'public.json'), '--in', env, '--partial', join(dir, 'p1.json')]);
    expect(ok.status).toBe(0);
    const p = JSON.parse(readFileSync(join(dir, 'p2.json'), 'utf8'));
    p.c = (p.c[0] === 'a' ? 'b' : 'a') + p.c.slice(1);
    writeFileSync(join(dir, 'p2-bad.json'), JSON.stringify(p));
    const bad = custodes(['envelope', 'verify-partial', '--public', join(keys, 'public.json'), '--in', env, '--partial', join(dir, 'p2-bad.json')]);
    expect(bad.status).toBe(1);
    oneLineError(bad.stderr);
  });

  it('combine with any 3 partials gives back the exact bytes', () => {
    for (const set of [[1, 2, 3], [2, 3, 4], [4, 1, 3]]) {
      const r = custodes(['envelope', 'combine', '--public', join(keys, 'public.json'), '--in', env, '--partials', ...set.map((i) => join(dir, `p${i}.json`))]);
      expect(r.status).toBe(0);
      expect(Buffer.compare(r.stdoutBytes, plaintext)).toBe(0);
    }
  });

  it('combine refuses two partials, a duplicate index and a bad proof, naming the custodian', () => {
    const pub = join(keys, 'public.json');
    const two = custodes(['envelope', 'combine', '--public', pub, '--in', env, '--partials', join(dir, 'p1.json'), join(dir, 'p2.json')]);
    expect(two.status).toBe(1);
    expect(two.stderr).toMatch(/need 3 valid partials, have 2/);
    const dup = custodes(['envelope', 'combine', '--public', pub, '--in', env, '--partials', join(dir, 'p1.json'), join(dir, 'p1.json'), join(dir, 'p3.json')]);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/custodian 1 appears more than once/);
    const bad = custodes(['envelope', 'combine', '--public', pub, '--in', env, '--partials', join(dir, 'p1.json'), join(dir, 'p2-bad.json'), join(dir, 'p3.json')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/custodian 2 has a bad DLEQ proof/);
    for (const r of [two, dup, bad]) oneLineError(r.stderr);
  });

  it('partial refuses a relabelled envelope (binding proof fails)', () => {
    const e = JSON.parse(readFileSync(env, 'utf8'));
    e.label.subject = 'acct:mallory';
    writeFileSync(join(dir, 'relabelled.json'), JSON.stringify(e));
    const r = custodes(['envelope', 'partial', '--share', join(keys, 'share-1.json'), '--in', join(dir, 'relabelled.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/binding proof/);
    oneLineError(r.stderr);
  });

  it('junk inputs give one-line errors, never a stack trace', () => {
    mkdirSync(join(dir, 'junk'), { recursive: true });
    writeFileSync(join(dir, 'junk', 'notjson'), '{not json');
    writeFileSync(join(dir, 'junk', 'wrong.json'), '{"format":"custodes.public.v1"}');
    const pub = join(keys, 'public.json');
    const cases = [
      ['envelope', 'seal', '--public', join(dir, 'junk', 'notjson'), '--label', '{}'],
      ['envelope', 'seal', '--public', join(dir, 'junk', 'wrong.json'), '--label', '{}'],
      ['envelope', 'seal', '--public', pub, '--label', 'nope'],
      ['envelope', 'seal', '--public', pub, '--label', '{"subject":"","category":"x","time":1}'],
      ['envelope', 'seal', '--public', pub, '--label', '{"subject":"a","category":"UPPER","time":1}'],
      ['envelope', 'seal', '--public', pub, '--label', '{"subject":"a","category":"x","time":1.5}'],
      ['envelope', 'partial', '--share', join(dir, 'missing.json'), '--in', env],
      ['envelope', 'partial', '--share', pub, '--in', env],
      ['envelope', 'combine', '--public', pub, '--in', join(dir, 'junk', 'notjson'), '--partials', join(dir, 'p1.json')],
      ['envelope', 'verify-partial', '--public', pub, '--in', env, '--partial', join(dir, 'junk', 'wrong.json')],
    ];
    for (const args of cases) {
      const r = custodes(args, { input: 'x' });
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/^custodes: /);
      oneLineError(r.stderr);
    }
  });

  it('demo narrates a 3-of-5 opening and the refusal with two partials', () => {
    const r = custodes(['demo']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/plaintext: "meet at the usual place, 9pm" \(from custodians 1, 3, 5\)/);
    expect(r.stdout).toMatch(/refused as expected: need 3 valid partials, have 2/);
  });

  it('--help works on every command', () => {
    for (const args of [[], ['demo'], ['ceremony'], ['keygen'], ['envelope'], ['envelope', 'seal'], ['envelope', 'partial'], ['envelope', 'verify-partial'], ['envelope', 'combine']]) {
      const r = custodes([...args, '--help']);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: custodes/);
    }
  });
});
