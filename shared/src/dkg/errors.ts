/**
 * Typed errors of ChillDKG (BIP ChillDKG 0.3.0, "API Documentation"): one
 * class with a code per exception type of the BIP, so a caller can tell who
 * is to blame without parsing messages (STYLE.md, after sigstore-js).
 *
 * The BIP's `ValueError`/`TypeError` for arguments of the wrong structure
 * (wrong length, wrong count) stay `RangeError`/`TypeError` here: they are a
 * caller's bug, not a protocol outcome.
 */
import { CustodesError } from '../errors';
import type { GroupPoint } from '../crypto/group';

// ## Codes

/** The BIP's exception types, one code each (its class name in the comment). */
type DkgCode =
  | 'HOST_SECKEY' // HostSeckeyError: out of range, or matches no host public key
  | 'INVALID_HOSTPUBKEY' // InvalidHostPubkeyError (participant)
  | 'DUPLICATE_HOSTPUBKEY' // DuplicateHostPubkeyError (participants)
  | 'THRESHOLD_OR_COUNT' // ThresholdOrCountError: not 1 ≤ t ≤ n ≤ 2^32 − 1
  | 'RANDOMNESS' // RandomnessError: `random` is all zeroes
  | 'FAULTY_PARTICIPANT' // FaultyParticipantError (participant), raised by the coordinator
  | 'FAULTY_PARTICIPANT_OR_COORDINATOR' // FaultyParticipantOrCoordinatorError (participant)
  | 'FAULTY_COORDINATOR' // FaultyCoordinatorError
  | 'UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR' // UnknownFaultyParticipantOrCoordinatorError
  | 'RECOVERY_DATA' // RecoveryDataError
  | 'INVALID_RECOVERY_ACK'; // InvalidRecoveryAckError (participant)

class DkgError extends CustodesError<DkgCode> {
  /** The participant blamed or suspected (identifier 0 … n−1), where the code names one. */
  readonly participant: number | undefined;
  /** The two participants of a DUPLICATE_HOSTPUBKEY, in list order. */
  readonly participants: readonly [number, number] | undefined;

  constructor(
    code: DkgCode,
    message: string,
    options: { participant?: number; participants?: readonly [number, number]; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.participant = options.participant;
    this.participants = options.participants;
  }
}

// ## Investigation (BIP "Blaming Faulty Parties")

/**
 * What `participantInvestigate` needs after a secret share failed VSS
 * verification: the untweaked share and public share (SimplPedPop), the
 * encrypted share and the n pads (EncPedPop). Holds secrets: keep it local.
 */
interface InvestigationData {
  readonly n: number;
  readonly participant: number;
  readonly secshare: bigint;
  readonly pubshare: GroupPoint;
  readonly encSecshare: bigint;
  readonly pads: readonly bigint[];
}

/**
 * UnknownFaultyParticipantOrCoordinatorError: some participant sent a bad
 * encrypted share, and only the coordinator's investigation message can say
 * which (BIP, participant_investigate).
 */
class UnknownFaultyPartyError extends DkgError {
  readonly investigation: InvestigationData;

  constructor(message: string, investigation: InvestigationData) {
    super('UNKNOWN_FAULTY_PARTICIPANT_OR_COORDINATOR', message);
    this.investigation = investigation;
  }
}

export { DkgError, UnknownFaultyPartyError, type DkgCode, type InvestigationData };
