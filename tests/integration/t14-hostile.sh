#!/usr/bin/env bash
# t14-hostile: a member that misbehaves on the wire (tests/tools/
# hostile_peer: random frames, a bad HELLO auth, a truncated run, a run
# with a forged signature, a fork) against a serving node. After each, the
# node has logged a line naming the problem, still runs, has stored
# nothing of it (its view digest is unchanged; a fork is recorded as proof
# only), verifies clean (but for the fork line), and an honest member
# still syncs with it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${HOSTILE:-}" ]; then
	HOSTILE=$(dirname "$STOA")/tests/hostile_peer
fi
if [ ! -x "$HOSTILE" ]; then
	skip "no hostile_peer tool at '$HOSTILE' (set HOSTILE)"
fi

A=$T/ada   # the target, serving
B=$T/bo    # an honest member
M=$T/mal   # a member whose keys the hostile tool uses
E=$T/eve   # another: the one dropped for garbage (a dropped member's key
           # is refused at the handshake for a while: DAEMON_BAN_MS)

step "one community: Ada serving, Bo honest, Mal (the tool's keys)"
run_ok "$A" init --name Ada --community "Hostile Circle"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$M" init --name Mal --join "$code"
run_ok "$E" init --name Eve --join "$code"
run_ok "$M" whoami --json
key_m=$(json_field key)
for i in 1 2 3; do run_ok "$A" post "Ada $i"; done
for i in 1 2 3 4; do run_ok "$M" post "Mal $i"; done
start_serve "$A"
EP=$ENDPOINT
LOG=$A.log

step "Mal and Bo sync honestly first: Ada holds Mal's whole feed"
run_ok "$M" sync "$EP" --json
assert_eq 5 "$(json_field entries_out)" "Mal's entries_out"
run_ok "$B" sync "$EP" --json
has_entries() { [ "$(store_entries "$1")" = "$2" ]; }
wait_for "Ada to hold 10 entries" 5 has_entries "$A" 10

n_bo=0
# attack MODE PATTERN ERRORS [HOME]: runs the tool in MODE (with HOME's
# keys, default Mal's); the lines Ada logged meanwhile must match PATTERN
# (ERE), the tool must have got ERRORS ERROR messages back (a number, or
# "+N" for at least N).
attack() {
	local mode=$1 pattern=$2 errors=$3 home=${4:-$M} before view_before entries_before got
	before=$(wc -l <"$LOG")
	view_before=$(view_digest "$A")
	entries_before=$(store_entries "$A")
	"$HOSTILE" --home "$home" --endpoint "$EP" --mode "$mode" --wait 3000 \
		>"$T/hostile.out" 2>"$T/hostile.err" ||
		fail "hostile_peer --mode $mode failed: $(cat "$T/hostile.err")"
	got=$(grep -c '^error: ' "$T/hostile.out" || true)
	case $errors in
	+*) [ "$got" -ge "${errors#+}" ] ||
		fail "$mode: the tool got $got ERRORs back, expected at least ${errors#+}: $(cat "$T/hostile.out")" ;;
	*) [ "$got" -eq "$errors" ] ||
		fail "$mode: the tool got $got ERRORs back, expected $errors: $(cat "$T/hostile.out")" ;;
	esac
	# the node logs after it handled the frames: poll its log
	logged() { log_has "$LOG" "$pattern" "$((before + 1))"; }
	wait_for "Ada's log to name the $mode problem (/$pattern/)" 5 logged
	pid_alive "$SERVE_PID" || fail "$mode: Ada's daemon died"
	assert_eq "$view_before" "$(view_digest "$A")" "$mode: Ada's view digest"
	assert_eq "$entries_before" "$(store_entries "$A")" "$mode: Ada's entries"
	# an honest member still gets through, both ways
	n_bo=$((n_bo + 1))
	run_ok "$B" post "Bo after $mode"
	run_ok "$B" sync "$EP" --json --timeout 20
	assert_eq 1 "$(json_field entries_out)" "$mode: Bo's entries_out"
	wait_for "Ada to hold Bo's post after $mode" 5 has_entries "$A" "$((entries_before + 1))"
	assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "$mode: Ada's and Bo's views"
}

step "garbage: a HELLO, then 5 random frames (3 strikes, then dropped)"
# three ERRORs for the strikes, and a fourth that tells the peer it is dropped
attack garbage 'malformed' 4 "$E"
log_has "$LOG" 'dropping peer .*strike 3' ||
	fail "garbage: Ada did not log dropping the peer at strike 3"
grep -q '^error: dropped: ' "$T/hostile.out" ||
	fail "garbage: the tool was not told it was dropped"
run_ok "$A" verify

step "badhello: a HELLO with a wrong auth"
attack badhello 'bad hello auth|community check' 1
run_ok "$A" verify

step "truncated: a proper HELLO, then an ENTRIES frame cut short"
attack truncated 'malformed' 1
run_ok "$A" verify

step "forged: a run whose last entry's signature has a flipped bit"
attack forged 'signature' 1
run_ok "$A" verify
run_ok "$A" members --json
json_check "[r['seq'] for r in rows if r['key'] == '$key_m'] == [5]" "Mal's feed at Ada"

step "fork: a second, validly signed entry at a seq Ada holds"
attack fork 'fork' +0
run_ok "$A" members --json
json_check "[r['forked'] for r in rows if r['key'] == '$key_m'] == [True]" \
	"Mal marked forked at Ada"
json_check "[r['seq'] for r in rows if r['key'] == '$key_m'] == [5]" \
	"Mal's feed at Ada still the first version"
run_ok "$A" status --json
json_check "rows[0]['forks'] == 1" "status forks"
run_fail_report 1 "$A" verify
assert_match "$OUT" "^${key_m:0:8} seq 5: .*fork" "verify's fork line"
assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c 'fork')" "verify problem lines"
assert_contains "$OUT" ": 1 problem" "verify summary"

step "Ada still runs, and Mal's honest daemon-free sync still works"
pid_alive "$SERVE_PID" || fail "Ada's daemon died"
run_ok "$M" sync "$EP" --json --timeout 20
stop_pid "$SERVE_PID"
assert_eq 0 "$STOP_RC" "Ada's daemon on SIGTERM"
ok
