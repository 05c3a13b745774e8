#!/usr/bin/env bash
# n80-sync-lan: a field visit. Two hosts of a community run `stoa serve`
# (embedded mDNS), each with posts; a fourth host on the same site serves
# another community. The field laptop m, with no daemon of its own, runs
# `stoa sync --lan --wait 5`: it finds the two nodes (not the stranger),
# syncs with each, prints a line per peer and a total, and exits 0; both
# nodes then hold its posts and it holds theirs, and it published nothing.
# Again with --json, now through a system avahi-daemon on m. Ctrl-C ends
# the browse early with the report of the nodes found; a `stoa serve` of
# the laptop's own home does not keep it from running and is not listed.
# A node that freezes (SIGSTOP) fails its own exchange, named, and the
# other still syncs; so does one killed (kill -9) while its records linger
# in the laptop's cache. With the nodes stopped, `sync --lan --wait 2`
# exits 1 with "no stoa node of <community> found on this network in 2 s".
# Prints how long the syncs took.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require avahi

# lan_sync HOST HOME ARGS...: `stoa sync --lan ARGS` on HOST; sets RC,
# OUT, ERR and MS (its wall time)
lan_sync() {
	local host=$1 home=$2 t0
	shift 2
	t0=$(now_ms)
	set +e
	host_run "$host" "$STOA" --home "$home" sync --lan "$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
	MS=$(($(now_ms) - t0))
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
}

step "three members of one community, one stranger, each with a post"
A=$(new_home ada field)
B=$(node_join bo "$A")
M=$(node_join max "$A")
E=$(new_home eve other)
for h in "$A" "$B" "$M" "$E"; do
	run_ok "$h" post --topic visit "notes from $(basename "$h")"
done
# each member: a profile and a post
ALL=6

step "one site: ada and bo serve, eve serves another community, max visits"
net_site camp
net_host a camp 10.77.8.11/24
net_host b camp 10.77.8.12/24
net_host e camp 10.77.8.15/24
net_host m camp 10.77.8.20/24
PIDS=()
for x in a:"$A" b:"$B" e:"$E"; do
	node_serve "${x%%:*}" "${x#*:}" --discovery embedded
	PIDS+=("$NODE_PID")
done
wait_for "ada and bo converged on 4 entries" 30 nodes_converged 4 "$A" "$B"
# an avahi-daemon on the stranger's host (beside its embedded stack)
# caches every record said on the site: it shows what the laptop publishes
host_avahi_start e

step "sync --lan --wait 5 on the laptop (embedded mDNS): both nodes, exit 0"
lan_sync m "$M" --wait 5
[ "$RC" -eq 0 ] || fail "sync --lan exited $RC: $ERR / $OUT"
echo "  sync --lan --wait 5 with 2 peers took $MS ms"
assert_match "$OUT" '^ada \([0-9a-f]{8}, tcp://(10\.77\.8\.11|\[fe80:[0-9a-f:]+%eth0\]):[0-9]+\): [0-9]+ in, [0-9]+ out$' "ada's line"
assert_match "$OUT" '^bo \([0-9a-f]{8}, tcp://(10\.77\.8\.12|\[fe80:[0-9a-f:]+%eth0\]):[0-9]+\): [0-9]+ in, [0-9]+ out$' "bo's line"
assert_match "$OUT" '^total: 2 peers, [0-9]+ in, [0-9]+ out in [0-9]+\.[0-9]{2} s$' "the total"
# the total is the sum of the lines; max had the other four entries to get
# and its two to give (each may have come from either node, or from both)
"$PY" -S - "$OUT" <<'EOF' || fail "the total is not the sum of the peers' lines: $OUT"
import re, sys
lines = sys.argv[1].splitlines()
each = [tuple(map(int, re.search(r": (\d+) in, (\d+) out$", l).groups())) for l in lines[:2]]
tot = tuple(map(int, re.search(r"peers, (\d+) in, (\d+) out", lines[2]).groups()))
assert tot == (sum(x[0] for x in each), sum(x[1] for x in each)), (each, tot)
assert tot[0] >= 4 and tot[1] >= 2, tot
EOF
[ "$(json_lines)" -eq 3 ] || fail "sync --lan printed more than 3 lines: $OUT"
assert_not_contains "$OUT" "eve" "the report (the stranger)"
assert_not_contains "$OUT" "10.77.8.15" "the report (the stranger's host)"
assert_not_contains "$OUT" "10.77.8.20" "the report (the laptop itself)"
# the browse lasts --wait seconds; every exchange is done within it here
[ "$MS" -ge 5000 ] || fail "sync --lan --wait 5 ended after $MS ms"
[ "$MS" -lt 15000 ] || fail "sync --lan --wait 5 took $MS ms"
assert_eq "$ALL" "$(node_entries "$M")" "entries on the laptop"
wait_for "ada and bo hold max's posts" 10 nodes_converged "$ALL" "$A" "$B"
run_ok "$A" search --json "notes from max"
assert_eq 1 "$(json_lines)" "max's post on ada's node"
assert_eq 2 "$(node_entries "$E")" "entries in the stranger's store"
# the laptop browsed only: no record of it on the site, no node found it
three_nodes_seen() {
	host_browse e _stoa._tcp >"$T/browse" 2>&1 &&
		[ "$(grep -c '^=;eth0;IPv4;' "$T/browse")" -ge 3 ]
}
wait_for "avahi-browse on e shows the three nodes" 10 three_nodes_seen
grep -q ';10\.77\.8\.20;' "$T/browse" &&
	fail "the laptop published a record: $(grep ';10\.77\.8\.20;' "$T/browse")"
