#!/usr/bin/env python3
"""Runs ChillDKG sessions with the BIP's Python reference, for test/dkg/python-crosscheck.test.ts.

Usage: python3 chilldkg_driver.py REFERENCE_DIR < sessions.json > results.json

REFERENCE_DIR is the BIP's python/ folder (holding chilldkg_ref and secp256k1lab).
Input: {"sessions": [{"t": int, "hostseckeys": [hex], "randoms": [hex],
        "auxRands": [hex], "cheat": null | {"from": int, "to": int}}]}
With "cheat", participant "from" adds 1 (mod n) to its encrypted share for "to" in its
pmsg1, and the driver runs the investigation instead of finishing.
Output: one object per session with every message and output as lower-case hex.
"""
import json
import sys

ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1 n


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    from chilldkg_ref import chilldkg as c  # noqa: E402 (path set above)

    def out(o):
        return {
            "secshare": None if o.secshare is None else o.secshare.hex(),
            "threshPk": o.thresh_pk.hex(),
            "pubshares": [p.hex() for p in o.pubshares],
        }

    def blame(e):
        return {"type": type(e).__name__, "participant": getattr(e, "participant_id", None), "message": str(e.args[-1]) if e.args else ""}

    results = []
    for s in json.load(sys.stdin)["sessions"]:
        seckeys = [bytes.fromhex(k) for k in s["hostseckeys"]]
        hostpubkeys = [c.hostpubkey_gen(k) for k in seckeys]
        params = c.SessionParams(hostpubkeys, s["t"])
        n = len(seckeys)
        r = {"hostpubkeys": [p.hex() for p in hostpubkeys], "paramsHash": c.params_hash(params).hex()}

        states1, pmsgs1 = [], []
        for i in range(n):
            st, pm = c.participant_step1(seckeys[i], params, bytes.fromhex(s["randoms"][i]))
            states1.append(st)
            pmsgs1.append(pm)
        cheat = s.get("cheat")
        if cheat is not None:
            # enc_shares start after com (33*t), pop (64) and pubnonce (33); share "to" += 1 mod n.
            off = 33 * s["t"] + 64 + 33 + 32 * cheat["to"]
            pm = bytearray(pmsgs1[cheat["from"]])
            share = (int.from_bytes(pm[off : off + 32], "big") + 1) % ORDER
            pm[off : off + 32] = share.to_bytes(32, "big")
            pmsgs1[cheat["from"]] = bytes(pm)
        r["pmsgs1"] = [p.hex() for p in pmsgs1]
        cstate, cmsg1 = c.coordinator_step1(pmsgs1, params)
        r["cmsg1"] = cmsg1.hex()
        r["cinvs"] = [m.hex() for m in c.coordinator_investigate(pmsgs1, params)]

        states2, pmsgs2, errors = [], [], {}
        for i in range(n):
            try:
                st, pm = c.participant_step2(seckeys[i], states1[i], cmsg1, bytes.fromhex(s["auxRands"][i]))
                states2.append(st)
                pmsgs2.append(pm)
            except c.UnknownFaultyParticipantOrCoordinatorError as e:
                try:
                    c.participant_investigate(e, bytes.fromhex(r["cinvs"][i]))
                except c.ProtocolError as blamed:
                    errors[str(i)] = blame(blamed)
        if errors:
            r["investigations"] = errors
            results.append(r)
            continue
        r["pmsgs2"] = [p.hex() for p in pmsgs2]
        cmsg2, cout, crd = c.coordinator_finalize(cstate, pmsgs2)
        r["cmsg2"] = cmsg2.hex()
        r["coordinatorOutput"] = out(cout)
        r["recoveryData"] = crd.hex()
        r["participantOutputs"] = []
        for i in range(n):
            o, rd = c.participant_finalize(states2[i], cmsg2)
            assert rd == crd
            r["participantOutputs"].append(out(o))
        r["recovered"] = [out(c.participant_recover(seckeys[i], crd)[0]) for i in range(n)]
        r["coordinatorRecovered"] = out(c.coordinator_recover(crd)[0])
        results.append(r)
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
