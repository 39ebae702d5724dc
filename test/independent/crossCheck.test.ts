/**
 * Cross-checks the project's library (and CLI) against the independent
 * implementation of docs/PROTOCOL.md §3 in ./impl:
 * (a) the independent implementation reproduces the conformance vectors;
 * (b) it opens envelopes the project sealed, from partial decryptions D_i made
 *     with the ceremony's shares (never by interpolating the secret), and its
 *     DLEQ verifier accepts the project's partials;
 * (c) the project opens envelopes and checks partials the independent one made;
 * (d) the same through the `custodes` CLI, run as a user would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import canonicalize from 'canonicalize';
import {
  bytesToHex,
  combineAndOpen,
  createPartial,
  dealShares,
  envelopeId,
  parseEnvelope,
  randomSecretKey,
  resultContext,
  schnorrPublicKey,
  sealEnvelope,
  sealToInvestigator,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import { ceremonyFiles, parsePublicKeySet, parseShareFile } from '@custodes/shared/records';
import { conformance as V } from '../vectors/load';
import * as I from './impl';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const big = (h: string) => BigInt('0x' + h);
const same = (a: unknown, b: unknown) => expect(canonicalize(a)).toBe(canonicalize(b));

// ## Arbitraries (small n: every case makes DLEQ proofs on both sides)

const thresholdArb = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.record({ n: fc.constant(n), t: fc.integer({ min: Math.floor(n / 2) + 1, max: n }) }));
/** A t-subset of 1..n, in a random order (the combination must not depend on it). */
const quorumArb = thresholdArb.chain(({ t, n }) =>
  fc.record({ t: fc.constant(t), n: fc.constant(n), set: fc.shuffledSubarray(Array.from({ length: n }, (_, k) => k + 1), { minLength: t, maxLength: t }) }),
);
const labelArb = fc.record({
  subject: fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  category: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
  time: fc.maxSafeInteger(),
});
const epochArb = fc.integer({ min: 0, max: 0xffffffff });
const plaintextArb = fc.uint8Array({ maxLength: 200 });
const scalarArb = fc.bigInt({ min: 1n, max: I.N - 1n });

// ## (a) Known-answer vectors

