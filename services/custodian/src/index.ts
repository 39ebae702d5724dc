/**
 * @custodes/custodian: one custodian node (docs/PROTOCOL.md §2, §3.6, §4, §5;
 * HTTP contract in docs/PROTOCOL.md §7).
 *
 * - `initCustodian(options)`: validates the share (Feldman check) and key file,
 *   seals them under a fresh node key split into unseal keys, and returns the
 *   unseal keys and operator token once.
 * - `createCustodian(config)`: the node; `start()` listens (sealed unless the
 *   data dir was initialised with `dev`), `close()` stops it.
 */
export { createCustodian, type Custodian, type CustodianConfig } from './custodian';
export { initCustodian, newHostKeyFile, parseHostKeyFile, type HostKeyFile, type InitOptions, type InitResult } from './init';
export { type WebhookConfig } from './notify';
export { addOfficer, type AddOfficerOptions, type AddOfficerResult } from './officers';
export { CustodianError, type CustodianCode } from './errors';
export { evaluatePolicy, parsePolicy, readPolicyFile, type Policy, type PolicyVerdict } from './policy';
export { type ReleaseAnswer } from './release';
export { type DkgStatus, type DkgEpochStatus, type ReshareStatus } from './dkgStatus';
export { backupCustodian, restoreCustodian, type RestoreCustodianOptions, type RestoreResult } from './backup';
