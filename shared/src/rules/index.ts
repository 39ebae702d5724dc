/**
 * @custodes/shared/rules: each protocol rule that more than one party applies,
 * written once (docs/PROTOCOL.md §4.2, §5; STYLE.md "Shapes that hurt"). The
 * coordinator, the custodians, the auditor and the CLI call these; the
 * explorer's browser port (services/web/public/lib/rules.js) follows them and
 * test/rules/agreement.test.ts holds all of them to the same verdicts.
 */
export { judgeApproval, tallyDecisions, type ApprovalCode, type ApprovalVerdict, type Decision, type Tally } from './approvals';
export { envelopeEpoch, isSuperseded, keyEpochOf, newestEpoch, quorumOf, reviewers, successorOf, type Quorum } from './epochs';
export { judgeGenesis, judgeRegistryUpdate, type RegistryCode, type RegistryVerdict } from './registry';
export { isRetired, judgeRetired, retiredAmong, retirementOf, retireAfterChange, type RetiredCode, type RetiredVerdict } from './retirement';
export { judgeRelease, type ReleaseCode, type ReleaseVerdict } from './releases';
export { judgeRevocation, type RevocationCode, type RevocationVerdict } from './revocations';
export {
  decisionStatus,
  judgeRequest,
  sealState,
  statusAdmits,
  warrantStatus,
  type Counts,
  type DecisionStatus,
  type QuorumSize,
  type RequestCode,
  type RequestFacts,
  type RequestVerdict,
  type SealState,
  type WarrantFacts,
  type WarrantStatus,
} from './warrantStatus';
export {
  judgeDkgEntry,
  judgeEpochEntry,
  reshareParamsOf,
  resolveRegistry,
  sessionHostKeys,
  type DkgEntryCode,
  type DkgEntryVerdict,
  type EpochCode,
  type EpochVerdict,
} from './dkgEpochs';
export { judgeShareDestroyed, type ShareDestroyedCode, type ShareDestroyedVerdict } from './shareDestroyed';
