#!/usr/bin/env bash
# t61-courier-stick: three sites of one community that never meet on a
# network, and one stick (a directory) passed from hand to hand:
# A -> B -> C -> A -> B -> C, each visit one `stoa bundle exchange`.
# After A's second visit A holds everything; after five visits C does
# not yet, and after six all three hold the same entries and the same
# view; the stick is left with the three frontiers and no bundle that
# its addressee has applied. Each visit says what it carried in a few
# lines, and --json says it too. A file of another community on the
# stick is left alone and counted; a damaged bundle costs that file only
# (the visit goes on); a stick that is not a directory is one error.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Stick Circle")
run_ok "$A" invite
code=$OUT
B=$T/bo
C=$T/cy
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
STICK=$T/stick
key_a=$(key_of "$A")
key_b=$(key_of "$B")
key_c=$(key_of "$C")
mkdir "$STICK"

step "each site writes posts offline"
for i in 1 2 3; do run_ok "$A" post --topic a "Ada $i"; done
for i in 1 2; do run_ok "$B" post --topic b "Bo $i"; done
for i in 1 2 3 4; do run_ok "$C" post --topic c "Cy $i"; done
total=$((4 + 3 + 5))


visit() { # HOME: one exchange, its text in $OUT
	run_ok "$1" bundle exchange "$STICK"
}
same_views() {
	[ "$(store_entries "$A")" = "$total" ] && [ "$(store_entries "$B")" = "$total" ] &&
		[ "$(store_entries "$C")" = "$total" ] &&
		[ "$(view_digest "$A")" = "$(view_digest "$B")" ] &&
		[ "$(view_digest "$B")" = "$(view_digest "$C")" ]
}

step "visit 1, A: only its frontier is left"
visit "$A"
assert_contains "$OUT" "first site on this stick: left this site's frontier; the next site to visit writes what this one lacks" "A's first visit"
assert_contains "$OUT" "stick holds 1 site" "A's first visit"
[ "$(stat -c %a "$STICK/stoa")" = 700 ] || fail "the stick's directory is not 0700"
# another community's bundle on the stick: left alone, counted
X=$(new_home xena "Other Circle")
run_ok "$X" bundle create "$STICK/stoa/bundle-x.stb"

step "visit 2, B: a bundle for A"
visit "$B"
assert_contains "$OUT" "to ada: 3 entries" "B's visit"
assert_contains "$OUT" "stick holds 2 sites" "B's visit"
assert_contains "$OUT" "left alone 1 file of another community" "B's visit"

step "visit 3, C: takes B's bundle for A, writes for A and B"
run_ok "$C" bundle exchange "$STICK" --json
json_check "rows[0]['new'] == 3 and sorted(r['name'] for r in rows[0]['to']) == ['Bo', 'ada'] and rows[0]['sites'] == 3 and rows[0]['foreign'] == 1" "C's visit --json"

step "visit 4, A: holds everything after the first round"
visit "$A"
assert_match "$OUT" "^from (Cy|Bo): [0-9]+ new$" "A's second visit"
assert_eq "$total" "$(store_entries "$A")" "A's entries after its second visit"
same_views && fail "the three views are the same after 4 visits"

step "visit 5, B: holds everything; C not yet"
visit "$B"
assert_eq "$total" "$(store_entries "$B")" "B's entries after its second visit"
[ "$(store_entries "$C")" -lt "$total" ] || fail "C holds everything before its second visit"
same_views && fail "the three views are the same after 5 visits"

step "visit 6, C: the same view everywhere"
visit "$C"
same_views || fail "the three views differ after 6 visits"
for h in "$A" "$B" "$C"; do run_ok "$h" verify; done

step "the stick holds the three frontiers and no applied bundle"
left=$(cd "$STICK/stoa" && ls)
want=$(printf '%s\n' bundle-x.stb "frontier-${key_a:0:16}.stf" \
	"frontier-${key_b:0:16}.stf" "frontier-${key_c:0:16}.stf" | LC_ALL=C sort)
assert_eq "$want" "$(LC_ALL=C sort <<<"$left")" "files on the stick"
for f in "$STICK"/stoa/frontier-*.stf; do
	run_ok "$A" bundle info "$f" --json
	json_check "rows[0]['kind'] == 'frontier' and rows[0]['entries'] == sum(f['to'] for f in rows[0]['feeds']) and len(rows[0]['feeds']) == 3" "frontier $f"
done

step "a further round carries nothing and removes nothing"
for h in "$A" "$B" "$C"; do
	visit "$h"
	assert_contains "$OUT" "nothing to carry" "a visit after convergence"
	assert_not_contains "$OUT" "removed" "a visit after convergence"
done

step "new posts travel; a damaged bundle costs that file only"
run_ok "$A" post --topic a "Ada late"
visit "$A"
visit "$B"
assert_contains "$OUT" "from ada: 1 new" "B takes A's late post"
run_ok "$B" post --topic b "Bo late"
visit "$B"
# damage B's bundles (for C, and for A, which C applies too, in
# whichever order the directory lists them): a byte of their last message
for bc in "$STICK/stoa/bundle-${key_b:0:16}-to-${key_c:0:16}.stb" \
	"$STICK/stoa/bundle-${key_b:0:16}-to-${key_a:0:16}.stb"; do
	[ -f "$bc" ] || fail "no bundle $bc on the stick after B's visit"
	"$PY" -S -c 'import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[-3] ^= 1; open(p, "wb").write(d)' "$bc"
done
visit "$C"
assert_match "$OUT" "^from Bo: [0-9]+ new \(its bundle is damaged: applied up to the damage\)$" "C's visit with a damaged bundle"
run_ok "$C" verify

step "a file whose head is cut, with control characters in its name: one clean line"
bad=$STICK/stoa/$'frontier-\e[31mbad.stf'
head -c 60 "$STICK/stoa/frontier-${key_a:0:16}.stf" >"$bad"
ln -s "$STICK/stoa/frontier-${key_a:0:16}.stf" "$STICK/stoa/link.stf"
run_ok "$C" bundle exchange "$STICK"
assert_match "$OUT" "^skipped frontier-\[31mbad\.stf: '.*' is cut short at byte 60, inside its head$" "a damaged file's line"
assert_match "$OUT" "^skipped link\.stf: not a regular file$" "a symlink on the stick"
printf '%s\n' "$OUT" >"$T/visit.txt"
assert_clean_text "$T/visit.txt" "the visit's text"
run_ok "$C" bundle exchange "$STICK" --json
json_check "any(p['file'] == 'frontier-[31mbad.stf' for p in rows[0]['problems'])" "the damaged file in --json"
rm -f "$bad" "$STICK/stoa/link.stf"

step "a stick that is not a directory, a stoa/ that is a file"
: >"$T/file"
run_fail 1 "$A" bundle exchange "$T/file"
assert_eq "stoa: '$T/file' is not a directory (give the stick's mount point)" "$ERR" "a file as the stick"
run_fail 1 "$A" bundle exchange "$T/missing"
assert_match "$ERR" "^stoa: cannot use '$T/missing': No such file" "a missing stick"
mkdir "$T/s2"
: >"$T/s2/stoa"
run_fail 1 "$A" bundle exchange "$T/s2"
assert_eq "stoa: '$T/s2/stoa' is not a directory" "$ERR" "stoa/ as a file"
ok
