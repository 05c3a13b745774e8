#!/usr/bin/env bash
# n10-classroom: a classroom turns on its laptops and they find each other
# with no configuration. Four hosts on one site (a bridge), no --peer
# anywhere, the embedded mDNS stack on each (no avahi-daemon on any host):
# each member posts, every view converges, a post written after that
# reaches every host live, `stoa peers` shows the other three found by
# mDNS, and a fifth host of another community on the same site is seen by
# nobody's store. Prints the seconds from start to convergence.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require

step "four members of one community and one stranger, each with a post"
A=$(new_home ada class)
B=$(node_join bo "$A")
C=$(node_join cy "$A")
D=$(node_join di "$A")
E=$(new_home eve other)
for h in "$A" "$B" "$C" "$D" "$E"; do
	run_ok "$h" post --topic intro "hello from $(basename "$h")"
done
# each home: a profile and a post
TOTAL=8

step "five hosts on one site; the stranger's is on it too"
net_site room
net_host a room 10.77.0.11/24
net_host b room 10.77.0.12/24
net_host c room 10.77.0.13/24
net_host d room 10.77.0.14/24
net_host e room 10.77.0.15/24

step "stoa serve on every host, no --peer, embedded mDNS: all converge"
T0=$(now_ms)
PIDS=()
for x in a:"$A" b:"$B" c:"$C" d:"$D" e:"$E"; do
	node_serve "${x%%:*}" "${x#*:}" --discovery embedded
	PIDS+=("$NODE_PID")
done
wait_for "four views converged on $TOTAL entries" 30 \
	nodes_converged "$TOTAL" "$A" "$B" "$C" "$D"
T1=$(now_ms)
echo "  converged in $((T1 - T0)) ms from the first start (4 hosts)"
d=$(view_digest "$A")
for h in "$B" "$C" "$D"; do
	assert_eq "$d" "$(view_digest "$h")" "view digest of $h"
done

step "the stranger's store holds only its own entries, and nobody holds its"
assert_eq 2 "$(node_entries "$E")" "entries in the stranger's store"
# search finds a post the store holds (eve's own, on her host; the four
# members' "hello" posts on theirs), and never the stranger's elsewhere
run_ok "$E" search --json eve
assert_eq 1 "$(json_lines)" "search for eve's post on her own host"
for h in "$A" "$B" "$C" "$D"; do
	run_ok "$h" search --json eve
	assert_eq 0 "$(json_lines)" "search for the stranger's post on $(basename "$h")"
	run_ok "$h" search --json hello
	assert_eq 4 "$(json_lines)" "search for the members' posts on $(basename "$h")"
	run_ok "$h" feed --json --limit 100
	assert_not_contains "$OUT" "hello from eve" "feed of $h"
done

step "stoa peers on ada: the three others, found by mDNS, in sync"
# the views converge first (entries are relayed); each pair's own session
# follows within the dial grace, so this is waited for too
ada_sees_three() {
	node_peers_json "$A" >"$T/peers.json" 2>/dev/null || return 1
	"$PY" -S -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["type"] == "peers", p
assert p["discovery"] == "embedded", p["discovery"]
names = sorted(x.get("name", "") for x in p["peers"])
assert names == ["bo", "cy", "di"], names
for x in p["peers"]:
    assert x["how"] == "mdns", x
    assert x["state"] == "synced", x
    assert len(x["node"]) == 64, x
    assert x["endpoint"].startswith("tcp://"), x
' "$T/peers.json" 2>"$T/peers.err"
}
ada_sees_three || true
wait_for "ada's peers: bo, cy and di, found by mDNS, synced ($(cat "$T/peers.err" 2>/dev/null | tail -n 1))" 15 ada_sees_three
run_ok "$A" peers
assert_contains "$OUT" "discovery: embedded; 3 peers" "stoa peers"
run_ok "$A" status
assert_contains "$OUT" "discovery: embedded" "stoa status"

step "one connection per pair: twelve sessions would be six"
sessions() {
	node_peers_json "$1" | "$PY" -S -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["peers"] if x["state"] != "found"))'
}
three_each() {
	local h
	for h in "$A" "$B" "$C" "$D"; do
		[ "$(sessions "$h")" = 3 ] || return 1
	done
}
wait_for "three sessions on every host" 15 three_each

step "a post written now reaches every host live"
run_ok "$C" post --topic intro "late news from cy"
wait_for "the late post on every host" 10 \
	nodes_converged $((TOTAL + 1)) "$A" "$B" "$C" "$D"

step "the stranger was never let in"
node_log_has "$E" 'found node' && fail "the stranger found a node: $(grep 'found node' "$E.log")"
for h in "$A" "$B" "$C" "$D"; do
	node_log_has "$h" "refused|dropping" &&
		fail "$h refused or dropped someone: $(grep -E 'refused|dropping' "$h.log")"
done

step "SIGTERM: every daemon exits 0, every store verifies"
for p in "${PIDS[@]}"; do
	node_stop "$p"
done
for h in "$A" "$B" "$C" "$D" "$E"; do
	run_ok "$h" verify
done
ok
