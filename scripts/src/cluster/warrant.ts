/**
 * A demo warrant (docs/PROTOCOL.md §4.1) drafted for the demo court and agency
 * of the local cluster and the hosts harness, signed by the court and
 * countersigned by the investigator: what `custodes court sign` and
 * `custodes investigator submit` produce between them.
 */
import { randomUUID } from 'node:crypto';
import { signWarrant } from '@custodes/shared/records';
import type { SignedWarrant, Warrant } from '@custodes/shared/records';
import { AGENCY_ID, COURT_ID } from './layout';

const DAY = 86_400;

export interface DemoWarrantInput {
  court: { secretKey: string };
  investigator: { secretKey: string; publicKey: string };
  scope: Warrant['scope'];
  maxEnvelopes: number;
  caseNumber: string;
  legalAuthority: string;
  offense: string;
  /** Days until it expires (default 30). */
  expiresInDays?: number;
  /** Days until it may be unsealed (default 180). */
  sealedForDays?: number;
}

export function signedDemoWarrant(input: DemoWarrantInput): SignedWarrant {
  const now = Math.floor(Date.now() / 1000);
  const warrant: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: AGENCY_ID,
    investigator: input.investigator.publicKey,
    court: COURT_ID,
    caseNumber: input.caseNumber,
    legalAuthority: input.legalAuthority,
    offense: input.offense,
    scope: input.scope,
    maxEnvelopes: input.maxEnvelopes,
    issuedAt: now - 60,
    expiresAt: now + (input.expiresInDays ?? 30) * DAY,
    sealedUntil: now + (input.sealedForDays ?? 180) * DAY,
  };
  return { ...warrant, courtSignature: signWarrant(warrant, input.court.secretKey), investigatorSignature: signWarrant(warrant, input.investigator.secretKey) };
}
