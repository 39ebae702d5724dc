/**
 * Auto-approval policy: a warrant that satisfies every bound is approved without
 * a person; anything outside waits for an operator. Every field is required so
 * a half-written file can never be more permissive than intended.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '@custodes/shared/records';
import type { SignedWarrant } from '@custodes/shared/records';
import { CustodianError } from './errors';

export const PolicySchema = z
  .object({
    courts: z.array(z.string().min(1).max(128)).max(1000),
    categories: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/)).max(64),
    maxSubjects: z.number().int().min(1),
    maxWindowDays: z.number().int().min(0),
    maxEnvelopes: z.number().int().min(1),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

export interface PolicyVerdict {
  /** true: approve without a person. */
  auto: boolean;
  /** Why not (empty when auto or when there is no policy). */
  reasons: string[];
}

export function parsePolicy(input: unknown): Policy {
  const r = PolicySchema.safeParse(input);
  if (!r.success) throw new CustodianError('BAD_POLICY', `policy: ${formatZodError(r.error)}`);
  return r.data;
}

export function readPolicyFile(file: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CustodianError('BAD_POLICY', `cannot read policy file: ${(err as Error).message}`);
  }
  return parsePolicy(json);
}

/** Evaluates `warrant` against `policy`; without a policy everything waits for a person. */
export function evaluatePolicy(policy: Policy | undefined, warrant: SignedWarrant): PolicyVerdict {
  if (!policy) return { auto: false, reasons: ['no auto-approval policy'] };
  const reasons: string[] = [];
  if (!policy.courts.includes(warrant.court)) reasons.push(`court ${warrant.court} is not in the policy`);
  const outside = warrant.scope.categories.filter((c) => !policy.categories.includes(c));
  if (outside.length) reasons.push(`categories outside the policy: ${outside.join(', ')}`);
  if (warrant.scope.subjects.length > policy.maxSubjects) reasons.push(`more than ${policy.maxSubjects} subjects`);
  const windowDays = (warrant.scope.notAfter - warrant.scope.notBefore) / 86_400;
  if (windowDays > policy.maxWindowDays) reasons.push(`time window longer than ${policy.maxWindowDays} days`);
  if (warrant.maxEnvelopes > policy.maxEnvelopes) reasons.push(`maxEnvelopes above ${policy.maxEnvelopes}`);
  return { auto: reasons.length === 0, reasons };
}
