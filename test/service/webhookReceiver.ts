/**
 * A webhook receiver for tests (docs/PROTOCOL.md §9.7): verifies every
 * signature with `verifyWebhook`, keeps each accepted event id once, and can
 * be told to fail: answer 500, or be closed (connections refused) and opened
 * again on the same port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@custodes/shared/service';
import type { WebhookEvent } from '@custodes/shared/service';

export class WebhookReceiver {
  /** Accepted events by id, each once. */
  readonly events = new Map<string, WebhookEvent>();
  /** Every attempt: event id (from the header) and the status answered. */
  readonly attempts: { id: string; status: number }[] = [];
  /** Attempts whose signature did not verify (must stay 0 in an honest run). */
  badSignatures = 0;
  /** Accepted deliveries of an id seen before (at-least-once: allowed, but counted). */
  duplicates = 0;
  mode: 'ok' | 'fail' = 'ok';
  port = 0;
  #server: Server | null = null;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async open(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req).then((status) => res.writeHead(status).end()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused until `open()`. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const verdict = verifyWebhook(this.secret, req.headers, body);
    const id = String(req.headers['custodes-webhook-id'] ?? '');
    const status = !verdict.ok ? 401 : this.mode === 'fail' ? 500 : 200;
    this.attempts.push({ id, status });
    if (!verdict.ok) {
      this.badSignatures++;
      return status;
    }
    if (status === 200) {
      const event = JSON.parse(body.toString('utf8')) as WebhookEvent;
      if (event.id !== id) throw new Error('the body id is not the header id');
      if (this.events.has(id)) this.duplicates++;
      else this.events.set(id, event);
    }
    return status;
  }
}
