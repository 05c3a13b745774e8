#!/usr/bin/env bash
# bench_gov: what one member's flood of governance records costs everyone
# (docs/benchmarks.md, "Governance floods").
#
#   tests/bench/bench_gov.sh BUILD_DIR [ENTRIES] [KINDS]
#
# For each KIND of KINDS (default "post hide"; also erase, role): a home
# whose founder is member 0 and where one learner wrote ENTRIES (default
# 50000) entries of that kind (bench_store --flood: ordinary posts, or
# valid records of no effect: hides or erasures of random ids, roles
# making random keys facilitators), then
# 1. the founder's `stoa post` and `stoa hide` on that home, the median
#    of 5 each (wall time of the process);
# 2. a cold `stoa sync` of the home by a fresh member, served by
#    `stoa serve` over loopback: entries/s and bytes on the wire per
#    entry (a role record naming 16 ids is 3 times a bench post).
# Not a test: CTest never runs it.
set -euo pipefail

build=${1:?usage: bench_gov.sh BUILD_DIR [ENTRIES] [KINDS]}
entries=${2:-50000}
kinds=${3:-post hide}
stoa=$build/stoa
gen=$build/tests/bench_store
dir=$(mktemp -d /tmp/stoa-bench-gov-XXXXXX)
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for kind in $kinds; do
	d=$dir/$kind
	mkdir -p "$d"
	echo "== $kind: $entries by one learner"
	"$gen" --entries "$entries" --ingest 0 --batch 1000 --flood "$kind" \
		--keep --dir "$d" | grep -E '^append_(entries_per_s|seconds)' |
		sed "s/^/${kind}_/"
	home=$d/home
	: >"$d/post.ms"
	: >"$d/hide.ms"
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		id=$("$stoa" --home "$home" post "founder post $i")
		echo $(($(now_ms) - t0)) >>"$d/post.ms"
		t0=$(now_ms)
		"$stoa" --home "$home" hide "$id" >/dev/null 2>&1
		echo $(($(now_ms) - t0)) >>"$d/hide.ms"
	done
	echo "${kind}_founder_post_ms $(median <"$d/post.ms")"
	echo "${kind}_founder_hide_ms $(median <"$d/hide.ms")"

	"$stoa" --home "$d/b" init --name B --join \
		"$("$stoa" --home "$home" invite 2>/dev/null)" >/dev/null
	serve "$home"
	"$stoa" --home "$d/b" sync "$ENDPOINT" --json --timeout 3600 \
		>"$d/cold.json"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	python3 - "$d/cold.json" "$kind" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
k, n = sys.argv[2], r["entries_in"]
print(f"{k}_cold_entries {n}")
print(f"{k}_cold_seconds {r['seconds']:.2f}")
print(f"{k}_cold_entries_per_s {n / r['seconds']:.0f}")
print(f"{k}_cold_wire_bytes_per_entry {(r['bytes_in'] + r['bytes_out']) / n:.0f}")
PY
	rm -rf "$d"
done
