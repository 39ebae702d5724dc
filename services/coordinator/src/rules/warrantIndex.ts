/**
 * Which warrant a log entry belongs to, for the warrant index of the public
 * log (docs/PROTOCOL.md §7.3, "Warrant search"). The same rule as the
 * explorer's warrant history (services/web/public/lib/entries.js
 * `warrantHistory`): entries naming a warrant belong to it; a release, a
 * completion or a misbehaviour entry belongs to the warrant of its request.
 */
import type { LogEntry } from '@custodes/shared/records';

/**
 * The warrant id of `entry`, or undefined for a registry entry (and for a
 * request entry whose request `requestWarrant` does not know).
 */
function warrantOfEntry(entry: LogEntry, requestWarrant: (requestId: string) => string | undefined): string | undefined {
  switch (entry.type) {
    case 'warrant':
    case 'approval':
    case 'decryption-request':
    case 'revocation':
    case 'unseal':
      return entry.warrantId;
    case 'release':
    case 'decryption-complete':
    case 'misbehavior':
      return requestWarrant(entry.requestId);
    case 'registry':
    case 'dkg':
    case 'epoch':
    case 'retired':
    case 'share-destroyed':
      return undefined;
  }
}

export { warrantOfEntry };
