/**
 * Every case of every ChillDKG BIP test vector file (test/vectors/chilldkg,
 * BIP draft 0.3.0), valid and error: valid cases compare every output byte,
 * error cases the exact exception type (our code for it), the blamed
 * participant(s) and, where the vector gives one, the message. Each file's
 * harness follows the steps in its `description`; the number of cases run
 * must equal the file's `totalTests`.
 */
import { describe, expect, it } from 'vitest';
import {
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorRecover,
  coordinatorStep1,
  hostpubkeyGen,
  paramsHash,
  participantFinalize,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
  UnknownFaultyPartyError,
} from '@custodes/shared/dkg';
import { CHILLDKG_VECTOR_FILES, loadChillDkgVectors } from '../vectors/chilldkg/load';
import type { ChillDkgVectorFile, Group, VectorError, VectorFiles, VectorParams } from '../vectors/chilldkg/load';
import { expectOutput, expectVectorError, hex, unhex, vectorParams } from './helpers';

interface Case {
  name: string;
  run: () => void;
}

const lower = (s: string) => s.toLowerCase();

/** One runnable case per valid and error case of every group, named after its group, tcId and comment. */
function casesOf<V, E, G>(
  groups: readonly Group<V, E, G>[],
  valid: (g: Group<V, E, G>, c: V) => void,
  error: (g: Group<V, E, G>, c: E, expected: VectorError) => void,
): Case[] {
  return groups.flatMap((g, gi) => [
    ...(g.validTestCases ?? []).map((c) => ({ name: `group ${gi} tc ${c.tcId} valid: ${c.comment}`, run: () => valid(g, c) })),
    ...(g.errorTestCases ?? []).map((c) => ({
      name: `group ${gi} tc ${c.tcId} ${c.expectedError.type}: ${c.comment}`,
      run: () => error(g, c, c.expectedError),
    })),
  ]);
}

/** The description's harness step 1: participant_step1 must reproduce the group's pmsg1. */
function step1Checked(g: { params: VectorParams; hostseckey: string; random: string; pmsg1: string }) {
  const out = participantStep1(unhex(g.hostseckey), vectorParams(g.params), unhex(g.random));
  expect(hex(out.pmsg1)).toBe(lower(g.pmsg1));
  return out;
}

