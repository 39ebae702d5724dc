/**
 * The ECDH pad of ChillDKG's EncPedPop (BIP ChillDKG, encpedpop.py `ecdh`),
 * with the tag as a parameter so that resharing (docs/PROTOCOL.md §3.9) uses
 * the same code under its own tag:
 *
 *   pad = int(H(tag, SHA256(ser33(shared)) ‖ sender ‖ recipient ‖ context)) mod n
 *
 * where shared = secnonce·enckey (sender) = deckey·pubnonce (recipient), and
 * `context` starts with the recipient's position (u32), which is what makes
 * the multi-recipient KEM secure (BIP footnote mr-kem, PPS14). Taking the
 * shared point itself lets a verifier recompute a pad from a complaint's
 * revealed point S (§3.9) without any secret.
 */
import { encodePoint } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { sha256, taggedHash } from '../crypto/hash';
import { scalarFromBytesWrapping } from './codec';

/** H(tag, SHA256(ser33(shared)) ‖ sender ‖ recipient ‖ context) mod n (libsecp256k1's default ECDH hash inside). */
function padFromSharedPoint(tag: string, shared: GroupPoint, sender: Uint8Array, recipient: Uint8Array, context: Uint8Array): bigint {
  return scalarFromBytesWrapping(taggedHash(tag, sha256(encodePoint(shared)), sender, recipient, context));
}

export { padFromSharedPoint };
