/**
 * One deterministic corpus for the agreement test (test/rules/agreement.test.ts):
 * registries (genesis and updates, valid and broken one way at a time,
 * multi-epoch registries whose epochs are listed out of numeric order with
 * different thresholds and custodian sets), warrants, decisions and requests.
 * Every key, commitment and signature is derived from SEED (BIP340 with zero
 * auxiliary randomness), so two runs build byte-identical entries.
 */
import { bytesToBase64, bytesToHex, decodePoint, ed25519PublicKey, encodePoint, hexToBytes, mulBase, parseEnvelope, schnorrPublicKey, sealEnvelope, sha256, utf8 } from '@custodes/shared/crypto';
import type { Envelope } from '@custodes/shared/crypto';
import { coordinatorFinalize, coordinatorStep1, epochFromRecovery, hostpubkeyGen, participantStep1, participantStep2 } from '@custodes/shared/dkg';
import { envelopeSetRoot, signRecord, signWarrant, warrantCommitment, warrantCoverSheet } from '@custodes/shared/records';
import type { ApprovalEntry, DecryptionRequestEntry, DkgEntry, EpochEntry, LogEntry, RegistryEntry, ReleaseEntry, RetiredEntry, RevocationEntry, SignedWarrant, WarrantEntry } from '@custodes/shared/records';
import type { EpochCode } from '@custodes/shared/rules';

export const SEED = 'custodes/agreement/v1';
export const NOW = 1_800_000_000;
const AUX = new Uint8Array(32);

/** A secret key derived from the seed and a label: SHA256(SEED ‖ label), which is < n with overwhelming probability. */
function secretOf(label: string): Uint8Array {
  return sha256(utf8(`${SEED}/${label}`));
}

export interface Party {
  readonly secretKey: Uint8Array;
  readonly publicKey: string;
  /** Its Ed25519 note key (docs/PROTOCOL.md §4.3): the log's `logNoteKey`, a custodian's `witnessKey`. */
  readonly notePublicKey: string;
}

function party(label: string): Party {
  const secretKey = secretOf(label);
  return { secretKey, publicKey: bytesToHex(schnorrPublicKey(secretKey)), notePublicKey: bytesToHex(ed25519PublicKey(secretOf(`${label}/note`))) };
}

/** Custodians 1..9 (one signing key per index across epochs, docs/PROTOCOL.md §4.2). */
export const custodianKeys = new Map<number, Party>(Array.from({ length: 9 }, (_, i) => [i + 1, party(`custodian-${i + 1}`)] as const));
export const logKey = party('log');
export const otherLogKey = party('other-log');
export const court = party('court');
export const investigator = party('investigator');
/** Another registered investigator of the warrant's agency (not the warrant's own). */
export const colleague = party('colleague');
/** An investigator key no registry lists. */
export const outsider = party('outsider');
export const ORIGIN = 'custodes.test/agreement';

/** Feldman commitments C_k = a_k·G with a_k from the seed (docs/PROTOCOL.md §3.1); only their form matters here. */
function commitments(epoch: number, t: number): string[] {
  return Array.from({ length: t }, (_, k) => {
    const a = BigInt('0x' + bytesToHex(secretOf(`epoch-${epoch}-a${k}`)));
    return bytesToHex(encodePoint(mulBase(a)));
  });
}

export interface EpochSpec {
  readonly epoch: number;
  readonly threshold: number;
  readonly custodians: readonly number[];
  /** Override n (to break n/2 < t ≤ n or the custodian count). */
  readonly total?: number;
  /** A proposed epoch (docs/PROTOCOL.md §3.8): no groupKey or commitments, a host key per custodian unless `hostKeys: false`. */
  readonly proposed?: true;
  readonly hostKeys?: false;
  /** The epoch's retireAfter (docs/PROTOCOL.md §3.10). */
  readonly retireAfter?: number;
  /** A proposed epoch that reshares this one (docs/PROTOCOL.md §3.9). */
  readonly reshareOf?: number;
}

/** Custodian i's ChillDKG host public key (BIP hostpubkey_gen of a seed-derived host secret key). */
export function hostKeyOf(index: number): string {
  return bytesToHex(hostpubkeyGen(secretOf(`host-${index}`)));
}

export function epochOf(spec: EpochSpec): RegistryEntry['epochs'][number] {
  const custodians = spec.custodians.map((i) => ({ index: i, name: `custodian-${i}`, signingKey: custodianKeys.get(i)!.publicKey, witnessKey: custodianKeys.get(i)!.notePublicKey, url: `http://127.0.0.1:${9000 + i}` }));
  const base = { epoch: spec.epoch, threshold: spec.threshold, total: spec.total ?? spec.custodians.length, ...(spec.reshareOf === undefined ? {} : { reshareOf: spec.reshareOf }), ...(spec.retireAfter === undefined ? {} : { retireAfter: spec.retireAfter }) };
  if (spec.proposed) return { ...base, custodians: spec.hostKeys === false ? custodians : custodians.map((c) => ({ ...c, hostKey: hostKeyOf(c.index) })) };
  const c = commitments(spec.epoch, spec.threshold);
  return { ...base, groupKey: c[0]!, commitments: c, custodians };
}

/** How one entry of `signatures` is made: by a custodian's key, a wrong key (invalid), or a garbage signature. */
export type SignSpec = number | { readonly custodian: number; readonly bad: true };

export function unsignedRegistry(sequence: number, epochs: readonly EpochSpec[], over: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    type: 'registry',
    sequence,
    origin: ORIGIN,
    logKey: logKey.publicKey,
    logNoteKey: logKey.notePublicKey,
    epochs: epochs.map(epochOf),
    courts: [{ id: 'court-1', name: 'A court', key: court.publicKey }],
    agencies: [{ id: 'agency-1', name: 'An agency', investigators: [investigator.publicKey, colleague.publicKey] }],
    time: NOW - 86_400 + sequence,
    signatures: [],
    ...over,
  };
}

