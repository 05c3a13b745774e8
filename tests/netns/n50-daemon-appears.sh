#!/usr/bin/env bash
# n50-daemon-appears: stoa serve starts where no avahi-daemon answers and
# says so, running the embedded stack; then an avahi-daemon starts on that
# host. The daemon starts cleanly beside stoa's embedded stack (no host
# name conflict: the embedded stack has its own name and never publishes
# the reverse-address records the daemon owns), stoa moves over to it, and
# keeps its peers: the session stays, live posts still flow. Two ways to
# have no daemon: no D-Bus at all (host b: the client fails at once and is
# retried on a timer) and a D-Bus with no avahi-daemon on it (host c: the
# client waits, AVAHI_CLIENT_NO_FAIL).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require avahi

step "three members, each with a post; three hosts, no avahi-daemon anywhere"
A=$(new_home ada class)
B=$(node_join bo "$A")
C=$(node_join cy "$A")
for h in "$A" "$B" "$C"; do
	run_ok "$h" post --topic intro "hello from $(basename "$h")"
done
TOTAL=6
net_site room
net_host a room 10.77.4.11/24
net_host b room 10.77.4.12/24
net_host c room 10.77.4.13/24
host_dbus_start c

step "stoa serve (auto): no daemon, so the embedded stack, said clearly"
node_serve a "$A" --discovery embedded
PA=$NODE_PID
node_serve b "$B"
PB=$NODE_PID
node_serve c "$C"
PC=$NODE_PID
wait_for "three views converged on $TOTAL entries" 30 \
	nodes_converged "$TOTAL" "$A" "$B" "$C"
for h in "$B" "$C"; do
	node_log_has "$h" "no system avahi-daemon; using the embedded mDNS stack" ||
		fail "$h did not say it fell back to the embedded stack: $(head -n 5 "$h.log")"
done
node_log_has "$B" "no system avahi-daemon \(" ||
	fail "b did not say why there is no daemon: $(head -n 5 "$B.log")"
for h in "$B" "$C"; do
	run_ok "$h" peers --json
	assert_contains "$OUT" '"discovery":"embedded"' "peers on $h"
done

step "an avahi-daemon starts on b and on c: cleanly, beside stoa"
T0=$(now_ms)
host_avahi_start b c
for x in b c; do
	log=$(host_dir "$x")/avahi.log
	grep -q "Server startup complete" "$log" || fail "avahi-daemon on $x: $(tail -n 5 "$log")"
	grep -Eqi "conflict|collision" "$log" && fail "avahi-daemon on $x fought over a name: $(grep -Ei 'conflict|collision' "$log")"
done

step "stoa moves over to each daemon"
for h in "$B" "$C"; do
	wait_for "$(basename "$h") using the system avahi-daemon" 20 \
		node_log_has "$h" "discovery: using the system avahi-daemon"
done
echo "  both moved over $(($(now_ms) - T0)) ms after the daemons started"
# peers_say_avahi HOME: `stoa peers --json` names the system avahi-daemon
peers_say_avahi() {
	local out
	out=$("$STOA" --home "$1" peers --json) || return 1
	[[ $out == *'"discovery":"avahi-daemon"'* ]]
}
for h in "$B" "$C"; do
	wait_for "peers on $(basename "$h") saying avahi-daemon" 10 \
		peers_say_avahi "$h"
done

step "their peers stay: sessions in sync, and a live post reaches both"
two_live() { # HOME: its daemon is in session with both others
	node_peers_json "$1" | "$PY" -S -c '
import json, sys
p = json.load(sys.stdin)
live = [x for x in p["peers"] if x["state"] in ("synced", "syncing")]
assert len(live) == 2, p["peers"]
' 2>/dev/null
}
for h in "$B" "$C"; do
	wait_for "$(basename "$h") in session with both others after the move" 15 two_live "$h"
done
run_ok "$A" post --topic intro "ada after the daemons came"
wait_for "the new post on b and c" 15 nodes_converged $((TOTAL + 1)) "$B" "$C"
node_log_has "$B" "avahi-core:" && fail "b's embedded stack complained: $(grep 'avahi-core:' "$B.log")"

step "SIGTERM: every daemon exits 0; the avahi-daemons are still fine"
for p in "$PA" "$PB" "$PC"; do
	node_stop "$p"
done
host_avahi_stop b c
for h in "$A" "$B" "$C"; do
	run_ok "$h" verify
done
ok
