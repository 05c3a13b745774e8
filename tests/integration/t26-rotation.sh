#!/usr/bin/env bash
# t26-rotation: the founder is the one writer of rotations of the
# community secret, between real nodes on loopback. Fay founds a
# community and makes Gil a facilitator; Xan and Yu join. Gil removes
# Xan: only the removal is written. When it reaches Fay's daemon, her
# node writes the rotation by itself and moves to epoch 1. Fay's sync
# brings it to Yu's daemon (on epoch 0: the old keys reach her, and show
# her only what predates the rotation), which moves too, with no command.
# Then Gil, away from Fay, gets epoch 1 from Yu's node and removes Yu,
# whom the rotation in force names: at Gil's node it no longer holds,
# and Gil stays on epoch 1 instead of going back to an epoch a removed
# member holds, until Fay's node writes epoch 2 for the members who
# remain and brings it to Gil's. `stoa rotate` is the founder's alone.
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
effects_of() { # HOME KIND: the effects of KIND's records, newest first
	run_ok "$1" governance --json
	printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
print(" ".join(r["effect"] for r in map(json.loads, sys.stdin) if r["kind"]==sys.argv[1]))' "$2"
}

step "everyone syncs with Fay's daemon; Fay makes Gil a facilitator"
SERVE_LOG=$T/fay.log start_serve "$F"
EP_F=$ENDPOINT
FAY_PID=$SERVE_PID
for h in "$G" "$X" "$Y"; do
	run_ok "$h" sync "$EP_F" --json
done
run_ok "$F" role Gil facilitator
run_ok "$G" sync "$EP_F" --json

step "rotate: the founder's alone; a facilitator's refused"
refused() { # CODE HOME ARGS...
	local want=$1
	shift
	stoa_run "$@"
	[ "$RC" -eq "$want" ] || fail "'stoa $*' exited $RC, expected $want: $ERR"
}
refused 1 "$G" rotate --reason "mine"
assert_eq "stoa: only the community's founder can rotate its secret" "$ERR" "Gil's rotate"
refused 1 "$Y" rotate
assert_eq "stoa: only the community's founder can rotate its secret" "$ERR" "Yu's rotate"
assert_eq 0 "$(epoch_of "$G")" "Gil's epoch after his refused rotate"

step "Gil removes Xan: the removal only; Fay's node writes the rotation"
run_ok "$G" remove Xan --reason "left the club"
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "Gil's remove prints one id"
assert_contains "$ERR" "the founder's node gives the community a new secret" "Gil's remove"
assert_eq 0 "$(epoch_of "$G")" "Gil's epoch after his removal"
run_ok "$G" sync "$EP_F" --json
fay_wrote() { grep -q "wrote a rotation of the community secret to epoch 1" "$T/fay.log"; }
wait_for "Fay's node to write the rotation" 10 fay_wrote
fay_listens() { grep -q "listening on $EP_F (epoch $1)" "$T/fay.log"; }
# a rekey waits DAEMON_REKEY_MS (2 s), then binds again, retried up to
# DAEMON_REBIND_MS (5 s) while libzmq holds the port: the 20 s of these
# waits cover that on a loaded machine (10 s ran out once in CI, with
# t30 and t31 beside it); the wait returns as soon as it listens
wait_for "Fay's daemon to listen under epoch 1" 20 fay_listens 1
assert_eq 1 "$(epoch_of "$F")" "Fay's epoch"
assert_eq "applied" "$(effects_of "$F" epoch)" "the rotation at Fay"

