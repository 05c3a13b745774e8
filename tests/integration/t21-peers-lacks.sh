#!/usr/bin/env bash
# t21-peers-lacks: what `stoa peers` says each side of a session lacks.
# Three daemons on loopback (A; B dialing A; C dialing A and B), three
# posts on A and three on B: once every store holds the same 9 entries,
# every row of every node's `stoa peers` says synced, lacking 0 both ways
# (C used to show "WE LACK 1" for entries the other peer had relayed, and
# "IT LACKS 1" for its own profile that reached B through A). While a node
# is behind, the rows say by how much: C gone, B's daemon stopped
# (SIGSTOP) and three posts on A, A's row for B says B lacks 3; then A
# stopped and B going on (it read A's HAVEs), B's row for A says B lacks
# 3; both running again, 0 and 0; C back, 0 and 0 everywhere once it
# caught up. A stop lasts well under the 2 s in which a silent peer's
# connection is given up (TRANSPORT_HEARTBEAT_TIMEOUT).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada
B=$T/bo
C=$T/cy

# row HOME KEY: 0 if HOME's daemon answers `stoa peers --json` and has a
# row for node KEY; sets ROW ("STATE LACKS_IN LACKS_OUT") either way.
row() {
	local out
	ROW="no answer"
	out=$("$STOA" --home "$1" peers --json 2>/dev/null) || return 1
	ROW=$("$PY" -S -c '
import json, sys
rows = [p for p in json.loads(sys.stdin.read())["peers"] if p.get("node") == sys.argv[1]]
print("%s %d %d" % (rows[0]["state"], rows[0]["lacks_in"], rows[0]["lacks_out"]) if rows else "no row")
' "$2" <<<"$out") || return 1
	[ "$ROW" != "no row" ]
}

# row_is HOME KEY ERE: HOME's row for KEY ("STATE IN OUT") matches ERE.
row_is() {
	row "$1" "$2" && [[ $ROW =~ ^$3$ ]]
}

# expect_row HOME KEY ERE WHAT: polled (deadline) until row_is.
expect_row() {
	local deadline=$(($(now_ms) + 10000))
	until row_is "$1" "$2" "$3"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "$4: expected /$3/ (state, we lack, it lacks), got '$ROW'"
		sleep 0.05
	done
}

has_entries() { [ "$(store_entries "$1")" = "$2" ]; }

step "three homes of one community"
run_ok "$A" init --name Ada --community "Lacks Circle"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
run_ok "$A" whoami --json
key_A=$(json_field key)
run_ok "$B" whoami --json
key_B=$(json_field key)
run_ok "$C" whoami --json
# shellcheck disable=SC2034 # read as ${!k} below
key_C=$(json_field key)

step "A serves; B dials A; C dials A and B"
start_serve "$A"
EP_A=$ENDPOINT
PID_A=$SERVE_PID
start_serve "$B" --peer "$EP_A"
EP_B=$ENDPOINT
PID_B=$SERVE_PID
start_serve "$C" --peer "$EP_A" --peer "$EP_B"
PID_C=$SERVE_PID
for h in "$A" "$B" "$C"; do
	wait_for "$(basename "$h") to hold the 3 profiles" 10 has_entries "$h" 3
done

step "three posts on A and three on B: every node holds all 9 entries"
for i in 1 2 3; do
	run_ok "$A" post "from Ada $i"
	run_ok "$B" post "from Bo $i"
done
for h in "$A" "$B" "$C"; do
	wait_for "$(basename "$h") to hold 9 entries" 10 has_entries "$h" 9
done

step "every row of every node: synced, lacking 0 both ways"
for pair in "A B" "A C" "B A" "B C" "C A" "C B"; do
	read -r h p <<<"$pair"
	k=key_$p
	expect_row "${!h}" "${!k}" "synced 0 0" "$h's row for $p"
done

step "C's daemon stops (no relay left between A and B)"
stop_pid "$PID_C"
assert_eq 0 "$STOP_RC" "C's daemon exit status on SIGTERM"

step "B stopped, three posts on A: A's row for B says B lacks 3"
kill -STOP "$PID_B"
t0=$(now_ms)
for i in 4 5 6; do run_ok "$A" post "from Ada $i"; done
expect_row "$A" "$key_B" "[a-z]+ 0 3" "A's row for the stopped B"
stopped_b=$(($(now_ms) - t0))

step "A stopped, B going on: B's row for A says B lacks 3"
kill -STOP "$PID_A"
kill -CONT "$PID_B"
t0=$(now_ms)
expect_row "$B" "$key_A" "syncing 3 0" "B's row for the stopped A"
stopped_a=$(($(now_ms) - t0))
kill -CONT "$PID_A"
echo "  stopped: B for ${stopped_b} ms, A for ${stopped_a} ms"

step "both running: A and B hold 12 entries, their rows lack 0 again"
for h in "$A" "$B"; do
	wait_for "$(basename "$h") to hold 12 entries" 10 has_entries "$h" 12
done
expect_row "$A" "$key_B" "synced 0 0" "A's row for B, once equal again"
expect_row "$B" "$key_A" "synced 0 0" "B's row for A, once equal again"

step "C serves again, 3 entries behind: it catches up, every row 0 and 0"
start_serve "$C" --peer "$EP_A" --peer "$EP_B"
wait_for "C to hold 12 entries" 10 has_entries "$C" 12
for pair in "A B" "A C" "B A" "B C" "C A" "C B"; do
	read -r h p <<<"$pair"
	k=key_$p
	expect_row "${!h}" "${!k}" "synced 0 0" "$h's row for $p, once equal again"
done

step "the text of C's stoa peers: both peers synced, 0 and 0"
run_ok "$C" peers
for k in "$key_A" "$key_B"; do
	[[ $OUT =~ (^|$'\n')${k:0:8}\ [^$'\n']*\ synced\ +(now|[0-9]+[smh]\ ago)\ +0\ +0($'\n'|$) ]] ||
		fail "C's stoa peers: no synced row lacking 0 and 0 for ${k:0:8}: $OUT"
done
ok