const harness: { [K in ChillDkgVectorFile]: (file: VectorFiles[K]) => Case[] } = {
  hostpubkey_gen: (file) =>
    casesOf(
      [file],
      (_g, c) => expect(hex(hostpubkeyGen(unhex(c.hostseckey)))).toBe(lower(c.expectedHostpubkey)),
      (_g, c, e) => expectVectorError(() => hostpubkeyGen(unhex(c.hostseckey)), e),
    ),

  params_hash: (file) =>
    casesOf(
      [file],
      (_g, c) => expect(hex(paramsHash(vectorParams(c.params)))).toBe(lower(c.expectedParamsHash)),
      (_g, c, e) => expectVectorError(() => paramsHash(vectorParams(c.params)), e),
    ),

  participant_step1: (file) =>
    casesOf(
      file.testGroups,
      (_g, c) => expect(hex(participantStep1(unhex(c.hostseckey), vectorParams(c.params), unhex(c.random)).pmsg1)).toBe(lower(c.expectedPmsg1)),
      (_g, c, e) => expectVectorError(() => participantStep1(unhex(c.hostseckey), vectorParams(c.params), unhex(c.random)), e),
    ),

  participant_step2: (file) =>
    casesOf(
      file.testGroups,
      (g, c) => {
        const { state } = step1Checked(g);
        expect(hex(participantStep2(unhex(g.hostseckey), state, unhex(c.cmsg1), unhex(g.auxRand)).pmsg2)).toBe(lower(c.expectedPmsg2));
      },
      (g, c, e) => {
        const { state } = step1Checked(g);
        // Some error cases replace the group's host secret key or aux randomness.
        expectVectorError(() => participantStep2(unhex(c.hostseckey ?? g.hostseckey), state, unhex(c.cmsg1), unhex(c.auxRand ?? g.auxRand)), e);
      },
    ),

  participant_finalize: (file) => {
    const state2Of = (g: VectorFiles['participant_finalize']['testGroups'][number]) => {
      const { state } = step1Checked(g);
      const step2 = participantStep2(unhex(g.hostseckey), state, unhex(g.cmsg1), unhex(g.auxRand));
      expect(hex(step2.pmsg2)).toBe(lower(g.pmsg2));
      return step2.state;
    };
    return casesOf(
      file.testGroups,
      (g, c) => {
        const { output, recoveryData } = participantFinalize(state2Of(g), unhex(c.cmsg2));
        expectOutput(output, c.expectedOutput.dkgOutput);
        expect(hex(recoveryData)).toBe(lower(c.expectedOutput.recoveryData));
      },
      (g, c, e) => {
        const state2 = state2Of(g);
        expectVectorError(() => participantFinalize(state2, unhex(c.cmsg2)), e);
      },
    );
  },

  participant_investigate: (file) =>
    casesOf(
      file.testGroups,
      () => {
        throw new Error('participant_investigate has no valid cases');
      },
      (g, c, e) => {
        const { state } = step1Checked(g);
        let unknown: unknown;
        try {
          participantStep2(unhex(g.hostseckey), state, unhex(g.cmsg1Pool[c.cmsg1Index]!), unhex(g.auxRand));
        } catch (err) {
          unknown = err;
        }
        expect(unknown).toBeInstanceOf(UnknownFaultyPartyError);
        expectVectorError(() => participantInvestigate(unknown as UnknownFaultyPartyError, unhex(c.cinvMsg)), e);
      },
    ),

  coordinator_step1: (file) =>
    casesOf(
      file.testGroups,
      (g, c) => {
        const pmsgs1 = c.pmsg1Indices.map((i) => unhex(g.pmsg1Pool[i]!));
        expect(hex(coordinatorStep1(pmsgs1, vectorParams(c.params)).cmsg1)).toBe(lower(c.expectedCmsg1));
      },
      (g, c, e) => {
        const pmsgs1 = c.pmsg1Indices.map((i) => unhex(g.pmsg1Pool[i]!));
        expectVectorError(() => coordinatorStep1(pmsgs1, vectorParams(c.params)), e);
      },
    ),

  coordinator_finalize: (file) => {
    const stateOf = (g: VectorFiles['coordinator_finalize']['testGroups'][number]) => {
      const { state, cmsg1 } = coordinatorStep1(g.pmsgs1.map(unhex), vectorParams(g.params));
      expect(hex(cmsg1)).toBe(lower(g.cmsg1));
      return state;
    };
    return casesOf(
      file.testGroups,
      (g, c) => {
        const { cmsg2, output, recoveryData } = coordinatorFinalize(
          stateOf(g),
          c.pmsg2Indices.map((i) => unhex(g.pmsg2Pool[i]!)),
        );
        expect(hex(cmsg2)).toBe(lower(c.expectedOutput.cmsg2));
        expectOutput(output, c.expectedOutput.dkgOutput);
        expect(hex(recoveryData)).toBe(lower(c.expectedOutput.recoveryData));
      },
      (g, c, e) => {
        const state = stateOf(g);
        expectVectorError(() => coordinatorFinalize(state, c.pmsg2Indices.map((i) => unhex(g.pmsg2Pool[i]!))), e);
      },
    );
  },

  coordinator_investigate: (file) =>
    casesOf(
      file.testGroups,
      (g, c) => expect(coordinatorInvestigate(g.pmsgs1.map(unhex), vectorParams(g.params)).map(hex)).toEqual(c.expectedCinvMsgs.map(lower)),
      () => {
        throw new Error('coordinator_investigate has no error cases');
      },
    ),

  recover: (file) => {
    // A null host secret key means recovery as the coordinator.
    const recover = (sk: string | null, rd: string) => (sk === null ? coordinatorRecover(unhex(rd)) : participantRecover(unhex(sk), unhex(rd)));
    return casesOf(
      [file],
      (_g, c) => {
        const { output, params } = recover(c.hostseckey, c.recoveryData);
        expectOutput(output, c.expectedOutput.dkgOutput);
        const want = c.expectedOutput.params;
        expect({ hostpubkeys: params.hostpubkeys.map(hex), t: params.t }).toEqual({ hostpubkeys: want.hostpubkeys.map(lower), t: want.t });
      },
      (_g, c, e) => expectVectorError(() => recover(c.hostseckey, c.recoveryData), e),
    );
  },
};

function casesFor<K extends ChillDkgVectorFile>(name: K): { total: number; cases: Case[] } {
  const file = loadChillDkgVectors(name);
  return { total: file.totalTests, cases: harness[name](file) };
}

const counts = new Map<string, number>();

for (const name of CHILLDKG_VECTOR_FILES) {
  const { total, cases } = casesFor(name);
  counts.set(name, cases.length);
  describe(`${name}_vectors.json`, () => {
    it(`has ${total} cases, and all of them run here`, () => {
      expect(cases.length).toBe(total);
      console.log(`chilldkg vectors: ${name}_vectors.json: ${cases.length} cases`);
    });
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => c.run());
  });
}

describe('all ChillDKG vector files', () => {
  it('ran 249 cases over 10 files', () => {
    expect(counts.size).toBe(10);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(249);
  });
});
