# shellcheck shell=bash
# What the loopback benches share (bench_sync.sh, bench_gov.sh), sourced
# once stoa and dir are set: every daemon `serve` starts is stopped at
# exit, and dir removed.
# stoa and dir are the caller's; ENDPOINT and PID are for it:
# shellcheck disable=SC2154,SC2034
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

# serve HOME [ARGS]: starts a daemon, waits for its endpoint, sets
# ENDPOINT and PID
serve() {
	local home=$1 deadline=$((SECONDS + 20))
	shift
	"$stoa" --home "$home" serve --listen tcp://127.0.0.1:0 "$@" \
		2>"$home.log" &
	pids+=($!)
	PID=$!
	until [ -s "$home/serve.endpoint" ]; do
		[ $SECONDS -lt $deadline ] || { echo "no endpoint" >&2; exit 1; }
		sleep 0.05
	done
	ENDPOINT=$(cat "$home/serve.endpoint")
}
