/**
 * Loads the ChillDKG BIP's test vectors (copies of the BIP's vectors/*.json;
 * README.md), typed per file as the files' `description`s explain them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `expectedError` of an error case: the BIP's exception name, and blame where it names one. */
export interface VectorError {
  type: string;
  message?: string;
  participantId?: number;
  participantId1?: number;
  participantId2?: number;
}

export interface VectorParams {
  hostpubkeys: string[];
  t: number;
}

export interface VectorOutput {
  secshare: string | null;
  threshPk: string;
  pubshares: string[];
}

interface Tc {
  tcId: number;
  comment: string;
}

/** Valid cases with fields V, error cases with fields E, beside the group's own fields G (a file may leave a list out). */
export type Group<V, E, G = unknown> = G & {
  validTestCases?: (Tc & V)[];
  errorTestCases?: (Tc & E & { expectedError: VectorError })[];
};

interface Grouped<V, E, G> {
  description: string[];
  totalTests: number;
  testGroups: Group<V, E, G>[];
}

type Flat<V, E> = { description: string[]; totalTests: number } & Group<V, E>;

/** What a participant's session fixture holds (participant_step2/finalize/investigate). */
interface ParticipantFixture {
  params: VectorParams;
  hostseckey: string;
  random: string;
  auxRand: string;
  pmsg1: string;
}

export interface VectorFiles {
  hostpubkey_gen: Flat<{ hostseckey: string; expectedHostpubkey: string }, { hostseckey: string }>;
  params_hash: Flat<{ params: VectorParams; expectedParamsHash: string }, { params: VectorParams }>;
  participant_step1: Grouped<
    { hostseckey: string; params: VectorParams; random: string; expectedPmsg1: string },
    { hostseckey: string; params: VectorParams; random: string },
    unknown
  >;
  participant_step2: Grouped<{ cmsg1: string; expectedPmsg2: string }, { cmsg1: string; hostseckey?: string; auxRand?: string }, ParticipantFixture>;
  participant_finalize: Grouped<
    { cmsg2: string; expectedOutput: { dkgOutput: VectorOutput; recoveryData: string } },
    { cmsg2: string },
    ParticipantFixture & { cmsg1: string; pmsg2: string }
  >;
  participant_investigate: Grouped<never, { cmsg1Index: number; cinvMsg: string }, ParticipantFixture & { cmsg1Pool: string[] }>;
  coordinator_step1: Grouped<
    { pmsg1Indices: number[]; params: VectorParams; expectedCmsg1: string },
    { pmsg1Indices: number[]; params: VectorParams },
    { pmsg1Pool: string[] }
  >;
  coordinator_finalize: Grouped<
    { pmsg2Indices: number[]; expectedOutput: { cmsg2: string; dkgOutput: VectorOutput; recoveryData: string } },
    { pmsg2Indices: number[] },
    { params: VectorParams; pmsgs1: string[]; cmsg1: string; pmsg2Pool: string[] }
  >;
  coordinator_investigate: Grouped<{ expectedCinvMsgs: string[] }, never, { params: VectorParams; pmsgs1: string[] }>;
  recover: Flat<
    { hostseckey: string | null; recoveryData: string; expectedOutput: { dkgOutput: VectorOutput; params: VectorParams } },
    { hostseckey: string | null; recoveryData: string }
  >;
}

export type ChillDkgVectorFile = keyof VectorFiles;

/** The files, by name without `_vectors.json`. */
export const CHILLDKG_VECTOR_FILES: readonly ChillDkgVectorFile[] = [
  'hostpubkey_gen',
  'params_hash',
  'participant_step1',
  'participant_step2',
  'participant_finalize',
  'participant_investigate',
  'coordinator_step1',
  'coordinator_finalize',
  'coordinator_investigate',
  'recover',
];

export function loadChillDkgVectors<K extends ChillDkgVectorFile>(name: K): VectorFiles[K] {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./${name}_vectors.json`, import.meta.url)), 'utf8')) as VectorFiles[K];
}
