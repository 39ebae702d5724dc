/**
 * Labels and scope (docs/PROTOCOL.md §3.2, §4.1): ℓ = H("custodes/v1/label", JCS(label));
 * scopeCovers(scope, label) iff subject ∈ subjects, category ∈ categories and
 * notBefore ≤ time ≤ notAfter.
 */
import { canonicalJson } from '../records/jcs';
import { utf8 } from './bytes';
import { taggedHash, TAG } from './hash';

export interface Label {
  subject: string;
  category: string;
  time: number;
}

export interface Scope {
  subjects: string[];
  categories: string[];
  notBefore: number;
  notAfter: number;
}

const CATEGORY_RE = /^[a-z0-9-]{1,64}$/;
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** Throws TypeError/RangeError unless `label` has exactly subject, category, time of the right forms. */
export function assertLabel(label: unknown): asserts label is Label {
  if (typeof label !== 'object' || label === null || Array.isArray(label)) throw new TypeError('label must be an object');
  const keys = Object.keys(label).sort();
  if (keys.length !== 3 || keys[0] !== 'category' || keys[1] !== 'subject' || keys[2] !== 'time') {
    throw new RangeError('label must have exactly subject, category and time');
  }
  const { subject, category, time } = label as Record<string, unknown>;
  if (typeof subject !== 'string' || subject.length < 1 || subject.length > 256) throw new RangeError('label.subject must be a string of 1–256 chars');
  // RFC 8785 has no encoding for a lone surrogate, so ℓ could not be computed.
  if (LONE_SURROGATE_RE.test(subject)) throw new RangeError('label.subject must be well-formed Unicode');
  if (typeof category !== 'string' || !CATEGORY_RE.test(category)) throw new RangeError('label.category must match [a-z0-9-]{1,64}');
  if (typeof time !== 'number' || !Number.isSafeInteger(time)) throw new RangeError('label.time must be an integer (Unix seconds)');
}

/**
 * `JCS(label)` bytes. A checked plain label is written directly: every
 * envelope parse hashes its label (twice at the coordinator, once at each
 * releasing custodian) and the general canonicaliser was most of that cost.
 * RFC 8785: keys in UTF-16 order (category < subject < time), strings as
 * ECMAScript JSON.stringify writes them (§3.2.2.2; no lone surrogates, checked
 * above), a safe integer as String(n) (§3.2.2.3). Anything with a prototype
 * (which might carry toJSON) takes the general path.
 */
export function labelBytes(label: Label): Uint8Array {
  assertLabel(label);
  const proto = Object.getPrototypeOf(label);
  if (proto !== Object.prototype && proto !== null) return utf8(canonicalJson(label));
  return utf8(`{"category":${JSON.stringify(label.category)},"subject":${JSON.stringify(label.subject)},"time":${String(label.time)}}`);
}

/** `ℓ = H("custodes/v1/label", JCS(label))`. */
export function labelHash(label: Label): Uint8Array {
  return taggedHash(TAG.label, labelBytes(label));
}

/** docs/PROTOCOL.md §4.1. Returns false (never throws) for a label or scope of the wrong shape. */
export function scopeCovers(scope: Scope, label: Label): boolean {
  if (typeof scope !== 'object' || scope === null) return false;
  if (!Array.isArray(scope.subjects) || !Array.isArray(scope.categories)) return false;
  if (!Number.isSafeInteger(scope.notBefore) || !Number.isSafeInteger(scope.notAfter)) return false;
  try {
    assertLabel(label);
  } catch {
    return false;
  }
  return scopeMisses(scope, label).length === 0;
}

export type ScopeField = 'subject' | 'category' | 'time';

/**
 * Which parts of a well-formed `label` fall outside a well-formed `scope`
 * (the terms of scopeCovers, docs/PROTOCOL.md §4.1), to tell a person why an
 * envelope was OUT_OF_SCOPE; empty when the scope covers the label.
 */
export function scopeMisses(scope: Scope, label: Label): ScopeField[] {
  // Arguments first: a malformed scope or label is a caller's bug here (scopeCovers answers false for it).
  if (typeof scope !== 'object' || scope === null || !Array.isArray(scope.subjects) || !Array.isArray(scope.categories)) {
    throw new TypeError('scope must be a scope: { subjects: string[], categories: string[], notBefore, notAfter }');
  }
  if (!Number.isSafeInteger(scope.notBefore) || !Number.isSafeInteger(scope.notAfter)) throw new TypeError('scope.notBefore and scope.notAfter must be safe integers');
  assertLabel(label);
  const misses: ScopeField[] = [];
  if (!scope.subjects.includes(label.subject)) misses.push('subject');
  if (!scope.categories.includes(label.category)) misses.push('category');
  if (!(scope.notBefore <= label.time && label.time <= scope.notAfter)) misses.push('time');
  return misses;
}