MAX_KEY=$(key_of "$M")
for h in "$A" "$B" "$E"; do
	node_log_has "$h" "found node ${MAX_KEY:0:8}" &&
		fail "$(basename "$h") found the laptop by mDNS: $(grep 'found node' "$h.log")"
done

step "a new post; sync --lan --json through the laptop's own avahi-daemon"
run_ok "$M" post --topic visit "max: the well is dry"
run_ok "$B" post --topic visit "bo: pump fixed"
host_avahi_start m
lan_sync m "$M" --wait 3 --json
[ "$RC" -eq 0 ] || fail "sync --lan --json exited $RC: $ERR / $OUT"
echo "  sync --lan --wait 3 --json (avahi-daemon) with 2 peers took $MS ms"
printf '%s\n' "$OUT" >"$T/lan.json"
"$PY" -S - "$T/lan.json" "$(key_of "$A")" "$(key_of "$B")" <<'EOF' ||
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
r = json.loads(lines[0])
assert r["type"] == "sync_lan", r
assert r["wait"] == 3 and r["found"] == 2 and r["synced"] == 2, r
# bo's new post came from bo or from ada (they sync live), max's went to
# one or both of them (the other may have had it from the first)
assert r["entries_in"] >= 1 and 1 <= r["entries_out"] <= 2, r
assert r["bytes_in"] > 0 and r["bytes_out"] > 0, r
assert r["seconds"] >= 3, r
peers = sorted(r["peers"], key=lambda p: p["name"])
assert [p["name"] for p in peers] == ["ada", "bo"], peers
assert [p["node"] for p in peers] == sys.argv[2:4], peers
for p in peers:
    assert p["synced"] is True and "error" not in p, p
    assert 0 <= p["found_after"] < 3 and 0 <= p["seconds"] < 3, p
    # the address it synced at: IPv4 on the bridge, or the link-local
    # IPv6 one an avahi-daemon also resolves (the node key names the host)
    assert re.match(r"tcp://(10\.77\.8\.1[0-9]|\[fe80:[0-9a-f:]+%eth0\]):[0-9]+$",
                    p["endpoint"]), p
assert sum(p["entries_in"] for p in peers) == r["entries_in"], r
assert sum(p["entries_out"] for p in peers) == r["entries_out"], r
EOF
	fail "sync --lan --json: $(cat "$T/lan.json")"
wait_for "every member's node holds the two new posts" 10 \
	nodes_converged $((ALL + 2)) "$A" "$B" "$M"

step "Ctrl-C once both have synced: the report of both, exit 0"
max_on() { # HOME [STATE]: its daemon has a session with max (in STATE)
	node_peers_json "$1" 2>/dev/null | "$PY" -S -c '
import json, sys
sys.exit(not any(p.get("name") == "max" and sys.argv[1] in ("", p["state"])
                 for p in json.load(sys.stdin)["peers"]))' "${2:-}"
}
max_synced_on() { max_on "$1" synced; }
no_max_session() { ! max_on "$A" && ! max_on "$B"; }
both_synced_with_max() { max_synced_on "$A" && max_synced_on "$B"; }
# the last sync's sessions are gone (a node probes its incoming peers
# every 5 s), so a synced one is this sync's
wait_for "ada and bo without a session with max" 15 no_max_session
host_spawn m --log "$T/int1.log" "$STOA" --home "$M" sync --lan --wait 60 >/dev/null
LAN_PID=$SPAWN_PID
wait_for "ada and bo in sync with max" 15 both_synced_with_max
kill -INT "$LAN_PID"
net_wait_pid "$LAN_PID" 10
[ "$STOP_RC" -eq 0 ] || fail "sync --lan ended by SIGINT exited $STOP_RC: $(cat "$T/int1.log")"
OUT=$(<"$T/int1.log")
assert_match "$OUT" '^ada \([0-9a-f]{8}, tcp://10\.77\.8\.11:[0-9]+\): 0 in, 0 out$' "ada's line"
assert_match "$OUT" '^bo \([0-9a-f]{8}, tcp://10\.77\.8\.12:[0-9]+\): 0 in, 0 out$' "bo's line"
assert_match "$OUT" '^total: 2 peers, 0 in, 0 out in [0-9.]+ s$' "the total"

