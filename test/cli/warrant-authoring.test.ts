/**
 * A warrant from nothing to approved with only the CLI and what its --help
 * says (issue #21): `court draft` (ISO dates, key files, the id filled in),
 * `court sign` (checked as the coordinator checks, docs/PROTOCOL.md §7.5,
 * every problem at once), `investigator submit`, and two custodian operators
 * who approve it by hand with their own token files. Around it, the bugs a
 * new user hit: each test here fails on the code before #21.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoTime } from '@custodes/shared/records';
import { startRealCluster, type RealCluster } from '../../scripts/src/cluster/in-process';
import { custodesAsync as run } from './run';

const DAY = 86_400;
const dir = mkdtempSync(join(tmpdir(), 'custodes-authoring-'));
const file = (name: string) => join(dir, name);
const keyFile = (name: string, k: { secretKey: string; publicKey: string }) => {
  writeFileSync(file(name), JSON.stringify({ format: 'custodes.key.v1', ...k }), { mode: 0o600 });
  return file(name);
};
const day = (offsetDays: number) => isoTime(Math.floor(Date.now() / 1000 / DAY) * DAY + offsetDays * DAY).slice(0, 10);

/** What one line of stderr looks like for a refused command. */
function oneLine(r: { status: number | null; stderr: string }): string {
  expect(r.status).not.toBe(0);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  return r.stderr;
}

