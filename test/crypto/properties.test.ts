/**
 * Property tests of docs/PROTOCOL.md §3.1–§3.4 over random t-of-n (n ≤ 7, t > n/2),
 * plaintexts, labels and epochs. Heavy properties run ~20 times: each case deals,
 * seals, makes n DLEQ partials and combines every subset.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bytesToHex,
  combineAndOpen,
  createPartial,
  CURVE_ORDER,
  dealShares,
  envelopeId,
  labelBytes,
  lagrangeCoefficients,
  mulBase,
  parseEnvelope,
  pointEquals,
  sealEnvelope,
  shareMatchesCommitments,
  verificationShare,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import type { Label } from '@custodes/shared/crypto';
import { canonicalJson, ceremonyFiles, parsePublicKeySet, parseShareFile, partialsRoot } from '@custodes/shared/records';
import { rootFromLeaves } from '@custodes/shared/log';
import { expectProtocolError, subsets } from './helpers';

// ## Arbitraries

/** n ∈ [1, 7] and n/2 < t ≤ n (docs/PROTOCOL.md §3.1). */
const thresholdArb = fc
  .integer({ min: 1, max: 7 })
  .chain((n) => fc.record({ n: fc.constant(n), t: fc.integer({ min: Math.floor(n / 2) + 1, max: n }) }));

/** Labels of §3.2: subject 1–256 UTF-16 units of well-formed Unicode, category [a-z0-9-]{1,64}, integer time. */
const labelArb: fc.Arbitrary<Label> = fc.record({
  subject: fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }),
  category: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
  time: fc.maxSafeInteger(),
});

const epochArb = fc.integer({ min: 0, max: 0xffffffff });
const plaintextArb = fc.uint8Array({ maxLength: 300 });
const scalarArb = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

// ## Properties