/** Signs `entry` (docs/PROTOCOL.md §3.5, kind `registry`) as listed, in order, duplicates and bad ones included. */
export function signAs(entry: RegistryEntry, signers: readonly SignSpec[]): RegistryEntry {
  const signatures = signers.map((s) => {
    if (typeof s === 'number') {
      const key = custodianKeys.get(s) ?? party(`stranger-${s}`);
      return { custodian: s, signature: signRecord(entry, 'registry', key.secretKey, AUX) };
    }
    // An invalid signature: another party's key over the same body.
    return { custodian: s.custodian, signature: signRecord(entry, 'registry', secretOf(`forger-${s.custodian}`), AUX) };
  });
  return { ...entry, signatures };
}

// ## Registries

/** One epoch, 3 of custodians 1..5. */
const SINGLE: readonly EpochSpec[] = [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5] }];

/**
 * Three epochs listed out of numeric order: the newest (7, t = 2 of {1, 2, 6})
 * is first in the array, the last listed (5) has t = 3 and the largest
 * threshold (4) belongs to epoch 3. Newest-by-number, last-in-array and
 * largest-threshold each pick a different epoch.
 */
export const MULTI: readonly EpochSpec[] = [
  { epoch: 7, threshold: 2, custodians: [1, 2, 6] },
  { epoch: 3, threshold: 4, custodians: [1, 2, 3, 4, 5] },
  { epoch: 5, threshold: 3, custodians: [1, 3, 4, 5] },
];

export const singleGenesis = signAs(unsignedRegistry(0, SINGLE), [1, 2, 3, 4, 5]);
export const multiGenesis = signAs(unsignedRegistry(0, MULTI), [1, 2, 3, 4, 5, 6]);

export interface RegistryCase {
  readonly name: string;
  /** The stated policy's verdict (shared/src/rules/registry.ts). */
  readonly expected: 'accept' | 'refuse';
  /** The accepted history before the candidate (genesis first); [] when the candidate is a genesis. */
  readonly history: readonly RegistryEntry[];
  readonly candidate: RegistryEntry;
}

function genesisCase(expected: 'accept' | 'refuse', name: string, epochs: readonly EpochSpec[], signers: readonly SignSpec[], over: Partial<RegistryEntry> = {}): RegistryCase {
  return { name: `genesis: ${name}`, expected, history: [], candidate: signAs(unsignedRegistry(0, epochs, over), signers) };
}

function updateCase(expected: 'accept' | 'refuse', name: string, current: RegistryEntry, epochs: readonly EpochSpec[], signers: readonly SignSpec[], over: Partial<RegistryEntry> = {}): RegistryCase {
  return { name: `update: ${name}`, expected, history: [current], candidate: signAs(unsignedRegistry(current.sequence + 1, epochs, over), signers) };
}

const bad = (custodian: number) => ({ custodian, bad: true }) as const;
const ADDED: readonly EpochSpec[] = [...SINGLE, { epoch: 2, threshold: 3, custodians: [1, 2, 3, 4, 5] }];
/** An external witness (docs/PROTOCOL.md §4.3) with a key derived from its name. */
const witnessOf = (name: string) => ({ name, key: party(`witness/${name}`).notePublicKey, url: 'https://witness.example/' });
/** A genesis that runs its first DKG (docs/PROTOCOL.md §3.8): one proposed epoch, 3 of 1..5. */
export const DKG_ONLY: readonly EpochSpec[] = [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5], proposed: true }];
/** Active epoch 1 (3 of 1..5) and proposed epoch 2 (2 of 1..3): epoch 1 stays in force until 2 is activated. */
export const DKG_NEXT: readonly EpochSpec[] = [...SINGLE, { epoch: 2, threshold: 2, custodians: [1, 2, 3], proposed: true }];
export const dkgGenesis = signAs(unsignedRegistry(0, DKG_ONLY), [1, 2, 3, 4, 5]);
/** Epoch 1 (3 of 1..5) retiring at NOW (docs/PROTOCOL.md §3.10). */
export const RETIRING: readonly EpochSpec[] = [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5], retireAfter: NOW }];
export const retiringGenesis = signAs(unsignedRegistry(0, RETIRING), [1, 2, 3, 4, 5]);