step "Fay syncs with Yu's daemon (epoch 0): Yu moves to epoch 1 by itself"
SERVE_LOG=$T/yu.log start_serve "$Y"
EP_Y=$ENDPOINT
YU_PID=$SERVE_PID
run_ok "$F" post --topic news "written after the rotation"
run_ok "$Y" post --topic news "Yu wrote this on epoch 0"
run_ok "$F" sync "$EP_Y" --json --timeout 10
# what Yu wrote since the rotation comes whole, and costs Yu no strike
assert_not_contains "$ERR" "strike" "Fay's sync with Yu"
run_ok "$F" feed --json --limit 100
assert_contains "$OUT" "Yu wrote this on epoch 0" "Fay's feed after her sync with Yu"
# a session of a past epoch shows only what predates the rotation: a
# removed member holds the old keys and could pose as Yu's node
run_ok "$Y" feed --json --limit 100
assert_not_contains "$OUT" "written after the rotation" "Yu's feed after a sync on the old epoch"
yu_on() { [ "$(invite_of "$Y")" = "$1" ]; }
wait_for "Yu's node to move to Fay's epoch" 10 yu_on "$(invite_of "$F")"
yu_listens() { grep -q "listening on $EP_Y (epoch $1)" "$T/yu.log"; }
wait_for "Yu's daemon to listen under epoch 1" 20 yu_listens 1
run_ok "$F" sync "$EP_Y" --json --timeout 10
run_ok "$Y" feed --json --limit 100
assert_contains "$OUT" "written after the rotation" "Yu's feed after a sync on the new epoch"
stoa_run "$X" sync "$EP_Y" --json --timeout 8
[ "$RC" -ne 0 ] || fail "removed Xan synced with Yu: $OUT"

step "Gil, away from Fay, gets epoch 1 from Yu, then removes Yu, whom it names"
stop_pid "$FAY_PID"
SERVE_LOG=$T/gil.log start_serve "$G"
EP_G=$ENDPOINT
GIL_PID=$SERVE_PID
# Gil's node is on epoch 0: Yu's (epoch 1) dials it with the old keys
run_ok "$Y" sync "$EP_G" --json --timeout 10
gil_listens() { grep -q "listening on $EP_G (epoch $1)" "$T/$2"; }
wait_for "Gil's daemon to listen under epoch 1" 20 gil_listens 1 gil.log
stop_pid "$GIL_PID"
stop_pid "$YU_PID"
assert_eq 1 "$(epoch_of "$G")" "Gil's epoch after Yu's sync"
run_ok "$G" remove Yu --reason "moved away"
# the rotation in force is sealed to Yu, removed now: none is, and
# Gil's node stays on epoch 1 (epoch 0 is Xan's too)
assert_eq "sealed to a removed member" "$(effects_of "$G" epoch)" "the rotation at Gil"
run_ok "$G" invite
assert_eq 1 "$(epoch_of "$G")" "Gil's epoch once the rotation no longer holds"

step "Fay's node writes epoch 2 when Gil's removal of Yu reaches it"
SERVE_LOG=$T/fay2.log start_serve "$F"
EP_F=$ENDPOINT
FAY_PID=$SERVE_PID
run_ok "$G" sync "$EP_F" --json --timeout 10
fay_wrote2() { grep -q "wrote a rotation of the community secret to epoch 2" "$T/fay2.log"; }
wait_for "Fay's node to write epoch 2" 10 fay_wrote2
fay2_listens() { grep -q "listening on $EP_F (epoch 2)" "$T/fay2.log"; }
wait_for "Fay's daemon to listen under epoch 2" 20 fay2_listens
# Gil's node is on epoch 1 now behind: Fay's dials it with those keys
SERVE_LOG=$T/gil2.log start_serve "$G"
EP_G=$ENDPOINT
GIL_PID=$SERVE_PID
run_ok "$F" sync "$EP_G" --json --timeout 10
wait_for "Gil's daemon to listen under epoch 2" 20 gil_listens 2 gil2.log
assert_eq "$(invite_of "$F")" "$(invite_of "$G")" "Gil's invite and Fay's"
assert_eq "applied sealed to a removed member" "$(effects_of "$G" epoch)" \
	"the rotations at Gil (newest first)"
run_ok "$G" sync "$EP_F" --json --timeout 10
stoa_run "$Y" sync "$EP_F" --json --timeout 8
[ "$RC" -ne 0 ] || fail "removed Yu synced with Fay: $OUT"
stop_pid "$GIL_PID"
stop_pid "$FAY_PID"
ok
