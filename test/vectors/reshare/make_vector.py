#!/usr/bin/env python3
"""Known-answer vector for resharing (docs/PROTOCOL.md §3.9), written from the spec alone.

Usage: python3 make_vector.py REFERENCE_DIR > reshare-vector.json

REFERENCE_DIR is the ChillDKG BIP's python/ folder (for secp256k1lab only:
curve arithmetic, BIP340 and tagged hashes). Nothing here imports the
TypeScript code; test/dkg/reshare-vector.test.ts reproduces every value.

Two reshares in a chain, so that both dealers and receivers sit at points
that are not their indices:
  step 1: dealer epoch 1 (3 of indices 1..5) -> epoch 2 (3 of 1, 3, 4, 5, 7), Q = {2, 3, 5}
  step 2: epoch 2 -> epoch 3 (3 of 3, 4, 7, 8), Q = {3, 5, 7} (points 2, 4, 5 of epoch 2)
plus two complaints in step 1: custodian 4 against a copy of dealer 3's
dealing with its sub-share off by one (convicts the dealer), and custodian 7
against dealer 2's honest dealing (convicts the complainer).
"""
import hashlib
import json
import sys


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    from secp256k1lab.bip340 import schnorr_sign  # noqa: E402 (path set above)
    from secp256k1lab.secp256k1 import G, GE  # noqa: E402
    from secp256k1lab.util import tagged_hash  # noqa: E402

    n = GE.ORDER

    def seed(label: str) -> bytes:
        return hashlib.sha256(("custodes/v1/vector/reshare/" + label).encode()).digest()

    def ser33(P: GE) -> bytes:
        return P.to_bytes_compressed()

    def u32(x: int) -> bytes:
        return x.to_bytes(4, "big")

    def b32(x: int) -> bytes:
        return x.to_bytes(32, "big")

    def i32(b: bytes) -> int:
        return int.from_bytes(b, "big")

    def poly(coeffs, x):
        return sum(a * pow(x, k, n) for k, a in enumerate(coeffs)) % n

    def at_point(C, q):  # sum_k q^k C_k
        acc = GE()
        for k, Ck in enumerate(C):
            acc = acc + pow(q, k, n) * Ck
        return acc

    def lagrange_at_zero(points):
        out = {}
        for p in points:
            num, den = 1, 1
            for m in points:
                if m != p:
                    num = num * m % n
                    den = den * (m - p) % n
            out[p] = num * pow(den, -1, n) % n
        return out

    def rank(indices):
        return {i: r + 1 for r, i in enumerate(sorted(indices))}

    host = {i: seed(f"host-{i}") for i in range(1, 10)}
    hostpk = {i: ser33(i32(host[i]) * G) for i in host}

    # Old epoch 1: the dealer ceremony of §3.1 with fixed coefficients.
    a = [i32(seed(f"old-a{k}")) % n for k in range(3)]
    old = {"epoch": 1, "t": 3, "shares": {i: poly(a, i) for i in range(1, 6)}}
    Y = a[0] * G

    def reshare(step, old, new_epoch, t_new, new_indices, dealers, session_hex):
        old_idx = sorted(old["shares"])
        p_of = rank(old_idx)
        q_of = rank(new_indices)
        X = {i: old["shares"][i] * G for i in old_idx}
        session = bytes.fromhex(session_hex.replace("-", ""))
        params = (
            u32(old["epoch"]) + u32(new_epoch) + session + bytes([old["t"], t_new]) + ser33(Y)
            + bytes([len(old_idx)]) + b"".join(bytes([i]) + ser33(X[i]) for i in old_idx)
            + bytes([len(new_indices)]) + b"".join(bytes([j]) + hostpk[j] for j in new_indices)
        )
        ctx = tagged_hash("custodes/v1/reshare", params)
        dealings, polys, nonces = {}, {}, {}
        for i in dealers:
            x = old["shares"][i]
            random = seed(f"random-{step}-{i}")
            sd = tagged_hash("custodes/v1/reshare seed", b32(x) + random + ctx)
            coeffs = [x] + [i32(tagged_hash("custodes/v1/reshare coeffs", sd + u32(k))) for k in range(1, t_new)]
            assert all(c < n for c in coeffs)
            secnonce = i32(tagged_hash("custodes/v1/reshare secnonce", sd))
            assert 0 < secnonce < n
            pubnonce = ser33(secnonce * G)
            C = [X[i]] + [c * G for c in coeffs[1:]]
            enc = []
            for j in new_indices:
                s = poly(coeffs, q_of[j])
                S = secnonce * GE.from_bytes_compressed(hostpk[j])
                pad = i32(tagged_hash("custodes/v1/reshare ecdh", hashlib.sha256(ser33(S)).digest() + pubnonce + hostpk[j] + u32(q_of[j]) + ctx)) % n
                enc.append((s + pad) % n)
            dealings[i] = bytes([i]) + pubnonce + b"".join(ser33(P) for P in C) + b"".join(b32(e) for e in enc)
            polys[i], nonces[i] = coeffs, pubnonce
        lam = lagrange_at_zero([p_of[i] for i in dealers])
        Cn = [GE.sum(*[lam[p_of[i]] * ((X[i]) if k == 0 else polys[i][k] * G) for i in dealers]) for k in range(t_new)]
        assert Cn[0] == Y
        new_shares, pub = {}, {}
        for j in new_indices:
            d = i32(host[j])
            x_new = 0
            for i in dealers:
                R = GE.from_bytes_compressed(nonces[i])
                pos = new_indices.index(j)
                e = i32(dealings[i][34 + 33 * t_new + 32 * pos: 34 + 33 * t_new + 32 * pos + 32])
                pad = i32(tagged_hash("custodes/v1/reshare ecdh", hashlib.sha256(ser33(d * R)).digest() + nonces[i] + hostpk[j] + u32(q_of[j]) + ctx)) % n
                s = (e - pad) % n
                C_i = [GE.from_bytes_compressed(dealings[i][34 + 33 * k: 67 + 33 * k]) for k in range(t_new)]
                assert s * G == at_point(C_i, q_of[j])
                x_new = (x_new + lam[p_of[i]] * s) % n
            assert x_new * G == at_point(Cn, q_of[j])
            new_shares[j], pub[j] = x_new, at_point(Cn, q_of[j])
        q_dealings = b"".join(dealings[i] for i in dealers)
        transcript = tagged_hash("custodes/v1/reshare transcript", ctx + bytes([len(dealers)]) + q_dealings)
        prefix = b"custodes/v1/reshare certificate".ljust(33, b"\x00")
        sigs = [schnorr_sign(prefix + u32(q_of[j] - 1) + transcript, host[j], seed(f"aux-{step}-{j}")) for j in new_indices]
        recovery = params + bytes([len(dealers)]) + q_dealings + b"".join(sigs)
        out = {
            "oldEpoch": old["epoch"], "newEpoch": new_epoch, "session": session_hex,
            "oldThreshold": old["t"], "newThreshold": t_new,
            "oldIndices": old_idx, "newIndices": new_indices, "qualified": dealers,
            "oldShares": {str(i): b32(old["shares"][i]).hex() for i in old_idx},
            "randoms": {str(i): seed(f"random-{step}-{i}").hex() for i in dealers},
            "auxRands": {str(j): seed(f"aux-{step}-{j}").hex() for j in new_indices},
            "params": params.hex(), "ctx": ctx.hex(),
            "dealings": {str(i): dealings[i].hex() for i in dealers},
            "transcript": transcript.hex(),
            "signatures": [s.hex() for s in sigs],
            "recoveryData": recovery.hex(),
            "groupKey": ser33(Y).hex(),
            "commitments": [ser33(P).hex() for P in Cn],
            "publicShares": {str(j): ser33(pub[j]).hex() for j in new_indices},
            "newShares": {str(j): b32(new_shares[j]).hex() for j in new_indices},
        }
        return out, {"epoch": new_epoch, "t": t_new, "shares": new_shares}, (params, ctx, dealings, q_of)

    step1, epoch2, (params1, ctx1, dealings1, q1) = reshare(1, old, 2, 3, [1, 3, 4, 5, 7], [2, 3, 5], "6a1f7c4e-2b3d-4e5f-8a9b-0c1d2e3f4a5b")
    step2, _, _ = reshare(2, epoch2, 3, 3, [3, 4, 7, 8], [3, 5, 7], "7b2e8d5f-3c4e-4f60-9bac-1d2e3f4a5b6c")

    def complaint(j, dealing, w):
        i = dealing[0]
        R = GE.from_bytes_compressed(dealing[1:34])
        d = i32(host[j])
        S = d * R
        A, B = w * G, w * R
        c = i32(tagged_hash("custodes/v1/reshare complaint", ctx1 + bytes([j, i]) + hostpk[j] + dealing[1:34] + ser33(S) + ser33(A) + ser33(B))) % n
        z = (w + c * d) % n
        return bytes([j, i]) + ser33(S) + b32(c) + b32(z)

    # Dealer 3 cheats custodian 4 (rank 3 in epoch 2): its encrypted sub-share + 1.
    t_new, pos4 = 3, [1, 3, 4, 5, 7].index(4)
    at = 34 + 33 * t_new + 32 * pos4
    cheat = bytearray(dealings1[3])
    cheat[at:at + 32] = b32((i32(bytes(cheat[at:at + 32])) + 1) % n)
    cheat = bytes(cheat)
    w = i32(seed("complaint-w")) % n
    complaints = [
        {"complainer": 4, "dealing": cheat.hex(), "w": b32(w).hex(), "complaint": complaint(4, cheat, w).hex(), "convicts": "dealer"},
        {"complainer": 7, "dealing": dealings1[2].hex(), "w": b32(w).hex(), "complaint": complaint(7, dealings1[2], w).hex(), "convicts": "complainer"},
    ]
    hostkeys = {str(i): {"secret": host[i].hex(), "public": hostpk[i].hex()} for i in sorted(host)}
    json.dump({"about": __doc__.strip().splitlines()[0], "hostKeys": hostkeys, "steps": [step1, step2], "complaints": complaints}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
