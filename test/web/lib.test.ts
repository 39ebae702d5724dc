/**
 * The explorer's browser modules, run in Node against the project's own log
 * library: every inclusion proof for every tree size up to 64 verifies, and
 * fails with any single bit flipped (STYLE.md); the transparency-dev vectors;
 * checkpoint notes and key IDs as shared/src/log writes them; entry decoding
 * of junk leaves.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex, hexToBytes, randomSecretKey, schnorrPublicKey, schnorrSign, schnorrVerify, sha256, taggedHash, utf8 } from '@custodes/shared/crypto';
import { COSIGNATURE_KEY_TYPE, cosignCheckpoint, LOG_KEY_TYPE, MemoryTree, noteKeyId, signCheckpoint } from '@custodes/shared/log';
import { canonicalBytes, warrantCoverSheet } from '@custodes/shared/records';
import { loadBip340, loadBytes, loadEntries, loadMerkle, loadNote } from './helpers/lib';
import { issueWarrant, makeWorld, ORIGIN, signedApproval } from './helpers/world';

const merkle = await loadMerkle();
const note = await loadNote();
const entries = await loadEntries();
const bytes = await loadBytes();
const bip340 = await loadBip340();

const leafOf = (i: number) => utf8(`leaf ${i}`);

function treeOf(size: number): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < size; i++) t.append(leafOf(i));
  return t;
}

describe('merkle.js: RFC 9162 §2.1.3.2 in WebCrypto', () => {
  it('hashes leaves and nodes as RFC 6962', async () => {
    const t = new MemoryTree();
    t.append(leafOf(0));
    t.append(leafOf(1));
    const l0 = await merkle.leafHash(leafOf(0));
    const l1 = await merkle.leafHash(leafOf(1));
    expect(await merkle.nodeHash(l0, l1)).toEqual(t.root());
  });

  it('verifies every proof for every size up to 64, and rejects each with one bit flipped', async () => {
    let checked = 0;
    for (let size = 1; size <= 64; size++) {
      const t = treeOf(size);
      const root = t.root();
      for (let index = 0; index < size; index++) {
        const proof = t.inclusionProof(index, size);
        const hash = await merkle.leafHash(leafOf(index));
        const ok = await merkle.verifyInclusion(index, size, hash, proof, root);
        expect(ok.ok, `size ${size} index ${index}`).toBe(true);
        expect(ok.steps).toHaveLength(proof.length);
        // one bit in one proof hash (the position varies with the index)
        if (proof.length > 0) {
          const which = index % proof.length;
          const bad = proof.map((p) => p.slice());
          const hashToFlip = bad[which]!;
          hashToFlip[index % 32] = hashToFlip[index % 32]! ^ (1 << (index % 8));
          const r = await merkle.verifyInclusion(index, size, hash, bad, root);
          expect(r.ok).toBe(false);
          expect(r.reason).toMatch(/different root/);
        }
        checked++;
      }
    }
    expect(checked).toBe((64 * 65) / 2);
  });

  it('rejects a wrong index, size, leaf, root, and a short or long proof', async () => {
    const t = treeOf(13);
    const root = t.root();
    const proof = t.inclusionProof(5, 13);
    const hash = await merkle.leafHash(leafOf(5));
    expect((await merkle.verifyInclusion(5, 13, hash, proof, root)).ok).toBe(true);
    expect((await merkle.verifyInclusion(4, 13, hash, proof, root)).ok).toBe(false);
    // A size of the same path shape proves the same root (the root binds the size); another shape fails.
    expect((await merkle.verifyInclusion(5, 6, hash, proof, root)).ok).toBe(false);
    expect((await merkle.verifyInclusion(13, 13, hash, proof, root)).reason).toMatch(/not below the tree size/);
    expect((await merkle.verifyInclusion(5, 13, await merkle.leafHash(leafOf(6)), proof, root)).ok).toBe(false);
    expect((await merkle.verifyInclusion(5, 13, hash, proof, t.root(12))).ok).toBe(false);
    expect((await merkle.verifyInclusion(5, 13, hash, proof.slice(1), root)).reason).toMatch(/shorter/);
    expect((await merkle.verifyInclusion(5, 13, hash, [...proof, proof[0]!], root)).reason).toMatch(/longer/);
    expect((await merkle.verifyInclusion(5, 13, hash, [proof[0]!.slice(1), ...proof.slice(1)], root)).reason).toMatch(/32 bytes/);
    for (const junk of [NaN, -1, 1.5, 2 ** 53, Infinity]) {
      expect((await merkle.verifyInclusion(junk, 13, hash, proof, root)).ok).toBe(false);
      expect((await merkle.verifyInclusion(5, junk, hash, proof, root)).ok).toBe(false);
    }
  });

  it('throws only for a caller bug (wrong JS types)', async () => {
    await expect(merkle.verifyInclusion(0, 1, 'x' as unknown as Uint8Array, [], new Uint8Array(32))).rejects.toThrow(TypeError);
    await expect(merkle.verifyInclusion(0, 1, new Uint8Array(32), null as unknown as [], new Uint8Array(32))).rejects.toThrow(TypeError);
  });

  const vectors = join(import.meta.dirname, '../vectors/merkle/testdata/inclusion');
  it('agrees with the transparency-dev/merkle inclusion vectors (test/vectors/merkle)', async () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.json')) files.push(p);
      }
    };
    walk(vectors);
    expect(files.length).toBeGreaterThanOrEqual(80);
    const b64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'));
    for (const file of files) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean };
      const r = await merkle.verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
      expect(r.ok, file).toBe(!v.wantErr);
    }
  });
});

describe('merkle.js: RFC 9162 §2.1.4.2 consistency in WebCrypto', () => {
  it('verifies every consistency proof for 0 < size1 ≤ size2 ≤ 40, and rejects each with one bit flipped', async () => {
    const t = treeOf(40);
    for (let size2 = 1; size2 <= 40; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        const proof = t.consistencyProof(size1, size2);
        const [root1, root2] = [t.root(size1), t.root(size2)];
        const ok = await merkle.verifyConsistency(size1, size2, root1, root2, proof);
        expect(ok.ok, `${size1} → ${size2}: ${ok.reason}`).toBe(true);
        if (proof.length > 0) {
          const bad = proof.map((p) => p.slice());
          const hashToFlip = bad[(size1 + size2) % bad.length]!;
          hashToFlip[size2 % 32] = hashToFlip[size2 % 32]! ^ (1 << (size1 % 8));
          expect((await merkle.verifyConsistency(size1, size2, root1, root2, bad)).ok, `${size1} → ${size2} flipped`).toBe(false);
        }
        if (size1 < size2) {
          expect((await merkle.verifyConsistency(size1, size2, t.root(size1 - 1), root2, proof)).ok).toBe(false);
          expect((await merkle.verifyConsistency(size1, size2, root1, t.root(size2 - 1), proof)).ok).toBe(false);
        }
      }
    }
  });

  it('rejects a shrinking log and two roots for one size', async () => {
    const t = treeOf(9);
    expect((await merkle.verifyConsistency(9, 8, t.root(9), t.root(8), [])).reason).toMatch(/shrank/);
    expect((await merkle.verifyConsistency(8, 8, t.root(8), t.root(7), [])).reason).toMatch(/different roots/);
    expect((await merkle.verifyConsistency(3, 9, t.root(3), t.root(9), [])).reason).toMatch(/empty/);
    expect((await merkle.verifyConsistency(0, 9, t.root(0), t.root(9), [])).reason).toMatch(/empty tree/);
  });

  const vectors = join(import.meta.dirname, '../vectors/merkle/testdata/consistency');
  it('agrees with the transparency-dev/merkle consistency vectors (test/vectors/merkle)', async () => {
    const files = readdirSync(vectors, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(vectors, f));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const b64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'));
    for (const file of files) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean };
      const r = await merkle.verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
      expect(r.ok, file).toBe(!v.wantErr);
    }
  });
});

describe('note.js: checkpoints and signature lines', () => {
  const world = makeWorld(1_800_000_000);
  const t = treeOf(7);
  const cp = { origin: ORIGIN, size: 7, root: t.root() };
  const sk = (hex: string) => hexToBytes(hex, 32);
  const signed =
    signCheckpoint(cp, sk(world.log.secretKey)) +
    world.custodians
      .slice(0, 2)
      .map((c) => cosignCheckpoint(cp, { name: c.name, secretKey: sk(c.secretKey), timestamp: 1_800_000_123 }))
      .join('');
  const registry = { origin: ORIGIN, logKey: world.log.publicKey, custodians: world.custodians.map((c) => ({ index: c.index, name: c.name, signingKey: c.publicKey })) };

  it('parses the body and the signature lines', () => {
    const parsed = note.parseCheckpointNote(signed);
    expect(parsed.origin).toBe(ORIGIN);
    expect(parsed.size).toBe(7);
    expect(parsed.root).toEqual(t.root());
    expect(parsed.signatures.map((s) => s.name)).toEqual([ORIGIN, world.custodians[0]!.name, world.custodians[1]!.name]);
    expect(parsed.signatures[0]!.timestamp).toBeNull();
    expect(parsed.signatures[1]!.timestamp).toBe(1_800_000_123);
  });

  it('computes key IDs as shared/src/log does', async () => {
    const c = world.custodians[2]!;
    expect(await note.noteKeyId(c.name, 'cosignature', c.publicKey)).toBe(bytesToHex(noteKeyId(c.name, COSIGNATURE_KEY_TYPE, hexToBytes(c.publicKey))));
    expect(await note.noteKeyId(ORIGIN, 'log', world.log.publicKey)).toBe(bytesToHex(noteKeyId(ORIGIN, LOG_KEY_TYPE, hexToBytes(world.log.publicKey))));
  });

  it('identifies the log key and the cosigners by registry key IDs', async () => {
    const roles = await note.classifySignatures(note.parseCheckpointNote(signed), registry);
    expect(roles.map((r) => [r.role, r.custodian, r.verified])).toEqual([
      ['log', null, true],
      ['cosignature', 1, true],
      ['cosignature', 2, true],
    ]);
    // A forged cosignature: right name and key ID, wrong signature bytes.
    const lines = signed.split('\n');
    const forgedLine = lines[lines.length - 2]!;
    const raw = Buffer.from(forgedLine.slice(forgedLine.lastIndexOf(' ') + 1), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    lines[lines.length - 2] = `${forgedLine.slice(0, forgedLine.lastIndexOf(' ') + 1)}${raw.toString('base64')}`;
    const forged = await note.classifySignatures(note.parseCheckpointNote(lines.join('\n')), registry);
    expect(forged.map((r) => [r.role, r.verified])).toEqual([
      ['log', true],
      ['cosignature', true],
      ['cosignature', false],
    ]);
    // A checkpoint whose body changed keeps its key IDs but no valid signature.
    const other = signed.replace(`\n7\n`, '\n8\n');
    expect((await note.classifySignatures(note.parseCheckpointNote(other), registry)).every((r) => !r.verified)).toBe(true);
    // A line under a registered name but another key is not that custodian.
    const stranger = cosignCheckpoint(cp, { name: world.custodians[2]!.name, secretKey: sk(world.log.secretKey), timestamp: 1 });
    const mixed = await note.classifySignatures(note.parseCheckpointNote(signed + stranger), registry);
    expect(mixed.at(-1)!.role).toBe('unknown');
    expect((await note.classifySignatures(note.parseCheckpointNote(signed), null)).every((r) => r.role === 'unknown')).toBe(true);
  });

  it('verifies the conformance vector’s signed note (made by an independent implementation)', async () => {
    const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '../vectors/custodes-v1.json'), 'utf8')) as {
      signedNote: { origin: string; logPublicKey: string; witnessName: string; witnessPublicKey: string; timestamp: number; note: string; keyIdLog: string; keyIdWitness: string };
    };
    const v = vectors.signedNote;
    const parsed = note.parseCheckpointNote(v.note);
    expect([parsed.origin, parsed.size]).toEqual([v.origin, 2]);
    expect(parsed.signatures.map((s) => s.keyId)).toEqual([v.keyIdLog, v.keyIdWitness]);
    expect(parsed.signatures[1]!.timestamp).toBe(v.timestamp);
    const roles = await note.classifySignatures(parsed, { origin: v.origin, logKey: v.logPublicKey, custodians: [{ index: 2, name: v.witnessName, signingKey: v.witnessPublicKey }] });
    expect(roles.map((r) => [r.role, r.verified])).toEqual([
      ['log', true],
      ['cosignature', true],
    ]);
  });

  it('rejects malformed notes with a RangeError', () => {
    const body = `${ORIGIN}\n7\n${bytesToBase64(t.root())}\n`;
    const line = signed.slice(signed.indexOf('\n\n') + 2);
    for (const bad of [
      '',
      body,
      `${body}\n`,
      `${ORIGIN}\n07\n${bytesToBase64(t.root())}\n\n${line}`,
      `${ORIGIN}\n7\n${bytesToBase64(t.root().slice(1))}\n\n${line}`,
      `${ORIGIN}\n7\n${bytesToBase64(t.root())}\nextension\n\n${line}`,
      `${body}\n- ${ORIGIN} AAAA\n`,
      `${body}\n— ${ORIGIN} not-base64!\n`,
      `${body}\n— ${ORIGIN} AAAA\n`,
      signed.replace('\n\n', '\n\u0007\n'),
      signed.slice(0, -1),
    ]) {
      expect(() => note.parseCheckpointNote(bad), JSON.stringify(bad.slice(0, 40))).toThrow(RangeError);
    }
    expect(() => note.parseCheckpointNote(7 as unknown as string)).toThrow(TypeError);
  });
});

describe('bip340.js: Schnorr verification in the browser', () => {
  it('computes tagged hashes as shared/src/crypto does', async () => {
    const m = utf8('checkpoint text\n');
    expect(await bip340.taggedHash('custodes/v1/note', m)).toEqual(taggedHash('custodes/v1/note', m));
    expect(await bip340.taggedHash('BIP0340/challenge', m)).toEqual(taggedHash('BIP0340/challenge', m));
  });

  it('accepts what the protocol library signs and rejects any single bit flipped', async () => {
    for (let i = 0; i < 12; i++) {
      const sk = randomSecretKey();
      const pk = schnorrPublicKey(sk);
      const msg = sha256(utf8(`message ${i}`));
      const sig = schnorrSign(msg, sk);
      expect(await bip340.schnorrVerify(sig, msg, pk)).toBe(true);
      const badSig = sig.slice();
      badSig[i * 5] = badSig[i * 5]! ^ (1 << (i % 8));
      expect(await bip340.schnorrVerify(badSig, msg, pk)).toBe(false);
      const badMsg = msg.slice();
      badMsg[i] = badMsg[i]! ^ 1;
      expect(await bip340.schnorrVerify(sig, badMsg, pk)).toBe(false);
      expect(await bip340.schnorrVerify(sig, msg, schnorrPublicKey(randomSecretKey()))).toBe(false);
    }
  });

  it('agrees with the protocol library on junk, and rejects out-of-range values', async () => {
    const pk = schnorrPublicKey(randomSecretKey());
    const msg = sha256(utf8('junk'));
    for (let i = 0; i < 8; i++) {
      const sig = new Uint8Array([...randomSecretKey(), ...randomSecretKey()]);
      expect(await bip340.schnorrVerify(sig, msg, pk)).toBe(schnorrVerify(sig, msg, pk));
    }
    const ff = new Uint8Array(32).fill(0xff);
    const sig = schnorrSign(msg, randomSecretKey());
    expect(await bip340.schnorrVerify(new Uint8Array([...ff, ...sig.subarray(32)]), msg, pk)).toBe(false); // r ≥ p
    expect(await bip340.schnorrVerify(new Uint8Array([...sig.subarray(0, 32), ...ff]), msg, pk)).toBe(false); // s ≥ n
    expect(await bip340.schnorrVerify(sig, msg, ff)).toBe(false); // x ≥ p
    expect(await bip340.schnorrVerify(sig.subarray(1), msg, pk)).toBe(false);
    expect(await bip340.schnorrVerify(sig, msg.subarray(1), pk)).toBe(false);
    await expect(bip340.schnorrVerify('x' as unknown as Uint8Array, msg, pk)).rejects.toThrow(TypeError);
  });
});

describe('entries.js: decoding and warrant history', () => {
  const now = 1_800_000_000;
  const world = makeWorld(now);
  const a = issueWarrant(world, now);
  const b = issueWarrant(world, now);
  const leaves = [
    world.registry,
    warrantCoverSheet(a.warrant, a.commitment),
    warrantCoverSheet(b.warrant, b.commitment),
    signedApproval(world.custodians[0]!, a, 'approve', now),
    signedApproval(world.custodians[1]!, b, 'deny', now, 'scope too broad'),
  ].map((e, i) => entries.decodeLeaf(i, bytesToBase64(canonicalBytes(e))));

  it('decodes each entry by type', () => {
    expect(leaves.map((d) => d.type)).toEqual(['registry', 'warrant', 'warrant', 'approval', 'approval']);
    expect(entries.describeEntry(leaves[0]!).title).toBe('Registry #0: 2 of 3 custodians');
    expect(entries.describeEntry(leaves[3]!).title).toBe('Approval by custodian 1');
    expect(entries.describeEntry(leaves[4]!).fields).toContainEqual(['Reason', 'scope too broad']);
  });

  it('finds a warrant’s history and nothing of another’s', () => {
    const h = entries.warrantHistory(a.warrant.id, leaves);
    expect(h.cover!.map((d) => d.index)).toEqual([1]);
    expect(h.approvals!.map((d) => d.index)).toEqual([3]);
    expect(entries.warrantHistory(b.warrant.id, leaves).approvals!.map((d) => d.index)).toEqual([4]);
  });

  it('describes DKG entries (docs/PROTOCOL.md §3.8): a participant step, the coordinator’s abort, an epoch', () => {
    const session = '00000000-0000-4000-8000-00000000d001';
    const commit = entries.decodeLeaf(5, bytesToBase64(utf8(JSON.stringify({ custodian: 2, epoch: 1, payload: '00'.repeat(32), session, signature: '11'.repeat(64), step: 'commit', time: now, type: 'dkg' }))));
    expect(entries.describeEntry(commit).title).toBe('DKG epoch 1: commit by custodian 2');
    const abort = entries.decodeLeaf(6, bytesToBase64(utf8(JSON.stringify({ blamed: [4], epoch: 1, payload: 'dGltZW91dA==', session, step: 'abort', time: now, type: 'dkg' }))));
    expect(entries.describeEntry(abort).title).toBe('DKG epoch 1: abort (coordinator)');
    expect(entries.describeEntry(abort).fields).toContainEqual(['Blamed', '4']);
    const epoch = entries.decodeLeaf(7, bytesToBase64(utf8(JSON.stringify({ commitments: ['02' + '00'.repeat(32), '03' + '00'.repeat(32)], epoch: 1, groupKey: '02' + '00'.repeat(32), recoveryData: 'AA==', session, time: now, type: 'epoch' }))));
    expect(entries.describeEntry(epoch).title).toBe('Epoch 1 active: key made by DKG');
    expect(entries.describeEntry(epoch).fields).toContainEqual(['Threshold', '2']);
  });

  it('marks junk leaves undecodable instead of trusting them', () => {
    for (const junk of ['', '!!!!', bytesToBase64(utf8('[1,2]')), bytesToBase64(utf8('{"type":"evil"}')), bytesToBase64(Uint8Array.of(0xff, 0xfe)), bytesToBase64(utf8('null'))]) {
      const d = entries.decodeLeaf(9, junk);
      expect(d.type).toBe('undecodable');
      expect(entries.describeEntry(d).title).toMatch(/^Undecodable leaf/);
    }
  });
});

describe('bytes.js', () => {
  it('decodes only canonical base64 and hex', () => {
    expect(bytes.base64ToBytes('AAE=')).toEqual(Uint8Array.of(0, 1));
    for (const bad of ['AAF=', 'AAE', 'A===', ' AAE=']) expect(() => bytes.base64ToBytes(bad)).toThrow(RangeError);
    expect(bytes.hexToBytes('00fF')).toEqual(Uint8Array.of(0, 255));
    for (const bad of ['0', 'zz', '00 ']) expect(() => bytes.hexToBytes(bad)).toThrow(RangeError);
  });
});
