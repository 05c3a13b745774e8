#!/usr/bin/env bash
# t63-stick-field: a field team's stick over many visits, in the orders
# people actually make (docs/bundles.md, "The stick").
#
# - two bundles that each need the other applied first (a seq gap in one
#   feed each way): both applied whole, whichever the directory lists
#   first;
# - a site that visits twice in a row: the second visit says its bundles
#   are as before, with nothing new for their sites;
# - a new site joins mid-way and converges with the others;
# - a site that never comes back: the others' bundles for it wait on the
#   stick; once its frontier is taken off the stick, each site's next
#   visit removes its own bundle for it ("removed 1 bundle for a site
#   whose frontier is no longer on the stick") and writes none again;
# - ten rounds of three sites with small posts: the stick does not grow
#   (its size after round 10 is within 10% of its size after round 2);
# - the stick copied (two sticks from one), each carried on: both converge;
# - a stale old bundle restored by mistake: applied as "already held",
#   nothing new, no error, and removed by the next visit;
# - on a terminal a visit draws a bar for each bundle, and nothing when
#   stderr is not one;
# - a rotation at one site: the others' visits say its files are of a
#   newer epoch (not "of another community") until they take it;
# - entries refused on a visit (a removed member's, cut) are counted and
#   the reason said on the "from" line; a removed member's files are
#   taken off the stick (one line), and the next round is quiet;
# - 2,000 junk files on the stick: 32 "skipped" lines and a count (the
#   visit's memory and text do not grow with them).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Field Team")
run_ok "$A" invite
code=$OUT
B=$T/bo
C=$T/cy
D=$T/dee
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
STICK=$T/stick
mkdir "$STICK"

visit() { # HOME [STICK]
	run_ok "$1" bundle exchange "${2:-$STICK}"
}
round() { # TEXT: A, B and C each post and visit
	local h
	for h in "$A" "$B" "$C"; do
		run_ok "$h" post --topic field "$1 from ${h##*/}"
		visit "$h"
	done
}
stick_bytes() {
	du -sb --apparent-size "$STICK/stoa" | cut -f1
}

step "two bundles that each need the other first: both applied whole, whatever the order"
# P carries Pa's feed past what Pb had seen and Pb's from 1; Q carries
# Pa's from 1 and Pb's past what Pa had seen: whichever is applied first
# meets a seq gap in one feed, which the other fills
run_ok "$A" invite
run_ok "$T/pa" init --name Pa --join "$OUT"
run_ok "$A" invite
run_ok "$T/pb" init --name Pb --join "$OUT"
run_ok "$A" invite
run_ok "$T/tee" init --name Tee --join "$OUT"
run_ok "$T/pa" post --topic field "Pa 1"
run_ok "$T/pb" post --topic field "Pb 1"
run_ok "$T/pa" frontier "$T/fa.stf"
run_ok "$T/pa" bundle create "$T/a1.stb"
run_ok "$T/pb" frontier "$T/fb.stf"
run_ok "$T/pb" bundle create "$T/b1.stb"
run_ok "$T/pa" post --topic field "Pa 2"
run_ok "$T/pb" post --topic field "Pb 2"
run_ok "$T/pa" bundle apply "$T/b1.stb"
run_ok "$T/pb" bundle apply "$T/a1.stb"
mkdir -p "$T/stick3/stoa"
run_ok "$T/pa" bundle create "$T/stick3/stoa/p.stb" --for "$T/fa.stf"
run_ok "$T/pb" bundle create "$T/stick3/stoa/q.stb" --for "$T/fb.stf"
run_ok "$T/tee" bundle exchange "$T/stick3"
assert_match "$OUT" "^from Pa: [0-9]+ new$" "Tee's visit: Pa's bundle"
assert_match "$OUT" "^from Pb: [0-9]+ new$" "Tee's visit: Pb's bundle"
assert_not_contains "$OUT" "refused" "Tee's visit"
[ "$(own_seq "$T/pa")" -ge 2 ] || fail "Pa's feed is short"
run_ok "$T/tee" feed --json --limit 100
assert_contains "$OUT" "Pa 2" "Tee's feed"
assert_contains "$OUT" "Pb 2" "Tee's feed"

step "a site visiting twice in a row carries nothing the second time"
round "first"
visit "$A"
visit "$A"
assert_match "$OUT" "^to (Bo|Cy): [0-9]+ entr(y|ies) \(as before: nothing new for it since\)$" "A's second visit in a row"
assert_not_contains "$OUT" "removed" "A's second visit in a row"

step "a new site joins mid-way"
run_ok "$A" invite
run_ok "$D" init --name Dee --join "$OUT"
key_d=$(key_of "$D")
run_ok "$D" post --topic field "Dee arrives"
visit "$D"
assert_match "$OUT" "^to (ada|Bo|Cy): [0-9]+ entr" "Dee's first visit writes for the others"
round "second"
round "third"
visit "$D"
assert_match "$OUT" "^from (ada|Bo|Cy): [0-9]+ new$" "Dee takes the others' entries"
round "fourth"
visit "$D"
visit "$A"
[ "$(store_entries "$D")" = "$(store_entries "$A")" ] || fail "Dee and ada hold different entries"

step "Dee never comes back: its bundles wait, then go with its frontier"
round "fifth"
ls "$STICK"/stoa/bundle-*-to-"${key_d:0:16}".stb >/dev/null 2>&1 ||
	fail "no bundle waits for Dee"
