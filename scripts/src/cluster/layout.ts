/**
 * The `.custodes/` directory of the local cluster (documented in README.md).
 */
import { isAbsolute, join, relative, resolve } from 'node:path';

export const CUSTODIANS = 5;
export const THRESHOLD = 3;
export const EPOCH = 1;
export const ORIGIN = 'localhost/custodes-dev-log';
export const COURT_ID = 'court-1';
export const AGENCY_ID = 'agency-1';

export interface Layout {
  root: string;
  keys: string;
  identities: string;
  logKey: string;
  courtKey: string;
  investigatorKey: string;
  custodianKey(i: number): string;
  registry: string;
  policy: string;
  coordinator: string;
  custodian(i: number): string;
  investigatorToken: string;
  /** Custodian i's operator token, one token per file (for `--token-file`). */
  operatorToken(i: number): string;
  demo: string;
  /** The transparency report the coordinator serves at /report/ (kept fresh by an `audit watch`). */
  report: string;
  logs: string;
  state: string;
  /**
   * How to print a path of this layout: absolute when the root was given
   * absolute (CUSTODES_HOME=/srv/custodes), else relative to the working
   * directory, as given (the default `.custodes`). One rule for every line.
   */
  show(path: string): string;
}

export function layout(root = process.env.CUSTODES_HOME ?? '.custodes'): Layout {
  const r = resolve(root);
  const absolute = isAbsolute(root);
  const identities = join(r, 'identities');
  return {
    root: r,
    keys: join(r, 'keys'),
    identities,
    logKey: join(identities, 'log.key'),
    courtKey: join(identities, 'court.key'),
    investigatorKey: join(identities, 'investigator.key'),
    custodianKey: (i) => join(identities, `custodian-${i}.key`),
    registry: join(r, 'registry.json'),
    policy: join(r, 'policy.json'),
    coordinator: join(r, 'coordinator'),
    custodian: (i) => join(r, 'custodians', String(i)),
    investigatorToken: join(r, 'investigator.token'),
    operatorToken: (i) => join(r, 'tokens', `custodian-${i}.token`),
    demo: join(r, 'demo'),
    report: join(r, 'report'),
    logs: join(r, 'logs'),
    state: join(r, 'cluster.json'),
    show: (path) => (absolute ? resolve(path) : relative(process.cwd(), path) || '.'),
  };
}

export interface Ports {
  coordinator: number;
  custodians: number[];
}

/** Fixed loopback ports (the registry names custodian URLs): CUSTODES_PORT_BASE, default 8600. */
export function ports(base = Number(process.env.CUSTODES_PORT_BASE ?? 8600)): Ports {
  if (!Number.isInteger(base) || base < 1024 || base > 65_000) throw new Error('CUSTODES_PORT_BASE must be an integer in [1024, 65000]');
  return { coordinator: base, custodians: Array.from({ length: CUSTODIANS }, (_, k) => base + 1 + k) };
}
