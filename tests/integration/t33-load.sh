#!/usr/bin/env bash
# t33-load: one node serving STOA_LOAD_ENTRIES (default 3000; 1000 in the
# ASan+UBSan build, where 20 pulls of 5000 take 70 s) entries to
# STOA_LOAD_PEERS (default 20) fresh members pulling at once (`stoa sync`,
# all started together). Every sync succeeds; the serving daemon's peak
# RSS (VmHWM) stays under STOA_LOAD_RSS_MB (default 64 MB; 512 MB in the
# ASan+UBSan build, whose shadow memory and quarantine count too: 214 MB
# there for 5000 entries); after a second
# round every member holds what the server holds (the same feed heads, and
# for a sample the same view digest).
# shellcheck source=tests/integration/harden.sh
. "$(dirname "$0")/harden.sh"

need_bench
need_sqlite3
knob STOA_LOAD_PEERS 20
if [ -n "${STOA_SANITIZED:-}" ]; then
	knob STOA_LOAD_ENTRIES 1000
	knob STOA_LOAD_RSS_MB 512
else
	knob STOA_LOAD_ENTRIES 3000
	knob STOA_LOAD_RSS_MB 64
fi
P=$STOA_LOAD_PEERS
A=$T/bench/home

# heads HOME: every feed head the store holds, one line.
heads() {
	sql -readonly "$1/store.db" \
		"SELECT group_concat(hex(author) || ':' || seq || ':' || hex(head), ',')
		 FROM (SELECT * FROM feeds ORDER BY author)" ||
		fail "cannot read the feeds of $1"
}

# sync_all WHAT: every member syncs at once; each must exit 0.
sync_all() {
	local i pids=()
	for i in $(seq 1 "$P"); do
		bg_start "$T/sync$i.out" "$STOA" --home "$T/m$i" sync "$EPA" --json --timeout 120
		pids+=("$BG_PID")
	done
	for i in $(seq 1 "$P"); do
		wait_pid "${pids[$((i - 1))]}" 150
		[ "$STOP_RC" -eq 0 ] ||
			fail "$1: the sync of m$i exited $STOP_RC: $(cat "$T/sync$i.out")"
	done
}

step "a home of $STOA_LOAD_ENTRIES entries (bench tool), serving; $P fresh members"
make_bench "$T/bench" "$STOA_LOAD_ENTRIES"
start_serve "$A"
EPA=$ENDPOINT
APID=$SERVE_PID
run_ok "$A" invite
code=$OUT
for i in $(seq 1 "$P"); do
	run_ok "$T/m$i" init --name "M$i" --join "$code"
done
idle=$(peak_rss_kb "$APID")

step "$P members pull at once"
t0=$(now_ms)
sync_all "first round"
first_ms=$(($(now_ms) - t0))
for i in $(seq 1 "$P"); do
	OUT=$(<"$T/sync$i.out")
	json_check "rows[0]['entries_in'] >= $STOA_LOAD_ENTRIES + 1" "m$i: entries in"
done
pid_alive "$APID" || fail "the serving daemon died"
peak=$(peak_rss_kb "$APID")
echo "  $P pulls of $((STOA_LOAD_ENTRIES + 1)) entries at once in $first_ms ms;" \
	"the server's peak RSS $((peak / 1024)) MB ($((idle / 1024)) MB idle)"
[ "$peak" -le $((STOA_LOAD_RSS_MB * 1024)) ] ||
	fail "the serving daemon's peak RSS is $((peak / 1024)) MB, over $STOA_LOAD_RSS_MB MB"

step "a second round: every member holds what the server holds"
has_all() { [ "$(db_entries "$A")" -eq $((STOA_LOAD_ENTRIES + 1 + P)) ]; }
wait_for "the server to hold every member's profile" 30 has_all
sync_all "second round"
want=$(heads "$A")
for i in $(seq 1 "$P"); do
	assert_eq "$want" "$(heads "$T/m$i")" "m$i: feed heads"
done
view=$(view_digest "$A")
for i in 1 $(((P + 1) / 2)) "$P"; do
	assert_sound "$T/m$i" "m$i"
	assert_eq "$view" "$(view_digest "$T/m$i")" "m$i: view digest"
done
peak=$(peak_rss_kb "$APID")
echo "  after both rounds the server's peak RSS is $((peak / 1024)) MB"
[ "$peak" -le $((STOA_LOAD_RSS_MB * 1024)) ] ||
	fail "the serving daemon's peak RSS is $((peak / 1024)) MB, over $STOA_LOAD_RSS_MB MB"
stop_pid "$APID"
assert_eq 0 "$STOP_RC" "the serving daemon on SIGTERM"
ok
