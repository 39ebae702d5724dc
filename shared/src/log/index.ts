/**
 * The log library (docs/PROTOCOL.md §4.3): RFC 6962/9162 Merkle hashing and proofs,
 * C2SP checkpoints, signed notes, tiles and witness logic. No storage, no network.
 */
export { LogError, type LogCode } from './errors';
export {
  EMPTY_ROOT,
  HASH_SIZE,
  MAX_PROOF_LENGTH,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootFromLeafHashes,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from './merkle';
export {
  type HashReader,
  type TreeNode,
  consistencyProof,
  consistencyRanges,
  inclusionProof,
  inclusionRanges,
  subtreeNodes,
  treeHash,
} from './proof';
export { MemoryTree } from './memory';
export {
  type Checkpoint,
  MAX_CHECKPOINT_LENGTH,
  formatCheckpoint,
  parseCheckpoint,
  parseTreeSize,
} from './checkpoint';
export {
  COSIGNATURE_TYPE,
  LOG_SIGNATURE_TYPE,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  type CosignOptions,
  type NoteKey,
  type NoteSignature,
  type SignedNote,
  cosignCheckpoint,
  cosignatureTimestamp,
  formatSignatureLine,
  formatSignedNote,
  formatVerifierKey,
  isValidKeyName,
  noteKeyId,
  openCheckpoint,
  parseSignedNote,
  signCheckpoint,
  verifiedCosigners,
  verifyCosignature,
  verifyLogSignature,
} from './note';
export {
  MAX_ENTRY_BYTES,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TilePath,
  decodeEntryBundle,
  encodeEntryBundle,
  entryTilesFor,
  formatTileIndex,
  formatTilePath,
  hashesAtTileLevel,
  parseTilePath,
  tileNodes,
  tileWidthAt,
} from './tiles';
export {
  MAX_PROOF_LINES,
  type AddCheckpointOpening,
  type AddCheckpointRequest,
  type OpenedAddCheckpoint,
  type CosignedHead,
  type WitnessRefusal,
  type WitnessVerdict,
  checkCheckpointUpdate,
  formatAddCheckpointRequest,
  openAddCheckpoint,
  parseAddCheckpointRequest,
  witnessNote,
} from './witness';
