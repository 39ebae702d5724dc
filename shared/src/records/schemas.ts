/**
 * Strict zod schemas, with inferred types beside them, for every record of
 * docs/PROTOCOL.md §3 and §4.1–§4.2. Everything parsed here is attacker-controlled.
 */
import { z } from 'zod';

// ## Primitives (docs/PROTOCOL.md §3: points hex33, x-only keys and hashes hex32, sigs hex64)

export const Hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lower-case hex');
export const Hex33 = z.string().regex(/^0[23][0-9a-f]{64}$/, 'expected a 33-byte compressed point in lower-case hex');
export const Hex64 = z.string().regex(/^[0-9a-f]{128}$/, 'expected a 64-byte signature in lower-case hex');
export const XOnlyKey = Hex32;
/** A 32-byte Ed25519 public key (RFC 8032), lower-case hex: the log's note key and witness keys (docs/PROTOCOL.md §4.3). */
export const Ed25519Key = Hex32;
export const Base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected padded base64');
/** Integer Unix seconds. */
export const UnixTime = z.number().int().min(0).max(2 ** 53 - 1);
export const Epoch = z.number().int().min(0).max(0xffffffff);
export const CustodianIndex = z.number().int().min(1).max(255);
/**
 * A UUID in its one canonical spelling: lower-case hex (RFC 9562 §4 allows
 * either case; ids are compared and hashed as text, so one id must have one
 * text). Warrant, request and call ids all use it.
 */
export const Uuid = z.uuid().regex(/^[0-9a-f-]+$/, 'expected a lower-case UUID');
export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected an identifier [A-Za-z0-9._:-], 1–128 chars');
const Text = (max: number) => z.string().min(1).max(max);

// ## §3.1 Ceremony files

export const PublicKeySetSchema = z
  .object({
    format: z.literal('custodes.public.v1'),
    epoch: Epoch,
    threshold: z.number().int().min(1).max(255),
    total: z.number().int().min(1).max(255),
    groupKey: Hex33,
    commitments: z.array(Hex33).min(1).max(255),
    verificationShares: z.record(z.string().regex(/^[1-9][0-9]{0,2}$/), Hex33),
  })
  .strict();
export type PublicKeySet = z.infer<typeof PublicKeySetSchema>;

export const ShareFileSchema = z
  .object({
    format: z.literal('custodes.share.v1'),
    epoch: Epoch,
    index: CustodianIndex,
    /** Where the share sits when that is not `index` (§3.1: the custodian's rank in an epoch with index gaps). */
    point: z.number().int().min(1).max(255).optional(),
    threshold: z.number().int().min(1).max(255),
    total: z.number().int().min(1).max(255),
    share: Hex32,
    groupKey: Hex33,
    commitments: z.array(Hex33).min(1).max(255),
  })
  .strict();
export type ShareFile = z.infer<typeof ShareFileSchema>;

export const KeyFileSchema = z
  .object({
    format: z.literal('custodes.key.v1'),
    secretKey: Hex32,
    publicKey: XOnlyKey,
    /** The identity's Ed25519 key for signed notes (docs/PROTOCOL.md §4.3, §9.3): the log's checkpoint key, a custodian's witness key. */
    noteSecretKey: Hex32.optional(),
    notePublicKey: Ed25519Key.optional(),
  })
  .strict();
export type KeyFile = z.infer<typeof KeyFileSchema>;

// ## §3.2–§3.3 Envelope and partial

export const LabelSchema = z
  .object({
    subject: z.string().min(1).max(256),
    category: z.string().regex(/^[a-z0-9-]{1,64}$/),
    time: z.number().int().min(-(2 ** 53 - 1)).max(2 ** 53 - 1),
  })
  .strict();
export type LabelRecord = z.infer<typeof LabelSchema>;

export const EnvelopeSchema = z
  .object({
    format: z.literal('custodes.envelope.v1'),
    epoch: Epoch,
    label: LabelSchema,
    R: Hex32,
    nonce: Base64,
    ciphertext: Base64,
    proof: Hex64,
  })
  .strict();
