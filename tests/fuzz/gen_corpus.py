#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/).

    python3 tests/fuzz/gen_corpus.py [--stoa PATH]

msg, entry, payload, repl and control are built from docs/protocol.md,
docs/formats.md and tests/golden/entries-v1.txt with the standard library
only; gov, zap and bundle in the compact forms of fuzz_gov.c, fuzz_zap.c and
fuzz_bundle.c. invite and keyfile need a real home: with --stoa, a throwaway home
is made in a temp dir (`stoa init`, `stoa invite`) and its key file,
community file and invite code are copied, and a second home's key file
sealed with the passphrase "fuzz" (key file v2); their secrets belong to
those throwaway homes only. Existing files are overwritten; names are stable.
"""
import argparse
import base64
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', 'golden', 'entries-v1.txt')
OUT = os.path.join(HERE, 'corpus')

HELLO_KEY = b'\x48' * 32  # fuzz_repl.c's hello key


def golden():
    vecs, cur = [], {}
    for line in open(GOLDEN, encoding='utf-8').read().split('\n'):
        if line.startswith('#'):
            continue
        if line == '':
            if cur:
                vecs.append(cur)
            cur = {}
            continue
        k, v = line.split(':', 1)
        cur[k] = v[1:] if v.startswith(' ') else v
    if cur:
        vecs.append(cur)
    for v in vecs:
        v['signed_b'] = bytes.fromhex(v['signed'])
        v['payload_b'] = v['payload'].encode('utf-8')
    return {v['name']: v for v in vecs}


def write(kind, name, data):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def hdr(t):
    return b'SY\x01' + bytes([t])


def hello(node, digest=b'\0' * 32, feeds=0, flags=0):
    auth = hashlib.blake2b(b'stoa-hello-v1' + node, key=HELLO_KEY,
                           digest_size=32).digest()
    return hdr(1) + node + auth + digest + struct.pack('>II', feeds, flags)


def frontier(triples, more=0):
    return hdr(2) + bytes([more, 0]) + struct.pack('>H', len(triples)) + \
        b''.join(a + struct.pack('>Q', s) + i for a, s, i in triples)


def want(author, frm, mx):
    return hdr(3) + author + struct.pack('>QI', frm, mx)


def entries(author, first, run):
    body = b''
    for signed, payload in run:
        if payload is None:
            body += signed + b'\xff\xff\xff\xff'
        else:
            body += signed + struct.pack('>I', len(payload)) + payload
    return hdr(4) + author + struct.pack('>QH', first, len(run)) + body


def have(author, seq, hid):
    return hdr(5) + author + struct.pack('>Q', seq) + hid


def error(code, text):
    t = text.encode()
    return hdr(6) + struct.pack('>hH', code, len(t)) + t


def frames(*fs):
    return b''.join(struct.pack('>H', len(f)) + f for f in fs)


# Ed25519 signing (RFC 8032, section 6), for entries the golden vectors do
# not hold (a fork); deterministic, so the seeds are too. main() checks it
# against every golden signature first.
ED_P = 2 ** 255 - 19
ED_Q = 2 ** 252 + 27742317777372353535851937790883648493
ED_D = -121665 * pow(121666, ED_P - 2, ED_P) % ED_P


def ed_add(a, b):
    p = ED_P
    A, B = (a[1] - a[0]) * (b[1] - b[0]) % p, (a[1] + a[0]) * (b[1] + b[0]) % p
    C, D = 2 * a[3] * b[3] * ED_D % p, 2 * a[2] * b[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def ed_mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = ed_add(acc, pt)
        pt = ed_add(pt, pt)
        s >>= 1
    return acc


def ed_base():
    p = ED_P
    y = 4 * pow(5, p - 2, p) % p
    x2 = (y * y - 1) * pow(ED_D * y * y + 1, p - 2, p)
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p:
        x = x * pow(2, (p - 1) // 4, p) % p
    if x & 1:
        x = p - x
    return (x, y, 1, x * y % p)


def ed_compress(pt):
    zi = pow(pt[2], ED_P - 2, ED_P)
    x, y = pt[0] * zi % ED_P, pt[1] * zi % ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, 'little')


def ed_sign(seed, msg):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], 'little') & ((1 << 254) - 8) | (1 << 254)
    pub = ed_compress(ed_mul(a, ed_base()))
    r = int.from_bytes(hashlib.sha512(h[32:] + msg).digest(), 'little') % ED_Q
    R = ed_compress(ed_mul(r, ed_base()))
    k = int.from_bytes(hashlib.sha512(R + pub + msg).digest(), 'little') % ED_Q
    return R + ((r + k * a) % ED_Q).to_bytes(32, 'little')


def entry(seed, author, kind, seq, prev, ts, payload):
    """The 186 signed bytes of an entry (docs/formats.md)."""
    header = b'STOA' + bytes([1, kind]) + author + struct.pack('>Q', seq) + \
        prev + struct.pack('>QI', ts, len(payload)) + \
        hashlib.blake2b(payload, digest_size=32).digest()
    return header + ed_sign(seed, b'stoa-entry-v1:' + header)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--stoa', help='a built stoa binary (invite, keyfile)')
    args = ap.parse_args()
    g = golden()
    A = bytes.fromhex(g['profile-seq1']['author'])
    B = bytes.fromhex(g['unknown-kind-200-empty-payload']['author'])
    a1, a2 = g['profile-seq1'], g['post-seq2']
    b1, b2, b3 = (g['unknown-kind-200-empty-payload'],
                  g['profile-seq2-utf8'], g['feedback-seq3'])
    ids = {n: bytes.fromhex(v['id']) for n, v in g.items()}
    for v in g.values():
        if 'original' not in v:  # the signer makes every golden entry
            hx = bytes.fromhex
            assert entry(hx(v['seed']), hx(v['author']), int(v['kind']),
                         int(v['seq']), hx(v['prev']), int(v['timestamp']),
                         v['payload_b']) == v['signed_b']

    # msg: one valid frame of each type (and a few variants).
    msgs = {
        'hello': hello(A, b'\x11' * 32, 3, 0),
        'hello-reply': hello(A, b'\x22' * 32, 0, 1),
        'frontier-1': frontier([(A, 2, ids['post-seq2'])]),
        'frontier-2-more': frontier([(B, 3, ids['feedback-seq3']),
                                     (A, 2, ids['post-seq2'])], more=1),
        'want': want(A, 1, 1000),
        'entries-0': entries(A, 3, []),
        'entries-a12': entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                                      (a2['signed_b'], a2['payload_b'])]),
        'entries-b123-erased': entries(B, 1, [(b1['signed_b'], b''),
                                              (b2['signed_b'], None),
                                              (b3['signed_b'], b3['payload_b'])]),
        'have': have(B, 3, ids['feedback-seq3']),
        'error': error(-5, 'bad frame: too short'),
        'error-empty': error(-1, ''),
        'done': hdr(7),
        'ping': hdr(8),
    }
    for n, m in msgs.items():
        write('msg', n, m)

    # entry: the 186 signed bytes, then the payload.
    for n, v in g.items():
        write('entry', n, v['signed_b'] + v['payload_b'])

    # payload: a kind byte, then the payload.
    ref = 'ab' * 32
    valid = {
        1: ['{"name":"Amara","role":"facilitator"}',
            '{"bio":"","name":"B","role":"learner","v":1}'],
        2: ['{"body":"How do I factor x^2 - 5x + 6?","title":"Factoring","topic":"algebra"}',
            '{"body":"yes","reply_to":"%s","topic":"t"}' % ref],
        3: ['{"helpful":true,"rating":5,"target":"%s"}' % ref,
            '{"comment":"thanks","helpful":false,"target":"%s"}' % ref],
        4: ['{"note":"evenings","topic":"geometry"}'],
        5: ['{"topic":"calculus"}'],
        6: ['{"target":"%s"}' % ref],
        7: ['{"goals":"","minutes":30,"notes":"Worked through the sheet","pairing":"%s","progress":"ok"}' % ref],
        8: ['{"pairing":"%s","reason":"done"}' % ref],
        9: ['{"badge":"helper","reason":"always there","to":"%s"}' % ref],
    }
    for kind, ps in valid.items():
        for i, p in enumerate(ps):
            write('payload', 'k%d-%d' % (kind, i), bytes([kind]) + p.encode())
    write('payload', 'k1-newer-v', b'\x01{"v":2,"x":[1,{"a":null}]}')
    write('payload', 'k2-nested', b'\x02{"body":"b","topic":"t","x":[[[[[[1]]]]]]}')
    write('payload', 'k200-bytes', b'\xc8\x00\xffanything')
    # governance kinds (docs/formats.md, 10..15): valid, then near-valid
    # (one rule broken each), so the fuzzer starts inside every checker
    key = 'cd' * 32
    box = 'A' * 64  # unpadded base64 of 48 bytes, the smallest box
    gov_valid = {
        10: ['{"member":"%s","role":"facilitator","seen":0}' % key,
             '{"member":"%s","reason":"steps back","replaces":["%s","%s"],'
             '"role":"learner","seen":12}' % (key, ref, 'ef' * 32),
             '{"member":"%s","replaces":[],"role":"mentor","seen":%d}'
             % (key, 2**63 - 1)],
        11: ['{"reason":"spam","target":"%s"}' % ref,
             '{"target":"%s"}' % ref],
        12: ['{"reason":"","target":"%s"}' % ref],
        13: ['{"reason":"my own","target":"%s"}' % ref],
        14: ['{"category":"spam","target":"%s"}' % ref,
             '{"category":"personal-info","sealed":[{"box":"%s","to":"%s"},'
             '{"box":"%s","to":"%s"}],"target":"%s"}'
             % (box, key, 'b' * 1430, ref, ref)],
        15: ['{"member":"%s","reason":"repeated bullying","seq":7}' % key,
             '{"member":"%s","reason":"r","seq":0}' % key],
    }
    for kind, ps in gov_valid.items():
        for i, p in enumerate(ps):
            write('payload', 'k%d-%d' % (kind, i), bytes([kind]) + p.encode())
    gov_near = {
        'k10-role-admin': (10, '{"member":"%s","role":"admin","seen":1}' % key),
        'k10-seen-negative': (10, '{"member":"%s","role":"mentor","seen":-1}'
                              % key),
        'k10-seen-missing': (10, '{"member":"%s","role":"mentor"}' % key),
        'k10-seen-2p63': (10, '{"member":"%s","role":"mentor","seen":%d}'
                          % (key, 2**63)),
        'k10-member-upper': (10, '{"member":"%s","role":"mentor","seen":1}'
                             % key.upper()),
        'k10-replaces-17': (10, '{"member":"%s","replaces":[%s],"role":'
                            '"mentor","seen":1}'
                            % (key, ','.join(['"%s"' % ref] * 17))),
        'k10-replaces-short': (10, '{"member":"%s","replaces":["%s"],"role":'
                               '"mentor","seen":1}' % (key, ref[:63])),
        'k10-replaces-object': (10, '{"member":"%s","replaces":{},"role":'
                                '"mentor","seen":1}' % key),
        'k10-reason-1025': (10, '{"member":"%s","reason":"%s","role":"mentor",'
                            '"seen":1}' % (key, 'r' * 1025)),
        'k11-target-63': (11, '{"target":"%s"}' % ref[:63]),
        'k12-reason-number': (12, '{"reason":5,"target":"%s"}' % ref),
        'k13-target-missing': (13, '{"reason":"x"}'),
        'k14-category-rude': (14, '{"category":"rude","target":"%s"}' % ref),
        'k14-box-63': (14, '{"category":"spam","sealed":[{"box":"%s","to":"%s"}]'
                       ',"target":"%s"}' % ('A' * 63, key, ref)),
        'k14-box-1431': (14, '{"category":"spam","sealed":[{"box":"%s","to":'
                         '"%s"}],"target":"%s"}' % ('A' * 1431, key, ref)),
        'k14-sealed-17': (14, '{"category":"spam","sealed":[%s],"target":"%s"}'
                          % (','.join(['{"box":"%s","to":"%s"}' % (box, key)]
                                      * 17), ref)),
        'k14-sealed-string': (14, '{"category":"spam","sealed":["%s"],'
                              '"target":"%s"}' % (box, ref)),
        'k14-sealed-no-to': (14, '{"category":"spam","sealed":[{"box":"%s"}],'
                             '"target":"%s"}' % (box, ref)),
        'k10-role-number': (10, '{"member":"%s","role":2,"seen":1}' % key),
        'k10-replaces-number': (10, '{"member":"%s","replaces":[7],"role":'
                                '"mentor","seen":1}' % key),
        'k14-target-missing': (14, '{"category":"spam"}'),
        'k14-category-number': (14, '{"category":3,"target":"%s"}' % ref),
        'k14-box-number': (14, '{"category":"spam","sealed":[{"box":64,"to":'
                           '"%s"}],"target":"%s"}' % (key, ref)),
        'k15-member-short': (15, '{"member":"%s","reason":"r","seq":1}'
                             % key[:62]),
        'k15-reason-empty': (15, '{"member":"%s","reason":"","seq":1}' % key),
        'k15-seq-missing': (15, '{"member":"%s","reason":"r"}' % key),
        'k15-seq-float': (15, '{"member":"%s","reason":"r","seq":1.0}' % key),
        'k15-newer-v': (15, '{"v":2,"member":1}'),
    }
    for n, (kind, p) in gov_near.items():
        write('payload', n, bytes([kind]) + p.encode())
    # kind 16, epoch (a rotation of the community secret): epoch 1..2^32-1,
    # check (64 hex), 1..128 seals to distinct members, each an 80-byte
    # box (107 unpadded URL-safe base64 characters); valid, then near-valid
    box80 = base64.urlsafe_b64encode(bytes(range(80))).rstrip(b'=').decode()

    def seals(n, box=box80, dup=False):
        return '[%s]' % ','.join(
            '{"box":"%s","to":"%04x%s"}'
            % (box, 0 if dup and i == n - 1 else i, key[4:])
            for i in range(n))

    def rot(sl, epoch=2, check=ref, extra=''):
        return '{"check":"%s","epoch":%s,%s"seals":%s}' % (check, epoch,
                                                            extra, sl)
    epoch_valid = [rot(seals(1)),
                   rot(seals(3), 1, extra='"reason":"removed a member",'),
                   rot(seals(128), 2**32 - 1)]
    for i, p in enumerate(epoch_valid):
        write('payload', 'k16-%d' % i, b'\x10' + p.encode())
    epoch_near = {
        'k16-seals-missing': '{"check":"%s","epoch":2}' % ref,
        'k16-seals-0': rot('[]'),
        'k16-seals-129': rot(seals(129)),
        'k16-seals-object': rot(seals(1)[1:-1]),
        'k16-to-twice': rot(seals(3, dup=True)),
        'k16-box-79': rot(seals(1, base64.urlsafe_b64encode(
            bytes(range(79))).rstrip(b'=').decode())),
        'k16-box-81': rot(seals(1, base64.urlsafe_b64encode(
            bytes(range(81))).rstrip(b'=').decode())),
        'k16-box-padded': rot(seals(1, box80 + '=')),
        'k16-box-standard': rot(seals(1, box80.replace('-', '+'))),
        'k16-check-63': rot(seals(1), check=ref[:63]),
        'k16-check-upper': rot(seals(1), check=ref.upper()),
        'k16-epoch-0': rot(seals(1), 0),
        'k16-epoch-2p32': rot(seals(1), 2**32),
        'k16-reason-1025': rot(seals(1), extra='"reason":"%s",' % ('r' * 1025)),
        'k16-newer-v': '{"seals":[],"v":2}',
    }
    for n, p in epoch_near.items():
        write('payload', n, b'\x10' + p.encode())
    for n, v in g.items():
        write('payload', 'golden-' + n, bytes([int(v['kind'])]) + v['payload_b'])

    # (frontier triples are sorted by author: B's key sorts before A's)
    assert B < A
    # repl: frame sequences (2-byte big-endian length, frame) against
    # fuzz_repl.c's store, which holds seq 1 of B.
    write('repl', 'pull', frames(
        hello(A, b'\x33' * 32, 2),
        frontier([(B, 3, ids['feedback-seq3']), (A, 2, ids['post-seq2'])]),
        entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                       (a2['signed_b'], a2['payload_b'])]),
        entries(B, 1, [(b1['signed_b'], b''), (b2['signed_b'], b2['payload_b']),
                       (b3['signed_b'], b3['payload_b'])]),
        hdr(7)))
    write('repl', 'serve', frames(
        hello(A, b'\x44' * 32, 0),
        want(B, 1, 10), want(A, 1, 1), have(B, 3, ids['feedback-seq3']),
        entries(B, 2, [(b2['signed_b'], None), (b3['signed_b'], b3['payload_b'])]),
        hdr(8), hdr(7)))
    write('repl', 'restart', frames(
        hello(A, b'\x55' * 32, 1),
        frontier([(B, 1, ids['unknown-kind-200-empty-payload'])], more=1),
        frontier([(A, 1, ids['profile-seq1'])]),
        hello(A, b'\x66' * 32, 1, 1),
        entries(A, 1, [(a1['signed_b'], a1['payload_b'])]),
        error(-5, 'bye')))
    write('repl', 'fork-and-forgery', frames(
        hello(A, b'\x77' * 32, 1),
        have(A, 2, ids['post-seq2']),
        entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                       (g['forgery']['signed_b'], a2['payload_b'])]),
        entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                       (a2['signed_b'], g['tampered-payload']['payload_b'])]),
        b'garbage', hdr(7)))
    write('repl', 'unauthenticated', frames(want(B, 1, 1), hdr(7)))
    # Refusals (docs/protocol.md): entries marked erased (new ones, after
    # a held one, a held one) refuse their runs, each a strike; then an
    # honest run is still taken.
    write('repl', 'erased-refused', frames(
        hello(A, b'\x88' * 32, 1),
        entries(B, 2, [(b2['signed_b'], None),
                       (b3['signed_b'], b3['payload_b'])]),
        entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                       (a2['signed_b'], None)]),
        entries(A, 1, [(a1['signed_b'], a1['payload_b']),
                       (a2['signed_b'], a2['payload_b'])]),
        entries(B, 1, [(b1['signed_b'], None)]),
        hdr(7)))
    # The same fork proof (another seq 1 of B, which the store holds),
    # unasked, again and again: recorded once, then strikes and a drop.
    fork = entry(bytes.fromhex(b1['seed']), B, 200, 1, b'\0' * 32,
                 int(b1['timestamp']) + 1, b'fork')
    write('repl', 'fork-replay', frames(
        hello(A, b'\x99' * 32, 0),
        *[entries(B, 1, [(fork, b'fork')])] * 4))
    # WANTs far beyond the window (the harness's peer reads everything,
    # so they are answered at once) and a HELLO storm until the drop.
    write('repl', 'want-flood', frames(
        hello(A, b'\xaa' * 32, 0),
        *[want(B, 1 + i % 2, 1000) for i in range(24)],
        hdr(7)))
    write('repl', 'hello-storm', frames(*[hello(A, b'\xbb' * 32, 1)] * 13))

    # gov: sets of governance records in fuzz_gov.c's compact form.
    def grec(kind, author, target, role=0, seq=1, ts=0, anchor=0,
             replaces=(), held=True, tie=0):
        b0 = (kind - 10) | (0 if held else 8) | (tie << 4)
        return bytes([b0, author, target, role | (len(replaces) << 2),
                      seq - 1, ts, anchor]) + bytes(replaces)

    def grot(author, epoch, seals, seq=1, ts=0, tie=0):
        """A rotation to epoch (1..8) sealed to 1..4 members (6: one no
        record names)."""
        return bytes([6 | (tie << 4), author, epoch, (len(seals) - 1) << 2,
                      seq - 1, ts, epoch - 1]) + bytes(seals)

    ROLE, HIDE, UNHIDE, ERASE, REPORT, REMOVE = range(10, 16)
    LRN, MNT, FAC = range(3)
    govs = {
        # the founder (0) makes 1 a facilitator; 1 makes 2 a mentor and
        # hides post 3; 2 cannot hide; 1 unhides; 3 reports
        'grants': [grec(ROLE, 0, 1, FAC, 1, 1), grec(ROLE, 1, 2, MNT, 1, 2),
                   grec(HIDE, 1, 3, seq=2, ts=3), grec(HIDE, 2, 4, ts=4),
                   grec(UNHIDE, 1, 3, seq=3, ts=5),
                   grec(REPORT, 3, 5, ts=6)],
        # 1 is made a facilitator, hides twice, then is demoted having
        # seen only seq 1 of its feed: the hide at seq 2 is voided
        'demotion-voids': [grec(ROLE, 0, 1, FAC, 1, 1),
                           grec(HIDE, 1, 2, seq=1, ts=2),
                           grec(HIDE, 1, 3, seq=2, ts=3),
                           grec(ROLE, 0, 1, LRN, 2, 4, anchor=1),
                           grec(HIDE, 1, 4, seq=3, ts=5)],
        # a facilitator grants a third, then is demoted before that grant:
        # the grant and what it allowed fall (a second pass)
        'demotion-chain': [grec(ROLE, 0, 1, FAC, 1, 1),
                           grec(ROLE, 1, 2, FAC, 1, 5),
                           grec(HIDE, 2, 3, seq=1, ts=6),
                           grec(ROLE, 0, 1, LRN, 2, 7, anchor=0),
                           grec(ERASE, 2, 4, seq=2, ts=8)],
        # 2 is removed keeping seq 1; its later records are not applied
        'removal-cut': [grec(ROLE, 0, 2, FAC, 1, 1),
                        grec(HIDE, 2, 3, seq=1, ts=2),
                        grec(HIDE, 2, 4, seq=2, ts=3),
                        grec(REMOVE, 0, 2, seq=2, ts=4, anchor=1),
                        grec(ERASE, 2, 2, seq=3, ts=5),
                        grec(REMOVE, 0, 2, seq=3, ts=6, anchor=3)],
        # concurrent role records about 3 at one ts (least permissive
        # wins), then one that replaces both
        'concurrent-roles': [grec(ROLE, 0, 1, FAC, 1, 1),
                             grec(ROLE, 0, 3, FAC, 2, 4, tie=1),
                             grec(ROLE, 1, 3, MNT, 1, 4, tie=2),
                             grec(ROLE, 0, 3, FAC, 3, 9, anchor=2,
                                  replaces=(1, 2, 4))],
        # hide, unhide, hide of one post; erasures: one's own post as a
        # learner, a governance record, a post not held; a report of it
        'marks': [grec(HIDE, 0, 2, seq=1, ts=1), grec(UNHIDE, 0, 2, seq=2, ts=2),
                  grec(HIDE, 0, 2, seq=3, ts=3), grec(ERASE, 4, 4, ts=4),
                  grec(ERASE, 0, 8, seq=4, ts=5),
                  grec(ERASE, 3, 6, ts=6, held=False),
                  grec(ERASE, 0, 6, seq=5, ts=7, held=False),
                  grec(REPORT, 5, 6, ts=8, held=False),
                  grec(ERASE, 5, 5, seq=2, ts=9)],
        # records about the founder, a self-removal, a learner's grant
        'founder-and-self': [grec(ROLE, 0, 1, FAC, 1, 1),
                             grec(ROLE, 1, 0, LRN, 1, 2),
                             grec(REMOVE, 1, 0, seq=2, ts=3),
                             grec(REMOVE, 1, 1, seq=3, ts=4),
                             grec(ROLE, 4, 4, FAC, 1, 5)],
        # a demoted facilitator's back-dated record (ts before the
        # demotion, seq after what it saw)
        'back-dated': [grec(ROLE, 0, 1, FAC, 1, 1),
                       grec(ROLE, 0, 1, LRN, 2, 5, anchor=1),
                       grec(HIDE, 1, 3, seq=2, ts=3),
                       grec(ROLE, 1, 2, FAC, 3, 4)],
    }
    # rotations: 1 is made a facilitator; the founder's epoch 2 and 1's
    # epoch 2 tie (the lower id wins), 1's epoch 3 seals to 4, whom the
    # founder then removes; a learner's (3) has no authority. Then 1's
    # epoch 1 (in force) and epoch 4, which comes after what 1's demotion
    # saw (voided); 2 is removed keeping seq 1, its epoch 5 at seq 2 is
    # "removed"
    govs['rotations'] = [grec(ROLE, 0, 1, FAC, 1, 1),
                         grot(0, 2, (0, 1, 3), seq=2, ts=3, tie=1),
                         grot(1, 2, (0, 1, 6), seq=1, ts=3, tie=2),
                         grot(1, 3, (0, 1, 4), seq=2, ts=5),
                         grec(REMOVE, 0, 4, seq=3, ts=9),
                         grot(3, 7, (0, 3), ts=6)]
    # the same, then a later and higher epoch of the founder's: in force,
    # the earlier one superseded
    govs['rotation-later'] = govs['rotations'] + [
        grot(0, 6, (0, 1, 2, 3), seq=4, ts=12)]
    govs['rotation-voided'] = [grec(ROLE, 0, 1, FAC, 1, 1),
                               grec(ROLE, 0, 2, FAC, 2, 2),
                               grot(1, 1, (0, 1, 5, 6), seq=1, ts=3),
                               grot(1, 4, (0, 1, 2), seq=2, ts=4),
                               grec(ROLE, 0, 1, LRN, 3, 6, anchor=1),
                               grec(REMOVE, 0, 2, seq=4, ts=7, anchor=1),
                               grot(2, 5, (0, 1), seq=2, ts=8)]
    for n, recs in govs.items():
        write('gov', n, b'\x00' + b''.join(recs))
    write('gov', 'no-founder', b'\x06' + b''.join(govs['grants']))
    write('gov', 'founder-3', b'\x03' + b''.join(govs['founder-and-self']))

    # zap: ZAP requests (RFC 27) in fuzz_zap.c's form: a flags byte (bit
    # 0 allow, bits 1-2 repeats), then 2-byte-length frames.
    def zap(flags, *fs):
        return bytes([flags]) + frames(*fs)

    ckey = bytes(range(32))
    zreq = [b'1.0', b'1', b'stoa', b'127.0.0.1', b'', b'CURVE', ckey]
    write('zap', 'curve-allow', zap(1, *zreq))
    write('zap', 'curve-refuse', zap(0, *zreq))
    write('zap', 'curve-x4', zap(7, *zreq))
    write('zap', 'null', zap(1, *zreq[:5], b'NULL'))
    write('zap', 'plain', zap(1, *zreq[:5], b'PLAIN', b'user', b'pass'))
    write('zap', 'curve-key-31', zap(1, *zreq[:6], ckey[:31]))
    write('zap', 'curve-extra', zap(1, *zreq, b'extra', b''))
    write('zap', 'curve-nul', zap(1, *zreq[:5], b'CURVE\0x', ckey))
    write('zap', 'version-2', zap(1, b'2.0', *zreq[1:]))
    write('zap', 'five-frames', zap(3, *zreq[:5]))
    write('zap', 'one-frame', zap(1, b'1.0'))
    write('zap', 'rid-63', zap(1, b'1.0', b'r' * 63, *zreq[2:]))
    write('zap', 'rid-64', zap(1, b'1.0', b'r' * 64, *zreq[2:]))
    write('zap', 'rid-65', zap(1, b'1.0', b'r' * 65, *zreq[2:]))
    write('zap', 'addr-long', zap(1, *zreq[:3], b'a' * 200, *zreq[4:]))

    # bundle: fuzz_bundle.c's records (flags (1: FINAL, 2: raw bytes, 4
    # on the first: a frontier file), 2-byte length, plaintext), each one
    # message of docs/formats.md §8 under the harness's key.
    def rec(flags, data):
        return bytes([flags]) + struct.pack('>H', len(data)) + data

    def bhead(feeds, n, name=b'fuzz', addressee=b'\0' * 32):
        return (b'\x01' + A + addressee + struct.pack('>Q', 1000) +
                bytes([len(name)]) + name + struct.pack('>IQ', feeds, n))

    def bfeeds(fs):
        return b'\x02' + struct.pack('>H', len(fs)) + b''.join(
            a + struct.pack('>QQ', f, t) + i for a, f, t, i in fs)

    def brun(author, es):
        out = b'\x03' + author + struct.pack('>H', len(es))
        for sb, p in es:
            out += sb + (struct.pack('>I', 0xFFFFFFFF) if p is None else
                         struct.pack('>I', len(p)) + p)
        return out

    def bend(n, nbytes):
        return b'\x04' + struct.pack('>QQ', n, nbytes)

    ea = [(a1['signed_b'], a1['payload_b']), (a2['signed_b'], a2['payload_b'])]
    eb = [(b1['signed_b'], b''), (b2['signed_b'], None),
          (b3['signed_b'], b3['payload_b'])]
    nb = lambda es: sum(186 + (len(p) if p is not None else 0) for _, p in es)
    fa = (A, 1, 2, ids['post-seq2'])
    fb = (B, 1, 3, ids['feedback-seq3'])
    two = sorted([fa, fb])
    write('bundle', 'bundle-a12', rec(0, bhead(1, 2)) + rec(0, bfeeds([fa])) +
          rec(0, brun(A, ea)) + rec(1, bend(2, nb(ea))))
    write('bundle', 'bundle-ab-erased', rec(0, bhead(2, 5)) +
          rec(0, bfeeds(two)) + rec(0, brun(B, eb)) + rec(0, brun(A, ea)) +
          rec(1, bend(5, nb(ea) + nb(eb))))
    write('bundle', 'bundle-cut', rec(0, bhead(1, 2)) + rec(0, bfeeds([fa])) +
          rec(0, brun(A, ea)))
    write('bundle', 'bundle-raw-tail', rec(0, bhead(0, 0)) +
          rec(1, bend(0, 0)) + rec(2, b'x'))
    write('bundle', 'frontier-2', rec(4, bhead(2, 5)) + rec(0, bfeeds(two)) +
          rec(1, bend(5, 0)))

    # control: the daemon's control requests (node/daemon.h).
    write('control', 'nudge', b'N' + A + struct.pack('>Q', 2) + ids['post-seq2'])
    write('control', 'nudge-seq-max', b'N' + B + struct.pack('>Q', 2**63 - 1)
          + ids['feedback-seq3'])
    write('control', 'rescan', b'R')
    write('control', 'status', b'S')

    if args.stoa:
        home = tempfile.mkdtemp(prefix='stoa-fuzz-corpus-')
        try:
            subprocess.run([args.stoa, '--home', home, 'init', '--name', 'a',
                            '--community', 'fuzz circle'], check=True,
                           stdout=subprocess.DEVNULL)
            code = subprocess.run([args.stoa, '--home', home, 'invite'],
                                  check=True, capture_output=True,
                                  text=True).stdout
            codes = [w for w in code.split() if w.startswith('stoa:')]
            write('invite', 'code', codes[0].encode())
            write('invite', 'code-newline', (codes[0] + '\n').encode())
            # a v3 invite (signed) and its typed form
            for name, extra in (('code-v3', []), ('typed-v3', ['--typed'])):
                out = subprocess.run([args.stoa, '--home', home, 'invite',
                                      '--role', 'mentor', '--uses', '3']
                                     + extra, check=True, capture_output=True,
                                     text=True).stdout.split()
                write('invite', name, out[-1].encode())
            for f in sorted(os.listdir(home)):
                p = os.path.join(home, f)
                if os.path.isfile(p) and os.path.getsize(p) <= 4096:
                    data = open(p, 'rb').read()
                    if data[:8] in (b'stoa-key', b'stoa-com'):
                        write('keyfile', f, data)
            # a key file v2 (sealed; passphrase "fuzz", default limits)
            sealed = os.path.join(home, 'sealed')
            subprocess.run([args.stoa, '--home', sealed, 'init', '--name',
                            'b', '--community', 'fuzz circle',
                            '--passphrase'], check=True,
                           stdout=subprocess.DEVNULL,
                           env=dict(os.environ, STOA_PASSPHRASE='fuzz'))
            write('keyfile', 'key-v2',
                  open(os.path.join(sealed, 'key'), 'rb').read())
            # a member export file (stoa member export; passphrase "fuzz")
            member = os.path.join(home, 'member.mbr')
            subprocess.run([args.stoa, '--home', home, 'member', 'export',
                            'a', member], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL,
                           env=dict(os.environ, STOA_NEW_PASSPHRASE='fuzz'))
            write('keyfile', 'member', open(member, 'rb').read())
        finally:
            shutil.rmtree(home)


if __name__ == '__main__':
    main()
