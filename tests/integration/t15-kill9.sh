#!/usr/bin/env bash
# t15-kill9: a `stoa sync` killed -9 in the middle of pulling a big home
# (20000 entries, made by the bench tool) leaves a sound store: SQLite's
# integrity check passes, `stoa verify` is clean, and the next sync picks
# up where it stopped and ends with every entry and the same view.
#
# Three fresh members are killed at three points of the transfer: once
# their store holds 3000, 8000 and 13000 entries, or once the write-ahead
# log of their store has grown past 1, 5 and 10 MB, whichever comes
# first. (A sync commits once per pass of its loop: when passes are big,
# a store "holding some but not all" lasts a few ms if at all, and the
# kill lands in an open transaction whose pages have spilled into the
# WAL: the hard case for recovery.)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${BENCH_STORE:-}" ]; then
	BENCH_STORE=$(dirname "$STOA")/tests/bench_store
fi
if [ ! -x "$BENCH_STORE" ]; then
	skip "no bench_store at '$BENCH_STORE' (set BENCH_STORE)"
fi
if ! have_sqlite3; then
	skip "the sqlite3 CLI is needed"
fi

N=20000
A=$T/bench/home   # made by the bench tool: community "bench"

step "a home of $N entries (bench tool), serving"
mkdir -p "$T/bench"
"$BENCH_STORE" --entries "$N" --ingest 0 --keep --dir "$T/bench" >"$T/bench.out" 2>&1 ||
	fail "bench_store failed: $(tail -n 3 "$T/bench.out")"
TOTAL=$((N + 1)) # the bench member's profile; each member adds its own
assert_eq "$TOTAL" "$(store_entries "$A")" "entries in the bench home"
start_serve "$A"
EP=$ENDPOINT
run_ok "$A" invite
code=$OUT

# count DB: the entries a store holds, straight from SQLite (cheap enough
# to poll every few ms while a sync writes).
count() {
	sql -readonly "$1/store.db" 'SELECT count(*) FROM entries' ||
		fail "cannot count the entries of $1"
}
wal_bytes() {
	stat -c %s "$1/store.db-wal" 2>/dev/null || echo 0
}

round=0
for point in 3000:1 8000:5 13000:10; do
	round=$((round + 1))
	at=${point%:*} mb=${point#*:}
	B=$T/bo$round
	FULL=$((TOTAL + 1)) # all the bench home holds, and this member's profile
	run_ok "$B" init --name "Bo$round" --join "$code"
	step "round $round: a fresh member syncs; kill -9 at $at entries or a $mb MB WAL"
	bg_start "$T/sync$round.log" "$STOA" --home "$B" sync "$EP" --timeout 60
	sync_pid=$BG_PID
	deadline=$(($(now_ms) + 30000))
	while :; do
		n=$(count "$B")
		n=${n:-0}
		if [ "$n" -lt "$FULL" ] && { [ "$n" -ge "$at" ] ||
			[ "$(wal_bytes "$B")" -ge $((mb * 1048576)) ]; }; then
			break
		fi
		if ! pid_alive "$sync_pid"; then
			wait_pid "$sync_pid"
			fail "round $round: the sync ended (exit $STOP_RC, $n entries) before it could be killed mid-way: $(cat "$T/sync$round.log")"
		fi
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "round $round: no progress past $n entries in 30 s"
		sleep 0.005
	done
	stop_pid "$sync_pid" KILL
	assert_eq 137 "$STOP_RC" "round $round: the sync's exit status (killed)"
	n=$(count "$B")
	echo "  killed holding $n of $FULL entries, WAL $(wal_bytes "$B") bytes"
	[ "$n" -lt "$FULL" ] || fail "round $round: the kill came after the last commit"

	step "round $round: integrity_check ok, verify clean"
	assert_eq ok "$(sql "$B/store.db" 'PRAGMA integrity_check')" \
		"round $round: integrity_check"
	run_ok "$B" verify
	assert_contains "$OUT" "verified $n entries: ok" "round $round: verify"
	pid_alive "$SERVE_PID" || fail "round $round: the serving daemon died"

	step "round $round: a new sync completes: every entry, equal views"
	run_ok "$B" sync "$EP" --json --timeout 60
	TOTAL=$FULL
	# the bench home now holds this member's profile too
	has_all() { [ "$(count "$A")" = "$TOTAL" ]; }
	wait_for "the bench home to hold Bo$round's profile" 5 has_all
	json_check "rows[0]['entries_in'] == $TOTAL - $n" "round $round: entries_in of the new sync"
	assert_eq "$TOTAL" "$(count "$B")" "round $round: entries after the new sync"
	run_ok "$B" verify
	assert_contains "$OUT" "verified $TOTAL entries: ok" "round $round: verify after the new sync"
	assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "round $round: view digest"
	run_ok "$B" sync "$EP" --json
	assert_eq 0 "$(json_field entries_in)" "round $round: a warm sync"
done
ok
