/**
 * What a node's operator sees of the DKG and who may consent
 * (docs/PROTOCOL.md §7.15; services/custodian/src/dkgStatus.ts,
 * services/custodian/src/routes/dkg.ts): `GET /v1/operator/dkg` from the
 * node's replica as a proposed epoch is consented to, a session aborts and
 * another activates the epoch; `POST /v1/operator/dkg/consent` only with the
 * operator token. The stand-in coordinator holds the log key; custodians 2
 * and 3 are played by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, hexToBytes, utf8 } from '@custodes/shared/crypto';
import { coordinatorFinalize, epochFromRecovery } from '@custodes/shared/dkg';
import type { EpochEntry } from '@custodes/shared/records';
import { addOfficer } from '../../services/custodian/src/officers';
import { call, removeTempDirs, StandIn, sync } from '../custodian/fixture';
import type { Node } from '../custodian/fixture';
import { aggregate, ask, certeqOf, commitOf, dkgWorld, NOW, play, revealOf, SESSION, startDkgNode, step } from './participant';
import type { DkgWorld, Played } from './participant';

const FAILED = '00000000-0000-4000-8000-00000000fa11';

let world: DkgWorld;
let standIn: StandIn;
let node: Node;
let others: Played[];
let officer: string;

beforeAll(async () => {
  world = dkgWorld(2, 3);
  standIn = new StandIn(world);
  standIn.append(world.registry);
  await standIn.start();
  node = await startDkgNode(world, standIn, 1, { consent: [] });
  others = [play(world, 2), play(world, 3)];
  officer = addOfficer({ dataDir: node.dataDir, name: 'alice' }).token;
});

afterAll(async () => {
  await node?.close();
  await standIn?.close();
  removeTempDirs();
});

async function log(...entries: object[]): Promise<void> {
  for (const e of entries) standIn.append(e);
  await sync(node, standIn);
}

const status = async (token = node.token) => (await call(`${node.url}/v1/operator/dkg`, { token })).json;
const consent = (token: string | undefined, epoch = 1) => call(`${node.url}/v1/operator/dkg/consent`, { json: { epoch }, token });

describe('GET /v1/operator/dkg and POST /v1/operator/dkg/consent', () => {
  it('lists the proposed epoch this node is a custodian of: t, committee, no consent, no share, no session', async () => {
    expect(await status()).toEqual({
      custodian: 1,
      hostKey: world.hostKeys[0]!.hostKey,
      consents: [],
      epochs: [
        {
          epoch: 1,
          reshare: null,
          threshold: 2,
          total: 3,
          custodians: world.names.map((name, k) => ({ index: k + 1, name })),
          state: 'proposed',
          groupKey: null,
          consent: null,
          shareHeld: false,
          sessions: [],
        },
      ],
    });
    // Officers read it too.
    expect((await status(officer)).epochs[0].epoch).toBe(1);
  });

  it('only the operator token consents: an officer gets 403 OPERATOR_REQUIRED, no token or a wrong one 401, and nothing is recorded', async () => {
    const byOfficer = await consent(officer);
    expect(byOfficer.status).toBe(403);
    expect(byOfficer.json.error.code).toBe('OPERATOR_REQUIRED');
    expect(byOfficer.text).not.toContain(officer);
    expect((await consent(undefined)).json.error.code).toBe('UNAUTHENTICATED');
    expect((await consent('not-a-token')).status).toBe(401);
    // The officer is refused before the body is read: a body over the limit gets the same answer.
    const big = await call(`${node.url}/v1/operator/dkg/consent`, { raw: JSON.stringify({ epoch: 1, pad: 'x'.repeat(4096) }), type: 'application/json', token: officer });
    expect(big.json.error.code).toBe('OPERATOR_REQUIRED');
    expect((await status()).epochs[0].consent).toBeNull();
    expect((await ask(node)).json.error.code).toBe('DKG_NO_CONSENT');
  });

  it('the operator consents once; the status names who and when', async () => {
    const r = await consent(node.token);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ epoch: 1, officer: 'operator', time: NOW });
    const s = await status();
    expect(s.epochs[0].consent).toEqual({ officer: 'operator', time: NOW });
    expect(s.consents).toEqual([{ epoch: 1, officer: 'operator', time: NOW }]);
  });

  it('shows an aborted session with its reason and the custodians it blames', async () => {
    await log(
      step(world, 'commit', '22'.repeat(32), 2, { session: FAILED }),
      step(world, 'abort', bytesToBase64(utf8('timeout')), undefined, { session: FAILED, blamed: [1, 3] }),
    );
    expect((await status()).epochs[0].sessions).toEqual([
      { session: FAILED, index: 1, step: 'abort', committed: [2], revealed: [], certified: [], outcome: 'aborted', reason: 'timeout', blamed: [1, 3] },
    ]);
  });

  it('follows a session step by step to the active epoch, its group key and the share the node holds', async () => {
    const commit = (await ask(node)).json.entry;
    await log(commit, ...others.map((p) => commitOf(world, p)));
    let s = (await status()).epochs[0].sessions[1];
    expect(s).toMatchObject({ session: SESSION, step: 'commit', committed: [1, 2, 3], revealed: [], outcome: 'running' });
    const reveal = (await ask(node)).json.entry;
    await log(reveal, ...others.map((p) => revealOf(world, p)));
    const { state, cmsg1 } = aggregate(world, [base64ToBytes(reveal.payload), ...others.map((p) => p.pmsg1)]);
    await log(step(world, 'aggregate', bytesToBase64(cmsg1)));
    const certeq = (await ask(node)).json.entry;
    const theirs = others.map((p) => certeqOf(world, p, cmsg1));
    await log(certeq, ...theirs);
    s = (await status()).epochs[0].sessions[1];
    expect(s).toMatchObject({ step: 'certeq', revealed: [1, 2, 3], certified: [1, 2, 3], outcome: 'running' });
    const { recoveryData } = coordinatorFinalize(state, [certeq, ...theirs].map((e) => hexToBytes(e.payload, 64)));
    const keys = epochFromRecovery(recoveryData);
    const activation: EpochEntry = { type: 'epoch', epoch: 1, session: SESSION, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time: NOW };
    await log(activation);
    let e = (await status()).epochs[0];
    expect(e).toMatchObject({ state: 'active', groupKey: keys.groupKey, shareHeld: false });
    expect(e.sessions.map((x: { outcome: string }) => x.outcome)).toEqual(['aborted', 'active']);
    // The node recovers its share when the coordinator asks again (or `dkg recover`); then it is held.
    expect((await ask(node)).json).toEqual({ active: { epoch: 1, groupKey: keys.groupKey } });
    e = (await status()).epochs[0];
    expect(e.shareHeld).toBe(true);
    expect(JSON.stringify(await status())).not.toContain(world.hostKeys[0]!.secretKey);
  });
});