export type EnvelopeRecord = z.infer<typeof EnvelopeSchema>;

export const PartialSchema = z.object({ index: CustodianIndex, D: Hex33, c: Hex32, z: Hex32 }).strict();
export type PartialRecord = z.infer<typeof PartialSchema>;

// ## §4.1 Warrant

export const ScopeSchema = z
  .object({
    subjects: z.array(z.string().min(1).max(256)).min(1).max(1000),
    categories: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/)).min(1).max(64),
    notBefore: UnixTime,
    notAfter: UnixTime,
  })
  .strict()
  .refine((s) => s.notBefore <= s.notAfter, { message: 'scope.notBefore must not be after scope.notAfter' });
export type ScopeRecord = z.infer<typeof ScopeSchema>;

const warrantFields = {
  format: z.literal('custodes.warrant.v1'),
  id: Uuid,
  agency: Id,
  investigator: XOnlyKey,
  court: Id,
  caseNumber: Text(128),
  legalAuthority: Text(512),
  offense: Text(512),
  scope: ScopeSchema,
  maxEnvelopes: z.number().int().min(1).max(1_000_000),
  issuedAt: UnixTime,
  expiresAt: UnixTime,
  sealedUntil: UnixTime,
};
const warrantDates = <T extends { issuedAt: number; expiresAt: number }>(w: T) => w.issuedAt < w.expiresAt;

/** The warrant body: what the court and investigator sign and what the commitment covers. */
export const WarrantSchema = z.object(warrantFields).strict().refine(warrantDates, { message: 'expiresAt must be after issuedAt' });
export type Warrant = z.infer<typeof WarrantSchema>;

/** A warrant with both signatures (§3.5: fields ending in `Signature` are outside the signed bytes). */
export const SignedWarrantSchema = z
  .object({ ...warrantFields, courtSignature: Hex64, investigatorSignature: Hex64 })
  .strict()
  .refine(warrantDates, { message: 'expiresAt must be after issuedAt' });
export type SignedWarrant = z.infer<typeof SignedWarrantSchema>;

// ## §4.2 Log entries

export const RegistryCustodianSchema = z
  .object({
    index: CustodianIndex,
    name: Text(253),
    signingKey: XOnlyKey,
    witnessKey: Ed25519Key,
    url: z.url().max(2048),
    /** The ChillDKG host public key (§3.8); required for every custodian of a proposed (DKG) epoch. */
    hostKey: Hex33.optional(),
  })
  .strict();
/** A witness that is not a custodian (docs/PROTOCOL.md §4.2, §4.3): it cosigns, and nothing else. */
export const RegistryWitnessSchema = z.object({ name: Text(253), key: Ed25519Key, url: z.url().max(2048) }).strict();
/**
 * An epoch. Without `groupKey` and `commitments` (both or neither:
 * registryProblems) it is *proposed* and runs a DKG (§3.8); it becomes
 * active only through a logged `epoch` entry (rules/dkgEpochs.ts resolveRegistry).
 */
export const RegistryEpochSchema = z
  .object({
    epoch: Epoch,
    threshold: z.number().int().min(1).max(255),
    total: z.number().int().min(1).max(255),
    groupKey: Hex33.optional(),
    commitments: z.array(Hex33).min(1).max(255).optional(),
    custodians: z.array(RegistryCustodianSchema).min(1).max(255),
    /**
     * The providers' retention period (§3.10): from this time on the epoch is
     * retired, its custodians destroy their shares and nothing is released for it.
     */
    retireAfter: UnixTime.optional(),
    /**
     * On a proposed epoch only: it gets its key by resharing this active epoch
     * (docs/PROTOCOL.md §3.9) instead of a fresh DKG, so its group key is that epoch's.
     */
    reshareOf: Epoch.optional(),
  })
  .strict();
export const RegistryCourtSchema = z.object({ id: Id, name: Text(256), key: XOnlyKey }).strict();
export const RegistryAgencySchema = z
  .object({ id: Id, name: Text(256), investigators: z.array(XOnlyKey).max(1000) })
  .strict();
