/** Protocol crypto of docs/PROTOCOL.md §3. */
export {
  abytes,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  u32,
  u64,
  utf8,
} from './bytes';
export { hashToScalar, sha256, TAG, taggedHash } from './hash';
export { ed25519PublicKey, ed25519SecretKey, ed25519Sign, ed25519Verify } from './ed25519';
export {
  apoint,
  CURVE_ORDER,
  decodePoint,
  encodePoint,
  GENERATOR,
  liftX,
  mulBase,
  pointEquals,
  randomScalar,
  randomSecretKey,
  scalarFromBytes,
  scalarToBytes,
  schnorrPublicKey,
  schnorrSign,
  schnorrVerify,
  xOnly,
  type GroupPoint,
} from './group';
export {
  checkThreshold,
  dealShares,
  MAX_CUSTODIANS,
  shareMatchesCommitments,
  verificationShare,
  type Ceremony,
} from './shares';
export { assertLabel, labelBytes, labelHash, scopeCovers, scopeMisses, type Label, type Scope, type ScopeField } from './label';
export { aeadOpen, aeadSeal, envelopeKey } from './aead';
export {
  assertParsedEnvelope,
  ENVELOPE_FORMAT,
  envelopeId,
  openWithKey,
  openWithSharedPoint,
  parseEnvelope,
  sealEnvelope,
  verifyBinding,
  type Envelope,
  type ParsedEnvelope,
  type SealRandomness,
} from './envelope';
export { openSealedResult, resultContext, sealToInvestigator, type SealedRandomness, type SealedResult } from './sealed';
export { createPartial, parsePartial, verifyParsedPartial, verifyPartial, type ParsedPartial, type Partial } from './partial';
export { combineAndOpen, combinePoints, lagrangeCoefficients, type CombineResult } from './combine';
export { evaluationPoints } from './points';
