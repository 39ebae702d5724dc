/** Loads the ChillDKG BIP's test vectors (copies of the BIP's vectors/*.json; README.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The files, by name without `_vectors.json`. */
export const CHILLDKG_VECTOR_FILES = [
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
] as const;

export type ChillDkgVectorFile = (typeof CHILLDKG_VECTOR_FILES)[number];

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

/** One file: `totalTests` cases in top-level or grouped valid/error lists (fields vary per file). */
export interface VectorFile {
  description: string[];
  totalTests: number;
  testGroups?: Record<string, unknown>[];
  validTestCases?: Record<string, unknown>[];
  errorTestCases?: Record<string, unknown>[];
}

export function loadChillDkgVectors(name: ChillDkgVectorFile): VectorFile {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./${name}_vectors.json`, import.meta.url)), 'utf8')) as VectorFile;
}