export const RegistrySignatureSchema = z.object({ custodian: CustodianIndex, signature: Hex64 }).strict();

export const RegistryEntrySchema = z
  .object({
    type: z.literal('registry'),
    /** 0 for genesis; each update adds one. */
    sequence: z.number().int().min(0),
    origin: Text(253),
    logKey: XOnlyKey,
    /** The log's Ed25519 checkpoint key (docs/PROTOCOL.md §4.3); `logKey` signs partials calls (§4.6). */
    logNoteKey: Ed25519Key,
    /** External witnesses (docs/PROTOCOL.md §4.3): cosign checkpoints, never release. */
    witnesses: z.array(RegistryWitnessSchema).max(64).optional(),
    epochs: z.array(RegistryEpochSchema).min(1).max(64),
    courts: z.array(RegistryCourtSchema).max(1000),
    agencies: z.array(RegistryAgencySchema).max(1000),
    time: UnixTime,
    signatures: z.array(RegistrySignatureSchema).max(255),
  })
  .strict();
export type RegistryEntry = z.infer<typeof RegistryEntrySchema>;

export const WarrantEntrySchema = z
  .object({
    type: z.literal('warrant'),
    warrantId: Uuid,
    commitment: Hex32,
    agency: Id,
    court: Id,
    legalAuthority: Text(512),
    categories: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/)).min(1).max(64),
    subjectCount: z.number().int().min(1).max(1000),
    notBefore: UnixTime,
    notAfter: UnixTime,
    issuedAt: UnixTime,
    expiresAt: UnixTime,
    sealedUntil: UnixTime,
    maxEnvelopes: z.number().int().min(1).max(1_000_000),
  })
  .strict();
export type WarrantEntry = z.infer<typeof WarrantEntrySchema>;

export const ApprovalEntrySchema = z
  .object({
    type: z.literal('approval'),
    warrantId: Uuid,
    commitment: Hex32,
    custodian: CustodianIndex,
    decision: z.enum(['approve', 'deny']),
    reason: Text(1024).optional(),
    time: UnixTime,
    signature: Hex64,
  })
  .strict();
export type ApprovalEntry = z.infer<typeof ApprovalEntrySchema>;

export const DecryptionRequestEntrySchema = z
  .object({
    type: z.literal('decryption-request'),
    requestId: Uuid,
    warrantId: Uuid,
    /** The signing investigator's registered key, so anyone can check the signature. */
    investigator: XOnlyKey,
    envelopeCount: z.number().int().min(1).max(1_000_000),
    envelopeSetRoot: Hex32,
    /** The epochs of the request's envelopes, strictly ascending (JCS does not sort arrays: one set, one spelling). */
    epochs: z
      .array(Epoch)
      .min(1)
      .max(64)
      .refine((es) => es.every((e, i) => i === 0 || es[i - 1]! < e), { message: 'epochs must be strictly ascending (sorted, no repeats)' }),
    time: UnixTime,
    signature: Hex64,
  })
  .strict();
export type DecryptionRequestEntry = z.infer<typeof DecryptionRequestEntrySchema>;

export const ReleaseEntrySchema = z
  .object({
    type: z.literal('release'),
    requestId: Uuid,
    custodian: CustodianIndex,
    count: z.number().int().min(0).max(1_000_000),
    partialsRoot: Hex32,
    signature: Hex64,
  })
  .strict();
export type ReleaseEntry = z.infer<typeof ReleaseEntrySchema>;

export const DecryptionCompleteEntrySchema = z
  .object({
    type: z.literal('decryption-complete'),
    requestId: Uuid,
    decrypted: z.number().int().min(0),
    failed: z.number().int().min(0),
    blamed: z.array(CustodianIndex).max(255),
    time: UnixTime,
  })
  .strict();
export type DecryptionCompleteEntry = z.infer<typeof DecryptionCompleteEntrySchema>;

