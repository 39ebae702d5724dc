/** @custodes/shared: the protocol library (docs/PROTOCOL.md §2). */
export * as crypto from './crypto/index';
export * as dkg from './dkg/index';
export * as log from './log/index';
export * as records from './records/index';
export * as rules from './rules/index';
export { CustodesError, ProtocolError, type ProtocolCode } from './errors';
