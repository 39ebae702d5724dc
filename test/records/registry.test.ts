/**
 * The shared registry view (docs/PROTOCOL.md §4.2 `registry`) that the coordinator,
 * the custodians and the auditors all read: junk refused with named errors,
 * the newest epoch chosen by number, per-epoch verification shares
 * (§3.1 X_i = x_i·G), and an update that drops an investigator.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, dealShares, encodePoint, mulBase, pointEquals, randomSecretKey, schnorrPublicKey } from '@custodes/shared/crypto';
import type { Ceremony } from '@custodes/shared/crypto';
import {
  registryProblems,
  registrySignatures,
  RegistryView,
  signRegistry,
} from '@custodes/shared/records';
import type { RegistryEntry, RegistryEpoch } from '@custodes/shared/records';
import { noteKeyPair } from './noteKeys';
import { judgeGenesis, judgeRegistryUpdate, newestEpoch } from '@custodes/shared/rules';

const party = () => {
  const secretKey = randomSecretKey();
  return { secretKey, publicKey: bytesToHex(schnorrPublicKey(secretKey)) };
};
const custodians = Array.from({ length: 5 }, () => ({ ...party(), ...noteKeyPair() }));
const log = { ...party(), ...noteKeyPair() };
const investigators = [party(), party()];
const hex = (c: Ceremony) => c.commitments.map((C) => bytesToHex(encodePoint(C)));

/** Epoch `epoch` dealt t-of-n over custodians 1..n; names carry the epoch so lookups show which one was read. */
function epochOf(epoch: number, ceremony: Ceremony): RegistryEpoch {
  const commitments = hex(ceremony);
  return {
    epoch,
    threshold: ceremony.threshold,
    total: ceremony.total,
    groupKey: commitments[0]!,
    commitments,
    custodians: custodians.slice(0, ceremony.total).map((k, i) => ({ index: i + 1, name: `c${i + 1}-e${epoch}`, signingKey: k.publicKey, witnessKey: k.notePublicKey, url: `http://127.0.0.1:${9000 + i}` })),
  };
}

// Listed out of order on purpose: the newest (5) is neither first nor last.
const ceremonies = new Map<number, Ceremony>([
  [1, dealShares(2, 3)],
  [5, dealShares(3, 5)],
  [3, dealShares(3, 4)],
]);

function genesis(): RegistryEntry {
  const unsigned: RegistryEntry = {
    type: 'registry',
    sequence: 0,
    origin: 'custodes.test/registry',
    logKey: log.publicKey,
    logNoteKey: log.notePublicKey,
    epochs: [...ceremonies].map(([e, c]) => epochOf(e, c)),
    courts: [{ id: 'court-1', name: 'A court', key: party().publicKey }],
    agencies: [{ id: 'agency-1', name: 'An agency', investigators: investigators.map((k) => k.publicKey) }],
    time: 1_700_000_000,
    signatures: [],
  };
  return custodians.reduce((r, k, i) => signRegistry(r, i + 1, k.secretKey), unsigned);
}

describe('RegistryView: junk is refused with a named error', () => {
  const good = genesis();
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'registry'],
    ['NaN', Number.NaN],
    ['an empty object', {}],
    ['another entry type', { ...good, type: 'warrant' }],
  ])('entry = %s → TypeError', (_, junk) => {
    expect(() => new RegistryView(junk as unknown as RegistryEntry, 0)).toThrow(TypeError);
    expect(() => new RegistryView(junk as unknown as RegistryEntry, 0)).toThrow(/^entry is not a registry entry \(docs\/PROTOCOL\.md §4\.2\): /);
  });

  it('names the offending field', () => {
    expect(() => new RegistryView({ ...good, epochs: [] }, 0)).toThrow(/^entry is not a registry entry \(docs\/PROTOCOL\.md §4\.2\): epochs: /);
    expect(() => new RegistryView({ ...good, logKey: '' }, 0)).toThrow(/: logKey: /);
    const badEpoch = { ...good, epochs: [{ ...good.epochs[0]!, commitments: ['zz'] }] };
    expect(() => new RegistryView(badEpoch, 0)).toThrow(/: epochs\.0\.commitments\.0: /);
  });

  it.each([
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2^53', 2 ** 53],
  ])('index = %s → RangeError', (_, index) => {
    expect(() => new RegistryView(good, index)).toThrow(RangeError);
    expect(() => new RegistryView(good, index)).toThrow(/^index must be a log index, an integer ≥ 0; got /);
  });

  it.each([
    ['a string', '0'],
    ['null', null],
  ])('index = %s → TypeError', (_, index) => {
    expect(() => new RegistryView(good, index as unknown as number)).toThrow(new TypeError('index must be a number'));
  });
});