rm "$STICK/stoa/frontier-${key_d:0:16}.stf"
for h in "$A" "$B" "$C"; do
	visit "$h"
	assert_match "$OUT" "^removed 1 bundle for a site whose frontier is no longer on the stick$" "${h##*/}'s visit after Dee's frontier went"
done
left=$(find "$STICK/stoa" -name "bundle-*-to-${key_d:0:16}.stb")
assert_eq "" "$left" "bundles for Dee left on the stick"
visit "$A"
assert_not_contains "$OUT" "Dee" "a visit after Dee left"

step "ten rounds: the stick does not grow"
for r in 1 2 3 4 5 6 7 8 9 10; do
	round "round $r"
	[ "$r" -ne 2 ] || size2=$(stick_bytes)
done
size10=$(stick_bytes)
[ "$size10" -le $((size2 + size2 / 10)) ] ||
	fail "the stick grew from $size2 bytes after round 2 to $size10 after round 10"

step "a stale bundle restored by mistake: nothing new, no error, removed"
run_ok "$A" post --topic field "for bo"
visit "$A"
cp "$STICK/stoa/bundle-$(key_of "$A" | cut -c1-16)-to-$(key_of "$B" | cut -c1-16).stb" "$T/old.stb"
visit "$B"
visit "$C"
visit "$A"
cp "$T/old.stb" "$STICK/stoa/"
visit "$B"
assert_not_contains "$OUT" "from ada" "B's visit with a stale bundle"
assert_not_contains "$OUT" "skipped" "B's visit with a stale bundle"
assert_contains "$OUT" "removed" "B's visit with a stale bundle"
[ ! -e "$STICK/stoa/old.stb" ] || fail "the stale bundle is left"

step "two sticks from one: each carried on, both converge"
round "before the copy"
cp -a "$STICK" "$T/stick2"
run_ok "$A" post --topic field "on stick 1"
visit "$A"
visit "$B"
run_ok "$C" post --topic field "on stick 2"
visit "$C" "$T/stick2"
visit "$A" "$T/stick2"
visit "$B" "$T/stick2"
visit "$C"
visit "$A"
visit "$B"
visit "$C" "$T/stick2"
n=$(store_entries "$A")
for h in "$B" "$C"; do
	assert_eq "$n" "$(store_entries "$h")" "${h##*/}'s entries after two sticks"
done
[ "$(view_digest "$A")" = "$(view_digest "$C")" ] || fail "views differ after two sticks"
for h in "$A" "$B" "$C" "$D"; do run_ok "$h" verify; done

step "progress: a bar per bundle on a terminal, nothing when stderr is not one"
run_ok "$A" post --topic field "for the bar"
visit "$A"
assert_eq "" "$ERR" "a visit's stderr when it is not a terminal"
bar=$(on_tty "$T/tty.out" "$STOA" --home "$B" bundle exchange "$STICK")
assert_match "$bar" "stoa: exchanging \[#+\] 100% [0-9]+/[0-9]+ entries" "the visit's bar on a terminal"
assert_contains "$(<"$T/tty.out")" "from ada: 1 new" "the visit's lines with the bar"

step "a rotation: the sites not reached yet are told, not 'another community'"
run_ok "$A" remove Dee --reason "left the team"
visit "$A"
visit "$B"
assert_match "$OUT" "^left alone 1 file of a newer epoch of the community secret, not reached here yet \(or of another community\): a bundle or a sync brings the rotation$" "B's visit after A's rotation"
assert_not_contains "$OUT" "another community$" "B's visit after A's rotation"
assert_contains "$ERR" "moved to epoch 1" "B takes the rotation from A's bundle"
visit "$B"
assert_not_contains "$OUT" "left alone" "B's visit on epoch 1"

step "2,000 junk files on the stick: a few lines and a count, the visit goes on"
for i in $(seq 1 2000); do : >"$T/stick2/stoa/junk$i.stb"; done
run_ok "$A" post --topic field "past the junk"
visit "$A" "$T/stick2"
nlines=$(printf '%s\n' "$OUT" | wc -l)
[ "$nlines" -le 40 ] || fail "the visit printed $nlines lines for 2,000 junk files"
assert_match "$OUT" "^and 1,968 more files skipped$" "the junk files past the lines"
assert_match "$OUT" "^to (Bo|Cy): " "the visit with junk files still writes"
run_ok "$A" bundle exchange "$T/stick2" --json
json_check "len(rows[0]['problems']) == 32 and rows[0]['more_problems'] == 1968" "the junk files in --json"

step "refused entries are said with why, not '0 new' alone"
visit "$C"
visit "$A"
visit "$B"
run_ok "$B" post --topic field "Bo after his removal"
visit "$B"
run_ok "$A" remove Bo --reason "left the team"
visit "$C"
visit "$A"
assert_match "$OUT" "^from Cy: 0 new, 1 refused: its author was removed: the entries after the removal are cut$" "A's visit with Bo's cut post"
assert_match "$OUT" "^removed [0-9]+ files of members removed from the community$" "Bo's files at A's visit"
assert_not_contains "$OUT" "skipped" "A's visit after Bo's removal"
left=$(find "$STICK/stoa" -name "*-$(key_of "$B" | cut -c1-16)*")
assert_eq "" "$left" "Bo's files on the stick after A's visit"
step "the next round is quiet: nothing refused or skipped again"
visit "$C"
visit "$A"
assert_not_contains "$OUT" "refused" "A's visit after the removal was carried"
assert_not_contains "$OUT" "skipped" "A's visit after the removal was carried"
ok
