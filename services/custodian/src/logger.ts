/**
 * Structured JSON logs (pino). Callers log ids, sizes, codes and counts only:
 * never secrets, plaintexts, subject identifiers or tokens.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Level from the argument, else CUSTODES_LOG_LEVEL, else silent under vitest and info otherwise. */
export function createLogger(level?: string): Logger {
  const chosen = level ?? process.env.CUSTODES_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  return pino({ level: chosen, base: { service: 'custodian' } });
}
