#!/usr/bin/env bash
# bench_sync_lan.sh: how long `stoa sync --lan` takes on a field visit,
# and how soon it could have returned.
#
# Usage (root): tests/bench/bench_sync_lan.sh [BUILD_DIR] [PEERS] [ROUNDS] [WAIT] [MODE]
#   BUILD_DIR  where stoa was built (default build)
#   PEERS      hosts running `stoa serve` on the site (default 2)
#   ROUNDS     visits timed (default 5)
#   WAIT       --wait SECONDS (default 5)
#   MODE       embedded (default: no avahi-daemon anywhere) or avahi (one
#              on the laptop; the serving hosts keep the embedded stack)
#
# A site of PEERS hosts in network namespaces (tests/netns/lib.sh), one
# member each with 20 posts, all running `stoa serve --discovery embedded`,
# converged. Then, ROUNDS times, a field laptop on the same site with a
# fresh member (its profile and 20 posts, so every visit moves entries both
# ways) runs `stoa sync --lan --wait WAIT --json`; the figures are the
# command's wall time, when each peer was found (found_after) and when the
# last one had settled (found_after + seconds): the time it could have
# returned if it had known no other node would answer.
set -euo pipefail
BUILD=${1:-build}
PEERS=${2:-2}
ROUNDS=${3:-5}
WAIT=${4:-5}
MODE=${5:-embedded}
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

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

net_site field
FIRST=$(new_home p1 bench)
homes=("$FIRST")
for ((i = 2; i <= PEERS; i++)); do
	homes+=("$(node_join "p$i" "$FIRST")")
done
for h in "${homes[@]}"; do posts "$h"; done
for ((i = 1; i <= PEERS; i++)); do
	net_host "p$i" field "10.78.9.$((10 + i))/24"
	node_serve "p$i" "${homes[$((i - 1))]}" --discovery embedded
done
net_host laptop field 10.78.9.200/24
[ "$MODE" = avahi ] && host_avahi_start laptop
total=$((PEERS * (POSTS + 1)))
wait_for "the site of $PEERS hosts converged" 60 nodes_converged "$total" "${homes[@]}"

walls=() lasts=()
for ((r = 1; r <= ROUNDS; r++)); do
	L=$(node_join "visit$r" "$FIRST")
	posts "$L"
	t0=$(now_ms)
	host_run laptop "$STOA" --home "$L" sync --lan --wait "$WAIT" --json >"$T/lan.json" ||
		fail "sync --lan exited $?: $(cat "$T/lan.json")"
	wall=$(($(now_ms) - t0))
	last=$("$PY" -S - "$T/lan.json" "$PEERS" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["found"] == int(sys.argv[2]) and r["synced"] == r["found"], r
found = ", ".join("%.3f" % p["found_after"] for p in r["peers"])
settled = ", ".join("%.3f" % (p["found_after"] + p["seconds"]) for p in r["peers"])
print(int(1000 * max(p["found_after"] + p["seconds"] for p in r["peers"])),
      "found after [%s] s, settled at [%s] s, %d in, %d out" %
      (found, settled, r["entries_in"], r["entries_out"]))
EOF
	) || fail "bad report: $(cat "$T/lan.json")"
	walls+=("$wall")
	lasts+=("${last%% *}")
	printf 'round %d: %5d ms in all; %s\n' "$r" "$wall" "${last#* }"
done
printf '%s peers, --wait %s, %s: median %s ms in all, last peer settled at %s ms (median)\n' \
	"$PEERS" "$WAIT" "$MODE" "$(printf '%s\n' "${walls[@]}" | median)" \
	"$(printf '%s\n' "${lasts[@]}" | median)"
