/**
 * An epoch's public key set, proven by the log (docs/PROTOCOL.md §3.8, §7.16):
 * the CLI fetches the coordinator's whole log over the public read API,
 * accepts it only under a checkpoint signed by the log key and cosigned by t
 * custodians whose root the entries reproduce (the auditor's verifyLog),
 * replays every entry, and takes the epoch's keys from the registry in force
 * as the logged `epoch` entry's recovery data and certificate make it
 * (provenEpochKeys). Nothing the coordinator says outside the log is used.
 *
 * The auditor (express, SQLite) is imported only when this runs, so the
 * offline commands start fast.
 */
import { readFileSync } from 'node:fs';
import type { ProvenEpochKeys } from '@custodes/auditor';
import { CliError } from './io';

export interface EpochFromLogOptions {
  readonly coordinator: string;
  readonly epoch?: number;
  /** A custodes.pins.v1 file, instead of trusting the genesis registry on first use. */
  readonly pinKeys?: string;
  /** Unix seconds: the keys are for sealing now, so skip (default) or refuse (--epoch) a retired epoch (docs/PROTOCOL.md §3.10). */
  readonly sealAt?: number;
}

/** Parses `--epoch`: a u32. */
export function parseEpochOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > 0xffffffff) throw new CliError(`--epoch must be an epoch number, got ${JSON.stringify(value)}`);
  return Number(value);
}

export async function epochFromLog(opts: EpochFromLogOptions): Promise<ProvenEpochKeys> {
  const { AuditError, EpochKeysError, parsePinnedKeys, provenEpochKeys, verifyLog } = await import('@custodes/auditor');
  let pinnedKeys;
  if (opts.pinKeys !== undefined) {
    try {
      pinnedKeys = parsePinnedKeys(JSON.parse(readFileSync(opts.pinKeys, 'utf8')));
    } catch (err) {
      throw new CliError(`${opts.pinKeys}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
    }
  }
  let verified;
  try {
    verified = await verifyLog({ logUrl: opts.coordinator, pinnedKeys });
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(`${opts.coordinator}: ${err.message}`);
    throw err;
  }
  const cp = verified.checkpoint;
  if (!cp?.accepted) {
    const why = verified.findings.find((f) => f.index === cp?.size || cp === undefined);
    throw new CliError(`the log's checkpoint is not verified, refusing its keys${why ? `: ${why.code} ${why.message}` : ''}`);
  }
  try {
    return provenEpochKeys(verified.audit, opts.epoch, opts.sealAt);
  } catch (err) {
    if (err instanceof EpochKeysError) throw new CliError(err.message);
    throw err;
  }
}
