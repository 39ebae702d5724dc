/**
 * Plain HTTP only on loopback (docs/PROTOCOL.md §9.8, Running a node behind TLS).
 * Calls between services carry what must not be read or altered on the way:
 * investigator tokens, warrants with their salts, signed partials calls (a call
 * intercepted before the coordinator's copy arrives is served once: Call
 * authorisation) and partial decryptions. Over any other network they go over
 * TLS; plain HTTP to another host is a choice the operator states
 * (`insecureHttp`, `--insecure-http`), never a default.
 */
import { isIP } from 'node:net';
import { HttpError } from './http';

/** True for `localhost`, 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z): traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host.toLowerCase() === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    const h = host.toLowerCase();
    return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h) || /^::ffff:7f[0-9a-f]{2}:/.test(h);
  }
  return false;
}

/**
 * Throws HttpError 400 INSECURE_TRANSPORT for an `http:` URL to a host other
 * than loopback unless `insecureHttp`; BAD_URL for what is not an http(s) URL.
 * Checked before any connection is made. `what` names the peer in the message.
 */
export function checkTransport(url: string | URL, insecureHttp: boolean, what = 'peer'): void {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new HttpError(400, 'BAD_URL', `${what}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HttpError(400, 'BAD_URL', `${what}: not an http(s) URL: ${u.protocol}`);
  if (u.protocol === 'http:' && !insecureHttp && !isLoopbackHost(u.hostname)) {
    throw new HttpError(400, 'INSECURE_TRANSPORT', `${what} ${u.origin} is plain http to another host: use https (or --insecure-http / insecureHttp to allow it)`);
  }
}
