#!/usr/bin/env bash
# t13-wrong-community: a node of another community cannot sync with ours:
# the CURVE handshake needs the community secret, so `stoa sync` fails
# with one error line within its timeout, moves nothing either way, and
# the daemon goes on serving its own members. A peer that never answers
# makes `stoa sync` time out.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada
B=$T/bo
Z=$T/zed

step "community one: Ada (serving) and Bo; community two: Zed"
run_ok "$A" init --name Ada --community "Circle One"
run_ok "$A" invite
run_ok "$B" init --name Bo --join "$OUT"
run_ok "$Z" init --name Zed --community "Circle Two"
for i in 1 2 3; do run_ok "$A" post "Ada $i"; done
for i in 1 2; do run_ok "$B" post "Bo $i"; done
for i in 1 2 3 4; do run_ok "$Z" post "Zed $i"; done
start_serve "$A"
EP_A=$ENDPOINT
view_a=$(view_digest "$A")
view_z=$(view_digest "$Z")

step "Zed syncs with Ada: exit 1, one 'stoa: ...' line, within the timeout"
t0=$(now_ms)
run_fail 1 "$Z" sync "$EP_A" --timeout 3
t1=$(now_ms)
echo "  $ERR"
[ $((t1 - t0)) -lt 6000 ] || fail "sync took $((t1 - t0)) ms for a 3 s timeout"

step "nothing moved: Zed holds only its own, Ada's view is unchanged"
assert_eq 5 "$(store_entries "$Z")" "Zed's entries"
assert_eq "$view_z" "$(view_digest "$Z")" "Zed's view"
assert_eq 4 "$(store_entries "$A")" "Ada's entries"
assert_eq "$view_a" "$(view_digest "$A")" "Ada's view"
run_ok "$A" verify
pid_alive "$SERVE_PID" || fail "Ada's daemon died"

step "--json changes nothing: still exit 1, nothing on stdout"
run_fail 1 "$Z" sync "$EP_A" --timeout 1 --json

step "Ada still syncs with her own member Bo afterwards"
run_ok "$B" sync "$EP_A" --json --timeout 20
assert_eq 4 "$(json_field entries_in)" "Bo's entries_in"
assert_eq 3 "$(json_field entries_out)" "Bo's entries_out"
has_entries() { [ "$(store_entries "$1")" = "$2" ]; }
wait_for "Ada to hold Bo's entries" 5 has_entries "$A" 7
assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "Ada's and Bo's views"
run_ok "$A" members --json
json_check "sorted(r.get('name') for r in rows) == ['Ada', 'Bo']" "Ada's members: no Zed"

step "the other way: Ada's daemon dialing Zed's gets nothing either"
start_serve "$Z"
EP_Z=$ENDPOINT
run_fail 1 "$A" sync "$EP_Z" --timeout 2
assert_eq 5 "$(store_entries "$Z")" "Zed's entries"
assert_eq 7 "$(store_entries "$A")" "Ada's entries"

step "nobody listens any more: sync says so at once (exit 1, 'cannot connect')"
stop_pid "$SERVE_PID"
assert_eq 0 "$STOP_RC" "Zed's daemon on SIGTERM"
t0=$(now_ms)
run_fail 1 "$B" sync "$EP_Z" --timeout 20
t1=$(now_ms)
assert_contains "$ERR" "cannot connect" "sync with nobody listening"
[ $((t1 - t0)) -lt 5000 ] || fail "sync took $((t1 - t0)) ms to notice nobody listens"
ok
