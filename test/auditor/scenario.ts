/**
 * Builds Custodes logs in-test: a 3-of-5 ceremony, custodian, court,
 * investigator and log keys, a genesis registry signed by all, and a builder
 * that appends signed entries the way the services would. Tests then break
 * one rule at a time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  bytesToHex,
  createPartial,
  dealShares,
  ed25519PublicKey,
  ed25519SecretKey,
  parseEnvelope,
  randomSecretKey,
  schnorrPublicKey,
  sealEnvelope,
  utf8,
} from '@custodes/shared/crypto';
import type { Ceremony, ParsedEnvelope, Partial } from '@custodes/shared/crypto';
import {
  canonicalBytes,
  ceremonyFiles,
  newSalt,
  signRecord,
  signWarrant,
  warrantCommitment,
  warrantCoverSheet,
} from '@custodes/shared/records';
import type {
  ApprovalEntry,
  DecryptionCompleteEntry,
  DecryptionRequestEntry,
  LogEntry,
  MisbehaviorEntry,
  RegistryEntry,
  ReleaseEntry,
  RevocationEntry,
  SignedWarrant,
  UnsealEntry,
  Warrant,
  WarrantEntry,
} from '@custodes/shared/records';

export const ORIGIN = 'custodes.test/log';
/** 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600;
export const DAY = 86_400;
export const HOUR = 3_600;

/** A BIP340 key pair (records) with an Ed25519 note key pair (checkpoints; docs/PROTOCOL.md §4.3). */
export interface KeyPair {
  readonly secret: Uint8Array;
  readonly public: string;
  readonly noteSecret: Uint8Array;
  readonly notePublic: string;
}

export function keyPair(): KeyPair {
  const secret = randomSecretKey();
  const noteSecret = ed25519SecretKey();
  return { secret, public: bytesToHex(schnorrPublicKey(secret)), noteSecret, notePublic: bytesToHex(ed25519PublicKey(noteSecret)) };
}

export interface Keys {
  readonly ceremony: Ceremony;
  readonly custodians: KeyPair[]; // index i at position i−1
  readonly log: KeyPair;
  /** The registry's external witness (EXTERNAL_WITNESS). */
  readonly external: KeyPair;
  readonly courts: Record<'court-a' | 'court-b', KeyPair>;
  readonly investigators: Record<'agency-x' | 'agency-y', KeyPair>;
}

/** Fresh keys for a 3-of-5 deployment (generated once per test file: key generation is the slow part). */
export function makeKeys(): Keys {
  return {
    ceremony: dealShares(3, 5),
    custodians: Array.from({ length: 5 }, keyPair),
    log: keyPair(),
    external: keyPair(),
    courts: { 'court-a': keyPair(), 'court-b': keyPair() },
    investigators: { 'agency-x': keyPair(), 'agency-y': keyPair() },
  };
}

export const custodianName = (i: number): string => `custodian-${i}`;
/** The registry's external witness (its key is `keys.external`). */
export const EXTERNAL_WITNESS = 'witness.civil-liberties.example';

export interface WarrantHandle {
  readonly warrant: SignedWarrant;
  readonly salt: string;
  readonly commitment: string;
  readonly entry: WarrantEntry;
  readonly index: number;
  readonly investigator: KeyPair;
  readonly court: KeyPair;
}

export interface RequestHandle {
  readonly entry: DecryptionRequestEntry;
  readonly index: number;
  readonly warrant: WarrantHandle;
}

export interface WarrantOptions {
  court?: 'court-a' | 'court-b';
  agency?: 'agency-x' | 'agency-y';
  issuedAt?: number;
  expiresIn?: number;
  sealedFor?: number;
  maxEnvelopes?: number;
}

/** Appends entries in log order, signing each as its author would. */
export class LogBuilder {
  readonly keys: Keys;
  readonly entries: LogEntry[] = [];

  /** `genesis` replaces the dealer genesis (e.g. one proposing a DKG epoch, dkgScenario.ts). */
  constructor(keys: Keys, registryTime = T0, genesis?: RegistryEntry) {
    this.keys = keys;
    this.push(genesis ?? this.genesis(registryTime));
  }

  get size(): number {
    return this.entries.length;
  }

  push(entry: LogEntry): number {
    this.entries.push(entry);
    return this.entries.length - 1;
  }

  /** The JCS bytes of every entry: the log's leaves (docs/PROTOCOL.md §4.2). */
  leaves(): Uint8Array[] {
    return this.entries.map((e) => canonicalBytes(e));
  }

