#!/usr/bin/env bash
# t26-rotation: a rotation of the community secret that is voided later,
# between real nodes on loopback. Fay founds a community and makes Gil a
# facilitator; Xan and Yu join. While Fay is away, Gil removes Xan: Gil's
# node moves to epoch 1 and brings the rotation to Yu's daemon, which
# moves too, with no command (Yu is on epoch 0: Gil's sync reaches her
# with the old keys, and shows her only what predates the rotation;
# what Gil wrote since comes once Yu is on epoch 1). Meanwhile Fay, who never saw the removal, demotes
# Gil with a record that saw less of Gil's feed: once the two meet, Gil's
# removal and rotation are voided. Yu's sync with Fay (epoch 0 again:
# Yu's sync tries her past keys) brings the demotion, and Yu's node goes
# back to epoch 0 by itself: the same invite code as Fay's, and Xan, no
# longer removed, can sync with her again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F=$(new_home fay "Rotation club")
run_ok "$F" invite
code=$OUT
G=$T/gil
X=$T/xan
Y=$T/yu
run_ok "$G" init --name Gil --join "$code"
run_ok "$X" init --name Xan --join "$code"
run_ok "$Y" init --name Yu --join "$code"
invite_of() { "$STOA" --home "$1" invite 2>/dev/null; }
epoch_of() { # HOME: the epoch whoami reports
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field epoch "$j"
}
effect_of() { # HOME KIND: the effects of KIND's records in HOME's history
	run_ok "$1" governance --json
	printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
print(" ".join(r["effect"] for r in map(json.loads, sys.stdin) if r["kind"]==sys.argv[1]))' "$2"
}

step "everyone syncs with Fay; Fay makes Gil a facilitator"
SERVE_LOG=$T/fay.log start_serve "$F"
EP_F=$ENDPOINT
FAY_PID=$SERVE_PID
for h in "$G" "$X" "$Y"; do
	run_ok "$h" sync "$EP_F" --json
done
run_ok "$F" role Gil facilitator
for h in "$G" "$Y"; do
	run_ok "$h" sync "$EP_F" --json
done
stop_pid "$FAY_PID"

step "Fay away, Gil removes Xan: Gil's node is on epoch 1"
run_ok "$G" remove Xan --reason "left the club"
assert_eq 1 "$(epoch_of "$G")" "Gil's epoch"
[ "$(invite_of "$G")" != "$code" ] || fail "Gil's invite is the old one"

step "Gil syncs with Yu's daemon (epoch 0): Yu moves to epoch 1 by itself"
SERVE_LOG=$T/yu.log start_serve "$Y"
EP_Y=$ENDPOINT
YU_PID=$SERVE_PID
run_ok "$G" post --topic news "written after the rotation"
run_ok "$G" sync "$EP_Y" --json --timeout 10
# a session of a past epoch shows only what predates the rotation: a
# removed member holds the old keys and could pose as Yu's node
run_ok "$Y" feed --json --limit 100
assert_not_contains "$OUT" "written after the rotation" "Yu's feed after a sync on the old epoch"
yu_on() { [ "$(invite_of "$Y")" = "$1" ]; }
wait_for "Yu's node to move to Gil's epoch" 10 yu_on "$(invite_of "$G")"
yu_listens() { grep -q "listening on $EP_Y (epoch $1)" "$T/yu.log"; }
wait_for "Yu's daemon to listen under epoch 1" 10 yu_listens 1
assert_eq "applied" "$(effect_of "$Y" epoch)" "the rotation at Yu"
run_ok "$G" sync "$EP_Y" --json --timeout 10
run_ok "$Y" feed --json --limit 100
assert_contains "$OUT" "written after the rotation" "Yu's feed after a sync on the new epoch"
stoa_run "$X" sync "$EP_Y" --json --timeout 8
[ "$RC" -ne 0 ] || fail "removed Xan synced with Yu: $OUT"

step "Fay, who never saw the removal, demotes Gil; Yu syncs with her"
run_ok "$F" role Gil learner --reason "not yet"
SERVE_LOG=$T/fay2.log start_serve "$F"
EP_F=$ENDPOINT
FAY_PID=$SERVE_PID
run_ok "$Y" sync "$EP_F" --json --timeout 10
assert_contains "$ERR" "moved to epoch 0" "Yu's sync with Fay"
assert_eq "voided" "$(effect_of "$Y" epoch)" "the rotation at Yu"
assert_eq "voided" "$(effect_of "$Y" remove)" "the removal at Yu"
assert_eq "$code" "$(invite_of "$Y")" "Yu's invite (back to the founder's epoch)"
wait_for "Yu's daemon to listen under epoch 0" 10 yu_listens 0

step "Xan, no longer removed, syncs with Yu and Fay again"
run_ok "$X" sync "$EP_Y" --json --timeout 10
run_ok "$X" sync "$EP_F" --json --timeout 10

step "Gil's node goes back too once it holds the demotion"
run_ok "$G" sync "$EP_F" --json --timeout 10
assert_eq 0 "$(epoch_of "$G")" "Gil's epoch"
assert_eq "$code" "$(invite_of "$G")" "Gil's invite"
stop_pid "$YU_PID"
stop_pid "$FAY_PID"
ok