describe('(a) the independent implementation reproduces test/vectors/custodes-v1.json', () => {
  it('tagged hash, JCS(label) and ℓ (§3, §3.2)', () => {
    expect(I.hex(I.H(V.taggedHash.tag, I.utf8(V.taggedHash.message)))).toBe(V.taggedHash.hash);
    expect(decode(I.jcs(V.label))).toBe(V.labelJcs);
    expect(I.hex(I.labelHash(V.label))).toBe(V.labelHash);
  });

  it('ceremony files (§3.1)', () => {
    const files = I.ceremony(3, 5, 1, V.ceremony.coefficients.map(big));
    same(files.public, V.ceremony.public);
    expect(files.shares.map((s) => canonicalize(s))).toEqual(V.ceremony.shares.map((s) => canonicalize(s)));
    for (const s of V.ceremony.shares) expect(I.readShare(s as unknown as I.ShareFile).index).toBe(s.index);
  });

  V.envelopes.forEach((vec, k) => {
    it(`envelope ${k}: sealed bytes, R normalisation, Z, k, id, partials and combination (§3.2–§3.4)`, () => {
      const pub = I.readPublic(V.ceremony.public as unknown as I.PublicFile);
      const envelope = I.seal(I.utf8(vec.inputs.plaintext), pub.Y, 1, vec.envelope.label, {
        r: big(vec.inputs.r),
        nonce: I.unb64(vec.inputs.nonce),
        aux: I.unhex(vec.inputs.aux),
      });
      same(envelope, vec.envelope);
      // Step 1: r or n − r, whichever gives an even-y R.
      const r = big(vec.inputs.r);
      const rn = I.G.multiply(r).toAffine().y % 2n === 0n ? r : I.N - r;
      expect(I.hex(I.ser32(rn))).toBe(vec.intermediate.rNormalised);
      const Z = pub.Y.multiply(rn);
      expect(I.hex(I.ser33(Z))).toBe(vec.intermediate.Z);
      const o = I.decodeEnvelope(vec.envelope as unknown as I.Envelope);
      expect(I.hex(I.deriveKey(Z, o.Rx, 1, o.l))).toBe(vec.intermediate.key);
      expect(o.id).toBe(vec.intermediate.id);
      expect(I.verifyBinding(o)).toBe(true);
      for (const [i, expected] of Object.entries(vec.partials)) {
        const share = I.readShare(V.ceremony.shares[Number(i) - 1] as unknown as I.ShareFile);
        expect(I.partial(share, o, big(vec.inputs.w[i]!))).toEqual(expected);
        expect(I.verifyPartial(expected, pub.X.get(Number(i))!, o)).toBe(true);
      }
      const out = I.combineAndOpen(o, V.lagrange.set.map((i) => vec.partials[String(i)]!), 3, pub.X);
      expect(decode(out.plaintext)).toBe(vec.inputs.plaintext);
      expect(I.hex(out.key)).toBe(vec.intermediate.key);
    });
  });

  it('signed record digest and signature (§3.5), warrant JCS and commitment (§4.1)', () => {
    const R = V.signedRecord;
    expect(I.hex(I.recordDigest(R.record, R.kind))).toBe(R.digest);
    expect(I.hex(I.recordDigest({ ...R.record, signature: 'x', courtSignature: 'y' }, R.kind))).toBe(R.digest);
    expect(I.signRecord(R.record, R.kind, I.unhex(R.secretKey), I.unhex(R.aux))).toBe(R.signature);
    const W = V.warrantCommitment;
    expect(decode(I.jcs(W.warrant))).toBe(W.warrantJcs);
    expect(I.warrantCommitment(W.warrant, I.unhex(W.salt))).toBe(W.commitment);
  });
});

// ## (b) Project seals and makes partials; the independent implementation checks and opens

describe('(b) project → independent', () => {
  it('opens project envelopes from D_i of any t custodians, and accepts exactly the right project partials', () => {
    fc.assert(
      fc.property(quorumArb, plaintextArb, labelArb, epochArb, scalarArb, ({ t, n, set }, plaintext, label, epoch, w) => {
        const files = ceremonyFiles(dealShares(t, n), epoch);
        const keys = parsePublicKeySet(files.publicKeySet);
        const envelope: unknown = JSON.parse(JSON.stringify(sealEnvelope(plaintext, keys.groupKey, epoch, label)));
        // The independent side sees only JSON: public.json, share files, the envelope.
        const pub = I.readPublic(JSON.parse(JSON.stringify(files.publicKeySet)) as I.PublicFile);
        const o = I.decodeEnvelope(envelope as I.Envelope);
        expect(o.id).toBe(envelopeId(envelope));
        expect(I.verifyBinding(o)).toBe(true);
        const shares = new Map(files.shares.map((s) => [s.index, I.readShare(JSON.parse(JSON.stringify(s)) as I.ShareFile)]));

        // Independent partials D_i = x_i·R for the quorum, combined: Z = Σ λ_i·D_i.
        const own = set.map((i) => I.partial(shares.get(i)!, o));
        for (const p of own) expect(I.verifyPartial(p, pub.X.get(p.index)!, o)).toBe(true);
        const opened = I.openWithZ(o, I.combine(own));
        expect(opened?.plaintext).toEqual(plaintext);

        // The project's partials: accepted by the independent DLEQ verifier, identical
        // to the independent ones for the same nonce w, and they combine there too.
        const env = parseEnvelope(envelope);
        const theirs = set.map((i) => createPartial(shares.get(i)!.x, i, env));
        for (const p of theirs) {
          expect(I.verifyPartial(p, pub.X.get(p.index)!, o)).toBe(true);
          if (n > 1) expect(I.verifyPartial(p, pub.X.get((p.index % n) + 1)!, o)).toBe(false);
        }
        expect(createPartial(shares.get(set[0]!)!.x, set[0]!, env, w)).toEqual(I.partial(shares.get(set[0]!)!, o, w));
        const out = I.combineAndOpen(o, theirs, t, pub.X);
        expect(out.plaintext).toEqual(plaintext);
        expect(out.key).toEqual(opened?.key);
        expect(out.blamed).toEqual([]);
      }),
      { numRuns: 8 },
    );
  });
});

