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

// ## Resharing (docs/PROTOCOL.md §3.9)

/** What can go wrong in a reshare; each names who is to blame where one party is. */
type ReshareCode =
  | 'BAD_PARAMS' // the session parameters are not valid (epochs, thresholds, committees, keys)
  | 'HOST_SECKEY' // the host secret key is out of range or not one of the new committee's
  | 'SHARE_MISMATCH' // a dealer's own share does not match its logged public share (it must not deal)
  | 'BAD_DEALING' // a dealing does not parse, or its dealer is not an old custodian (`dealer`)
  | 'DEALING_CONSTANT_MISMATCH' // C_{i,0} ≠ X_i: the dealer did not deal its own share (`dealer`)
  | 'BAD_SUBSHARE' // s_{i,j}·G ≠ Σ q_j^k·C_{i,k}: `dealer` is convicted by `complaint`
  | 'BAD_QUALIFIED_SET' // the dealings of Q are not in strictly ascending dealer order
  | 'NOT_ENOUGH_DEALERS' // |Q| < t_O
  | 'GROUP_KEY_CHANGED' // C'_0 ≠ Y
  | 'DEGENERATE_COMMITMENT' // some C'_k is the point at infinity
  | 'PUBLIC_SHARE_MISMATCH' // x'_j·G ≠ X'_j after combining
  | 'BAD_CERTIFICATE' // a certificate signature fails (`participant`, a new index)
  | 'RECOVERY_DATA'; // reshare recovery data does not parse or has invalid parameters

/**
 * A reshare failure. `dealer` is an index of the old epoch, `participant` an
 * index of the new one; `complaint` (BAD_SUBSHARE) is the bytes the receiving
 * holder publishes to convict the dealer (it reveals no secret key).
 */
class ReshareError extends CustodesError<ReshareCode> {
  readonly dealer: number | undefined;
  readonly participant: number | undefined;
  readonly complaint: Uint8Array | undefined;

  constructor(
    code: ReshareCode,
    message: string,
    options: { dealer?: number; participant?: number; complaint?: Uint8Array; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.dealer = options.dealer;
    this.participant = options.participant;
    this.complaint = options.complaint;
  }
}

export { DkgError, ReshareError, UnknownFaultyPartyError, type DkgCode, type InvestigationData, type ReshareCode };
