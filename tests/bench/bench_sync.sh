#!/usr/bin/env bash
# bench_sync: replication figures over loopback with CURVE (docs/benchmarks.md).
#
#   tests/bench/bench_sync.sh BUILD_DIR [ENTRIES] [POSTS]
#
# 1. cold: a home of ENTRIES (default 100000) entries by 40 members, made
#    by bench_store, served by `stoa serve`; a fresh member's `stoa sync`
#    pulls everything (verified, stored, materialized): entries/s, bytes
#    on the wire per entry, peak RSS of both processes;
# 2. warm: the same sync again with nothing new: bytes and wall time;
# 3. live: two daemons connected; POSTS (default 200) `stoa post` on one,
#    each waited for on the other; the latency is from the entry's own
#    timestamp to the moment the other daemon stored it (its --verbose log
#    line), p50 and p99.
# Not a test: CTest never runs it. Needs /usr/bin/time (Debian's "time").
set -euo pipefail

build=${1:?usage: bench_sync.sh BUILD_DIR [ENTRIES] [POSTS]}
entries=${2:-100000}
posts=${3:-200}
stoa=$build/stoa
gen=$build/tests/bench_store
dir=$(mktemp -d /tmp/stoa-bench-sync-XXXXXX)
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }

echo "== cold: $entries entries, 40 members"
"$gen" --entries "$entries" --ingest 0 --batch 5000 --keep --dir "$dir" >/dev/null
"$stoa" --home "$dir/b" init --name B --join \
	"$("$stoa" --home "$dir/home" invite 2>/dev/null)" >/dev/null
serve "$dir/home"
apid=$PID
/usr/bin/time -f "%M" -o "$dir/b.rss" \
	"$stoa" --home "$dir/b" sync "$ENDPOINT" --json --timeout 3600 >"$dir/cold.json"
python3 - "$dir/cold.json" "$(cat "$dir/b.rss")" "$(hwm $apid)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = r["entries_in"]
print(f"cold_entries {n}")
print(f"cold_seconds {r['seconds']:.2f}")
print(f"cold_entries_per_s {n / r['seconds']:.0f}")
print(f"cold_wire_bytes_per_entry {(r['bytes_in'] + r['bytes_out']) / n:.0f}")
print(f"cold_receiver_peak_rss_kb {sys.argv[2]}")
print(f"cold_sender_peak_rss_kb {sys.argv[3]}")
PY

echo "== warm: nothing new"
"$stoa" --home "$dir/b" sync "$ENDPOINT" --json >"$dir/warm.json"
python3 - "$dir/warm.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"warm_entries {r['entries_in'] + r['entries_out']}")
print(f"warm_bytes {r['bytes_in'] + r['bytes_out']}")
print(f"warm_ms {r['seconds'] * 1000:.1f}")
PY
kill "$apid"; wait "$apid" 2>/dev/null || true

echo "== live: $posts posts"
"$stoa" --home "$dir/l1" init --name L1 --community live >/dev/null
"$stoa" --home "$dir/l2" init --name L2 --join \
	"$("$stoa" --home "$dir/l1" invite 2>/dev/null)" >/dev/null
serve "$dir/l1"
serve "$dir/l2" --peer "$ENDPOINT" --verbose
deadline=$((SECONDS + 20))
# (status read whole, then matched: a pipe into grep -q dies of SIGPIPE
# under pipefail when grep exits first)
until [[ $("$stoa" --home "$dir/l2" status --json) == *'"state":"synced"'* ]]; do
	[ $SECONDS -lt $deadline ] || { echo "never synced" >&2; exit 1; }
	sleep 0.05
done
for i in $(seq "$posts"); do
	"$stoa" --home "$dir/l1" post "live post $i" >/dev/null
	seq=$((i + 1)) # the profile is entry 1
	deadline=$((SECONDS + 10))
	until grep -q "up to $seq from" "$dir/l2.log"; do
		[ $SECONDS -lt $deadline ] || { echo "post $i never arrived" >&2; exit 1; }
		sleep 0.005
	done
done
grep -o 'up to [0-9]* from .*written [0-9-]* ms ago' "$dir/l2.log" |
	sed 's/.*written \([0-9-]*\) ms ago/\1/' |
	python3 -c '
import sys
v = sorted(int(x) for x in sys.stdin.read().split())
def q(p): return v[min(len(v) - 1, int(p * len(v)))]
print(f"live_posts {len(v)}")
print(f"live_latency_p50_ms {q(0.50)}")
print(f"live_latency_p99_ms {q(0.99)}")
print(f"live_latency_max_ms {v[-1]}")'