export const MisbehaviorEntrySchema = z
  .object({
    type: z.literal('misbehavior'),
    custodian: CustodianIndex,
    requestId: Uuid,
    envelopeId: Hex32,
    epoch: Epoch,
    R: Hex32,
    partial: z.object({ index: z.number().int(), D: z.string().max(200), c: z.string().max(200), z: z.string().max(200) }).strict(),
  })
  .strict();
export type MisbehaviorEntry = z.infer<typeof MisbehaviorEntrySchema>;

export const RevocationEntrySchema = z
  .object({
    type: z.literal('revocation'),
    warrantId: Uuid,
    reason: Text(1024),
    by: z.enum(['court', 'investigator']),
    signer: XOnlyKey,
    time: UnixTime,
    signature: Hex64,
  })
  .strict();
export type RevocationEntry = z.infer<typeof RevocationEntrySchema>;

export const UnsealEntrySchema = z
  .object({ type: z.literal('unseal'), warrantId: Uuid, salt: Hex32, warrant: SignedWarrantSchema, time: UnixTime })
  .strict();
export type UnsealEntry = z.infer<typeof UnsealEntrySchema>;

/** The steps of a DKG session over the log (§3.8): who writes each, and whether it is signed (§3.5 kind `dkg`). */
export const DKG_STEPS = ['commit', 'dealers', 'reveal', 'aggregate', 'certeq', 'blame', 'abort'] as const;
export type DkgStep = (typeof DKG_STEPS)[number];
/** Steps a custodian writes and signs; the others are the coordinator's, covered by the checkpoint signature. */
export const DKG_PARTICIPANT_STEPS: readonly DkgStep[] = ['commit', 'reveal', 'certeq', 'blame'];

const ascendingIndices = z
  .array(CustodianIndex)
  .max(255)
  .refine((xs) => xs.every((x, i) => i === 0 || xs[i - 1]! < x), { message: 'must be strictly ascending (sorted, no repeats)' });

/**
 * `dkg` (§3.8, §4.2): one message of a ChillDKG session. Per step:
 * commit: payload Hex32 = SHA256(pmsg1); reveal: Base64 pmsg1; aggregate:
 * Base64 cmsg1; certeq: Hex64 pmsg2; blame: Base64 of the investigation
 * message used, `blamed` = [the culprit]; abort: Base64 of the UTF-8 reason,
 * `blamed` = the custodians that timed out or were blamed. A reshare (§3.9)
 * uses the same entries: commit/reveal by old custodians (SHA256 of, then,
 * the dealing), `dealers` (coordinator: Base64 of the dealers' indices, one
 * byte each, ascending) before any reveal, `aggregate` (coordinator: the
 * qualified set Q, same encoding), certeq/blame by new custodians (the
 * certificate signature; a complaint against the dealer in `blamed`).
 */
export const DkgEntrySchema = z
  .object({
    type: z.literal('dkg'),
    epoch: Epoch,
    session: Uuid,
    step: z.enum(DKG_STEPS),
    custodian: CustodianIndex.optional(),
    payload: z.string().max(200_000),
    blamed: ascendingIndices.optional(),
    time: UnixTime,
    signature: Hex64.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const participant = DKG_PARTICIPANT_STEPS.includes(e.step);
    if (participant && (e.custodian === undefined || e.signature === undefined)) {
      ctx.addIssue({ code: 'custom', message: `a ${e.step} step needs custodian and signature` });
    }
    if (!participant && (e.custodian !== undefined || e.signature !== undefined)) {
      ctx.addIssue({ code: 'custom', message: `a ${e.step} step is the coordinator's: no custodian, no signature` });
    }
    const needsBlamed = e.step === 'blame' || e.step === 'abort';
    if (needsBlamed !== (e.blamed !== undefined)) ctx.addIssue({ code: 'custom', message: 'blamed is required for blame and abort, and only for them' });
    if (e.step === 'blame' && e.blamed?.length !== 1) ctx.addIssue({ code: 'custom', message: 'a blame names exactly one custodian' });
    const format = e.step === 'commit' ? Hex32 : e.step === 'certeq' ? Hex64 : Base64;
    if (!format.safeParse(e.payload).success) ctx.addIssue({ code: 'custom', message: `payload of a ${e.step} step is not in its encoding` });
  });
