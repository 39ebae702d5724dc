/**
 * The witness and log replica (docs/PROTOCOL.md §4.3, §1 goals 2 and 8; C2SP
 * tlog-witness add-checkpoint). Flow: parse (400) → the log key from entry 0
 * of the replica, or from a fetched genesis registry checked first (404/422) →
 * log signature (403) → size and consistency against the last cosigned head
 * (400/409/422) → the entries [old, new), fetched or as given in a checkpoint
 * bundle (shared/src/records/bundle.ts), must reproduce the root and pass every
 * entry rule (422) → one transaction: re-check, store entries and the new head
 * → cosign under this node's registry name.
 */
import { base64ToBytes, bytesToHex, equalBytes, hexToBytes } from '@custodes/shared/crypto';
import { checkCheckpointUpdate, cosignCheckpoint, leafHash, MemoryTree, parseAddCheckpoint, verifyAddCheckpoint, witnessNote } from '@custodes/shared/log';
import type { Checkpoint } from '@custodes/shared/log';
import type { LogEntry, RegistryEntry } from '@custodes/shared/records';
import { HttpError, requestJson } from '@custodes/shared/service';
import { z } from 'zod';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { custodianRecord, genesisProblem } from './registry';
import { applyEntry, currentRegistry, parseLeaf } from './replica';

/** The coordinator serves at most this many entries a page (docs/PROTOCOL.md §4.4). */
const PAGE = 1000;
/** Refuse to replicate more than this many new entries in one call. */
const MAX_NEW_ENTRIES = 1_000_000;

/** A refusal with C2SP tlog-witness's status; 409 carries the witness size. */
export class WitnessRefused extends CustodianError {
  constructor(
    code: ConstructorParameters<typeof CustodianError>[0],
    message: string,
    readonly witnessSize?: number,
  ) {
    super(code, message);
  }
}

const EntriesPage = z.object({ start: z.number().int().min(0), entries: z.array(z.string()).max(PAGE) }).strict();

/** Fetches leaves [start, end) from the coordinator, page by page (docs/PROTOCOL.md §4.4). */
async function fetchLeaves(ctx: Context, start: number, end: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let next = start;
  while (next < end) {
    const to = Math.min(end, next + PAGE);
    let page: z.infer<typeof EntriesPage>;
    try {
      const raw = await requestJson<unknown>(`${ctx.coordinatorUrl}/log/v1/entries?start=${next}&end=${to}`, { retries: 2, timeoutMs: 15_000, insecureHttp: ctx.insecureHttp });
      const parsed = EntriesPage.safeParse(raw);
      if (!parsed.success || parsed.data.start !== next || parsed.data.entries.length === 0 || parsed.data.entries.length > to - next) {
        throw new CustodianError('UPSTREAM_UNAVAILABLE', `the coordinator answered a malformed entries page at ${next}`);
      }
      page = parsed.data;
    } catch (err) {
      if (err instanceof CustodianError) throw err;
      const why = err instanceof HttpError ? `${err.status} ${err.code}` : (err as Error).message;
      throw new CustodianError('UPSTREAM_UNAVAILABLE', `fetching entries [${next}, ${to}) failed: ${why}`);
    }
    for (const b64 of page.entries) {
      try {
        out.push(base64ToBytes(b64, 'entry'));
      } catch {
        throw new CustodianError('BAD_ENTRY', `entry ${start + out.length} is not canonical base64`);
      }
    }
    next = start + out.length;
  }
  return out;
}

/** Leaves [from, to) given in a checkpoint bundle: exactly that many, each canonical base64. */
function decodeGiven(given: readonly string[], from: number, to: number): Uint8Array[] {
  if (given.length !== to - from) throw new CustodianError('ENTRIES_MISMATCH', `the bundle carries ${given.length} entries and the checkpoint adds ${to - from}`);
  return given.map((b64, k) => {
    try {
      return base64ToBytes(b64, 'entry');
    } catch {
      throw new CustodianError('BAD_ENTRY', `entry ${from + k} is not canonical base64`);
    }
  });
}

