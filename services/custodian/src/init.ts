/**
 * `custodes custodian init`: stores the share and signing key sealed under a
 * fresh node key (docs/PROTOCOL.md §3.6) and returns the unseal keys and the operator
 * token exactly once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, ed25519PublicKey, hexToBytes, schnorrPublicKey } from '@custodes/shared/crypto';
import { KeyFileSchema, parseShareFile, ShareFileSchema } from '@custodes/shared/records';
import { makePrivateDir } from '@custodes/shared/service';
import { CustodianError } from './errors';
import { parsePolicy } from './policy';
import type { Policy } from './policy';
import { createSealedStore } from './seal';
import { openStore } from './store';

export const DB_FILE = 'custodian.db';
/** Dev mode only: the unseal keys kept beside the store so the node unseals at start. */
export const DEV_KEYS_FILE = 'dev-unseal-keys.json';

export interface InitOptions {
  dataDir: string;
  /** Parsed `share-<i>.json` (docs/PROTOCOL.md §3.1); checked against its commitments. */
  shareFile: unknown;
  /** Parsed `{ format: 'custodes.key.v1', secretKey, publicKey, noteSecretKey, notePublicKey }` (docs/PROTOCOL.md §9.3). */
  keyFile: unknown;
  unsealShares?: number;
  unsealThreshold?: number;
  dev?: boolean;
  /** If given, the genesis registry must list this node under this name. */
  name?: string;
  policy?: Policy;
}

export interface InitResult {
  custodian: number;
  epoch: number;
  publicKey: string;
  /** The Ed25519 witness key (the registry's `witnessKey`). */
  witnessKey: string;
  /** Shown once; any `unsealThreshold` of them unseal the node. */
  unsealKeys: string[];
  /** Shown once; stored only as its SHA-256. */
  operatorToken: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function initCustodian(opts: InitOptions): Promise<InitResult> {
  const { dataDir, unsealShares = 5, unsealThreshold = 3, dev = false } = opts;
  if (typeof dataDir !== 'string' || dataDir.length === 0) throw new CustodianError('BAD_OPTIONS', 'dataDir is required');
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length === 0)) throw new CustodianError('BAD_OPTIONS', 'name must be a non-empty string');
  const policy = opts.policy === undefined ? null : parsePolicy(opts.policy);

  // Validate everything before touching the disk.
  const share = parseShareFile(opts.shareFile);
  const shareFile = ShareFileSchema.parse(opts.shareFile);
  const key = KeyFileSchema.safeParse(opts.keyFile);
  if (!key.success) throw new CustodianError('BAD_KEY_FILE', 'key file must be { format: "custodes.key.v1", secretKey, publicKey }');
  if (bytesToHex(schnorrPublicKey(hexToBytes(key.data.secretKey, 32))) !== key.data.publicKey) {
    throw new CustodianError('BAD_KEY_FILE', 'key file publicKey does not match its secretKey');
  }
  const { noteSecretKey, notePublicKey } = key.data;
  if (noteSecretKey === undefined || notePublicKey === undefined) {
    throw new CustodianError('BAD_KEY_FILE', 'key file has no Ed25519 witness key (noteSecretKey, notePublicKey): an older custodes keygen wrote it; make a new one with custodes keygen');
  }
  if (bytesToHex(ed25519PublicKey(hexToBytes(noteSecretKey, 32))) !== notePublicKey) {
    throw new CustodianError('BAD_KEY_FILE', 'key file notePublicKey does not match its noteSecretKey');
  }

  // 0700, also when the directory already existed (shared/src/service/perms.ts); the store is created 0600.
  makePrivateDir(dataDir);
  const store = openStore(join(dataDir, DB_FILE));
  try {
    if (store.node()) throw new CustodianError('ALREADY_INITIALISED', `${dataDir} already holds an initialised custodian`);
    const { sealed, unsealKeys, commitments } = await createSealedStore({ signingKey: key.data.secretKey, witnessKey: noteSecretKey, shares: [shareFile] }, unsealShares, unsealThreshold);
    const operatorToken = randomBytes(32).toString('base64url');
    const devFile = join(dataDir, DEV_KEYS_FILE);
    if (dev) writeFileSync(devFile, JSON.stringify({ unsealKeys }), { mode: 0o600 });
    else if (existsSync(devFile)) throw new CustodianError('ALREADY_INITIALISED', `${dataDir} holds dev unseal keys from an earlier init`);
    store.insertNode({
      custodian: share.index,
      epoch: share.epoch,
      signingKey: key.data.publicKey,
      witnessKey: notePublicKey,
      name: opts.name ?? null,
      groupKey: shareFile.groupKey,
      commitments: shareFile.commitments,
      tokenHash: hashToken(operatorToken),
      unsealShares,
      unsealThreshold,
      dev,
      sealedNonce: sealed.nonce,
      sealedBox: sealed.box,
      policy: policy ? JSON.stringify(policy) : null,
      unsealCommitments: commitments,
    });
    return { custodian: share.index, epoch: share.epoch, publicKey: key.data.publicKey, witnessKey: notePublicKey, unsealKeys, operatorToken };
  } finally {
    store.close();
  }
}