export const registryCases: readonly RegistryCase[] = [
  // Genesis: every custodian it lists must sign (docs/PROTOCOL.md §4.2).
  genesisCase('accept', 'single epoch, all sign', SINGLE, [1, 2, 3, 4, 5]),
  genesisCase('refuse', 'single epoch, one missing', SINGLE, [1, 2, 3, 4]),
  genesisCase('refuse', 'all sign plus an unknown signer', SINGLE, [1, 2, 3, 4, 5, 9]),
  genesisCase('refuse', 'all sign plus an invalid signature by a listed custodian', SINGLE, [1, 2, 3, 4, 5, bad(3)]),
  genesisCase('refuse', 'all sign, one signer twice', SINGLE, [1, 2, 3, 3, 4, 5]),
  genesisCase('refuse', 'one signature invalid', SINGLE, [1, 2, bad(3), 4, 5]),
  genesisCase('refuse', 'sequence 1', SINGLE, [1, 2, 3, 4, 5], { sequence: 1 }),
  genesisCase('refuse', 't ≤ n/2', [{ epoch: 1, threshold: 2, custodians: [1, 2, 3, 4, 5] }], [1, 2, 3, 4, 5]),
  genesisCase('refuse', 'total differs from the custodian list', [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 5], total: 4 }], [1, 2, 3, 4, 5]),
  genesisCase('accept', 'multi-epoch out of order, all sign', MULTI, [1, 2, 3, 4, 5, 6]),
  genesisCase('refuse', 'multi-epoch, an older-epoch-only custodian missing', MULTI, [1, 2, 3, 4, 6]),
  genesisCase('refuse', 'multi-epoch, the newest-only custodian missing', MULTI, [1, 2, 3, 4, 5]),
  // Ed25519 note keys and external witnesses (docs/PROTOCOL.md §4.3, witnessKeyProblems).
  genesisCase('accept', 'an external witness', SINGLE, [1, 2, 3, 4, 5], { witnesses: [witnessOf('witness.example')] }),
  genesisCase('refuse', 'an external witness named as a custodian', SINGLE, [1, 2, 3, 4, 5], { witnesses: [witnessOf('custodian-2')] }),
  genesisCase('refuse', 'an external witness named as the log', SINGLE, [1, 2, 3, 4, 5], { witnesses: [witnessOf(ORIGIN)] }),
  genesisCase('refuse', 'two external witnesses with one name', SINGLE, [1, 2, 3, 4, 5], { witnesses: [witnessOf('witness.example'), { ...witnessOf('other.example'), name: 'witness.example' }] }),
  genesisCase('refuse', 'an external witness name with a space', SINGLE, [1, 2, 3, 4, 5], { witnesses: [witnessOf('witness example')] }),
  genesisCase('refuse', 'an external witness with a custodian’s witness key', SINGLE, [1, 2, 3, 4, 5], { witnesses: [{ ...witnessOf('witness.example'), key: custodianKeys.get(3)!.notePublicKey }] }),
  genesisCase('refuse', 'the log note key is a custodian’s witness key', SINGLE, [1, 2, 3, 4, 5], { logNoteKey: custodianKeys.get(1)!.notePublicKey }),
  genesisCase('refuse', 'a custodian with two witness keys across epochs', ADDED, [1, 2, 3, 4, 5], { epochs: [epochOf(ADDED[0]!), { ...epochOf(ADDED[1]!), custodians: epochOf(ADDED[1]!).custodians.map((c) => (c.index === 4 ? { ...c, witnessKey: otherLogKey.notePublicKey } : c)) }] }),
  // Updates of a single-epoch registry: t = 3 of {1..5}.
  updateCase('accept', 't valid', singleGenesis, SINGLE, [1, 2, 3]),
  updateCase('accept', 'all valid', singleGenesis, SINGLE, [1, 2, 3, 4, 5]),
  updateCase('refuse', 't valid plus an invalid signature', singleGenesis, SINGLE, [1, 2, 3, bad(4)]),
  updateCase('refuse', 't valid plus an unknown signer', singleGenesis, SINGLE, [1, 2, 3, 9]),
  updateCase('refuse', 't valid, one signer twice', singleGenesis, SINGLE, [1, 2, 3, 3]),
  updateCase('refuse', 't − 1 valid', singleGenesis, SINGLE, [1, 2]),
  updateCase('refuse', 't − 1 valid, one of them twice', singleGenesis, SINGLE, [1, 2, 2]),
  updateCase('refuse', 't − 1 valid plus an invalid one', singleGenesis, SINGLE, [1, 2, bad(3)]),
  updateCase('refuse', 'sequence skips one', singleGenesis, SINGLE, [1, 2, 3], { sequence: 2 }),
  updateCase('refuse', 'sequence repeats', singleGenesis, SINGLE, [1, 2, 3], { sequence: 0 }),
  updateCase('refuse', 'origin changed', singleGenesis, SINGLE, [1, 2, 3], { origin: 'custodes.test/elsewhere' }),
  updateCase('refuse', 'log key changed', singleGenesis, SINGLE, [1, 2, 3], { logKey: otherLogKey.publicKey }),
  updateCase('refuse', 'log note key changed', singleGenesis, SINGLE, [1, 2, 3], { logNoteKey: otherLogKey.notePublicKey }),
  updateCase('accept', 'adds an external witness', singleGenesis, SINGLE, [1, 2, 3], { witnesses: [witnessOf('witness.example')] }),
  updateCase('refuse', 'two epochs with one number', singleGenesis, [...SINGLE, ...SINGLE], [1, 2, 3]),
  updateCase('refuse', 't ≤ n/2', singleGenesis, [{ epoch: 1, threshold: 2, custodians: [1, 2, 3, 4, 5] }], [1, 2, 3]),
  updateCase('accept', 'adds epoch 2', singleGenesis, ADDED, [1, 2, 3]),
  // Updates of the multi-epoch registry: the newest epoch (7) needs 2 of {1, 2, 6}.
  updateCase('accept', 'multi: t of the newest epoch', multiGenesis, MULTI, [1, 2]),
  updateCase('accept', 'multi: every newest custodian', multiGenesis, MULTI, [1, 2, 6]),
  updateCase('refuse', 'multi: t of the newest plus an invalid one', multiGenesis, MULTI, [1, 6, bad(2)]),
  updateCase('refuse', 'multi: custodians of older epochs only', multiGenesis, MULTI, [3, 4, 5]),
  updateCase('refuse', 'multi: t of the newest plus an older-epoch custodian', multiGenesis, MULTI, [1, 2, 3]),
  updateCase('refuse', 'multi: t − 1 of the newest plus older ones', multiGenesis, MULTI, [1, 3, 4, 5]),
  updateCase('accept', 'multi: epochs listed in another order', multiGenesis, [...MULTI].reverse(), [1, 6]),
  // Proposed epochs (docs/PROTOCOL.md §3.8): indices 1..n, a distinct host key each, no half-listed keys.
  genesisCase('accept', 'one proposed epoch, all sign', DKG_ONLY, [1, 2, 3, 4, 5]),
  genesisCase('refuse', 'proposed epoch without host keys', [{ ...DKG_ONLY[0]!, hostKeys: false }], [1, 2, 3, 4, 5]),
  // Points are ranks (§3.1), so a proposed epoch may leave an index out.
  genesisCase('accept', 'proposed epoch with a gap in its indices', [{ epoch: 1, threshold: 3, custodians: [1, 2, 3, 4, 6], proposed: true }], [1, 2, 3, 4, 6]),
  // Resharing (§3.9): reshareOf names a lower epoch the registry lists.
  updateCase('accept', 'proposes epoch 2 as a reshare of epoch 1', singleGenesis, [...SINGLE, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 1 }], [1, 2, 3]),
  updateCase('refuse', 'a reshare of an epoch the registry does not list', singleGenesis, [...SINGLE, { epoch: 3, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 2 }], [1, 2, 3]),
  updateCase('refuse', 'a reshare of a higher epoch', singleGenesis, [...SINGLE, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 2 }], [1, 2, 3]),
  // A reshare successor carries its source's retireAfter (§3.10: retirement is per key).
  updateCase('accept', 'a reshare of a retiring epoch, retiring with it', retiringGenesis, [...RETIRING, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 1, retireAfter: NOW }], [1, 2, 3]),
  updateCase('refuse', 'a reshare of a retiring epoch without its retireAfter', retiringGenesis, [...RETIRING, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 1 }], [1, 2, 3]),
  updateCase('refuse', 'a reshare retiring later than its source', retiringGenesis, [...RETIRING, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 1, retireAfter: NOW + 86_400 }], [1, 2, 3]),
  updateCase('refuse', 'a reshare with a retireAfter its source lacks', singleGenesis, [...SINGLE, { epoch: 2, threshold: 3, custodians: [1, 3, 4, 5], proposed: true, reshareOf: 1, retireAfter: NOW }], [1, 2, 3]),
  {
    name: 'genesis: an epoch with groupKey but no commitments',
    expected: 'refuse',
    history: [],
    candidate: (() => {
      const u = unsignedRegistry(0, DKG_ONLY);
      return signAs({ ...u, epochs: [{ ...u.epochs[0]!, groupKey: hostKeyOf(1) }] }, [1, 2, 3, 4, 5]);
    })(),
  },
  {
    name: 'genesis: two custodians of a proposed epoch share a host key',
    expected: 'refuse',
    history: [],
    candidate: (() => {
      const u = unsignedRegistry(0, DKG_ONLY);
      const e = u.epochs[0]!;
      return signAs({ ...u, epochs: [{ ...e, custodians: e.custodians.map((c) => ({ ...c, hostKey: hostKeyOf(1) })) }] }, [1, 2, 3, 4, 5]);
    })(),
  },
  updateCase('accept', 'proposes epoch 2, signed by t of active epoch 1', singleGenesis, DKG_NEXT, [1, 2, 3]),
  updateCase('refuse', 'proposes epoch 2, signed by its own custodians only (t − 1 of epoch 1)', singleGenesis, DKG_NEXT, [1, 2]),
  updateCase('accept', 'restarts the first DKG, signed by t of the proposed epoch', dkgGenesis, [{ epoch: 2, threshold: 3, custodians: [1, 2, 3, 4], proposed: true }], [1, 2, 4]),
  // Retirement dates (docs/PROTOCOL.md §3.10): set once, then kept by every update that lists the epoch.
  genesisCase('accept', 'an epoch with a retireAfter', RETIRING, [1, 2, 3, 4, 5]),
  updateCase('accept', 'gives epoch 1 a retireAfter', singleGenesis, RETIRING, [1, 2, 3]),
  updateCase('accept', 'keeps the retireAfter of epoch 1', retiringGenesis, RETIRING, [1, 2, 3]),
  updateCase('refuse', 'moves the retireAfter of epoch 1 later', retiringGenesis, [{ ...RETIRING[0]!, retireAfter: NOW + 86_400 }], [1, 2, 3]),
  updateCase('refuse', 'moves the retireAfter of epoch 1 earlier', retiringGenesis, [{ ...RETIRING[0]!, retireAfter: NOW - 86_400 }], [1, 2, 3]),
  updateCase('refuse', 'removes the retireAfter of epoch 1', retiringGenesis, SINGLE, [1, 2, 3, 4, 5]),
];

