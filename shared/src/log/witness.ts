/**
 * Witness logic of C2SP tlog-witness `add-checkpoint` (docs/PROTOCOL.md §4.3, §1 goal 8),
 * without storage: the request body's format and the check of a checkpoint
 * against the last cosigned head. The service (services/custodian/src/witness.ts)
 * runs the check again inside the transaction that stores the new head, so two
 * racing requests can never roll the witness back.
 *
 * A witness never cosigns two inconsistent checkpoints for one origin: it
 * moves forward only along verified consistency proofs from its last
 * cosigned tree head.
 */
import { abytes, astring, base64ToBytes, bytesToBase64, equalBytes } from '../crypto/bytes';
import { formatCheckpoint, parseCheckpoint, parseTreeSize, type Checkpoint } from './checkpoint';
import { LogError } from './errors';
import { HASH_SIZE, verifyConsistency } from './merkle';
import { formatSignatureLine, LOG_SIGNATURE_TYPE, noteKeyId, parseSignedNote, verifyLogSignature, type NoteKey, type SignedNote } from './note';

// ## State

/** The latest tree head a witness cosigned for one origin. */
interface CosignedHead {
  readonly size: number;
  readonly root: Uint8Array;
}

// ## The check

/** Why a witness refuses, with the HTTP status C2SP tlog-witness assigns. */
type WitnessRefusal =
  | { readonly status: 400; readonly code: 'BAD_REQUEST'; readonly message: string }
  | { readonly status: 403; readonly code: 'BAD_SIGNATURE'; readonly message: string }
  | { readonly status: 404; readonly code: 'UNKNOWN_LOG'; readonly message: string }
  | {
      readonly status: 409;
      readonly code: 'OLD_SIZE_MISMATCH' | 'ROOT_MISMATCH';
      readonly message: string;
      /** The witness's size, sent back as `text/x.tlog.size`. */
      readonly witnessSize: number;
    }
  | { readonly status: 422; readonly code: 'BAD_PROOF'; readonly message: string };

type WitnessVerdict = { readonly ok: true } | ({ readonly ok: false } & WitnessRefusal);

/**
 * Decides whether a witness whose last cosigned head for the origin is
 * `latest` (undefined: never cosigned, i.e. size 0) may cosign `checkpoint`,
 * given the client's `oldSize` and consistency `proof` (C2SP tlog-witness):
 *
 * - oldSize > checkpoint size → 400;
 * - oldSize ≠ witness size → 409 with the witness size (this also refuses any
 *   shrinking tree, which cannot carry a valid proof from the witness size);
 * - oldSize = 0 with a non-empty proof, or a proof that does not verify from
 *   the witness's root (a fork) → 422;
 * - same size as the witness but another root (a fork) → 409.
 */
function checkCheckpointUpdate(
  latest: CosignedHead | undefined,
  oldSize: number,
  proof: readonly Uint8Array[],
  checkpoint: Checkpoint,
): WitnessVerdict {
  if (latest !== undefined) {
    if (!Number.isSafeInteger(latest.size) || latest.size < 0) throw new RangeError('latest.size must be a tree size');
    abytes(latest.root, HASH_SIZE, 'latest.root');
  }
  if (typeof oldSize !== 'number' || !Number.isSafeInteger(oldSize) || oldSize < 0) {
    throw new RangeError('oldSize must be a tree size');
  }
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array');
  proof.forEach((p, i) => abytes(p, undefined, `proof[${i}]`));
  const witnessSize = latest?.size ?? 0;
  if (oldSize > checkpoint.size) {
    return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'old size exceeds the checkpoint size' };
  }
  if (oldSize !== witnessSize) {
    return {
      ok: false,
      status: 409,
      code: 'OLD_SIZE_MISMATCH',
      message: `witness is at size ${witnessSize}`,
      witnessSize,
    };
  }
  if (oldSize === 0) {
    // Nothing to check against (C2SP tlog-witness: the proof MUST be empty),
    // except an empty tree the witness already cosigned: same size, same root.
    if (proof.length > 0) {
      return { ok: false, status: 422, code: 'BAD_PROOF', message: 'proof must be empty from size 0' };
    }
    if (latest !== undefined && checkpoint.size === 0 && !equalBytes(latest.root, checkpoint.root)) {
      return { ok: false, status: 409, code: 'ROOT_MISMATCH', message: 'root differs at size 0', witnessSize };
    }
    return { ok: true };
  }
  const head = latest!; // oldSize > 0 equals witnessSize, so the witness has a head.
  if (checkpoint.size === head.size) {
    if (proof.length > 0) {
      return { ok: false, status: 422, code: 'BAD_PROOF', message: 'proof must be empty for equal sizes' };
    }
    if (!equalBytes(head.root, checkpoint.root)) {
      return {
        ok: false,
        status: 409,
        code: 'ROOT_MISMATCH',
        message: `root differs from the cosigned root at size ${head.size}`,
        witnessSize,
      };
    }
    return { ok: true };
  }
  if (!verifyConsistency(head.size, checkpoint.size, proof, head.root, checkpoint.root)) {
    return { ok: false, status: 422, code: 'BAD_PROOF', message: 'consistency proof does not verify' };
  }
  return { ok: true };
}

