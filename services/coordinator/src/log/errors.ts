/**
 * Errors of the log store (STYLE.md: a code union per layer). Caller bugs
 * (a read past the stored size, a leaf of the wrong type) are TypeError or
 * RangeError instead.
 */
import { CustodesError } from '@custodes/shared';

type LogStoreCode =
  | 'BAD_CHECKPOINT' // a note is malformed, names another origin or lacks a valid log signature
  | 'CHECKPOINT_AHEAD' // a checkpoint covers entries that are not stored
  | 'CHECKPOINT_ROOT' // a checkpoint's root is not the stored tree's root at its size
  | 'CHECKPOINT_SHRINKS' // a checkpoint is smaller than the latest published one
  | 'NO_CHECKPOINT' // no checkpoint of that size was published
  | 'NO_SIGNING_KEY' // the store was opened without the log's secret key
  | 'STORE_CORRUPT'; // a stored hash is missing or does not match the leaves

class LogStoreError extends CustodesError<LogStoreCode> {}

export { LogStoreError, type LogStoreCode };
