/**
 * The hosts' network: one Linux network namespace per organisation, each with
 * one address on a private /24, joined by a bridge that lives in a namespace
 * of its own (nothing is added to the machine's own network namespace but the
 * veth pairs' short life before they are moved). Traffic can only go between
 * these addresses: no namespace has a default route.
 *
 *   <prefix>-br     bridge br0, one veth end per host (no address)
 *   <prefix>-<id>   lo + eth0 <subnet>.<n>/24
 *
 * Everything is named from `prefix`, so a crashed run's leftovers are found
 * and removed by name (removeNetwork) before the next one starts.
 */
import { execFileSync } from 'node:child_process';

export interface HostAddress {
  /** Short host id: `coord`, `c1`…, `inv`, `aud`. */
  id: string;
  /** Its network namespace. */
  ns: string;
  ip: string;
}

export interface Network {
  prefix: string;
  bridgeNs: string;
  subnet: string;
  hosts: HostAddress[];
}

const PREFIX = /^[a-z][a-z0-9]{1,5}$/;
const ID = /^[a-z][a-z0-9]{0,5}$/;
const SUBNET = /^10\.(?:[0-9]{1,3})\.(?:[0-9]{1,3})$/;

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
  // Interface names are at most 15 bytes: `<prefix><k>h` must fit.
  if (!PREFIX.test(prefix)) throw new RangeError(`prefix must match ${PREFIX} (it names namespaces and interfaces), got '${prefix}'`);
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why this process cannot build namespaces, or null if it can (root and a working `ip netns`). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'creating network namespaces needs root';
  try {
    ip(['netns', 'list']);
  } catch (err) {
    return `\`ip netns\` does not work here: ${(err as Error).message.split('\n')[0]}`;
  }
  return null;
}

/** Namespaces and root-namespace links left by a run with `prefix` (none after a clean exit). */
export function leftovers(prefix: string): { namespaces: string[]; links: string[] } {
  checkPrefix(prefix);
  const namespaces = ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
  const links = ip(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^[0-9]+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => new RegExp(`^${prefix}[0-9]+[hb]$`).test(n) || n === `${prefix}br`);
  return { namespaces, links };
}

/** Removes every namespace and stray link of `prefix` (a previous crashed run's too); returns what it removed. */
export function removeNetwork(prefix: string): string[] {
  const { namespaces, links } = leftovers(prefix);
  const removed: string[] = [];
  for (const l of links) {
    try {
      ip(['link', 'del', l]);
      removed.push(l);
    } catch {
      // gone with its peer already
    }
  }
  // Deleting a namespace deletes its veth ends, and with them their peers in the bridge namespace.
  for (const n of namespaces) {
    ip(['netns', 'del', n]);
    removed.push(n);
  }
  return removed;
}

/**
 * Builds the bridge namespace and one namespace per host: `hosts` are
 * `[id, last octet]` pairs, addresses `<subnet>.<octet>/24`.
 */
export function createNetwork(prefix: string, hosts: readonly (readonly [string, number])[], subnet = '10.77.0'): Network {
  checkPrefix(prefix);
  if (!SUBNET.test(subnet)) throw new RangeError(`subnet must be a private 10.x.y prefix, got '${subnet}'`);
  const seen = new Set<string>();
  for (const [id, octet] of hosts) {
    if (!ID.test(id)) throw new RangeError(`host id must match ${ID}, got '${id}'`);
    if (!Number.isInteger(octet) || octet < 2 || octet > 254) throw new RangeError(`host ${id}: last octet must be in [2, 254], got ${octet}`);
    if (seen.has(id) || seen.has(`#${octet}`)) throw new RangeError(`host ${id} or octet ${octet} given twice`);
    seen.add(id).add(`#${octet}`);
  }
  const bridgeNs = `${prefix}-br`;
  const net: Network = { prefix, bridgeNs, subnet: `${subnet}.0/24`, hosts: [] };
  ip(['netns', 'add', bridgeNs]);
  ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
  ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
  hosts.forEach(([id, octet], k) => {
    const ns = `${prefix}-${id}`;
    const hostEnd = `${prefix}${k}h`;
    const bridgeEnd = `${prefix}${k}b`;
    ip(['netns', 'add', ns]);
    ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', bridgeEnd]);
    ip(['link', 'set', bridgeEnd, 'netns', bridgeNs]);
    ip(['link', 'set', hostEnd, 'netns', ns]);
    ip(['-n', bridgeNs, 'link', 'set', bridgeEnd, 'master', 'br0', 'up']);
    ip(['-n', ns, 'link', 'set', hostEnd, 'name', 'eth0']);
    ip(['-n', ns, 'addr', 'add', `${subnet}.${octet}/24`, 'dev', 'eth0']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    net.hosts.push({ id, ns, ip: `${subnet}.${octet}` });
  });
  return net;
}
