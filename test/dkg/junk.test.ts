/**
 * Junk inputs to every function of @custodes/shared/dkg (STYLE.md: TypeError
 * for a wrong type, RangeError for a wrong length or count, each naming the
 * argument), and messages from the network that are wrong inside: bad
 * points, scalars ≥ n, random bytes, random mutations of real messages. A
 * received message may only ever end in a DkgError that blames someone (or
 * parse and go on): never a TypeError, RangeError or bare Error.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cinvLength,
  cmsg1Length,
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorRecover,
  coordinatorStep1,
  DkgError,
  hostpubkeyGen,
  paramsHash,
  participantFinalize,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
  pmsg1Length,
  UnknownFaultyPartyError,
} from '@custodes/shared/dkg';
import type { CoordinatorState, DkgCode, ParticipantState1, ParticipantState2, SessionParams } from '@custodes/shared/dkg';
import { corruptEncShare, randomSession } from './session';
import { unhex } from './helpers';

// ## Junk and outcomes

const JUNK: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['NaN', NaN],
  ['0', 0],
  ['-1', -1],
  ["''", ''],
  ["'00'", '00'],
  ['[]', []],
  ['[1,2,3]', [1, 2, 3]],
  ['{}', {}],
  ['true', true],
  ['1n', 1n],
  ['symbol', Symbol('junk')],
  ['function', () => 1],
  ['Uint16Array', new Uint16Array(16)],
  ['ArrayBuffer', new ArrayBuffer(32)],
];
const junkExcept = (...names: string[]) => JUNK.filter(([name]) => !names.includes(name));

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** `fn` throws exactly `cls` (not a subclass) with a message matching `message`. */
function expectThrow(what: string, fn: () => unknown, cls: typeof TypeError | typeof RangeError, message: RegExp): void {
  const err = thrownBy(fn);
  expect(err, `${what}: expected ${cls.name}`).toBeInstanceOf(Error);
  expect((err as Error).constructor, `${what}: ${String(err)}`).toBe(cls);
  expect((err as Error).message, what).toMatch(message);
}

function eachJunk(what: string, junk: readonly (readonly [string, unknown])[], fn: (v: unknown) => unknown, message: RegExp): void {
  for (const [name, v] of junk) expectThrow(`${what}(${name})`, () => fn(v), TypeError, message);
}

function expectCode(what: string, fn: () => unknown, codes: readonly DkgCode[], participant?: number): void {
  const err = thrownBy(fn);
  expect(err, `${what}: ${String(err)}`).toBeInstanceOf(DkgError);
  expect(codes, `${what}: ${String(err)}`).toContain((err as DkgError).code);
  if (participant !== undefined) expect((err as DkgError).participant, what).toBe(participant);
}

const bytes = (n: number, fill = 0) => new Uint8Array(n).fill(fill);
const N_BYTES = unhex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

// ## Fixture: one honest 2-of-3 session and a failed step 2

let seckeys: Uint8Array[];
let params: SessionParams;
let state1: ParticipantState1;
let pmsgs1: Uint8Array[];
let cmsg1: Uint8Array;
let cstate: CoordinatorState;
let state2: ParticipantState2;
let pmsgs2: Uint8Array[];
let cmsg2: Uint8Array;
let recoveryData: Uint8Array;
let unknown: UnknownFaultyPartyError;
let badCinv: Uint8Array;
const aux = bytes(32, 7);

beforeAll(() => {
  const input = randomSession(2, 3);
  seckeys = input.hostseckeys.map(unhex);
  params = { hostpubkeys: seckeys.map(hostpubkeyGen), t: 2 };
  const steps1 = seckeys.map((sk, i) => participantStep1(sk, params, unhex(input.randoms[i]!)));
  state1 = steps1[0]!.state;
  pmsgs1 = steps1.map((s) => s.pmsg1);
  ({ state: cstate, cmsg1 } = coordinatorStep1(pmsgs1, params));
  const steps2 = seckeys.map((sk, i) => participantStep2(sk, steps1[i]!.state, cmsg1, aux));
  state2 = steps2[0]!.state;
  pmsgs2 = steps2.map((s) => s.pmsg2);
  ({ cmsg2, recoveryData } = coordinatorFinalize(cstate, pmsgs2));
  // Participant 1 sends participant 0 a bad share: participant 0's step 2 cannot blame.
  const bad = [pmsgs1[0]!, corruptEncShare(pmsgs1[1]!, 2, 0), pmsgs1[2]!];
  const err = thrownBy(() => participantStep2(seckeys[0]!, state1, coordinatorStep1(bad, params).cmsg1, aux));
  expect(err).toBeInstanceOf(UnknownFaultyPartyError);
  unknown = err as UnknownFaultyPartyError;
  badCinv = coordinatorInvestigate(bad, params)[0]!;
});

