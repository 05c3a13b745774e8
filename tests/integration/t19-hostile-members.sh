#!/usr/bin/env bash
# t19-hostile-members: one member must not damage other members' stores.
# Mal (tests/tools/hostile_peer with Mal's keys) attacks Ada's serving
# node: relays Bo's feed with every payload stripped (Ada holds the
# entries as holes, passes none on, and Bo's next sync repairs them),
# replays a run Ada holds, relays its own feed with a forged entry in the
# middle of a run, says HELLO as Fay over its own CURVE key, and floods
# Ada with 500 validly signed forks of its own seq 1. After each of the
# others, Ada refused it (Mal got an ERROR back), stored nothing of it,
# verifies clean, logged a bounded number of lines, and an honest member
# still syncs with it.
# And a store that holds entries without their payload (an older stoa
# took them from such a relay; made here with the sqlite3 CLI) says so in
# `stoa verify`, never passes the holes on (a fresh node syncing from it
# stops before them), and gets the payloads back from a node that has
# them (Bo's), even when the two frontiers are equal, dialing or dialed.
#
# STOA_HOSTILE_REPORT=1 goes on past a failed bound (hostile.sh).
# shellcheck source=tests/integration/hostile.sh
. "$(dirname "$0")/hostile.sh"

LOG_MAX_LINES=20               # node log lines one attack may cost
FORK_GROWTH_MAX_BYTES=1048576  # store.db + -wal growth from the fork flood
FORKS_PER_AUTHOR_MAX=5         # fork proofs kept of one author: a handful
SYNC_MAX_MS=2000               # an honest `stoa sync` after an attack
RSS_MAX_KB=65536               # Ada's daemon, peak over the whole test
if [ "${STOA_SANITIZED:-0}" = 1 ]; then
	RSS_MAX_KB=$((RSS_MAX_KB * 4)) # ASan's shadow memory and quarantine
fi
FLOOD_FORKS=500                # forks of Mal's seq 1, 30 KB payloads
STRIP_ENTRIES=20               # Bo's entries relayed with no payload
REPLAYS=200                    # times a held run is sent again
HOLE_FIRST=5 HOLE_LAST=7       # Bo's seqs whose payload Dan's store lacks

A=$T/ada   # the target, serving
B=$T/bo    # an honest member, author of the feed Mal strips
M=$T/mal   # the member whose keys the hostile tool uses
D=$T/dan   # a member whose store an older stoa damaged
F=$T/fay   # a new member who syncs only from Dan

step "one community: Ada serving, Bo honest, Mal hostile"
run_ok "$A" init --name Ada --community "Hostile Members"
run_ok "$A" invite
code=$OUT
for h in "$B" "$M" "$D" "$F"; do
	run_ok "$h" init --name "$(basename "$h")" --join "$code"
done
key_of() { run_ok "$1" whoami --json; json_field key; }
key_b=$(key_of "$B")
key_m=$(key_of "$M")
key_f=$(key_of "$F")
for i in 1 2 3; do run_ok "$A" post "Ada $i"; done
for i in 1 2 3 4; do run_ok "$M" post "Mal $i"; done
for i in $(seq "$STRIP_ENTRIES"); do
	run_ok "$B" post --topic notes "Bo's note $i: what I learnt today"
done
start_serve "$A"
EP=$ENDPOINT
ADA_PID=$SERVE_PID
LOG=$A.log

step "Mal syncs with Ada, then takes Bo's feed from Bo alone"
run_ok "$M" sync "$EP" --json
start_serve "$B"
run_ok "$M" sync "$ENDPOINT" --json
stop_pid "$SERVE_PID"
assert_eq "$((STRIP_ENTRIES + 1))" "$(rows_of "$M" "$key_b")" "Bo's entries at Mal"
assert_eq 0 "$(rows_of "$A" "$key_b")" "Bo's entries at Ada"

# before_attack: what Ada is and logged before one attack.
before_attack() {
	view0=$(view_digest "$A")
	entries0=$(store_entries "$A")
	log0=$(log_lines "$LOG")
}

# after_attack WHAT: Ada still runs, logged at most LOG_MAX_LINES, and
# (unless "changed" follows) holds what it held.
after_attack() {
	local what=$1 grown
	pid_alive "$ADA_PID" || fail "$what: Ada's daemon died"
	grown=$(($(log_lines "$LOG") - log0))
	measure "$what.log_lines" "$grown"
	bound "$what: lines Ada logged" "$grown" "$LOG_MAX_LINES"
	if [ "${2:-}" != changed ]; then
		check "$what: Ada's view digest changed" \
			[ "$view0" = "$(view_digest "$A")" ]
		check "$what: Ada's entries changed" \
			[ "$entries0" = "$(store_entries "$A")" ]
	fi
}

