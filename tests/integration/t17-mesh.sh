#!/usr/bin/env bash
# t17-mesh: a node with two peers that hold the same feeds (a triangle),
# pulling a large store from both at once, and a manual `stoa sync` on
# the home of a daemon that is itself still pulling. Both used to cost an
# honest peer its session: a run another peer had already delivered, and
# frames that crossed a restarted session, were counted as strikes.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${BENCH_STORE:-}" ]; then
	BENCH_STORE=$(dirname "$STOA")/tests/bench_store
fi
if [ ! -x "$BENCH_STORE" ]; then
	skip "no bench_store at '$BENCH_STORE' (set BENCH_STORE)"
fi

A=$T/big/home
B=$T/bo
C=$T/cy
D=$T/di

step "A: 20000 entries by 4 members; B, C, D join"
"$BENCH_STORE" --entries 20000 --members 4 --ingest 0 --keep --dir "$T/big" \
	>"$T/gen.out" || fail "bench_store failed: $(cat "$T/gen.out")"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
run_ok "$D" init --name Di --join "$code"
total=$(($(store_entries "$A") + 3))

step "B pulls everything from A"
start_serve "$A"
EP_A=$ENDPOINT
run_ok "$B" sync "$EP_A" --json --timeout 60
start_serve "$B" --peer "$EP_A"
EP_B=$ENDPOINT

step "C dials both A and B, which hold the same feeds"
start_serve "$C" --peer "$EP_A" --peer "$EP_B"
has_entries() { [ "$(store_entries "$1")" = "$2" ]; }

step "D serves, dialing A, and a manual sync with B runs on D's home meanwhile"
start_serve "$D" --peer "$EP_A"
run_ok "$D" sync "$EP_B" --json --timeout 60

step "everyone converges to $total entries, no honest peer dropped"
for h in "$A" "$B" "$C" "$D"; do
	wait_for "$(basename "$h") to hold $total entries" 60 has_entries "$h" "$total"
done
for log in "$B.log" "$C.log" "$D.log" "$A.log"; do
	[ -f "$log" ] || continue
	if grep -E 'dropping peer|strike' "$log"; then
		fail "an honest peer got a strike or was dropped ($(basename "$log"))"
	fi
done
v=$(view_digest "$A")
for h in "$B" "$C" "$D"; do
	assert_eq "$v" "$(view_digest "$h")" "$(basename "$h")'s view digest"
done

step "stoa peers everywhere: every session lacks 0 entries both ways"
# rows_lack_none HOME: each peer row of HOME's daemon in session says
# lacks_in 0 and lacks_out 0 (entries relayed by the third node included)
rows_lack_none() {
	local out
	out=$("$STOA" --home "$1" peers --json 2>/dev/null) || return 1
	"$PY" -S -c '
import json, sys
rows = [p for p in json.loads(sys.stdin.read())["peers"] if "node" in p]
sys.exit(0 if rows and all(p["lacks_in"] == 0 and p["lacks_out"] == 0 for p in rows) else 1)' <<<"$out"
}
for h in "$A" "$B" "$C" "$D"; do
	deadline=$(($(now_ms) + 10000))
	until rows_lack_none "$h"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "$(basename "$h")'s peers still show lacks: $("$STOA" --home "$h" peers 2>&1)"
		sleep 0.05
	done
done
ok
