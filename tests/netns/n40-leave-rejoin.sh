#!/usr/bin/env bash
# n40-leave-rejoin: a host's cable is pulled in the middle of a large sync
# (no goodbye, no carrier: what a laptop walking out of Wi-Fi range does)
# and plugged in again. The connection's heartbeats notice the loss, the
# store holds what was committed and verifies, and when the link is back
# the two hosts find each other again and converge, with no damage.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require
if [ -z "${BENCH_STORE:-}" ]; then
	BENCH_STORE=$(dirname "$STOA")/tests/bench_store
fi
[ -x "$BENCH_STORE" ] || skip "no bench_store at '$BENCH_STORE'"
have_sqlite3 || skip "the sqlite3 CLI is needed"

N=${STOA_N40_ENTRIES:-40000}
A=$T/bench/home # made by the bench tool: community "bench"

step "a home of $N entries and a fresh member"
mkdir -p "$T/bench"
"$BENCH_STORE" --entries "$N" --ingest 0 --keep --dir "$T/bench" >"$T/bench.out" 2>&1 ||
	fail "bench_store failed: $(tail -n 3 "$T/bench.out")"
B=$(node_join bo "$A")
TOTAL=$((N + 2)) # the bench member's profile and bo's

step "two hosts on one site; the sync starts by itself"
net_site room
net_host a room 10.77.3.11/24
net_host b room 10.77.3.12/24
# a's link throttled to 8 Mbit/s (about 18 s for the whole pull), so the
# cable is pulled while the sync runs however fast this machine is
THROTTLED=0
if ip netns exec "$(host_ns a)" tc qdisc add dev eth0 root tbf rate 8mbit \
	burst 32kbit latency 400ms 2>/dev/null; then
	THROTTLED=1
else
	echo "  (no tc tbf here: a's link is not throttled)"
fi
node_serve a "$A" --discovery embedded
PA=$NODE_PID
node_serve b "$B" --discovery embedded
PB=$NODE_PID
started() { [ "$(node_entries "$B")" -gt 1 ]; }
wait_for "the first entries on b" 30 started

step "b's cable is pulled mid-sync"
# what b logged before the pull: lost() reads only the lines after it
LOG_AT=$(wc -l <"$B.log")
net_link b down
AT=$(node_entries "$B")
echo "  b held $AT of $TOTAL entries when its cable was pulled"
if [ "$AT" -ge "$TOTAL" ]; then
	[ "$THROTTLED" = 1 ] ||
		skip "the sync finished before the cable was pulled, and tc cannot throttle the link here"
	fail "the sync had finished before the cable was pulled"
fi
lost() {
	awk -v from="$LOG_AT" 'NR > from && /lost|dropping|left|closes/ { found = 1 }
		END { exit !found }' "$B.log"
}
wait_for "b noticing the lost connection" 15 lost
held=$(node_entries "$B")
[ "$held" -lt "$TOTAL" ] || fail "b holds everything with its cable out"

step "while cut off: b's store is whole and verifies"
assert_eq ok "$(sql "$B/store.db" 'PRAGMA integrity_check')" "integrity_check on b"
run_ok "$B" verify

step "the cable is back: they find each other again and converge"
[ "$THROTTLED" = 0 ] || ip netns exec "$(host_ns a)" tc qdisc del dev eth0 root
T0=$(now_ms)
net_link b up
wait_for "a and b converged on $TOTAL entries" 90 \
	nodes_converged "$TOTAL" "$A" "$B"
echo "  converged $(($(now_ms) - T0)) ms after the cable came back"
assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "view digests of a and b"

step "SIGTERM: both exit 0; both stores whole and verified"
node_stop "$PA"
node_stop "$PB"
for h in "$A" "$B"; do
	assert_eq ok "$(sql "$h/store.db" 'PRAGMA integrity_check')" "integrity_check on $h"
	run_ok "$h" verify
done
ok
