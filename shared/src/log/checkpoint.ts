/**
 * Checkpoint bodies per C2SP tlog-checkpoint: `<origin>\n<size>\n<base64 root>\n`
 * (docs/PROTOCOL.md §4.3). Parsing is strict: one canonical text per checkpoint.
 */
import { abytes, astring, base64ToBytes, bytesToBase64 } from '../crypto/bytes';
import { LogError } from './errors';
import { HASH_SIZE } from './merkle';
import { hasControlCharacters, isWellFormedUnicode } from './text';

/** A tree head as a log publishes it. */
interface Checkpoint {
  readonly origin: string;
  /** Number of leaves; at most 2^53 − 1. */
  readonly size: number;
  /** `MTH(D[0:size])`, 32 bytes. */
  readonly root: Uint8Array;
}

/** Input cap for a checkpoint body, in UTF-16 code units. */
const MAX_CHECKPOINT_LENGTH = 1024;

/** C2SP tlog-checkpoint §Note text 2: decimal, no leading zeroes unless `0`. */
const SIZE_RE = /^(?:0|[1-9][0-9]{0,18})$/;

/** The format caps sizes at 2^63 − 1; JS numbers are exact only up to 2^53 − 1. */
const SIZE_CAP = (1n << 63n) - 1n;

function fail(message: string): never {
  throw new LogError('BAD_CHECKPOINT', message);
}

function checkOrigin(origin: string): string | undefined {
  if (origin.length === 0) return 'origin must be non-empty';
  // C2SP signed-note §Format: no ASCII control characters but newline, and
  // a newline would split the origin line.
  if (origin.includes('\n') || hasControlCharacters(origin)) return 'origin must not contain control characters';
  if (!isWellFormedUnicode(origin)) return 'origin must be well-formed Unicode';
  return undefined;
}

/** Parses a decimal tree size strictly (C2SP tlog-checkpoint); undefined if not canonical. */
function parseTreeSize(text: string): number | undefined {
  if (!SIZE_RE.test(text)) return undefined;
  const value = BigInt(text);
  if (value > SIZE_CAP || value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(value);
}

/** The body text of a checkpoint, ending in a newline. */
function formatCheckpoint(checkpoint: Checkpoint): string {
  if (typeof checkpoint !== 'object' || checkpoint === null) throw new TypeError('checkpoint must be an object');
  const { origin, size, root } = checkpoint;
  astring(origin, 'origin');
  const bad = checkOrigin(origin);
  if (bad !== undefined) throw new RangeError(bad);
  if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError('size must be an integer');
  if (size < 0 || !Number.isSafeInteger(size)) throw new RangeError('size must be in [0, 2^53 − 1]');
  abytes(root, HASH_SIZE, 'root');
  const text = `${origin}\n${size}\n${bytesToBase64(root)}\n`;
  if (text.length > MAX_CHECKPOINT_LENGTH) throw new RangeError('origin is too long');
  return text;
}

/**
 * Parses a checkpoint body (attacker-controlled). Rejects anything but exactly
 * three lines: a non-empty origin, a canonical size and a canonical base64
 * 32-byte root. Extension lines are rejected: Custodes logs never write them
 * and cosigners make no statement about them (C2SP tlog-cosignature).
 */
function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  if (text.length > MAX_CHECKPOINT_LENGTH) fail('checkpoint is too long');
  if (!text.endsWith('\n')) fail('checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail('checkpoint must have origin, size and root lines');
  if (lines.length > 3) fail('checkpoint extension lines are not accepted');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  const bad = checkOrigin(origin);
  if (bad !== undefined) fail(bad);
  const size = parseTreeSize(sizeText);
  if (size === undefined) fail('size must be a canonical decimal in [0, 2^53 − 1]');
  let root: Uint8Array;
  try {
    root = base64ToBytes(rootText, 'root');
  } catch {
    fail('root must be canonical base64');
  }
  if (root.length !== HASH_SIZE) fail(`root must be ${HASH_SIZE} bytes`);
  return { origin, size, root };
}

export { type Checkpoint, MAX_CHECKPOINT_LENGTH, formatCheckpoint, parseCheckpoint, parseTreeSize };
