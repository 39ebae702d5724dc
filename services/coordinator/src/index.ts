/** @custodes/coordinator: warrant intake, the log, the decryption workflow (docs/PROTOCOL.md §5). */
export { createCoordinator, type Coordinator } from './coordinator';
export { type CoordinatorConfig } from './config';
export { addInvestigatorToken, initCoordinator, type AddTokenOptions, type InitCoordinatorOptions } from './init';
export { CoordinatorError, type CoordinatorCode } from './errors';
export { backupCoordinator, restoreCoordinator, RESTORE_MARKER, type RestoreCoordinatorOptions, type RestoreCoordinatorResult } from './backup';
