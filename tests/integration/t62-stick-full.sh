#!/usr/bin/env bash
# t62-stick-full: `stoa bundle exchange` on a stick that fills up (a
# tmpfs of 200 kB). A visit that cannot write a bundle still says what it
# did (what it applied, what it removed, the bundle it could not write)
# and fails (exit 1) with one line naming the full stick; no half-written
# file is left, under its final name or as a temp file. The applied
# bundles are removed before anything is written, and the frontier is
# written before the bundles, so the stick frees itself: after the
# addressee's next visit the other sites' bundles go and the stick takes
# the big one. A symlink in the way of a file the visit writes costs that
# file only (the other site's bundle is still written).
#
# Mounting needs root (CI runs as root); without it the test is skipped
# (77) and says why.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MNT=$T/stick
mkdir -p "$MNT"
[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
mount -t tmpfs -o size=200k,mode=0700 tmpfs "$MNT" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs on $MNT: $(cat "$T/mount.err")"
MOUNTED=1
test_teardown() {
	if [ -n "${MOUNTED:-}" ]; then
		umount "$MNT" || umount -l "$MNT"
		MOUNTED=
	fi
}

A=$(new_home ada "Full Stick")
run_ok "$A" invite
code=$OUT
B=$T/bo
C=$T/cy
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
key_a=$(key_of "$A")
key_b=$(key_of "$B")
key_c=$(key_of "$C")

no_temp() { # WHAT: no temp file of a visit is left on the stick
	local left
	left=$(find "$MNT/stoa" -name '*.st[bf].*' | head -n 1)
	[ -z "$left" ] || fail "$1: a temp file is left: $left"
}

step "three sites meet on the stick once"
run_ok "$A" bundle exchange "$MNT"
run_ok "$B" post --topic b "Bo 1"
run_ok "$B" bundle exchange "$MNT"
run_ok "$C" post --topic c "Cy 1"
run_ok "$C" bundle exchange "$MNT"
assert_contains "$OUT" "from Bo: 2 new" "C's first visit"

step "A writes more than the stick holds: the visit says what it did"
big=$("$PY" -S -c 'import random; random.seed(7); print("".join(random.choice("abcdefghij") for _ in range(6000)))')
for i in $(seq 1 36); do run_ok "$A" post --topic big "$i $big"; done
run_fail_report 1 "$A" bundle exchange "$MNT"
assert_match "$OUT" "^from (Bo|Cy): [0-9]+ new$" "the full visit's applied bundles"
assert_contains "$OUT" "removed 2 applied bundles" "the full visit's removal"
assert_match "$OUT" "^not written for Bo: cannot write '.*/bundle-${key_a:0:16}-to-${key_b:0:16}\.stb': No space left on device$" "the bundle not written"
assert_match "$OUT" "^stick holds 3 sites, " "the full visit's figures"
assert_eq "stoa: 2 files not written on the stick: it is full; free space on it and visit again" "$ERR" "the full visit's error"
[ ! -e "$MNT/stoa/bundle-${key_a:0:16}-to-${key_b:0:16}.stb" ] || fail "a half-written bundle under its final name"
for f in "$MNT"/stoa/bundle-*-to-"${key_a:0:16}".stb; do
	[ ! -e "$f" ] || fail "a bundle A applied is left on the full stick: $f"
done
no_temp "the full visit"
# A's frontier went on the stick before the bundles
run_ok "$A" bundle info "$MNT/stoa/frontier-${key_a:0:16}.stf" --json
json_check "rows[0]['entries'] >= 40" "A's fresh frontier on the full stick"

step "--json says it too, with the error"
run_fail_report 1 "$A" bundle exchange "$MNT" --json
json_check "len(rows[0]['unwritten']) == 2 and rows[0]['error'].startswith('2 files not written') and sorted(u['name'] for u in rows[0]['unwritten']) == ['Bo', 'Cy']" "the full visit's --json"

step "B and C visit: only A's bundles do not fit"
run_ok "$B" bundle exchange "$MNT"
run_ok "$C" bundle exchange "$MNT"
step "a symlink in the way of one bundle costs that bundle only"
ln -s /etc/passwd "$MNT/stoa/bundle-${key_b:0:16}-to-${key_c:0:16}.stb"
run_ok "$B" post --topic b "Bo 2"
run_fail_report 1 "$B" bundle exchange "$MNT"
assert_match "$OUT" "^not written for Cy: '.*' is not a regular file: it would not be replaced$" "the bundle behind a symlink"
assert_match "$OUT" "^to ada: [0-9]+ entr" "the other bundle is written"
[ -L "$MNT/stoa/bundle-${key_b:0:16}-to-${key_c:0:16}.stb" ] || fail "the symlink was replaced"
grep -q '^root:' /etc/passwd || fail "the symlink's target changed"
assert_eq "stoa: 1 file not written on the stick" "$ERR" "the symlink visit's error"
no_temp "the symlink visit"
ok
