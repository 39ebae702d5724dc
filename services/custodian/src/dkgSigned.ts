/**
 * What this node signs in a DKG or reshare session (docs/PROTOCOL.md §3.8,
 * §3.9), stored before it leaves: after a restart the node returns the entry
 * it signed for a step, never a second, different one (dkg_signed).
 */
import { canonicalJson, signRecord } from '@custodes/shared/records';
import type { DkgEntry, DkgStep } from '@custodes/shared/records';
import type { Context } from './context';
import { CustodianError } from './errors';

export const fail = (code: ConstructorParameters<typeof CustodianError>[0], message: string): never => {
  throw new CustodianError(code, message);
};

export function sign(ctx: Context, body: Omit<DkgEntry, 'signature'>): DkgEntry {
  const entry = { ...body, signature: signRecord(body, 'dkg', ctx.vault.signingKey()) } as DkgEntry;
  // Stored before it leaves: the first signed message of a step is the only one (INSERT OR IGNORE).
  ctx.store.insertDkgSigned(body.session, body.step, canonicalJson(entry));
  return JSON.parse(ctx.store.dkgSigned(body.session, body.step)!) as DkgEntry;
}

export function signedBefore(ctx: Context, session: string, step: DkgStep): DkgEntry | undefined {
  const stored = ctx.store.dkgSigned(session, step);
  return stored === undefined ? undefined : (JSON.parse(stored) as DkgEntry);
}