// ## Arguments of the wrong type

describe('arguments of the wrong type: TypeError naming the argument', () => {
  it('hostpubkeyGen, paramsHash', () => {
    eachJunk('hostpubkeyGen', JUNK, (v) => hostpubkeyGen(v as Uint8Array), /^hostseckey must be a Uint8Array$/);
    eachJunk('paramsHash', JUNK, (v) => paramsHash(v as SessionParams), /^params(\.hostpubkeys)? must be/);
    eachJunk('paramsHash(t)', junkExcept('0', '-1'), (v) => paramsHash({ ...params, t: v as number }), /^params\.t must be an integer$/);
    eachJunk('paramsHash(hostpubkeys[1])', JUNK, (v) => paramsHash({ ...params, hostpubkeys: [params.hostpubkeys[0]!, v as Uint8Array] }), /^params\.hostpubkeys\[1\] must be a Uint8Array$/);
  });

  it('participantStep1, participantStep2, participantFinalize, participantInvestigate', () => {
    const random = bytes(32, 1);
    eachJunk('participantStep1(hostseckey)', JUNK, (v) => participantStep1(v as Uint8Array, params, random), /^hostseckey must be a Uint8Array$/);
    eachJunk('participantStep1(params)', JUNK, (v) => participantStep1(seckeys[0]!, v as SessionParams, random), /^params(\.hostpubkeys)? must be/);
    eachJunk('participantStep1(random)', JUNK, (v) => participantStep1(seckeys[0]!, params, v as Uint8Array), /^random must be a Uint8Array$/);
    eachJunk('participantStep2(hostseckey)', JUNK, (v) => participantStep2(v as Uint8Array, state1, cmsg1, aux), /^hostseckey must be a Uint8Array$/);
    eachJunk('participantStep2(state1)', JUNK, (v) => participantStep2(seckeys[0]!, v as ParticipantState1, cmsg1, aux), /^state1 must be a state returned by the previous step$/);
    eachJunk('participantStep2(cmsg1)', JUNK, (v) => participantStep2(seckeys[0]!, state1, v as Uint8Array, aux), /^cmsg1 must be a Uint8Array$/);
    eachJunk('participantStep2(auxRand)', JUNK, (v) => participantStep2(seckeys[0]!, state1, cmsg1, v as Uint8Array), /^auxRand must be a Uint8Array$/);
    eachJunk('participantFinalize(state2)', JUNK, (v) => participantFinalize(v as ParticipantState2, cmsg2), /^state2 must be a state returned by the previous step$/);
    eachJunk('participantFinalize(cmsg2)', JUNK, (v) => participantFinalize(state2, v as Uint8Array), /^cmsg2 must be a Uint8Array$/);
    eachJunk('participantInvestigate(error)', [...JUNK, ['a plain DkgError', new DkgError('FAULTY_COORDINATOR', 'x')]], (v) => participantInvestigate(v as UnknownFaultyPartyError, badCinv), /^error must be the UnknownFaultyPartyError of participantStep2$/);
    eachJunk('participantInvestigate(cinv)', JUNK, (v) => participantInvestigate(unknown, v as Uint8Array), /^cinv must be a Uint8Array$/);
  });

  it('coordinatorStep1, coordinatorFinalize, coordinatorInvestigate', () => {
    eachJunk('coordinatorStep1(pmsgs1)', junkExcept('[]'), (v) => coordinatorStep1(v as Uint8Array[], params), /^pmsgs1(\[0\])? must be (an array|a Uint8Array)$/);
    eachJunk('coordinatorStep1(params)', JUNK, (v) => coordinatorStep1(pmsgs1, v as SessionParams), /^params(\.hostpubkeys)? must be/);
    eachJunk('coordinatorFinalize(state)', JUNK, (v) => coordinatorFinalize(v as CoordinatorState, pmsgs2), /^state must be a state returned by the previous step$/);
    eachJunk('coordinatorFinalize(pmsgs2)', junkExcept('[]'), (v) => coordinatorFinalize(cstate, v as Uint8Array[]), /^pmsgs2(\[0\])? must be (an array|a Uint8Array)$/);
    eachJunk('coordinatorInvestigate(pmsgs1)', junkExcept('[]'), (v) => coordinatorInvestigate(v as Uint8Array[], params), /^pmsgs1(\[0\])? must be (an array|a Uint8Array)$/);
  });

  it('participantRecover, coordinatorRecover', () => {
    eachJunk('participantRecover(hostseckey)', JUNK, (v) => participantRecover(v as Uint8Array, recoveryData), /^hostseckey must be a Uint8Array$/);
    eachJunk('participantRecover(recoveryData)', JUNK, (v) => participantRecover(seckeys[0]!, v as Uint8Array), /^recoveryData must be a Uint8Array$/);
    eachJunk('coordinatorRecover', JUNK, (v) => coordinatorRecover(v as Uint8Array), /^recoveryData must be a Uint8Array$/);
  });
});

