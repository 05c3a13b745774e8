#!/usr/bin/env bash
# bench_bundle: bundle figures (docs/benchmarks.md, "Bundles").
#
#   tests/bench/bench_bundle.sh BUILD_DIR [ENTRIES]
#
# A home of ENTRIES (default 100000) entries by 40 members, made by
# bench_store (as bench_sync.sh makes its sender); then
# 1. create: `stoa bundle create` of everything: entries/s, bytes per
#    entry, peak RSS;
# 2. apply: a fresh member's `stoa bundle apply` of it (every entry
#    checked, stored and materialized as from a peer): entries/s, peak
#    RSS;
# 3. apply again: nothing new (every run found held): entries/s;
# 4. frontier and create --for of a home that lacks nothing: seconds.
# Not a test: CTest never runs it. Needs /usr/bin/time (Debian's "time").
set -euo pipefail

build=${1:?usage: bench_bundle.sh BUILD_DIR [ENTRIES]}
entries=${2:-100000}
stoa=$build/stoa
gen=$build/tests/bench_store
dir=$(mktemp -d /tmp/stoa-bench-bundle-XXXXXX)
trap 'rm -rf "$dir"' EXIT

now() { date +%s.%N; }
# timed NAME CMD...: runs CMD, prints NAME_seconds and NAME_peak_rss_kb
timed() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f "%M" -o "$dir/$name.rss" "$@" >"$dir/$name.out"
	t1=$(now)
	python3 -c "print('${name}_seconds %.2f' % ($t1 - $t0))"
	echo "${name}_peak_rss_kb $(cat "$dir/$name.rss")"
	LAST=$(python3 -c "print($t1 - $t0)")
}
rate() { python3 -c "print('$1_entries_per_s %.0f' % ($2 / $LAST))"; }

echo "== a home of $entries entries, 40 members"
"$gen" --entries "$entries" --ingest 0 --batch 5000 --keep --dir "$dir" >/dev/null
"$stoa" --home "$dir/b" init --name B --join \
	"$("$stoa" --home "$dir/home" invite 2>/dev/null)" >/dev/null

echo "== create"
timed create "$stoa" --home "$dir/home" bundle create "$dir/all.stb" --json
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"])' "$dir/create.out")
size=$(stat -c %s "$dir/all.stb")
echo "create_entries $n"
rate create "$n"
echo "bundle_bytes $size"
python3 -c "print('bundle_bytes_per_entry %.0f' % ($size / $n))"

echo "== apply (a fresh member)"
timed apply "$stoa" --home "$dir/b" bundle apply "$dir/all.stb" --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("apply_new", r["new"]); assert r["damaged"] is None' "$dir/apply.out"
rate apply "$n"

echo "== apply again (nothing new)"
timed again "$stoa" --home "$dir/b" bundle apply "$dir/all.stb" --json
rate again "$n"

echo "== frontier and create --for (nothing lacking)"
timed frontier "$stoa" --home "$dir/b" frontier "$dir/b.stf"
timed none "$stoa" --home "$dir/home" bundle create "$dir/none.stb" --for "$dir/b.stf" --json
python3 -c 'import json,sys; print("none_entries", json.load(open(sys.argv[1]))["entries"])' "$dir/none.out"
