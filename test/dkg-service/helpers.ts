/**
 * A real DKG cluster for the tests of docs/PROTOCOL.md §3.8: custodian nodes
 * initialised with host keys and no share, a genesis that proposes epoch 1,
 * a real coordinator; each test then runs the DKG through the services.
 */
import { startRealCluster } from '../../scripts/src/cluster/in-process';
import type { RealCluster, RealClusterOptions } from '../../scripts/src/cluster/in-process';
import { api } from '../coordinator/helpers/cluster';

/** What an auto-approving node accepts: court-1's warrants for messages. */
export const AUTO_APPROVAL_POLICY = { courts: ['court-1'], categories: ['messages'], maxSubjects: 10, maxWindowDays: 365, maxEnvelopes: 1000 };

export function startDkgCluster(opts: {
  tempPrefix: string;
  threshold: number;
  total: number;
  coordinator?: RealClusterOptions['coordinator'];
  nodeInit?: RealClusterOptions['nodeInit'];
  custodian?: RealClusterOptions['custodian'];
}): Promise<RealCluster> {
  return startRealCluster({
    origin: `custodes.test/${opts.tempPrefix}`,
    tempPrefix: opts.tempPrefix,
    threshold: opts.threshold,
    total: opts.total,
    dkg: true,
    names: { custodian: (i) => `custodian-${i}.test`, court: 'Test Court', agency: 'Test Agency' },
    nodeInit: (i) => ({ dev: true, policy: AUTO_APPROVAL_POLICY, ...opts.nodeInit?.(i) }),
    custodian: { logLevel: 'silent', ...opts.custodian },
    coordinator: { cosignTimeoutMs: 5000, cosignDelayMs: 20, ...opts.coordinator },
  });
}

/** Every entry up to the published checkpoint, from the public read API (docs/PROTOCOL.md §4.4). */
export async function logEntries(url: string): Promise<Record<string, unknown>[]> {
  const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
  const size = Number(cp.body.split('\n')[1]);
  if (size === 0) return [];
  const page = await api(url, 'GET', `/log/v1/entries?start=0&end=${size}`);
  return (page.body.entries as string[]).map((b) => JSON.parse(Buffer.from(b, 'base64').toString('utf8')));
}
