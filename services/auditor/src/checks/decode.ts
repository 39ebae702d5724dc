/**
 * Decoding (docs/PROTOCOL.md §4.2: one leaf = the JCS bytes of one entry).
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { canonicalJson, formatZodError, LogEntrySchema } from '@custodes/shared/records';
import type { LogEntry } from '@custodes/shared/records';

/** A leaf decoded into an entry, or the reason it is malformed. */
export type DecodedLeaf = { readonly ok: true; readonly entry: LogEntry } | { readonly ok: false; readonly reason: string };

/** Decodes leaf bytes: UTF-8 JSON, canonical per RFC 8785, and a known entry schema. */
export function decodeLeaf(leaf: Uint8Array): DecodedLeaf {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(leaf);
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the leaf is not UTF-8 JSON' };
  }
  const decoded = decodeRecord(value);
  if (!decoded.ok) return decoded;
  if (canonicalJson(value) !== text) return { ok: false, reason: 'the leaf is not canonical JSON (RFC 8785)' };
  return decoded;
}

/** Checks a parsed JSON value against the entry schemas. */
export function decodeRecord(value: unknown): DecodedLeaf {
  const r = LogEntrySchema.safeParse(value);
  if (!r.success) return { ok: false, reason: `not a valid log entry: ${formatZodError(r.error)}` };
  return { ok: true, entry: r.data };
}

