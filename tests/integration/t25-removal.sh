#!/usr/bin/env bash
# t25-removal: what a removal does on the wire, between real daemons.
# Fay founds a community and serves it; Ben, Cy and Dan join and sync.
# Ben posts twice more while offline, and Cy takes those posts from Ben
# before anyone holds a removal. Fay then runs `stoa remove Ben` on her
# home while her daemon runs: the community secret is rotated with it,
# and Fay's daemon moves to the new epoch. Cy, still on the old epoch and
# holding Ben's later posts, serves; Fay syncs with her (a rotated node
# dials an old one with the old keys): Fay drops Ben's later posts
# without a strike against Cy (Cy could not know), Cy gets the removal
# and the rotation, deletes them and moves to the new epoch with no
# command; both views end equal, with Ben's entries up to the cut-off.
# Ben's node, and a new identity made from the old invite, can no longer
# sync with either. And Dan, connected live when Fay removes him, has
# his session ended at once.
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

step "Fay removes Ben while her daemon runs: the secret moves to epoch 1"
run_ok "$F" remove Ben --reason "left the school"
new_code=$("$STOA" --home "$F" invite 2>/dev/null)
[ "$new_code" != "$code" ] || fail "Fay's invite is the old one after the removal"
fay_moved() { grep -q "listening on $EP (epoch 1)" "$T/fay.log"; }
wait_for "Fay's daemon to listen under epoch 1" 10 fay_moved

step "Cy, on the old epoch, serves; Fay syncs with her with the old keys"
SERVE_LOG=$T/cy.log start_serve "$C"
EP_C=$ENDPOINT
CY_PID=$SERVE_PID
run_ok "$F" sync "$EP_C" --json --timeout 10
assert_not_contains "$ERR" "strike" "Fay's sync with Cy"
assert_eq "$cut" "$(seq_of "$F" "$key_b")" "Ben's entries at Fay after the sync with Cy"
cy_moved() { [ "$("$STOA" --home "$C" invite 2>/dev/null)" = "$new_code" ]; }
wait_for "Cy's node to move to epoch 1 by itself" 10 cy_moved
cy_listens() { grep -q "listening on $EP_C (epoch 1)" "$T/cy.log"; }
wait_for "Cy's daemon to listen under epoch 1" 10 cy_listens
assert_eq "$cut" "$(seq_of "$C" "$key_b")" "Ben's entries at Cy once the removal reached her"
run_ok "$C" sync "$EP" --json
run_ok "$C" feed --json --limit 100
assert_not_contains "$OUT" "Ben's second post" "Cy's feed"
assert_contains "$OUT" "hello from Ben" "Cy's feed (what came before the cut-off stays)"
run_ok "$C" members --json
json_check 'any(r.get("name") == "Ben" and r.get("removed") for r in rows)' \
	"Ben removed in Cy's members"
run_ok "$C" verify
assert_eq "$(view_digest "$F")" "$(view_digest "$C")" "Fay's and Cy's views"

step "Ben's node, and a new identity from the old invite, get nothing"
for ep in "$EP" "$EP_C"; do
	stoa_run "$B" sync "$ep" --json --timeout 8
	[ "$RC" -ne 0 ] || fail "Ben's sync with $ep after his removal exited 0: $OUT"
	assert_contains "$ERR" "closes every connection before the handshake" \
		"Ben's sync with $ep after his removal"
done
X=$T/xavier
run_ok "$X" init --name Xavier --join "$code"
for ep in "$EP" "$EP_C"; do
	stoa_run "$X" sync "$ep" --json --timeout 8
	[ "$RC" -ne 0 ] || fail "a new identity from the old invite synced with $ep: $OUT"
done
assert_eq 1 "$(store_entries "$X")" "the new identity's store (its own profile only)"
assert_eq "$cut" "$(seq_of "$F" "$key_b")" "Ben's entries at Fay after his attempts"

step "Dan, connected live, is removed: his session ends at once"
SERVE_LOG=$T/dan.log start_serve "$D" --peer "$EP"
DAN_PID=$SERVE_PID
# Dan is on the old epoch: Fay brings him the rotation, then his daemon
# dials Fay under the new keys
run_ok "$F" sync "$ENDPOINT" --json --timeout 10
dan_synced() { # Dan's own dial of Fay (not Fay's sync) settled
	"$STOA" --home "$D" peers --json >"$T/dp" 2>/dev/null || return 1
	"$PY" -c 'import json,sys
peers=json.load(open(sys.argv[1]))["peers"]
sys.exit(not any(p["endpoint"]==sys.argv[2] and p["state"]=="synced" for p in peers))' "$T/dp" "$EP"
}
wait_for "Dan's daemon synced with Fay's" 15 dan_synced
run_ok "$F" remove Dan --reason "laptop stolen"
dan_dropped() { grep -q "this member was removed from the community" "$T/fay.log"; }
wait_for "Fay's daemon to end Dan's session" 10 dan_dropped
stop_pid "$DAN_PID"
stop_pid "$CY_PID"
stop_pid "$FAY_PID"
ok
