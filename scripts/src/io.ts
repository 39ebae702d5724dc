/**
 * CLI input/output: reading JSON files with one-line errors, writing secret
 * files with mode 0600, stdin/stdout when a path is omitted.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isoTime } from '@custodes/shared/records';

/** A failure reported as one line on stderr with a non-zero exit. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function readBytes(path: string | undefined): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path ?? 0));
  } catch (err) {
    throw new CliError(`cannot read ${path ?? 'stdin'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function readJson(path: string | undefined, what: string): unknown {
  const text = new TextDecoder().decode(readBytes(path));
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} (${path ?? 'stdin'}) is not valid JSON`);
  }
}

/** Writes to `path` (or stdout); `secret` files get mode 0600 and must not exist. */
export function writeOutput(path: string | undefined, data: string | Uint8Array, opts: { secret?: boolean } = {}): void {
  if (!path) {
    process.stdout.write(data);
    return;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data, { mode: opts.secret ? 0o600 : 0o644, flag: opts.secret ? 'wx' : 'w' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${path} already exists; refusing to overwrite a secret file` : `cannot write ${path}: ${code ?? (err as Error).message}`);
  }
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** The fields of docs/PROTOCOL.md §4 and §7 that hold Unix seconds. */
const TIME_KEYS = new Set(['time', 'issuedAt', 'expiresAt', 'sealedUntil', 'notBefore', 'notAfter', 'receivedAt', 'decidedAt', 'cosignedAt']);

/** A service's answer for a person: every Unix-seconds time field as ISO 8601 (`2027-06-01T00:00:00Z`). */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, TIME_KEYS.has(k) && Number.isSafeInteger(v) && (v as number) >= 0 ? isoTime(v as number) : withIsoTimes(v)]),
  );
}

/** True if `dir` does not exist or is an empty directory. */
export function isAbsentOrEmptyDir(dir: string): boolean {
  if (!existsSync(dir)) return true;
  return statSync(dir).isDirectory() && readdirSync(dir).length === 0;
}

/** Parses a decimal integer option strictly; with `min`, refuses anything below it. */
export function intOption(name: string, min?: number) {
  return (value: string): number => {
    if (!/^-?[0-9]+$/.test(value)) throw new CliError(`--${name} must be an integer, got '${value}'`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new CliError(`--${name} is out of range`);
    if (min !== undefined && n < min) throw new CliError(`--${name} must be at least ${min}, got '${value}'`);
    return n;
  };
}

/** Reads a `custodes.key.v1` file; the secret never reaches an error message. */
export function readKeyFile(path: string): { secretKey: string; publicKey: string; noteSecretKey?: string; notePublicKey?: string } {
  const raw = readJson(path, 'key file') as Record<string, unknown> | null;
  const hex32 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (!raw || raw.format !== 'custodes.key.v1' || !hex32(raw.secretKey) || !hex32(raw.publicKey)) {
    throw new CliError(`${path} is not a custodes.key.v1 key file`);
  }
  if (raw.noteSecretKey === undefined && raw.notePublicKey === undefined) return { secretKey: raw.secretKey, publicKey: raw.publicKey };
  if (!hex32(raw.noteSecretKey) || !hex32(raw.notePublicKey)) throw new CliError(`${path}: noteSecretKey and notePublicKey must both be 32 bytes of lower-case hex`);
  return { secretKey: raw.secretKey, publicKey: raw.publicKey, noteSecretKey: raw.noteSecretKey, notePublicKey: raw.notePublicKey };
}

/** The Ed25519 note key of a key file (docs/PROTOCOL.md §4.3, §9.3); a file from an older `custodes keygen` has none. */
export function requireNoteKey(path: string, key: { noteSecretKey?: string; notePublicKey?: string }): { noteSecretKey: string; notePublicKey: string } {
  if (key.noteSecretKey === undefined || key.notePublicKey === undefined) {
    throw new CliError(`${path} has no Ed25519 note key (noteSecretKey, notePublicKey): an older custodes keygen wrote it; make a new key file with custodes keygen`);
  }
  return { noteSecretKey: key.noteSecretKey, notePublicKey: key.notePublicKey };
}

/**
 * The bearer token from --token, --token-file or CUSTODES_TOKEN. A token is
 * one run of printable ASCII (it goes into an HTTP header); a file holding
 * anything else (a JSON map of tokens, two lines) is refused by name, and the
 * content never reaches the message.
 */
export function resolveToken(opts: { token?: string; tokenFile?: string }): string {
  const [token, from] = opts.token
    ? [opts.token, '--token']
    : opts.tokenFile
      ? [new TextDecoder().decode(readBytes(opts.tokenFile)).trim(), opts.tokenFile]
      : [process.env.CUSTODES_TOKEN ?? '', 'CUSTODES_TOKEN'];
  if (!opts.token && !opts.tokenFile && !token) throw new CliError('a bearer token is needed: --token-file <file>, --token or CUSTODES_TOKEN');
  if (!/^[\x21-\x7e]+$/.test(token)) {
    const hint = token.startsWith('{') ? ' (it is JSON; give the file of one token, e.g. tokens/custodian-1.token)' : '';
    throw new CliError(`${from} does not hold a single bearer token${hint}`);
  }
  return token;
}
