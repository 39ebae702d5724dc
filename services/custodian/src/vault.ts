/**
 * The node's secrets in memory: present only while unsealed (docs/PROTOCOL.md §3.6).
 * Sealing drops K and everything it opened.
 */
import { randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, hexToBytes, mulBase, scalarFromBytes, utf8 } from '@custodes/shared/crypto';
import type { GroupPoint } from '@custodes/shared/crypto';
import { CustodianError } from './errors';
import { Unsealer } from './seal';
import { sealSecrets } from './seal';
import type { SealedBox, SealProgress, Secrets } from './seal';
import type { ShareFile } from '@custodes/shared/records';

interface Open {
  key: Uint8Array;
  secrets: Secrets;
  signingKey: Uint8Array;
  /** Ed25519: cosigns checkpoints (docs/PROTOCOL.md §4.3). */
  witnessKey: Uint8Array;
  hostKey: Uint8Array | undefined;
  shares: Map<number, bigint>; // epoch → x_i
  /** epoch → X_i = x_i·G, computed once at unseal rather than per released envelope (docs/PROTOCOL.md §3.3). */
  verificationShares: Map<number, GroupPoint>;
}

export class Vault {
  #open: Open | null = null;
  readonly #unsealer: Unsealer;

  constructor(
    readonly shares: number,
    readonly threshold: number,
    sealed: () => SealedBox,
    /** The unseal keys' commitments (null: not yet known) and where newly learned ones go (seal.ts). */
    private readonly commitments: { get: () => Uint8Array | null; learn: (commitments: Uint8Array) => void },
  ) {
    this.#unsealer = new Unsealer(threshold, sealed, commitments.get);
  }

  get sealed(): boolean {
    return this.#open === null;
  }

  status(): SealProgress & { sealed: boolean; shares: number } {
    return { sealed: this.sealed, progress: this.sealed ? this.#unsealer.progress : 0, threshold: this.threshold, shares: this.shares };
  }

  /** Submits one unseal key; true once the node is unsealed. */
  async submit(key: unknown): Promise<boolean> {
    if (!this.sealed) return true;
    const opened = await this.#unsealer.submit(key);
    if (!opened) return false;
    if (opened.learned) this.commitments.learn(opened.learned);
    const shares = new Map<number, bigint>();
    const verificationShares = new Map<number, GroupPoint>();
    this.#open = {
      key: opened.key,
      secrets: opened.secrets,
      signingKey: hexToBytes(opened.secrets.signingKey, 32),
      witnessKey: hexToBytes(opened.secrets.witnessKey, 32),
      hostKey: opened.secrets.hostKey === undefined ? undefined : hexToBytes(opened.secrets.hostKey, 32),
      shares,
      verificationShares,
    };
    for (const s of opened.secrets.shares) this.#load(s);
    return true;
  }

