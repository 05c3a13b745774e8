#!/usr/bin/env python3
"""check-entries-v1: an independent second implementation of the entry format
v1 checks in entries-v1.txt, written from the file's own header comment and
sync/entry.h rather than from the C code. BLAKE2b comes from hashlib; the
Ed25519 checks (public key from seed, deterministic re-signing, verification)
need the `cryptography` package (Debian: python3-cryptography, which
tests/quickstart.sh installs for its test mode); without it they cannot run,
and that is a failure, not a pass: half the check would be missing.
Usage: python3 check-entries-v1.py [path/to/entries-v1.txt]. Exit 0 if every
vector checks out, Ed25519 included, 1 otherwise."""
import hashlib
import os
import struct
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey, Ed25519PublicKey)
    HAVE_ED25519 = True
except ImportError:
    HAVE_ED25519 = False

DOMAIN = b"stoa-entry-v1:"
MAX_PAYLOAD = 32 * 1024
checked = []  # the vectors whose Ed25519 checks ran


def b2(data):
    return hashlib.blake2b(data, digest_size=32).digest()


from vectors import read_vectors  # noqa: E402 (tests/golden/vectors.py)


def check(v, by_name, fail):
    name = v["name"]
    hx = bytes.fromhex
    seed, author = hx(v["seed"]), hx(v["author"])
    kind, seq, ts = int(v["kind"]), int(v["seq"]), int(v["timestamp"])
    prev, payload = hx(v["prev"]), v["payload"].encode("utf-8")
    header, sig = hx(v["header"]), hx(v["signature"])
    signed, eid = hx(v["signed"]), hx(v["id"])

    def need(cond, what):
        if not cond:
            fail.append(f"{name}: {what}")

    need(len(header) == 122 and len(sig) == 64 and len(signed) == 186,
         "lengths")
    need(signed == header + sig, "signed != header || signature")
    need(b2(signed) == eid, "id != BLAKE2b-256(signed)")

    if "original" in v:
        o = by_name[v["original"]]
        base = bytearray(hx(o["signed"]))
        if "flip" in v:
            off, mask = v["flip"].split()
            base[int(off)] ^= int(mask, 16)
        need(bytes(base) == signed, "derived bytes differ from original+flip")
    else:
        plen = len(payload)
        need(b2(payload) == hx(v["payload_hash"]), "payload_hash")
        want = (b"STOA" + bytes([1, kind]) + author + struct.pack(">Q", seq)
                + prev + struct.pack(">Q", ts) + struct.pack(">I", plen)
                + b2(payload))
        need(want == header, "header rebuilt from inputs differs")

    # Decode the signed bytes as a receiver would.
    need(signed[:4] == b"STOA" and signed[4] == 1, "magic/version")
    need(signed[5] == kind and signed[6:38] == author, "kind/author")
    dseq, = struct.unpack(">Q", signed[38:46])
    need(dseq == seq and seq >= 1, "seq")
    need((seq == 1) == (signed[46:78] == bytes(32)), "prev iff seq > 1")
    need(signed[46:78] == prev, "prev")
    dts, = struct.unpack(">Q", signed[78:86])
    need(dts == ts, "timestamp")
    dlen, = struct.unpack(">I", signed[86:90])
    need(dlen <= MAX_PAYLOAD, "payload length bound")
    need(signed[90:122] == hx(v["payload_hash"]), "payload_hash in header")

    pc = v["payload_check"]
    got = ("length-mismatch" if dlen != len(payload) else
           "ok" if b2(payload) == signed[90:122] else "hash-mismatch")
    need(got == pc, f"payload_check {got}, file says {pc}")

    if HAVE_ED25519:
        checked.append(name)
        sk = Ed25519PrivateKey.from_private_bytes(seed)
        pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)
        need(pk == author, "author != public key of seed")
        if "original" not in v:
            need(sk.sign(DOMAIN + header) == sig, "re-signed signature differs")
        try:
            Ed25519PublicKey.from_public_bytes(author).verify(
                signed[122:], DOMAIN + signed[:122])
            got = "ok"
        except InvalidSignature:
            got = "bad-signature"
        need(got == v["verify"], f"verify {got}, file says {v['verify']}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "entries-v1.txt")
    vecs = read_vectors(path)
    by_name, fail = {}, []
    for v in vecs:
        check(v, by_name, fail)
        by_name[v["name"]] = v
    if not HAVE_ED25519:
        fail.append("the Ed25519 checks cannot run: the python3 module "
                    "cryptography is missing (apt-get install "
                    "python3-cryptography)")
    elif len(checked) != len(vecs):
        fail.append(f"Ed25519 checks ran on {len(checked)} of "
                    f"{len(vecs)} vectors")
    for f in fail:
        print("FAIL", f)
    print(f"{len(vecs)} vectors ({len(checked)} with Ed25519), "
          f"{len(fail)} failures")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