/** Registries whose epoch in force (t and custodian set) every party must read alike: epoch 7, wherever it is listed. */
export const epochCases: readonly { readonly name: string; readonly registry: RegistryEntry; readonly expected: string }[] = [
  { name: 'single epoch', registry: singleGenesis, expected: 't=3 of [1,2,3,4,5]' },
  { name: 'three epochs, newest first', registry: multiGenesis, expected: 't=2 of [1,2,6]' },
  { name: 'three epochs, newest last', registry: signAs(unsignedRegistry(0, [...MULTI].reverse()), [1, 2, 3, 4, 5, 6]), expected: 't=2 of [1,2,6]' },
  { name: 'a genesis that runs its first DKG: the proposed epoch witnesses', registry: dkgGenesis, expected: 't=3 of [1,2,3,4,5]' },
  { name: 'active epoch 1 and proposed epoch 2: epoch 1', registry: signAs(unsignedRegistry(0, DKG_NEXT), [1, 2, 3, 4, 5]), expected: 't=3 of [1,2,3,4,5]' },
  { name: 'three epochs, newest in the middle', registry: signAs(unsignedRegistry(0, [MULTI[1]!, MULTI[0]!, MULTI[2]!]), [1, 2, 3, 4, 5, 6]), expected: 't=2 of [1,2,6]' },
];

// ## Warrants, decisions, requests

export const WARRANT_ID = '00000000-0000-4000-8000-000000000001';
const SALT = bytesToHex(secretOf('salt'));