// ## Wrong lengths and counts

describe('wrong lengths and counts: RangeError naming the argument (the BIP raises ValueError)', () => {
  it('keys and randomness', () => {
    for (const n of [0, 31, 33]) {
      expectThrow(`hostpubkeyGen(${n})`, () => hostpubkeyGen(bytes(n, 1)), RangeError, /^hostseckey must be 32 bytes, got \d+$/);
      expectThrow(`participantStep1(random ${n})`, () => participantStep1(seckeys[0]!, params, bytes(n, 1)), RangeError, /^random must be 32 bytes/);
      expectThrow(`participantStep2(auxRand ${n})`, () => participantStep2(seckeys[0]!, state1, cmsg1, bytes(n, 1)), RangeError, /^auxRand must be 32 bytes/);
      expectThrow(`participantRecover(hostseckey ${n})`, () => participantRecover(bytes(n, 1), recoveryData), RangeError, /^hostseckey must be 32 bytes/);
    }
  });

  it('messages one byte short, one byte long, empty', () => {
    const around = (len: number) => [0, len - 1, len + 1];
    expect(pmsg1Length(2, 3)).toBe(pmsgs1[0]!.length);
    expect(cmsg1Length(2, 3)).toBe(cmsg1.length);
    expect(cinvLength(3)).toBe(badCinv.length);
    for (const len of around(pmsg1Length(2, 3))) {
      expectThrow(`pmsg1 ${len}`, () => coordinatorStep1([pmsgs1[0]!, bytes(len), pmsgs1[2]!], params), RangeError, /^pmsgs1\[1\] must be 259 bytes, got \d+$/);
    }
    for (const len of around(cmsg1Length(2, 3))) {
      expectThrow(`cmsg1 ${len}`, () => participantStep2(seckeys[0]!, state1, bytes(len), aux), RangeError, /^cmsg1 must be 519 bytes, got \d+$/);
    }
    for (const len of around(64)) {
      expectThrow(`pmsg2 ${len}`, () => coordinatorFinalize(cstate, [pmsgs2[0]!, pmsgs2[1]!, bytes(len)]), RangeError, /^pmsgs2\[2\] must be 64 bytes, got \d+$/);
    }
    for (const len of around(192)) {
      expectThrow(`cmsg2 ${len}`, () => participantFinalize(state2, bytes(len)), RangeError, /^cmsg2 must be 192 bytes, got \d+$/);
    }
    for (const len of around(cinvLength(3))) {
      expectThrow(`cinv ${len}`, () => participantInvestigate(unknown, bytes(len)), RangeError, /^cinv must be 195 bytes, got \d+$/);
    }
  });

  it('lists with one entry per participant', () => {
    for (const list of [[], pmsgs1.slice(0, 2), [...pmsgs1, pmsgs1[0]!]]) {
      expectThrow(`pmsgs1 × ${list.length}`, () => coordinatorStep1(list, params), RangeError, /^pmsgs1 must have one entry per participant \(3\), got \d$/);
      expectThrow(`investigate × ${list.length}`, () => coordinatorInvestigate(list, params), RangeError, /^pmsgs1 must have one entry per participant/);
    }
    for (const list of [[], pmsgs2.slice(0, 2), [...pmsgs2, pmsgs2[0]!]]) {
      expectThrow(`pmsgs2 × ${list.length}`, () => coordinatorFinalize(cstate, list), RangeError, /^pmsgs2 must have one entry per participant \(3\), got \d$/);
    }
  });
});

