/**
 * `custodes ceremony` (docs/PROTOCOL.md §3.1) and `custodes keygen` (BIP340 key files).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { bytesToHex, checkThreshold, dealShares, randomSecretKey, schnorrPublicKey } from '@custodes/shared/crypto';
import { ceremonyFiles } from '@custodes/shared/records';
import type { KeyFile } from '@custodes/shared/records';
import { CliError, intOption, isAbsentOrEmptyDir, json, writeOutput } from '../io';

export function newKeyFile(): KeyFile {
  const sk = randomSecretKey();
  return { format: 'custodes.key.v1', secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)) };
}

/** Runs the dealer ceremony into `out` (which must be absent or empty). */
export function runCeremony(opts: { threshold: number; custodians: number; epoch: number; out: string }): void {
  try {
    checkThreshold(opts.threshold, opts.custodians);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (opts.epoch < 0 || opts.epoch > 0xffffffff) throw new CliError('--epoch must fit in 32 bits');
  if (!isAbsentOrEmptyDir(opts.out)) throw new CliError(`${opts.out} exists and is not empty; refusing to overwrite key material`);
  mkdirSync(opts.out, { recursive: true, mode: 0o700 });
  const { publicKeySet, shares } = ceremonyFiles(dealShares(opts.threshold, opts.custodians), opts.epoch);
  writeOutput(join(opts.out, 'public.json'), json(publicKeySet));
  for (const s of shares) writeOutput(join(opts.out, `share-${s.index}.json`), json(s), { secret: true });
}

export function registerKeyCommands(program: Command): void {
  program
    .command('ceremony')
    .description('OFFLINE TOOL FOR TESTS AND VECTORS ONLY: a trusted dealer draws the group secret and writes t-of-n shares (docs/PROTOCOL.md §3.1). Real custodians make their key with no dealer: custodes coordinator dkg start (§3.8)')
    .requiredOption('--threshold <t>', 'shares needed to decrypt (more than half of n)', intOption('threshold'))
    .requiredOption('--custodians <n>', 'number of custodians (at most 255)', intOption('custodians'))
    .requiredOption('--epoch <e>', 'key epoch number', intOption('epoch'))
    .requiredOption('--out <dir>', 'output directory (must be absent or empty)')
    .action((opts: { threshold: number; custodians: number; epoch: number; out: string }) => {
      runCeremony(opts);
      process.stderr.write(`wrote ${opts.out}/public.json and ${opts.custodians} share files (mode 0600); hand each share to its custodian and destroy this copy\n`);
    });

  program
    .command('keygen')
    .description('new BIP340 signing key file { format, secretKey, publicKey } (mode 0600)')
    .requiredOption('--out <file>', 'key file to create (must not exist)')
    .action((opts: { out: string }) => {
      const key = newKeyFile();
      writeOutput(opts.out, json(key), { secret: true });
      process.stdout.write(`${key.publicKey}\n`);
    });
}
