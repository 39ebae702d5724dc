/**
 * Debian's nginx serving a mirror directory as plain static files (docs/PROTOCOL.md
 * §9.9), for tests: its own nginx.conf, pid, logs and temp paths under a temp
 * directory, `daemon off`, on a free port chosen by binding port 0, killed
 * after. Under CI=true a missing nginx fails the tests (.ci/run installs it);
 * elsewhere they are skipped with the reason in their names and a loud warning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_PATH = process.env.CUSTODES_NGINX ?? '/usr/sbin/nginx';
export const HAVE_NGINX = existsSync(NGINX_PATH);
const IN_CI = process.env.CI === 'true';

/** True when the nginx tests must be skipped (no nginx, not in CI). */
export const SKIP_NGINX = !HAVE_NGINX && !IN_CI;
/** Appended to test names so a skip says why. */
export const NGINX_SKIP_REASON = SKIP_NGINX ? ` [SKIPPED: no nginx at ${NGINX_PATH}; apt-get install -y nginx]` : '';

if (SKIP_NGINX) {
  console.warn(
    `\n!!! ${'='.repeat(70)}\n!!! nginx mirror tests SKIPPED: nginx is not installed at ${NGINX_PATH}.\n` +
      `!!! Install it with: apt-get update && apt-get install -y nginx\n` +
      `!!! (under CI=true these tests fail instead of skipping)\n!!! ${'='.repeat(70)}\n`,
  );
}

export interface Nginx {
  readonly url: string;
  /** SIGTERM, then wait for the master to exit; removes its directory. */
  close(): Promise<void>;
}

/** A port that was free a moment ago: bind port 0, read it, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** docs/PROTOCOL.md §9.9: the explorer's pages next to the mirror, same origin, with the coordinator's page CSP. */
function explorerLocations(publicDir: string, csp: string): string {
  const headers = `add_header Content-Security-Policy "${csp}"; add_header X-Content-Type-Options nosniff;`;
  return `location /explorer/lib/ { alias ${join(publicDir, 'lib')}/; ${headers} }
    location /explorer/ { alias ${join(publicDir, 'explorer')}/; ${headers} }`;
}

function config(dir: string, root: string, port: number, explorer?: { publicDir: string; csp: string }): string {
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 64; }
http {
  access_log ${join(dir, 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  default_type application/octet-stream;
  types { text/html html; text/javascript js; text/css css; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    # C2SP tlog-tiles: the checkpoint changes, tiles never do.
    location = /checkpoint { default_type "text/plain; charset=utf-8"; add_header Cache-Control "no-cache"; }
    location /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    location ~ /\\. { deny all; }
    location = /service.lock { deny all; }
    ${explorer ? explorerLocations(explorer.publicDir, explorer.csp) : ''}
  }
}
`;
}

async function waitUntilServing(url: string, child: ChildProcess, errorLog: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8').trim().split('\n').at(-1) : ''}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nginx did not start serving ${url}`);
}

/**
 * Starts nginx serving `root` (made world-readable: workers may run as another
 * user); with `explorer`, also the explorer's pages at /explorer/.
 */
export async function startNginx(root: string, explorer?: { publicDir: string; csp: string }): Promise<Nginx> {
  if (!HAVE_NGINX) throw new Error(`nginx not found at ${NGINX_PATH}; CI=true requires it (apt-get update && apt-get install -y nginx)`);
  chmodSync(root, 0o755);
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'custodes-nginx-'));
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'temp', t), { recursive: true });
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), config(dir, root, port, explorer));
    const errorLog = join(dir, 'error.log');
    const child = spawn(NGINX_PATH, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(url, child, errorLog);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      // Another process took the port between our probe and nginx's bind: pick another.
      if (attempt < 3 && /Address already in use/.test((err as Error).message)) continue;
      throw err;
    }
    return {
      url,
      close: async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
