/**
 * Plain http only on loopback (shared/src/service/transport.ts; docs/PROTOCOL.md §9.8,
 * Running a node behind TLS): the shared client refuses an http URL to another
 * host with INSECURE_TRANSPORT before any connection, unless `insecureHttp`;
 * the coordinator refuses to be created with such a custodian URL and a
 * custodian with such a coordinator URL, unless `insecureHttp`. No test here
 * connects anywhere but loopback: http.request is watched (and stubbed where a
 * call is allowed to a remote address).
 */
import http from 'node:http';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createCoordinator, initCoordinator } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import { checkTransport, isLoopbackHost, jsonApp, listen, closeServer, requestJson } from '@custodes/shared/service';
import { buildWorld, keyFile, removeTempDirs, tempDir } from '../custodian/fixture';

const REMOTE = 'http://10.1.2.3:1';
const world = buildWorld();

afterEach(() => vi.restoreAllMocks());
afterAll(removeTempDirs);

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code?: string; status?: number; message?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as { code?: string; status?: number; message?: string };
  }
  throw new Error('not refused');
}

describe('the shared client', () => {
  it('refuses plain http to a non-loopback host before connecting, and is not retried', async () => {
    const request = vi.spyOn(http, 'request');
    const err = await refusal(requestJson(`${REMOTE}/health`, { retries: 3 }));
    expect(err.code).toBe('INSECURE_TRANSPORT');
    expect(err.status).toBe(400);
    expect(request).not.toHaveBeenCalled();
    for (const url of ['http://example.org/x', 'http://[2001:db8::1]:8/', 'http://192.168.0.1/', 'http://127.0.0.1.nip.io/']) {
      expect((await refusal(requestJson(url))).code, url).toBe('INSECURE_TRANSPORT');
    }
    expect(request).not.toHaveBeenCalled();
  });

  it('lets it through with insecureHttp (the request reaches http.request; stubbed, nothing leaves the machine)', async () => {
    const request = vi.spyOn(http, 'request').mockImplementation(() => {
      throw Object.assign(new Error('stubbed'), { code: 'STUBBED' });
    });
    const err = await refusal(requestJson(`${REMOTE}/health`, { insecureHttp: true }));
    expect(err.code).toBe('STUBBED');
    expect(request).toHaveBeenCalledTimes(1);
    expect(String(request.mock.calls[0]![0])).toBe(`${REMOTE}/health`);
  });

  it('allows loopback http (127.0.0.0/8, ::1, localhost) and https anywhere', async () => {
    const app = jsonApp();
    app.get('/health', (_req, res) => void res.json({ ok: true }));
    const { server, port } = await listen(app, 0, '127.0.0.1');
    try {
      expect(await requestJson(`http://127.0.0.1:${port}/health`)).toEqual({ ok: true });
      expect(await requestJson(`http://localhost:${port}/health`)).toEqual({ ok: true });
    } finally {
      await closeServer(server);
    }
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '[::1]', '::1', '[::ffff:7f00:1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.1.2.3', '0.0.0.0', '[::]', 'localhost.example', '128.0.0.1', '[::ffff:a01:203]']) expect(isLoopbackHost(h), h).toBe(false);
    expect(() => checkTransport('https://10.1.2.3:1', false)).not.toThrow();
    expect(() => checkTransport('ftp://10.1.2.3', true)).toThrow(/http\(s\)/);
  });
});

describe('the coordinator', () => {
  const dataDir = tempDir();
  initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
  const create = (over: { custodianUrls?: Record<number, string>; insecureHttp?: boolean }) =>
    createCoordinator({ dataDir, origin: world.registry.origin, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey, ...over });

  it('refuses a plain-http custodian off loopback at creation, allows it with insecureHttp, and loopback always', async () => {
    const request = vi.spyOn(http, 'request');
    const err = await refusal(() => create({ custodianUrls: { 3: REMOTE } }));
    expect(err.code).toBe('INSECURE_TRANSPORT');
    expect(err.message).toContain('custodian 3');
    // The data directory was released: the next creation is not DATA_DIR_IN_USE.
    const allowed = create({ custodianUrls: { 3: REMOTE }, insecureHttp: true });
    await allowed.close();
    const loopback = create({}); // the registry's own URLs: http://127.0.0.1:1/<i>
    await loopback.close();
    expect(request).not.toHaveBeenCalled();
  });
});

describe('a custodian', () => {
  it('refuses a plain-http coordinator off loopback at creation, allows it with insecureHttp, and loopback always', async () => {
    const dataDir = tempDir();
    await initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!), dev: true });
    const request = vi.spyOn(http, 'request');
    const create = (coordinatorUrl: string, insecureHttp?: boolean) => createCustodian({ dataDir, coordinatorUrl, insecureHttp, logLevel: 'silent' });
    expect((await refusal(() => create(REMOTE))).code).toBe('INSECURE_TRANSPORT');
    await create(REMOTE, true).close();
    await create('http://127.0.0.1:1').close();
    await create('https://10.1.2.3:1').close();
    expect(request).not.toHaveBeenCalled();
  });
});
