/**
 * First start of the local cluster, with no dealer (docs/PROTOCOL.md §3.8):
 * signing keys, five custodian data directories each with its own host key
 * (sealed there, never leaving it), the genesis registry proposing a 3-of-5
 * epoch over those host keys, signed by every custodian, a demo court, agency
 * and investigator, and the coordinator's data directory. Everything here is
 * offline; the key is made by the DKG once the services run (start.ts), and a
 * second start finds all of it and reuses it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { initCustodian } from '@custodes/custodian';
import { addInvestigatorToken } from '@custodes/coordinator';
import { parseRecord, RegistryEntrySchema, signRegistry } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { initCoordinatorDir } from '../commands/coordinator';
import { newKeyFile } from '../commands/keys';
import { json, readJson, writeOutput } from '../io';
import { AGENCY_ID, COURT_ID, CUSTODIANS, EPOCH, ORIGIN, THRESHOLD } from './layout';
import type { Layout, Ports } from './layout';

const CUSTODIAN_NAMES = ['court-registry', 'data-protection-authority', 'civil-liberties-ngo', 'bar-association', 'provider'];

/** The demo policy: auto-approve small warrants from the demo court; anything else waits for a person. */
export const DEMO_POLICY = { courts: [COURT_ID], categories: ['messages', 'contacts'], maxSubjects: 3, maxWindowDays: 31, maxEnvelopes: 200 };

export async function bootstrap(l: Layout, p: Ports, say: (line: string) => void): Promise<void> {
  mkdirSync(l.root, { recursive: true, mode: 0o700 });
  writeFileSync(`${l.root}/.gitignore`, '*\n');
  mkdirSync(l.identities, { recursive: true, mode: 0o700 });

  mkdirSync(l.keys, { recursive: true, mode: 0o700 });

  const write = (path: string) => {
    const k = newKeyFile();
    writeOutput(path, json(k), { secret: true });
    return k;
  };
  const logKey = write(l.logKey);
  const court = write(l.courtKey);
  const investigator = write(l.investigatorKey);
  const custodianKeys = Array.from({ length: CUSTODIANS }, (_, k) => write(l.custodianKey(k + 1)));

  const hostKeys: string[] = [];
  for (let i = 1; i <= CUSTODIANS; i++) {
    say(`custodian ${i} (${CUSTODIAN_NAMES[i - 1]}): sealed store with a fresh host key, dev unseal keys, demo policy`);
    const r = await initCustodian({
      dataDir: l.custodian(i),
      dkg: { custodian: i, epoch: EPOCH },
      keyFile: custodianKeys[i - 1],
      dev: true,
      name: CUSTODIAN_NAMES[i - 1]!,
      policy: DEMO_POLICY,
    });
    hostKeys.push(r.hostKey!);
    writeOutput(l.operatorToken(i), r.operatorToken + '\n', { secret: true });
  }

  say(`genesis registry: epoch ${EPOCH} proposed (${THRESHOLD}-of-${CUSTODIANS} over the custodians' host keys), the log key, a demo court, agency and investigator`);
  let registry: RegistryEntry = parseRecord(
    RegistryEntrySchema,
    {
      type: 'registry',
      sequence: 0,
      origin: ORIGIN,
      logKey: logKey.publicKey,
      epochs: [
        {
          epoch: EPOCH,
          threshold: THRESHOLD,
          total: CUSTODIANS,
          custodians: custodianKeys.map((k, i) => ({ index: i + 1, name: CUSTODIAN_NAMES[i]!, url: `http://127.0.0.1:${p.custodians[i]}`, signingKey: k.publicKey, hostKey: hostKeys[i]! })),
        },
      ],
      courts: [{ id: COURT_ID, name: 'Demo District Court', key: court.publicKey }],
      agencies: [{ id: AGENCY_ID, name: 'Demo Investigative Agency', investigators: [investigator.publicKey] }],
      time: Math.floor(Date.now() / 1000),
      signatures: [],
    },
    'registry',
  );
  custodianKeys.forEach((k, i) => {
    registry = signRegistry(registry, i + 1, k.secretKey);
  });
  writeOutput(l.registry, json(registry));
  writeOutput(l.policy, json(DEMO_POLICY));

  say('coordinator data directory');
  initCoordinatorDir(l.coordinator, readJson(l.registry, 'registry'), l.logKey);
  const token = addInvestigatorToken({ dataDir: l.coordinator, agency: AGENCY_ID, investigator: investigator.publicKey });
  writeOutput(l.investigatorToken, token + '\n', { secret: true });
}
