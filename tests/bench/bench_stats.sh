#!/usr/bin/env bash
# bench_stats: what `stoa stats` and `stoa report --html` cost on a large
# home (docs/benchmarks.md, "Stats and the HTML report").
#
#   tests/bench/bench_stats.sh BUILD_DIR [ENTRIES] [HOME]
#
# Makes a home of ENTRIES (default 1000000) entries by 200 members with
# bench_store (a classroom's mix: posts, replies, feedback, kudos,
# mentoring asks), or uses HOME if given (it is upgraded to the current
# schema first, untimed), then runs each command RUNS times (default 11)
# and prints the median wall time and the largest peak RSS of the stoa
# process: `stoa stats --json` and `stoa stats` (text) over the default
# window, which holds every entry (bench_store dates them now), and
# `stoa report --html` into a file. Not a test: CTest never runs it.
set -euo pipefail

build=${1:?usage: bench_stats.sh BUILD_DIR [ENTRIES] [HOME]}
entries=${2:-1000000}
home=${3:-}
runs=${RUNS:-11}
stoa=$build/stoa
dir=$(mktemp -d /tmp/stoa-bench-stats-XXXXXX)
trap 'rm -rf "$dir"' EXIT

if [ -z "$home" ]; then
	echo "== making a home of $entries entries"
	"$build/tests/bench_store" --entries "$entries" --members 200 \
		--ingest 0 --batch 5000 --keep --dir "$dir" |
		grep -E '^append_(entries_per_s|seconds)|^store_bytes '
	home=$dir/home
fi
"$stoa" --home "$home" stats --json >/dev/null # upgrade, warm the cache

# run NAME ARGS...: RUNS runs of stoa ARGS; median ms and peak RSS
run() {
	local name=$1 i
	shift
	: >"$dir/$name.t"
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f '%e %M' -a -o "$dir/$name.t" \
			"$stoa" --home "$home" "$@" >/dev/null 2>&1
	done
	sort -n "$dir/$name.t" | awk -v n="$name" '
		{ ms[NR] = $1 * 1000; if ($2 > rss) rss = $2 }
		END { printf "%s_ms %d\n%s_peak_rss_kb %d\n", n,
		      ms[int((NR + 1) / 2)], n, rss }'
}

run stats_json stats --json
run stats_text stats
run report_html report --html "$dir/report.html"
printf 'report_html_bytes %d\n' "$(stat -c %s "$dir/report.html")"
