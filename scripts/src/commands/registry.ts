/**
 * `custodes registry propose|sign|submit` (docs/PROTOCOL.md §4.2): build a registry
 * entry (genesis, or the next update of the coordinator's current one), collect
 * custodian signatures, and submit an update for logging. Whether an entry is
 * acceptable is the shared rule (@custodes/shared/rules), the one the
 * coordinator, the custodians and the auditors apply.
 */
import type { Command } from 'commander';
import { parsePublicKeySet, parseRecord, parseTimeText, RegistryEntrySchema, registrySignatures, signRegistry } from '@custodes/shared/records';
import type { PublicKeySet, RegistryEntry } from '@custodes/shared/records';
import { ProtocolError } from '@custodes/shared';
import { judgeGenesis, judgeRegistryUpdate, reviewers } from '@custodes/shared/rules';
import { CliError, intOption, json, readJson, readKeyFile, writeOutput } from '../io';
import { call } from '../remote';

function record<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw new CliError(err.message);
    throw err;
  }
}

function fields(spec: string, n: number, what: string): string[] {
  const parts = spec.split(',');
  if (parts.length !== n || parts.some((p) => !p)) throw new CliError(`${what} must be ${n} comma-separated fields, got '${spec}'`);
  return parts;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface GenesisInput {
  origin: string;
  logKey: string;
  /** The log's Ed25519 checkpoint key (docs/PROTOCOL.md §4.3). */
  logNoteKey: string;
  /**
   * The genesis's one epoch: the key set of a dealer ceremony (§3.1), or a
   * proposed epoch whose key the custodians make by the DKG (§3.8; each
   * custodian then lists its `hostKey`).
   */
  epoch: { publicKeySet: PublicKeySet } | { proposed: { epoch: number; threshold: number } };
  custodians: { index: number; name: string; url: string; signingKey: string; witnessKey: string; hostKey?: string }[];
  /** External witnesses (docs/PROTOCOL.md §4.3); none if absent. */
  witnesses?: { name: string; key: string; url: string }[];
  courts: { id: string; name: string; key: string }[];
  agencies: { id: string; name: string; investigators: string[] }[];
  time: number;
}

/** The unsigned genesis registry entry (sequence 0). */
export function genesisRegistry(input: GenesisInput): RegistryEntry {
  const total = input.custodians.length;
  const epoch =
    'publicKeySet' in input.epoch
      ? (({ epoch, threshold, total, groupKey, commitments }) => ({ epoch, threshold, total, groupKey, commitments }))(input.epoch.publicKeySet)
      : { epoch: input.epoch.proposed.epoch, threshold: input.epoch.proposed.threshold, total };
  return record(() =>
    parseRecord(
      RegistryEntrySchema,
      {
        type: 'registry',
        sequence: 0,
        origin: input.origin,
        logKey: input.logKey,
        logNoteKey: input.logNoteKey,
        ...(input.witnesses && input.witnesses.length > 0 ? { witnesses: input.witnesses } : {}),
        epochs: [{ ...epoch, custodians: input.custodians }],
        courts: input.courts,
        agencies: input.agencies,
        time: input.time,
        signatures: [],
      },
      'registry',
    ),
  );
}

export function registerRegistryCommands(program: Command): void {
  const reg = program.command('registry').description('registry of custodians, courts, agencies and investigators');

  reg
    .command('propose')
    .description('write an unsigned registry entry: genesis (--genesis) or the next update of the current one')
    .option('--genesis', 'build the genesis entry')
    .option('--public <file>', 'genesis: public.json from the dealer ceremony (an offline tool for tests; or --threshold for a DKG epoch)')
    .option('--threshold <t>', 'genesis: propose the epoch for a DKG (docs/PROTOCOL.md §3.8): its threshold; each --custodian then ends with its host key', intOption('threshold', 1))
    .option('--epoch <e>', 'genesis with --threshold: the proposed epoch (default 1)', intOption('epoch', 0), 1)
    .option('--origin <name>', 'genesis: the log origin (its key name)')
    .option('--log-key <hex>', "genesis: the log's x-only public key (line 1 of `custodes keygen`)")
    .option('--log-note-key <hex>', "genesis: the log's Ed25519 checkpoint key (line 2 of `custodes keygen`)")
    .option('--custodian <index,name,url,key,witnessKey[,hostKey]>', 'genesis: a custodian with its BIP340 and Ed25519 keys, and with --threshold its DKG host key (repeat for each)', collect)
    .option('--witness <name,key,url>', 'add an external witness: its note key name, Ed25519 key and add-checkpoint URL (repeatable)', collect)
    .option('--coordinator <url>', 'update: fetch the current registry from here')
    .option('--base <file>', 'update: the current registry entry from a file')
    .option('--court <id,name,key>', 'add a court (repeatable)', collect)
    .option('--agency <id,name>', 'add an agency (repeatable)', collect)
    .option('--investigator <agency,key>', "add an investigator key to an agency (repeatable)", collect)
    .option('--retire-after <epoch,time>', "retire an epoch at this time (Unix seconds or ISO 8601): the providers' retention period; kept once set (docs/PROTOCOL.md §3.10; repeatable)", collect)
    .requiredOption('--out <file>', 'proposal file')
    .action(async (opts: {
      genesis?: boolean; public?: string; threshold?: number; epoch: number; origin?: string; logKey?: string; logNoteKey?: string; custodian?: string[]; witness?: string[];
      coordinator?: string; base?: string; court?: string[]; agency?: string[]; investigator?: string[]; retireAfter?: string[]; out: string;
    }) => {
      const now = Math.floor(Date.now() / 1000);
      let entry: RegistryEntry;
      if (opts.genesis) {
        if ((opts.public === undefined) === (opts.threshold === undefined) || !opts.origin || !opts.logKey || !opts.logNoteKey || !opts.custodian?.length) {
          throw new CliError('--genesis needs one of --public (dealer) or --threshold (DKG), and --origin, --log-key, --log-note-key and every --custodian');
        }
        const dkg = opts.threshold !== undefined;
        const epoch = dkg
          ? { proposed: { epoch: opts.epoch, threshold: opts.threshold! } }
          : {
              publicKeySet: record(() => {
                const raw = readJson(opts.public!, 'public key set');
                parsePublicKeySet(raw);
                return raw as PublicKeySet;
              }),
            };
        const custodians = opts.custodian.map((c) => {
          const [index, name, url, key, witnessKey, hostKey] = fields(c, dkg ? 6 : 5, '--custodian');
          return { index: Number(index), name: name!, url: url!, signingKey: key!, witnessKey: witnessKey!, ...(dkg ? { hostKey: hostKey! } : {}) };
        });
        entry = genesisRegistry({ origin: opts.origin, logKey: opts.logKey, logNoteKey: opts.logNoteKey, epoch, custodians, courts: [], agencies: [], time: now });
      } else {
        const current = opts.base
          ? readJson(opts.base, 'registry')
          : opts.coordinator
            ? (await call<{ entry: unknown }>(opts.coordinator, 'v1/registry')).entry
            : undefined;
        if (!current) throw new CliError('an update needs --coordinator or --base (or use --genesis)');
        const base = record(() => parseRecord(RegistryEntrySchema, current, 'registry'));
        entry = { ...base, sequence: base.sequence + 1, time: now, signatures: [] };
      }
      for (const c of opts.court ?? []) {
        const [id, name, key] = fields(c, 3, '--court');
        entry.courts = [...entry.courts.filter((x) => x.id !== id), { id: id!, name: name!, key: key! }];
      }
      for (const w of opts.witness ?? []) {
        const [name, key, url] = fields(w, 3, '--witness');
        entry.witnesses = [...(entry.witnesses ?? []).filter((x) => x.name !== name), { name: name!, key: key!, url: url! }];
      }
      for (const a of opts.agency ?? []) {
        const [id, name] = fields(a, 2, '--agency');
        if (!entry.agencies.some((x) => x.id === id)) entry.agencies = [...entry.agencies, { id: id!, name: name!, investigators: [] }];
      }
      for (const i of opts.investigator ?? []) {
        const [agency, key] = fields(i, 2, '--investigator');
        const a = entry.agencies.find((x) => x.id === agency);
        if (!a) throw new CliError(`--investigator names unknown agency '${agency}'`);
        if (!a.investigators.includes(key!)) a.investigators = [...a.investigators, key!];
      }
      for (const r of opts.retireAfter ?? []) {
        const [epochText, timeText] = fields(r, 2, '--retire-after');
        const time = parseTimeText(timeText!);
        if (time === null) throw new CliError(`--retire-after: '${timeText}' is not a time (Unix seconds or ISO 8601)`);
        const e = entry.epochs.find((x) => String(x.epoch) === epochText);
        if (!e) throw new CliError(`--retire-after names epoch ${epochText}, which the registry does not list`);
        // A retireAfter is kept once set (§3.10, EPOCH_CHANGED): refused here rather than by every custodian later.
        if (e.retireAfter !== undefined && e.retireAfter !== time) throw new CliError(`epoch ${e.epoch} already retires at ${e.retireAfter}; a retireAfter is kept once set`);
        entry.epochs = entry.epochs.map((x) => (x === e ? { ...x, retireAfter: time } : x));
      }
      entry = record(() => parseRecord(RegistryEntrySchema, entry, 'registry'));
      writeOutput(opts.out, json(entry));
      process.stdout.write(`proposal (sequence ${entry.sequence}) written to ${opts.out}; each custodian signs it with \`custodes registry sign\`\n`);
    });

  reg
    .command('sign')
    .description("add a custodian's signature to a registry proposal")
    .requiredOption('--key <file>', "the custodian's signing key file")
    .requiredOption('--index <i>', 'custodian index', intOption('index'))
    .requiredOption('--in <file>', 'proposal file (updated in place unless --out)')
    .option('--out <file>', 'write the signed proposal here')
    .action((opts: { key: string; index: number; in: string; out?: string }) => {
      const key = readKeyFile(opts.key);
      const entry = record(() => parseRecord(RegistryEntrySchema, readJson(opts.in, 'registry proposal'), 'registry'));
      const quorum = reviewers(entry)!; // a parsed registry lists at least one epoch
      const me = quorum.custodians.get(opts.index);
      if (!me) throw new CliError(`custodian ${opts.index} is not in this registry's newest epoch`);
      if (me.signingKey !== key.publicKey) throw new CliError(`custodian ${opts.index}'s registered key is not this key`);
      const signed = signRegistry(entry, opts.index, key.secretKey);
      writeOutput(opts.out ?? opts.in, json(signed));
      const valid = registrySignatures(signed, quorum.custodians).filter((v) => v.verdict === 'valid').length;
      // A genesis is complete once every listed custodian signed; an update once t of the current registry did (checked at submit).
      const genesis = signed.sequence === 0 ? judgeGenesis(signed) : undefined;
      const state = genesis === undefined ? '' : genesis.ok ? '; the genesis is complete' : `; not yet a valid genesis (${genesis.message})`;
      process.stdout.write(`signed as custodian ${opts.index}; ${valid} valid signature(s) so far${state}\n`);
    });

  reg
    .command('submit')
    .description('submit a registry update signed by at least t custodians')
    .requiredOption('--coordinator <url>', 'coordinator URL')
    .requiredOption('--in <file>', 'signed proposal')
    .action(async (opts: { coordinator: string; in: string }) => {
      const entry = record(() => parseRecord(RegistryEntrySchema, readJson(opts.in, 'registry proposal'), 'registry'));
      // Judged here first by the rule the coordinator applies, so a refusal names its reason before anything is sent.
      const served = await call<{ entry: unknown }>(opts.coordinator, 'v1/registry');
      const current = record(() => parseRecord(RegistryEntrySchema, served.entry, 'registry'));
      const verdict = judgeRegistryUpdate(entry, current);
      if (!verdict.ok) throw new CliError(`${verdict.code}: ${verdict.message}`);
      const r = await call<{ index: number }>(opts.coordinator, 'v1/registry', { body: { entry } });
      process.stdout.write(`registry sequence ${entry.sequence} logged at index ${r.index}\n`);
    });
}
