/**
 * A short narrated walk through the protocol (docs/PROTOCOL.md §3): a 3-of-5 ceremony,
 * sealing, partials from three custodians, combination, and a visible failure
 * with two. Pure library calls; no services.
 */
import {
  combineAndOpen,
  createPartial,
  dealShares,
  parseEnvelope,
  sealEnvelope,
  utf8,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import { ceremonyFiles, parsePublicKeySet, parseShareFile } from '@custodes/shared/records';

const say = (line = '') => process.stdout.write(line + '\n');

export function runProtocolDemo(): void {
  say('Custodes protocol demo (docs/PROTOCOL.md §3)');
  say('');
  say('1. Key ceremony: 3-of-5 shares of a fresh group key, with Feldman commitments.');
  const files = ceremonyFiles(dealShares(3, 5), 1);
  const keys = parsePublicKeySet(files.publicKeySet);
  const shares = files.shares.map(parseShareFile);
  say(`   group key Y = ${files.publicKeySet.groupKey}`);
  say(`   every custodian checks x_i·G = X_i: ${shares.length} of 5 shares verified`);
  say('');
  say('2. A provider seals a message to Y under a label (subject, category, day).');
  const label = { subject: 'acct:alice@example.org', category: 'messages', time: 1764115200 };
  const envelope = sealEnvelope(utf8('meet at the usual place, 9pm'), keys.groupKey, 1, label);
  const env = parseEnvelope(envelope);
  say(`   envelope id ${env.id.slice(0, 16)}…, binding proof valid: ${verifyBinding(env)}`);
  say('');
  say('3. Custodians 1, 3 and 5 each release a partial decryption with a DLEQ proof.');
  const partials = [1, 3, 5].map((i) => createPartial(shares[i - 1]!.share, i, env));
  for (const p of partials) say(`   custodian ${p.index}: D = ${p.D.slice(0, 18)}…  proof valid: ${verifyPartial(p, keys.verificationShares.get(p.index)!, env)}`);
  say('');
  say('4. The coordinator combines them (Lagrange at 0) and opens the envelope.');
  const opened = combineAndOpen(env, partials, 3, keys.verificationShares);
  say(`   plaintext: "${new TextDecoder().decode(opened.plaintext)}" (from custodians ${opened.used.join(', ')})`);
  say('');
  say('5. With only two partials the key cannot be formed:');
  try {
    combineAndOpen(env, partials.slice(0, 2), 3, keys.verificationShares);
    say('   UNEXPECTED: two partials opened the envelope');
    process.exitCode = 1;
  } catch (err) {
    say(`   refused as expected: ${(err as Error).message}`);
  }
  say('');
  say('Next: `npm test` runs the suite; `npx custodes --help` lists the CLI.');
}
