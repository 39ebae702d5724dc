// @ts-check
/**
 * The protocol rules the explorer applies to what it shows, ported to plain
 * browser JS (no build step) from @custodes/shared/rules, which the
 * coordinator, the custodians, the auditor and the CLI call. The same names,
 * the same order of checks, the same codes; test/rules/agreement.test.ts runs
 * this port and the services over one corpus and requires identical verdicts.
 *
 * - Epochs (shared/src/rules/epochs.ts; docs/PROTOCOL.md §3.8, §4.2): the newest
 *   epoch is the highest ACTIVE number, never the last in the array; its
 *   custodians review. A proposed epoch (no keys yet) has no quorum.
 *   Envelopes of epoch e need ≥ t_e approvals by custodians of epoch e.
 * - Registry acceptance (shared/src/rules/registry.ts): strict — any unknown,
 *   invalid or repeated signature refuses the entry; genesis signed by every
 *   listed custodian; an update by ≥ t of the newest epoch of the registry in
 *   force, same origin and log key; structure as registryProblems.
 * - Approvals and tally (shared/src/rules/approvals.ts): by a reviewer; a
 *   custodian's first decision counts, once.
 * - Status (shared/src/rules/warrantStatus.ts): revoked > expired > denied >
 *   approved > pending; sealing is a flag.
 *
 * Everything here reads attacker-controlled entries: malformed input is
 * refused (BAD_REGISTRY) or ignored, never trusted. Signature checks are async
 * (WebCrypto SHA-256).
 */
import { hexToBytes, utf8Encode } from './bytes.js';
import { isCompressedPoint, schnorrVerify, taggedHash } from './bip340.js';
import { canonicalText } from './entries.js';

/** @typedef {{ index: number, name: string, signingKey: string, witnessKey: string, url: string, hostKey?: string }} Custodian */
/** @typedef {{ name: string, key: string, url: string }} ExternalWitness */
/** @typedef {{ epoch: number, threshold: number, total: number, groupKey?: string, commitments?: string[], custodians: Custodian[], reshareOf?: number, retireAfter?: number }} Epoch */
/** @typedef {{ type: string, sequence: number, origin: string, logKey: string, logNoteKey: string, witnesses?: ExternalWitness[], epochs: Epoch[], courts: { id: string, name: string, key: string }[], agencies: { id: string, name: string, investigators: string[] }[], time: number, signatures: { custodian: number, signature: string }[] }} Registry */
/** @typedef {{ epoch: number, threshold: number, total: number, custodians: Map<number, Custodian> }} Quorum */
/** @typedef {{ ok: true, signers: number[] } | { ok: false, code: string, message: string }} Verdict */

// ## Signed records (docs/PROTOCOL.md §3.5)

/** @param {string} name */
const isSignatureField = (name) => name === 'signature' || name === 'signatures' || name.endsWith('Signature');

/**
 * BIP340 over H("custodes/v1/" + kind, JCS(record without signature fields));
 * false for anything malformed.
 * @param {Record<string, unknown>} record @param {string} kind @param {unknown} signature @param {unknown} key
 */
async function verifyRecordSignature(record, kind, signature, key) {
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) return false;
  if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) return false;
  /** @type {Record<string, unknown>} */
  const unsigned = {};
  for (const [k, v] of Object.entries(record)) if (!isSignatureField(k)) unsigned[k] = v;
  const digest = await taggedHash(`custodes/v1/${kind}`, utf8Encode(canonicalText(unsigned)));
  return schnorrVerify(hexToBytes(signature), digest, hexToBytes(key));
}

// ## Epochs (shared/src/rules/epochs.ts)

/** @param {Epoch[]} list @returns {Epoch | undefined} */
const highest = (list) => list.reduce((/** @type {Epoch | undefined} */ a, b) => (a === undefined || b.epoch > a.epoch ? b : a), undefined);

