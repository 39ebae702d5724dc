/**
 * ChillDKG (BIP ChillDKG 0.3.0, /work/shared/reference/chilldkg/BIP.md):
 * distributed key generation for FROST over an untrusted coordinator.
 * Only the ChillDKG API is exported: the BIP says the building blocks
 * (SimplPedPop, EncPedPop) are not safe to use on their own.
 */
export {
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorStep1,
  participantFinalize,
  participantInvestigate,
  participantStep1,
  participantStep2,
  type CoordinatorState,
  type DkgOutput,
  type ParticipantState1,
  type ParticipantState2,
} from './chilldkg';
export { coordinatorRecover, participantRecover, participantRecoveryAckSign, participantRecoveryAcksVerify } from './recovery';
export { hostpubkeyGen, paramsHash, type SessionParams } from './params';
export { DkgError, ReshareError, UnknownFaultyPartyError, type DkgCode, type InvestigationData, type ReshareCode } from './errors';
export { cinvLength, cmsg1Length, pmsg1Length } from './messages';
export { epochFromRecovery, pmsg1Commitment, type EpochKeys } from './public';
export {
  checkSubshare,
  dealReshare,
  epochFromReshare,
  makeComplaint,
  participantRecoverReshare,
  receiveReshare,
  reshareAckSign,
  reshareAckVerify,
  reshareOutput,
  reshareRecoveryData,
  selectQualified,
  verifyComplaint,
  verifyDealingPublic,
  type ReshareEpochKeys,
  type ReshareOutput,
  type ReshareReceived,
} from './reshare';
export { uuidBytes, uuidString, type NewCustodian, type OldCustodian, type ReshareParams } from './reshareParams';
export type { Convicted } from './reshareComplaint';
