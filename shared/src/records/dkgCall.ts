/**
 * The coordinator's DKG call (docs/PROTOCOL.md §3.8, §7.15): "custodian i, your
 * next step of session s of epoch e", signed by the log key (§3.5 kind
 * `dkg-call`) and carried in the `Custodes-Dkg-Call` header as
 * base64(JCS(call)), so a node authenticates it before it does any work.
 * A replay is harmless: the node's answer depends only on its replica and
 * what it signed before.
 */
import { bytesToBase64, utf8 } from '../crypto/bytes';
import { decodeSignedHeader } from './call';
import { canonicalJson } from './jcs';
import { z } from 'zod';
import { DkgCallSchema, Epoch, Hex64, UnixTime } from './schemas';
import type { DkgCall } from './schemas';
import { signRecord, verifyRecordSignature } from './signing';

export const DKG_CALL_HEADER = 'custodes-dkg-call';
const MAX_HEADER_LENGTH = 1024;

export type DkgCallBody = Omit<DkgCall, 'type' | 'signature'>;

/** Header value for a fresh call, signed with the log key. */
export function dkgCallHeader(body: DkgCallBody, logSecretKey: Uint8Array | string): string {
  const unsigned = { type: 'dkg-call' as const, ...body };
  const call = DkgCallSchema.parse({ ...unsigned, signature: signRecord(unsigned, 'dkg-call', logSecretKey) });
  return bytesToBase64(utf8(canonicalJson(call)));
}

/** Parses a header value (attacker-controlled): canonical base64 of canonical JSON passing the schema; null otherwise. */
export function decodeDkgCall(header: unknown): DkgCall | null {
  return decodeSignedHeader(header, DkgCallSchema, 'Custodes-Dkg-Call', MAX_HEADER_LENGTH);
}

// ## Starting a session (docs/PROTOCOL.md §7.15): the operator proves it holds the log key

export const DKG_START_HEADER = 'custodes-dkg-start';
export const DkgStartSchema = z.object({ type: z.literal('dkg-start'), epoch: Epoch, issuedAt: UnixTime, signature: Hex64 }).strict();
export type DkgStart = z.infer<typeof DkgStartSchema>;

export function dkgStartHeader(epoch: number, issuedAt: number, logSecretKey: Uint8Array | string): string {
  const unsigned = { type: 'dkg-start' as const, epoch, issuedAt };
  return bytesToBase64(utf8(canonicalJson({ ...unsigned, signature: signRecord(unsigned, 'dkg-start', logSecretKey) })));
}

export function decodeDkgStart(header: unknown): DkgStart | null {
  return decodeSignedHeader(header, DkgStartSchema, 'Custodes-Dkg-Start', MAX_HEADER_LENGTH);
}

export function verifyDkgStart(start: DkgStart, logKey: string): boolean {
  return verifyRecordSignature(start, 'dkg-start', start.signature, logKey);
}

/** True iff `call` is signed by `logKey`; false for anything malformed. */
export function verifyDkgCall(call: DkgCall, logKey: string): boolean {
  return verifyRecordSignature(call, 'dkg-call', call.signature, logKey);
}
