/**
 * The hosts' private CA and one server certificate per host, made with the
 * openssl command line (P-256, valid two days): what a federation of
 * organisations without a public CA would run once, offline. Every client
 * trusts the CA through NODE_EXTRA_CA_CERTS (docs/PROTOCOL.md §7.1, Transport;
 * docs/DEPLOY.md, TLS). Private keys are written 0600 and never printed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';

export interface HostCertificate {
  cert: string;
  key: string;
}

export interface Pki {
  /** The CA certificate (PEM): the file to give every process in NODE_EXTRA_CA_CERTS. */
  caCert: string;
  hosts: Map<string, HostCertificate>;
}

const NAME = /^[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?$/;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA in `dir` and a certificate for each host, naming its IP address and DNS name (subjectAltName). */
export function makePki(dir: string, hosts: readonly { id: string; ip: string; name: string }[]): Pki {
  for (const h of hosts) {
    if (isIP(h.ip) !== 4) throw new RangeError(`host ${h.id}: not an IPv4 address: ${h.ip}`);
    if (!NAME.test(h.name)) throw new RangeError(`host ${h.id}: not a DNS name: ${h.name}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-subj', '/CN=Custodes hosts private CA', '-days', '2', '-keyout', caKey, '-out', caCert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  chmodSync(caKey, 0o600);
  const out = new Map<string, HostCertificate>();
  for (const h of hosts) {
    const key = join(dir, `${h.id}.key`);
    const csr = join(dir, `${h.id}.csr`);
    const cert = join(dir, `${h.id}.pem`);
    const ext = join(dir, `${h.id}.ext`);
    openssl(['req', '-new', ...ec, '-subj', `/CN=${h.name}`, '-keyout', key, '-out', csr]);
    chmodSync(key, 0o600);
    writeFileSync(ext, `subjectAltName=IP:${h.ip},DNS:${h.name}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert]);
    out.set(h.id, { cert, key });
  }
  return { caCert, hosts: out };
}
