/**
 * `audit verify`: fetch a log over the public read API (docs/PROTOCOL.md §4.4),
 * accept its checkpoint only if it is signed by the log key, consistent with
 * every checkpoint accepted before, reproduced by the entries and cosigned by
 * at least t registered custodians (§1 goal 8), then check every rule of §1
 * from the entries alone (./rules).
 *
 * Trust starts from the genesis registry, on first use or against pinned keys;
 * later runs with the same state directory trust only what they verified.
 */
import { bytesToBase64, equalBytes, hexToBytes } from '@custodes/shared/crypto';
import {
  MemoryTree,
  openCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  verifiedCosigners,
  verifyConsistency,
  LogError,
  type Checkpoint,
  type NoteKey,
  type SignedNote,
} from '@custodes/shared/log';
import type { RegistryView } from '@custodes/shared/records';
import { compareFindings, type Finding, type FindingCode } from './findings';
import { LogClient, type FetchOptions, type LogSource } from './fetch';
import { TileClient } from './tiles';
import type { PinnedKeys } from './pins';
import { checkDecodedEntries, decodeLeaf, type AuditState } from './rules';
import { AuditorState } from './state';

export interface Progress {
  readonly phase: 'fetch' | 'check';
  readonly done: number;
  readonly total: number;
}

export interface VerifyOptions {
  /** The coordinator's base URL (its read API, docs/PROTOCOL.md §4.4)... */
  readonly logUrl?: string;
  /** ...or, instead, a C2SP tlog-tiles mirror's base URL (§9.9): exactly one of the two. */
  readonly tilesUrl?: string;
  /** Directory of the SQLite state; without it (and without `state`) the state is in memory. */
  readonly stateDir?: string;
  /** An open state to use instead of `stateDir` (the watcher keeps one across rounds). */
  readonly state?: AuditorState;
  readonly pinnedKeys?: PinnedKeys;
  /** Unix seconds, for overdue unsealings; defaults to the clock. */
  readonly now?: number;
  /** Seconds after an epoch's retireAfter before a missing retirement is a finding (default one day; docs/PROTOCOL.md §8.8). */
  readonly retirementGraceSeconds?: number;
  /** Seconds after a reshare's activation before a missing share-destroyed statement is a finding (default one day; docs/PROTOCOL.md §8.8). */
  readonly destroyGraceSeconds?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Report progress every this many entries (default 1000). */
  readonly progressEvery?: number;
  readonly fetch?: FetchOptions;
  readonly policy?: CosignaturePolicy;
}

/**
 * How many cosignatures a checkpoint needs before the auditor accepts it
 * (docs/PROTOCOL.md §8.8): from registered custodians of the newest epoch
 * (default t, the threshold) and from the registry's external witnesses
 * (default 0: they cosign after the custodians, and releases never wait on them).
 */
export interface CosignaturePolicy {
  readonly custodians?: number;
  readonly external?: number;
}

export interface VerifiedCheckpoint {
  readonly origin: string;
  readonly size: number;
  /** base64, as in the checkpoint body. */
  readonly root: string;
  /** The signed note as served. */
  readonly note: string;
  /** Registered custodians whose cosignature verifies. */
  readonly cosigners: readonly string[];
  /** The registry's external witnesses whose cosignature verifies. */
  readonly externalCosigners: readonly string[];
  /** Whether it became the auditor's verified head. */
  readonly accepted: boolean;
}

export interface VerifyResult {
  /** Every finding, sorted by index. */
  readonly findings: Finding[];
  /** Size of the verified log the rules ran over. */
  readonly size: number;
  /** The coordinator's checkpoint as checked (undefined for a log that cannot be read at all). */
  readonly checkpoint: VerifiedCheckpoint | undefined;
  /** The replayed state (for reports), over the `size` verified entries. */
  readonly audit: AuditState;
  /** The verified leaves, in order. */
  readonly leaves: readonly Uint8Array[];
}

/** Checkpoint findings that refuse the checkpoint. */
const REFUSING: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'BAD_CHECKPOINT',
  'BAD_LOG_SIGNATURE',
  'LOG_EQUIVOCATION',
  'INCONSISTENT_CHECKPOINT',
  'ROOT_MISMATCH',
  'INSUFFICIENT_COSIGNATURES',
  'INSUFFICIENT_EXTERNAL_COSIGNATURES',
]);

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The log's Ed25519 note key: name = origin, key from the pins or the genesis registry (docs/PROTOCOL.md §4.3). */
export function logNoteKey(origin: string, logNoteKeyHex: string): NoteKey {
  return { name: origin, publicKey: hexToBytes(logNoteKeyHex, 32, 'logNoteKey') };
}

