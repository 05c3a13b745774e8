#!/usr/bin/env bash
# n20-system-daemon: the classroom again, with a real avahi-daemon on every
# host (its own dbus-daemon, /run/dbus and /run/avahi-daemon private to the
# host): stoa serve in its default mode (auto) finds the daemon, publishes
# and browses through it, and the four views converge with no --peer.
# Host d has no IPv4 address at all, so the others reach it over IPv6
# link-local (an endpoint with its interface, tcp://[fe80::...%eth0]:port).
# On SIGTERM each daemon exits 0 and its service leaves the daemons' caches.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require avahi

step "four members, each with a post"
A=$(new_home ada class)
B=$(node_join bo "$A")
C=$(node_join cy "$A")
D=$(node_join di "$A")
for h in "$A" "$B" "$C" "$D"; do
	run_ok "$h" post --topic intro "hello from $(basename "$h")"
done
TOTAL=8

step "four hosts with an avahi-daemon each; di's host has IPv6 only"
net_site room
net_host a room 10.77.1.11/24
net_host b room 10.77.1.12/24
net_host c room 10.77.1.13/24
net_host d room 10.77.1.14/24
ip -n "$(host_ns d)" -4 addr flush dev eth0
host_avahi_start a b c d

step "stoa serve (auto) on every host: it uses the system daemon; all converge"
T0=$(now_ms)
PIDS=()
for x in a:"$A" b:"$B" c:"$C" d:"$D"; do
	node_serve "${x%%:*}" "${x#*:}"
	PIDS+=("$NODE_PID")
done
wait_for "four views converged on $TOTAL entries" 30 \
	nodes_converged "$TOTAL" "$A" "$B" "$C" "$D"
echo "  converged in $(($(now_ms) - T0)) ms from the first start (4 hosts)"
for h in "$A" "$B" "$C" "$D"; do
	node_log_has "$h" "discovery: using the system avahi-daemon" ||
		fail "$h did not say it uses the system avahi-daemon: $(head -n 5 "$h.log")"
	node_log_has "$h" "embedded" &&
		fail "$h started the embedded stack beside a daemon: $(grep embedded "$h.log")"
done

step "stoa peers: discovery avahi-daemon; di reached over IPv6 link-local"
# each pair's own session follows the converged views within the dial
# grace: waited for
ada_sees_three() {
	node_peers_json "$A" >"$T/peers.json" 2>/dev/null || return 1
	"$PY" -S -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["discovery"] == "avahi-daemon", p["discovery"]
by = {x.get("name"): x for x in p["peers"]}
assert sorted(by) == ["bo", "cy", "di"], sorted(by)
for x in by.values():
    assert x["how"] == "mdns" and x["state"] == "synced", x
assert by["di"]["endpoint"].startswith("tcp://[fe80:"), by["di"]
assert "%eth0]" in by["di"]["endpoint"], by["di"]
' "$T/peers.json" 2>"$T/peers.err"
}
wait_for "ada's peers: bo, cy and di (over IPv6 link-local), synced, through avahi-daemon" 15 ada_sees_three

step "the avahi-daemons saw stoa's services (avahi-browse on b)"
host_run b avahi-browse -tp _stoa._tcp >"$T/browse" 2>&1 || true
n=$(grep -c '^+;eth0;IPv' "$T/browse" || true)
[ "$n" -ge 4 ] || fail "avahi-browse on b lists $n _stoa._tcp records: $(cat "$T/browse")"

step "a plain avahi-browse on the LAN sees no member's key (nor an 8-digit prefix of one)"
host_run b avahi-browse -rtp _stoa._tcp >"$T/browse" 2>&1 ||
	fail "avahi-browse on b failed: $(cat "$T/browse")"
for h in "$A" "$B" "$C" "$D"; do
	k=$("$STOA" --home "$h" whoami --json | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["key"])')
	assert_not_contains "$(<"$T/browse")" "${k:0:8}" "what avahi-browse shows of $(basename "$h")'s node"
done
assert_contains "$(<"$T/browse")" '"v=2"' "the records' version"
[[ $(<"$T/browse") =~ \"id=[0-9a-f]{96}\" ]] ||
	fail "no sealed id in b's browse: $(cat "$T/browse")"

step "a forged record (ada's sealed id replayed, another host's address) harms nobody"
[[ $(<"$T/browse") =~ tag=([0-9a-f]{32}) ]] ||
	fail "no tag in b's browse: $(cat "$T/browse")"
TAG=${BASH_REMATCH[1]}
# a member's record replayed from another address (any record's id)
[[ $(<"$T/browse") =~ id=([0-9a-f]{96}) ]] ||
	fail "no id in b's browse: $(cat "$T/browse")"
ID=${BASH_REMATCH[1]}
net_host x room 10.77.1.15/24
host_avahi_start x
host_spawn x avahi-publish -s "stoa forged" _stoa._tcp 7647 v=2 "id=$ID" "tag=$TAG" >/dev/null
FORGER=$SPAWN_PID
run_ok "$B" post --topic intro "bo after the forgery"
wait_for "bo's new post on every host" 15 nodes_converged $((TOTAL + 1)) "$A" "$B" "$C" "$D"
for h in "$B" "$C" "$D"; do
	run_ok "$h" peers --json
	printf '%s\n' "$OUT" | "$PY" -S -c '
import json, sys
p = json.load(sys.stdin)
live = [x for x in p["peers"] if x["state"] in ("synced", "syncing")]
assert sorted(x.get("name") for x in live) == sorted(set(x.get("name") for x in live)), live
assert len(live) == 3, p["peers"]
' || fail "peers of $h after the forgery: $OUT"
done
net_stop_pid "$FORGER"

step "SIGTERM: daemons exit 0; their services leave the daemons' caches"
for p in "${PIDS[@]}"; do
	node_stop "$p"
done
no_stoa_left() {
	# a browse that fails proves nothing: it must run, and list none
	host_run b avahi-browse -tp _stoa._tcp >"$T/browse" 2>"$T/browse.err" || return 1
	! grep -q '^+;eth0;IPv.*stoa' "$T/browse"
}
wait_for "every _stoa._tcp record gone from b's avahi-daemon" 10 no_stoa_left
for h in "$A" "$B" "$C" "$D"; do
	run_ok "$h" verify
done
ok
