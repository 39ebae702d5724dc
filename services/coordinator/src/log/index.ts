/** The coordinator's SQLite transparency log (docs/PROTOCOL.md §4.3). */
import type { DB } from '@custodes/shared/service';
import { LogStore, type LogStoreOptions } from './store';

/** Opens the log in a file or in a database the caller shares; see LogStore.open. */
function openLogStore(target: string | DB, options: LogStoreOptions): LogStore {
  return LogStore.open(target, options);
}

export { LogStoreError, type LogStoreCode } from './errors';
export { LOG_MIGRATIONS, migrateLog } from './migrations';
export { LogStore, storedHashIndex, type LogStoreOptions, type StoredCheckpoint, type TreeHead } from './store';
export { openLogStore };
