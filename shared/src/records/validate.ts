/**
 * Parsing at the edge: one zod parse, a one-line message naming the path.
 */
import type { z } from 'zod';
import { ProtocolError } from '../errors';

export function formatZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.length ? first.path.map(String).join('.') : '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path}: ${first.message}${more}`;
}

/** Every issue, each as `path: message` (for a person fixing a file: all problems at once). */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
}

/** Parses `input` with `schema`, throwing ProtocolError BAD_FORMAT with a one-line message. */
export function parseRecord<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ProtocolError('BAD_FORMAT', `${what}: ${formatZodError(r.error)}`);
  return r.data;
}