// ## (c) The independent implementation deals, seals and makes partials; the project checks and opens

describe('(c) independent → project', () => {
  it('the project parses independent ceremony files, verifies independent envelopes and partials, and opens them', () => {
    fc.assert(
      fc.property(quorumArb, plaintextArb, labelArb, epochArb, ({ t, n, set }, plaintext, label, epoch) => {
        const files = I.ceremony(t, n, epoch);
        const keys = parsePublicKeySet(JSON.parse(JSON.stringify(files.public)));
        const shares = files.shares.map((s) => parseShareFile(JSON.parse(JSON.stringify(s))));
        expect(shares.map((s) => s.index)).toEqual(files.shares.map((s) => s.index));

        const envelope = I.seal(plaintext, I.readPublic(files.public).Y, epoch, label);
        const env = parseEnvelope(JSON.parse(JSON.stringify(envelope)));
        const o = I.decodeEnvelope(envelope);
        expect(env.id).toBe(o.id);
        expect(verifyBinding(env)).toBe(true);

        const own = new Map(files.shares.map((s) => [s.index, I.readShare(s)]));
        const partials = set.map((i) => I.partial(own.get(i)!, o));
        for (const p of partials) expect(verifyPartial(p, keys.verificationShares.get(p.index)!, env)).toBe(true);
        const out = combineAndOpen(env, partials, t, keys.verificationShares);
        expect(out.plaintext).toEqual(plaintext);
        expect(out.used).toEqual(set);
        expect(out.blamed).toEqual([]);
        expect(out.key).toEqual(I.openWithZ(o, I.combine(partials))?.key);

        // One independent partial with a wrong D, first in line among t+1: the
        // project's fast path fails, the slow path blames exactly it.
        const spare = Array.from({ length: n }, (_, k) => k + 1).find((i) => !set.includes(i));
        if (spare !== undefined && t > 1) {
          const bad = { ...partials[0]!, D: partials[1]!.D };
          const retry = combineAndOpen(env, [bad, ...partials.slice(1), I.partial(own.get(spare)!, o)], t, keys.verificationShares);
          expect(retry.plaintext).toEqual(plaintext);
          expect(retry.blamed).toEqual([set[0]]);
          expect(I.verifyPartial(bad, I.readPublic(files.public).X.get(set[0]!)!, o)).toBe(false);
        }
      }),
      { numRuns: 8 },
    );
  });
});

// ## (d) Through the CLI

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'scripts/src/cli.ts');
const run = promisify(execFile);

/**
 * `npx tsx scripts/src/cli.ts …`, as `node --import tsx`: the same loader in one
 * process, without npx's and tsx's extra start-up (each run loads the whole CLI).
 */
async function custodes(...args: string[]): Promise<void> {
  await run(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, timeout: 120_000 });
}