// ## Session parameters

describe('session parameters', () => {
  it('host public keys that are not compressed points blame their participant, whatever their length', () => {
    const bads = [bytes(33), bytes(32, 2), bytes(34, 2), new Uint8Array(0), Uint8Array.of(4, ...bytes(32, 1)), Uint8Array.of(2, ...bytes(32, 0xff)), Uint8Array.of(2, ...bytes(32, 0))];
    for (const bad of bads) {
      expectCode(`hostpubkey ${bad.length}`, () => paramsHash({ hostpubkeys: [params.hostpubkeys[0]!, bad, params.hostpubkeys[2]!], t: 2 }), ['INVALID_HOSTPUBKEY'], 1);
    }
  });

  it('t outside [1, n]', () => {
    for (const t of [0, -1, 4, 2 ** 32]) expectCode(`t = ${t}`, () => paramsHash({ ...params, t }), ['THRESHOLD_OR_COUNT']);
    expectCode('no participants', () => paramsHash({ hostpubkeys: [], t: 1 }), ['THRESHOLD_OR_COUNT']);
  });

  it('duplicates name both positions', () => {
    const err = thrownBy(() => paramsHash({ hostpubkeys: [params.hostpubkeys[1]!, params.hostpubkeys[0]!, params.hostpubkeys[1]!], t: 2 }));
    expect((err as DkgError).code).toBe('DUPLICATE_HOSTPUBKEY');
    expect((err as DkgError).participants).toEqual([0, 2]);
  });

  it('host secret keys 0 and ≥ n', () => {
    for (const sk of [bytes(32), N_BYTES, bytes(32, 0xff)]) {
      expectCode('hostpubkeyGen', () => hostpubkeyGen(sk), ['HOST_SECKEY']);
      expectCode('participantStep1', () => participantStep1(sk, params, bytes(32, 1)), ['HOST_SECKEY']);
      expectCode('participantRecover', () => participantRecover(sk, recoveryData), ['HOST_SECKEY']);
    }
    expectCode('all-zero random', () => participantStep1(seckeys[0]!, params, bytes(32)), ['RANDOMNESS']);
  });
});

// ## Received messages that are wrong inside

/** XORs `mask` (non-zero first byte, so the message does change) into `msg` at `offset`. */
function mutate(msg: Uint8Array, offset: number, mask: Uint8Array): Uint8Array {
  const out = msg.slice();
  for (let i = 0; i < mask.length && offset + i < out.length; i++) out[offset + i]! ^= mask[i]!;
  return out;
}
const maskArb = fc.tuple(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([b, rest]) => Uint8Array.of(b, ...rest));

