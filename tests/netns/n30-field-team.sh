#!/usr/bin/env bash
# n30-field-team: two sites that never touch (two bridges), each with its
# own nodes and posts; a courier laptop M starts at site 1 and syncs there,
# its cable is moved to site 2, where site 2's hosts get site 1's posts
# through M and M gets theirs; back at site 1 it brings site 2's posts
# home. Every host ends with the same view. Embedded mDNS everywhere (no
# avahi-daemon, as on a bare field laptop), no --peer anywhere.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require

step "five members of one team: two at each site and the courier"
A1=$(new_home ana team)
A2=$(node_join abe "$A1")
B1=$(node_join bea "$A1")
B2=$(node_join ben "$A1")
M=$(node_join max "$A1")
for h in "$A1" "$A2" "$B1" "$B2" "$M"; do
	run_ok "$h" post --topic field "notes from $(basename "$h")"
done
# each member: a profile and a post
SITE1=6 SITE2=4 ALL=10

step "two sites that never touch; the courier is at site 1"
net_site one
net_site two
net_host a1 one 10.77.2.11/24
net_host a2 one 10.77.2.12/24
net_host m one 10.77.2.20/24
net_host b1 two 10.77.2.31/24
net_host b2 two 10.77.2.32/24
PIDS=()
for x in a1:"$A1" a2:"$A2" m:"$M" b1:"$B1" b2:"$B2"; do
	node_serve "${x%%:*}" "${x#*:}" --discovery embedded
	PIDS+=("$NODE_PID")
done

step "each site converges on its own; neither has the other's posts"
wait_for "site 1 converged on $SITE1 entries" 30 \
	nodes_converged "$SITE1" "$A1" "$A2" "$M"
wait_for "site 2 converged on $SITE2 entries" 30 \
	nodes_converged "$SITE2" "$B1" "$B2"
run_ok "$B1" search ana
[ -z "$OUT" ] || fail "site 2 found ana's notes before the courier came: $OUT"

step "the courier's cable moves to site 2: site 1's posts arrive through it"
run_ok "$B1" post --topic field "bea: water level is up"
T0=$(now_ms)
net_move m two
wait_for "site 2 and the courier converged on $((ALL + 1)) entries" 30 \
	nodes_converged $((ALL + 1)) "$B1" "$B2" "$M"
echo "  site 2 had site 1's posts $(($(now_ms) - T0)) ms after the move"
run_ok "$B2" search ana --json
assert_contains "$OUT" "notes from ana" "search on site 2"
# site 1 has not seen site 2 yet
assert_eq "$SITE1" "$(node_entries "$A1")" "entries at site 1 while the courier is away"

step "the courier comes home: site 2's posts reach site 1"
T0=$(now_ms)
net_move m one
wait_for "every host converged on $((ALL + 1)) entries" 30 \
	nodes_converged $((ALL + 1)) "$A1" "$A2" "$M" "$B1" "$B2"
echo "  site 1 had site 2's posts $(($(now_ms) - T0)) ms after the return"
run_ok "$A2" search water --json
assert_contains "$OUT" "water level is up" "search on site 1"
d=$(view_digest "$A1")
for h in "$A2" "$M" "$B1" "$B2"; do
	assert_eq "$d" "$(view_digest "$h")" "view digest of $h"
done

step "SIGTERM: every daemon exits 0, every store verifies"
for p in "${PIDS[@]}"; do
	node_stop "$p"
done
for h in "$A1" "$A2" "$M" "$B1" "$B2"; do
	run_ok "$h" verify
done
ok
