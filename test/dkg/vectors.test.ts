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
import type { ChillDkgVectorFile, VectorError, VectorParams } from '../vectors/chilldkg/load';
import { expectOutput, expectVectorError, hex, unhex, vectorParams } from './helpers';
import type { VectorOutput } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any -- vector JSON, typed per file below */
type Json = Record<string, any>;

interface Case {
  name: string;
  run: () => void;
}

const lower = (s: string) => s.toLowerCase();

/** Valid and error cases of a group (or of the file), each with its group's fields beside it. */
function casesOf(file: Json, make: (group: Json, c: Json, valid: boolean) => () => void): Case[] {
  const groups: Json[] = file.testGroups ?? [file];
  return groups.flatMap((g, gi) => [
    ...((g.validTestCases ?? []) as Json[]).map((c) => ({ name: `group ${gi} tc ${c.tcId} valid: ${c.comment}`, run: make(g, c, true) })),
    ...((g.errorTestCases ?? []) as Json[]).map((c) => ({
      name: `group ${gi} tc ${c.tcId} ${c.expectedError.type}: ${c.comment}`,
      run: make(g, c, false),
    })),
  ]);
}

const harness: Record<ChillDkgVectorFile, (file: Json) => Case[]> = {
  hostpubkey_gen: (file) =>
    casesOf(file, (_g, c, valid) => () => {
      if (valid) expect(hex(hostpubkeyGen(unhex(c.hostseckey)))).toBe(lower(c.expectedHostpubkey));
      else expectVectorError(() => hostpubkeyGen(unhex(c.hostseckey)), c.expectedError);
    }),

  params_hash: (file) =>
    casesOf(file, (_g, c, valid) => () => {
      const params = vectorParams(c.params);
      if (valid) expect(hex(paramsHash(params))).toBe(lower(c.expectedParamsHash));
      else expectVectorError(() => paramsHash(params), c.expectedError);
    }),

  participant_step1: (file) =>
    casesOf(file, (_g, c, valid) => () => {
      const run = () => participantStep1(unhex(c.hostseckey), vectorParams(c.params), unhex(c.random));
      if (valid) expect(hex(run().pmsg1)).toBe(lower(c.expectedPmsg1));
      else expectVectorError(run, c.expectedError);
    }),

  participant_step2: (file) =>
    casesOf(file, (g, c, valid) => () => {
      const { state } = step1Checked(g);
      const run = () => participantStep2(unhex(c.hostseckey ?? g.hostseckey), state, unhex(c.cmsg1), unhex(c.auxRand ?? g.auxRand));
      if (valid) expect(hex(run().pmsg2)).toBe(lower(c.expectedPmsg2));
      else expectVectorError(run, c.expectedError);
    }),

  participant_finalize: (file) =>
    casesOf(file, (g, c, valid) => () => {
      const { state: state1 } = step1Checked(g);
      const { state: state2, pmsg2 } = participantStep2(unhex(g.hostseckey), state1, unhex(g.cmsg1), unhex(g.auxRand));
      expect(hex(pmsg2)).toBe(lower(g.pmsg2));
      const run = () => participantFinalize(state2, unhex(c.cmsg2));
      if (valid) {
        const { output, recoveryData } = run();
        expectOutput(output, c.expectedOutput.dkgOutput as VectorOutput);
        expect(hex(recoveryData)).toBe(lower(c.expectedOutput.recoveryData));
      } else expectVectorError(run, c.expectedError);
    }),

  participant_investigate: (file) =>
    casesOf(file, (g, c) => () => {
      const { state } = step1Checked(g);
      let unknown: unknown;
      try {
        participantStep2(unhex(g.hostseckey), state, unhex(g.cmsg1Pool[c.cmsg1Index]), unhex(g.auxRand));
      } catch (err) {
        unknown = err;
      }
      expect(unknown).toBeInstanceOf(UnknownFaultyPartyError);
      expectVectorError(() => participantInvestigate(unknown as UnknownFaultyPartyError, unhex(c.cinvMsg)), c.expectedError);
    }),

  coordinator_step1: (file) =>
    casesOf(file, (g, c, valid) => () => {
      const pmsgs1 = (c.pmsg1Indices as number[]).map((i) => unhex(g.pmsg1Pool[i]));
      const run = () => coordinatorStep1(pmsgs1, vectorParams(c.params));
      if (valid) expect(hex(run().cmsg1)).toBe(lower(c.expectedCmsg1));
      else expectVectorError(run, c.expectedError);
    }),

  coordinator_finalize: (file) =>
    casesOf(file, (g, c, valid) => () => {
      const { state, cmsg1 } = coordinatorStep1((g.pmsgs1 as string[]).map(unhex), vectorParams(g.params));
      expect(hex(cmsg1)).toBe(lower(g.cmsg1));
      const pmsgs2 = (c.pmsg2Indices as number[]).map((i) => unhex(g.pmsg2Pool[i]));
      const run = () => coordinatorFinalize(state, pmsgs2);
      if (valid) {
        const { cmsg2, output, recoveryData } = run();
        expect(hex(cmsg2)).toBe(lower(c.expectedOutput.cmsg2));
        expectOutput(output, c.expectedOutput.dkgOutput as VectorOutput);
        expect(hex(recoveryData)).toBe(lower(c.expectedOutput.recoveryData));
      } else expectVectorError(run, c.expectedError);
    }),

  coordinator_investigate: (file) =>
    casesOf(file, (g, c) => () => {
      const cinvs = coordinatorInvestigate((g.pmsgs1 as string[]).map(unhex), vectorParams(g.params));
      expect(cinvs.map(hex)).toEqual((c.expectedCinvMsgs as string[]).map(lower));
    }),

  recover: (file) =>
    casesOf(file, (_g, c, valid) => () => {
      const rd = unhex(c.recoveryData);
      const run = () => (c.hostseckey === null ? coordinatorRecover(rd) : participantRecover(unhex(c.hostseckey), rd));
      if (valid) {
        const { output, params } = run();
        expectOutput(output, c.expectedOutput.dkgOutput as VectorOutput);
        const want = c.expectedOutput.params as VectorParams;
        expect({ hostpubkeys: params.hostpubkeys.map(hex), t: params.t }).toEqual({ hostpubkeys: want.hostpubkeys.map(lower), t: want.t });
      } else expectVectorError(run, c.expectedError as VectorError);
    }),
};

/** The description's harness step 1: participant_step1 must reproduce the group's pmsg1. */
function step1Checked(g: Json) {
  const out = participantStep1(unhex(g.hostseckey), vectorParams(g.params), unhex(g.random));
  expect(hex(out.pmsg1)).toBe(lower(g.pmsg1));
  return out;
}

const counts: Record<string, number> = {};

for (const name of CHILLDKG_VECTOR_FILES) {
  const file = loadChillDkgVectors(name);
  const cases = harness[name](file);
  counts[name] = cases.length;
  describe(`${name}_vectors.json`, () => {
    it(`has ${file.totalTests} cases, and all of them run here`, () => {
      expect(cases.length).toBe(file.totalTests);
      console.log(`chilldkg vectors: ${name}_vectors.json: ${cases.length} cases`);
    });
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => c.run());
  });
}

describe('all ChillDKG vector files', () => {
  it('ran 249 cases over 10 files', () => {
    expect(Object.keys(counts)).toHaveLength(10);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(249);
  });
});
