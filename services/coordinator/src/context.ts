/**
 * Everything one coordinator instance holds (STYLE.md: a context built by
 * createCoordinator, never module-level state).
 */
import type { Logger } from 'pino';
import type { Changes } from './actions/changes';
import type { GroupCommit } from './repo/groupCommit';
import type { Registry } from './rules/registryChecks';
import type { Ledger, LogStorePort } from './ledger';
import type { Repository } from './repo/repository';
import type { Cosigner } from './workflow/cosigner';
import type { DecryptionWorkflow } from './workflow/decryption';
import type { Delivery } from './workflow/delivery';
import type { DkgWorkflow } from './workflow/dkg';

export interface Context {
  /** Distributed key generation sessions (docs/PROTOCOL.md §3.8). */
  dkg: DkgWorkflow;
  repo: Repository;
  store: LogStorePort;
  ledger: Ledger;
  logger: Logger;
  now: () => number;
  registry: () => Registry;
  /** Re-reads the latest registry after an update is logged. */
  reloadRegistry: () => void;
  cosigner: Cosigner;
  /** Wakes long-polls on status calls. */
  changes: Changes;
  /** One transaction for the changes requested in the same turn of the event loop. */
  commits: GroupCommit;
  delivery: Delivery;
  decryption: DecryptionWorkflow;
}
