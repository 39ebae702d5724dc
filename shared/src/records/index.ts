/** Records of docs/PROTOCOL.md §3–§4: schemas, canonical JSON, signing, warrants, ceremony files. */
export { canonicalBytes, canonicalJson } from './jcs';
export * from './schemas';
export { isSignatureField, recordDigest, signRecord, unsignedRecord, verifyRecordSignature } from './signing';
export { newSalt, signWarrant, verifyWarrantSignature, warrantBody, warrantCommitment, warrantCoverSheet } from './warrant';
export { ceremonyFiles, parsePublicKeySet, parseShareFile, type CustodianShare, type EpochKeys } from './keys';
export { formatZodError, formatZodIssues, parseRecord } from './validate';
export { warrantProblems, type WarrantProblem, type WarrantProblemCode } from './warrantChecks';
export { isoTime, MAX_ISSUE_SKEW_SECONDS, parseTimeText, warrantDateProblems, type WarrantDates } from './dates';
export {
  DAY_SECONDS,
  openRecords,
  ProviderRecordSchema,
  SealedRecordSchema,
  sealRecords,
  utcDay,
  type ProviderRecord,
  type SealedGroup,
  type SealedRecord,
} from './corpus';
export { envelopeSetRoot, partialsRoot } from './roots';
export {
  allCustodians,
  registryAgency,
  registryCourt,
  registryEpoch,
  registryProblems,
  registrySignatures,
  RegistryView,
  signRegistry,
  type RegistryAgency,
  type RegistryBody,
  type RegistryCourt,
  type RegistryCustodian,
  type RegistryEpoch,
  type RegistrySignatureVerdict,
  type RegistryWitness,
} from './registry';
export {
  decodePartialsCall,
  encodePartialsCall,
  PARTIALS_CALL_HEADER,
  PARTIALS_CALL_KIND,
  partialsCallHeader,
  PartialsCallSchema,
  signPartialsCall,
  verifyPartialsCall,
  type PartialsCall,
  type PartialsCallBody,
} from './call';
export { CheckpointBundleSchema, MAX_BUNDLE_ENTRIES, MAX_BUNDLE_ENTRY_CHARS, WitnessSizeConflictSchema, type CheckpointBundle } from './bundle';
export {
  DKG_CALL_HEADER,
  DKG_START_HEADER,
  decodeDkgCall,
  decodeDkgStart,
  dkgCallHeader,
  dkgStartHeader,
  verifyDkgCall,
  verifyDkgStart,
  type DkgCallBody,
  type DkgStart,
} from './dkgCall';
export { ABORT_REASON_MAX, abortReason } from './dkgAbort';
export { decodeDealerSet, encodeDealerSet } from './dealerSet';