describe('a warrant written, signed, submitted and approved with the CLI alone', { timeout: 240_000 }, () => {
  let cluster: RealCluster;
  let coordinator: string;
  let courtKey: string;
  let investigatorKey: string;
  let tokenFile: string;
  let warrantId: string;
  const operatorTokens: string[] = [];

  beforeAll(async () => {
    cluster = await startRealCluster({
      origin: 'test.custodes/authoring',
      tempPrefix: 'authoring',
      threshold: 2,
      total: 3,
      names: { custodian: (i) => `custodian-${i}`, court: 'Authoring Court', agency: 'Authoring Agency' },
      nodeInit: () => ({ dev: true }),
      custodian: { logLevel: 'silent' },
    });
    coordinator = cluster.coordinatorUrl;
    courtKey = keyFile('court.key', cluster.court);
    investigatorKey = keyFile('investigator.key', cluster.investigators[0]!);
    tokenFile = file('investigator.token');
    writeFileSync(tokenFile, cluster.tokens[0]! + '\n');
    cluster.nodes.forEach((n, i) => {
      writeFileSync(file(`custodian-${i + 1}.token`), n.init.operatorToken + '\n');
      operatorTokens.push(file(`custodian-${i + 1}.token`));
    });
  }, 240_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('--help names every field of the warrant and where the format is specified', async () => {
    const draft = await run(['court', 'draft', '--help']);
    for (const flag of ['--agency', '--court', '--investigator-key', '--case-number', '--legal-authority', '--offense', '--subject', '--category', '--not-before', '--not-after', '--max-envelopes', '--expires-at', '--sealed-until']) {
      expect(draft.stdout).toContain(flag);
    }
    expect(draft.stdout).toContain('docs/PROTOCOL.md §4.1');
    const sign = await run(['court', 'sign', '--help']);
    expect(sign.stdout).toMatch(/every problem is listed at once/);
    expect(sign.stdout).toContain('--coordinator');
  });

  it('drafts from flags with ISO dates and a key file, filling in the id', async () => {
    const r = await run([
      'court', 'draft', '--out', file('warrant.json'),
      '--agency', 'agency-1', '--court', 'court-1', '--investigator-key', investigatorKey,
      '--case-number', 'CR-21', '--legal-authority', 'Code §100a', '--offense', 'fraud',
      '--subject', 'acct:alice@example.org', '--category', 'messages,contacts',
      '--not-before', day(-30), '--not-after', day(-1), '--expires-at', day(30), '--sealed-until', day(365),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const w = JSON.parse(readFileSync(file('warrant.json'), 'utf8'));
    warrantId = w.id;
    expect(w.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(w.investigator).toBe(cluster.investigators[0]!.publicKey);
    expect(w.scope.categories).toEqual(['messages', 'contacts']);
    // A bare end date covers that whole day (notAfter is inclusive, §4.1).
    expect(w.scope.notAfter % DAY).toBe(DAY - 1);
    expect(r.stderr).toContain(`sealed until ${day(365)}T00:00:00Z`);
  });

  it('lists every missing flag at once instead of failing on the first', async () => {
    const r = await run(['court', 'draft', '--out', file('never.json'), '--agency', 'agency-1']);
    expect(oneLine(r)).toMatch(/missing --court, --case-number, --legal-authority, --offense, --subject, --category, --not-before, --not-after, --expires-at, --sealed-until, --investigator-key/);
  });

  it('court sign refuses an expired warrant signed with a key that is not the court\'s, naming both problems', async () => {
    const w = JSON.parse(readFileSync(file('warrant.json'), 'utf8'));
    writeFileSync(file('expired.json'), JSON.stringify({ ...w, issuedAt: '2020-01-01', expiresAt: '2020-02-01T00:00:00Z', sealedUntil: '2021-01-01' }));
    const r = await run(['court', 'sign', '--key', investigatorKey, '--warrant', file('expired.json'), '--out', file('never.pkg'), '--coordinator', coordinator]);
    const line = oneLine(r);
    expect(line).toMatch(/has 2 problems/);
    expect(line).toContain(`the key in ${investigatorKey} is not the registered key of court court-1`);
    expect(line).toContain('the warrant has expired');
  });

  it('court sign reports every schema problem, not the first "(and 6 more)"', async () => {
    writeFileSync(file('bad.json'), JSON.stringify({ format: 'custodes.warrant.v1', id: 'nope', scope: {} }));
    const line = oneLine(await run(['court', 'sign', '--key', courtKey, '--warrant', file('bad.json'), '--out', file('never.pkg'), '--coordinator', coordinator]));
    expect(line).not.toMatch(/and \d+ more/);
    for (const field of ['id:', 'agency:', 'investigator:', 'scope.subjects:', 'maxEnvelopes:', 'sealedUntil:']) expect(line).toContain(field);
  });

  it('signs, submits, and two operators approve it by hand with their token files', async () => {
    const signed = await run(['court', 'sign', '--key', courtKey, '--warrant', file('warrant.json'), '--out', file('court.pkg'), '--coordinator', coordinator]);
    expect(signed.status, signed.stderr).toBe(0);
    const submit = await run(['investigator', 'submit', '--coordinator', coordinator, '--token-file', tokenFile, '--key', investigatorKey, '--package', file('court.pkg'), '--out', file('full.pkg')]);
    expect(submit.status, submit.stderr).toBe(0);
    expect(submit.stdout).toMatch(/custodians are reviewing it \(pending: 0 approvals, quorum 2\)/);

    for (const [i, node] of cluster.nodes.slice(0, 2).entries()) {
      let queue = '';
      for (let tries = 0; !queue.includes(warrantId) && tries < 100; tries++) {
        const q = await run(['custodian', 'queue', '--node', node.url, '--token-file', operatorTokens[i]!]);
        expect(q.status, q.stderr).toBe(0);
        queue = q.stdout;
      }
      expect(queue).toContain(warrantId);
      // Times as a person reads them (they were raw Unix seconds).
      expect(queue).toContain(`"expiresAt": "${day(30)}T00:00:00Z"`);
      const ok = await run(['custodian', 'approve', warrantId, '--node', node.url, '--token-file', operatorTokens[i]!]);
      expect(ok.status, ok.stderr).toBe(0);
    }
    let status = '';
    for (let tries = 0; !/"approved"/.test(status) && tries < 100; tries++) status = (await run(['investigator', 'status', warrantId, '--coordinator', coordinator, '--token-file', tokenFile])).stdout;
    expect(JSON.parse(status)).toMatchObject({ status: 'approved', approvals: 2, threshold: 2 });
  });

  it('a warrant submitted again says it is approved, not that custodians are reviewing it', async () => {
    const again = await run(['investigator', 'submit', '--coordinator', coordinator, '--token-file', tokenFile, '--key', investigatorKey, '--package', file('court.pkg')]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already approved \(2 approvals, quorum 2\)/);
    expect(again.stdout).not.toMatch(/reviewing/);
  });

  it('court unseal with the court-only package says which package it needs; too early, it prints the date in ISO 8601', async () => {
    const courtOnly = oneLine(await run(['court', 'unseal', '--coordinator', coordinator, '--package', file('court.pkg')]));
    expect(courtOnly).toMatch(/has only the court's signature; unsealing needs the package the investigator wrote with `custodes investigator submit --out`/);
    const early = oneLine(await run(['court', 'unseal', '--coordinator', coordinator, '--package', file('full.pkg')]));
    expect(early).toContain(`NOT_YET: the warrant is sealed until ${day(365)}T00:00:00Z`);
  });

  it('a token file holding the JSON map of tokens is refused by name, without the header error', async () => {
    writeFileSync(file('tokens.json'), JSON.stringify({ 1: 'abc', 2: 'def' }, null, 2));
    const line = oneLine(await run(['custodian', 'queue', '--node', cluster.nodes[0]!.url, '--token-file', file('tokens.json')]));
    expect(line).toMatch(/does not hold a single bearer token \(it is JSON/);
    expect(line).not.toMatch(/Invalid character|abc|def/);
  });

  it('a wrong operator token and a missing one are different errors', async () => {
    writeFileSync(file('wrong.token'), 'not-the-token\n');
    const wrong = oneLine(await run(['custodian', 'queue', '--node', cluster.nodes[0]!.url, '--token-file', file('wrong.token')]));
    expect(wrong).toMatch(/not valid for this node/);
    const res = await fetch(`${cluster.nodes[0]!.url}/v1/operator/queue`);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/is required/);
  });

  it('an unknown flag is named, with a suggestion, before any missing required one', async () => {
    const line = oneLine(await run(['court', 'sign', '--keyy', courtKey]));
    expect(line).toBe("error: unknown option '--keyy' (Did you mean --key?)\n");
  });

  it('/ leads a person to the explorer on the coordinator and to the console on a custodian', async () => {
    const c = await fetch(`${coordinator}/`, { redirect: 'manual' });
    expect(c.status).toBe(302);
    expect(c.headers.get('location')).toBe('/explorer/');
    const n = await fetch(`${cluster.nodes[0]!.url}/`, { redirect: 'manual' });
    expect(n.status).toBe(302);
    expect(n.headers.get('location')).toBe('/console/');
  });
});