// ## The note a witness keeps and serves

/**
 * The signed note a witness stores and serves after cosigning `checkpoint`:
 * the checkpoint body as it re-serialises it, the log's signature lines under
 * `logKey` from `note`, then its own `cosignature` line — and nothing else
 * from the note it was sent. A client's extra lines (another signature under
 * this witness's own key ID, say) would otherwise be served as the witness's
 * view and make it fail verification (C2SP signed-note: a failing line from a
 * known key rejects the note), so auditors would flag an honest witness.
 *
 * Requires `verifyLogSignature(note, logKey)` (checked by the caller: the
 * witness never cosigns otherwise) and `note.text` = the checkpoint's body.
 */
function witnessNote(checkpoint: Checkpoint, note: SignedNote, logKey: NoteKey, cosignature: string): string {
  const text = formatCheckpoint(checkpoint);
  if (note.text !== text) throw new RangeError('note.text must be the checkpoint body');
  astring(cosignature, 'cosignature');
  if (!cosignature.startsWith('\u2014 ') || !cosignature.endsWith('\n') || cosignature.indexOf('\n') !== cosignature.length - 1) {
    throw new RangeError('cosignature must be one signature line');
  }
  const keyId = noteKeyId(logKey.name, LOG_SIGNATURE_TYPE, logKey.publicKey);
  const logLines = note.signatures.filter((s) => s.name === logKey.name && equalBytes(s.keyId, keyId));
  if (logLines.length === 0) throw new RangeError('note must carry the log signature');
  return `${text}\n${logLines.map(formatSignatureLine).join('')}${cosignature}`;
}

// ## The add-checkpoint request body

interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: Uint8Array[];
  /** The checkpoint note, signatures included. */
  readonly note: string;
}

/** C2SP tlog-witness: a client must not send more than 63 proof lines. */
const MAX_PROOF_LINES = 63;
/** Generous cap: proof lines plus a checkpoint with many cosignatures. */
const MAX_REQUEST_BYTES = 80 * 1024;

function badRequest(message: string): never {
  throw new LogError('BAD_WITNESS_REQUEST', message);
}

/** Formats an add-checkpoint body: `old <size>\n`, proof lines, a blank line, the note. */
function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  const { oldSize, proof, note } = request;
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new RangeError('oldSize must be a tree size');
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_LINES) throw new RangeError('proof must have ≤ 63 hashes');
  proof.forEach((p, i) => abytes(p, HASH_SIZE, `proof[${i}]`));
  astring(note, 'note');
  return `old ${oldSize}\n${proof.map((p) => `${bytesToBase64(p)}\n`).join('')}\n${note}`;
}

/** Parses an add-checkpoint body (attacker-controlled); throws LogError BAD_WITNESS_REQUEST (→ 400). */
function parseAddCheckpointRequest(body: string | Uint8Array): AddCheckpointRequest {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) {
    if (body.length > MAX_REQUEST_BYTES) badRequest('request is too large');
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      badRequest('request must be valid UTF-8');
    }
  } else throw new TypeError('body must be a string or a Uint8Array');
  if (text.length > MAX_REQUEST_BYTES) badRequest('request is too large');
  const blank = text.indexOf('\n\n');
  if (blank < 0) badRequest('request must separate the proof from the checkpoint with a blank line');
  const [oldLine, ...proofLines] = text.slice(0, blank).split('\n');
  const match = /^old ([0-9]+)$/.exec(oldLine!);
  const oldSize = match ? parseTreeSize(match[1]!) : undefined;
  if (oldSize === undefined) badRequest('first line must be "old <size>" with a canonical decimal size');
  if (proofLines.length > MAX_PROOF_LINES) badRequest('at most 63 consistency proof lines');
  const proof = proofLines.map((line) => {
    let hash: Uint8Array;
    try {
      hash = base64ToBytes(line, 'proof line');
    } catch {
      badRequest('proof lines must be canonical base64');
    }
    if (hash.length !== HASH_SIZE) badRequest('proof lines must be 32-byte hashes');
    return hash;
  });
  return { oldSize, proof, note: text.slice(blank + 2) };
}

