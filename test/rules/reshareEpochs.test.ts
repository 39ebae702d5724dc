/**
 * Epochs made by resharing (docs/PROTOCOL.md §3.9): a real reshare through
 * @custodes/shared/dkg, then judgeEpochEntry for an epoch with `reshareOf`
 * (one test per code, each breaking exactly that rule), resolveRegistry in
 * log order (a chain of reshares), and the registry rules for `reshareOf`.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex, decodePoint, encodePoint, hexToBytes, mulBase, scalarFromBytes } from '@custodes/shared/crypto';
import { registryProblems, RegistryView } from '@custodes/shared/records';
import { judgeEpochEntry, judgeRegistryUpdate, quorumOf, resolveRegistry } from '@custodes/shared/rules';
import { completeReshare, dealAll, dealerEpoch, forgeRecovery, interpolateSecret } from '../dkg/reshareFixture';
import { signAs } from './corpus';
import { e2, e3, entryOf, hostKey, hostSecrets, old, oldCommitments, p2, paramsOf, proposedListing, r2, r3, registry, SESSION, SESSION3 } from './reshareCorpus';

describe('resolveRegistry with reshares', () => {
  it('the registry is sound: reshareOf names lower listed epochs, indices may have gaps', () => {
    expect(registryProblems(registry)).toEqual([]);
  });

  it('activates epoch 2 with epoch 1’s group key and X\'_j at each custodian’s rank', () => {
    const resolved = resolveRegistry(registry, [e2]);
    const epoch2 = resolved.epochs.find((e) => e.epoch === 2)!;
    expect(epoch2.groupKey).toBe(oldCommitments[0]);
    expect(quorumOf(resolved, 2)?.threshold).toBe(3);
    const shares = new RegistryView(resolved, 0).verificationShares(2)!;
    for (const h of r2.next.holders) {
      expect(bytesToHex(encodePoint(shares.get(h.index)!))).toBe(bytesToHex(h.publicShare));
      expect(bytesToHex(encodePoint(mulBase(scalarFromBytes(h.share))))).toBe(bytesToHex(h.publicShare));
    }
  });

  it('a chain 1 → 2 → 3 resolves in one pass in log order, not in the other order', () => {
    const resolved = resolveRegistry(registry, [e2, e3]);
    expect(resolved.epochs.find((e) => e.epoch === 3)!.groupKey).toBe(oldCommitments[0]);
    expect(interpolateSecret(r3.next.holders.slice(2))).toBe(interpolateSecret(old.holders.slice(0, 3)));
    const backwards = resolveRegistry(registry, [e3, e2]);
    expect(backwards.epochs.find((e) => e.epoch === 3)!.groupKey).toBeUndefined();
    expect(backwards.epochs.find((e) => e.epoch === 2)!.groupKey).toBe(oldCommitments[0]);
  });
});

describe('judgeEpochEntry for a reshare: one test per rule', () => {
  it('accepts the reshare of the registry’s old epoch', () => {
    expect(judgeEpochEntry(e2, registry)).toMatchObject({ ok: true, keys: { groupKey: oldCommitments[0], threshold: 3 } });
  });

  it('OLD_EPOCH_NOT_ACTIVE: epoch 3 reshares epoch 2 before 2 is activated', () => {
    expect(judgeEpochEntry(e3, registry)).toMatchObject({ ok: false, code: 'OLD_EPOCH_NOT_ACTIVE' });
    expect(judgeEpochEntry(e3, resolveRegistry(registry, [e2]))).toMatchObject({ ok: true });
  });

  it('BAD_RECOVERY_DATA: a certificate signature flipped; ChillDKG data for a reshare epoch', () => {
    const bad = r2.recoveryData.slice();
    bad[bad.length - 3]! ^= 1;
    expect(judgeEpochEntry({ ...e2, recoveryData: bytesToBase64(bad) }, registry)).toMatchObject({ ok: false, code: 'BAD_RECOVERY_DATA' });
    expect(judgeEpochEntry({ ...e2, recoveryData: bytesToBase64(new Uint8Array(300)) }, registry)).toMatchObject({ ok: false, code: 'BAD_RECOVERY_DATA' });
  });

  it('BAD_RECOVERY_DATA: reshare data for an epoch without reshareOf', () => {
    const plain = { ...registry, epochs: registry.epochs.map((e) => (e.epoch === 2 ? proposedListing(2, 3, [1, 3, 4, 5]) : e)) };
    expect(judgeEpochEntry(e2, plain)).toMatchObject({ ok: false, code: 'BAD_RECOVERY_DATA' });
  });

  it('GROUP_KEY_CHANGED: dealings valid for their X_i, certified, but keyed to another Y', () => {
    const otherY = { ...p2, groupKey: encodePoint(mulBase(4242n)) };
    const forged = forgeRecovery(otherY, hostSecrets, dealAll(otherY, old, [1, 2, 4]));
    expect(judgeEpochEntry({ ...e2, recoveryData: bytesToBase64(forged) }, registry)).toMatchObject({ ok: false, code: 'GROUP_KEY_CHANGED' });
  });

  it('DEALING_CONSTANT_MISMATCH: a certified dealing whose C_{i,0} is not its dealer’s X_i', () => {
    const dealings = dealAll(p2, old, [1, 2, 4]);
    const moved = dealings[1]!.slice();
    moved.set(encodePoint(mulBase(777n)), 34); // C_{2,0}: after u8(i) ‖ pubnonce (33)
    const forged = forgeRecovery(p2, hostSecrets, [dealings[0]!, moved, dealings[2]!]);
    expect(judgeEpochEntry({ ...e2, recoveryData: bytesToBase64(forged) }, registry)).toMatchObject({ ok: false, code: 'DEALING_CONSTANT_MISMATCH' });
  });

  it('SESSION_MISMATCH', () => {
    expect(judgeEpochEntry({ ...e2, session: SESSION3 }, registry)).toMatchObject({ ok: false, code: 'SESSION_MISMATCH' });
  });

  it('OLD_EPOCH_MISMATCH: a valid reshare of another epoch 1 than the registry’s', () => {
    const stranger = dealerEpoch(1, 3, 5);
    const p = paramsOf(stranger, 2, 3, [1, 3, 4, 5], SESSION);
    const r = completeReshare(p, hostSecrets, dealAll(p, stranger, [1, 2, 3]));
    expect(judgeEpochEntry(entryOf(r.recoveryData, 2, SESSION), registry)).toMatchObject({ ok: false, code: 'OLD_EPOCH_MISMATCH' });
  });

  it('OLD_EPOCH_MISMATCH: the registry’s epoch 1, but the old threshold lowered', () => {
    const low = { ...p2, oldThreshold: 2 };
    const forged = forgeRecovery(low, hostSecrets, dealAll(low, old, [1, 2, 4]));
    expect(judgeEpochEntry(entryOf(forged, 2, SESSION), registry)).toMatchObject({ ok: false, code: 'OLD_EPOCH_MISMATCH' });
  });

  it('THRESHOLD_MISMATCH', () => {
    const t4 = { ...registry, epochs: registry.epochs.map((e) => (e.epoch === 2 ? { ...e, threshold: 4 } : e)) };
    expect(judgeEpochEntry(e2, t4)).toMatchObject({ ok: false, code: 'THRESHOLD_MISMATCH' });
  });

  it('HOST_KEYS_MISMATCH: two host keys swapped; another index set', () => {
    const swapped = {
      ...registry,
      epochs: registry.epochs.map((e) =>
        e.epoch === 2 ? { ...e, custodians: e.custodians.map((c) => ({ ...c, hostKey: hostKey(c.index === 1 ? 3 : c.index === 3 ? 1 : c.index) })) } : e,
      ),
    };
    expect(judgeEpochEntry(e2, swapped)).toMatchObject({ ok: false, code: 'HOST_KEYS_MISMATCH' });
    const moved = { ...registry, epochs: registry.epochs.map((e) => (e.epoch === 2 ? proposedListing(2, 3, [1, 3, 4, 6], 1) : e)) };
    expect(judgeEpochEntry(e2, moved)).toMatchObject({ ok: false, code: 'HOST_KEYS_MISMATCH' });
  });

  it('GROUP_KEY_MISMATCH and COMMITMENTS_MISMATCH', () => {
    expect(judgeEpochEntry({ ...e2, groupKey: e2.commitments[1]! }, registry)).toMatchObject({ ok: false, code: 'GROUP_KEY_MISMATCH' });
    expect(judgeEpochEntry({ ...e2, commitments: [e2.commitments[0]!, e2.commitments[2]!, e2.commitments[1]!] }, registry)).toMatchObject({ ok: false, code: 'COMMITMENTS_MISMATCH' });
  });

  it('NOT_PROPOSED once activated', () => {
    expect(judgeEpochEntry(e2, resolveRegistry(registry, [e2]))).toMatchObject({ ok: false, code: 'NOT_PROPOSED' });
  });
});

describe('registry rules for reshareOf', () => {
  it('reshareOf must name a lower epoch the registry lists', () => {
    const epochs = registry.epochs;
    const withSpec = (reshareOf: number) => ({ ...registry, epochs: epochs.map((e) => (e.epoch === 2 ? { ...e, reshareOf } : e)) });
    expect(registryProblems(withSpec(2))).toEqual(['proposed epoch 2: reshareOf must name a lower epoch, got 2']);
    expect(registryProblems({ ...withSpec(0) })).toEqual(['proposed epoch 2: reshareOf names epoch 0, which the registry does not list']);
  });

  it('EPOCH_CHANGED: an update cannot drop or change reshareOf of an activated reshare', () => {
    const resolved = resolveRegistry(registry, [e2]);
    const dropped = { ...registry, sequence: 1, signatures: [], epochs: registry.epochs.map((e) => (e.epoch === 2 ? proposedListing(2, 3, [1, 3, 4, 5]) : e)) };
    expect(judgeRegistryUpdate(signAs(dropped, [1, 3, 4]), resolved)).toMatchObject({ ok: false, code: 'EPOCH_CHANGED' });
    const same = { ...registry, sequence: 1, signatures: [] };
    expect(judgeRegistryUpdate(signAs(same, [1, 3, 4]), resolved)).toMatchObject({ ok: true });
  });

  it('the group key decodes to a point (sanity of the fixture)', () => {
    expect(() => decodePoint(hexToBytes(oldCommitments[0]!, 33))).not.toThrow();
    expect(oldCommitments[0]).toBe(bytesToHex(old.groupKey));
  });
});
