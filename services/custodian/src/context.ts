/** What every domain function of one custodian node works with (no module-level state). */
import type { Logger } from './logger';
import type { Outbox } from './outbox';
import type { Policy } from './policy';
import type { OwnIdentity } from './registry';
import type { NodeRow, Store } from './store';
import type { Vault } from './vault';

export interface Context {
  readonly store: Store;
  readonly node: NodeRow;
  readonly me: OwnIdentity;
  readonly vault: Vault;
  readonly log: Logger;
  readonly outbox: Outbox;
  readonly coordinatorUrl: string;
  readonly policy: Policy | undefined;
  /** Milliseconds since the epoch. */
  readonly nowMs: () => number;
  /** Per-agency release cap, envelopes per minute (rule j). */
  readonly envelopesPerMinute: number;
  /** How far a partials call's `issuedAt` may be from this node's clock, seconds (docs/PROTOCOL.md §7.12). */
  readonly callWindowSeconds: number;
  /** How long a release of this node may stay out of its replica before new partials calls are refused, ms (docs/PROTOCOL.md §7.12). */
  readonly releaseLogDeadlineMs: number;
}

export const nowSeconds = (ctx: Context): number => Math.floor(ctx.nowMs() / 1000);
