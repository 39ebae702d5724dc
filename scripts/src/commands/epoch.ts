/**
 * `custodes epoch export`: writes `public.json` (custodes.public.v1) from what
 * the log proves (docs/PROTOCOL.md §3.8, §7.16): an export, not a
 * secret-derived file. Whoever runs it against the same log gets the same file.
 */
import type { Command } from 'commander';
import { epochFromLog, parseEpochOption } from '../epochFromLog';
import { json, writeOutput } from '../io';

export function registerEpochCommands(program: Command): void {
  const epoch = program.command('epoch').description("an epoch's public keys, as the log proves them");
  epoch
    .command('export')
    .description("verify the coordinator's log and write an epoch's public.json from the logged registry and epoch entry (no secret involved)")
    .requiredOption('--coordinator <url>', "the coordinator's base URL (public read API)")
    .option('--epoch <n>', 'the epoch (default: the newest active epoch)')
    .option('--pin-keys <file>', 'pinned log and custodian keys (custodes.pins.v1) instead of trusting the genesis on first use')
    .option('--out <file>', 'where to write public.json (default stdout)')
    .action(async (opts: { coordinator: string; epoch?: string; pinKeys?: string; out?: string }) => {
      const proven = await epochFromLog({ coordinator: opts.coordinator, epoch: parseEpochOption(opts.epoch), pinKeys: opts.pinKeys });
      writeOutput(opts.out, json(proven.publicKeySet));
      const source = proven.origin === 'dkg' ? `the DKG activated at log entry ${proven.activatedAt}` : 'the registry (dealer epoch)';
      if (opts.out !== undefined) process.stderr.write(`epoch ${proven.publicKeySet.epoch}: ${proven.publicKeySet.groupKey} from ${source}, written to ${opts.out}\n`);
    });
}
