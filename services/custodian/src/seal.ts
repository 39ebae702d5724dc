/**
 * The sealed store (DESIGN.md §3.6): the custodian's secrets (epoch shares and
 * signing key) encrypted under a random 32-byte node key K with AES-256-GCM; K
 * split with shamir-secret-sharing into m unseal keys with threshold k. The AEAD
 * tag is the check of a combination: wrong keys open nothing.
 *
 * This is the only module that imports shamir-secret-sharing (DESIGN.md §2).
 */
import { randomBytes } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { z } from 'zod';
import { aeadOpen, aeadSeal, bytesToHex, utf8 } from '@custodes/shared/crypto';
import { ShareFileSchema } from '@custodes/shared/records';
import type { ShareFile } from '@custodes/shared/records';
import { CustodianError } from './errors';

// ## Secrets at rest

/** What K protects. Never logged, never in an error or a response. */
export interface Secrets {
  signingKey: string; // hex32 BIP340 secret key
  shares: ShareFile[];
}

const SecretsSchema = z.object({ signingKey: z.string().regex(/^[0-9a-f]{64}$/), shares: z.array(ShareFileSchema).min(1) }).strict();

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

/**
 * Draws K, seals `secrets` under it and splits K into `shares` unseal keys
 * (hex), any `threshold` of which rebuild it. Requires 2 ≤ threshold ≤ shares ≤ 255.
 */
export async function createSealedStore(secrets: Secrets, shares: number, threshold: number): Promise<{ sealed: SealedBox; unsealKeys: string[] }> {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw new CustodianError('BAD_OPTIONS', 'unsealShares and unsealThreshold must be integers');
  if (threshold < 2 || threshold > shares || shares > 255) {
    throw new CustodianError('BAD_OPTIONS', 'unseal keys need 2 ≤ unsealThreshold ≤ unsealShares ≤ 255');
  }
  const key = new Uint8Array(randomBytes(NODE_KEY_LENGTH));
  const sealed = sealSecrets(key, secrets);
  const parts = await split(key, shares, threshold);
  key.fill(0);
  return { sealed, unsealKeys: parts.map((p) => bytesToHex(p)) };
}

// ## Unsealing, one key per call

export interface SealProgress {
  progress: number;
  threshold: number;
}

/**
 * Collects unseal keys until `threshold` are in, then combines them and tries
 * the store. Wrong or too few keys: UNSEAL_FAILED, progress resets, nothing
 * is kept.
 */
export class Unsealer {
  private readonly keys = new Map<number, Uint8Array>();

  constructor(
    readonly threshold: number,
    private readonly sealed: () => SealedBox,
  ) {}

  get progress(): number {
    return this.keys.size;
  }

  reset(): void {
    for (const k of this.keys.values()) k.fill(0);
    this.keys.clear();
  }

  /** Adds one key; returns K and the secrets once the store opens, else null (more keys needed). */
  async submit(keyText: unknown): Promise<{ key: Uint8Array; secrets: Secrets } | null> {
    if (typeof keyText !== 'string' || !UNSEAL_KEY_RE.test(keyText)) {
      throw new CustodianError('BAD_UNSEAL_KEY', 'an unseal key is 33 bytes of lower-case hex');
    }
    const bytes = Uint8Array.from(Buffer.from(keyText, 'hex'));
    const x = bytes[32]!;
    if (x === 0) throw new CustodianError('BAD_UNSEAL_KEY', 'not an unseal key');
    const prior = this.keys.get(x);
    if (prior) {
      if (Buffer.from(prior).equals(Buffer.from(bytes))) return null; // the same key twice counts once
      throw new CustodianError('BAD_UNSEAL_KEY', 'this key conflicts with one already submitted');
    }
    this.keys.set(x, bytes);
    if (this.keys.size < this.threshold) return null;
    let key: Uint8Array;
    try {
      key = await combine([...this.keys.values()]);
    } finally {
      this.reset();
    }
    const secrets = openSecrets(key, this.sealed());
    if (!secrets) {
      key.fill(0);
      throw new CustodianError('UNSEAL_FAILED', 'the unseal keys do not open the store; progress reset, node still sealed');
    }
    return { key, secrets };
  }
}
