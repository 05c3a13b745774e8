#!/usr/bin/env bash
# t25-removal: what a removal does on the wire, between real daemons.
# Fay founds a community and serves it; Ben, Cy and Dan join and sync.
# Ben posts twice more while offline, and Cy takes those posts from Ben
# before anyone holds a removal. Fay then runs `stoa remove Ben` on her
# home while her daemon runs. Cy, holding Ben's later posts, syncs with
# Fay: Fay drops them without a strike against Cy (Cy could not know),
# and Cy gets the removal and deletes them: both views end equal, with
# Ben's entries up to the cut-off. Ben's node is refused at the
# handshake. And Dan, connected live when Fay removes him, has his
# session ended at once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F=$(new_home fay "Removal club")
run_ok "$F" invite
code=$OUT
B=$T/ben
C=$T/cy
D=$T/dan
run_ok "$B" init --name Ben --join "$code"
run_ok "$C" init --name Cy --join "$code"
run_ok "$D" init --name Dan --join "$code"

key_of() {
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field key "$j"
}
seq_of() { # HOME KEY: the head of KEY's feed in HOME's store
	sql "$1/store.db" "SELECT coalesce(max(seq), 0) FROM entries WHERE author = x'$2'"
}
key_b=$(key_of "$B")

step "everyone syncs with Fay's daemon"
SERVE_LOG=$T/fay.log start_serve "$F"
EP=$ENDPOINT
FAY_PID=$SERVE_PID
run_ok "$B" post --topic intro "hello from Ben"
for h in "$B" "$C" "$D"; do
	run_ok "$h" sync "$EP" --json
done
cut=$(seq_of "$F" "$key_b")
assert_eq 2 "$cut" "Ben's entries at Fay"

step "Ben writes two more posts offline; Cy takes them from Ben"
run_ok "$B" post --topic intro "Ben's second post"
run_ok "$B" post --topic intro "Ben's third post"
SERVE_LOG=$T/ben.log start_serve "$B"
run_ok "$C" sync "$ENDPOINT" --json
stop_pid "$SERVE_PID"
assert_eq "$((cut + 2))" "$(seq_of "$C" "$key_b")" "Ben's entries at Cy"

step "Fay removes Ben while her daemon runs"
run_ok "$F" remove Ben --reason "left the school"

step "Cy syncs: Ben's later posts dropped at Fay without a strike, deleted at Cy"
lines=$(wc -l <"$T/fay.log")
run_ok "$C" sync "$EP" --json
assert_eq "$cut" "$(seq_of "$F" "$key_b")" "Ben's entries at Fay after Cy's sync"
assert_eq "$cut" "$(seq_of "$C" "$key_b")" "Ben's entries at Cy once the removal reached her"
tail -n +"$((lines + 1))" "$T/fay.log" >"$T/fay.after"
assert_not_contains "$(<"$T/fay.after")" "strike" "Fay's log during Cy's sync"
assert_not_contains "$(<"$T/fay.after")" "dropping peer" "Fay's log during Cy's sync"
run_ok "$C" feed --json --limit 100
assert_not_contains "$OUT" "Ben's second post" "Cy's feed"
assert_contains "$OUT" "hello from Ben" "Cy's feed (what came before the cut-off stays)"
run_ok "$C" members --json
json_check 'any(r.get("name") == "Ben" and r.get("removed") for r in rows)' \
	"Ben removed in Cy's members"
run_ok "$C" verify
assert_eq "$(view_digest "$F")" "$(view_digest "$C")" "Fay's and Cy's views"

step "Ben's node is refused at the handshake"
stoa_run "$B" sync "$EP" --json --timeout 8
[ "$RC" -ne 0 ] || fail "Ben's sync after his removal exited 0: $OUT"
assert_contains "$ERR" "refused the handshake" "Ben's sync after his removal"
assert_eq "$cut" "$(seq_of "$F" "$key_b")" "Ben's entries at Fay after his attempt"
refused_ben() { grep -q "its member was removed from the community" "$T/fay.log"; }
wait_for "Fay's daemon to log the refusal" 5 refused_ben

step "Dan, connected live, is removed: his session ends at once"
SERVE_LOG=$T/dan.log start_serve "$D" --peer "$EP"
DAN_PID=$SERVE_PID
dan_synced() {
	"$STOA" --home "$D" peers --json >"$T/dp" 2>/dev/null || return 1
	grep -q '"state":"synced"' "$T/dp"
}
wait_for "Dan's daemon synced with Fay's" 10 dan_synced
run_ok "$F" remove Dan --reason "laptop stolen"
dan_dropped() { grep -q "this member was removed from the community" "$T/fay.log"; }
wait_for "Fay's daemon to end Dan's session" 10 dan_dropped
stop_pid "$DAN_PID"
stop_pid "$FAY_PID"
ok
