/**
 * The BIP's tagged hashes: `tagged_hash_bip_dkg(tag, m) = H("BIP DKG/" + tag, m)`
 * (BIP340 tagged hash; chilldkg_ref/util.py), with every tag ChillDKG uses.
 */
import { taggedHash } from '../crypto/hash';

const BIP_TAG = 'BIP DKG/';

/** Tags under the "BIP DKG/" prefix, named after the BIP step that uses them. */
const DKG_TAG = {
  paramsHash: 'params_hash',
  vssCoeffs: 'vss coeffs',
  encpedpopSeed: 'encpedpop seed',
  simplpedpopAux: 'simplpedpop aux',
  encpedpopSecnonce: 'encpedpop secnonce',
  encpedpopEcdh: 'encpedpop ecdh',
  selfPad: 'encaps_multi self_pad',
} as const;

type DkgTag = (typeof DKG_TAG)[keyof typeof DKG_TAG];

/** `H("BIP DKG/" + tag, m)`. */
function dkgHash(tag: DkgTag, ...message: Uint8Array[]): Uint8Array {
  return taggedHash(BIP_TAG + tag, ...message);
}

export { BIP_TAG, DKG_TAG, dkgHash, type DkgTag };
