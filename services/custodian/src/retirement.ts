/**
 * Retiring epochs on this node (docs/PROTOCOL.md §3.10): forward secrecy for
 * what providers sealed under an epoch once their retention period is over.
 *
 * The threat: an attacker who gets this node's disk and unseal keys some day
 * after an epoch's `retireAfter` must not be able to open envelopes of that
 * epoch. So, once the registry in force (this node's replica) says the epoch is
 * retired (@custodes/shared/rules isRetired), the node, while unsealed:
 *
 *   1. drops its share of the epoch from its sealed secrets, and its ChillDKG
 *      host key if no epoch that is not retired lists it (host key + the
 *      logged recovery data re-derive a DKG share, §3.8), and forgets the
 *      sealed round-1 randomness of the epoch's DKG sessions;
 *   2. signs a `retired` statement (§4.2, §3.5 kind `retired`);
 *   3. stores the re-sealed secrets and the statement, as an outbox row keyed
 *      `retired:<epoch>`, in ONE transaction: no state has the share gone and
 *      no statement, or a statement and the share still on disk;
 *   4. posts it to the coordinator (`POST /v1/records`, the outbox: persisted,
 *      retried, resumed at start) until the replica sees it logged.
 *
 * Idempotent: the outbox row is the node's durable record that it retired the
 * epoch; a pass after a restart finds it and only lets the outbox post it
 * again. Nothing here ever makes a share: release (rule (k)) and share
 * recovery (dkg.ts adoptShare) refuse a retired epoch with EPOCH_RETIRED
 * before they would recover one. A sealed node cannot re-seal its secrets;
 * it retires at the first pass after it is unsealed (its share is under K meanwhile).
 */
import { bytesToHex } from '@custodes/shared/crypto';
import { hostpubkeyGen } from '@custodes/shared/dkg';
import { canonicalJson, signRecord } from '@custodes/shared/records';
import type { RegistryEntry, RetiredEntry } from '@custodes/shared/records';
import { isRetired } from '@custodes/shared/rules';
import type { Context } from './context';
import { nowSeconds } from './context';
import { retiredKey } from './outbox';
import { currentRegistry } from './replica';

/** Epochs of `registry` that list this node and are retired at `now`, ascending. */
function retiredEpochs(ctx: Context, registry: RegistryEntry, now: number): number[] {
  return registry.epochs
    .filter((e) => e.custodians.some((c) => c.index === ctx.me.custodian) && isRetired(registry, e.epoch, now))
    .map((e) => e.epoch)
    .sort((a, b) => a - b);
}

/**
 * Whether this node's host key is still needed: some epoch that is not retired
 * at `now` lists it for this node (a live DKG epoch, or a proposed one).
 */
function hostKeyNeeded(ctx: Context, registry: RegistryEntry, now: number): boolean {
  const host = ctx.vault.hostKey();
  if (host === undefined) return false;
  const mine = bytesToHex(hostpubkeyGen(host));
  return registry.epochs.some((e) => !isRetired(registry, e.epoch, now) && e.custodians.some((c) => c.index === ctx.me.custodian && c.hostKey === mine));
}

/**
 * One retirement pass (the header's steps 1–4) at the node's clock. Returns
 * the statements made in this pass (empty if the node is sealed, has no
 * registry yet, or had retired every due epoch before).
 */
export function retireDue(ctx: Context): RetiredEntry[] {
  if (ctx.vault.sealed) return [];
  const registry = currentRegistry(ctx.store)?.entry;
  if (!registry) return [];
  const now = nowSeconds(ctx);
  const made: RetiredEntry[] = [];
  for (const epoch of retiredEpochs(ctx, registry, now)) {
    const announced = ctx.store.outbox(retiredKey(epoch)) !== undefined;
    const held = ctx.vault.share(epoch) !== undefined;
    if (announced && !held) continue;
    const listedHost = registry.epochs.find((e) => e.epoch === epoch)?.custodians.find((c) => c.index === ctx.me.custodian)?.hostKey;
    const host = ctx.vault.hostKey();
    const dropHost = listedHost !== undefined && host !== undefined && listedHost === bytesToHex(hostpubkeyGen(host)) && !hostKeyNeeded(ctx, registry, now);
    const unsigned: Omit<RetiredEntry, 'signature'> = { type: 'retired', epoch, custodian: ctx.me.custodian, time: now };
    const statement: RetiredEntry = { ...unsigned, signature: signRecord(unsigned, 'retired', ctx.vault.signingKey()) };
    const destroyed = ctx.vault.withoutSecrets([epoch], dropHost);
    ctx.store.tx(() => {
      if (destroyed) ctx.store.setSealed(destroyed.box);
      ctx.store.forgetDkgSessions(epoch);
      ctx.store.insertOutbox(retiredKey(epoch), canonicalJson(statement)); // INSERT OR IGNORE: the first statement stays
    });
    if (destroyed) {
      destroyed.forget();
      ctx.node.sealedNonce = destroyed.box.nonce;
      ctx.node.sealedBox = destroyed.box.box;
    }
    ctx.log.info({ epoch, shareDestroyed: held, hostKeyDestroyed: dropHost }, 'epoch retired: share destroyed, retirement statement queued');
    if (!announced) made.push(statement);
  }
  if (made.length > 0) void ctx.outbox.kick();
  return made;
}

/** Runs retireDue every `intervalMs` (and once at start); a failed pass is logged and tried at the next tick. */
export class Retirer {
  #timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly ctx: Context,
    private readonly intervalMs: number,
  ) {}

  /** One pass now; never throws (a storage failure leaves the share and no statement: the next pass retries). */
  run(): RetiredEntry[] {
    try {
      return retireDue(this.ctx);
    } catch (err) {
      this.ctx.log.error({ code: (err as { code?: unknown }).code, err: (err as Error).message }, 'retirement pass failed; will retry');
      return [];
    }
  }

  start(): void {
    if (this.#timer) return;
    this.run();
    this.#timer = setInterval(() => this.run(), this.intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
