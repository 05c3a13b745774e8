# shellcheck shell=bash
# nodes.sh: stoa nodes on the virtual hosts of tests/netns/lib.sh. Sourced
# by the netns tests after tests/integration/lib.sh (stoa, homes, JSON
# helpers) and tests/netns/lib.sh (hosts, sites, processes).
#
#   node_join NAME COMMUNITY_HOME  a home $T/NAME that joins the community
#                              of COMMUNITY_HOME with its invite code;
#                              prints the dir
#   node_serve HOST HOME [ARGS...]  `stoa serve --listen tcp://*:0 ARGS` on
#                              HOST (log HOME.log); waits (deadline) until
#                              it listens; sets NODE_PID
#   node_stop PID              TERM, wait; fails unless it exits 0
#   node_entries HOME          entries in HOME's store
#   nodes_converged N HOME...  true if every HOME holds N entries
#   node_peers_json HOME       `stoa peers --json` of HOME's daemon
#   node_log_has HOME ERE      true if HOME's daemon log has a matching line

node_join() {
	local code dir="$T/$1"
	code=$("$STOA" --home "$2" invite 2>/dev/null) || fail "no invite code from $2"
	# the first code in it (no pipe into head: SIGPIPE under pipefail)
	[[ $code =~ stoa:[A-Za-z0-9_-]+ ]] || fail "no invite code from $2"
	code=${BASH_REMATCH[0]}
	stoa_run "$dir" init --name "$1" --join "$code"
	[ "$RC" -eq 0 ] || fail "joining $dir exited $RC: $ERR"
	printf '%s\n' "$dir"
}

node_serve() {
	local host=$1 home=$2 deadline
	shift 2
	rm -f "$home/serve.endpoint"
	host_spawn "$host" --log "$home.log" "$STOA" --home "$home" serve \
		--listen 'tcp://*:0' "$@" >/dev/null
	NODE_PID=$SPAWN_PID
	deadline=$(($(now_ms) + 10000))
	while [ ! -s "$home/serve.endpoint" ]; do
		kill -0 "$NODE_PID" 2>/dev/null ||
			fail "serve on $host exited before listening: $(tail -n 5 "$home.log")"
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "serve on $host wrote no serve.endpoint within 10 s"
		sleep 0.05
	done
}

node_stop() {
	net_stop_pid "$1"
	[ "$STOP_RC" -eq 0 ] || fail "daemon $1 exited $STOP_RC on SIGTERM"
}

node_entries() {
	"$STOA" --home "$1" status --json 2>/dev/null |
		"$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["entries"])' 2>/dev/null ||
		echo -1
}

nodes_converged() {
	local n=$1 h
	shift
	for h in "$@"; do
		[ "$(node_entries "$h")" = "$n" ] || return 1
	done
}

node_peers_json() {
	"$STOA" --home "$1" peers --json || fail "stoa peers --json in $1 failed"
}

node_log_has() {
	grep -Eq -- "$2" "$1.log"
}