  #load(s: ShareFile): void {
    const x = scalarFromBytes(hexToBytes(s.share, 32), 'share');
    this.#open!.shares.set(s.epoch, x);
    this.#open!.verificationShares.set(s.epoch, mulBase(x)); // secret scalar: the constant-time base multiplication
  }

  /**
   * Adds a share this node derived by DKG (docs/PROTOCOL.md §3.8) and returns the
   * secrets sealed anew under K; the caller stores the box before the share is
   * used (a restart must not lose it). A share for an epoch already held is
   * kept as it is: the first logged `epoch` entry decides.
   */
  addShare(share: ShareFile): SealedBox | undefined {
    const open = this.#require();
    if (open.shares.has(share.epoch)) return undefined;
    open.secrets = { ...open.secrets, shares: [...open.secrets.shares, share] };
    const box = sealSecrets(open.key, open.secrets);
    this.#load(share);
    return box;
  }

  /**
   * Destroying this node's share of each of `epochs` (docs/PROTOCOL.md §3.10,
   * retirement) and, with `dropHostKey`, its ChillDKG host key (which with the
   * public recovery data would re-derive a DKG share), in two steps: `box` is
   * the secrets sealed anew under K without them, for the caller to store in
   * the same transaction as its retirement statement; `forget()`, called once
   * that transaction committed, drops them from memory too (before it, a failed
   * write leaves memory and disk agreeing). Undefined if there is nothing to
   * destroy. The box on disk is replaced, not kept beside (§3.6: one per node).
   */
  withoutSecrets(epochs: readonly number[], dropHostKey: boolean): { box: SealedBox; forget: () => void } | undefined {
    const open = this.#require();
    const held = epochs.filter((e) => open.shares.has(e));
    const host = dropHostKey && open.secrets.hostKey !== undefined;
    if (held.length === 0 && !host) return undefined;
    const kept: Secrets = { signingKey: open.secrets.signingKey, witnessKey: open.secrets.witnessKey, shares: open.secrets.shares.filter((s) => !held.includes(s.epoch)) };
    if (!host && open.secrets.hostKey !== undefined) kept.hostKey = open.secrets.hostKey;
    const box = sealSecrets(open.key, kept);
    const forget = () => {
      open.secrets = kept;
      for (const e of held) {
        open.shares.delete(e);
        open.verificationShares.delete(e);
      }
      if (host) {
        open.hostKey?.fill(0);
        open.hostKey = undefined;
      }
    };
    return { box, forget };
  }

  /**
   * Deletes this node's share of `epoch` (docs/PROTOCOL.md §3.9: after a reshare
   * moved the key to another committee, or at retirement) and returns the
   * secrets sealed anew without it, for the caller to store before it says the
   * share is gone; undefined if no share of `epoch` is held. The scalar in
   * memory is dropped; older backups still hold it (§9.6).
   */
  removeShare(epoch: number): SealedBox | undefined {
    const without = this.withoutSecrets([epoch], false);
    without?.forget();
    return without?.box;
  }

  /**
   * Seals a small secret of this node (a DKG session's round-1 randomness) under
   * K, bound to `context` (docs/PROTOCOL.md §3.6: nothing secret at rest in clear).
   */
  sealSecret(secret: Uint8Array, context: string): SealedBox {
    const nonce = new Uint8Array(randomBytes(12));
    return { nonce, box: aeadSeal(this.#require().key, nonce, secret, utf8(`custodes/v1/custodian-seal/${context}`)) };
  }

  /** Opens what sealSecret sealed under this K and `context`; null if the tag fails. */
  openSecret(sealed: SealedBox, context: string): Uint8Array | null {
    return aeadOpen(this.#require().key, sealed.nonce, sealed.box, utf8(`custodes/v1/custodian-seal/${context}`));
  }

  /**
   * Gives a node that has none a host key (docs/PROTOCOL.md §3.8) and returns the
   * secrets sealed anew under K for the caller to store; undefined if it has one.
   */
  addHostKey(secret: string): SealedBox | undefined {
    const open = this.#require();
    if (open.hostKey !== undefined) return undefined;
    open.secrets = { ...open.secrets, hostKey: secret };
    open.hostKey = hexToBytes(secret, 32);
    return sealSecrets(open.key, open.secrets);
  }

  /** The ChillDKG host secret key, or undefined if this node has none (dealer-only). */
  hostKey(): Uint8Array | undefined {
    return this.#require().hostKey;
  }

  /** Drops K and the opened secrets. */
  seal(): void {
    if (this.#open) {
      this.#open.key.fill(0);
      this.#open.signingKey.fill(0);
      this.#open.witnessKey.fill(0);
      this.#open.hostKey?.fill(0);
      this.#open.shares.clear();
      this.#open.verificationShares.clear();
    }
    this.#open = null;
    this.#unsealer.reset();
  }

  #require(): Open {
    if (!this.#open) throw new CustodianError('sealed', 'the node is sealed');
    return this.#open;
  }

  signingKey(): Uint8Array {
    return this.#require().signingKey;
  }

  witnessKey(): Uint8Array {
    return this.#require().witnessKey;
  }

  /** x_i for `epoch`, or undefined if this node holds no share of it. */
  share(epoch: number): bigint | undefined {
    return this.#require().shares.get(epoch);
  }

  /** X_i = x_i·G for `epoch`, or undefined if this node holds no share of it. */
  verificationShare(epoch: number): GroupPoint | undefined {
    return this.#require().verificationShares.get(epoch);
  }
}