describe('RegistryView: the newest epoch is the highest number', () => {
  const entry = genesis();
  const view = new RegistryView(entry, 7);

  it('is a sound, fully signed genesis', () => {
    expect(registryProblems(entry)).toEqual([]);
    expect(judgeGenesis(entry).ok).toBe(true);
  });

  it('reads t, n and the custodians from epoch 5, listed in the middle', () => {
    expect(entry.epochs.map((e) => e.epoch)).toEqual([1, 5, 3]);
    expect(view.index).toBe(7);
    expect(view.current.epoch).toBe(5);
    expect(newestEpoch(entry)?.epoch).toBe(5);
    expect([view.threshold, view.total]).toEqual([3, 5]);
    expect(view.custodians.map((c) => c.name)).toEqual(['c1-e5', 'c2-e5', 'c3-e5', 'c4-e5', 'c5-e5']);
    expect(view.custodian(4)?.name).toBe('c4-e5');
    expect(view.custodian(6)).toBeUndefined();
  });

  it('a higher epoch added later wins, wherever it stands', () => {
    const later = { ...entry, epochs: [epochOf(6, dealShares(2, 2)), ...entry.epochs] };
    const v = new RegistryView(later, 8);
    expect(v.current.epoch).toBe(6);
    expect([v.threshold, v.total]).toEqual([2, 2]);
    expect(v.custodian(3)).toBeUndefined();
  });

  it('finds epochs, courts and agencies by id, and nothing for unknown ones', () => {
    expect(view.epoch(3)?.threshold).toBe(3);
    expect(view.epoch(2)).toBeUndefined();
    expect(view.court('court-1')?.name).toBe('A court');
    expect(view.court('court-2')).toBeUndefined();
    expect(view.agency('agency-1')?.investigators).toHaveLength(2);
    expect(view.agency('agency-2')).toBeUndefined();
  });
});

describe('RegistryView: verification shares per epoch (docs/PROTOCOL.md §3.1)', () => {
  const view = new RegistryView(genesis(), 0);

  it('X_i = x_i·G for every custodian of every epoch', () => {
    for (const [epoch, ceremony] of ceremonies) {
      const shares = view.verificationShares(epoch);
      expect([...(shares?.keys() ?? [])]).toEqual(Array.from({ length: ceremony.total }, (_, i) => i + 1));
      ceremony.shares.forEach((x, k) => {
        const X = view.verificationShare(epoch, k + 1);
        expect(X, `epoch ${epoch} custodian ${k + 1}`).toBeDefined();
        expect(pointEquals(X!, mulBase(x))).toBe(true);
      });
    }
  });

  it('keeps epochs apart: custodian 1 has a different X in each', () => {
    const xs = [...ceremonies.keys()].map((e) => bytesToHex(encodePoint(view.verificationShare(e, 1)!)));
    expect(new Set(xs).size).toBe(ceremonies.size);
  });

  it('has none for an unknown epoch or an index the epoch does not list', () => {
    expect(view.verificationShares(2)).toBeUndefined();
    expect(view.verificationShare(2, 1)).toBeUndefined();
    expect(view.verificationShare(1, 4)).toBeUndefined(); // epoch 1 is 2-of-3
    expect(view.verificationShare(5, 4)).toBeDefined();
  });

  it('has none for an epoch whose commitment is off the curve, which registryProblems names', () => {
    const entry = genesis();
    // x = 5 has no y on secp256k1 (5³ + 7 = 132 is not a square mod p).
    const offCurve = '02' + '5'.padStart(64, '0');
    const bad = { ...entry, epochs: entry.epochs.map((e) => (e.epoch === 3 ? { ...e, commitments: [e.commitments![0]!, offCurve, e.commitments![2]!] } : e)) };
    const v = new RegistryView(bad, 0);
    expect(v.verificationShares(3)).toBeUndefined();
    expect(v.verificationShare(5, 1)).toBeDefined();
    expect(registryProblems(bad)).toEqual(['epoch 3: a commitment is not a point on secp256k1']);
  });
});

