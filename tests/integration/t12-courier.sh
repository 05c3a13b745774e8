#!/usr/bin/env bash
# t12-courier: a node carries feeds that are neither its own nor its
# peers': A <- B <- C (B dials A, C dials B, C never dials A), and A's
# posts reach C, C's reach A, through B; entries written before the
# daemons start and live ones alike.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada
B=$T/bo
C=$T/cy

step "three homes of one community, each with posts"
run_ok "$A" init --name Ada --community "Courier Circle"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
for i in 1 2 3 4; do run_ok "$A" post --topic a "Ada before $i"; done
a_old=$OUT
for i in 1 2; do run_ok "$B" post --topic b "Bo before $i"; done
for i in 1 2 3; do run_ok "$C" post --topic c "Cy before $i"; done
c_old=$OUT

step "A serves, B dials A, C dials B"
start_serve "$A"
EP_A=$ENDPOINT
start_serve "$B" --peer "$EP_A"
EP_B=$ENDPOINT
start_serve "$C" --peer "$EP_B"

step "all three converge to 12 entries (3 profiles, 9 posts)"
has_entries() { [ "$(store_entries "$1")" = "$2" ]; }
for h in "$A" "$B" "$C"; do
	wait_for "$(basename "$h") to hold 12 entries" 15 has_entries "$h" 12
done
shows_post() {
	local out
	out=$("$STOA" --home "$1" feed --json --limit 100000) || return 1
	[[ $out == *"$2"* ]]
}
shows_post "$C" "$a_old" || fail "Ada's post did not reach Cy"
shows_post "$A" "$c_old" || fail "Cy's post did not reach Ada"
run_ok "$C" status --json
json_check "len(rows[0]['peers']) == 1 and rows[0]['peers'][0]['endpoint'] == '$EP_B'" \
	"Cy has only Bo as a peer"

step "live: Ada's post reaches Cy, Cy's reaches Ada (within 5 s)"
run_ok "$A" post --topic a "Ada live"
wait_for "Ada's live post at Cy" 5 shows_post "$C" "$OUT"
run_ok "$C" post --topic c "Cy live"
wait_for "Cy's live post at Ada" 5 shows_post "$A" "$OUT"

step "the same view everywhere, verify clean"
for h in "$A" "$B" "$C"; do
	wait_for "$(basename "$h") to hold 14 entries" 5 has_entries "$h" 14
	run_ok "$h" verify
	assert_contains "$OUT" "verified 14 entries: ok" "verify in $h"
done
da=$(view_digest "$A")
assert_eq "$da" "$(view_digest "$B")" "Bo's view digest"
assert_eq "$da" "$(view_digest "$C")" "Cy's view digest"
ok
