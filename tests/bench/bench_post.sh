#!/usr/bin/env bash
# bench_post: the wall time of `stoa post`, the write members make most
# (docs/benchmarks.md).
#
#   tests/bench/bench_post.sh BUILD_DIR [BUILD_DIR...]
#
# Each build gets a fresh home in its own temporary directory (under
# $BENCH_POST_DIR, default $TMPDIR or /tmp: put it on the disk whose fsync
# you want to time), no daemon. 10 posts warm the page cache and the
# home, then $BENCH_POST_RUNS (default 200) `stoa post` per build, each a
# real process timed from fork to exit: open the store, validate, sign,
# store, materialize, commit (synchronous = FULL), close, print the id.
# With several builds the posts alternate between them, one by one, so a
# before/after comparison sees the same minutes of the machine. Prints
# p50, p99 and max in ms per build (in the order given: post0_, post1_,
# ...), and the p50 of a bare /bin/true (what any process costs here).
# Not a test: CTest never runs it.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: bench_post.sh BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
runs=${BENCH_POST_RUNS:-200}
base=${BENCH_POST_DIR:-${TMPDIR:-/tmp}}
dir=$(mktemp -d "$base/stoa-bench-post-XXXXXX")
trap 'rm -rf "$dir"' EXIT

builds=("$@")
for k in "${!builds[@]}"; do
	stoa=${builds[$k]}/stoa
	[ -x "$stoa" ] || { echo "bench_post: no stoa at '$stoa'" >&2; exit 1; }
	"$stoa" --home "$dir/home$k" init --name poster --community bench >/dev/null
	for i in $(seq 10); do
		"$stoa" --home "$dir/home$k" post "warm-up post $i" >/dev/null
	done
	: >"$dir/post$k.times"
done

# one line per run: start and end, from bash's microsecond clock
for i in $(seq "$runs"); do
	for k in "${!builds[@]}"; do
		t0=$EPOCHREALTIME
		"${builds[$k]}/stoa" --home "$dir/home$k" post --topic bench \
			"post $i: how do I factor x^2 - 5x + 6 by hand?" >/dev/null
		t1=$EPOCHREALTIME
		echo "$t0 $t1" >>"$dir/post$k.times"
	done
done
for i in $(seq "$runs"); do
	t0=$EPOCHREALTIME
	/bin/true
	t1=$EPOCHREALTIME
	echo "$t0 $t1"
done >"$dir/true.times"

python3 - "$dir" "${#builds[@]}" <<'PY'
import sys
def ms(path):
    v = sorted((float(b) - float(a)) * 1e3
               for a, b in (l.split() for l in open(path)))
    return v, lambda p: v[min(len(v) - 1, int(p * len(v)))]
d, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    v, q = ms(f"{d}/post{k}.times")
    p = f"post{k}_" if n > 1 else "post_"
    print(f"{p}runs {len(v)}")
    print(f"{p}p50_ms {q(0.50):.1f}")
    print(f"{p}p99_ms {q(0.99):.1f}")
    print(f"{p}max_ms {v[-1]:.1f}")
_, t = ms(f"{d}/true.times")
print(f"spawn_p50_ms {t(0.50):.1f}")
PY
