#!/usr/bin/env bash
# bench_discovery.sh: how long a new host takes to join a site's mesh.
#
# Usage (root): tests/bench/bench_discovery.sh [BUILD_DIR] [SIZES] [ROUNDS] [MODE]
#   BUILD_DIR  where stoa was built (default build)
#   SIZES      site sizes, counting the new host (default "4 10")
#   ROUNDS     new hosts timed per size (default 5)
#   MODE       embedded (default) or avahi (an avahi-daemon per host)
#
# For each size N it makes a site of N-1 hosts in network namespaces (the
# harness of tests/netns/lib.sh), one member per host with 20 posts, all
# running `stoa serve` with no --peer, and waits for them to converge.
# Then, ROUNDS times, a new host with a fresh member (its profile and 20
# posts) is plugged into the site and its `stoa serve` started; the figure
# is the time from that start to the new host holding every entry of the
# site (its store polled every 20 ms), and to every old host holding the
# new member's entries too. Then that new host stops again (its entries
# stay with the site), so every round times a site of exactly N hosts.
# Prints one line per round and the medians.
set -euo pipefail
BUILD=${1:-build}
SIZES=${2:-4 10}
ROUNDS=${3:-5}
MODE=${4:-embedded}
POSTS=20
STOA=${STOA:-$(cd "$BUILD" && pwd)/stoa}
export STOA
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/../netns/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/../netns/nodes.sh"

netns_require
[ "$MODE" = embedded ] || [ "$MODE" = avahi ] || fail "MODE is embedded or avahi"

posts() { # HOME: POSTS posts
	local i
	for ((i = 0; i < POSTS; i++)); do
		run_ok "$1" post --topic bench "post $i of $(basename "$1")"
	done
}

serve_args=(--discovery embedded)
[ "$MODE" = avahi ] && serve_args=()

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

site=0
for N in $SIZES; do
	site=$((site + 1))
	net_site "s$site"
	FIRST=$(new_home "s${site}h1" bench)
	homes=("$FIRST")
	for ((i = 2; i < N; i++)); do
		homes+=("$(node_join "s${site}h$i" "$FIRST")")
	done
	for h in "${homes[@]}"; do posts "$h"; done
	hosts=()
	for ((i = 1; i < N; i++)); do
		net_host "s${site}h$i" "s$site" "10.78.$site.$((10 + i))/24"
		hosts+=("s${site}h$i")
	done
	[ "$MODE" = avahi ] && host_avahi_start "${hosts[@]}"
	for ((i = 1; i < N; i++)); do
		node_serve "s${site}h$i" "${homes[$((i - 1))]}" "${serve_args[@]}"
	done
	total=$(((N - 1) * (POSTS + 1)))
	wait_for "the site of $((N - 1)) hosts converged" 60 nodes_converged "$total" "${homes[@]}"
	own=() all=()
	for ((r = 1; r <= ROUNDS; r++)); do
		name="s${site}n$r"
		NEW=$(node_join "$name" "$FIRST")
		posts "$NEW"
		net_host "$name" "s$site" "10.78.$site.$((100 + r))/24"
		[ "$MODE" = avahi ] && host_avahi_start "$name"
		total=$((total + POSTS + 1))
		t0=$(now_ms)
		node_serve "$name" "$NEW" "${serve_args[@]}"
		newpid=$NODE_PID
		while [ "$(node_entries "$NEW")" != "$total" ]; do
			if [ -n "${BENCH_DEBUG:-}" ] && [ $(($(now_ms) - t0)) -gt 10000 ]; then
				echo "STALL $name"; host_run "$name" ss -tanp > "$T/ss.$name" 2>&1 || true
				cat "$T/ss.$name"
				gdb -q -batch -p "$newpid" -ex "thread apply all bt" 2>&1 | grep -E "^#|^Thread" | sed -n 1,60p
				host_run s1h1 ss -tanp 2>&1 | sed -n 1,30p
				fail "stall"
			fi
			[ $(($(now_ms) - t0)) -lt 60000 ] || fail "$name did not converge in 60 s"
			sleep 0.02
		done
		t1=$(now_ms)
		wait_for "every host holding $name's entries" 60 nodes_converged "$total" "${homes[@]}" "$NEW"
		t2=$(now_ms)
		node_stop "$newpid"
		own+=($((t1 - t0)))
		all+=($((t2 - t0)))
		printf 'N=%-3s round %d: new host complete in %5d ms, whole site in %5d ms\n' \
			"$N" "$r" $((t1 - t0)) $((t2 - t0))
	done
	printf 'N=%-3s %s median: new host complete in %s ms, whole site in %s ms\n' "$N" "$MODE" \
		"$(printf '%s\n' "${own[@]}" | median)" "$(printf '%s\n' "${all[@]}" | median)"
done