/** The newest active epoch, else the newest proposed one (docs/PROTOCOL.md §3.8). @param {Registry} registry @returns {Epoch | undefined} */
function newestEpoch(registry) {
  const epochs = Array.isArray(registry?.epochs) ? registry.epochs : [];
  return highest(epochs.filter((e) => e.groupKey !== undefined)) ?? highest(epochs);
}

/** @param {Epoch} e @returns {Quorum} */
const quorum = (e) => ({ epoch: e.epoch, threshold: e.threshold, total: e.total, custodians: new Map(e.custodians.map((c) => [c.index, c])) });

/** Undefined for an unlisted or a proposed epoch (no key yet, §3.8). @param {Registry} registry @param {number} epoch @returns {Quorum | undefined} */
function quorumOf(registry, epoch) {
  const e = (Array.isArray(registry?.epochs) ? registry.epochs : []).find((x) => x.epoch === epoch);
  if (!e || e.groupKey === undefined) return undefined;
  return quorum(e);
}

/** The newest epoch's quorum: reviewers, witnesses, signers of updates. @param {Registry} registry */
function reviewers(registry) {
  const newest = newestEpoch(registry);
  return newest && quorum(newest);
}

/** Host keys in index order: ChillDKG's session parameters (§3.8). @param {Epoch} e */
const sessionHostKeys = (e) => [...e.custodians].sort((a, b) => a.index - b.index).map((c) => c.hostKey ?? '');

// ## Registry structure (shared/src/records/registry.ts registryProblems)

/** @param {unknown} v */
const isInt = (v) => typeof v === 'number' && Number.isSafeInteger(v);

/** @param {unknown} entry @returns {string | null} why `entry` is not shaped as a registry (docs/PROTOCOL.md §4.2) */
function formProblem(entry) {
  const e = /** @type {any} */ (entry);
  if (typeof e !== 'object' || e === null || e.type !== 'registry') return 'not a registry entry';
  if (!isInt(e.sequence) || e.sequence < 0 || typeof e.origin !== 'string' || typeof e.logKey !== 'string' || typeof e.logNoteKey !== 'string') return 'malformed sequence, origin or log key';
  if (e.witnesses !== undefined && (!Array.isArray(e.witnesses) || e.witnesses.some((/** @type {any} */ w) => typeof w !== 'object' || w === null || typeof w.name !== 'string' || typeof w.key !== 'string'))) return 'malformed witnesses';
  if (!Array.isArray(e.epochs) || e.epochs.length === 0 || !Array.isArray(e.courts) || !Array.isArray(e.agencies) || !Array.isArray(e.signatures)) return 'malformed lists';
  for (const ep of e.epochs) {
    if (typeof ep !== 'object' || ep === null || !isInt(ep.epoch) || !isInt(ep.threshold) || !isInt(ep.total) || (ep.commitments !== undefined && !Array.isArray(ep.commitments)) || (ep.reshareOf !== undefined && !isInt(ep.reshareOf)) || !Array.isArray(ep.custodians)) return 'a malformed epoch';
    for (const c of ep.custodians) if (typeof c !== 'object' || c === null || !isInt(c.index) || typeof c.name !== 'string' || typeof c.signingKey !== 'string' || typeof c.witnessKey !== 'string') return 'a malformed custodian';
  }
  for (const s of e.signatures) if (typeof s !== 'object' || s === null || !isInt(s.custodian)) return 'a malformed signature';
  return null;
}

/** @param {unknown} h */
const isPoint = (h) => typeof h === 'string' && /^[0-9a-f]{66}$/.test(h) && isCompressedPoint(hexToBytes(h));

