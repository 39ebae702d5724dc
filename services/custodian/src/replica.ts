/**
 * The log replica: each fetched leaf is parsed strictly (attacker-controlled),
 * then checked against the registry it replicates and indexed, all inside the
 * witness's one transaction (docs/PROTOCOL.md §4.3; docs/PROTOCOL.md §7.10, Witness).
 */
import { canonicalJson, formatZodError, LogEntrySchema, RegistryEntrySchema, verifyRecordSignature, verifyWarrantSignature, warrantCommitment } from '@custodes/shared/records';
import type { DecryptionRequestEntry, DkgEntry, EpochEntry, LogEntry, RegistryEntry, WarrantEntry } from '@custodes/shared/records';
import { judgeApproval, judgeDkgEntry, judgeEpochEntry, judgeRelease, judgeRetired, judgeRevocation, judgeShareDestroyed, resolveRegistry } from '@custodes/shared/rules';
import { retiredKey } from './outbox';
import { CustodianError } from './errors';
import { agencyInvestigators, courtKey, custodianKeys, genesisProblem, registryEpoch, updateProblem } from './registry';
import type { OwnIdentity } from './registry';
import type { Store } from './store';

// ## Parsing a leaf

/** A leaf is the JCS bytes of one entry (docs/PROTOCOL.md §4.2); anything else is refused. */
export function parseLeaf(bytes: Uint8Array, index: number): LogEntry {
  let raw: unknown;
  const text = Buffer.from(bytes).toString('utf8');
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CustodianError('BAD_ENTRY', `entry ${index} is not JSON`);
  }
  const r = LogEntrySchema.safeParse(raw);
  if (!r.success) throw new CustodianError('BAD_ENTRY', `entry ${index}: ${formatZodError(r.error)}`);
  if (canonicalJson(raw) !== text) throw new CustodianError('BAD_ENTRY', `entry ${index} is not in canonical JSON (RFC 8785)`);
  return r.data;
}

// ## Reading the replica

/**
 * The newest registry, parsed once per stored entry per store: every witness
 * round, entry check and release reads it, and parsing it with zod each time
 * was about a fifth of a witnessing custodian's CPU during a request. The
 * cached entry is frozen, so no caller can change what the next one reads.
 */
const parsedRegistries = new WeakMap<Store, { idx: number; data: string; epochs: number; entry: RegistryEntry }>();

/**
 * The registry in force: the newest logged one with every proposed epoch that
 * a replicated `epoch` entry activates filled in (@custodes/shared/rules
 * resolveRegistry, docs/PROTOCOL.md §3.8), so quorums and keys of a DKG epoch
 * read as a dealer epoch's. Re-resolved when a registry or epoch entry arrives.
 */
