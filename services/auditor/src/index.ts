/**
 * @custodes/auditor: an independent verifier and monitor of a Custodes log
 * (docs/PROTOCOL.md §1, §5 step 7) and its transparency report.
 */
export { compareFindings, formatFinding, type Finding, type FindingCode } from './findings';
export { AuditError, type AuditErrorCode, fetchWitnessCheckpoint, LogClient, type LogSource, PAGE_SIZE } from './fetch';
export { TileClient } from './tiles';
export { parsePinnedKeys, PinnedKeysSchema, type PinnedKeys } from './pins';
export { RegistryView } from '@custodes/shared/records';
export {
  CHECK_NAMES,
  checkDecodedEntries,
  checkEntries,
  checkLeaves,
  decisionStatusOf,
  decodeLeaf,
  decodeRecord,
  iso,
  overdueFindings,
  tallyOf,
  warrantStatusOf,
  type AuditState,
  type DecodedLeaf,
  type RequestState,
  type RuleOptions,
  type RuleResult,
  type WarrantState,
} from './rules';
export { AuditorState, STATE_FILE } from './state';
export { externalWitnessKeys, logNoteKey, verifyLog, witnessKeys, type CosignaturePolicy, type Progress, type VerifiedCheckpoint, type VerifyOptions, type VerifyResult } from './verify';
export { buildReport, REPORT_FORMAT, reportJson, writeReport, type Count, type ReportInput, type ReportOptions, type TransparencyReport } from './report';
export { renderReportHtml } from './html';
export { EpochKeysError, provenEpochKeys, type EpochKeysCode, type ProvenEpochKeys } from './epochKeys';
export { compareWitness, watchLog, watchRound, type WatchOptions, type WatchRound } from './watch';
export { watchMetrics, type WatchMetrics } from './watchMetrics';
export { EXIT, parseTime, registerAuditCommands, type AuditIo } from './cli';
