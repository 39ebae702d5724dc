/**
 * The sealed store (docs/PROTOCOL.md §3.6): the custodian's secrets (epoch shares,
 * signing key and witness key) encrypted under a random 32-byte node key K with AES-256-GCM; K
 * split with shamir-secret-sharing into m unseal keys with threshold k. The AEAD
 * tag is the check of a combination: wrong keys open nothing.
 *
 * This is the only module that imports shamir-secret-sharing (docs/PROTOCOL.md §2).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { z } from 'zod';
import { aeadOpen, aeadSeal, bytesToHex, taggedHash, utf8 } from '@custodes/shared/crypto';
import { ShareFileSchema } from '@custodes/shared/records';
import type { ShareFile } from '@custodes/shared/records';
import { CustodianError } from './errors';

// ## Secrets at rest

/** What K protects. Never logged, never in an error or a response. */
export interface Secrets {
  signingKey: string; // hex32 BIP340 secret key
  witnessKey: string; // hex32 Ed25519 secret key (docs/PROTOCOL.md §4.3)
  shares: ShareFile[];
  /** hex32 ChillDKG host secret key (docs/PROTOCOL.md §3.8): with the logged recovery data it yields a DKG share. */
  hostKey?: string;
}

// A node of a DKG epoch starts with no share: it holds its host key instead (docs/PROTOCOL.md §3.8).
// A node whose every epoch is retired holds neither (§3.10): it still signs and witnesses.
const SecretsSchema = z
  .object({
    signingKey: z.string().regex(/^[0-9a-f]{64}$/),
    witnessKey: z.string().regex(/^[0-9a-f]{64}$/),
    shares: z.array(ShareFileSchema),
    hostKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();

export interface SealedBox {
  nonce: Uint8Array;
  box: Uint8Array; // ciphertext ‖ tag
}

const NODE_KEY_LENGTH = 32;
const SEAL_AAD = utf8('custodes/v1/custodian-seal');
/** An unseal key is one shamir share of K: 32 bytes of y plus its x byte. */
const UNSEAL_KEY_RE = /^[0-9a-f]{66}$/;

export function sealSecrets(key: Uint8Array, secrets: Secrets): SealedBox {
  const nonce = new Uint8Array(randomBytes(12));
  const plaintext = utf8(JSON.stringify(secrets));
  const box = aeadSeal(key, nonce, plaintext, SEAL_AAD);
  plaintext.fill(0);
  return { nonce, box };
}

/** Opens the box with a candidate K; null when the tag fails (wrong K). */
export function openSecrets(key: Uint8Array, sealed: SealedBox): Secrets | null {
  if (key.length !== NODE_KEY_LENGTH) return null;
  const plaintext = aeadOpen(key, sealed.nonce, sealed.box, SEAL_AAD);
  if (!plaintext) return null;
  const parsed = SecretsSchema.safeParse(JSON.parse(Buffer.from(plaintext).toString('utf8')));
  plaintext.fill(0);
  // A tag that verifies but a body that does not parse is a corrupt store, not a wrong key.
  if (!parsed.success) throw new Error('sealed store opened but its contents are malformed');
  return parsed.data;
}

// ## Commitments to the unseal keys

/**
 * Deliberate extension of docs/PROTOCOL.md §6: the tag of an unseal key's commitment.
 * c_x = H("custodes/v1/unseal-key", f(x) ‖ x), f the split's polynomial (one per byte of K).
 */
const COMMITMENT_TAG = 'custodes/v1/unseal-key';
const HASH_LENGTH = 32;
/** Every nonzero x of GF(2^8): the split's coordinates are drawn from these. */
const POINTS = 255;

const commitmentOf = (unsealKey: Uint8Array): Uint8Array => taggedHash(COMMITMENT_TAG, unsealKey);

/**
 * The commitments c_1 ‖ … ‖ c_255 to the unseal-key polynomial f at every
 * nonzero x (255 × 32 bytes), from at least `threshold` distinct unseal keys
 * of one split. The sealed node checks each submitted key against c_x alone,
 * so a key that is not f(x) never enters the progress (docs/PROTOCOL.md §3.6: junk
 * must not reset the officers' keys). Committing to every x, not only the
 * m issued ones, is what lets a node initialised before commitments existed
 * learn them from the k keys of its first unseal, without knowing the others'
 * coordinates. Each f(x) is a 32-byte value nobody holds but the officer of
 * x, so c_x reveals nothing a brute force of K itself would not.
 *
 * f(x') from k shares: GF(2^8) addition is XOR, so g(z) = f(z ⊕ x') has the
 * same degree and the shares (x_i ⊕ x', y_i); combine() interpolates g at 0.
 */
export async function unsealCommitments(unsealKeys: readonly Uint8Array[]): Promise<Uint8Array> {
  const out = new Uint8Array(POINTS * HASH_LENGTH);
  for (let x = 1; x <= POINTS; x++) {
    const shifted = unsealKeys.map((k) => {
      const copy = Uint8Array.from(k);
      copy[NODE_KEY_LENGTH] = k[NODE_KEY_LENGTH]! ^ x;
      return copy;
    });
    const point = new Uint8Array(NODE_KEY_LENGTH + 1);
    point.set(await combine(shifted));
    point[NODE_KEY_LENGTH] = x;
    out.set(commitmentOf(point), (x - 1) * HASH_LENGTH);
    point.fill(0);
    for (const k of shifted) k.fill(0);
  }
  return out;
}

/** True iff `unsealKey` (y ‖ x, x ≠ 0) is f(x) by `commitments`. */
function matchesCommitment(unsealKey: Uint8Array, commitments: Uint8Array): boolean {
  const x = unsealKey[NODE_KEY_LENGTH]!;
  return timingSafeEqual(commitmentOf(unsealKey), commitments.subarray((x - 1) * HASH_LENGTH, x * HASH_LENGTH));
}

/**
 * Draws K, seals `secrets` under it and splits K into `shares` unseal keys
 * (hex), any `threshold` of which rebuild it, with their commitments
 * (unsealCommitments). Requires 2 ≤ threshold ≤ shares ≤ 255.
 */
export async function createSealedStore(secrets: Secrets, shares: number, threshold: number): Promise<{ sealed: SealedBox; unsealKeys: string[]; commitments: Uint8Array }> {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw new CustodianError('BAD_OPTIONS', 'unsealShares and unsealThreshold must be integers');
  if (threshold < 2 || threshold > shares || shares > 255) {
    throw new CustodianError('BAD_OPTIONS', 'unseal keys need 2 ≤ unsealThreshold ≤ unsealShares ≤ 255');
  }
  const key = new Uint8Array(randomBytes(NODE_KEY_LENGTH));
  const sealed = sealSecrets(key, secrets);
  const parts = await split(key, shares, threshold);
  key.fill(0);
  const commitments = await unsealCommitments(parts.slice(0, threshold));
  const unsealKeys = parts.map((p) => bytesToHex(p));
  for (const p of parts) p.fill(0);
  return { sealed, unsealKeys, commitments };
}

// ## Unsealing, one key per call

export interface SealProgress {
  progress: number;
  threshold: number;
}

/**
 * Collects unseal keys until `threshold` are in, then combines them and tries
 * the store. Each key is checked against its commitment first (WRONG_UNSEAL_KEY:
 * not counted, progress kept), so nobody can keep the node sealed by
 * submitting junk between the officers' keys. A node without commitments
 * (initialised before they existed) counts keys unchecked until its first
 * unseal, which yields them: wrong or too few keys then give UNSEAL_FAILED,
 * progress resets, nothing is kept.
 */
export class Unsealer {
  private readonly keys = new Map<number, Uint8Array>();

  constructor(
    readonly threshold: number,
    private readonly sealed: () => SealedBox,
    /** unsealCommitments of this node's split, or null for a node initialised without them. */
    private readonly commitments: () => Uint8Array | null,
  ) {}

  get progress(): number {
    return this.keys.size;
  }

  reset(): void {
    for (const k of this.keys.values()) k.fill(0);
    this.keys.clear();
  }

  /**
   * Adds one key; returns K and the secrets once the store opens, else null
   * (more keys needed). `learned`: the commitments, when this unseal is the
   * one that yields them (a node without them); the caller stores them.
   */
  async submit(keyText: unknown): Promise<{ key: Uint8Array; secrets: Secrets; learned?: Uint8Array } | null> {
    if (typeof keyText !== 'string' || !UNSEAL_KEY_RE.test(keyText)) {
      throw new CustodianError('BAD_UNSEAL_KEY', 'an unseal key is 33 bytes of lower-case hex');
    }
    const bytes = Uint8Array.from(Buffer.from(keyText, 'hex'));
    const x = bytes[NODE_KEY_LENGTH]!;
    if (x === 0) throw new CustodianError('BAD_UNSEAL_KEY', 'not an unseal key');
    const commitments = this.commitments();
    if (commitments && !matchesCommitment(bytes, commitments)) {
      bytes.fill(0);
      throw new CustodianError('WRONG_UNSEAL_KEY', "not one of this node's unseal keys: not counted, progress unchanged");
    }
    const prior = this.keys.get(x);
    if (prior) {
      // With commitments two keys of one x are the same key; without them this is a conflict.
      if (Buffer.from(prior).equals(Buffer.from(bytes))) return null; // the same key twice counts once
      throw new CustodianError('BAD_UNSEAL_KEY', 'this key conflicts with one already submitted');
    }
    this.keys.set(x, bytes);
    if (this.keys.size < this.threshold) return null;
    const keys = [...this.keys.values()];
    let key: Uint8Array;
    let learned: Uint8Array | undefined;
    try {
      key = await combine(keys);
      const secrets = openSecrets(key, this.sealed());
      if (!secrets) {
        key.fill(0);
        throw new CustodianError('UNSEAL_FAILED', 'the unseal keys do not open the store; progress reset, node still sealed');
      }
      // The AEAD tag proved these keys right: the commitments of a node that had none come from them.
      if (!commitments) learned = await unsealCommitments(keys);
      return learned ? { key, secrets, learned } : { key, secrets };
    } finally {
      this.reset();
    }
  }
}
