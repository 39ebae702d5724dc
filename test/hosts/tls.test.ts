/**
 * Services serving TLS themselves (`--tls-cert/--tls-key`;
 * shared/src/service/http.ts `loadTls`, `listen`): a certificate made at test
 * time, checked by a client that trusts it; files that do not load, or a key
 * that is not the certificate's, refused with BAD_TLS before anything listens.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeServer, jsonApp, listen, loadTls } from '@custodes/shared/service';
import { tlsFiles } from '../../scripts/src/serve';

const dir = mkdtempSync(join(tmpdir(), 'custodes-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile };
}

describe('a service serving https', () => {
  it('answers over TLS with its certificate', async () => {
    const files = selfSigned('good');
    const app = jsonApp();
    app.get('/health', (_req, res) => void res.json({ ok: true }));
    const { server, port } = await listen(app, 0, '127.0.0.1', { tls: loadTls(files) });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/health', ca: readFileSync(files.certFile) }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString('utf8')));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body)).toEqual({ ok: true });
    } finally {
      await closeServer(server);
    }
  });

  it('refuses files that do not load, and a key that is not the certificate’s, with BAD_TLS', () => {
    const a = selfSigned('a');
    const b = selfSigned('b');
    expect(() => loadTls({ certFile: join(dir, 'absent.pem'), keyFile: a.keyFile })).toThrow(expect.objectContaining({ code: 'BAD_TLS', message: expect.stringContaining('ENOENT') }));
    expect(() => loadTls({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(expect.objectContaining({ code: 'BAD_TLS' }));
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => loadTls({ certFile: junk, keyFile: a.keyFile })).toThrow(expect.objectContaining({ code: 'BAD_TLS' }));
    expect(() => loadTls({ certFile: '', keyFile: a.keyFile })).toThrow(TypeError);
  });

  it('never puts the key bytes in an error', () => {
    const a = selfSigned('secret');
    const b = selfSigned('other');
    const key = readFileSync(a.keyFile, 'utf8');
    try {
      loadTls({ certFile: b.certFile, keyFile: a.keyFile });
      expect.unreachable();
    } catch (err) {
      const body = key.split('\n')[1]!;
      expect((err as Error).message).not.toContain(body);
    }
  });

  it('takes --tls-cert and --tls-key together or not at all', () => {
    expect(tlsFiles({})).toBeUndefined();
    expect(tlsFiles({ tlsCert: 'c.pem', tlsKey: 'k.pem' })).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(() => tlsFiles({ tlsCert: 'c.pem' })).toThrow('--tls-cert and --tls-key go together');
    expect(() => tlsFiles({ tlsKey: 'k.pem' })).toThrow('--tls-cert and --tls-key go together');
  });
});
