/**
 * HTTP calls from the coordinator to custodian nodes (docs/SERVICES.md). Every
 * answer is attacker-controlled and parsed strictly here.
 */
import { z } from 'zod';
import { HttpError, requestJson } from '@custodes/shared/service';
import { PARTIALS_CALL_HEADER, PartialSchema, ReleaseEntrySchema } from '@custodes/shared/records';
import type { EnvelopeRecord, PartialRecord, PartialsCallBody, ReleaseEntry, SignedWarrant } from '@custodes/shared/records';

export type AddCheckpointAnswer =
  | { kind: 'cosigned'; line: string }
  | { kind: 'conflict'; size: number }
  | { kind: 'refused'; status: number; message: string };

const SIZE_BODY = /^(0|[1-9][0-9]{0,15})\n$/;

/** C2SP tlog-witness add-checkpoint. Network errors and 5xx throw. */
export async function addCheckpoint(url: string, body: string, timeoutMs: number): Promise<AddCheckpointAnswer> {
  try {
    const text = await requestJson<string>(`${url}/witness/v1/add-checkpoint`, { text: body, expectText: true, timeoutMs });
    // One cosignature line (DESIGN.md §4.3); anything else is refused.
    if (!/^\u2014 \S+ [A-Za-z0-9+/=]+\n?$/.test(text)) return { kind: 'refused', status: 502, message: 'not a cosignature line' };
    return { kind: 'cosigned', line: text.endsWith('\n') ? text : `${text}\n` };
  } catch (err) {
    if (!(err instanceof HttpError) || err.status >= 500) throw err;
    if (err.status === 409) {
      const m = SIZE_BODY.exec(err.body ?? '');
      if (m) return { kind: 'conflict', size: Number(m[1]) };
    }
    return { kind: 'refused', status: err.status, message: err.message };
  }
}

/** POST /v1/warrants: 202 once checked and queued (or already known). Errors throw HttpError. */
export async function deliverWarrant(url: string, warrant: SignedWarrant, salt: string, timeoutMs: number): Promise<void> {
  await requestJson(`${url}/v1/warrants`, { body: { warrant, salt }, timeoutMs });
}

const PartialsAnswerSchema = z
  .object({
    requestId: z.string(),
    custodian: z.number().int(),
    partials: z.array(PartialSchema),
    release: ReleaseEntrySchema,
  })
  .strict();

export interface PartialsAnswer {
  custodian: number;
  partials: PartialRecord[];
  release: ReleaseEntry;
}

/**
 * Signs the authorisation of one partials call for the custodian it names
 * (docs/SERVICES.md, Call authorisation): the value of the `Custodes-Call`
 * header. Built by the coordinator around its log key, which never leaves it.
 */
export type CallSigner = (call: Omit<PartialsCallBody, 'issuedAt'>) => string;

/**
 * POST /v1/partials to custodian `index`, authorised by a call signed for that
 * index, this request and these envelopes (re-signed on every attempt, so a
 * retry is never stale); retries transient failures. Refusals throw HttpError
 * with the custodian's code.
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
): Promise<PartialsAnswer> {
  const headers = () => ({ [PARTIALS_CALL_HEADER]: sign({ custodian: index, requestId, envelopeCount: envelopes.length, envelopeSetRoot }) });
  const raw = await requestJson<unknown>(`${url}/v1/partials`, { body: { requestId, envelopes }, headers, timeoutMs, retries });
  const r = PartialsAnswerSchema.safeParse(raw);
  if (!r.success) throw new HttpError(502, 'BAD_UPSTREAM', 'the custodian answered a malformed release');
  return { custodian: r.data.custodian, partials: r.data.partials, release: r.data.release };
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
