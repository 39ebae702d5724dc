/** Loads the known-answer vectors (a copy of ../shared/conformance/custodes-v1.json). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const conformance = JSON.parse(
  readFileSync(fileURLToPath(new URL('./custodes-v1.json', import.meta.url)), 'utf8'),
) as ConformanceVectors;

export interface ConformanceEnvelope {
  inputs: { r: string; nonce: string; aux: string; plaintext: string; w: Record<string, string> };
  intermediate: { rNormalised: string; Z: string; key: string; id: string };
  envelope: Record<string, unknown> & { label: { subject: string; category: string; time: number } };
  partials: Record<string, { index: number; D: string; c: string; z: string }>;
}

export interface ConformanceVectors {
  taggedHash: { tag: string; message: string; hash: string };
  ceremony: { coefficients: string[]; public: Record<string, unknown>; shares: Record<string, unknown>[] };
  label: { subject: string; category: string; time: number };
  labelJcs: string;
  labelHash: string;
  envelopes: ConformanceEnvelope[];
  lagrange: { set: number[] };
  signedRecord: {
    kind: string;
    record: Record<string, unknown>;
    secretKey: string;
    publicKey: string;
    aux: string;
    digest: string;
    signature: string;
  };
  warrantCommitment: { warrant: Record<string, unknown>; salt: string; warrantJcs: string; commitment: string };
  signedNote: Record<string, unknown>;
}
