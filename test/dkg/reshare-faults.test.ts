/**
 * Resharing under attack (docs/PROTOCOL.md §3.9): one test per check, each
 * breaking exactly that rule. Complaints convict the right party, tampered
 * dealings, certificates and recovery data are refused with their codes, and
 * the byte formats recompute from the spec's formulas.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, CURVE_ORDER, encodePoint, mulBase, scalarToBytes, sha256, taggedHash, u32 } from '@custodes/shared/crypto';
import {
  checkSubshare,
  dealReshare,
  epochFromReshare,
  hostpubkeyGen,
  makeComplaint,
  receiveReshare,
  reshareAckSign,
  reshareAckVerify,
  reshareOutput,
  reshareRecoveryData,
  selectQualified,
  verifyComplaint,
  verifyDealingPublic,
} from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';
import { decodePoint, mul, modN } from '../../shared/src/crypto/group';
import { certeqSign } from '../../shared/src/dkg/certeq';
import { encapsMulti } from '../../shared/src/dkg/encpedpop';
import { padFromSharedPoint } from '../../shared/src/dkg/pad';
import { BIP_TAG, DKG_TAG } from '../../shared/src/dkg/tags';
import { completeReshare, dealAll, dealerEpoch, hostKeys, interpolateSecret, paramsFor } from './reshareFixture';

const rnd = () => Uint8Array.from(randomBytes(32));
const code = (c: string, more: Record<string, unknown> = {}) => expect.objectContaining({ code: c, ...more });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const old = dealerEpoch(1, 3, 5);
const newIndices = [1, 3, 4, 5];
const hosts = hostKeys(newIndices);
const params = paramsFor(old, 2, 3, hosts);
const T = 3;
const N = newIndices.length;
const ENC_AT = 1 + 33 + 33 * T;
const PARAMS_LEN = 61 + 34 * (old.holders.length + N);

/** The dealing with encrypted sub-share number `position` (rank − 1) off by one: a bad sub-share for exactly that holder. */
function cheat(dealing: Uint8Array, position: number): Uint8Array {
  const out = dealing.slice();
  const at = ENC_AT + 32 * position;
  const enc = BigInt('0x' + hex(out.subarray(at, at + 32)));
  out.set(scalarToBytes((enc + 1n) % CURVE_ORDER), at);
  return out;
}

function withBytes(bytes: Uint8Array, at: number, value: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(value, at);
  return out;
}

