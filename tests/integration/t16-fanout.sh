#!/usr/bin/env bash
# t16-fanout: one serving node with ~2000 entries (bench tool) and five
# fresh members syncing from it at the same time: each sync succeeds, and
# after one more round everybody shows the same view. Then the daemon
# keeps serving one-shot syncs well past DAEMON_PEERS_MAX (64)
# connections over its life.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${BENCH_STORE:-}" ]; then
	BENCH_STORE=$(dirname "$STOA")/tests/bench_store
fi
if [ ! -x "$BENCH_STORE" ]; then
	skip "no bench_store at '$BENCH_STORE' (set BENCH_STORE)"
fi

N=2000
A=$T/bench/home

step "a home of $N entries (bench tool), serving"
mkdir -p "$T/bench"
"$BENCH_STORE" --entries "$N" --ingest 0 --keep --dir "$T/bench" >"$T/bench.out" 2>&1 ||
	fail "bench_store failed: $(tail -n 3 "$T/bench.out")"
assert_eq $((N + 1)) "$(store_entries "$A")" "entries in the bench home"
start_serve "$A"
EP=$ENDPOINT
run_ok "$A" invite
code=$OUT
for i in 1 2 3 4 5; do
	run_ok "$T/m$i" init --name "M$i" --join "$code"
done

step "five members sync at once"
pids=()
for i in 1 2 3 4 5; do
	bg_start "$T/sync$i.out" "$STOA" --home "$T/m$i" sync "$EP" --json --timeout 25
	pids+=("$BG_PID")
done
for i in 1 2 3 4 5; do
	wait_pid "${pids[$((i - 1))]}" 30
	[ "$STOP_RC" -eq 0 ] ||
		fail "sync of m$i exited $STOP_RC: $(cat "$T/sync$i.out")"
	OUT=$(<"$T/sync$i.out")
	assert_eq 1 "$(json_lines)" "m$i: sync --json lines"
	json_check "rows[0]['entries_in'] >= $N + 1 and rows[0]['entries_out'] == 1" \
		"m$i: entries each way"
	run_ok "$T/m$i" verify
done
pid_alive "$SERVE_PID" || fail "the serving daemon died"

step "one more round: everybody holds all $((N + 6)) entries, equal views"
has_all() { [ "$(store_entries "$A")" = $((N + 6)) ]; }
wait_for "the bench home to hold the five profiles" 5 has_all
view=$(view_digest "$A")
for i in 1 2 3 4 5; do
	run_ok "$T/m$i" sync "$EP" --json --timeout 20
	json_check "rows[0]['entries_out'] == 0" "m$i: second round sends nothing"
	assert_eq $((N + 6)) "$(store_entries "$T/m$i")" "m$i: entries"
	assert_eq "$view" "$(view_digest "$T/m$i")" "m$i: view digest"
done
run_ok "$A" verify

step "the daemon serves more one-shot syncs than it has peer slots (64)"
# (the timeout leaves room for one handshake that libzmq gives up on
# after TRANSPORT_HANDSHAKE_IVL and makes again: the point here is the
# slots, not the latency)
for k in $(seq 1 60); do
	stoa_run "$T/m$((k % 5 + 1))" sync "$EP" --json --timeout 15
	[ "$RC" -eq 0 ] ||
		fail "warm sync number $((k + 10)) against one daemon exited $RC: $ERR"
done
pid_alive "$SERVE_PID" || fail "the serving daemon died"
stop_pid "$SERVE_PID"
assert_eq 0 "$STOP_RC" "serve on SIGTERM"
ok