export type DkgEntry = z.infer<typeof DkgEntrySchema>;

/** `epoch` (§3.8, §4.2): a DKG session succeeded; the epoch is active once this is logged and valid (rules/dkgEpochs.ts). */
export const EpochEntrySchema = z
  .object({
    type: z.literal('epoch'),
    epoch: Epoch,
    session: Uuid,
    groupKey: Hex33,
    commitments: z.array(Hex33).min(1).max(255),
    /** ChillDKG recovery data, eq_input ‖ cert (BIP ChillDKG "Backup and Recovery"). */
    recoveryData: Base64.max(200_000),
    time: UnixTime,
  })
  .strict();
export type EpochEntry = z.infer<typeof EpochEntrySchema>;

/**
 * `retired` (§3.10, §4.2): custodian `custodian` destroyed its share of
 * `epoch` (or never held one) at `time` ≥ the epoch's `retireAfter`; signed
 * by that custodian, §3.5 kind `retired` (rules/retirement.ts judgeRetired).
 */
export const RetiredEntrySchema = z
  .object({ type: z.literal('retired'), epoch: Epoch, custodian: CustodianIndex, time: UnixTime, signature: Hex64 })
  .strict();
export type RetiredEntry = z.infer<typeof RetiredEntrySchema>;

/**
 * The coordinator's call asking custodian `custodian` for its next step of a
 * DKG session (docs/PROTOCOL.md §3.8, §7.15): signed by the log key, kind
 * `dkg-call`. Not a log entry. The custodian answers from its cosigned replica only.
 */
export const DkgCallSchema = z
  .object({ type: z.literal('dkg-call'), custodian: CustodianIndex, epoch: Epoch, session: Uuid, issuedAt: UnixTime, signature: Hex64 })
  .strict();
export type DkgCall = z.infer<typeof DkgCallSchema>;

/** A custodian's answer to a dkg-call: the entry it signed for its next step, what it waits for, or its epoch active. */
export const DkgAnswerSchema = z.union([
  z.object({ entry: DkgEntrySchema }).strict(),
  z.object({ waiting: z.enum(['commits', 'dealers', 'aggregate', 'epoch']) }).strict(),
  z.object({ active: z.object({ epoch: Epoch, groupKey: Hex33 }).strict() }).strict(),
  z.object({ destroyed: z.lazy(() => ShareDestroyedEntrySchema) }).strict(),
]);
export type DkgAnswer = z.infer<typeof DkgAnswerSchema>;

/**
 * `share-destroyed` (§3.9, §4.2): custodian `custodian` deleted its share of
 * epoch `epoch` after the reshare into `successor` was logged (its `epoch`
 * entry, with every new custodian's certificate signature, came first).
 * Signed with the custodian's signing key, kind `share-destroyed` (§3.5).
 */
export const ShareDestroyedEntrySchema = z
  .object({ type: z.literal('share-destroyed'), epoch: Epoch, successor: Epoch, custodian: CustodianIndex, time: UnixTime, signature: Hex64 })
  .strict();
export type ShareDestroyedEntry = z.infer<typeof ShareDestroyedEntrySchema>;

export const LogEntrySchema = z.discriminatedUnion('type', [
  RegistryEntrySchema,
  WarrantEntrySchema,
  ApprovalEntrySchema,
  DecryptionRequestEntrySchema,
  ReleaseEntrySchema,
  DecryptionCompleteEntrySchema,
  MisbehaviorEntrySchema,
  RevocationEntrySchema,
  UnsealEntrySchema,
  DkgEntrySchema,
  EpochEntrySchema,
  RetiredEntrySchema,
  ShareDestroyedEntrySchema,
]);
export type LogEntry = z.infer<typeof LogEntrySchema>;
export type LogEntryType = LogEntry['type'];
