#!/usr/bin/env python3
"""check-protocol-v1: an independent second implementation of the
replication protocol v1 vectors in protocol-v1.txt, written from the file's
header comment and docs/protocol.md rather than from the C code: the
frontier digest chain, the libsodium KDF subkeys (BLAKE2b with salt and
personal), the CURVE server public key (SHA-512, then X25519 written out
below), the HELLO auth, whole HELLO and ERROR frames. Standard library only
(hashlib). With a second argument, the table of ERROR codes in
docs/protocol.md is read and must match the file's error_codes vector.
Usage: python3 check-protocol-v1.py [protocol-v1.txt [protocol.md]].
Exit 0 if every vector checks out, 1 otherwise."""
import hashlib
import os
import re
import struct
import sys

BLOCK = 65536                 # the frontier digest's block bound
KDF_CONTEXT = b"stoacomm"     # 8 bytes, no NUL
HELLO_DOMAIN = b"stoa-hello-v1"  # 13 bytes, no NUL
MAGIC = b"SY"
VERSION = 1
T_HELLO, T_ERROR = 1, 6
TEXT_MAX = 256
# The vectors a complete file holds: a file that lost one fails.
REQUIRED = {
    "frontier-empty", "frontier-one", "frontier-three", "frontier-gen-910",
    "frontier-gen-911", "frontier-gen-1000", "frontier-gen-1822",
    "community-counting", "hello-auth-counting", "hello-empty-store-reply",
    "error-eperm", "error-codes",
}


def b2(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def kdf(secret, subkey_id):
    """libsodium crypto_kdf_derive_from_key(out, 32, id, ctx, secret)."""
    return hashlib.blake2b(
        b"", digest_size=32, key=secret,
        salt=struct.pack("<Q", subkey_id) + bytes(8),
        person=KDF_CONTEXT + bytes(8)).digest()


P = 2 ** 255 - 19


def x25519(scalar, u):
    """RFC 7748 section 5: the Montgomery ladder."""
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + 121665 * e) % P
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def gen_triples(n):
    out = []
    for i in range(n):
        be = struct.pack(">I", i)
        out.append((b2(b"stoa-golden-author" + be), (i << 32) + i + 1,
                    b2(b"stoa-golden-head" + be)))
    return out


def frontier_digest(triples):
    """docs/protocol.md: the frontier digest. Returns (digest, blocks)."""
    d, block, in_block, blocks = bytes(32), b"", 0, []
    for author, seq, head in sorted(triples, key=lambda t: t[0]):
        block += author + struct.pack(">Q", seq) + head
        in_block += 1
        if len(block) >= BLOCK:
            d = b2(d + block)
            blocks.append(in_block)
            block, in_block = b"", 0
    d = b2(d + block)
    blocks.append(in_block)
    return d, blocks


def frame(msg_type, body):
    return MAGIC + bytes([VERSION, msg_type]) + body


from vectors import read_vectors  # noqa: E402 (tests/golden/vectors.py)


def doc_codes(path):
    """The ERROR code table of docs/protocol.md: rows `| 13 | `STOA_EPERM` |`."""
    codes = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(\d+)\s*\|\s*`STOA_(\w+)`\s*\|", line)
            if m:
                codes[m.group(2)] = int(m.group(1))
    return codes


def check(v, by_name, fail, doc):
    name, kind = v["name"], v["type"]
    hx = bytes.fromhex

    def need(cond, what):
        if not cond:
            fail.append(f"{name}: {what}")

    if kind == "frontier":
        if "generate" in v:
            triples = gen_triples(int(v["generate"]))
        else:
            triples, k = [], 0
            while f"triple.{k}" in v:
                a, s, h = v[f"triple.{k}"].split(" ")
                need(len(hx(a)) == 32 and len(hx(h)) == 32, f"triple.{k}")
                triples.append((hx(a), int(s), hx(h)))
                k += 1
        d, blocks = frontier_digest(triples)
        need(int(v["feeds"]) == len(triples), "feeds")
        need(v["blocks"] == " ".join(map(str, blocks)),
             f"blocks {blocks}, file says {v['blocks']}")
        need(hx(v["digest"]) == d, f"digest {d.hex()}")
        v["_digest"], v["_feeds"] = d, len(triples)
    elif kind == "community":
        secret = hx(v["secret"])
        need(len(secret) == 32, "secret length")
        for i in (1, 2, 3):
            need(hx(v[f"subkey{i}"]) == kdf(secret, i), f"subkey{i}")
        need(hx(v["tag"]) == kdf(secret, 3)[:16], "tag")
        sk = hashlib.sha512(kdf(secret, 1)).digest()[:32]
        pk = x25519(sk, (9).to_bytes(32, "little"))
        need(hx(v["server_pk"]) == pk, f"server_pk {pk.hex()}")
    elif kind == "hello_auth":
        secret, node = hx(v["secret"]), hx(v["node"])
        hk = kdf(secret, 2)
        need(hx(v["hello_key"]) == hk, "hello_key")
        msg = HELLO_DOMAIN + node
        need(len(msg) == 45, "auth input is not 45 bytes")
        need(hx(v["auth"]) == b2(msg, key=hk), "auth")
    elif kind == "hello":
        secret, node = hx(v["secret"]), hx(v["node"])
        f = by_name[v["frontier"]]
        auth = b2(HELLO_DOMAIN + node, key=kdf(secret, 2))
        want = frame(T_HELLO, node + auth + f["_digest"]
                     + struct.pack(">II", f["_feeds"], int(v["flags"])))
        need(len(want) == 108, "HELLO is not 108 bytes")
        need(hx(v["frame"]) == want, f"frame {want.hex()}")
    elif kind == "error":
        code, text = int(v["code"]), v["text"].encode("utf-8")
        need(0 < code <= 0xFFFF and len(text) <= TEXT_MAX, "code or text")
        want = frame(T_ERROR, struct.pack(">HH", code, len(text)) + text)
        need(hx(v["frame"]) == want, f"frame {want.hex()}")
    elif kind == "error_codes":
        codes = {}
        for item in v["codes"].split(" "):
            k, _, n = item.partition("=")
            codes[k] = int(n)
        need(sorted(codes.values()) == list(range(1, len(codes) + 1)),
             "codes are not 1..n")
        by_code = {n: k for k, n in codes.items()}
        for vv in by_name.values():
            if vv["type"] == "error":
                need(int(vv["code"]) in by_code, f"code {vv['code']} unnamed")
        need(by_code.get(13) == "EPERM" and by_code.get(5) == "EPROTO",
             "EPERM is 13 and EPROTO is 5 (docs/protocol.md)")
        if doc is not None:
            need(doc == codes, f"docs/protocol.md's table {doc} differs")
    else:
        need(False, f"unknown type {kind}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "protocol-v1.txt")
    doc = doc_codes(sys.argv[2]) if len(sys.argv) > 2 else None
    vecs = read_vectors(path)
    by_name, fail = {}, []
    for v in vecs:
        try:
            check(v, by_name, fail, doc)
        except (KeyError, ValueError) as e:
            fail.append(f"{v.get('name')}: cannot read: {e!r}")
        by_name[v["name"]] = v
    for r in sorted(REQUIRED - set(by_name)):
        fail.append(f"{r}: missing")
    # the rules themselves, on values anyone can recompute
    if b2(bytes(32)) != frontier_digest([])[0]:
        fail.append("empty frontier is not BLAKE2b-256 of 32 zero bytes")
    for f in fail:
        print("FAIL", f)
    print(f"{len(vecs)} vectors, {len(fail)} failures"
          + ("" if doc is not None else " (doc table not checked)"))
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