/** Ed25519 note keys of the custodians as witnesses: the current epoch's, under their registry names. */
export function witnessKeys(registry: RegistryView): NoteKey[] {
  return registry.custodians.map((c) => ({ name: c.name, publicKey: hexToBytes(c.witnessKey, 32, 'witnessKey') }));
}

/** Ed25519 note keys of the registry's external witnesses (docs/PROTOCOL.md §4.3). */
export function externalWitnessKeys(registry: RegistryView): NoteKey[] {
  return registry.witnesses.map((w) => ({ name: w.name, publicKey: hexToBytes(w.key, 32, 'key') }));
}

/** Parses a note without trusting it; null if malformed. */
function parseNote(text: string): { note: SignedNote; checkpoint: Checkpoint } | null {
  try {
    const note = parseSignedNote(text);
    return { note, checkpoint: parseCheckpoint(note.text) };
  } catch (err) {
    if (err instanceof LogError) return null;
    throw err;
  }
}

/** The read API or the mirror, whichever the options name (exactly one). */
function sourceOf(options: Pick<VerifyOptions, 'logUrl' | 'tilesUrl' | 'fetch'>): LogSource {
  if ((options.logUrl === undefined) === (options.tilesUrl === undefined)) throw new TypeError('give exactly one of logUrl and tilesUrl');
  return options.tilesUrl !== undefined ? new TileClient(options.tilesUrl, options.fetch) : new LogClient(options.logUrl!, options.fetch);
}

/**
 * Verifies the log at `logUrl` (or the mirror at `tilesUrl`) and checks its entries. Findings are returned,
 * never thrown; AuditError is thrown only when the log cannot be read.
 */
export async function verifyLog(options: VerifyOptions): Promise<VerifyResult> {
  const state = options.state ?? AuditorState.open(options.stateDir);
  try {
    return await verifyWithState(options, state);
  } finally {
    if (!options.state) state.close();
  }
}

