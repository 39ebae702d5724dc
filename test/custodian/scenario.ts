/**
 * A valid release scenario, varied one thing at a time: registry → warrant →
 * approvals (the node's own by its operator, others signed here) →
 * decryption-request, each pushed to the node as cosigned checkpoints.
 */
import { vi } from 'vitest';
import type { Envelope, Label } from '@custodes/shared/crypto';
import type { DecryptionRequestEntry, SignedWarrant, Warrant } from '@custodes/shared/records';
import type { CustodianConfig } from '../../services/custodian/src/index';
import { PARTIALS_CALL_HEADER } from '@custodes/shared/records';
import type { PartialsCallBody } from '@custodes/shared/records';
import { approval, call, callHeader, coverSheet, decryptionRequest, inScope, makeEnvelopes, makeWarrant, StandIn, startNode, sync } from './fixture';
import type { Node, World } from './fixture';

export interface ScenarioOptions {
  warrant?: Partial<Warrant>;
  labels?: Label[];
  epoch?: number;
  /** Other custodians whose approvals are logged (default 2 and 3). */
  approvers?: number[];
  /** The node's own decision (default approve). */
  own?: 'approve' | 'deny' | 'none';
  config?: Partial<CustodianConfig>;
  /** Change the envelopes before the request is built and logged. */
  tamper?: (envelopes: Envelope[]) => Envelope[];
  /** Push the checkpoint holding the request (default true). */
  logRequest?: boolean;
}

export interface Scenario {
  standIn: StandIn;
  node: Node;
  warrant: SignedWarrant;
  salt: string;
  commitment: string;
  envelopes: Envelope[];
  plaintexts: string[];
  request: DecryptionRequestEntry;
  close(): Promise<void>;
}

export async function scenario(world: World, opts: ScenarioOptions = {}): Promise<Scenario> {
  const standIn = new StandIn(world);
  await standIn.start();
  standIn.autoLog = true;
  standIn.append(world.registry);
  const { warrant, salt, commitment } = makeWarrant(world, opts.warrant);
  standIn.append(coverSheet(warrant, commitment));
  const node = await startNode(world, standIn, 1, opts.config ? { config: opts.config } : {});
  await sync(node, standIn);
  const delivered = await call(`${node.url}/v1/warrants`, { json: { warrant, salt } });
  if (delivered.status !== 202) throw new Error(`delivery failed: ${delivered.text}`);

  const own = opts.own ?? 'approve';
  if (own !== 'none') {
    const path = own === 'approve' ? 'approve' : 'deny';
    const r = await call(`${node.url}/v1/operator/warrants/${warrant.id}/${path}`, { json: own === 'deny' ? { reason: 'not satisfied' } : {}, token: node.token });
    if (r.status !== 200) throw new Error(`decision failed: ${r.text}`);
    await vi.waitFor(() => {
      if (!standIn.records.some((e) => e.type === 'approval' && e.warrantId === warrant.id)) throw new Error('approval not yet posted');
    });
  }
  for (const i of opts.approvers ?? [2, 3]) standIn.append(approval(world, i, warrant.id, commitment));

  const labels = opts.labels ?? [inScope(0), inScope(1), inScope(2, 'subject-b')];
  const made = makeEnvelopes(world, labels, opts.epoch);
  const envelopes = opts.tamper ? opts.tamper(made.envelopes) : made.envelopes;
  const request = decryptionRequest(world, warrant.id, envelopes);
  standIn.append(request);
  if (opts.logRequest ?? true) await sync(node, standIn);
  return {
    standIn,
    node,
    warrant,
    salt,
    commitment,
    envelopes,
    plaintexts: made.plaintexts,
    request,
    async close() {
      await node.close();
      await standIn.close();
    },
  };
}

/** Asks `node` for partials as the coordinator does: with a call signed by the log key for this node, now. */
export function askPartials(node: Node, requestId: string, envelopes: Envelope[], over: Partial<PartialsCallBody> = {}) {
  return call(`${node.url}/v1/partials`, { json: { requestId, envelopes }, headers: { [PARTIALS_CALL_HEADER]: callHeader(node.world, node.index, requestId, envelopes, over) } });
}
