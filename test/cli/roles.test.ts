/**
 * Offline role commands: provider sealing (one envelope per subject, category
 * and UTC day), registry proposal and signing, court signing.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineAndOpen, createPartial, parseEnvelope } from '@custodes/shared/crypto';
import {
  openRecords,
  parsePublicKeySet,
  parseShareFile,
  RegistryEntrySchema,
  SealedRecordSchema,
  signRegistry,
  verifyWarrantSignature,
  warrantCommitment,
} from '@custodes/shared/records';
import { judgeGenesis } from '@custodes/shared/rules';
import { newHostKeyFile } from '../../services/custodian/src/index';
import { newKeyFile } from '../../scripts/src/commands/keys';
import { custodes } from './run';

const dir = mkdtempSync(join(tmpdir(), 'custodes-roles-'));
const keys = join(dir, 'keys');
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

beforeAll(() => {
  expect(custodes(['ceremony', '--threshold', '2', '--custodians', '3', '--epoch', '1', '--out', keys]).status).toBe(0);
}, 240_000);

describe('custodes seal-records', { timeout: 240_000 }, () => {
  const day = 86_400;
  const t0 = 1_764_115_200; // a UTC midnight
  const records = [
    { subject: 'acct:a', category: 'messages', time: t0 + 10, body: 'a-1' },
    { subject: 'acct:a', category: 'messages', time: t0 + 3600, body: 'a-2' },
    { subject: 'acct:a', category: 'messages', time: t0 + day + 5, body: 'a-3 next day' },
    { subject: 'acct:b', category: 'messages', time: t0 + 20, body: 'b-1' },
    { subject: 'acct:a', category: 'contacts', time: t0 + 30, body: 'a-contacts' },
  ];
  const out = join(dir, 'sealed');

  it('seals one envelope per (subject, category, UTC day) and the data key opens exactly its records', () => {
    writeFileSync(join(dir, 'records.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = custodes(['seal-records', '--public', join(keys, 'public.json'), '--in', join(dir, 'records.jsonl'), '--out', out]);
    expect(r.status).toBe(0);
    const envFiles = readdirSync(join(out, 'envelopes'));
    expect(envFiles).toHaveLength(4);
    const pub = parsePublicKeySet(read(join(keys, 'public.json')));
    const shares = [1, 2].map((i) => parseShareFile(read(join(keys, `share-${i}.json`))));
    const bodies: string[] = [];
    for (const f of envFiles) {
      const env = parseEnvelope(read(join(out, 'envelopes', f)));
      expect(env.envelope.label.time % day).toBe(0);
      const partials = shares.map((s) => createPartial(s.share, s.index, env));
      const { plaintext } = combineAndOpen(env, partials, 2, pub.verificationShares);
      const sealed = read(join(out, 'records', f)).records.map((x: unknown) => SealedRecordSchema.parse(x));
      const opened = openRecords(env.id, plaintext, sealed);
      for (const rec of opened) {
        expect(rec.subject).toBe(env.envelope.label.subject);
        bodies.push(rec.body);
      }
      // A data key never opens another envelope's records.
      const other = envFiles.find((g) => g !== f)!;
      const otherSealed = read(join(out, 'records', other)).records.map((x: unknown) => SealedRecordSchema.parse(x));
      expect(() => openRecords(other.replace('.json', ''), plaintext, otherSealed)).toThrow(/does not open/);
    }
    expect(bodies.sort()).toEqual(records.map((r) => r.body).sort());
  });

  it('names the first bad line', () => {
    writeFileSync(join(dir, 'bad.jsonl'), JSON.stringify(records[0]) + '\n{"subject":"x","category":"BAD","time":1,"body":""}\n');
    const r = custodes(['seal-records', '--public', join(keys, 'public.json'), '--in', join(dir, 'bad.jsonl'), '--out', join(dir, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^custodes: line 2: category/);
  });
});

describe('custodes registry propose / sign and court sign', { timeout: 240_000 }, () => {
  it('builds a genesis registry that is valid only once every custodian has signed', () => {
    const keyFiles = [1, 2, 3].map((i) => join(dir, `c${i}.key`));
    // keygen prints the BIP340 key, then the Ed25519 key (docs/PROTOCOL.md §9.3).
    const keygen = (f: string) => custodes(['keygen', '--out', f]).stdout.trim().split('\n') as [string, string];
    const pairs = keyFiles.map(keygen);
    const pubs = pairs.map(([bip340]) => bip340);
    const [logKey, logNoteKey] = keygen(join(dir, 'log.key'));
    const proposal = join(dir, 'registry.json');
    const args = ['registry', 'propose', '--genesis', '--public', join(keys, 'public.json'), '--origin', 'test.custodes/log', '--log-key', logKey, '--log-note-key', logNoteKey, '--out', proposal];
    pairs.forEach(([k, w], i) => args.push('--custodian', `${i + 1},custodian-${i + 1},http://127.0.0.1:${7001 + i},${k},${w}`));
    args.push('--witness', `witness.example,${keygen(join(dir, 'w.key'))[1]},https://witness.example/`);
    args.push('--court', `court-1,Demo Court,${pubs[0]}`, '--agency', 'agency-1,Demo Agency', '--investigator', `agency-1,${logKey}`);
    const r = custodes(args);
    expect(r.status, r.stderr).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(judgeGenesis(RegistryEntrySchema.parse(read(proposal))).ok).toBe(false);
      const s = custodes(['registry', 'sign', '--key', keyFiles[i]!, '--index', String(i + 1), '--in', proposal]);
      expect(s.status, s.stderr).toBe(0);
    }
    const entry = RegistryEntrySchema.parse(read(proposal));
    expect(judgeGenesis(entry)).toMatchObject({ ok: true, signers: [1, 2, 3] });
    expect(entry.agencies[0]!.investigators).toEqual([logKey]);
    expect([entry.logNoteKey, entry.epochs[0]!.custodians.map((c) => c.witnessKey), entry.witnesses?.map((w) => w.name)]).toEqual([logNoteKey, pairs.map(([, w]) => w), ['witness.example']]);
    const wrong = custodes(['registry', 'sign', '--key', keyFiles[0]!, '--index', '2', '--in', proposal]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/not this key/);
  });

  it('proposes a DKG genesis with --threshold: epoch 1 without keys, each custodian with its host key (docs/PROTOCOL.md §3.8)', () => {
    const ids = [1, 2, 3].map(() => ({ key: newKeyFile(), host: newHostKeyFile() }));
    const proposal = join(dir, 'registry-dkg.json');
    const log = newKeyFile();
    const args = ['registry', 'propose', '--genesis', '--threshold', '2', '--origin', 'test.custodes/dkg', '--log-key', log.publicKey, '--log-note-key', log.notePublicKey!, '--out', proposal];
    ids.forEach(({ key, host }, i) => args.push('--custodian', `${i + 1},custodian-${i + 1},http://127.0.0.1:${7001 + i},${key.publicKey},${key.notePublicKey!},${host.hostKey}`));
    const r = custodes(args);
    expect(r.status, r.stderr).toBe(0);
    let entry = RegistryEntrySchema.parse(read(proposal));
    expect(entry.epochs).toEqual([{ epoch: 1, threshold: 2, total: 3, custodians: expect.any(Array) }]);
    expect(entry.epochs[0]!.custodians.map((c) => c.hostKey)).toEqual(ids.map((x) => x.host.hostKey));
    ids.forEach(({ key }, i) => (entry = signRegistry(entry, i + 1, key.secretKey)));
    expect(judgeGenesis(entry)).toMatchObject({ ok: true, signers: [1, 2, 3] });
    // A DKG custodian without its host key, or both --public and --threshold: one line, exit 1.
    const short = custodes([...args.slice(0, 13), '--custodian', `1,c,http://127.0.0.1:7001,${ids[0]!.key.publicKey},${ids[0]!.key.notePublicKey!}`]);
    expect([short.status, short.stderr]).toEqual([1, expect.stringMatching(/^custodes: --custodian must be 6 comma-separated fields[^\n]*\n$/)]);
    const both = custodes([...args, '--public', join(keys, 'public.json')]);
    expect([both.status, both.stderr]).toEqual([1, expect.stringMatching(/^custodes: --genesis needs one of --public \(dealer\) or --threshold \(DKG\)[^\n]*\n$/)]);
  });

  it('court sign writes a package whose signature and commitment verify', () => {
    // The court and investigator of the registry the previous test built: c1.key is court-1's key, log.key agency-1's investigator.
    const courtKey = join(dir, 'c1.key');
    const courtPub = read(courtKey).publicKey as string;
    const now = Math.floor(Date.now() / 1000);
    const warrant = {
      format: 'custodes.warrant.v1',
      id: '7b0e2a52-3c1f-4f5e-9a51-2b9c0d6e8f10',
      agency: 'agency-1',
      investigator: read(join(dir, 'log.key')).publicKey,
      court: 'court-1',
      caseNumber: '26-MJ-0042',
      legalAuthority: '18 U.S.C. 2703(d)',
      offense: 'fraud',
      scope: { subjects: ['acct:a'], categories: ['messages'], notBefore: 1, notAfter: 2 },
      maxEnvelopes: 10,
      issuedAt: now - 100,
      expiresAt: now + 86_400,
      sealedUntil: now + 2 * 86_400,
    };
    writeFileSync(join(dir, 'warrant.json'), JSON.stringify(warrant));
    const r = custodes(['court', 'sign', '--key', courtKey, '--warrant', join(dir, 'warrant.json'), '--out', join(dir, 'pkg.json'), '--registry', join(dir, 'registry.json')]);
    expect(r.status, r.stderr).toBe(0);
    const pkg = read(join(dir, 'pkg.json'));
    expect(verifyWarrantSignature(pkg.warrant, pkg.warrant.courtSignature, courtPub)).toBe(true);
    expect(r.stdout.trim()).toBe(`commitment ${warrantCommitment(warrant as never, pkg.salt)}`);
    const bad = custodes(['court', 'sign', '--key', courtKey, '--warrant', join(dir, 'pkg.json'), '--out', join(dir, 'pkg2.json'), '--registry', join(dir, 'registry.json')]);
    expect(bad.status).toBe(1);
  });
});
