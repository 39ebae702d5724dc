/**
 * Before it signs anything, the coordinator makes sure its log is not behind
 * what the witnesses cosigned (docs/PROTOCOL.md §9.6, Backups and restores).
 *
 * A coordinator restored from an older backup has lost entries that
 * witnesses cosigned; appending from there would sign a second tree of the
 * same sizes — a fork. Every witness serves the last checkpoint it cosigned
 * (`GET /witness/v1/checkpoint`, §7.10), signed by the log key: one such
 * checkpoint larger than the stored log, or of a size the log has but with
 * another root, proves the log is not the one the witnesses saw, whoever
 * serves it. Such a coordinator refuses to start.
 */
import { bytesToHex, equalBytes, hexToBytes } from '@custodes/shared/crypto';
import { openCheckpoint } from '@custodes/shared/log';
import { requestJson } from '@custodes/shared/service';
import type { Logger } from 'pino';
import type { Registry } from './rules/registryChecks';
import { CoordinatorError } from './errors';

export interface WitnessCheckDeps {
  /** Leaves stored. */
  size: () => number;
  /** The root of the stored tree's first `size` leaves; requires size ≤ size(). */
  rootAt: (size: number) => Uint8Array;
  registry: Registry;
  custodianUrl: (index: number) => string;
  timeoutMs: number;
  /** Witnesses that must answer (a checkpoint or 404 NO_CHECKPOINT) for the check to count, e.g. n − t + 1 after a restore. */
  required: number;
  logger: Logger;
}

/** What each witness answered: its cosigned size, or why it gave none. */
export type WitnessAnswer = { custodian: number; size: number } | { custodian: number; error: string };

/**
 * Asks every registered witness for its cosigned checkpoint; throws
 * LOG_BEHIND_WITNESSES or LOG_FORKED as above, or WITNESSES_UNREACHABLE when
 * fewer than `required` answered. A checkpoint that does not verify under the
 * log key proves nothing and counts as no answer.
 */
export async function checkAgainstWitnesses(d: WitnessCheckDeps): Promise<WitnessAnswer[]> {
  const { registry } = d;
  const logKey = { name: registry.entry.origin, publicKey: hexToBytes(registry.entry.logNoteKey, 32) };
  const answers = await Promise.all(
    registry.custodians.map(async (c): Promise<WitnessAnswer> => {
      let text: string;
      try {
        text = await requestJson<string>(`${d.custodianUrl(c.index)}/witness/v1/checkpoint`, { expectText: true, timeoutMs: d.timeoutMs });
      } catch (err) {
        const status = (err as { status?: unknown }).status;
        if (status === 404) return { custodian: c.index, size: 0 }; // NO_CHECKPOINT: it has cosigned nothing
        return { custodian: c.index, error: (err as Error).message };
      }
      const opened = openCheckpoint(text, logKey);
      if (!opened) return { custodian: c.index, error: 'its checkpoint does not verify under the log key' };
      const { size, root } = opened.checkpoint;
      const stored = d.size();
      if (size > stored) {
        throw new CoordinatorError(
          'LOG_BEHIND_WITNESSES',
          `custodian ${c.index} cosigned a checkpoint of size ${size}, but this log holds ${stored} entries: ` +
            'it was restored from a backup older than what the witnesses cosigned, and would sign a fork; restore a newer backup',
        );
      }
      if (!equalBytes(d.rootAt(size), root)) {
        throw new CoordinatorError('LOG_FORKED', `custodian ${c.index} cosigned root ${bytesToHex(root)} at size ${size}, and this log has another: it is not the log the witnesses saw`);
      }
      return { custodian: c.index, size };
    }),
  );
  const answered = answers.filter((a) => 'size' in a).length;
  for (const a of answers) if ('error' in a) d.logger.warn({ custodian: a.custodian, err: a.error }, 'witness checkpoint not read at start');
  if (answered < d.required) {
    throw new CoordinatorError(
      'WITNESSES_UNREACHABLE',
      `restored from a backup: ${d.required} witnesses must confirm the log is not behind what they cosigned before it signs anything, and ${answered} answered; start it again when they are reachable`,
    );
  }
  return answers;
}
