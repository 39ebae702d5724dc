/**
 * The coordinator's answer to a registry entry (docs/PROTOCOL.md §4.2 `registry`):
 * the genesis it starts from and the t-of-n updates brought to
 * `POST /v1/registry`. The rule is the shared one (@custodes/shared/rules
 * judgeGenesis, judgeRegistryUpdate); this file only maps its verdict to the
 * coordinator's HTTP codes (docs/PROTOCOL.md §7.4). No HTTP, no SQL.
 */
import type { RegistryEntry, RegistryView } from '@custodes/shared/records';
import { judgeGenesis, judgeRegistryUpdate } from '@custodes/shared/rules';
import type { RegistryCode, RegistryVerdict } from '@custodes/shared/rules';
import type { CoordinatorCode } from '../errors';
import { fail } from '../errors';

/** The coordinator's name for the registry in force (imported across workflow/ and rules/). */
export { RegistryView as Registry, type RegistryCustodian } from '@custodes/shared/records';

/** docs/PROTOCOL.md §7.4 `POST /v1/registry`: 400 BAD_SIGNATURE, BAD_REGISTRY, UNKNOWN_CUSTODIAN; 409 REGISTRY_SEQUENCE. */
const HTTP_CODE: Record<RegistryCode, CoordinatorCode> = {
  REGISTRY_SEQUENCE: 'REGISTRY_SEQUENCE',
  REGISTRY_ORIGIN: 'BAD_REGISTRY',
  REGISTRY_LOG_KEY: 'BAD_REGISTRY',
  BAD_REGISTRY: 'BAD_REGISTRY',
  DUPLICATE_SIGNATURE: 'BAD_REGISTRY',
  UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  MISSING_SIGNATURE: 'BAD_SIGNATURE',
  INSUFFICIENT_SIGNATURES: 'BAD_SIGNATURE',
  EPOCH_CHANGED: 'BAD_REGISTRY',
};

function answer(verdict: RegistryVerdict): void {
  if (!verdict.ok) fail(HTTP_CODE[verdict.code], verdict.message);
}

/** The genesis entry: sequence 0, this log's key, signed by every custodian it names. Throws CoordinatorError. */
export function checkGenesis(entry: RegistryEntry, logKey: string, logNoteKey: string): void {
  answer(judgeGenesis(entry, { logKey, logNoteKey }));
}

/** A later update after `previous`, the registry in force. Throws CoordinatorError. */
export function checkUpdate(entry: RegistryEntry, previous: RegistryView): void {
  answer(judgeRegistryUpdate(entry, previous.entry));
}
