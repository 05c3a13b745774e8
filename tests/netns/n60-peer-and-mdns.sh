#!/usr/bin/env bash
# n60-peer-and-mdns: a node that dials another with --peer, while that
# other finds it by mDNS and dials it back: the pair ends with one session
# (the mDNS dial carries MSG_HELLO_FOUND and is refused as a duplicate of
# the --peer session, and gives way), not two, and entries still flow
# both ways live. Whichever of the two has the higher member key is the
# one given the --peer, so the mDNS side is the one whose own tie-break
# would keep its dial.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require

step "two members; the one with the higher key will dial with --peer"
X=$(new_home ada pair)
Y=$(node_join bo "$X")
key() { "$STOA" --home "$1" whoami --json | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }
if [[ "$(key "$X")" > "$(key "$Y")" ]]; then H=$X L=$Y; else H=$Y L=$X; fi
net_site room
net_host l room 10.77.6.11/24
net_host h room 10.77.6.12/24

step "L runs; H runs with --peer to an address L does not have yet"
node_serve l "$L" --discovery embedded --listen 'tcp://*:7647'
PL=$NODE_PID
node_serve h "$H" --discovery embedded --peer "tcp://10.77.6.21:7647"
PH=$NODE_PID

step "L finds H by mDNS and dials it: one session, through mDNS"
wait_for "L dialing H after finding it" 20 node_log_has "$L" "dialing tcp://10.77.6.12"
wait_for "both holding both profiles" 30 nodes_converged 2 "$L" "$H"

step "L gets the address H's --peer names: H's own dial gets through too"
ip -n "$(host_ns l)" addr add 10.77.6.21/24 dev eth0
wait_for "H connected through its --peer" 30 node_log_has "$H" "connected to tcp://10.77.6.21:7647"
# Two sessions now join the pair, and one must go: H refuses L's mDNS
# session as a duplicate of its --peer one, or, when H's own mDNS dial
# got there first (L's dials not through within H's grace), a side closes
# its extra connection. Which one depends on timing; the next step checks
# the outcome: one session each side, and it stays.
dup_gone() {
	node_log_has "$H" "refusing its second" ||
		node_log_has "$H" "already in session; closing the second connection" ||
		node_log_has "$L" "already in session; closing the second connection"
}
wait_for "a duplicate session given up" 15 dup_gone

step "one session between them, seen from both sides"
# sessions HOME: "N BYTES": the live sessions of HOME's daemon, and the
# bytes in and out of them (a session that is replaced starts from 0)
sessions() {
	local out
	out=$("$STOA" --home "$1" peers --json) || return 1
	"$PY" -S -c '
import json, sys
live = [x for x in json.load(sys.stdin)["peers"] if x["state"] in ("synced", "syncing")]
print(len(live), sum(x["bytes_in"] + x["bytes_out"] for x in live))' <<<"$out"
}
one_each() {
	local l h
	l=$(sessions "$L") && h=$(sessions "$H") && [ "${l% *}" = 1 ] && [ "${h% *}" = 1 ]
}
wait_for "exactly one session on each side" 30 one_each
# And it stays so (L's discovery keeps finding H, and must not dial
# again): for 3 s every answer of both daemons shows one session, the
# same one (its byte counts never go back), and L logs no new dial.
dials=$(grep -c 'dialing\|connected to' "$L.log" || true)
prev_l=0 prev_h=0
end=$(($(now_ms) + 3000))
while [ "$(now_ms)" -lt "$end" ]; do
	s_l=$(sessions "$L") || fail "stoa peers on L failed"
	s_h=$(sessions "$H") || fail "stoa peers on H failed"
	if [ "${s_l% *}" != 1 ] || [ "${s_h% *}" != 1 ]; then
		fail "not one session on each side: L has ${s_l% *}, H has ${s_h% *}"
	fi
	if [ "${s_l#* }" -lt "$prev_l" ] || [ "${s_h#* }" -lt "$prev_h" ]; then
		fail "the session was replaced: bytes went from $prev_l/$prev_h to ${s_l#* }/${s_h#* } (L/H)"
	fi
	prev_l=${s_l#* } prev_h=${s_h#* }
	sleep 0.2
done
assert_eq "$dials" "$(grep -c 'dialing\|connected to' "$L.log" || true)" \
	"L's dials and connections after the pair settled (log: $(tail -n 5 "$L.log"))"
node_log_has "$L" "mDNS: found node" || fail "L never found H by mDNS: $(cat "$L.log")"

step "entries still flow both ways, live"
run_ok "$L" post --topic t "from the listening side"
run_ok "$H" post --topic t "from the dialing side"
wait_for "both posts on both sides" 15 nodes_converged 4 "$L" "$H"

node_stop "$PL"
node_stop "$PH"
ok