export function currentRegistry(store: Store): { idx: number; entry: RegistryEntry } | undefined {
  const row = store.latestRegistry();
  if (!row) return undefined;
  const epochRows = store.replicaEntries('epoch');
  const hit = parsedRegistries.get(store);
  if (hit && hit.idx === row.idx && hit.data === row.data && hit.epochs === epochRows.length) return { idx: row.idx, entry: hit.entry };
  const raw = RegistryEntrySchema.parse(JSON.parse(row.data));
  // Rows hold entries that passed EpochEntrySchema when applied (applyEntry).
  const entry = deepFreeze(resolveRegistry(raw, epochRows.map((r) => JSON.parse(r.data) as EpochEntry)));
  parsedRegistries.set(store, { idx: row.idx, data: row.data, epochs: epochRows.length, entry });
  return { idx: row.idx, entry };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Rows of the replica hold the canonical JSON of entries that passed
 * LogEntrySchema when they were applied (parseLeaf, then applyEntry, in the
 * witness's transaction), so they are read back without a second zod pass:
 * re-parsing the warrant was ≈ 10% of a custodian's CPU per round trip.
 */
export function loggedWarrant(store: Store, warrantId: string): { idx: number; entry: WarrantEntry } | undefined {
  const row = store.warrant(warrantId);
  return row ? { idx: row.idx, entry: JSON.parse(row.data) as WarrantEntry } : undefined;
}

export function loggedRequest(store: Store, requestId: string): { idx: number; entry: DecryptionRequestEntry } | undefined {
  const row = store.request(requestId);
  return row ? { idx: row.idx, entry: JSON.parse(row.data) as DecryptionRequestEntry } : undefined;
}

/** The replica's `dkg` entries in log order (rows passed DkgEntrySchema when applied). */
export function loggedDkgEntries(store: Store): DkgEntry[] {
  return store.replicaEntries('dkg').map((r) => JSON.parse(r.data) as DkgEntry);
}

// ## Applying entries (call inside store.tx)

/**
 * This node's own record is in the log: its outbox need not post it (again).
 * The log is better evidence than an HTTP answer; only the exact record counts.
 */
function ackLoggedOwnRecord(store: Store, key: string, canonical: string, idx: number): void {
  const row = store.outbox(key);
  if (row && row.ackedAt === null && row.entry === canonical) store.ackOutbox(key, idx);
}

function bad(index: number, why: string): never {
  throw new CustodianError('BAD_ENTRY', `entry ${index}: ${why}`);
}

/**
 * Checks `entry` at log index `idx` against the replica as it stands (earlier
 * entries of the same batch included, since they were applied first in the same
 * transaction) and indexes it. Throws BAD_ENTRY / BAD_GENESIS; the caller's
 * transaction then rolls back everything.
 */
export function applyEntry(
  store: Store,
  me: OwnIdentity,
  idx: number,
  entry: LogEntry,
  leafHash: Uint8Array,
  leaf: Uint8Array,
  /** Genesis leaf bytes already checked by genesisProblem in this call (saves re-verifying n signatures). */
  checkedGenesis?: Uint8Array,
): void {
  const reg = currentRegistry(store);
  if (idx === 0) {
    if (entry.type !== 'registry') throw new CustodianError('BAD_GENESIS', 'entry 0 must be the genesis registry');
    const why = checkedGenesis && Buffer.from(checkedGenesis).equals(Buffer.from(leaf)) ? null : genesisProblem(entry, me);
    if (why) throw new CustodianError('BAD_GENESIS', why);
    store.insertRegistry(idx, entry.sequence, canonicalJson(entry));
    store.insertEntry(idx, entry.type, leafHash, leaf);
    return;
  }
  if (!reg) bad(idx, 'no registry before it');
  const registry = reg.entry;
  const warrantOf = (warrantId: string) => loggedWarrant(store, warrantId)?.entry ?? bad(idx, `warrant ${warrantId} is not logged`);

  switch (entry.type) {
    case 'registry': {
      const why = updateProblem(entry, registry);
      if (why) bad(idx, why);
      // v1 has no custodian rotation (docs/PROTOCOL.md §1, out of scope): an update must keep this node as it is.
      if (!custodianKeys(entry, me.custodian).includes(me.signingKey) || custodianKeys(entry, me.custodian).length !== 1) {
        bad(idx, `registry update does not keep custodian ${me.custodian} with its signing key`);
      }
      // A DKG node (no dealer share, me.groupKey '') keeps its epoch; its keys come from the log (§3.8).
      const mine = registryEpoch(entry, me.epoch);
      if (!mine || (me.groupKey !== '' && mine.groupKey !== me.groupKey)) bad(idx, `registry update changes epoch ${me.epoch}`);
      store.insertRegistry(idx, entry.sequence, canonicalJson(entry));
      break;
    }
    case 'warrant': {
      if (store.warrant(entry.warrantId)) bad(idx, `warrant ${entry.warrantId} is logged twice`);
      if (!courtKey(registry, entry.court)) bad(idx, `court ${entry.court} is not registered`);
      if (!agencyInvestigators(registry, entry.agency)) bad(idx, `agency ${entry.agency} is not registered`);
      store.insertWarrant(entry.warrantId, idx, canonicalJson(entry));
      break;
    }
    case 'approval': {
      const w = warrantOf(entry.warrantId);
      // By a reviewer (a custodian of the newest epoch), signed, over the logged commitment: the shared rule.
      const verdict = judgeApproval(entry, registry, w.commitment);
      if (!verdict.ok) bad(idx, verdict.message);
      store.insertApproval(idx, entry.warrantId, entry.custodian, entry.decision, entry.commitment);
      if (entry.custodian === me.custodian) ackLoggedOwnRecord(store, `approval:${entry.warrantId}`, canonicalJson(entry), idx);
      break;
    }
    case 'decryption-request': {
      if (store.request(entry.requestId)) bad(idx, `request ${entry.requestId} is logged twice`);
      const w = warrantOf(entry.warrantId);
      const investigators = agencyInvestigators(registry, w.agency) ?? [];
      if (!investigators.includes(entry.investigator)) bad(idx, `request signer is not a registered investigator of agency ${w.agency}`);
      if (!verifyRecordSignature(entry, entry.type, entry.signature, entry.investigator)) bad(idx, 'request signature does not verify');
      store.insertRequest(entry.requestId, idx, entry.warrantId, canonicalJson(entry));
      break;
    }
    case 'release': {
      const request = loggedRequest(store, entry.requestId) ?? bad(idx, `release for unlogged request ${entry.requestId}`);
      // By a custodian of every epoch the request covers, signed: the shared rule (docs/PROTOCOL.md §8.1).
      const verdict = judgeRelease(entry, registry, request.entry.epochs);
      if (!verdict.ok) bad(idx, verdict.message);
      store.insertRelease(idx, entry.requestId, entry.custodian, entry.count);
      if (entry.custodian === me.custodian) {
        ackLoggedOwnRecord(store, `release:${entry.requestId}`, canonicalJson(entry), idx);
        store.releaseLogged(entry.requestId); // the log, not the coordinator's word, clears it (release.ts)
      }
      break;
    }
    case 'revocation': {
      // The cover-sheet rule (docs/PROTOCOL.md §8.1): a witness judges only by what every witness holds, so not by
      // a delivered warrant's investigator, which other witnesses may lack.
      const verdict = judgeRevocation(entry, registry, warrantOf(entry.warrantId));
      if (!verdict.ok) bad(idx, verdict.message);
      store.insertRevocation(idx, entry.warrantId, entry.by);
      // A revocation this node took directly (revocation.ts) and forwarded is now in the log.
      ackLoggedOwnRecord(store, `revocation:${entry.warrantId}`, canonicalJson(entry), idx);
      break;
    }
    case 'unseal': {
      const w = warrantOf(entry.warrantId);
      if (entry.warrant.id !== entry.warrantId) bad(idx, 'unseal names another warrant');
      if (warrantCommitment(entry.warrant, entry.salt) !== w.commitment) bad(idx, 'unsealed warrant does not open the commitment');
      const court = courtKey(registry, entry.warrant.court);
      if (!court || !verifyWarrantSignature(entry.warrant, entry.warrant.courtSignature, court)) bad(idx, 'unsealed warrant lacks a valid court signature');
      if (!verifyWarrantSignature(entry.warrant, entry.warrant.investigatorSignature, entry.warrant.investigator)) bad(idx, 'unsealed warrant lacks a valid investigator signature');
      store.insertUnsealing(idx, entry.warrantId);
      break;
    }
    case 'dkg': {
      // A participant's step is signed by that custodian of a proposed epoch (docs/PROTOCOL.md §3.8): the shared rule.
      const verdict = judgeDkgEntry(entry, registry);
      if (!verdict.ok) bad(idx, verdict.message);
      if (loggedDkgEntries(store).some((e) => e.session === entry.session && e.step === entry.step && e.custodian === entry.custodian)) {
        bad(idx, `a second ${entry.step} of custodian ${entry.custodian ?? 'coordinator'} in session ${entry.session}`);
      }
      break;
    }
    case 'epoch': {
      // Activates a proposed epoch only with a valid certificate over the registry's host keys (§3.8).
      const verdict = judgeEpochEntry(entry, registry);
      if (!verdict.ok) bad(idx, verdict.message);
      break;
    }
    case 'retired': {
      // By a custodian of the epoch, on or after its retireAfter, signed (docs/PROTOCOL.md §3.10): the shared rule.
      const verdict = judgeRetired(entry, registry);
      if (!verdict.ok) bad(idx, verdict.message);
      // This node's own statement is in the log: the outbox stops posting it (retirement.ts).
      if (entry.custodian === me.custodian) ackLoggedOwnRecord(store, retiredKey(entry.epoch), canonicalJson(entry), idx);
      break;
    }
    case 'share-destroyed': {
      // Only after the reshare that superseded the epoch is logged, by a custodian of it, signed (§3.9): the shared rule.
      const verdict = judgeShareDestroyed(entry, registry);
      if (!verdict.ok) bad(idx, verdict.message);
      break;
    }
    case 'decryption-complete':
    case 'misbehavior':
      // Written by the coordinator under its log signature; form checked by the schema.
      break;
  }
  store.insertEntry(idx, entry.type, leafHash, leaf);
}
