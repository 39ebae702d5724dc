/**
 * The webhook outbox across runs (docs/PROTOCOL.md §9.7): an event whose
 * delivery failed waits in the database with a backoff; the next run (a new
 * sender on the same database) sends it at once, not when the backoff of the
 * run that failed would have ended.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from '@custodes/shared/service';
import { WebhookReceiver } from './webhookReceiver';

const SECRET = randomBytes(32).toString('hex');
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = new WebhookReceiver(SECRET);
  await receiver.open();
});
afterAll(() => receiver.close());

describe('WebhookSender', () => {
  it('a new run sends what an earlier run left in backoff, once', async () => {
    const db = new Database(':memory:');
    const options = { url: receiver.url, secret: SECRET, source: { service: 'test' }, retryBaseMs: 3_600_000 };
    receiver.mode = 'fail';
    const first = new WebhookSender(db, options);
    const id = first.emit('test.event', { n: 1 }, 1_800_000_000);
    await first.kick();
    expect(receiver.attempts.map((a) => a.status)).toEqual([500]);
    await first.close();
    expect(first.pending()).toBe(1); // waits, an hour's backoff ahead

    receiver.mode = 'ok';
    const second = new WebhookSender(db, options);
    await second.kick();
    expect([...receiver.events.keys()]).toEqual([id]);
    expect(second.pending()).toBe(0);
    await second.close();
    expect(receiver.duplicates).toBe(0);
    db.close();
  });
});
