/**
 * Provider-side sealing of records (the "provider side"): one envelope
 * per (subject, category, UTC day) wrapping a random 32-byte data key; every
 * record of that group is encrypted under the data key with AES-256-GCM, its
 * associated data the envelope id, so a record cannot be moved to another
 * envelope. A warrant over 90 days of one subject costs 90 threshold
 * operations however many messages there are.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { aeadOpen, aeadSeal } from '../crypto/aead';
import { base64ToBytes, bytesToBase64, hexToBytes, utf8 } from '../crypto/bytes';
import { parseEnvelope, sealEnvelope } from '../crypto/envelope';
import type { Envelope } from '../crypto/envelope';
import type { GroupPoint } from '../crypto/group';
import { canonicalJson } from './jcs';
import { Base64, LabelSchema } from './schemas';

export const DAY_SECONDS = 86_400;

export const ProviderRecordSchema = z
  .object({
    subject: LabelSchema.shape.subject,
    category: LabelSchema.shape.category,
    time: z.number().int().min(0).max(2 ** 53 - 1),
    body: z.string().max(1_000_000),
  })
  .strict();
export type ProviderRecord = z.infer<typeof ProviderRecordSchema>;

/** One record encrypted under its group's data key. */
export const SealedRecordSchema = z.object({ nonce: Base64, ciphertext: Base64 }).strict();
export type SealedRecord = z.infer<typeof SealedRecordSchema>;

export interface SealedGroup {
  envelope: Envelope;
  envelopeId: string;
  records: SealedRecord[];
}

/** The UTC day (00:00:00) containing `time`. */
export function utcDay(time: number): number {
  return Math.floor(time / DAY_SECONDS) * DAY_SECONDS;
}

function groupKeyOf(r: ProviderRecord): string {
  return canonicalJson({ subject: r.subject, category: r.category, time: utcDay(r.time) });
}

/** Groups `records` by (subject, category, UTC day) and seals each group. */
export function sealRecords(records: readonly ProviderRecord[], groupKey: GroupPoint, epoch: number): SealedGroup[] {
  const groups = new Map<string, ProviderRecord[]>();
  for (const r of records) {
    const k = groupKeyOf(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  const out: SealedGroup[] = [];
  for (const [k, list] of groups) {
    const label = JSON.parse(k) as { subject: string; category: string; time: number };
    const dataKey = new Uint8Array(randomBytes(32));
    const envelope = sealEnvelope(dataKey, groupKey, epoch, label);
    const envelopeId = parseEnvelope(envelope).id;
    const aad = hexToBytes(envelopeId, 32);
    const sealed = list.map((r) => {
      const nonce = new Uint8Array(randomBytes(12));
      return { nonce: bytesToBase64(nonce), ciphertext: bytesToBase64(aeadSeal(dataKey, nonce, utf8(canonicalJson(r)), aad)) };
    });
    dataKey.fill(0);
    out.push({ envelope, envelopeId, records: sealed });
  }
  return out;
}

/** Opens the records of one envelope with its data key (the envelope's plaintext); throws on a bad tag. */
export function openRecords(envelopeId: string, dataKey: Uint8Array, sealed: readonly SealedRecord[]): ProviderRecord[] {
  const aad = hexToBytes(envelopeId, 32, 'envelopeId');
  return sealed.map((s, i) => {
    const plain = aeadOpen(dataKey, base64ToBytes(s.nonce, 'nonce'), base64ToBytes(s.ciphertext, 'ciphertext'), aad);
    if (!plain) throw new RangeError(`record ${i} of envelope ${envelopeId} does not open with this key`);
    return ProviderRecordSchema.parse(JSON.parse(new TextDecoder().decode(plain)));
  });
}
