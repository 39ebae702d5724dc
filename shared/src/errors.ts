/**
 * Typed errors with a code union (STYLE.md, after sigstore-js): every failure a
 * caller may act on carries a stable code; HTTP layers expose `{error:{code,message}}`.
 */

export class CustodesError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes raised by the protocol library (docs/PROTOCOL.md §3–§4). */
export type ProtocolCode =
  | 'BAD_INPUT' // a value is malformed (wrong type, length, encoding)
  | 'BAD_FORMAT' // a record does not match its schema
  | 'BAD_BINDING' // an envelope's binding proof fails (§3.2)
  | 'BAD_PROOF' // a DLEQ proof fails (§3.3)
  | 'BAD_SHARE' // a share does not match its Feldman commitments (§3.1)
  | 'BAD_SIGNATURE' // a record's BIP340 signature fails (§3.5)
  | 'DUPLICATE_INDEX' // the same custodian index twice in a combination
  | 'NOT_ENOUGH_PARTIALS' // fewer than t valid partials (§3.4)
  | 'DECRYPT_FAILED' // AES-GCM tag fails (§3.2)
  | 'EPOCH_MISMATCH'; // an envelope or partial names another epoch

export class ProtocolError extends CustodesError<ProtocolCode> {}
