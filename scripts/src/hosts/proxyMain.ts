/**
 * The delay proxy as a process, run inside a host's network namespace by the
 * harness (`ip netns exec <ns> node --import tsx proxyMain.ts …`):
 *
 *   --listen <ip:port> --target <ip:port> --one-way-ms <ms>
 *
 * Control is one command per line on stdin, one JSON answer per line on
 * stdout: `cut` (everyone), `cut <ip>`, `heal`, `delay <ms>`, `stats`. The first line on
 * stdout is `{"listening":"<ip:port>"}`. It stops when stdin closes (its
 * harness went away, however it died), on SIGTERM or SIGINT.
 */
import { createInterface } from 'node:readline';
import { createDelayProxy } from './delayProxy';

function endpoint(text: string | undefined, name: string): { host: string; port: number } {
  const m = text === undefined ? null : /^([0-9.]+):([0-9]{1,5})$/.exec(text);
  if (!m) throw new Error(`${name} must be <ipv4>:<port>, got ${String(text)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const listen = endpoint(arg('--listen'), '--listen');
  const target = endpoint(arg('--target'), '--target');
  const oneWayMs = Number(arg('--one-way-ms') ?? '50');
  const proxy = createDelayProxy({ listenHost: listen.host, listenPort: listen.port, targetHost: target.host, targetPort: target.port, oneWayMs });
  const { port } = await proxy.start();
  const say = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
  say({ listening: `${listen.host}:${port}` });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void proxy.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [cmd, peer] = line.trim().split(/\s+/);
    try {
      if (cmd === 'cut') proxy.cut(peer);
      else if (cmd === 'heal') proxy.heal();
      else if (cmd === 'delay' && peer !== undefined && /^[0-9]{1,5}$/.test(peer)) proxy.setDelay(Number(peer));
      else if (cmd !== 'stats') throw new Error(`unknown command ${JSON.stringify(line.trim())} (cut [ip] | heal | delay <ms> | stats)`);
      say({ ok: true, stats: proxy.stats() });
    } catch (err) {
      say({ ok: false, error: (err as Error).message });
    }
  });
  lines.on('close', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`delay proxy: ${(err as Error).message}\n`);
  process.exit(2);
});