async function verifyWithState(options: VerifyOptions, state: AuditorState): Promise<VerifyResult> {
  const now = options.now ?? nowSeconds();
  const client = sourceOf(options);
  const findings: Finding[] = [];
  const stored = state.leaves();
  const previous = state.latest();

  const rules = (leaves: readonly Uint8Array[]) => {
    const result = checkDecodedEntries(leaves.map(decodeLeaf), {
      now,
      pinnedKeys: options.pinnedKeys,
      ...(options.retirementGraceSeconds === undefined ? {} : { retirementGraceSeconds: options.retirementGraceSeconds }),
      ...(options.destroyGraceSeconds === undefined ? {} : { destroyGraceSeconds: options.destroyGraceSeconds }),
      progressEvery: options.progressEvery,
      onProgress: (done, total) => options.onProgress?.({ phase: 'check', done, total }),
    });
    return result;
  };
  const finish = (leaves: readonly Uint8Array[], checkpoint: VerifiedCheckpoint | undefined): VerifyResult => {
    const r = rules(leaves);
    const all = [...findings, ...r.findings].sort(compareFindings);
    return { findings: all, size: leaves.length, checkpoint, audit: r.state, leaves };
  };

  // 1. The checkpoint, unverified.
  const noteText = await client.checkpoint();
  const parsed = parseNote(noteText);
  if (!parsed) {
    findings.push({ index: stored.length, code: 'BAD_CHECKPOINT', message: 'the checkpoint is not a well-formed signed note.' });
    return finish(stored, undefined);
  }
  const { checkpoint } = parsed;
  const described = (accepted: boolean, cosigners: readonly string[] = [], externalCosigners: readonly string[] = []): VerifiedCheckpoint => ({
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: bytesToBase64(checkpoint.root),
    note: noteText,
    cosigners,
    externalCosigners,
    accepted,
  });
  if (checkpoint.size === 0 && stored.length === 0) return finish(stored, described(false));

  // 2. The trust anchor: the genesis registry, stored or fetched, and the log key.
  const genesisLeaf = stored[0] ?? (await client.entries(0, 1, checkpoint.size))[0]!;
  const genesis = decodeLeaf(genesisLeaf);
  if (!genesis.ok || genesis.entry.type !== 'registry') {
    // The rules report BAD_GENESIS at index 0; nothing else can be trusted.
    return finish(stored.length ? stored : [genesisLeaf], described(false));
  }
  const pins = options.pinnedKeys;
  const logKey = logNoteKey(pins?.origin ?? genesis.entry.origin, pins?.logNoteKey ?? genesis.entry.logNoteKey);
  const opened = openCheckpoint(noteText, logKey);
  if (!opened) {
    findings.push({
      index: checkpoint.size,
      code: 'BAD_LOG_SIGNATURE',
      message: `the checkpoint of size ${checkpoint.size} is not signed by the log key of origin "${logKey.name}".`,
    });
    return finish(stored, described(false));
  }

  // 3. Consistency with everything accepted before (RFC 9162 §2.1.4).
  const tree = new MemoryTree();
  for (const leaf of stored) tree.append(leaf);
  if (previous) {
    if (checkpoint.size <= previous.size) {
      const ours = tree.root(checkpoint.size);
      if (!equalBytes(ours, checkpoint.root)) {
        state.recordConflict({ size: checkpoint.size, root: checkpoint.root, note: noteText }, client.base, now);
        findings.push({
          index: checkpoint.size,
          code: 'LOG_EQUIVOCATION',
          message: `the log signed a root ${bytesToBase64(checkpoint.root)} for size ${checkpoint.size}, but the verified tree of that size has root ${bytesToBase64(ours)}.`,
        });
      }
      // Same size and root: nothing new. A smaller size: a stale but consistent view. Either way the
      // note's cosigners are counted as for a new checkpoint (a repeated verify is not "cosigned by 0").
      const registry = rules(stored).state.registry;
      const cosigners = registry ? verifiedCosigners(opened.note, witnessKeys(registry)) : [];
      const external = registry ? verifiedCosigners(opened.note, externalWitnessKeys(registry)) : [];
      return finish(stored, described(checkpoint.size === previous.size && findings.length === 0, cosigners, external));
    }
    const proof = await client.consistency(previous.size, checkpoint.size);
    if (!verifyConsistency(previous.size, checkpoint.size, proof, previous.root, checkpoint.root)) {
      state.recordConflict({ size: checkpoint.size, root: checkpoint.root, note: noteText }, client.base, now);
      findings.push({
        index: checkpoint.size,
        code: 'INCONSISTENT_CHECKPOINT',
        message: `the checkpoint of size ${checkpoint.size} is not proven consistent with the verified checkpoint of size ${previous.size}.`,
      });
      return finish(stored, described(false));
    }
  }

  // 4. The new entries must reproduce the root.
  const start = stored.length;
  const fresh = start === 0 && checkpoint.size >= 1 ? [genesisLeaf] : [];
  const more = await client.entries(start + fresh.length, checkpoint.size, checkpoint.size, (n) =>
    options.onProgress?.({ phase: 'fetch', done: start + fresh.length + n, total: checkpoint.size }),
  );
  fresh.push(...more);
  for (const leaf of fresh) tree.append(leaf);
  const computed = tree.root();
  if (!equalBytes(computed, checkpoint.root)) {
    findings.push({
      index: checkpoint.size,
      code: 'ROOT_MISMATCH',
      message: `the ${checkpoint.size} entries served hash to ${bytesToBase64(computed)}, not the checkpoint's root ${bytesToBase64(checkpoint.root)}.`,
    });
    return finish(stored, described(false));
  }

  // 5. The rules over every verified entry; then the cosignatures, under the registry they establish.
  const leaves = [...stored, ...fresh];
  const result = rules(leaves);
  const registry = result.state.registry;
  let cosigners: string[] = [];
  let external: string[] = [];
  if (registry) {
    cosigners = verifiedCosigners(opened.note, witnessKeys(registry));
    external = verifiedCosigners(opened.note, externalWitnessKeys(registry));
    const needed = options.policy?.custodians ?? registry.threshold;
    if (cosigners.length < needed) {
      findings.push({
        index: checkpoint.size,
        code: 'INSUFFICIENT_COSIGNATURES',
        message: `the checkpoint of size ${checkpoint.size} is cosigned by ${cosigners.length} registered custodians (${cosigners.join(', ') || 'none'}); ${needed} are needed.`,
      });
    }
    const neededExternal = options.policy?.external ?? 0;
    if (external.length < neededExternal) {
      findings.push({
        index: checkpoint.size,
        code: 'INSUFFICIENT_EXTERNAL_COSIGNATURES',
        message: `the checkpoint of size ${checkpoint.size} is cosigned by ${external.length} of the registry's ${registry.witnesses.length} external witnesses (${external.join(', ') || 'none'}); the policy asks for ${neededExternal}.`,
      });
    }
  }
  const anchorBroken = result.findings.some((f) => f.index === 0 && (f.code === 'BAD_GENESIS' || f.code === 'PIN_MISMATCH'));
  const accepted = registry !== undefined && !anchorBroken && !findings.some((f) => REFUSING.has(f.code));
  if (accepted) state.accept({ size: checkpoint.size, root: checkpoint.root, note: noteText }, fresh, now);
  const all = [...findings, ...result.findings].sort(compareFindings);
  return { findings: all, size: leaves.length, checkpoint: described(accepted, cosigners, external), audit: result.state, leaves };
}