/** The registry the log key comes from: the replica's, else a fetched genesis checked first. */
async function trustedRegistry(ctx: Context): Promise<{ registry: RegistryEntry; genesisLeaf?: Uint8Array }> {
  const known = currentRegistry(ctx.store);
  if (known) return { registry: known.entry };
  const [leaf] = await fetchLeaves(ctx, 0, 1);
  const entry = parseLeaf(leaf!, 0);
  if (entry.type !== 'registry') throw new CustodianError('BAD_GENESIS', 'entry 0 is not a registry');
  const why = genesisProblem(entry, ctx.me);
  if (why) throw new CustodianError('BAD_GENESIS', why);
  return { registry: entry, genesisLeaf: leaf! };
}

/** One add-checkpoint at a time per node (the fetch sits between check and store). */
export class Witness {
  #queue: Promise<unknown> = Promise.resolve();
  /** The replica's Merkle tree, kept between calls; rebuilt from the stored leaf hashes when unsure. */
  #tree: MemoryTree | null = null;

  constructor(private readonly ctx: Context) {}

  /** Resolves when no add-checkpoint is running. */
  async idle(): Promise<void> {
    await this.#queue;
  }

  /**
   * Checks and cosigns the checkpoint of an add-checkpoint `body`. `entries`
   * (base64 leaves from the old size on, from a checkpoint bundle) spare the
   * fetch; they are checked exactly as fetched ones would be.
   */
  async add(body: string, entries?: readonly string[]): Promise<string> {
    return (await this.addThen(body, entries, () => undefined)).cosignature;
  }