  genesis(time: number): RegistryEntry {
    const { publicKeySet } = ceremonyFiles(this.keys.ceremony, 1);
    const body: RegistryEntry = {
      type: 'registry',
      sequence: 0,
      origin: ORIGIN,
      logKey: this.keys.log.public,
      logNoteKey: this.keys.log.notePublic,
      // An external witness (docs/PROTOCOL.md §4.3): auditors count it only when their policy asks.
      witnesses: [{ name: EXTERNAL_WITNESS, key: this.keys.external.notePublic, url: 'http://127.0.0.1:9/witness' }],
      epochs: [
        {
          epoch: 1,
          threshold: 3,
          total: 5,
          groupKey: publicKeySet.groupKey,
          commitments: publicKeySet.commitments,
          custodians: this.keys.custodians.map((k, i) => ({
            index: i + 1,
            name: custodianName(i + 1),
            signingKey: k.public,
            witnessKey: k.notePublic,
            url: `http://127.0.0.1:9/custodian/${i + 1}`,
          })),
        },
      ],
      courts: [
        { id: 'court-a', name: 'Court A', key: this.keys.courts['court-a'].public },
        { id: 'court-b', name: 'Court B', key: this.keys.courts['court-b'].public },
      ],
      agencies: [
        { id: 'agency-x', name: 'Agency X', investigators: [this.keys.investigators['agency-x'].public] },
        { id: 'agency-y', name: 'Agency Y', investigators: [this.keys.investigators['agency-y'].public] },
      ],
      time,
      signatures: [],
    };
    const signatures = this.keys.custodians.map((k, i) => ({ custodian: i + 1, signature: signRecord(body, 'registry', k.secret) }));
    return { ...body, signatures };
  }

  warrant(opts: WarrantOptions = {}): WarrantHandle {
    const court = opts.court ?? 'court-a';
    const agency = opts.agency ?? 'agency-x';
    const issuedAt = opts.issuedAt ?? T0 + DAY;
    const investigator = this.keys.investigators[agency];
    const body: Warrant = {
      format: 'custodes.warrant.v1',
      id: randomUUID(),
      agency,
      investigator: investigator.public,
      court,
      caseNumber: `case-${this.size}`,
      legalAuthority: 'Test Act §1',
      offense: 'testing',
      scope: { subjects: ['alice@example.org', 'bob@example.org'], categories: ['email'], notBefore: T0 - 30 * DAY, notAfter: T0 },
      maxEnvelopes: opts.maxEnvelopes ?? 10,
      issuedAt,
      expiresAt: issuedAt + (opts.expiresIn ?? 30 * DAY),
      sealedUntil: issuedAt + (opts.sealedFor ?? 365 * DAY),
    };
    const warrant: SignedWarrant = {
      ...body,
      courtSignature: signWarrant(body, this.keys.courts[court].secret),
      investigatorSignature: signWarrant(body, investigator.secret),
    };
    const salt = newSalt();
    const commitment = warrantCommitment(warrant, salt);
    const entry = warrantCoverSheet(warrant, commitment);
    const index = this.push(entry);
    return { warrant, salt, commitment, entry, index, investigator, court: this.keys.courts[court] };
  }

  /** An approval or denial by custodian `i`, signed with its key (or `signer` to forge). */
  decide(w: WarrantHandle, i: number, decision: 'approve' | 'deny', time: number, signer?: Uint8Array): number {
    const body: ApprovalEntry = { type: 'approval', warrantId: w.warrant.id, commitment: w.commitment, custodian: i, decision, time, signature: '' };
    return this.push({ ...body, signature: signRecord(body, 'approval', signer ?? this.keys.custodians[i - 1]!.secret) });
  }

  approveBy(w: WarrantHandle, custodians: readonly number[], time: number): void {
    custodians.forEach((i, k) => this.decide(w, i, 'approve', time + k * 60));
  }

  request(w: WarrantHandle, envelopeCount: number, time: number): RequestHandle {
    const body: DecryptionRequestEntry = {
      type: 'decryption-request',
      requestId: randomUUID(),
      warrantId: w.warrant.id,
      investigator: w.investigator.public,
      envelopeCount,
      envelopeSetRoot: randomBytes(32).toString('hex'),
      epochs: [1],
      time,
      signature: '',
    };
    const entry = { ...body, signature: signRecord(body, 'decryption-request', w.investigator.secret) };
    return { entry, index: this.push(entry), warrant: w };
  }

  release(r: RequestHandle, i: number, count = r.entry.envelopeCount): number {
    const body: ReleaseEntry = { type: 'release', requestId: r.entry.requestId, custodian: i, count, partialsRoot: randomBytes(32).toString('hex'), signature: '' };
    return this.push({ ...body, signature: signRecord(body, 'release', this.keys.custodians[i - 1]!.secret) });
  }

  releaseBy(r: RequestHandle, custodians: readonly number[]): void {
    for (const i of custodians) this.release(r, i);
  }

  complete(r: RequestHandle, decrypted: number, time: number, blamed: number[] = [], failed = 0): number {
    const entry: DecryptionCompleteEntry = { type: 'decryption-complete', requestId: r.entry.requestId, decrypted, failed, blamed, time };
    return this.push(entry);
  }

  /** A misbehavior entry for custodian `i`; `honest` puts a partial that verifies (a false accusation). */
  misbehavior(r: RequestHandle, i: number, honest = false): number {
    const env: ParsedEnvelope = parseEnvelope(
      sealEnvelope(utf8('evidence'), this.groupKey(), 1, { subject: 'alice@example.org', category: 'email', time: T0 - DAY }),
    );
    const share = this.keys.ceremony.shares[i - 1]!;
    const partial: Partial = createPartial(honest ? share : share + 1n, i, env);
    const entry: MisbehaviorEntry = {
      type: 'misbehavior',
      custodian: i,
      requestId: r.entry.requestId,
      envelopeId: env.id,
      epoch: 1,
      R: bytesToHex(env.Rx),
      partial,
    };
    return this.push(entry);
  }