# bo_syncs WHAT: Bo posts and syncs with Ada, which then holds the post.
n_bo=0
bo_syncs() {
	local n
	n_bo=$((n_bo + 1))
	run_ok "$B" post "Bo after $1"
	n=$(store_entries "$A")
	honest_sync "$B" "$EP"
	# A dial libzmq leaves stuck in its handshake (about one in 100 to
	# 300 under load, attack or not: docs/hardening.md) is redialled
	# after DAEMON_DIAL_STALL_MS, 5 s: that one sync says nothing of the
	# attack, so it is said and Bo syncs again. An attack that slows
	# every sync still fails the bound.
	if [ "$RC" -eq 0 ] && [ "$SYNC_MS" -gt "$SYNC_MAX_MS" ] &&
		[ "$SYNC_MS" -ge 5000 ] && [ "$SYNC_MS" -lt $((5000 + SYNC_MAX_MS)) ]; then
		echo "  ($1: Bo's sync took $SYNC_MS ms: a dial stuck in its handshake and redialled; again)"
		measure "$1.stalled_sync_ms" "$SYNC_MS"
		honest_sync "$B" "$EP"
	fi
	measure "$1.honest_sync_ms" "$SYNC_MS"
	check "$1: Bo's sync exits $RC: $ERR" [ "$RC" -eq 0 ]
	bound "$1: Bo's sync, ms" "$SYNC_MS" "$SYNC_MAX_MS"
	held() { [ "$(store_entries "$A")" -gt "$n" ]; }
	check "$1: Ada does not hold Bo's post within 5 s" within 5 held
}

# not CMD...: succeeds when CMD fails (for check)
not() { ! "$@"; }

step "strip: Bo's entries 1-$STRIP_ENTRIES relayed by Mal, every payload erased"
# Ada holds them without their payload (holes: no erasure explains
# them), costs Mal no strike (an honest relay of erased entries looks the
# same), relays none of them, and asks for them again at the next sync
before_attack
hostile --home "$M" --endpoint "$EP" --mode strip --author "$key_b" \
	--count "$STRIP_ENTRIES" --wait 3000
measure strip.errors "$(errors_of "$T/hostile.out" | grep -c . || true)"
measure strip.null_payloads "$(null_payloads "$A")"
check "strip: Mal got an ERROR back: $(cat "$T/hostile.out")" \
	not has_error "$T/hostile.out"
check "strip: Ada holds $(null_payloads "$A") of Bo's entries without a payload, not $STRIP_ENTRIES" \
	[ "$(null_payloads "$A")" -eq "$STRIP_ENTRIES" ]
after_attack strip changed
check "strip: Ada's view digest changed (no row for a hole)" \
	[ "$view0" = "$(view_digest "$A")" ]
stoa_run "$A" verify
check "strip: verify exits $RC, not 1, on the holes: $OUT" [ "$RC" -eq 1 ]
step "strip: Bo's own sync then repairs them and brings his feed whole"
bo_syncs strip
check "strip: Ada holds Bo's feed up to $((STRIP_ENTRIES + 1 + n_bo))" \
	[ "$(head_of "$A" "$key_b")" -eq "$((STRIP_ENTRIES + 1 + n_bo))" ]
repaired() { [ "$(null_payloads "$A")" -eq 0 ]; }
check "strip: Ada still holds $(null_payloads "$A") holes 5 s after Bo's sync" \
	within 5 repaired
store_intact "$A" "strip, then Bo"
check "strip: Ada's view differs from Bo's after their sync" \
	[ "$(view_digest "$A")" = "$(view_digest "$B")" ]

step "replay: Mal sends a run Ada holds $REPLAYS times"
before_attack
hostile --home "$M" --endpoint "$EP" --mode replay --count "$REPLAYS" \
	--wait 2000
matches "$(<"$T/hostile.out")" "sent: the run of [0-9]+ entries from 1, $REPLAYS times" ||
	fail "replay: the tool did not send the run $REPLAYS times: $(cat "$T/hostile.out")"
after_attack replay
store_intact "$A" replay
bo_syncs replay

step "forgedmiddle: Mal's own new entries, one in the middle forged"
for i in 5 6 7 8; do run_ok "$M" post "Mal $i"; done
before_attack
hostile --home "$M" --endpoint "$EP" --mode forgedmiddle --wait 5000
measure forgedmiddle.errors "$(errors_of "$T/hostile.out" | grep -c . || true)"
check "forgedmiddle: Mal got no ERROR back: $(cat "$T/hostile.out")" \
	has_error "$T/hostile.out"
