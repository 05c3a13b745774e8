#!/usr/bin/env bash
# t11-daemons: two `stoa serve` daemons, one dialing the other: they
# converge both ways with no sync command, a local write reaches the other
# side at once, `stoa status` shows the peer, a second daemon on a home is
# refused, and SIGTERM stops a daemon cleanly.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada
B=$T/bo

step "two homes of one community, each with posts of its own"
run_ok "$A" init --name Ada --community "Daemon Circle"
run_ok "$A" invite
run_ok "$B" init --name Bo --join "$OUT"
run_ok "$A" whoami --json
key_a=$(json_field key)
run_ok "$B" whoami --json
key_b=$(json_field key)
for i in 1 2 3 4 5; do run_ok "$A" post "from Ada $i"; done
for i in 1 2 3; do run_ok "$B" post "from Bo $i"; done

step "Ada serves; Bo serves dialing Ada: both converge to 10 entries"
start_serve "$A"
EP_A=$ENDPOINT
PID_A=$SERVE_PID
start_serve "$B" --peer "$EP_A"
PID_B=$SERVE_PID
has_entries() { [ "$(store_entries "$1")" = "$2" ]; }
wait_for "Bo to hold Ada's entries (10)" 10 has_entries "$B" 10
wait_for "Ada to hold Bo's entries (10)" 10 has_entries "$A" 10
assert_eq 8 "$(count_posts "$A")" "posts at Ada"
assert_eq 8 "$(count_posts "$B")" "posts at Bo"

step "live: a post at Ada reaches Bo's feed within 5 s"
run_ok "$A" post "live from Ada"
live_id=$OUT
shows_post() {
	local out
	out=$("$STOA" --home "$1" feed --json --limit 100000) || return 1
	[[ $out == *"$2"* ]]
}
wait_for "Bo's feed to show Ada's live post" 5 shows_post "$B" "$live_id"

step "live the other way: a post at Bo reaches Ada within 5 s"
run_ok "$B" post "live from Bo"
wait_for "Ada's feed to show Bo's live post" 5 shows_post "$A" "$OUT"

step "status --json at Bo: running, Ada as a synced static peer"
peer_synced() {
	"$STOA" --home "$B" status --json | "$PY" -S -c '
import json, sys
s = json.load(sys.stdin)
ok = s["running"] is True and any(
    p.get("node") == sys.argv[1] and p["state"] == "synced" for p in s["peers"])
sys.exit(0 if ok else 1)' "$key_a"
}
wait_for "Bo's status to show Ada synced" 5 peer_synced
run_ok "$B" status --json
assert_eq 1 "$(json_lines)" "status --json lines"
json_check "rows[0]['type'] == 'status' and rows[0]['running'] is True" "Bo running"
json_check "rows[0]['entries'] == 12 and rows[0]['members'] == 2 and rows[0]['forks'] == 0" \
	"Bo's store figures"
json_check "rows[0]['pid'] == $PID_B" "Bo's daemon pid"
json_check "rows[0]['listen'] == open('$B/serve.endpoint').read().strip()" "Bo's listen"
json_check "[(p['node'], p['endpoint'], p['how'], p['state']) for p in rows[0]['peers']] == [('$key_a', '$EP_A', 'static', 'synced')]" \
	"Bo's one peer"
json_check "all(set(p) >= {'node','endpoint','how','state','entries_in','entries_out','lag'} for p in rows[0]['peers'])" \
	"peer fields"
json_check "rows[0]['peers'][0]['lag'] == 0 and rows[0]['peers'][0]['entries_in'] >= 1 and rows[0]['peers'][0]['entries_out'] >= 1" \
	"Bo's peer counters"

step "status at Ada: Bo as an incoming peer; text output"
run_ok "$A" status --json
json_check "rows[0]['running'] is True and any(p.get('node') == '$key_b' and p['how'] == 'incoming' for p in rows[0]['peers'])" \
	"Ada's peers"
run_ok "$A" status
assert_contains "$OUT" "daemon: running (pid $PID_A), listening on $EP_A" "status text"
assert_contains "$OUT" "store: 12 entries from 2 members" "status text"

step "a second serve on Ada's home: exit 1, 'another stoa serve is running'"
"$STOA" --home "$A" serve --listen tcp://127.0.0.1:0 >"$T/out" 2>"$T/err" </dev/null &
second=$!
STOA_PIDS+=("$second")
wait_pid "$second" 10
RC=$STOP_RC
[ "$RC" -eq 1 ] || fail "second serve exited $RC, expected 1"
[ ! -s "$T/out" ] || fail "second serve printed on stdout"
check_error_lines 1 "second serve"
assert_contains "$(<"$T/err")" "another stoa serve is running" "second serve"
pid_alive "$PID_A" || fail "Ada's daemon died when a second serve was refused"
assert_eq "$EP_A" "$(cat "$A/serve.endpoint" 2>/dev/null)" "Ada's serve.endpoint after the refusal"

step "the first daemon still takes nudges after the refusal"
run_ok "$A" post "after the refusal"
wait_for "Bo's feed to show Ada's post after the refusal" 5 shows_post "$B" "$OUT"

step "SIGTERM: Ada's daemon exits 0 and removes serve.endpoint"
stop_pid "$PID_A" TERM
assert_eq 0 "$STOP_RC" "serve exit status on SIGTERM"
[ ! -e "$A/serve.endpoint" ] || fail "serve.endpoint left after SIGTERM"
[ ! -e "$A/control" ] || fail "control socket left after SIGTERM"

step "status at Ada: not running, still the store's figures"
run_ok "$A" status
assert_contains "$OUT" "daemon: not running" "status text"
assert_contains "$OUT" "store: 13 entries from 2 members" "status text"
run_ok "$A" status --json
json_check "rows[0]['running'] is False and rows[0]['entries'] == 13 and rows[0]['members'] == 2" \
	"status --json without a daemon"
json_check "'peers' not in rows[0] and 'pid' not in rows[0]" "no daemon fields"
run_fail 1 "$A" peers
assert_eq "stoa: no daemon running" "$ERR" "peers without a daemon"

step "Bo's daemon notices Ada is gone and keeps running"
peer_not_synced() {
	"$STOA" --home "$B" status --json | "$PY" -S -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s["peers"] and s["peers"][0]["state"] == "connecting" else 1)'
}
wait_for "Bo's peer to go back to connecting" 10 peer_not_synced
pid_alive "$PID_B" || fail "Bo's daemon died when Ada stopped"

step "Ada back: Bo reconnects by itself and a post crosses again"
start_serve "$A" --listen "$EP_A"
[ "$ENDPOINT" = "$EP_A" ] || fail "Ada restarted on $ENDPOINT, not $EP_A"
run_ok "$B" post "Bo after Ada's restart"
wait_for "Ada to get Bo's post after her restart" 15 shows_post "$A" "$OUT"

stop_pid "$SERVE_PID"
assert_eq 0 "$STOP_RC" "Ada's second daemon on SIGTERM"
stop_pid "$PID_B"
assert_eq 0 "$STOP_RC" "Bo's daemon on SIGTERM"
ok
