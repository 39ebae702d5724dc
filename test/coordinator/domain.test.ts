/**
 * The coordinator's domain as pure functions (no HTTP, no SQL): the shared
 * rules' verdicts mapped to its codes (registry genesis and updates, request
 * admissibility; test/rules/ tests the rules themselves), the investigator's
 * request entry.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { parseEnvelope, decodePoint, hexToBytes, sealEnvelope, utf8 } from '@custodes/shared/crypto';
import { envelopeSetRoot, signRecord } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { checkGenesis, checkUpdate, Registry } from '../../services/coordinator/src/rules/registryChecks';
import { checkRequestEntry } from '../../services/coordinator/src/rules/requestChecks';
import { releasePlan, requireAdmissible } from '../../services/coordinator/src/rules/warrantChecks';
import { CoordinatorError } from '../../services/coordinator/src/errors';
import { multiGenesis } from '../rules/corpus';
import { ceremonyFilesPoints } from './helpers/crypto';
import { noteParty, party } from './helpers/cluster';

function code(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CoordinatorError) return err.code;
    throw err;
  }
  return undefined;
}

describe('requireAdmissible: the shared verdict as the coordinator\'s 409 codes', () => {
  it.each([
    ['approved', [1, 2, 3], [0], undefined],
    ['revoked', [1, 2, 3], [0], 'WARRANT_REVOKED'],
    ['expired', [1, 2, 3], [0], 'WARRANT_EXPIRED'],
    ['denied', [], [0], 'WARRANT_DENIED'],
    ['pending', [1, 2], [0], 'WARRANT_NOT_APPROVED'],
    ['approved', [1, 2, 3], [9], 'UNKNOWN_EPOCH'],
  ] as const)('%s, approvers %j, epochs %j → %s', (status, approvers, epochs, expected) => {
    const registry = new Registry(genesis(), 0);
    expect(code(() => requireAdmissible({ status, approvers, epochs }, registry))).toBe(expected);
  });
});

const keys = Array.from({ length: 5 }, noteParty);
const log = noteParty();

function genesis(over: Partial<RegistryEntry> = {}, signers = [1, 2, 3, 4, 5]): RegistryEntry {
  const { commitments, groupKey } = ceremonyFilesPoints(3, 5);
  const unsigned = {
    type: 'registry' as const,
    sequence: 0,
    origin: 'custodes.test/domain',
    logKey: log.publicKey,
    logNoteKey: log.notePublicKey,
    epochs: [
      {
        epoch: 0,
        threshold: 3,
        total: 5,
        groupKey,
        commitments,
        custodians: keys.map((k, i) => ({ index: i + 1, name: `c${i + 1}`, signingKey: k.publicKey, witnessKey: k.notePublicKey, url: `http://127.0.0.1:${9000 + i}` })),
      },
    ],
    courts: [],
    agencies: [],
    time: 1,
    ...over,
  };
  const signable = { ...unsigned, signatures: [] };
  return { ...signable, signatures: signers.map((i) => ({ custodian: i, signature: signRecord(signable, 'registry', keys[i - 1]!.secretKey) })) };
}

describe('registry rules', () => {
  it('accepts a genesis signed by every custodian under this log key', () => {
    expect(code(() => checkGenesis(genesis(), log.publicKey, log.notePublicKey))).toBeUndefined();
  });

  it('refuses a genesis missing a signature, under another log key, or with a bad threshold', () => {
    expect(code(() => checkGenesis(genesis({}, [1, 2, 3, 4]), log.publicKey, log.notePublicKey))).toBe('BAD_SIGNATURE');
    expect(code(() => checkGenesis(genesis(), party().publicKey, log.notePublicKey))).toBe('BAD_REGISTRY');
    expect(code(() => checkGenesis(genesis(), log.publicKey, noteParty().notePublicKey))).toBe('BAD_REGISTRY');
    const g = genesis();
    const weak = genesis({ epochs: [{ ...g.epochs[0]!, threshold: 2, commitments: g.epochs[0]!.commitments!.slice(0, 2) }] });
    expect(code(() => checkGenesis(weak, log.publicKey, log.notePublicKey))).toBe('BAD_REGISTRY');
    const forged = { ...g, signatures: g.signatures.map((s, i) => (i === 0 ? { ...s, signature: g.signatures[1]!.signature } : s)) };
    expect(code(() => checkGenesis(forged, log.publicKey, log.notePublicKey))).toBe('BAD_SIGNATURE');
  });

  it('refuses what an auditor would report as BAD_REGISTRY: a repeated custodian name or index (shared registryProblems)', () => {
    const g = genesis();
    const e = g.epochs[0]!;
    const sameName = genesis({ epochs: [{ ...e, custodians: e.custodians.map((c) => ({ ...c, name: 'same' })) }] });
    expect(code(() => checkGenesis(sameName, log.publicKey, log.notePublicKey))).toBe('BAD_REGISTRY');
    const sameIndex = genesis({ epochs: [{ ...e, custodians: e.custodians.map((c, i) => (i === 1 ? { ...c, index: 1, signingKey: e.custodians[0]!.signingKey } : c)) }] });
    expect(code(() => checkGenesis(sameIndex, log.publicKey, log.notePublicKey))).toBe('BAD_REGISTRY');
  });

  it('needs t distinct valid signatures for an update, in sequence, same origin', () => {
    const current = new Registry(genesis(), 0);
    expect(code(() => checkUpdate(genesis({ sequence: 1 }, [1, 3, 5]), current))).toBeUndefined();
    expect(code(() => checkUpdate(genesis({ sequence: 1 }, [1, 3]), current))).toBe('BAD_SIGNATURE');
    expect(code(() => checkUpdate(genesis({ sequence: 2 }, [1, 2, 3]), current))).toBe('REGISTRY_SEQUENCE');
    expect(code(() => checkUpdate(genesis({ sequence: 1, origin: 'other' }, [1, 2, 3]), current))).toBe('BAD_REGISTRY');
    const twice = genesis({ sequence: 1 }, [1, 2, 3]);
    expect(code(() => checkUpdate({ ...twice, signatures: [...twice.signatures, twice.signatures[0]!] }, current))).toBe('BAD_REGISTRY');
  });
});

describe('checkRequestEntry', () => {
  const investigator = party();
  const { groupKey } = ceremonyFilesPoints(3, 5);
  const Y = decodePoint(hexToBytes(groupKey, 33));
  const ids = [0, 1].map((k) => parseEnvelope(sealEnvelope(utf8(`m${k}`), Y, 0, { subject: 's', category: 'c', time: k })).id);
  const draft = { requestId: randomUUID(), warrantId: randomUUID(), investigator: investigator.publicKey, envelopeIds: ids, epochs: new Set([0]) };
  const entry = (over: object = {}) => {
    const unsigned = {
      type: 'decryption-request' as const,
      requestId: draft.requestId,
      warrantId: draft.warrantId,
      investigator: investigator.publicKey,
      envelopeCount: 2,
      envelopeSetRoot: envelopeSetRoot(ids),
      epochs: [0],
      time: 100,
      ...over,
    };
    return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', investigator.secretKey) };
  };

  it('accepts the entry over exactly the draft', () => {
    expect(code(() => checkRequestEntry(entry(), draft, 100))).toBeUndefined();
  });

  it.each([
    [{ requestId: randomUUID() }, 'ENTRY_MISMATCH'],
    [{ warrantId: randomUUID() }, 'ENTRY_MISMATCH'],
    [{ envelopeCount: 3 }, 'ENTRY_MISMATCH'],
    [{ envelopeSetRoot: envelopeSetRoot([...ids].reverse()) }, 'ENTRY_MISMATCH'],
    [{ epochs: [0, 1] }, 'ENTRY_MISMATCH'],
    [{ epochs: [0, 0] }, 'ENTRY_MISMATCH'],
    [{ time: 100_000 }, 'BAD_REQUEST'],
  ])('refuses %j with %s', (over, expected) => {
    expect(code(() => checkRequestEntry(entry(over), draft, 100))).toBe(expected);
  });

  it('refuses a signature by someone else and an empty draft', () => {
    const e = entry();
    expect(code(() => checkRequestEntry({ ...e, signature: signRecord(e, 'decryption-request', party().secretKey) }, draft, 100))).toBe('BAD_SIGNATURE');
    expect(code(() => checkRequestEntry(e, { ...draft, envelopeIds: [] }, 100))).toBe('NO_ENVELOPES');
  });
});

describe('releasePlan (docs/PROTOCOL.md §8.1 "Epochs and quorum", §8.2 (h))', () => {
  // Epochs 7 (newest) t = 2 of {1, 2, 6}; 3: t = 4 of {1..5}; 5: t = 3 of {1, 3, 4, 5}.
  const registry = new Registry(multiGenesis, 0);
  it('asks approvers holding a share of every requested epoch, max t_e of them', () => {
    expect(releasePlan([1, 2, 6], registry, [7])).toEqual({ candidates: [1, 2, 6], needed: 2 });
    expect(releasePlan([1, 2, 6], registry, [3])).toEqual({ candidates: [1, 2], needed: 4 });
    expect(releasePlan([1, 2, 6], registry, [3, 7])).toEqual({ candidates: [1, 2], needed: 4 });
    expect(releasePlan([1, 2, 6], registry, [5, 7])).toEqual({ candidates: [1], needed: 3 });
  });
  it('leaves no candidate for an epoch the registry does not list, and refuses no epoch', () => {
    expect(releasePlan([1, 2, 6], registry, [4]).candidates).toEqual([]);
    expect(() => releasePlan([1, 2], registry, [])).toThrow(RangeError);
  });
});