after_attack forgedmiddle
store_intact "$A" forgedmiddle
step "forgedmiddle: Mal's honest sync then brings the real entries"
run_ok "$M" sync "$EP" --json --timeout 20
assert_eq "$(rows_of "$M" "$key_m")" "$(rows_of "$A" "$key_m")" "Mal's entries at Ada"
store_intact "$A" "forgedmiddle, then Mal"

step "impersonate: a HELLO as Fay (never here yet) over Mal's CURVE key"
# no_session_of KEY: Ada's daemon lists no session under KEY
no_session_of() {
	local j
	j=$("$STOA" --home "$A" peers --json) || return 1
	printf '%s\n' "$j" | "$PY" -S -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(1 if any(p.get("node") == sys.argv[1] for p in d["peers"]) else 0)
' "$1"
}
no_session_of "$key_f" || fail "impersonate: Ada lists Fay before the attack"
before_attack
hostile_bg "$T/impersonate.out" --home "$M" --endpoint "$EP" \
	--mode impersonate --as "$key_f" --wait 4000
hostile_ready "$T/impersonate.out"
# while Mal is connected, Ada never shows a session under Fay's key
looks=0 seen=0
while pid_alive "$HOSTILE_PID"; do
	no_session_of "$key_f" || seen=$((seen + 1))
	looks=$((looks + 1))
	sleep 0.2
done
wait_pid "$HOSTILE_PID"
[ "$looks" -ge 3 ] || fail "impersonate: looked at Ada's peers only $looks times"
measure impersonate.sessions_as_fay "$seen/$looks"
measure impersonate.errors "$(errors_of "$T/impersonate.out" | grep -c . || true)"
measure impersonate.hellos "$(summary_of "$T/impersonate.out" hellos)"
bound "impersonate: times Ada listed a session as Fay" "$seen" 0
check "impersonate: Mal got no ERROR back: $(cat "$T/impersonate.out")" \
	has_error "$T/impersonate.out"
after_attack impersonate
bo_syncs impersonate

# The repair runs between Dan and Bo's own node, so it does not depend
# on what the attacks did to Ada (in report mode they may have damaged
# it). Bo's node serves, and changes nothing meanwhile: each sync Dan
# has with it is warm (equal frontiers).
step "repair: Dan holds all Bo holds, then loses payloads of Bo's $HOLE_FIRST-$HOLE_LAST"
start_serve "$B"
BO_PID=$SERVE_PID
EP_B=$ENDPOINT
run_ok "$D" sync "$EP_B" --json
# damage_dan: what an older stoa left after a relay stripped payloads
damage_dan() {
	sql "$D/store.db" "UPDATE entries SET payload = NULL
	  WHERE author = x'$key_b' AND seq BETWEEN $HOLE_FIRST AND $HOLE_LAST" ||
		fail "sqlite3 UPDATE failed"
	run_ok "$D" reindex
	assert_eq "$((HOLE_LAST - HOLE_FIRST + 1))" "$(null_payloads "$D")" "holes in Dan's store"
}
# repaired WHAT: Dan's store whole again, its view Bo's
repaired() {
	store_intact "$D" "$1"
	check "$1: Dan's view is not Bo's" [ "$(view_digest "$D")" = "$(view_digest "$B")" ]
}
assert_eq 0 "$(null_payloads "$B")" "entries without payload at Bo"
assert_eq "$(view_digest "$B")" "$(view_digest "$D")" "Dan's view before the damage"
damage_dan
[ "$(view_digest "$D")" != "$(view_digest "$B")" ] ||
	fail "the damage does not show in Dan's view"
stoa_run "$D" verify
measure repair.verify_rc "$RC"
check "repair: verify of the damaged store exits $RC, not 1: $OUT" [ "$RC" -eq 1 ]
check "repair: verify names no missing payload: $OUT" matches "$OUT" payload

step "repair: a warm sync with Bo (Dan dials) brings the payloads back"
honest_sync "$D" "$EP_B"
check "repair: Dan's sync exits $RC: $ERR" [ "$RC" -eq 0 ]
measure repair.dialing_null_after "$(null_payloads "$D")"
repaired "repair, Dan dialing"