  /**
   * `add`, then `then` in the same transaction (one commit): e.g. the review
   * of the warrant the checkpoint logs. `then` runs before the cosignature is
   * made: if it throws, nothing is stored and nothing was signed.
   * `needs(added)` is a cheap precondition on the checked new entries, run
   * before anything is stored (e.g. the warrant must be logged by now): a call
   * that cannot succeed is refused before the transaction.
   */
  addThen<R>(body: string, entries: readonly string[] | undefined, then: () => R, needs: (added: readonly LogEntry[]) => void = () => undefined): Promise<{ cosignature: string; result: R }> {
    const run = this.#queue.then(() => this.#add(body, entries, then, needs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #add<R>(body: string, given: readonly string[] | undefined, then: () => R, needs: (added: readonly LogEntry[]) => void): Promise<{ cosignature: string; result: R }> {
    const { ctx } = this;
    // The shared C2SP steps (shared/src/log/witness.ts), with this node's codes: the body first,
    // so that junk is refused before the genesis is fetched, then the origin and the log signature.
    const parsed = parseAddCheckpoint(body);
    if (!parsed.ok) throw new CustodianError('BAD_CHECKPOINT', parsed.message);
    if (parsed.checkpoint.size === 0 && !currentRegistry(ctx.store)) throw new CustodianError('UNKNOWN_LOG', 'no log is known before its genesis entry');
    const { registry, genesisLeaf } = await trustedRegistry(ctx);
    const opened = verifyAddCheckpoint(parsed, { name: registry.origin, publicKey: hexToBytes(registry.logNoteKey, 32) });
    if (!opened.ok) throw new CustodianError(opened.status === 404 ? 'UNKNOWN_LOG' : 'BAD_LOG_SIGNATURE', opened.status === 404 ? 'unknown log origin' : opened.message);
    const { oldSize, proof, note, checkpoint, logKey } = opened;
    this.#precheck(oldSize, proof, checkpoint);

    const leaves = given ? decodeGiven(given, oldSize, checkpoint.size) : checkpoint.size > oldSize ? await this.#fetchNew(oldSize, checkpoint.size) : [];
    const hashes = leaves.map((leaf) => leafHash(leaf));
    const tree = this.#treeAt(oldSize);
    let cosignature: string;
    let result: R | undefined;
    try {
      for (const h of hashes) tree.appendHash(h);
      if (!equalBytes(tree.root(), checkpoint.root)) throw new CustodianError('ENTRIES_MISMATCH', `the ${given ? 'given' : 'fetched'} entries do not reproduce the checkpoint root`);
      const entries = leaves.map((leaf, k) => parseLeaf(leaf, oldSize + k));
      needs(entries);
      cosignature = ctx.store.tx(() => {
        // Re-check against the stored head inside the transaction: it is the only writer.
        this.#precheck(oldSize, proof, checkpoint);
        entries.forEach((entry: LogEntry, k) => applyEntry(ctx.store, ctx.me, oldSize + k, entry, hashes[k]!, leaves[k]!, genesisLeaf));
        const self = custodianRecord(currentRegistry(ctx.store)!.entry, ctx.node.custodian);
        // A node joining by a reshare (docs/PROTOCOL.md §3.9, Joining) cosigns only once an update lists it.
        if (!self) throw new CustodianError('BAD_GENESIS', `no registry up to this checkpoint lists custodian ${ctx.node.custodian}`);
        // The caller's step first: a refusal there leaves nothing signed (docs/PROTOCOL.md §4.3: check, then cosign).
        result = then();
        const line = cosignCheckpoint(checkpoint, { name: self.name, secretKey: ctx.vault.witnessKey(), timestamp: nowSeconds(ctx) });
        // Stored as this node made it, the log's verified signature and its own cosignature
        // and nothing else of the posted note: GET /witness/v1/checkpoint serves it (witnessNote).
        ctx.store.setWitness({ origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root, note: witnessNote(checkpoint, note, logKey, line), cosignedAt: nowSeconds(ctx) });
        return line;
      });
    } catch (err) {
      // Back to the replica's leaves: O(log n), where rebuilding from the store read every leaf hash.
      tree.truncate(oldSize);
      throw err;
    }

    ctx.log.info({ origin: checkpoint.origin, size: checkpoint.size, root: bytesToHex(checkpoint.root), added: leaves.length }, 'checkpoint cosigned');
    return { cosignature, result: result as R };
  }

  /** The tree of the replica's first `size` leaves (the replica holds exactly the witness size). */
  #treeAt(size: number): MemoryTree {
    if (!this.#tree || this.#tree.size !== size) {
      const tree = new MemoryTree();
      for (const h of this.ctx.store.leafHashes(size)) tree.appendHash(h);
      this.#tree = tree;
    }
    return this.#tree;
  }

  #precheck(oldSize: number, proof: Uint8Array[], checkpoint: Checkpoint): void {
    const head = this.ctx.store.witness();
    const verdict = checkCheckpointUpdate(head ? { size: head.size, root: head.root } : undefined, oldSize, proof, checkpoint);
    if (verdict.ok) return;
    switch (verdict.status) {
      case 409:
        throw new WitnessRefused(verdict.code === 'ROOT_MISMATCH' ? 'ROOT_MISMATCH' : 'OLD_SIZE_MISMATCH', verdict.message, verdict.witnessSize);
      case 422:
        throw new CustodianError('BAD_PROOF', verdict.message);
      case 400:
        throw new CustodianError('BAD_CHECKPOINT', verdict.message);
      case 403:
        throw new CustodianError('BAD_LOG_SIGNATURE', verdict.message);
      case 404:
        throw new CustodianError('UNKNOWN_LOG', verdict.message);
    }
  }

  async #fetchNew(from: number, to: number): Promise<Uint8Array[]> {
    if (to - from > MAX_NEW_ENTRIES) throw new CustodianError('BAD_CHECKPOINT', `will not replicate more than ${MAX_NEW_ENTRIES} entries at once`);
    return fetchLeaves(this.ctx, from, to);
  }
}