export function signedWarrant(over: Partial<SignedWarrant> = {}): SignedWarrant {
  const body = {
    format: 'custodes.warrant.v1' as const,
    id: WARRANT_ID,
    agency: 'agency-1',
    investigator: investigator.publicKey,
    court: 'court-1',
    caseNumber: 'case-1',
    legalAuthority: 'statute 1',
    offense: 'offense',
    scope: { subjects: ['subject-a'], categories: ['messages'], notBefore: NOW - 30 * 86_400, notAfter: NOW },
    maxEnvelopes: 100,
    issuedAt: NOW - 3_600,
    expiresAt: NOW + 30 * 86_400,
    sealedUntil: NOW + 86_400,
    ...over,
  };
  const courtSignature = signWarrant(body, court.secretKey, AUX);
  const investigatorSignature = signWarrant(body, investigator.secretKey, AUX);
  return { ...body, courtSignature, investigatorSignature } as SignedWarrant;
}

export function coverOf(w: SignedWarrant): WarrantEntry {
  return warrantCoverSheet(w, warrantCommitment(w, SALT));
}

export type DecisionSpec = { readonly custodian: number; readonly decision: 'approve' | 'deny'; readonly bad?: true };

export function approvalEntry(cover: WarrantEntry, d: DecisionSpec, k: number): ApprovalEntry {
  const unsigned = { type: 'approval' as const, warrantId: cover.warrantId, commitment: cover.commitment, custodian: d.custodian, decision: d.decision, time: NOW - 1_800 + k };
  const key = d.bad ? secretOf(`forger-${d.custodian}`) : (custodianKeys.get(d.custodian)?.secretKey ?? secretOf(`stranger-${d.custodian}`));
  return { ...unsigned, signature: signRecord(unsigned, 'approval', key, AUX) };
}

export function revocationEntry(cover: WarrantEntry): RevocationEntry {
  const unsigned = { type: 'revocation' as const, warrantId: cover.warrantId, by: 'court' as const, reason: 'withdrawn', signer: court.publicKey, time: NOW - 600 };
  return { ...unsigned, signature: signRecord(unsigned, 'revocation', court.secretKey, AUX) } as RevocationEntry;
}

export const SALT_HEX = SALT;
export const REQUEST_ID = '00000000-0000-4000-8000-0000000000aa';

/**
 * One in-scope envelope per epoch (docs/PROTOCOL.md §3.2), sealed to that epoch's
 * group key in `registry` (or to a seeded key for an epoch it does not list).
 */
export function envelopesFor(registry: RegistryEntry, epochs: readonly number[]): Envelope[] {
  return epochs.map((epoch) => {
    const listed = registry.epochs.find((e) => e.epoch === epoch);
    const Y = listed ? decodePoint(hexToBytes(listed.groupKey!, 33)) : mulBase(BigInt('0x' + bytesToHex(secretOf(`unlisted-${epoch}`))));
    return sealEnvelope(utf8(`envelope of epoch ${epoch}`), Y, epoch, { subject: 'subject-a', category: 'messages', time: NOW - 86_400 });
  });
}

/** The investigator's signed request over `envelopes` (docs/PROTOCOL.md §7.6), timed `time`. */
export function requestEntry(cover: WarrantEntry, envelopes: readonly Envelope[], time: number): DecryptionRequestEntry {
  const ids = envelopes.map((e) => parseEnvelope(e).id);
  const unsigned = {
    type: 'decryption-request' as const,
    requestId: REQUEST_ID,
    warrantId: cover.warrantId,
    investigator: investigator.publicKey,
    envelopeCount: ids.length,
    envelopeSetRoot: envelopeSetRoot(ids),
    epochs: [...new Set(envelopes.map((e) => e.epoch))],
    time,
  };
  return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', investigator.secretKey, AUX) };
}

export interface WarrantCase {
  readonly name: string;
  /** The stated policy's verdicts (shared/src/rules/warrantStatus.ts), in the agreement test's vocabulary. */
  readonly expected: { readonly status: string; readonly admissible: string };
  readonly registry: RegistryEntry;
  readonly warrant: SignedWarrant;
  readonly decisions: readonly DecisionSpec[];
  readonly revoked: boolean;
  /** Epochs of the request's envelopes. */
  readonly epochs: readonly number[];
  readonly now: number;
}

const approve = (...cs: number[]): DecisionSpec[] => cs.map((custodian) => ({ custodian, decision: 'approve' }));
const deny = (...cs: number[]): DecisionSpec[] => cs.map((custodian) => ({ custodian, decision: 'deny' }));

function warrantCase(name: string, status: string, admissible: string, over: Partial<WarrantCase> & Pick<WarrantCase, 'decisions'>): WarrantCase {
  return { name, expected: { status, admissible }, registry: singleGenesis, warrant: signedWarrant(), revoked: false, epochs: [1], now: NOW, ...over };
}