  revoke(w: WarrantHandle, time: number, by: 'court' | 'investigator' = 'court'): number {
    const signer = by === 'court' ? w.court : w.investigator;
    const body: RevocationEntry = { type: 'revocation', warrantId: w.warrant.id, reason: 'no longer needed', by, signer: signer.public, time, signature: '' };
    return this.push({ ...body, signature: signRecord(body, 'revocation', signer.secret) });
  }

  unseal(w: WarrantHandle, time: number, salt = w.salt): number {
    const entry: UnsealEntry = { type: 'unseal', warrantId: w.warrant.id, salt, warrant: w.warrant, time };
    return this.push(entry);
  }

  groupKey() {
    return this.keys.ceremony.commitments[0]!;
  }
}

/** Expected numbers of the clean scenario, for report tests. */
export interface CleanScenario {
  readonly log: LogBuilder;
  /** A time after every entry, before any sealedUntil that is not unsealed. */
  readonly now: number;
  readonly expected: {
    warrants: number;
    perMonth: Record<string, number>;
    perCourt: Record<string, number>;
    perAgency: Record<string, number>;
    approvals: number;
    denials: number;
    requests: number;
    envelopesDecrypted: number;
    timesToQuorum: number[];
    sealed: number;
    unsealed: number;
    overdue: number;
    revoked: number;
    misbehavior: number;
  };
}

/**
 * A clean log of five warrants: decrypted, decrypted with a blamed custodian,
 * unsealed, denied and revoked, and one still pending.
 */
export function cleanScenario(keys: Keys): CleanScenario {
  const log = new LogBuilder(keys);
  // W1, January: 3 approvals and a denial; one request of 2 envelopes.
  const w1 = log.warrant({ issuedAt: T0 + 5 * DAY });
  log.approveBy(w1, [1, 2, 3], T0 + 5 * DAY + HOUR); // quorum at +1h +120s
  log.decide(w1, 4, 'deny', T0 + 5 * DAY + 2 * HOUR);
  const r1 = log.request(w1, 2, T0 + 6 * DAY);
  log.releaseBy(r1, [1, 2, 3]);
  log.complete(r1, 2, T0 + 6 * DAY + 60);
  // W2, February, court B / agency Y: all approve; two requests; custodian 5 misbehaves once.
  const w2 = log.warrant({ court: 'court-b', agency: 'agency-y', issuedAt: T0 + 40 * DAY, maxEnvelopes: 4 });
  log.approveBy(w2, [1, 2, 3, 4, 5], T0 + 41 * DAY); // quorum at +1d +120s
  const r2 = log.request(w2, 3, T0 + 42 * DAY);
  log.releaseBy(r2, [2, 3, 4, 5]);
  log.misbehavior(r2, 5);
  log.complete(r2, 3, T0 + 42 * DAY + 60, [5]);
  const r3 = log.request(w2, 1, T0 + 43 * DAY);
  log.releaseBy(r3, [1, 2, 3]);
  log.complete(r3, 1, T0 + 43 * DAY + 60);
  // W3, February: sealed for 10 days, unsealed on time, no request.
  const w3 = log.warrant({ issuedAt: T0 + 50 * DAY, sealedFor: 10 * DAY });
  log.approveBy(w3, [3, 4, 5], T0 + 50 * DAY + 6 * HOUR); // quorum at +6h +120s
  log.unseal(w3, T0 + 61 * DAY);
  // W4, March, court B: denied by three custodians, then revoked by the court.
  const w4 = log.warrant({ court: 'court-b', issuedAt: T0 + 70 * DAY });
  log.decide(w4, 1, 'deny', T0 + 70 * DAY + HOUR);
  log.decide(w4, 2, 'deny', T0 + 70 * DAY + HOUR);
  log.decide(w4, 3, 'deny', T0 + 70 * DAY + HOUR);
  log.revoke(w4, T0 + 71 * DAY);
  // W5, March: pending, one approval.
  const w5 = log.warrant({ agency: 'agency-y', issuedAt: T0 + 80 * DAY });
  log.decide(w5, 2, 'approve', T0 + 80 * DAY + HOUR);
  return {
    log,
    now: T0 + 90 * DAY,
    expected: {
      warrants: 5,
      perMonth: { '2026-01': 1, '2026-02': 2, '2026-03': 2 },
      perCourt: { 'court-a': 3, 'court-b': 2 },
      perAgency: { 'agency-x': 3, 'agency-y': 2 },
      approvals: 3 + 5 + 3 + 1,
      denials: 1 + 3,
      requests: 3,
      envelopesDecrypted: 6,
      timesToQuorum: [HOUR + 120, DAY + 120, 6 * HOUR + 120],
      sealed: 4,
      unsealed: 1,
      overdue: 0,
      revoked: 1,
      misbehavior: 1,
    },
  };
}