describe('received messages with bad points and scalars', () => {
  it('pmsg1: a point that does not parse or an encrypted share ≥ n blames its sender (FAULTY_PARTICIPANT)', () => {
    const t = 2;
    const encShareAt = 33 * t + 64 + 33;
    const bad = [
      ['prefix 04', 0, Uint8Array.of(4, ...pmsgs1[1]!.subarray(1, 33))],
      ['x = p − 1 + 1', 33, Uint8Array.of(2, ...bytes(32, 0xff))],
      ['prefix 00, x ≠ 0', 0, Uint8Array.of(0, ...bytes(32, 1))],
      ['share = n', encShareAt, N_BYTES],
      ['share = 2^256 − 1', encShareAt + 64, bytes(32, 0xff)],
    ] as const;
    for (const [what, off, field] of bad) {
      const m = pmsgs1[1]!.slice();
      m.set(field, off);
      expectCode(what, () => coordinatorStep1([pmsgs1[0]!, m, pmsgs1[2]!], params), ['FAULTY_PARTICIPANT'], 1);
      expectCode(`${what} (investigate)`, () => coordinatorInvestigate([pmsgs1[0]!, m, pmsgs1[2]!], params), ['FAULTY_PARTICIPANT'], 1);
    }
  });

  it('a commitment to the secret of ∞ that makes the sum ∞ (n = 1) blames its sender, where the reference fails an assertion', () => {
    const sk = seckeys[0]!;
    const solo = { hostpubkeys: [params.hostpubkeys[0]!], t: 1 };
    const m = participantStep1(sk, solo, bytes(32, 1)).pmsg1.slice();
    m.set(bytes(33), 0);
    expectCode('∞ com[0]', () => coordinatorStep1([m], solo), ['FAULTY_PARTICIPANT'], 0);
  });

  it('pmsg1 mutated anywhere: parsed, or FAULTY_PARTICIPANT for that sender', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), maskArb, (who, at, mask) => {
        const list = pmsgs1.slice();
        list[who] = mutate(list[who]!, at % list[who]!.length, mask);
        const err = thrownBy(() => coordinatorStep1(list, params));
        if (err !== undefined) expectCode('mutated pmsg1', () => { throw err; }, ['FAULTY_PARTICIPANT'], who);
      }),
      { numRuns: 60 },
    );
  });

  it('cmsg1 mutated anywhere: a protocol error naming someone, or a valid step 2', () => {
    fc.assert(
      fc.property(fc.nat(), maskArb, (at, mask) => {
        const m = mutate(cmsg1, at % cmsg1.length, mask);
        const err = thrownBy(() => participantStep2(seckeys[0]!, state1, m, aux));
        if (err !== undefined) {
          expectCode('mutated cmsg1', () => { throw err; }, ['FAULTY_COORDINATOR', 'FAULTY_PARTICIPANT_OR_COORDINATOR', 'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR']);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('cmsg1 of random bytes: FAULTY_COORDINATOR or another protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 519, maxLength: 519 }), (m) => {
        expectCode('random cmsg1', () => participantStep2(seckeys[0]!, state1, m, aux), ['FAULTY_COORDINATOR', 'FAULTY_PARTICIPANT_OR_COORDINATOR', 'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR']);
      }),
      { numRuns: 30 },
    );
  });

  it('cmsg2 mutated or random: FAULTY_COORDINATOR; pmsg2 mutated: FAULTY_PARTICIPANT for its sender', () => {
    fc.assert(
      fc.property(fc.nat(), maskArb, (at, mask) => {
        expectCode('mutated cmsg2', () => participantFinalize(state2, mutate(cmsg2, at % cmsg2.length, mask)), ['FAULTY_COORDINATOR']);
        const who = at % 3;
        const list = pmsgs2.slice();
        list[who] = mutate(list[who]!, at % 64, mask);
        expectCode('mutated pmsg2', () => coordinatorFinalize(cstate, list), ['FAULTY_PARTICIPANT'], who);
      }),
      { numRuns: 30 },
    );
    expectCode('zero cmsg2', () => participantFinalize(state2, bytes(192)), ['FAULTY_COORDINATOR']);
  });

  it('cinv mutated anywhere: blames the coordinator or the participant (1) that sent the bad share', () => {
    fc.assert(
      fc.property(fc.nat(), maskArb, (at, mask) => {
        const err = thrownBy(() => participantInvestigate(unknown, mutate(badCinv, at % badCinv.length, mask)));
        expect(err).toBeInstanceOf(DkgError);
        expect(['FAULTY_COORDINATOR', 'FAULTY_PARTICIPANT_OR_COORDINATOR']).toContain((err as DkgError).code);
      }),
      { numRuns: 60 },
    );
    for (const [what, off, field] of [
      ['partial secshare = n', 0, N_BYTES],
      ['partial pubshare prefix 05', 96, Uint8Array.of(5)],
    ] as const) {
      const m = badCinv.slice();
      m.set(field, off);
      expectCode(what, () => participantInvestigate(unknown, m), ['FAULTY_COORDINATOR']);
    }
  });

  it('recovery data of random bytes, any length, or mutated anywhere: RECOVERY_DATA', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (rd) => {
        expectCode('random recovery data', () => coordinatorRecover(rd), ['RECOVERY_DATA']);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.nat(), maskArb, (at, mask) => {
        const rd = mutate(recoveryData, at % recoveryData.length, mask);
        expectCode('mutated recovery data', () => participantRecover(seckeys[1]!, rd), ['RECOVERY_DATA']);
      }),
      { numRuns: 40 },
    );
    // t = 2^32 − 1 with a few bytes; t = 0 and n = 0; t = 1, one ∞ commitment, n = 0.
    for (const rd of [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3), bytes(4), Uint8Array.of(0, 0, 0, 1, ...bytes(33)), bytes(3)]) {
      expectCode(`recovery data ${rd.length}`, () => coordinatorRecover(rd), ['RECOVERY_DATA']);
    }
  });
});
