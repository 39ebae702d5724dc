/**
 * `custodes custodian init`: stores the share and signing key sealed under a
 * fresh node key (docs/PROTOCOL.md §3.6) and returns the unseal keys and the operator
 * token exactly once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, schnorrPublicKey } from '@custodes/shared/crypto';
import { DkgError, hostpubkeyGen } from '@custodes/shared/dkg';
import { Hex32, Hex33, KeyFileSchema, parseShareFile, ShareFileSchema } from '@custodes/shared/records';
import { z } from 'zod';
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
  /** Parsed `share-<i>.json` (docs/PROTOCOL.md §3.1), checked against its commitments; or `dkg` for a node whose share comes from a DKG. */
  shareFile?: unknown;
  /** A node of a DKG epoch (docs/PROTOCOL.md §3.8): its index and the proposed epoch; its share comes from the log. */
  dkg?: { custodian: number; epoch: number };
  /** Parsed host key file (`custodes.hostkey.v1`, hostKeyFile below); generated when absent. */
  hostKeyFile?: unknown;
  /** Parsed `{ format: 'custodes.key.v1', secretKey, publicKey }`. */
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
  /** The ChillDKG host public key (Hex33) to list as `hostKey` in the registry (docs/PROTOCOL.md §3.8); null for a dealer node given none. */
  hostKey: string | null;
  /** Shown once; any `unsealThreshold` of them unseal the node. */
  unsealKeys: string[];
  /** Shown once; stored only as its SHA-256. */
  operatorToken: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

// ## Host key files (docs/PROTOCOL.md §3.8)

/** `custodes custodian dkg hostkey --out FILE`: the offline copy officers keep, as they keep the signing key file. */
export const HostKeyFileSchema = z.object({ format: z.literal('custodes.hostkey.v1'), secretKey: Hex32, hostKey: Hex33 }).strict();
export type HostKeyFile = z.infer<typeof HostKeyFileSchema>;

/** A fresh host key pair (BIP ChillDKG hostpubkey_gen; a secret key ≥ n is drawn again). */
export function newHostKeyFile(): HostKeyFile {
  for (;;) {
    const secret = new Uint8Array(randomBytes(32));
    try {
      return { format: 'custodes.hostkey.v1', secretKey: bytesToHex(secret), hostKey: bytesToHex(hostpubkeyGen(secret)) };
    } catch (err) {
      if (!(err instanceof DkgError)) throw err;
    }
  }
}

/** A host key file whose public key is that of its secret key; BAD_KEY_FILE otherwise. */
export function parseHostKeyFile(raw: unknown): HostKeyFile {
  const r = HostKeyFileSchema.safeParse(raw);
  if (!r.success) throw new CustodianError('BAD_KEY_FILE', 'host key file must be { format: "custodes.hostkey.v1", secretKey, hostKey }');
  let pub: string;
  try {
    pub = bytesToHex(hostpubkeyGen(hexToBytes(r.data.secretKey, 32)));
  } catch (err) {
    if (err instanceof DkgError) throw new CustodianError('BAD_KEY_FILE', 'host key file secretKey is out of range');
    throw err;
  }
  if (pub !== r.data.hostKey) throw new CustodianError('BAD_KEY_FILE', 'host key file hostKey does not match its secretKey');
  return r.data;
}

export async function initCustodian(opts: InitOptions): Promise<InitResult> {
  const { dataDir, unsealShares = 5, unsealThreshold = 3, dev = false } = opts;
  if (typeof dataDir !== 'string' || dataDir.length === 0) throw new CustodianError('BAD_OPTIONS', 'dataDir is required');
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length === 0)) throw new CustodianError('BAD_OPTIONS', 'name must be a non-empty string');
  const policy = opts.policy === undefined ? null : parsePolicy(opts.policy);

  // Validate everything before touching the disk.
  if ((opts.shareFile === undefined) === (opts.dkg === undefined)) throw new CustodianError('BAD_OPTIONS', 'give either a share file or a DKG index and epoch');
  const share = opts.shareFile === undefined ? undefined : parseShareFile(opts.shareFile);
  const shareFile = opts.shareFile === undefined ? undefined : ShareFileSchema.parse(opts.shareFile);
  const dkg = opts.dkg;
  if (dkg && !(Number.isInteger(dkg.custodian) && dkg.custodian >= 1 && dkg.custodian <= 255 && Number.isInteger(dkg.epoch) && dkg.epoch >= 0 && dkg.epoch <= 0xffffffff)) {
    throw new CustodianError('BAD_OPTIONS', 'the DKG index must be 1–255 and the epoch 0–2^32−1');
  }
  // A DKG node always has a host key; a dealer node gets one only if given (or later: POST /v1/operator/dkg/hostkey).
  const hostSecret = opts.hostKeyFile !== undefined ? parseHostKeyFile(opts.hostKeyFile).secretKey : dkg ? newHostKeyFile().secretKey : undefined;
  const key = KeyFileSchema.safeParse(opts.keyFile);
  if (!key.success) throw new CustodianError('BAD_KEY_FILE', 'key file must be { format: "custodes.key.v1", secretKey, publicKey }');
  if (bytesToHex(schnorrPublicKey(hexToBytes(key.data.secretKey, 32))) !== key.data.publicKey) {
    throw new CustodianError('BAD_KEY_FILE', 'key file publicKey does not match its secretKey');
  }

  // 0700, also when the directory already existed (shared/src/service/perms.ts); the store is created 0600.
  makePrivateDir(dataDir);
  const store = openStore(join(dataDir, DB_FILE));
  try {
    if (store.node()) throw new CustodianError('ALREADY_INITIALISED', `${dataDir} already holds an initialised custodian`);
    const { sealed, unsealKeys, commitments } = await createSealedStore(
      { signingKey: key.data.secretKey, shares: shareFile ? [shareFile] : [], ...(hostSecret ? { hostKey: hostSecret } : {}) },
      unsealShares,
      unsealThreshold,
    );
    const operatorToken = randomBytes(32).toString('base64url');
    const devFile = join(dataDir, DEV_KEYS_FILE);
    if (dev) writeFileSync(devFile, JSON.stringify({ unsealKeys }), { mode: 0o600 });
    else if (existsSync(devFile)) throw new CustodianError('ALREADY_INITIALISED', `${dataDir} holds dev unseal keys from an earlier init`);
    const custodian = share?.index ?? dkg!.custodian;
    const epoch = share?.epoch ?? dkg!.epoch;
    store.insertNode({
      custodian,
      epoch,
      signingKey: key.data.publicKey,
      name: opts.name ?? null,
      // A DKG node has no key until the log activates its epoch (replica.ts, dkg.ts): '' and [].
      groupKey: shareFile?.groupKey ?? '',
      commitments: shareFile?.commitments ?? [],
      tokenHash: hashToken(operatorToken),
      unsealShares,
      unsealThreshold,
      dev,
      sealedNonce: sealed.nonce,
      sealedBox: sealed.box,
      policy: policy ? JSON.stringify(policy) : null,
      unsealCommitments: commitments,
    });
    const hostKey = hostSecret === undefined ? null : bytesToHex(hostpubkeyGen(hexToBytes(hostSecret, 32)));
    return { custodian, epoch, publicKey: key.data.publicKey, hostKey, unsealKeys, operatorToken };
  } finally {
    store.close();
  }
}
