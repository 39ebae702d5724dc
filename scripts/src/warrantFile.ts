/**
 * Writing and checking a warrant as a person does (docs/PROTOCOL.md §4.1):
 * dates in ISO 8601 or Unix seconds, every problem reported at once, and the
 * checks the coordinator will make (`warrantProblems`, §7.5) made before
 * anything is signed.
 */
import { readFileSync } from 'node:fs';
import { formatZodIssues, isoTime, parseTimeText, RegistryEntrySchema, RegistryView, WarrantSchema } from '@custodes/shared/records';
import type { Warrant } from '@custodes/shared/records';
import { CliError, readJson } from './io';
import { call } from './remote';

/** The warrant's time fields (§4.1), by path. */
const TIME_FIELDS = [['issuedAt'], ['expiresAt'], ['sealedUntil'], ['scope', 'notBefore'], ['scope', 'notAfter']] as const;

/**
 * A warrant file as written by a person: each time field may be an ISO 8601
 * string; it becomes Unix seconds. Anything else is left for the schema.
 */
export function withUnixTimes(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out = structuredClone(raw) as Record<string, unknown>;
  for (const path of TIME_FIELDS) {
    const holder = path.length === 1 ? out : (out[path[0]] as Record<string, unknown> | undefined);
    const key = path[path.length - 1]!;
    if (typeof holder !== 'object' || holder === null || typeof holder[key] !== 'string') continue;
    const t = parseTimeText(holder[key] as string);
    if (t !== null) holder[key] = t;
  }
  return out;
}

/** The warrant, or every schema issue it has (§4.1). */
export function parseWarrant(raw: unknown): { warrant: Warrant; problems: [] } | { warrant: null; problems: string[] } {
  const r = WarrantSchema.safeParse(withUnixTimes(raw));
  return r.success ? { warrant: r.data, problems: [] } : { warrant: null, problems: formatZodIssues(r.error) };
}

/** One line for a list of problems: `what has 3 problems: a; b; c`. */
export function problemsLine(what: string, problems: readonly string[]): string {
  return `${what} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`;
}

/** The registry in force: from a registry entry file, or `GET /v1/registry` of a coordinator. */
export async function loadRegistry(opts: { registry?: string; coordinator?: string }): Promise<RegistryView> {
  if (opts.registry) {
    const r = RegistryEntrySchema.safeParse(readJson(opts.registry, 'registry'));
    if (!r.success) throw new CliError(`${opts.registry} is not a registry entry: ${formatZodIssues(r.error)[0]}`);
    return new RegistryView(r.data, 0);
  }
  if (opts.coordinator) {
    // Attacker-controlled (the network): parsed strictly before use.
    const answer = await call<{ index?: unknown; entry?: unknown }>(opts.coordinator, 'v1/registry');
    const r = RegistryEntrySchema.safeParse(answer?.entry);
    if (!r.success || !Number.isSafeInteger(answer.index)) throw new CliError(`${opts.coordinator} answered a malformed registry`);
    return new RegistryView(r.data, answer.index as number);
  }
  throw new CliError('give --coordinator <url> or --registry <file>: the warrant is checked against the registry as the coordinator will check it');
}

/** A public key from a `custodes.key.v1` file (only its publicKey is read) or a file holding 64 hex digits. */
export function readPublicKey(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (/^[0-9a-f]{64}$/.test(text)) return text;
  try {
    const key = (JSON.parse(text) as { publicKey?: unknown }).publicKey;
    if (typeof key === 'string' && /^[0-9a-f]{64}$/.test(key)) return key;
  } catch {
    // not JSON: refused below
  }
  throw new CliError(`${path} holds neither a custodes.key.v1 key file nor a 64-hex-digit public key`);
}

/** The dates of a warrant as a person reads them. */
export function describeDates(w: Warrant): string {
  return `scope ${isoTime(w.scope.notBefore)} – ${isoTime(w.scope.notAfter)}, issued ${isoTime(w.issuedAt)}, expires ${isoTime(w.expiresAt)}, sealed until ${isoTime(w.sealedUntil)}`;
}