step "repair: damaged again, Dan serving; Bo's warm \`stoa sync\` to him repairs it"
damage_dan
start_serve "$D"
DAN_PID=$SERVE_PID
EP_D=$ENDPOINT
honest_sync "$B" "$EP_D"
check "repair: Bo's sync to Dan exits $RC: $ERR" [ "$RC" -eq 0 ]
# Dan's daemon stores what it asked for once Bo's sync is done
no_holes() { [ "$(null_payloads "$D")" -eq 0 ]; }
within 5 no_holes || true
measure repair.dialed_sync_null_after "$(null_payloads "$D")"
repaired "repair, Dan dialed by a sync"
stop_pid "$DAN_PID"

step "repair: damaged again, Dan serving; Bo's daemon dials him (--peer)"
damage_dan
start_serve "$D"
DAN_PID=$SERVE_PID
EP_D=$ENDPOINT
stop_pid "$BO_PID"
start_serve "$B" --peer "$EP_D"
BO_PID=$SERVE_PID
within 10 no_holes || true
measure repair.dialed_daemon_null_after "$(null_payloads "$D")"
repaired "repair, Dan dialed by a daemon"
stop_pid "$BO_PID"
stop_pid "$DAN_PID"
start_serve "$B"
BO_PID=$SERVE_PID
EP_B=$ENDPOINT

step "repair: damaged Dan serving; Fay, new, syncs from him alone"
damage_dan
start_serve "$D"
DAN_PID=$SERVE_PID
EP_D=$ENDPOINT
honest_sync "$F" "$EP_D"
check "repair: Fay's sync from Dan exits $RC: $ERR" [ "$RC" -eq 0 ]
measure repair.fay_null "$(null_payloads "$F")"
measure repair.fay_bo_head "$(head_of "$F" "$key_b")"
store_intact "$F" "repair, Fay from Dan"
# all that comes before the hole, and nothing from it on
check "repair: Bo's feed at Fay ends at $(head_of "$F" "$key_b"), not just before the hole" \
	[ "$(head_of "$F" "$key_b")" -eq "$((HOLE_FIRST - 1))" ]
stop_pid "$DAN_PID"
step "repair: Fay then syncs with Bo and holds his feed whole"
honest_sync "$F" "$EP_B"
check "repair: Fay's sync with Bo exits $RC: $ERR" [ "$RC" -eq 0 ]
store_intact "$F" "repair, Fay from Bo"
check "repair: Fay's view is not Bo's" [ "$(view_digest "$F")" = "$(view_digest "$B")" ]
stop_pid "$BO_PID"

step "forkflood: $FLOOD_FORKS forks of Mal's seq 1, 30 KB each, on one connection"
before_attack
bytes0=$(store_bytes "$A")
hostile --home "$M" --endpoint "$EP" --mode forkflood --count "$FLOOD_FORKS" \
	--wait 5000
pid_alive "$ADA_PID" || fail "forkflood: Ada's daemon died"
# the tool read for a while after its last frame; the pass that took
# it may still be committing: wait for the files to stop growing
last=-1
settled() {
	local now
	now=$(store_bytes "$A")
	[ "$now" = "$last" ] && return 0
	last=$now
	sleep 0.25
	return 1
}
wait_for "Ada's store to settle after the fork flood" 20 settled
growth=$(($(store_bytes "$A") - bytes0))
measure forkflood.store_growth_bytes "$growth"
measure forkflood.fork_rows "$(forks_of "$A" "$key_m")"
measure forkflood.dropped "$(summary_of "$T/hostile.out" dropped)"
measure forkflood.errors "$(summary_of "$T/hostile.out" errors)"
bound "forkflood: store.db + wal growth, bytes" "$growth" "$FORK_GROWTH_MAX_BYTES"
bound "forkflood: fork proofs of Mal's feed" "$(forks_of "$A" "$key_m")" \
	"$FORKS_PER_AUTHOR_MAX"
check "forkflood: Mal was not told it is dropped: $(tail -n 3 "$T/hostile.out")" \
	[ "$(summary_of "$T/hostile.out" dropped)" -ge 1 ]
# the line may come at the end of the daemon's log window, if it was busy
check "forkflood: Ada did not log dropping Mal" \
	within 15 logged_drop "$LOG" "$((log0 + 1))"
after_attack forkflood changed
check "forkflood: Ada's entries changed" [ "$entries0" = "$(store_entries "$A")" ]
store_intact "$A" forkflood forks
bo_syncs forkflood

step "Ada's daemon: peak memory over the whole test"
rss=$(peak_rss_kb "$ADA_PID")
measure ada.peak_rss_kb "$rss"
bound "Ada's peak RSS, kB" "$rss" "$RSS_MAX_KB"
stop_pid "$ADA_PID"
assert_eq 0 "$STOP_RC" "Ada's daemon on SIGTERM"
finish