describe('complaints', () => {
  const dealings = dealAll(params, old, [1, 2, 3, 4, 5]);
  const bad = cheat(dealings[1]!, 2); // dealer 2 cheats custodian 4 (rank 3)

  it('a bad sub-share: the receiver gets BAD_SUBSHARE naming the dealer, and its complaint convicts the dealer', () => {
    let thrown: unknown;
    try {
      receiveReshare(params, hosts.get(4)!, [dealings[0]!, bad, dealings[2]!]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toEqual(code('BAD_SUBSHARE', { dealer: 2, participant: 4 }));
    const complaint = (thrown as { complaint: Uint8Array }).complaint;
    expect(complaint).toHaveLength(99);
    expect(verifyComplaint(params, bad, complaint)).toBe('dealer');
    expect(checkSubshare(params, hosts.get(4)!, bad)).not.toBeNull();
    // Only custodian 4 was cheated: the others find nothing to complain about.
    for (const j of [1, 3, 5]) expect(checkSubshare(params, hosts.get(j)!, bad)).toBeNull();
    // The public checks cannot see it (the commitments are honest).
    expect(verifyDealingPublic(params, bad, 2)).toBe(2);
  });

  it('the reshare completes with another Q that leaves the convicted dealer out', () => {
    const complaint = makeComplaint(params, hosts.get(4)!, bad);
    const falseOne = makeComplaint(params, hosts.get(3)!, dealings[0]!);
    // The first t_O dealers by index, skipping the convicted one; a false complaint changes nothing.
    const q = selectQualified(params, [dealings[4]!, bad, dealings[2]!, dealings[0]!, dealings[3]!], [complaint, falseOne]);
    expect(q.map((d) => d[0])).toEqual([1, 3, 4]);
    expect(() => selectQualified(params, [bad, dealings[0]!, dealings[2]!], [complaint])).toThrow(code('NOT_ENOUGH_DEALERS'));
    expect(() => selectQualified(params, [dealings[0]!, dealings[0]!, dealings[2]!], [])).toThrow(code('BAD_QUALIFIED_SET', { dealer: 1 }));
    expect(selectQualified(params, [dealings[0]!.slice(1), ...dealings.slice(1)], []).map((d) => d[0])).toEqual([2, 3, 4]);
    const { next } = completeReshare(params, hosts, q);
    expect(interpolateSecret(next.holders.slice(1))).toBe(interpolateSecret(old.holders.slice(0, 3)));
  });

  it('a false complaint against an honest dealing convicts the complainer', () => {
    expect(verifyComplaint(params, dealings[0]!, makeComplaint(params, hosts.get(3)!, dealings[0]!))).toBe('complainer');
  });

  it('a complaint whose proof fails, or that is altered, or misnamed, convicts the complainer', () => {
    const real = makeComplaint(params, hosts.get(4)!, bad);
    expect(verifyComplaint(params, bad, real)).toBe('dealer');
    // S of another holder, with 4's proof: the DLEQ fails.
    const otherS = encodePoint(mul(decodePoint(bad.subarray(1, 34)), BigInt('0x' + hex(hosts.get(3)!)) % CURVE_ORDER));
    const cases: Record<string, Uint8Array> = {
      'another S': withBytes(real, 2, otherS),
      'c changed': withBytes(real, 35, scalarToBytes(modN(BigInt('0x' + hex(real.subarray(35, 67))) + 1n))),
      'z changed': withBytes(real, 67, scalarToBytes(modN(BigInt('0x' + hex(real.subarray(67, 99))) + 1n))),
      'names custodian 3': withBytes(real, 0, Uint8Array.of(3)),
      'names a non-member': withBytes(real, 0, Uint8Array.of(2)),
      'names another dealer': withBytes(real, 1, Uint8Array.of(3)),
      truncated: real.slice(0, 98),
      empty: new Uint8Array(0),
    };
    for (const [name, complaint] of Object.entries(cases)) expect([name, verifyComplaint(params, bad, complaint)]).toEqual([name, 'complainer']);
  });

  it('a complaint reveals no host secret: it proves with a fresh nonce each time', () => {
    const a = makeComplaint(params, hosts.get(4)!, bad);
    const b = makeComplaint(params, hosts.get(4)!, bad);
    expect(hex(a.subarray(0, 35))).toBe(hex(b.subarray(0, 35))); // same S
    expect(hex(a.subarray(35))).not.toBe(hex(b.subarray(35)));
    expect(hex(a)).not.toContain(hex(hosts.get(4)!));
  });

  it('a complaint against a publicly bad dealing convicts the dealer', () => {
    const complaint = makeComplaint(params, hosts.get(4)!, dealings[1]!);
    expect(verifyComplaint(params, dealings[1]!.slice(0, 50), complaint)).toBe('dealer');
  });
});

describe('dealings: each public check', () => {
  const dealings = dealAll(params, old, [1, 2, 3]);
  const d = dealings[0]!;

  it('accepts an honest dealing from its dealer', () => {
    expect(verifyDealingPublic(params, d, 1)).toBe(1);
  });

  it.each([
    ['wrong length', () => d.slice(0, d.length - 1)],
    ['dealer not in the old committee', () => withBytes(d, 0, Uint8Array.of(9))],
    ['pubnonce not a point', () => withBytes(d, 1, new Uint8Array(33).fill(0xff))],
    ['commitment not a point', () => withBytes(d, 34 + 33, new Uint8Array(33))],
    ['encrypted sub-share ≥ n', () => withBytes(d, ENC_AT, new Uint8Array(32).fill(0xff))],
  ])('BAD_DEALING: %s', (_name, make) => {
    expect(() => verifyDealingPublic(params, make())).toThrow(code('BAD_DEALING'));
  });

  it('BAD_DEALING: from another dealer than expected', () => {
    expect(() => verifyDealingPublic(params, d, 2)).toThrow(code('BAD_DEALING', { dealer: 1 }));
  });

  it('DEALING_CONSTANT_MISMATCH: C_0 is not the dealer\'s public share (dealing a chosen secret)', () => {
    const chosen = withBytes(d, 34, encodePoint(mulBase(12345n)));
    expect(() => verifyDealingPublic(params, chosen)).toThrow(code('DEALING_CONSTANT_MISMATCH', { dealer: 1 }));
    // Its dealer's public share at another dealer's slot.
    const swapped = withBytes(d, 0, Uint8Array.of(2));
    expect(() => verifyDealingPublic(params, swapped)).toThrow(code('DEALING_CONSTANT_MISMATCH', { dealer: 2 }));
  });

  it('SHARE_MISMATCH: a custodian whose share is not its public share does not deal', () => {
    expect(() => dealReshare(params, old.holders[1]!.share, 1, rnd())).toThrow(code('SHARE_MISMATCH', { dealer: 1 }));
  });

  it('BAD_QUALIFIED_SET, NOT_ENOUGH_DEALERS', () => {
    expect(() => reshareOutput(params, [dealings[1]!, dealings[0]!, dealings[2]!])).toThrow(code('BAD_QUALIFIED_SET'));
    expect(() => reshareOutput(params, [dealings[0]!, dealings[0]!, dealings[2]!])).toThrow(code('BAD_QUALIFIED_SET'));
    expect(() => reshareOutput(params, dealings.slice(0, 2))).toThrow(code('NOT_ENOUGH_DEALERS'));
  });

  it('GROUP_KEY_CHANGED: dealings that are right for their X_i but combine to another key', () => {
    const otherY: ReshareParams = { ...params, groupKey: encodePoint(mulBase(777n)) };
    const redealt = dealAll(otherY, old, [1, 2, 3]);
    expect(() => reshareOutput(otherY, redealt)).toThrow(code('GROUP_KEY_CHANGED'));
    expect(() => receiveReshare(otherY, hosts.get(1)!, redealt)).toThrow(code('GROUP_KEY_CHANGED'));
  });

  it('BAD_PARAMS for each bad parameter', () => {
    const cases: Partial<ReshareParams>[] = [
      { oldEpoch: 2 },
      { session: new Uint8Array(15) },
      { oldThreshold: 6 },
      { newThreshold: 0 },
      { groupKey: new Uint8Array(33) },
      { oldCommittee: [...params.oldCommittee].reverse() },
      { oldCommittee: params.oldCommittee.map((c, k) => (k === 0 ? { ...c, publicShare: new Uint8Array(33).fill(5) } : c)) },
      { newCommittee: params.newCommittee.map((c, k) => (k === 1 ? { ...c, hostKey: params.newCommittee[0]!.hostKey } : c)) },
      { newCommittee: params.newCommittee.map((c, k) => (k === 1 ? { ...c, index: 256 } : c)) },
      { newCommittee: [] },
    ];
    for (const change of cases) expect(() => reshareOutput({ ...params, ...change }, dealings)).toThrow(code('BAD_PARAMS'));
    expect(() => reshareOutput({ ...params, session: 'x' as unknown as Uint8Array }, dealings)).toThrow(TypeError);
  });

  it('HOST_SECKEY: a receiver outside the new committee', () => {
    expect(() => receiveReshare(params, rnd(), dealings)).toThrow(code('HOST_SECKEY'));
    expect(() => receiveReshare(params, new Uint8Array(32), dealings)).toThrow(code('HOST_SECKEY'));
  });
});

describe('certificate and recovery data', () => {
  const dealings = dealAll(params, old, [2, 3, 5]);
  const { recoveryData } = completeReshare(params, hosts, dealings);
  const sigAt = recoveryData.length - 64 * N;

  /** Re-signs a changed recovery data by every new host key, as the spec says (so only the later checks can refuse it). */
  function resigned(data: Uint8Array): Uint8Array {
    const sigAt = data.length - 64 * N;
    const ctx = taggedHash('custodes/v1/reshare', data.subarray(0, PARAMS_LEN));
    const x = taggedHash('custodes/v1/reshare transcript', ctx, data.subarray(PARAMS_LEN, sigAt));
    const sigs = newIndices.map((i, k) => certeqSign('reshare-certificate', hosts.get(i)!, k, x, rnd()));
    return concatBytes(data.subarray(0, sigAt), ...sigs);
  }

  it('the spec recomputes the transcript: re-signing untouched data still verifies', () => {
    expect(epochFromReshare(resigned(recoveryData)).groupKey).toBe(hex(old.groupKey));
  });

  it('BAD_CERTIFICATE: a flipped signature bit, swapped signatures, a changed dealing, a changed parameter', () => {
    const flipped = recoveryData.slice();
    flipped[sigAt + 64 * 2 + 5]! ^= 1;
    expect(() => epochFromReshare(flipped)).toThrow(code('BAD_CERTIFICATE', { participant: 4 }));
    const swapped = concatBytes(recoveryData.subarray(0, sigAt), recoveryData.subarray(sigAt + 64, sigAt + 128), recoveryData.subarray(sigAt, sigAt + 64), recoveryData.subarray(sigAt + 128));
    expect(() => epochFromReshare(swapped)).toThrow(code('BAD_CERTIFICATE', { participant: 1 }));
    const dealing = recoveryData.slice();
    dealing[PARAMS_LEN + 1 + ENC_AT + 3]! ^= 1;
    expect(() => epochFromReshare(dealing)).toThrow(code('BAD_CERTIFICATE'));
    const epoch = withBytes(recoveryData, 4, u32(3)); // N = 3
    expect(() => epochFromReshare(epoch)).toThrow(code('BAD_CERTIFICATE'));
  });

  it('signed by everyone but still wrong: the dealing checks and C\'_0 = Y hold on their own', () => {
    const constant = withBytes(recoveryData, PARAMS_LEN + 1 + 34, encodePoint(mulBase(5n)));
    expect(() => epochFromReshare(resigned(constant))).toThrow(code('DEALING_CONSTANT_MISMATCH', { dealer: 2 }));
    const yAt = 4 + 4 + 16 + 2;
    const otherKey = withBytes(recoveryData, yAt, encodePoint(mulBase(99n)));
    expect(() => epochFromReshare(resigned(otherKey))).toThrow(code('GROUP_KEY_CHANGED'));
    const dl = (sigAt - PARAMS_LEN - 1) / 3;
    const twoDealers = concatBytes(recoveryData.subarray(0, PARAMS_LEN), Uint8Array.of(2), recoveryData.subarray(PARAMS_LEN + 1, PARAMS_LEN + 1 + 2 * dl), recoveryData.subarray(sigAt));
    expect(() => epochFromReshare(resigned(twoDealers))).toThrow(code('NOT_ENOUGH_DEALERS'));
  });

  it('RECOVERY_DATA: truncated, extended, or with invalid parameters', () => {
    expect(() => epochFromReshare(recoveryData.slice(0, recoveryData.length - 1))).toThrow(code('RECOVERY_DATA'));
    expect(() => epochFromReshare(concatBytes(recoveryData, Uint8Array.of(0)))).toThrow(code('RECOVERY_DATA'));
    expect(() => epochFromReshare(recoveryData.slice(0, 40))).toThrow(code('RECOVERY_DATA'));
    expect(() => epochFromReshare(new Uint8Array(0))).toThrow(code('RECOVERY_DATA'));
    const tOld = withBytes(recoveryData, 24, Uint8Array.of(9)); // t_O > n_O
    expect(() => epochFromReshare(tOld)).toThrow(code('RECOVERY_DATA'));
  });

  it('reshareRecoveryData refuses a certificate it cannot verify; acks verify one by one', () => {
    const sigs = newIndices.map((i) => reshareAckSign(params, hosts.get(i)!, dealings, rnd()));
    newIndices.forEach((i, k) => expect(reshareAckVerify(params, dealings, i, sigs[k]!)).toBe(true));
    expect(reshareAckVerify(params, dealings, 3, sigs[0]!)).toBe(false);
    expect(reshareAckVerify(params, dealings, 2, sigs[0]!)).toBe(false);
    expect(reshareAckVerify(params, [dealings[0]!, dealings[1]!, dealAll(params, old, [5])[0]!], 1, sigs[0]!)).toBe(false);
    expect(() => reshareRecoveryData(params, dealings, [sigs[1]!, sigs[0]!, sigs[2]!, sigs[3]!])).toThrow(code('BAD_CERTIFICATE', { participant: 1 }));
    expect(() => reshareRecoveryData(params, dealings, sigs.slice(1))).toThrow(RangeError);
  });

  it('a holder does not sign dealings that cheat it', () => {
    expect(() => reshareAckSign(params, hosts.get(5)!, [dealings[0]!, cheat(dealings[1]!, 3), dealings[2]!], rnd())).toThrow(code('BAD_SUBSHARE', { dealer: 3 }));
  });
});

describe('the pad and the bytes, from the spec', () => {
  it('the reshare pad is encpedpop\'s pad code with another tag', () => {
    const secnonce = 0x1234567n;
    const pubnonce = encodePoint(mulBase(secnonce));
    const enckeys = [1, 2, 3].map(() => hostpubkeyGen(rnd()));
    const context = rnd();
    const pads = encapsMulti(secnonce, pubnonce, new Uint8Array(32), enckeys, context, 0);
    for (const j of [1, 2]) {
      const S = mul(decodePoint(enckeys[j]!), secnonce);
      expect(padFromSharedPoint(BIP_TAG + DKG_TAG.encpedpopEcdh, S, pubnonce, enckeys[j]!, concatBytes(u32(j), context))).toBe(pads[j]);
      expect(padFromSharedPoint('custodes/v1/reshare ecdh', S, pubnonce, enckeys[j]!, concatBytes(u32(j), context))).not.toBe(pads[j]);
    }
  });

  it('params bytes, ctx, pads and sub-shares recompute from the formulas of §3.9', () => {
    const dealing = dealReshare(params, old.holders[2]!.share, 3, rnd());
    const paramsBytes = concatBytes(
      u32(1),
      u32(2),
      params.session,
      Uint8Array.of(3, 3),
      old.groupKey,
      Uint8Array.of(5),
      ...old.holders.flatMap((h) => [Uint8Array.of(h.index), h.publicShare]),
      Uint8Array.of(4),
      ...params.newCommittee.flatMap((c) => [Uint8Array.of(c.index), c.hostKey]),
    );
    expect(paramsBytes).toHaveLength(PARAMS_LEN);
    const ctx = taggedHash('custodes/v1/reshare', paramsBytes);
    const pubnonce = dealing.subarray(1, 34);
    const C = [0, 1, 2].map((k) => decodePoint(dealing.subarray(34 + 33 * k, 67 + 33 * k)));
    expect(hex(encodePoint(C[0]!))).toBe(hex(old.holders[2]!.publicShare));
    newIndices.forEach((index, k) => {
      const q = BigInt(k + 1); // the rank
      const sk = BigInt('0x' + hex(hosts.get(index)!));
      const shared = encodePoint(mul(decodePoint(pubnonce), sk));
      const padHash = taggedHash('custodes/v1/reshare ecdh', sha256(shared), pubnonce, hostpubkeyGen(hosts.get(index)!), u32(k + 1), ctx);
      const pad = BigInt('0x' + hex(padHash)) % CURVE_ORDER;
      const enc = BigInt('0x' + hex(dealing.subarray(ENC_AT + 32 * k, ENC_AT + 32 * k + 32)));
      const s = modN(enc - pad);
      const expected = C.reduceRight((acc, Ck) => acc.multiply(q).add(Ck));
      expect(hex(encodePoint(mulBase(s)))).toBe(hex(encodePoint(expected)));
    });
  });
});

describe('sizes', () => {
  it('recovery data is 61 + 34·(n_O + n_N) + 1 + |Q|·(34 + 33·t_N + 32·n_N) + 64·n_N bytes (§3.9: 1,407 for 3 of 5 into 3 of 4)', () => {
    const dealings = dealAll(params, old, [1, 3, 5]);
    expect(completeReshare(params, hosts, dealings).recoveryData).toHaveLength(61 + 34 * 9 + 1 + 3 * (34 + 33 * 3 + 32 * 4) + 64 * 4);
    expect(61 + 34 * 9 + 1 + 3 * (34 + 33 * 3 + 32 * 4) + 64 * 4).toBe(1407);
  });
});
