/** Ed25519 note keys for test registries (docs/PROTOCOL.md §4.3): a fresh pair, hex. */
import { bytesToHex, ed25519PublicKey, ed25519SecretKey } from '@custodes/shared/crypto';

export interface NoteKeyPair {
  readonly noteSecretKey: string;
  readonly notePublicKey: string;
}

export function noteKeyPair(): NoteKeyPair {
  const sk = ed25519SecretKey();
  return { noteSecretKey: bytesToHex(sk), notePublicKey: bytesToHex(ed25519PublicKey(sk)) };
}
