/**
 * Typed errors of the log library (STYLE.md: a code union per layer).
 * Parsers of attacker-controlled text throw these; verifiers return false.
 */
import { CustodesError } from '../errors';

export type LogCode =
  | 'BAD_CHECKPOINT' // a checkpoint body is not a strict C2SP tlog-checkpoint
  | 'BAD_NOTE' // a signed note is not a strict C2SP signed-note
  | 'BAD_TILE_PATH' // a path is not a canonical C2SP tlog-tiles path
  | 'BAD_ENTRY_BUNDLE' // an entry bundle is truncated or has trailing bytes
  | 'BAD_WITNESS_REQUEST'; // an add-checkpoint body is malformed (C2SP tlog-witness)

export class LogError extends CustodesError<LogCode> {}
