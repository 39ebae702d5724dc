/**
 * The coordinator's crypto pool (services/coordinator/src/workflow/cryptoPool.ts):
 * its workers load under vitest as under the CLI (a plain .mjs worker that
 * registers tsx), and every batch gives exactly the verdicts of the in-thread
 * tasks, for good and bad envelopes and partials alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { bytesToHex, createPartial, dealShares, encodePoint, parseEnvelope, sealEnvelope, utf8, verificationShare } from '@custodes/shared/crypto';
import type { Envelope } from '@custodes/shared/crypto';
import type { PartialRecord } from '@custodes/shared/records';
import { CryptoPool } from '../../services/coordinator/src/workflow/cryptoPool';
import { runTask } from '../../services/coordinator/src/workflow/cryptoTasks';
import type { OpenTask, ScreenTask } from '../../services/coordinator/src/workflow/cryptoTasks';

const logger = pino({ level: 'silent' });
const scope = { subjects: ['alice@example.com'], categories: ['email'], notBefore: 0, notAfter: 10_000 };
const inScope = { subject: 'alice@example.com', category: 'email', time: 5000 };
const ceremony = dealShares(3, 5);
const groupKey = ceremony.commitments[0]!;
const seal = (text: string, label = inScope, epoch = 0): Envelope => sealEnvelope(utf8(text), groupKey, epoch, label);

let pool: CryptoPool;

beforeAll(async () => {
  pool = new CryptoPool({ size: 2, logger, minBatch: 4 });
});

afterAll(async () => {
  await pool.close();
});

describe('crypto pool', () => {
  it('starts its workers under vitest', async () => {
    expect(await pool.ready()).toBe(2);
  });

  it('screens a batch as screenBatch does: accepted, malformed, bad binding, out of scope, unknown epoch', async () => {
    const good = Array.from({ length: 20 }, (_, k) => seal(`message ${k}`));
    const other = seal('x');
    const items: unknown[] = [
      ...good,
      { ...good[0]!, label: { ...inScope, time: 6000 } }, // relabelled: binding fails
      seal('y', { ...inScope, subject: 'bob@example.com' }),
      seal('z', inScope, 9),
      { ...other, proof: 'zz' },
      null,
      'junk',
      42,
    ];
    const task: ScreenTask = { kind: 'screen', items, scope, epochs: [0] };
    const pooled = await pool.tryRun(task);
    expect(pooled).toEqual(runTask(task));
    expect(pooled!.slice(20).map((v) => (v.ok ? 'ok' : v.reason))).toEqual([
      'BAD_BINDING',
      'OUT_OF_SCOPE',
      'UNKNOWN_EPOCH',
      'MALFORMED',
      'MALFORMED',
      'MALFORMED',
      'MALFORMED',
    ]);
    expect(pooled!.slice(0, 20).every((v) => v.ok)).toBe(true);
  });

  it('combines a batch as openBatch does, blaming a bad partial and failing short ones', async () => {
    const X = new Map([1, 2, 3, 4, 5].map((i) => [i, verificationShare(ceremony.commitments, i)]));
    const keys = [{ epoch: 0, threshold: 3, shares: [...X].map(([i, P]): [number, string] => [i, bytesToHex(encodePoint(P))]) }];
    const envs = Array.from({ length: 12 }, (_, k) => parseEnvelope(seal(`secret ${k}`)));
    const items = envs.map((env, k) => {
      const partials = [1, 2, 3, 4].map((i): [number, PartialRecord] => [i, createPartial(ceremony.shares[i - 1]! + (k % 3 === 0 && i === 2 ? 1n : 0n), i, env)]);
      return { envelope: env.envelope, partials: k === 5 ? partials.slice(0, 2) : partials, order: [2, 1, 3, 4] };
    });
    const task: OpenTask = { kind: 'open', keys, items };
    const pooled = await pool.tryRun(task);
    expect(pooled).toEqual(runTask(task));
    expect(pooled!.map((v) => v.failure)).toEqual(envs.map((_, k) => (k === 5 ? 'NOT_ENOUGH_PARTIALS' : null)));
    expect(pooled!.map((v) => v.blamed)).toEqual(envs.map((_, k) => (k % 3 === 0 ? [2] : [])));
    expect(pooled!.filter((v) => v.plaintext).map((v) => Buffer.from(v.plaintext!).toString())).toEqual(
      envs.map((_, k) => `secret ${k}`).filter((_, k) => k !== 5),
    );
  });

  it('leaves small batches to the caller, and everything once closed', async () => {
    const task: ScreenTask = { kind: 'screen', items: [seal('a')], scope, epochs: [0] };
    expect(await pool.tryRun(task)).toBeNull();
    const closed = new CryptoPool({ size: 1, logger, minBatch: 1 });
    await closed.close();
    expect(await closed.tryRun(task)).toBeNull();
    expect(await closed.ready()).toBe(0);
  });

  it('rejects a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, NaN]) expect(() => new CryptoPool({ size, logger })).toThrow(new RangeError('size must be a positive integer'));
  });
});
