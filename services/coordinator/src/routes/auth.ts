/**
 * Investigator bearer tokens: stored as SHA-256 only, bound to one registered
 * investigator key and agency. The token itself is never logged.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { bearerToken } from '@custodes/shared/service';
import type { Context } from '../context';
import type { InvestigatorIdentity } from '../rules/warrantChecks';
import { fail } from '../errors';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 401 UNAUTHENTICATED unless the bearer token names an investigator still in the registry. */
export function investigatorAuth(ctx: Context): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    if (!token) fail('UNAUTHENTICATED', 'an investigator bearer token is required');
    const row = ctx.repo.token(hashToken(token));
    if (!row || !ctx.registry().isInvestigator(row.agency, row.investigator)) fail('UNAUTHENTICATED', 'unknown or revoked token');
    res.locals.investigator = { agency: row.agency, investigator: row.investigator } satisfies InvestigatorIdentity;
    next();
  };
}

export function caller(res: Response): InvestigatorIdentity {
  return res.locals.investigator as InvestigatorIdentity;
}
