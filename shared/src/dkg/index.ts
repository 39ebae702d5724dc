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
export { DkgError, UnknownFaultyPartyError, type DkgCode, type InvestigationData } from './errors';
export { cinvLength, cmsg1Length, pmsg1Length } from './messages';
export { epochFromRecovery, pmsg1Commitment, type EpochKeys } from './public';