export const warrantCases: readonly WarrantCase[] = [
  // Single epoch, t = 3 of {1..5}.
  warrantCase('no decisions', 'pending', 'no-quorum', { decisions: [] }),
  warrantCase('t − 1 approvals', 'pending', 'no-quorum', { decisions: approve(1, 2) }),
  warrantCase('t approvals', 'approved', 'ok', { decisions: approve(1, 2, 3) }),
  warrantCase('all approve', 'approved', 'ok', { decisions: approve(1, 2, 3, 4, 5) }),
  warrantCase('t − 1 approvals, one of them twice', 'pending', 'no-quorum', { decisions: approve(1, 2, 2) }),
  warrantCase('t − 1 approvals plus an unknown custodian', 'pending', 'no-quorum', { decisions: approve(1, 2, 9) }),
  warrantCase('t − 1 approvals plus a bad signature', 'pending', 'no-quorum', { decisions: [...approve(1, 2), { custodian: 3, decision: 'approve', bad: true }] }),
  warrantCase('n − t denials', 'pending', 'no-quorum', { decisions: deny(1, 2) }),
  warrantCase('n − t + 1 denials', 'denied', 'no-quorum', { decisions: deny(1, 2, 3) }),
  warrantCase('t approvals and n − t denials', 'approved', 'ok', { decisions: [...approve(1, 2, 3), ...deny(4, 5)] }),
  warrantCase('a denial then an approval by the same custodian, t − 1 others', 'pending', 'no-quorum', { decisions: [...approve(1, 2), ...deny(3), ...approve(3)] }),
  warrantCase('an approval then a denial by the same custodian, t − 1 others', 'approved', 'ok', { decisions: [...approve(1, 2, 3), ...deny(3)] }),
  warrantCase('t approvals, revoked', 'revoked', 'revoked', { decisions: approve(1, 2, 3), revoked: true }),
  warrantCase('t approvals, expired', 'expired', 'expired', { decisions: approve(1, 2, 3), now: NOW + 31 * 86_400 }),
  warrantCase('t approvals, at expiresAt exactly', 'expired', 'expired', { decisions: approve(1, 2, 3), now: NOW + 30 * 86_400 }),
  warrantCase('revoked and expired', 'revoked', 'revoked', { decisions: approve(1, 2, 3), revoked: true, now: NOW + 31 * 86_400 }),
  warrantCase('n − t + 1 denials, expired', 'expired', 'expired', { decisions: deny(1, 2, 3), now: NOW + 31 * 86_400 }),
  warrantCase('bad dates (expires before issued)', 'expired', 'expired', { decisions: approve(1, 2, 3), warrant: signedWarrant({ issuedAt: NOW - 3_600, expiresAt: NOW - 7_200 }) }),
  warrantCase('sealed for a year, t approvals', 'approved', 'ok', { decisions: approve(1, 2, 3), warrant: signedWarrant({ sealedUntil: NOW + 365 * 86_400 }) }),
  warrantCase('envelopes of an unknown epoch', 'approved', 'unknown-epoch', { decisions: approve(1, 2, 3), epochs: [4] }),
  // Three epochs: newest 7 (t = 2 of {1, 2, 6}), 3 (t = 4 of {1..5}), 5 (t = 3 of {1, 3, 4, 5}).
  warrantCase('multi: 2 approvals by newest custodians, epoch 7 envelopes', 'approved', 'ok', { registry: multiGenesis, decisions: approve(1, 2), epochs: [7] }),
  warrantCase('multi: 2 approvals by newest custodians, epoch 3 envelopes', 'approved', 'no-quorum', { registry: multiGenesis, decisions: approve(1, 2), epochs: [3] }),
  warrantCase('multi: approvals by older-epoch custodians only', 'pending', 'no-quorum', { registry: multiGenesis, decisions: approve(3, 4, 5), epochs: [3] }),
  warrantCase('multi: one newest approval plus older-epoch ones', 'pending', 'no-quorum', { registry: multiGenesis, decisions: approve(1, 3, 4, 5), epochs: [3] }),
  warrantCase('multi: all of {1, 2, 6} approve, epoch 5 envelopes', 'approved', 'no-quorum', { registry: multiGenesis, decisions: approve(1, 2, 6), epochs: [5] }),
  warrantCase('multi: all of {1, 2, 6} approve, epoch 7 envelopes', 'approved', 'ok', { registry: multiGenesis, decisions: approve(1, 2, 6), epochs: [7] }),
  warrantCase('multi: 2 newest denials', 'denied', 'no-quorum', { registry: multiGenesis, decisions: deny(1, 2), epochs: [7] }),
  warrantCase('multi: 1 newest denial, 2 approvals', 'approved', 'ok', { registry: multiGenesis, decisions: [...approve(1, 2), ...deny(6)], epochs: [7] }),
];

// ## Releases (shared/src/rules/releases.ts)

export interface ReleaseCase {
  readonly name: string;
  /** The stated policy: accept iff by a custodian of every epoch the request covers, signature valid. */
  readonly expected: 'accept' | 'refuse';
  readonly registry: RegistryEntry;
  /** Epochs of the request's envelopes (one envelope each). */
  readonly epochs: readonly number[];
  readonly custodian: number;
  readonly bad?: true;
}

/** The signed release by `c.custodian` for `request` (a garbage partialsRoot: only the signer is judged). */
export function releaseEntry(request: DecryptionRequestEntry, c: ReleaseCase): ReleaseEntry {
  const unsigned = { type: 'release' as const, requestId: request.requestId, custodian: c.custodian, count: request.envelopeCount, partialsRoot: bytesToHex(secretOf('partials-root')) };
  const key = c.bad ? secretOf(`forger-${c.custodian}`) : (custodianKeys.get(c.custodian)?.secretKey ?? secretOf(`stranger-${c.custodian}`));
  return { ...unsigned, signature: signRecord(unsigned, 'release', key, AUX) };
}

const releaseCase = (expected: 'accept' | 'refuse', name: string, registry: RegistryEntry, epochs: number[], custodian: number, bad?: true): ReleaseCase => ({
  name,
  expected,
  registry,
  epochs,
  custodian,
  ...(bad ? { bad } : {}),
});

