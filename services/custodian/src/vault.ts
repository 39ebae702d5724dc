/**
 * The node's secrets in memory: present only while unsealed (docs/PROTOCOL.md §3.6).
 * Sealing drops K and everything it opened.
 */
import { hexToBytes, mulBase, scalarFromBytes } from '@custodes/shared/crypto';
import type { GroupPoint } from '@custodes/shared/crypto';
import { CustodianError } from './errors';
import { Unsealer } from './seal';
import type { SealedBox, SealProgress } from './seal';

interface Open {
  key: Uint8Array;
  signingKey: Uint8Array;
  /** Ed25519: cosigns checkpoints (docs/PROTOCOL.md §4.3). */
  witnessKey: Uint8Array;
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
    for (const s of opened.secrets.shares) {
      const x = scalarFromBytes(hexToBytes(s.share, 32), 'share');
      shares.set(s.epoch, x);
      verificationShares.set(s.epoch, mulBase(x)); // secret scalar: the constant-time base multiplication
    }
    this.#open = { key: opened.key, signingKey: hexToBytes(opened.secrets.signingKey, 32), witnessKey: hexToBytes(opened.secrets.witnessKey, 32), shares, verificationShares };
    return true;
  }

  /** Drops K and the opened secrets. */
  seal(): void {
    if (this.#open) {
      this.#open.key.fill(0);
      this.#open.signingKey.fill(0);
      this.#open.witnessKey.fill(0);
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
