/**
 * The browser modules of services/web/public/lib, loaded in Node (which has
 * WebCrypto and TextDecoder), typed by hand: they are plain JS with JSDoc.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PUBLIC_DIR } from '../../../services/web/src/index';

export interface PathStep {
  position: number;
  side: 'left' | 'right';
  sibling: Uint8Array;
  result: Uint8Array;
}
export interface InclusionResult {
  ok: boolean;
  reason: string;
  computedRoot: Uint8Array | null;
  steps: PathStep[];
}
export interface MerkleModule {
  leafHash(data: Uint8Array): Promise<Uint8Array>;
  nodeHash(l: Uint8Array, r: Uint8Array): Promise<Uint8Array>;
  verifyInclusion(index: number, size: number, hash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<InclusionResult>;
  verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): Promise<{ ok: boolean; reason: string }>;
}
export interface NoteSignature {
  name: string;
  keyId: string;
  signature: Uint8Array;
  timestamp: number | null;
}
export interface ParsedCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  text: string;
  signatures: NoteSignature[];
}
export interface NoteModule {
  parseCheckpointNote(note: string): ParsedCheckpoint;
  noteKeyId(name: string, kind: 'log' | 'cosignature', keyHex: string): Promise<string>;
  classifySignatures(
    cp: ParsedCheckpoint,
    registry: { origin: string; logNoteKey: string; custodians: { index: number; name: string; witnessKey: string }[]; witnesses?: { name: string; key: string }[] } | null,
  ): Promise<{ signature: NoteSignature; role: 'log' | 'cosignature' | 'external' | 'unknown'; custodian: number | null; verified: boolean }[]>;
}
export interface Bip340Module {
  schnorrVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
  taggedHash(tag: string, ...parts: Uint8Array[]): Promise<Uint8Array>;
}
export interface DecodedEntry {
  index: number;
  bytes: Uint8Array;
  entry: Record<string, unknown> | null;
  type: string;
  error: string;
}
export interface EntriesModule {
  decodeLeaf(index: number, b64: string): DecodedEntry;
  describeEntry(d: DecodedEntry): { title: string; fields: [string, string][] };
  warrantHistory(id: string, entries: readonly DecodedEntry[]): Record<string, DecodedEntry[]>;
}
type Verdict = { ok: true; signers?: number[] } | { ok: false; code: string; message: string };
export interface RulesModule {
  newestEpoch(registry: unknown): { epoch: number; threshold: number; total: number } | undefined;
  reviewers(registry: unknown): { epoch: number; threshold: number; total: number; custodians: Map<number, unknown> } | undefined;
  judgeGenesis(entry: unknown): Promise<Verdict>;
  judgeRegistryUpdate(next: unknown, current: unknown): Promise<Verdict>;
  judgeRequest(facts: { status: string; epochs: Iterable<number>; approvers: Iterable<number> }, registry: unknown): Verdict;
  replayWarrant(
    entries: readonly (Record<string, unknown> | null)[],
    warrantId: string,
    now: number,
  ): Promise<{ registry: unknown; status: string; approvers: number[]; deniers: number[]; seal: string; threshold: number } | null>;
}
export interface BytesModule {
  base64ToBytes(b64: string, name?: string): Uint8Array;
  hexToBytes(hex: string, name?: string): Uint8Array;
}

async function load<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(join(PUBLIC_DIR, 'lib', file)).href)) as T;
}

export const loadMerkle = () => load<MerkleModule>('merkle.js');
export const loadNote = () => load<NoteModule>('note.js');
export const loadEntries = () => load<EntriesModule>('entries.js');
export const loadBytes = () => load<BytesModule>('bytes.js');
export const loadBip340 = () => load<Bip340Module>('bip340.js');
export const loadRules = () => load<RulesModule>('rules.js');

type EpochVerdict = { ok: true; keys: { threshold: number; hostKeys: string[]; groupKey: string; commitments: string[] } } | { ok: false; code: string; message: string };
export interface DkgEpochsModule {
  judgeEpochEntry(entry: unknown, registry: unknown): Promise<EpochVerdict>;
  judgeDkgEntry(entry: unknown, registry: unknown): Promise<{ ok: true } | { ok: false; code: string; message: string }>;
  resolveRegistry<R>(registry: R, epochEntries: readonly unknown[]): Promise<R>;
  judgeShareDestroyed(entry: unknown, registry: unknown): Promise<{ ok: true } | { ok: false; code: string; message: string }>;
}
export const loadDkgEpochs = () => load<DkgEpochsModule>('dkgEpochs.js');

type TimelineStep = { custodian: number; index: number };
export interface EpochStory {
  epoch: number;
  origin: 'dealer' | 'dkg' | 'reshare' | 'proposed';
  reshareOf: number | null;
  sessions: { session: string; commits: TimelineStep[]; reveals: TimelineStep[]; aggregate: number | null; certeqs: TimelineStep[]; blames: { index: number }[]; abort: { index: number } | null; refused: { index: number; code: string }[] }[];
  activation: { index: number; session: string; groupKey: string } | null;
  refusedEpochEntries: { index: number; code: string }[];
  supersededBy: { epoch: number; index: number } | null;
  destroyed: { custodian: number; index: number; time: number }[];
  refusedDestructions: { index: number; code: string }[];
}
export interface EpochTimelineModule {
  epochTimeline(entries: readonly { index: number; entry: Record<string, unknown> | null }[]): Promise<{ epochs: EpochStory[]; current: number | null; registryIndex: number | null }>;
}
export const loadEpochTimeline = () => load<EpochTimelineModule>('epochTimeline.js');

export interface SearchModule {
  findWarrantEntries(
    warrantId: string,
    checkpoint: { size: number; root: Uint8Array },
    urls: { search: string; entries: string; inclusion: string },
    getJson: (url: string) => Promise<unknown>,
  ): Promise<{ registry: DecodedEntry[]; entries: DecodedEntry[] }>;
  parseIndexAnswer(body: unknown, warrantId: string, size: number): { indices: number[]; registry: number[] };
}
export const loadSearch = () => load<SearchModule>('search.js');