export const releaseCases: readonly ReleaseCase[] = [
  releaseCase('accept', 'single: a custodian of the epoch', singleGenesis, [1], 4),
  releaseCase('refuse', 'single: an unknown custodian', singleGenesis, [1], 9),
  releaseCase('refuse', 'single: a bad signature', singleGenesis, [1], 2, true),
  // Three epochs: newest 7 of {1, 2, 6}; 3 of {1..5}; 5 of {1, 3, 4, 5}.
  releaseCase('accept', 'multi: a newest custodian, epoch 7 request', multiGenesis, [7], 6),
  releaseCase('accept', 'multi: an older-epoch custodian, epoch 3 request', multiGenesis, [3], 4),
  releaseCase('accept', 'multi: a custodian of both epochs 3 and 7', multiGenesis, [3, 7], 2),
  releaseCase('refuse', "multi: another epoch's custodian, epoch 7 request", multiGenesis, [7], 3),
  releaseCase('refuse', "multi: a newest custodian outside epoch 5, epoch 5 request", multiGenesis, [5], 2),
  releaseCase('refuse', 'multi: a custodian of epoch 7 only, epochs 3 and 7', multiGenesis, [3, 7], 6),
  releaseCase('refuse', 'multi: an unknown custodian', multiGenesis, [7], 9),
  releaseCase('refuse', 'multi: a bad signature by an epoch 3 custodian', multiGenesis, [3], 5, true),
];

// ## Revocations (shared/src/rules/revocations.ts)

export interface RevocationCase {
  readonly name: string;
  /** The log rule (from the cover sheet), and the rule where the full warrant is known. */
  readonly expected: { readonly log: 'accept' | 'refuse'; readonly warrant: 'accept' | 'refuse' };
  readonly by: 'court' | 'investigator';
  readonly signer: Party;
  /** Signed by another key than `signer` (an invalid signature). */
  readonly bad?: true;
}

export function revocationBy(cover: WarrantEntry, c: RevocationCase): RevocationEntry {
  const unsigned = { type: 'revocation' as const, warrantId: cover.warrantId, by: c.by, reason: 'withdrawn', signer: c.signer.publicKey, time: NOW - 600 };
  const key = c.bad ? secretOf('forger-revocation') : c.signer.secretKey;
  return { ...unsigned, signature: signRecord(unsigned, 'revocation', key, AUX) } as RevocationEntry;
}

const both = (v: 'accept' | 'refuse') => ({ log: v, warrant: v });

export const revocationCases: readonly RevocationCase[] = [
  { name: "the warrant's court", expected: both('accept'), by: 'court', signer: court },
  { name: "the warrant's investigator", expected: both('accept'), by: 'investigator', signer: investigator },
  { name: 'another investigator of the agency', expected: { log: 'accept', warrant: 'refuse' }, by: 'investigator', signer: colleague },
  { name: 'an unregistered investigator', expected: both('refuse'), by: 'investigator', signer: outsider },
  { name: "an investigator signing as the court", expected: both('refuse'), by: 'court', signer: investigator },
  { name: "the court, a bad signature", expected: both('refuse'), by: 'court', signer: court, bad: true },
  { name: "the warrant's investigator, a bad signature", expected: both('refuse'), by: 'investigator', signer: investigator, bad: true },
];

// ## DKG entries (shared/src/rules/dkgEpochs.ts, docs/PROTOCOL.md §3.8)

export const DKG_SESSION = '00000000-0000-4000-8000-0000000000d1';

/**
 * The recovery data of a t-of-n ChillDKG session among the host keys of
 * custodians `hosts` (hostKeyOf), every random input derived from the seed
 * and `label`, so the corpus stays byte-identical between runs.
 */
function dkgRecoveryData(label: string, t: number, hosts: readonly number[]): Uint8Array {
  const secrets = hosts.map((i) => secretOf(`host-${i}`));
  const params = { hostpubkeys: secrets.map(hostpubkeyGen), t };
  const s1 = secrets.map((sk, k) => participantStep1(sk, params, secretOf(`${label}/random-${k}`)));
  const c1 = coordinatorStep1(s1.map((s) => s.pmsg1), params);
  const s2 = secrets.map((sk, k) => participantStep2(sk, s1[k]!.state, c1.cmsg1, secretOf(`${label}/aux-${k}`)));
  return coordinatorFinalize(c1.state, s2.map((s) => s.pmsg2)).recoveryData;
}

function epochEntryOf(recoveryData: Uint8Array): EpochEntry {
  const keys = epochFromRecovery(recoveryData);
  return { type: 'epoch', epoch: 1, session: DKG_SESSION, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time: NOW - 3_600 };
}

/** The session dkgGenesis proposes (3 of custodians 1..5), and its valid activation. */
const sessionData = dkgRecoveryData('session', 3, [1, 2, 3, 4, 5]);
export const goodEpochEntry = epochEntryOf(sessionData);

export interface EpochEntryCase {
  readonly name: string;
  /** 'ok', or the shared rule's EpochCode (judgeEpochEntry), which every party must reach. */
  readonly expected: 'ok' | EpochCode;
  /** The log before the entry judged: a registry first. */
  readonly head: readonly LogEntry[];
  readonly entry: EpochEntry;
}

const flipped = (bytes: Uint8Array, at: number): string => {
  const b = bytes.slice();
  b[(b.length + at) % b.length]! ^= 1;
  return bytesToBase64(b);
};
const g = goodEpochEntry;