/** A proposed epoch: a distinct host key on the curve for each custodian; indices may have gaps (points are ranks, §3.1) (shared registry.ts proposedEpochProblems). @param {Epoch} e */
function proposedEpochProblems(e) {
  /** @type {string[]} */
  const problems = [];
  const hostKeys = e.custodians.map((c) => c.hostKey);
  if (hostKeys.some((k) => k === undefined)) problems.push(`proposed epoch ${e.epoch}: every custodian needs a hostKey`);
  else {
    if (new Set(hostKeys).size !== hostKeys.length) problems.push(`proposed epoch ${e.epoch}: host keys are not distinct`);
    if (!hostKeys.every(isPoint)) problems.push(`proposed epoch ${e.epoch}: a host key is not a point on secp256k1`);
  }
  return problems;
}

/** `reshareOf` names a lower epoch the registry lists, whose retireAfter it carries (shared registry.ts reshareProblems, §3.9, §3.10). @param {Registry} entry @param {Epoch} e */
function reshareProblems(entry, e) {
  if (e.reshareOf === undefined) return [];
  if (e.reshareOf >= e.epoch) return [`proposed epoch ${e.epoch}: reshareOf must name a lower epoch, got ${e.reshareOf}`];
  const source = entry.epochs.find((o) => o.epoch === e.reshareOf);
  if (!source) return [`proposed epoch ${e.epoch}: reshareOf names epoch ${e.reshareOf}, which the registry does not list`];
  // Retirement is per key (§3.10): the successor carries its source's retireAfter.
  if (source.retireAfter !== e.retireAfter) return [`epoch ${e.epoch} reshares epoch ${e.reshareOf} and must carry its retireAfter (${source.retireAfter ?? 'none'}), not ${e.retireAfter ?? 'none'}`];
  return [];
}

