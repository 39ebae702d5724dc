/**
 * Envelopes the coordinator refused (docs/PROTOCOL.md §7.6), told to a
 * person: one line per reason with its count, and for OUT_OF_SCOPE which part
 * of the label the warrant's scope does not cover (subject, category or
 * time) when the warrant is at hand; one line per envelope under --verbose.
 */
import { scopeMisses } from '@custodes/shared/crypto';
import type { Label, Scope } from '@custodes/shared/crypto';
import { isoTime, warrantBody, WarrantSchema } from '@custodes/shared/records';
import { CliError } from './io';
import { readPackage } from './commands/court';

export interface Refusal {
  /** Position on the command line (per-envelope lines are printed in that order). */
  at: number;
  file: string;
  reason: string;
  /** The envelope's label, when it parsed. */
  label?: Label | undefined;
}

/** The scope of the warrant in a package (`court sign` or `investigator submit --out`). */
export function packageScope(path: string): Scope {
  const r = WarrantSchema.safeParse(warrantBody(readPackage(path).warrant as never));
  if (!r.success) throw new CliError(`${path} does not hold a valid warrant`);
  return r.data.scope;
}

/** `OUT_OF_SCOPE (subject)`, or the reason alone. */
function why(x: Refusal, scope: Scope | null): string {
  if (x.reason !== 'OUT_OF_SCOPE' || !scope || !x.label) return x.reason;
  const misses = scopeMisses(scope, x.label);
  return misses.length ? `OUT_OF_SCOPE (${misses.join(', ')})` : x.reason;
}

/** The lines for `refused`: per envelope if `verbose`, then one per reason, most frequent first. */
export function refusalLines(refused: readonly Refusal[], scope: Scope | null, verbose: boolean): string[] {
  const lines: string[] = [];
  const sorted = [...refused].sort((a, b) => a.at - b.at);
  if (verbose) {
    for (const x of sorted) {
      const label = x.label ? ` [${x.label.subject}, ${x.label.category}, ${isoTime(x.label.time)}]` : '';
      lines.push(`refused ${x.file}: ${why(x, scope)}${label}`);
    }
  }
  const groups = new Map<string, number>();
  for (const x of sorted) groups.set(why(x, scope), (groups.get(why(x, scope)) ?? 0) + 1);
  for (const [reason, n] of [...groups].sort((a, b) => b[1] - a[1])) lines.push(`refused ${n} envelope${n === 1 ? '' : 's'}: ${reason}`);
  if (!verbose && refused.length) lines.push(`(--verbose lists each envelope${scope ? '' : '; --package <file> names the field outside the scope'})`);
  return lines;
}

/** Writes refusalLines to stderr. */
export function refusalReporter(scope: Scope | null, verbose: boolean): (refused: Refusal[]) => void {
  return (refused) => {
    for (const line of refusalLines(refused, scope, verbose)) process.stderr.write(line + '\n');
  };
}