export const epochEntryCases: readonly EpochEntryCase[] = [
  { name: 'a valid activation', expected: 'ok', head: [dkgGenesis], entry: g },
  { name: 'UNKNOWN_EPOCH: epoch 2 is not listed', expected: 'UNKNOWN_EPOCH', head: [dkgGenesis], entry: { ...g, epoch: 2 } },
  { name: 'NOT_PROPOSED: epoch 1 is a dealer epoch', expected: 'NOT_PROPOSED', head: [singleGenesis], entry: g },
  { name: 'NOT_PROPOSED: epoch 1 is active already', expected: 'NOT_PROPOSED', head: [dkgGenesis, g], entry: { ...g, time: g.time + 60 } },
  { name: 'BAD_RECOVERY_DATA: a certificate byte flipped', expected: 'BAD_RECOVERY_DATA', head: [dkgGenesis], entry: { ...g, recoveryData: flipped(sessionData, -10) } },
  { name: 'BAD_RECOVERY_DATA: truncated', expected: 'BAD_RECOVERY_DATA', head: [dkgGenesis], entry: { ...g, recoveryData: bytesToBase64(sessionData.subarray(0, 100)) } },
  {
    name: 'THRESHOLD_MISMATCH: the registry proposes 4 of 5',
    expected: 'THRESHOLD_MISMATCH',
    head: [signAs(unsignedRegistry(0, [{ ...DKG_ONLY[0]!, threshold: 4 }]), [1, 2, 3, 4, 5])],
    entry: g,
  },
  { name: "HOST_KEYS_MISMATCH: a session among custodians 2..6's host keys", expected: 'HOST_KEYS_MISMATCH', head: [dkgGenesis], entry: epochEntryOf(dkgRecoveryData('other', 3, [2, 3, 4, 5, 6])) },
  { name: 'GROUP_KEY_MISMATCH: groupKey is C_1', expected: 'GROUP_KEY_MISMATCH', head: [dkgGenesis], entry: { ...g, groupKey: g.commitments[1]! } },
  { name: 'COMMITMENTS_MISMATCH: C_1 and C_2 swapped', expected: 'COMMITMENTS_MISMATCH', head: [dkgGenesis], entry: { ...g, commitments: [g.commitments[0]!, g.commitments[2]!, g.commitments[1]!] } },
];

export interface DkgEntryCase {
  readonly name: string;
  /** 'ok', or the shared rule's DkgEntryCode (judgeDkgEntry). */
  readonly expected: 'ok' | 'UNKNOWN_EPOCH' | 'NOT_PROPOSED' | 'UNKNOWN_CUSTODIAN' | 'BAD_SIGNATURE';
  readonly registry: RegistryEntry;
  readonly entry: DkgEntry;
}

/** Custodian `custodian`'s commit in epoch `epoch`, signed by `signer`'s key (its own unless given). */
function commitBy(custodian: number, over: { epoch?: number; signer?: number } = {}): DkgEntry {
  const body = { type: 'dkg' as const, epoch: over.epoch ?? 1, session: DKG_SESSION, step: 'commit' as const, custodian, payload: '07'.repeat(32), time: NOW - 7_200 };
  const key = (custodianKeys.get(over.signer ?? custodian) ?? party(`stranger-${custodian}`)).secretKey;
  return { ...body, signature: signRecord(body, 'dkg', key, AUX) };
}

export const dkgEntryCases: readonly DkgEntryCase[] = [
  { name: "a custodian's signed commit", expected: 'ok', registry: dkgGenesis, entry: commitBy(2) },
  { name: "the coordinator's aggregate (unsigned)", expected: 'ok', registry: dkgGenesis, entry: { type: 'dkg', epoch: 1, session: DKG_SESSION, step: 'aggregate', payload: 'AAAA', time: NOW - 7_000 } },
  { name: 'BAD_SIGNATURE: custodian 2 signed by custodian 3', expected: 'BAD_SIGNATURE', registry: dkgGenesis, entry: commitBy(2, { signer: 3 }) },
  { name: 'UNKNOWN_CUSTODIAN: custodian 9 is not of epoch 1', expected: 'UNKNOWN_CUSTODIAN', registry: dkgGenesis, entry: commitBy(9) },
  { name: 'UNKNOWN_EPOCH: epoch 4 is not listed', expected: 'UNKNOWN_EPOCH', registry: dkgGenesis, entry: commitBy(2, { epoch: 4 }) },
  { name: 'NOT_PROPOSED: epoch 1 is a dealer epoch', expected: 'NOT_PROPOSED', registry: singleGenesis, entry: commitBy(2) },
];

// ## Retirement statements (shared/src/rules/retirement.ts, docs/PROTOCOL.md §3.10)

export interface RetirementCase {
  readonly name: string;
  readonly expected: 'accept' | 'refuse';
  readonly registry: RegistryEntry;
  readonly entry: RetiredEntry;
}

function retiredBy(custodian: number, time: number, epoch = 1, signer = custodianKeys.get(custodian)?.secretKey ?? secretOf(`stranger-${custodian}`)): RetiredEntry {
  const unsigned = { type: 'retired' as const, epoch, custodian, time };
  return { ...unsigned, signature: signRecord(unsigned, 'retired', signer, AUX) };
}

/** Epoch 1 retires at NOW (retiringGenesis); every party judges each statement as it would find it in the log. */
export const retirementCases: readonly RetirementCase[] = [
  { name: 'a custodian of the epoch, at retireAfter', expected: 'accept', registry: retiringGenesis, entry: retiredBy(2, NOW) },
  { name: 'a custodian of the epoch, two minutes later', expected: 'accept', registry: retiringGenesis, entry: retiredBy(5, NOW + 120) },
  { name: 'dated a second before retireAfter', expected: 'refuse', registry: retiringGenesis, entry: retiredBy(2, NOW - 1) },
  { name: 'a custodian not of the epoch', expected: 'refuse', registry: retiringGenesis, entry: retiredBy(7, NOW) },
  { name: 'a signature by another custodian', expected: 'refuse', registry: retiringGenesis, entry: retiredBy(2, NOW, 1, custodianKeys.get(3)!.secretKey) },
  { name: 'an epoch without retireAfter', expected: 'refuse', registry: singleGenesis, entry: retiredBy(2, NOW) },
  { name: 'an epoch the registry does not list', expected: 'refuse', registry: retiringGenesis, entry: retiredBy(2, NOW, 4) },
];