describe('threshold decryption over random t-of-n (§3.1–§3.4)', () => {
  it('every t-subset of partials opens the envelope; every (t−1)-subset fails with NOT_ENOUGH_PARTIALS; a partial fails against another X_j', () => {
    fc.assert(
      fc.property(thresholdArb, plaintextArb, labelArb, epochArb, ({ t, n }, plaintext, label, epoch) => {
        const files = ceremonyFiles(dealShares(t, n), epoch);
        const keys = parsePublicKeySet(files.publicKeySet);
        const shares = files.shares.map((s) => parseShareFile(s));
        const env = parseEnvelope(sealEnvelope(plaintext, keys.groupKey, epoch, label));
        expect(verifyBinding(env)).toBe(true);
        const partials = shares.map((s) => createPartial(s.share, s.index, env));
        // Each partial verifies against its own X_i (implied below: the (t−1)-subsets
        // count every partial as valid) and not against another custodian's.
        if (n > 1) partials.forEach((p, k) => expect(verifyPartial(p, keys.verificationShares.get(((k + 1) % n) + 1)!, env)).toBe(false));

        let key: string | undefined;
        for (const set of subsets(range(n), t)) {
          const out = combineAndOpen(env, set.map((i) => partials[i - 1]), t, keys.verificationShares);
          expect(out.plaintext).toEqual(plaintext);
          expect(out.used).toEqual(set);
          expect(out.blamed).toEqual([]);
          // Every quorum derives the same per-envelope key.
          key ??= bytesToHex(out.key);
          expect(bytesToHex(out.key)).toBe(key);
        }
        for (const set of subsets(range(n), t - 1)) {
          expectProtocolError(
            () => combineAndOpen(env, set.map((i) => partials[i - 1]), t, keys.verificationShares),
            'NOT_ENOUGH_PARTIALS',
            new RegExp(`need ${t} valid partials, have ${t - 1}$`),
          );
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('Feldman shares (§3.1)', () => {
  it('shares verify against the commitments and X_i = x_i·G; Σ λ_i·x_i = a_0 over every t-subset', () => {
    fc.assert(
      fc.property(
        thresholdArb
          .chain(({ t, n }) => fc.record({ t: fc.constant(t), n: fc.constant(n), coeffs: fc.array(scalarArb, { minLength: t, maxLength: t }) }))
          // A polynomial with f(i) = 0 for some i ≤ n gives that custodian X_i = ∞, which no file can carry; random
          // coefficients never do (probability n/2^256), but fast-check seeks the edges (e.g. a_0 = n − 33, a_1 = 33).
          .filter(({ n, coeffs }) => range(n).every((i) => coeffs.reduceRight((acc, a) => (acc * BigInt(i) + a) % CURVE_ORDER, 0n) !== 0n)),
        epochArb,
        ({ t, n, coeffs }, epoch) => {
          const ceremony = dealShares(t, n, coeffs);
          expect(pointEquals(ceremony.commitments[0]!, mulBase(coeffs[0]!))).toBe(true);
          const files = ceremonyFiles(ceremony, epoch);
          const keys = parsePublicKeySet(files.publicKeySet);
          expect(pointEquals(keys.groupKey, mulBase(coeffs[0]!))).toBe(true);
          for (const file of files.shares) {
            const s = parseShareFile(file);
            expect(shareMatchesCommitments(s.share, s.index, keys.commitments)).toBe(true);
            expect(pointEquals(keys.verificationShares.get(s.index)!, mulBase(s.share))).toBe(true);
            expect(pointEquals(verificationShare(keys.commitments, s.index), mulBase(s.share))).toBe(true);
            // The share of another index never matches (x_i ≠ x_j unless f collides).
            const other = (s.index % n) + 1;
            if (other !== s.index) expect(shareMatchesCommitments(s.share, other, keys.commitments)).toBe(ceremony.shares[other - 1] === s.share);
          }
          // Scalar-only interpolation check of the dealer's polynomial (tests only; §1 goal 1 forbids it in services).
          for (const set of subsets(range(n), t)) {
            const lambdas = lagrangeCoefficients(set);
            const a0 = set.reduce((acc, i) => (acc + lambdas.get(i)! * ceremony.shares[i - 1]!) % CURVE_ORDER, 0n);
            expect(a0).toBe(coeffs[0]);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('envelope binding (§3.2)', () => {
  const files = ceremonyFiles(dealShares(2, 3), 3);
  const keys = parsePublicKeySet(files.publicKeySet);

  it('a sealed envelope survives JSON, its id is hex(μ) and its binding verifies; any other label breaks it', () => {
    fc.assert(
      fc.property(plaintextArb, labelArb, labelArb, (plaintext, label, other) => {
        fc.pre(JSON.stringify(label) !== JSON.stringify(other));
        const envelope = sealEnvelope(plaintext, keys.groupKey, 3, label);
        const wire: unknown = JSON.parse(JSON.stringify(envelope));
        const env = parseEnvelope(wire);
        expect(env.envelope).toEqual(envelope);
        expect(envelopeId(wire)).toBe(bytesToHex(env.mu));
        expect(verifyBinding(env)).toBe(true);
        const relabelled = parseEnvelope({ ...envelope, label: other });
        expect(relabelled.id).not.toBe(env.id);
        expect(verifyBinding(relabelled)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

describe('shortcuts on the release path give the reference results (§3.3, §3.4)', () => {
  const files = ceremonyFiles(dealShares(3, 5), 7);
  const keys = parsePublicKeySet(files.publicKeySet);
  const shares = files.shares.map((s) => parseShareFile(s));
  const hexArb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(bytesToHex);

  it('createPartial with the custodian\'s cached X_i equals createPartial computing x_i·G, and verifies', () => {
    fc.assert(
      fc.property(plaintextArb, labelArb, scalarArb, (plaintext, label, w) => {
        const env = parseEnvelope(sealEnvelope(plaintext, keys.groupKey, 7, label));
        for (const s of shares) {
          const X = keys.verificationShares.get(s.index)!;
          const cached = createPartial(s.share, s.index, env, w, X);
          expect(cached).toEqual(createPartial(s.share, s.index, env, w));
          expect(verifyPartial(cached, X, env)).toBe(true);
        }
      }),
      { numRuns: 10 },
    );
  });

  it('partialsRoot hashes exactly JCS(partial) for partials of any shape (the direct writer and canonicalJson agree)', () => {
    const partialArb = fc.record({ index: fc.integer({ min: -5, max: 300 }), D: hexArb(33), c: hexArb(32), z: hexArb(32) });
    const oddArb = fc.oneof(
      partialArb.map((p) => ({ z: p.z, index: p.index, c: p.c, D: p.D })), // other key order
      partialArb.map((p) => ({ ...p, D: p.D.toUpperCase() })),
      partialArb.map((p) => ({ ...p, index: p.index + 0.5 })),
      partialArb.map((p) => ({ ...p, extra: 1 })),
      partialArb.map((p) => ({ ...p, c: 'quote"and\\backslash\u0001' })),
      fc.record({ D: fc.string(), c: fc.string(), index: fc.double({ noNaN: true, noDefaultInfinity: true }), z: fc.string() }),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(partialArb, oddArb), { minLength: 1, maxLength: 20 }), (partials) => {
        const reference = bytesToHex(rootFromLeaves(partials.map((p) => new TextEncoder().encode(canonicalJson(p)))));
        expect(partialsRoot(partials)).toBe(reference);
      }),
      { numRuns: 200 },
    );
  });

  it('labelBytes writes exactly canonicalJson(label) for any valid label, plain or with a prototype', () => {
    const subjectArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((x) => x.length <= 256);
    const odd = fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '\ud83d\ude00', 'é', '</script>');
    const arb = fc.record({
      subject: fc.oneof(subjectArb, fc.array(odd, { minLength: 1, maxLength: 8 }).map((a) => a.join(''))),
      category: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
      time: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -10, max: 10 }), fc.constant(-0)),
    });
    fc.assert(
      fc.property(arb, (label) => {
        const text = new TextDecoder().decode(labelBytes(label));
        expect(text).toBe(canonicalJson(label));
        expect(bytesToHex(labelBytes(Object.assign(Object.create({ extra: 1 }), label)))).toBe(bytesToHex(new TextEncoder().encode(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('lagrangeCoefficients (cached per index set) are the same on every call and callers cannot change them', () => {
    const first = lagrangeCoefficients([2, 4, 5]);
    first.set(2, 0n);
    first.delete(4);
    const again = lagrangeCoefficients([2, 4, 5]);
    expect([...again.keys()]).toEqual([2, 4, 5]);
    const a0 = [2, 4, 5].reduce((acc, i) => (acc + again.get(i)! * shares[i - 1]!.share) % CURVE_ORDER, 0n);
    expect(mulBase(a0).equals(keys.groupKey)).toBe(true);
  });
});