describe('(d) the custodes CLI against the independent implementation', () => {
  it('CLI ceremony, seal, partial and combine interoperate with the independent implementation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodes-independent-'));
    const keysDir = join(dir, 'keys');
    const at = (name: string) => join(dir, name);
    const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

    // 1. CLI ceremony; the independent implementation checks every share file itself.
    await custodes('ceremony', '--threshold', '3', '--custodians', '5', '--epoch', '1', '--out', keysDir);
    const pubPath = join(keysDir, 'public.json');
    const pub = I.readPublic(readJson(pubPath) as I.PublicFile);
    const shares = [1, 2, 3, 4, 5].map((i) => I.readShare(readJson(join(keysDir, `share-${i}.json`)) as I.ShareFile));
    expect(pub.epoch).toBe(1);
    expect(pub.threshold).toBe(3);
    for (const s of shares) expect(I.G.multiply(s.x).equals(pub.X.get(s.index)!)).toBe(true);

    // The independent implementation seals E2 and makes the partials of custodians 3 and 5.
    const text2 = 'sealed independently, opened by the CLI';
    const E2 = I.seal(I.utf8(text2), pub.Y, 1, { subject: 't', category: 'd', time: 2 });
    writeFileSync(at('E2'), JSON.stringify(E2));
    const o2 = I.decodeEnvelope(E2);
    writeFileSync(at('Q3'), JSON.stringify(I.partial(shares[2]!, o2)));
    writeFileSync(at('Q5'), JSON.stringify(I.partial(shares[4]!, o2)));

    // 2. CLI seal of E, and the CLI partial of custodian 1 for E2 (independent of each other).
    const text = 'sealed by the CLI, opened independently';
    writeFileSync(at('F'), text);
    await Promise.all([
      custodes('envelope', 'seal', '--public', pubPath, '--label', '{"subject":"s","category":"c","time":1}', '--in', at('F'), '--out', at('E')),
      custodes('envelope', 'partial', '--share', join(keysDir, 'share-1.json'), '--in', at('E2'), '--out', at('Q1')),
    ]);

    // 3. CLI combine of E2 from one CLI partial and two independent ones (it checks every proof).
    await custodes('envelope', 'combine', '--public', pubPath, '--in', at('E2'), '--partials', at('Q1'), at('Q3'), at('Q5'), '--out', at('OUT2'));
    expect(readFileSync(at('OUT2'), 'utf8')).toBe(text2);

    // The CLI's partial passes the independent DLEQ verifier and combines independently too.
    const q1 = readJson(at('Q1')) as I.Partial;
    expect(q1.index).toBe(1);
    expect(I.verifyPartial(q1, pub.X.get(1)!, o2)).toBe(true);
    expect(I.verifyPartial(q1, pub.X.get(2)!, o2)).toBe(false);
    const q = [q1, readJson(at('Q3')) as I.Partial, readJson(at('Q5')) as I.Partial];
    expect(decode(I.combineAndOpen(o2, q, 3, pub.X).plaintext)).toBe(text2);

    // The CLI's envelope: binding verified and opened independently from D_i of custodians 2, 4, 5.
    const E = readJson(at('E')) as I.Envelope;
    expect(E.label).toEqual({ subject: 's', category: 'c', time: 1 });
    const o = I.decodeEnvelope(E);
    expect(I.verifyBinding(o)).toBe(true);
    const own = [2, 4, 5].map((i) => I.partial(shares[i - 1]!, o));
    for (const p of own) expect(I.verifyPartial(p, pub.X.get(p.index)!, o)).toBe(true);
    expect(decode(I.combineAndOpen(o, own, 3, pub.X).plaintext)).toBe(text);
  }, 180_000); // four CLI processes; generous only because shared CI machines can be very busy
});

// ## (e) Results sealed to the investigator (docs/PROTOCOL.md §3.7)

describe('(e) results the project sealed to an investigator open with the independent implementation', () => {
  it('property: any plaintext and ids, keys of either y parity; another context does not open', () => {
    fc.assert(
      fc.property(plaintextArb, fc.uuid(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (plaintext, requestId, idBytes) => {
        const sk = randomSecretKey();
        const envelopeId = I.hex(idBytes);
        const sealed = sealToInvestigator(plaintext, bytesToHex(schnorrPublicKey(sk)), resultContext(requestId, envelopeId));
        expect(I.resultContext(requestId, envelopeId)).toEqual(resultContext(requestId, envelopeId));
        expect(I.openSealedResult(sealed, sk, I.resultContext(requestId, envelopeId))).toEqual(plaintext);
        expect(I.openSealedResult(sealed, sk, I.resultContext(envelopeId, requestId))).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});