/** One sentence per structural problem, in the shared order; [] for a sound entry. @param {Registry} entry */
function registryProblems(entry) {
  /** @type {string[]} */
  const problems = [];
  if (new Set(entry.epochs.map((e) => e.epoch)).size !== entry.epochs.length) problems.push('epochs are not distinct');
  if (new Set(entry.courts.map((c) => c.id)).size !== entry.courts.length) problems.push('court ids are not distinct');
  if (new Set(entry.agencies.map((a) => a.id)).size !== entry.agencies.length) problems.push('agency ids are not distinct');
  /** @type {Map<number, string>} */
  const keys = new Map();
  for (const e of entry.epochs) {
    if (e.custodians.length !== e.total) problems.push(`epoch ${e.epoch} lists ${e.custodians.length} custodians but total is ${e.total}`);
    if (2 * e.threshold <= e.total || e.threshold > e.total) problems.push(`epoch ${e.epoch} breaks n/2 < t ≤ n (t=${e.threshold}, n=${e.total})`);
    if (new Set(e.custodians.map((c) => c.index)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian index`);
    if (new Set(e.custodians.map((c) => c.name)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian name`);
    for (const c of e.custodians) {
      const seen = keys.get(c.index);
      if (seen !== undefined && seen !== c.signingKey) problems.push(`custodian ${c.index} has two signing keys`);
      keys.set(c.index, c.signingKey);
    }
    problems.push(...reshareProblems(entry, e));
    if (e.commitments === undefined && e.groupKey === undefined) problems.push(...proposedEpochProblems(e));
    else if (e.commitments === undefined || e.groupKey === undefined) problems.push(`epoch ${e.epoch} has one of groupKey and commitments without the other`);
    else {
      if (e.commitments.length !== e.threshold) problems.push(`epoch ${e.epoch} has ${e.commitments.length} commitments for threshold ${e.threshold}`);
      if (e.groupKey !== e.commitments[0]) problems.push(`epoch ${e.epoch}: groupKey is not commitments[0]`);
      if (!e.commitments.every(isPoint)) problems.push(`epoch ${e.epoch}: a commitment is not a point on secp256k1`);
    }
  }
  return [...problems, ...witnessKeyProblems(entry)];
}

/** The Ed25519 note keys and witness names (shared witnessKeyProblems, docs/PROTOCOL.md §4.3). @param {Registry} entry */
function witnessKeyProblems(entry) {
  /** @type {string[]} */
  const problems = [];
  /** @type {Map<number, string>} */
  const byIndex = new Map();
  const custodianNames = new Set();
  for (const e of entry.epochs) {
    for (const c of e.custodians) {
      custodianNames.add(c.name);
      const seen = byIndex.get(c.index);
      if (seen !== undefined && seen !== c.witnessKey) problems.push(`custodian ${c.index} has two witness keys`);
      byIndex.set(c.index, c.witnessKey);
    }
  }
  const external = entry.witnesses ?? [];
  if (new Set(external.map((w) => w.name)).size !== external.length) problems.push('external witness names are not distinct');
  for (const w of external) {
    if (w.name.length === 0 || /[\s+]/u.test(w.name)) problems.push(`external witness "${w.name}" is not a valid note key name`);
    if (custodianNames.has(w.name) || w.name === entry.origin) problems.push(`external witness "${w.name}" has the name of a custodian or of the log`);
  }
  const keys = [entry.logNoteKey, ...byIndex.values(), ...external.map((w) => w.key)];
  if (new Set(keys).size !== keys.length) problems.push('the log note key and the witness keys are not distinct');
  return problems;
}

// ## Registry acceptance (shared/src/rules/registry.ts)

/** @param {string} code @param {string} message @returns {Verdict} */
const refuse = (code, message) => ({ ok: false, code, message });

/** @param {Registry} entry @param {Map<number, { signingKey: string }>} signers @returns {Promise<Verdict>} */
async function judgeSignatures(entry, signers) {
  const seen = new Set();
  for (const s of entry.signatures) {
    if (seen.has(s.custodian)) return refuse('DUPLICATE_SIGNATURE', `custodian ${s.custodian} signed registry ${entry.sequence} twice`);
    seen.add(s.custodian);
    const key = signers.get(s.custodian)?.signingKey;
    if (key === undefined) return refuse('UNKNOWN_CUSTODIAN', `registry ${entry.sequence} carries a signature by custodian ${s.custodian}, who may not sign it`);
    if (!(await verifyRecordSignature(/** @type {any} */ (entry), 'registry', s.signature, key))) {
      return refuse('BAD_SIGNATURE', `the signature by custodian ${s.custodian} on registry ${entry.sequence} does not verify`);
    }
  }
  return { ok: true, signers: entry.signatures.map((s) => s.custodian).sort((a, b) => a - b) };
}

/** @param {Registry} entry @returns {Verdict | undefined} */
function judgeShape(entry) {
  const [problem] = registryProblems(entry);
  return problem === undefined ? undefined : refuse('BAD_REGISTRY', `registry ${entry.sequence}: ${problem}`);
}

/** Genesis: sequence 0, sound, signed by every custodian it lists. @param {unknown} input @returns {Promise<Verdict>} */
async function judgeGenesis(input) {
  const form = formProblem(input);
  if (form) return refuse('BAD_REGISTRY', form);
  const entry = /** @type {Registry} */ (input);
  if (entry.sequence !== 0) return refuse('REGISTRY_SEQUENCE', `the genesis registry must have sequence 0, has ${entry.sequence}`);
  const shape = judgeShape(entry);
  if (shape) return shape;
  /** @type {Map<number, Custodian>} */
  const listed = new Map();
  for (const e of entry.epochs) for (const c of e.custodians) if (!listed.has(c.index)) listed.set(c.index, c);
  const signed = await judgeSignatures(entry, listed);
  if (!signed.ok) return signed;
  const missing = [...listed.keys()].filter((i) => !signed.signers.includes(i)).sort((a, b) => a - b);
  if (missing.length > 0) return refuse('MISSING_SIGNATURE', `the genesis registry lacks the signature of custodian ${missing.join(', ')}`);
  return signed;
}

/** An update after `current`, the registry in force. @param {unknown} input @param {Registry} current @returns {Promise<Verdict>} */
async function judgeRegistryUpdate(input, current) {
  const form = formProblem(input);
  if (form) return refuse('BAD_REGISTRY', form);
  const next = /** @type {Registry} */ (input);
  if (next.sequence !== current.sequence + 1) return refuse('REGISTRY_SEQUENCE', `registry sequence must be ${current.sequence + 1}, got ${next.sequence}`);
  if (next.origin !== current.origin) return refuse('REGISTRY_ORIGIN', 'a registry update cannot change the origin');
  if (next.logKey !== current.logKey) return refuse('REGISTRY_LOG_KEY', 'a registry update cannot change the log key');
  if (next.logNoteKey !== current.logNoteKey) return refuse('REGISTRY_LOG_KEY', 'a registry update cannot change the log note key');
  const shape = judgeShape(next);
  if (shape) return shape;
  for (const e of next.epochs) {
    const was = current.epochs.find((x) => x.epoch === e.epoch);
    if (!was || was.groupKey === undefined || e.groupKey !== undefined) continue;
    if (was.threshold !== e.threshold || was.reshareOf !== e.reshareOf || sessionHostKeys(was).join() !== sessionHostKeys(e).join()) {
      return refuse('EPOCH_CHANGED', `registry update ${next.sequence} changes the threshold, host keys or reshareOf of epoch ${e.epoch}, which a logged DKG activated`);
    }
  }
  const moved = retireAfterChange(next, current);
  if (moved) return refuse('EPOCH_CHANGED', moved);
  const q = reviewers(current);
  if (!q) return refuse('BAD_REGISTRY', 'the registry in force lists no epoch');
  const signed = await judgeSignatures(next, q.custodians);
  if (!signed.ok) return signed;
  if (signed.signers.length < q.threshold) {
    return refuse('INSUFFICIENT_SIGNATURES', `registry update ${next.sequence} has ${signed.signers.length} valid signatures from custodians of epoch ${q.epoch}; ${q.threshold} are needed`);
  }
  return signed;
}

// ## Retirement (shared/src/rules/retirement.ts, docs/PROTOCOL.md §3.10)

/** An epoch's retireAfter, kept by every update listing it once set. @param {Registry} next @param {Registry} current @returns {string | undefined} */
function retireAfterChange(next, current) {
  for (const e of next.epochs) {
    const was = current.epochs.find((x) => x.epoch === e.epoch)?.retireAfter;
    if (was !== undefined && e.retireAfter !== was) return `registry update ${next.sequence} changes the retireAfter of epoch ${e.epoch}, which is kept once set`;
  }
  return undefined;
}

/**
 * Whether a `retired` statement stands: an epoch with a retireAfter, by one of its
 * custodians, dated on or after it, signed (kind `retired`). Same checks, same order, same codes.
 * @param {Record<string, any>} entry @param {Registry} registry
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeRetired(entry, registry) {
  const e = registry.epochs.find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.retireAfter === undefined) return { ok: false, code: 'NOT_RETIRABLE', message: `epoch ${entry.epoch} has no retireAfter: it is not to be retired` };
  const c = e.custodians.find((x) => x.index === entry.custodian);
  if (!c) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${entry.epoch}` };
  if (!(entry.time >= e.retireAfter)) return { ok: false, code: 'TOO_EARLY', message: `the retirement of epoch ${entry.epoch} by custodian ${entry.custodian} is dated before its retireAfter` };
  if (!(await verifyRecordSignature(entry, 'retired', entry.signature, c.signingKey))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the retirement of epoch ${entry.epoch} by custodian ${entry.custodian} has a signature that does not verify` };
  }
  return { ok: true };
}

// ## Approvals (shared/src/rules/approvals.ts)

/**
 * By a reviewer, signed, over `commitment` if given.
 * @param {Record<string, any>} entry @param {Registry} registry @param {string} [commitment]
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeApproval(entry, registry, commitment) {
  const signer = reviewers(registry)?.custodians.get(entry.custodian);
  if (!signer) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of the newest epoch` };
  if (!(await verifyRecordSignature(entry, 'approval', entry.signature, signer.signingKey))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the ${entry.decision} by custodian ${entry.custodian} has a signature that does not verify` };
  }
  if (commitment !== undefined && entry.commitment !== commitment) {
    return { ok: false, code: 'COMMITMENT_MISMATCH', message: `custodian ${entry.custodian} decided on another commitment than the logged warrant's` };
  }
  return { ok: true };
}

// ## Revocations (shared/src/rules/revocations.ts)

/**
 * By the cover sheet's court, or a registered investigator of its agency (the
 * warrant's own if `investigator` is given), signed. The explorer reads the log
 * only, so it judges by the cover sheet (docs/PROTOCOL.md §8.1).
 * @param {Record<string, any>} entry @param {Registry} registry @param {Record<string, any>} cover @param {string} [investigator]
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeRevocation(entry, registry, cover, investigator) {
  if (entry.by === 'court') {
    if (registry.courts.find((c) => c.id === cover.court)?.key !== entry.signer) {
      return { ok: false, code: 'NOT_THE_COURT', message: `the revocation of warrant ${entry.warrantId} is not signed by its registered court ${cover.court}` };
    }
  } else {
    if (!registry.agencies.find((a) => a.id === cover.agency)?.investigators.includes(entry.signer)) {
      return { ok: false, code: 'NOT_AN_INVESTIGATOR', message: `the revocation of warrant ${entry.warrantId} is not signed by a registered investigator of agency ${cover.agency}` };
    }
    if (investigator !== undefined && entry.signer !== investigator) {
      return { ok: false, code: 'NOT_THE_INVESTIGATOR', message: `the revocation of warrant ${entry.warrantId} is signed by another investigator than the warrant's` };
    }
  }
  if (!(await verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the revocation of warrant ${entry.warrantId} has a signature that does not verify` };
  }
  return { ok: true };
}

/**
 * Each custodian's first decision among `custodians`, counted once.
 * @param {Iterable<{ custodian: number, decision: string }>} decisions @param {{ has(i: number): boolean }} custodians
 */
function tallyDecisions(decisions, custodians) {
  /** @type {Map<number, string>} */
  const first = new Map();
  for (const d of decisions) if (custodians.has(d.custodian) && !first.has(d.custodian)) first.set(d.custodian, d.decision);
  /** @param {string} which */
  const pick = (which) => [...first].filter(([, d]) => d === which).map(([c]) => c).sort((a, b) => a - b);
  return { approvers: pick('approve'), deniers: pick('deny') };
}

// ## Status and admissibility (shared/src/rules/warrantStatus.ts)

/** @param {{ approvals: number, denials: number }} counts @param {{ threshold: number, total: number }} quorum */
function decisionStatus(counts, quorum) {
  if (counts.denials > quorum.total - quorum.threshold) return 'denied';
  if (counts.approvals >= quorum.threshold) return 'approved';
  return 'pending';
}

/** @param {{ approvals: number, denials: number, revoked: boolean, expiresAt: number }} facts @param {{ threshold: number, total: number }} quorum @param {number} now */
function warrantStatus(facts, quorum, now) {
  if (facts.revoked) return 'revoked';
  if (now >= facts.expiresAt) return 'expired';
  return decisionStatus(facts, quorum);
}

/** @param {number} sealedUntil @param {boolean} unsealed @param {number} now */
function sealState(sealedUntil, unsealed, now) {
  if (unsealed) return 'unsealed';
  return now > sealedUntil ? 'overdue' : 'sealed';
}

/** @type {Record<string, { code: string, message: string }>} */
const STATUS_REFUSAL = {
  revoked: { code: 'WARRANT_REVOKED', message: 'the warrant has been revoked' },
  expired: { code: 'WARRANT_EXPIRED', message: 'the warrant has expired' },
  denied: { code: 'WARRANT_DENIED', message: 'the warrant was denied by the custodians' },
  pending: { code: 'WARRANT_NOT_APPROVED', message: 'the warrant does not yet have a quorum of approvals' },
};

/** @param {string} status @returns {{ ok: true } | { ok: false, code: string, message: string }} */
function statusAdmits(status) {
  if (status === 'approved') return { ok: true };
  const refusal = STATUS_REFUSAL[status];
  if (!refusal) throw new RangeError(`unknown warrant status ${status}`);
  return { ok: false, ...refusal };
}

/**
 * The status, then ≥ t_e approvers among each epoch's custodians, then unknown epochs.
 * @param {{ status: string, epochs: Iterable<number>, approvers: Iterable<number> }} facts @param {Registry} registry
 */
function judgeRequest(facts, registry) {
  const byStatus = statusAdmits(facts.status);
  if (!byStatus.ok) return byStatus;
  const approvers = new Set(facts.approvers);
  const epochs = [...new Set(facts.epochs)].sort((a, b) => a - b);
  for (const e of epochs) {
    const q = quorumOf(registry, e);
    if (!q) continue;
    const n = [...approvers].filter((c) => q.custodians.has(c)).length;
    if (n < q.threshold) return { ok: false, code: 'EPOCH_QUORUM', message: `epoch ${e} needs approvals from ${q.threshold} of its custodians, has ${n}` };
  }
  const unknown = epochs.find((e) => !quorumOf(registry, e));
  if (unknown !== undefined) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${unknown} is not registered` };
  return { ok: true };
}

// ## A warrant's public state, replayed from the log (docs/PROTOCOL.md §5 step 7)

/**
 * Replays decoded entries (log order) for one warrant: the registry in force
 * (each registry entry accepted only by the rules above), the cover sheet,
 * valid decisions, a valid revocation, an unsealing. Null if the warrant is
 * not logged or no genesis is accepted.
 * @param {readonly (Record<string, any> | null)[]} entries @param {string} warrantId @param {number} now
 */
async function replayWarrant(entries, warrantId, now) {
  /** @type {Registry | null} */
  let registry = null;
  /** @type {Record<string, any> | null} */
  let cover = null;
  /** @type {{ custodian: number, decision: string }[]} */
  const decisions = [];
  let revoked = false;
  let unsealed = false;
  for (const [index, e] of entries.entries()) {
    if (!e) continue;
    if (e.type === 'registry') {
      const verdict = index === 0 ? await judgeGenesis(e) : registry ? await judgeRegistryUpdate(e, registry) : null;
      if (verdict?.ok) registry = /** @type {Registry} */ (e);
    } else if (!registry || e.warrantId !== warrantId) {
      continue;
    } else if (e.type === 'warrant' && !cover) {
      cover = e;
    } else if (e.type === 'approval' && cover && (await judgeApproval(e, registry, cover.commitment)).ok) {
      decisions.push({ custodian: e.custodian, decision: e.decision });
    } else if (e.type === 'revocation' && cover && !revoked) {
      revoked = (await judgeRevocation(e, registry, cover)).ok;
    } else if (e.type === 'unseal') {
      unsealed = true; // shown, not trusted: the auditor checks the opening
    }
  }
  if (!registry || !cover) return null;
  const quorum = /** @type {Quorum} */ (reviewers(registry));
  const { approvers, deniers } = tallyDecisions(decisions, quorum.custodians);
  const status = warrantStatus({ approvals: approvers.length, denials: deniers.length, revoked, expiresAt: cover.expiresAt }, quorum, now);
  return { registry, cover, approvers, deniers, status, seal: sealState(cover.sealedUntil, unsealed, now), threshold: quorum.threshold };
}

export {
  decisionStatus,
  judgeApproval,
  judgeGenesis,
  judgeRegistryUpdate,
  judgeRequest,
  judgeRetired,
  judgeRevocation,
  newestEpoch,
  quorumOf,
  registryProblems,
  replayWarrant,
  reviewers,
  sealState,
  statusAdmits,
  tallyDecisions,
  verifyRecordSignature,
  warrantStatus,
};