describe('registryProblems and registrySignatures', () => {
  const entry = genesis();
  const e0 = entry.epochs[0]!;

  it.each<[string, Partial<RegistryEntry>, string]>([
    ['a repeated epoch', { epochs: [e0, e0] }, 'epochs are not distinct'],
    ['t ≤ n/2', { epochs: [{ ...e0, threshold: 1, commitments: [e0.commitments![0]!] }] }, 'epoch 1 breaks n/2 < t ≤ n (t=1, n=3)'],
    ['groupKey ≠ C_0', { epochs: [{ ...e0, groupKey: e0.commitments![1]! }] }, 'epoch 1: groupKey is not commitments[0]'],
    ['a repeated name', { epochs: [{ ...e0, custodians: e0.custodians.map((c) => ({ ...c, name: 'same' })) }] }, 'epoch 1 repeats a custodian name'],
    ['two keys for one index', { epochs: [e0, { ...entry.epochs[1]!, custodians: entry.epochs[1]!.custodians.map((c) => (c.index === 2 ? { ...c, signingKey: log.publicKey } : c)) }] }, 'custodian 2 has two signing keys'],
  ])('names %s', (_, over, problem) => {
    expect(registryProblems({ ...entry, ...over })).toEqual([problem]);
  });

  it('judges each signature: valid, invalid, unknown, repeated', () => {
    const signers = new Map(custodians.slice(0, 3).map((k, i) => [i + 1, { signingKey: k.publicKey }] as const));
    const [s1, s2, , s4] = entry.signatures;
    const sigs = [s1!, { custodian: 2, signature: s1!.signature }, s4!, s1!, s2!];
    expect(registrySignatures({ ...entry, signatures: sigs }, signers)).toEqual([
      { custodian: 1, verdict: 'valid', repeated: false },
      { custodian: 2, verdict: 'invalid', repeated: false },
      { custodian: 4, verdict: 'unknown', repeated: false },
      { custodian: 1, verdict: 'valid', repeated: true },
      { custodian: 2, verdict: 'valid', repeated: true },
    ]);
  });
});

describe('an update that removes an investigator (docs/PROTOCOL.md §4.2: later updates signed by t)', () => {
  const g = genesis();
  const [kept, removed] = investigators;
  const body: RegistryEntry = {
    ...g,
    sequence: 1,
    agencies: [{ id: 'agency-1', name: 'An agency', investigators: [kept!.publicKey] }],
    time: g.time + 60,
    signatures: [],
  };
  // t = 3 of the newest epoch (5) sign the update.
  const update = [2, 4, 5].reduce((r, i) => signRegistry(r, i, custodians[i - 1]!.secretKey), body);

  it('is a valid update, and with t − 1 signatures it is not', () => {
    expect(judgeRegistryUpdate(update, g)).toEqual({ ok: true, signers: [2, 4, 5] });
    expect(judgeRegistryUpdate({ ...update, signatures: update.signatures.slice(1) }, g)).toMatchObject({ ok: false, code: 'INSUFFICIENT_SIGNATURES' });
  });

  it('no longer accepts the removed investigator, and still accepts the other', () => {
    const before = new RegistryView(g, 0);
    const after = new RegistryView(update, 1);
    expect(before.isInvestigator('agency-1', removed!.publicKey)).toBe(true);
    expect(after.isInvestigator('agency-1', removed!.publicKey)).toBe(false);
    expect(after.isInvestigator('agency-1', kept!.publicKey)).toBe(true);
    expect(after.isInvestigator('agency-2', kept!.publicKey)).toBe(false);
  });
});