step "beside a stoa serve of its own home: it runs, and does not find itself"
node_serve m "$M"
MAX_PID=$NODE_PID
# its record is out: ada found it
wait_for "ada found max's own daemon" 15 node_log_has "$A" "found node ${MAX_KEY:0:8}"
lan_sync m "$M" --wait 2
[ "$RC" -eq 0 ] || fail "sync --lan beside serve exited $RC: $ERR / $OUT"
assert_match "$OUT" '^total: 2 peers, [0-9]+ in, [0-9]+ out in [0-9.]+ s$' "the total"
assert_not_contains "$OUT" "max" "the report (the node itself)"
assert_not_contains "$OUT" "10.77.8.20" "the report (the node itself)"
node_stop "$MAX_PID"

step "bo's node freezes: its exchange alone fails, named; exit 1"
# SIGSTOP: its records stay in the laptop's avahi-daemon cache and the
# kernel still accepts the connection, but nothing answers the handshake
kill -STOP "${PIDS[1]}"
lan_sync m "$M" --wait 2 --timeout 4
[ "$RC" -eq 1 ] || fail "sync --lan with bo frozen exited $RC: $ERR / $OUT"
echo "  sync --lan --wait 2 --timeout 4 with one node frozen took $MS ms"
assert_match "$OUT" '^ada \([0-9a-f]{8}, tcp://10\.77\.8\.11:[0-9]+\): 0 in, 0 out$' "ada's line"
assert_match "$OUT" '^bo \([0-9a-f]{8}, tcp://10\.77\.8\.12:[0-9]+\): failed: timed out after 4 s \(0 in, 0 out\)$' "bo's line"
assert_match "$OUT" '^total: 2 peers, 1 failed, 0 in, 0 out in [0-9.]+ s$' "the total"
assert_eq "stoa: 1 of 2 nodes did not sync: bo" "$ERR" "the error"

step "bo's node dies (kill -9; its records linger): cannot connect, named"
kill -KILL "${PIDS[1]}"
net_wait_pid "${PIDS[1]}" 10
PIDS=("${PIDS[0]}" "${PIDS[2]}")
lan_sync m "$M" --wait 1 --json
[ "$RC" -eq 1 ] || fail "sync --lan with bo dead exited $RC: $ERR / $OUT"
assert_eq "stoa: 1 of 2 nodes did not sync: bo" "$ERR" "the error"
printf '%s\n' "$OUT" >"$T/lan.json"
"$PY" -S - "$T/lan.json" <<'EOF' || fail "sync --lan --json with bo dead: $OUT"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["found"] == 2 and r["synced"] == 1, r
p = {x["name"]: x for x in r["peers"]}
assert p["ada"]["synced"] is True and "error" not in p["ada"], p
assert p["bo"]["synced"] is False, p
assert p["bo"]["error"] == "cannot connect (nothing listens there?)", p
assert p["bo"]["endpoint"].startswith("tcp://10.77.8.12:"), p
EOF
[ "$MS" -lt 5000 ] || fail "sync --lan --wait 1 with bo dead took $MS ms"

step "the nodes stop: sync --lan --wait 2 finds none and exits 1"
for p in "${PIDS[@]}"; do
	node_stop "$p"
done
host_avahi_stop m e
lan_sync m "$M" --wait 2
[ "$RC" -eq 1 ] || fail "sync --lan with no node exited $RC: $ERR"
assert_eq "stoa: no stoa node of field found on this network in 2 s" "$ERR" \
	"the error"
assert_eq "" "$OUT" "stdout with no node"
if [ "$MS" -lt 2000 ] || [ "$MS" -ge 6000 ]; then
	fail "sync --lan --wait 2 with no node took $MS ms"
fi

step "Ctrl-C before any node is found: exit 1, said"
host_spawn m --log "$T/int2.log" "$STOA" --home "$M" sync --lan --wait 60 >/dev/null
LAN_PID=$SPAWN_PID
# SIGINT is blocked (read from a signalfd) once the loop is set up
int_blocked() {
	local mask
	mask=$(awk '/^SigBlk:/ {print $2}' "/proc/$LAN_PID/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (((16#$mask) & 2))
}
wait_for "sync --lan set up" 10 int_blocked
kill -INT "$LAN_PID"
net_wait_pid "$LAN_PID" 10
[ "$STOP_RC" -eq 1 ] || fail "sync --lan ended by SIGINT with no node exited $STOP_RC"
assert_eq "stoa: interrupted before any stoa node of field was found" \
	"$(<"$T/int2.log")" "its output"

step "every store verifies"
for h in "$A" "$B" "$M" "$E"; do
	run_ok "$h" verify
done
ok
