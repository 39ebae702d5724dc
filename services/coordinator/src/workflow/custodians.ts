/**
 * HTTP calls from the coordinator to custodian nodes (docs/PROTOCOL.md §7.8). Every
 * answer is attacker-controlled and parsed strictly here.
 */
import { z } from 'zod';
import { HttpError, requestJson } from '@custodes/shared/service';
import { ApprovalEntrySchema, PARTIALS_CALL_HEADER, PartialSchema, ReleaseEntrySchema, WitnessSizeConflictSchema } from '@custodes/shared/records';
import type { ApprovalEntry, CheckpointBundle, EnvelopeRecord, PartialRecord, PartialsCallBody, ReleaseEntry, SignedWarrant } from '@custodes/shared/records';

export type AddCheckpointAnswer =
  | { kind: 'cosigned'; line: string }
  | { kind: 'conflict'; size: number }
  | { kind: 'refused'; status: number; message: string };

/** One cosignature line (docs/PROTOCOL.md §4.3). */
const COSIGNATURE_LINE = /^\u2014 \S+ [A-Za-z0-9+/=]+\n?$/;
const withNewline = (line: string) => (line.endsWith('\n') ? line : `${line}\n`);
const CosignatureAnswer = z.object({ cosignature: z.string().regex(COSIGNATURE_LINE) }).strict();

/** Codes of a custodian's witness refusing a checkpoint (docs/PROTOCOL.md §7.10, Witness). */
const WITNESS_REFUSALS = new Set([
  'BAD_CHECKPOINT',
  'BAD_PROOF',
  'BAD_LOG_SIGNATURE',
  'UNKNOWN_LOG',
  'OLD_SIZE_MISMATCH',
  'ROOT_MISMATCH',
  'ENTRIES_MISMATCH',
  'BAD_ENTRY',
  'BAD_GENESIS',
]);

/** True if `err` is a custodian's witness refusing the checkpoint a call carried (not the call itself). */
export function witnessRefusal(err: unknown): err is HttpError {
  return err instanceof HttpError && err.status < 500 && WITNESS_REFUSALS.has(err.code);
}

/** The witness size a 409 answer to a checkpoint bundle names, if `err` is one. */
export function witnessSizeConflict(err: unknown): number | undefined {
  if (!(err instanceof HttpError) || err.status !== 409 || err.body === undefined) return undefined;
  try {
    const r = WitnessSizeConflictSchema.safeParse(JSON.parse(err.body));
    return r.success ? r.data.error.witnessSize : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST /witness/v1/add-checkpoint-bundle`: add-checkpoint with the entries it
 * adds (docs/PROTOCOL.md §4.5, Checkpoint bundles). Network errors and 5xx throw.
 */
export async function addCheckpointBundle(url: string, bundle: CheckpointBundle, timeoutMs: number, insecureHttp = false): Promise<AddCheckpointAnswer> {
  try {
    const raw = await requestJson<unknown>(`${url}/witness/v1/add-checkpoint-bundle`, { body: bundle, timeoutMs, insecureHttp });
    const r = CosignatureAnswer.safeParse(raw);
    if (!r.success) return { kind: 'refused', status: 502, message: 'not a cosignature line' };
    return { kind: 'cosigned', line: withNewline(r.data.cosignature) };
  } catch (err) {
    const size = witnessSizeConflict(err);
    if (size !== undefined) return { kind: 'conflict', size };
    if (!(err instanceof HttpError) || err.status >= 500) throw err;
    return { kind: 'refused', status: err.status, message: err.message };
  }
}

const DeliveryAnswerSchema = z
  .object({
    warrantId: z.string(),
    status: z.enum(['pending', 'approved', 'denied']),
    approval: ApprovalEntrySchema.optional(),
    cosignature: z.string().regex(COSIGNATURE_LINE).optional(),
  })
  .strict();

export interface DeliveryAnswer {
  /** The custodian's signed decision, if it decided at once (auto-approval policy) or before. */
  approval?: ApprovalEntry;
  /** Its cosignature of the bundle's checkpoint, when the delivery carried one. */
  cosignature?: string;
}

/**
 * POST /v1/warrants: 202 once checked and queued (or already known). With a
 * checkpoint bundle, the custodian first witnesses the checkpoint that logs the
 * warrant. Errors throw HttpError (a witness size conflict: see witnessSizeConflict).
 */
export async function deliverWarrant(url: string, warrant: SignedWarrant, salt: string, timeoutMs: number, checkpoint?: CheckpointBundle, insecureHttp = false): Promise<DeliveryAnswer> {
  const raw = await requestJson<unknown>(`${url}/v1/warrants`, { body: checkpoint ? { warrant, salt, checkpoint } : { warrant, salt }, timeoutMs, insecureHttp });
  const r = DeliveryAnswerSchema.safeParse(raw);
  if (!r.success || r.data.warrantId !== warrant.id) throw new HttpError(502, 'BAD_UPSTREAM', 'the custodian answered a malformed delivery receipt');
  return {
    ...(r.data.approval ? { approval: r.data.approval } : {}),
    ...(r.data.cosignature ? { cosignature: withNewline(r.data.cosignature) } : {}),
  };
}

const PartialsAnswerSchema = z
  .object({
    requestId: z.string(),
    custodian: z.number().int(),
    partials: z.array(PartialSchema),
    release: ReleaseEntrySchema,
    cosignature: z.string().regex(COSIGNATURE_LINE).optional(),
  })
  .strict();

export interface PartialsAnswer {
  custodian: number;
  partials: PartialRecord[];
  release: ReleaseEntry;
}

/**
 * Signs the authorisation of one partials call for the custodian it names
 * (docs/PROTOCOL.md §7.12, Call authorisation): the value of the `Custodes-Call`
 * header. Built by the coordinator around its log key, which never leaves it.
 */
export type CallSigner = (call: Omit<PartialsCallBody, 'issuedAt'>) => string;

/**
 * POST /v1/partials to custodian `index`, authorised by a call signed for that
 * index, this request and these envelopes (re-signed on every attempt, so a
 * retry is never stale); retries transient failures. With `checkpoint`, the
 * custodian first witnesses the checkpoint that logs the request, and the
 * answer carries its cosignature (docs/PROTOCOL.md §4.6): one exchange instead
 * of a cosigning round and then the call. Refusals throw HttpError with the
 * custodian's code (a witness size conflict: see witnessSizeConflict).
 */
export async function fetchPartials(
  url: string,
  index: number,
  requestId: string,
  envelopes: readonly EnvelopeRecord[],
  envelopeSetRoot: string,
  sign: CallSigner,
  timeoutMs: number,
  retries: number,
  insecureHttp = false,
  checkpoint?: CheckpointBundle,
): Promise<PartialsAnswer & { cosignature?: string }> {
  const headers = () => ({ [PARTIALS_CALL_HEADER]: sign({ custodian: index, requestId, envelopeCount: envelopes.length, envelopeSetRoot }) });
  const body = checkpoint ? { requestId, envelopes, checkpoint } : { requestId, envelopes };
  const raw = await requestJson<unknown>(`${url}/v1/partials`, { body, headers, timeoutMs, retries, insecureHttp });
  const r = PartialsAnswerSchema.safeParse(raw);
  if (!r.success) throw new HttpError(502, 'BAD_UPSTREAM', 'the custodian answered a malformed release');
  const answer = { custodian: r.data.custodian, partials: r.data.partials, release: r.data.release };
  return r.data.cosignature ? { ...answer, cosignature: withNewline(r.data.cosignature) } : answer;
}

/** Runs `fn` over `items` with at most `limit` in flight; settles all. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