// ## The first steps of add-checkpoint, for any witness

/** An add-checkpoint request whose body parsed (nothing verified yet). */
interface ParsedAddCheckpoint {
  readonly ok: true;
  readonly oldSize: number;
  readonly proof: Uint8Array[];
  readonly note: SignedNote;
  readonly checkpoint: Checkpoint;
}

/** An add-checkpoint request whose body parsed and whose log signature verified. */
interface OpenedAddCheckpoint extends ParsedAddCheckpoint {
  /** The log key the signature verified under. */
  readonly logKey: NoteKey;
}

type Refusal<S extends WitnessRefusal['status']> = { readonly ok: false } & Extract<WitnessRefusal, { status: S }>;
type AddCheckpointParse = ParsedAddCheckpoint | Refusal<400>;
type AddCheckpointOpening = OpenedAddCheckpoint | Refusal<400 | 403 | 404>;

/**
 * C2SP tlog-witness step 1: the body (attacker-controlled) parses as `old`,
 * proof lines and a signed checkpoint note (400). Nothing is verified.
 */
function parseAddCheckpoint(body: string | Uint8Array): AddCheckpointParse {
  try {
    const request = parseAddCheckpointRequest(body);
    const note = parseSignedNote(request.note);
    return { ok: true, oldSize: request.oldSize, proof: request.proof, note, checkpoint: parseCheckpoint(note.text) };
  } catch (error) {
    if (error instanceof LogError) return { ok: false, status: 400, code: 'BAD_REQUEST', message: error.message };
    throw error;
  }
}

/**
 * C2SP tlog-witness steps 2 and 3: the origin is a log this witness knows
 * (`logKey` undefined: 404), and the log's Ed25519 signature verifies under
 * that key (403).
 */
function verifyAddCheckpoint(parsed: ParsedAddCheckpoint, logKey: NoteKey | undefined): AddCheckpointOpening {
  if (logKey === undefined || logKey.name !== parsed.checkpoint.origin) return { ok: false, status: 404, code: 'UNKNOWN_LOG', message: 'this witness does not witness that origin' };
  if (!verifyLogSignature(parsed.note, logKey)) return { ok: false, status: 403, code: 'BAD_SIGNATURE', message: 'no valid signature from the log key' };
  return { ...parsed, logKey };
}

/**
 * C2SP tlog-witness add-checkpoint, in its order, up to the check against the
 * witness's state: parseAddCheckpoint (400), then verifyAddCheckpoint under
 * `logKeyFor(origin)` (404, 403). The caller then runs `checkCheckpointUpdate`
 * against its stored head, inside the transaction that stores the new one.
 */
function openAddCheckpoint(body: string | Uint8Array, logKeyFor: (origin: string) => NoteKey | undefined): AddCheckpointOpening {
  if (typeof logKeyFor !== 'function') throw new TypeError('logKeyFor must be a function');
  const parsed = parseAddCheckpoint(body);
  return parsed.ok ? verifyAddCheckpoint(parsed, logKeyFor(parsed.checkpoint.origin)) : parsed;
}

export {
  MAX_PROOF_LINES,
  type AddCheckpointOpening,
  type AddCheckpointParse,
  type OpenedAddCheckpoint,
  type ParsedAddCheckpoint,
  type AddCheckpointRequest,
  type CosignedHead,
  type WitnessRefusal,
  type WitnessVerdict,
  checkCheckpointUpdate,
  formatAddCheckpointRequest,
  openAddCheckpoint,
  parseAddCheckpoint,
  parseAddCheckpointRequest,
  verifyAddCheckpoint,
  witnessNote,
};
