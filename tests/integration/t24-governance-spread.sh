#!/usr/bin/env bash
# t24-governance-spread: `stoa governance` says how far each record has
# spread among the nodes this node met. Fay founds a community and serves
# it; Ben and Cy join. Fay hides a post and both sync: the record shows
# 2/2. Fay then gives Ben a role while only Ben is connected (his daemon
# dialed hers): within the recording interval the role shows 1/2 with Cy
# pending, named, with when she was last seen; Cy's sync brings it to
# 2/2 and the pending line goes. A node that met nobody shows "-".
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F=$(new_home fay "Spread club")
run_ok "$F" invite
code=$OUT
B=$T/ben
C=$T/cy
run_ok "$B" init --name Ben --join "$code"
run_ok "$C" init --name Cy --join "$code"

# spread_of ID: "REACHED/PEERS" of the record ID in Fay's history
spread_of() {
	run_ok "$F" governance --json --limit 100
	"$PY" -S -c '
import json, sys
for l in sys.stdin.read().splitlines():
    r = json.loads(l)
    if r["id"] == sys.argv[1]:
        print("%d/%d" % (r["reached"], r["peers"]))
' "$1" <<<"$OUT"
}

step "a record no one else holds yet: no node met, no spread"
run_ok "$F" post --topic notes "the first post"
post=$OUT
run_ok "$F" hide "$post" --reason "test"
hide=$OUT
assert_eq "0/0" "$(spread_of "$hide")" "spread before any node was met"
run_ok "$F" governance
assert_match "$OUT" "^${hide:0:8} .* applied +- +test$" "the text row before"

step "Ben and Cy sync with Fay's daemon: 2/2"
start_serve "$F"
EP=$ENDPOINT
FAY_PID=$SERVE_PID
run_ok "$B" sync "$EP" --json
run_ok "$C" sync "$EP" --json
two_of_two() { [ "$(spread_of "$hide")" = "2/2" ]; }
wait_for "the hide to show 2/2 at Fay" 10 two_of_two
run_ok "$F" governance
assert_not_contains "$OUT" "pending on" "Fay's history once both hold it"

step "a role given while only Ben is connected: Cy pending"
start_serve "$B" --peer "$EP"
BEN_PID=$SERVE_PID
ben_connected() { # Ben's daemon lists Fay's as synced
	run_ok "$B" peers --json
	"$PY" -S -c '
import json, sys
r = json.loads(sys.stdin.read())
sys.exit(0 if any(p.get("state") == "synced" for p in r["peers"]) else 1)
' <<<"$OUT"
}
wait_for "Ben's daemon to be synced with Fay's" 10 ben_connected
run_ok "$F" role Ben mentor --reason "helps everyone"
role=$OUT
# a settled session's hold is recorded at most every 10 s
one_of_two() { [ "$(spread_of "$role")" = "1/2" ]; }
wait_for "the role to show 1/2 at Fay" 25 one_of_two
run_ok "$F" governance
assert_match "$OUT" "^${role:0:8} pending on 1 of 2 nodes met: Cy \(last seen [0-9]+ (s|min) ago\)$" \
	"the pending line"
run_ok "$F" governance --json --limit 1
json_check 'rows[0]["pending"][0]["name"] == "Cy" and rows[0]["pending"][0]["last_seen"] > 0' \
	"the pending peer in --json"

step "Cy syncs: the role reaches her too"
run_ok "$C" sync "$EP" --json
role_two() { [ "$(spread_of "$role")" = "2/2" ]; }
wait_for "the role to show 2/2 at Fay" 10 role_two
run_ok "$F" governance
assert_not_contains "$OUT" "pending on" "Fay's history once Cy holds the role"
stop_pid "$BEN_PID"
stop_pid "$FAY_PID"

step "Cy's own history: Fay wrote the records, and Fay is the one node met"
run_ok "$C" governance --json --limit 100
json_check 'all(r["peers"] == 0 and r["pending"] == [] for r in rows)' \
	"Cy's spread (the author's own node does not count)"
ok
