#!/usr/bin/env bash
# t32-concurrency: STOA_CONC_POSTS (default 1000; 200 in the ASan+UBSan
# build, where a post takes ~300 ms instead of ~50) `stoa post` commands
# from STOA_CONC_SHELLS (default 4) shells at once, on a node whose daemon
# is pulling STOA_CONC_ENTRIES (default 30000; 10000 with ASan) entries
# from a peer at the same time.
#
# The pull ends long before the posts do (a post is a process start,
# ~30 ms of CPU here); the test says how many posts ended while it ran
# and requires one at least. With 10000 entries the pull once ended in
# 157 ms, before the first post (a CI run): the store ingests faster
# since the governance counts are read once per transaction.
#
# Every post exits 0 and prints nothing on stderr (so no "database is
# locked" reaches anyone); every id printed is in the store exactly once;
# the member's feed holds seqs 1..POSTS+1 with no gap or duplicate; the
# daemon still converges with the peer.
# shellcheck source=tests/integration/harden.sh
. "$(dirname "$0")/harden.sh"

need_bench
need_sqlite3
if [ -n "${STOA_SANITIZED:-}" ]; then
	knob STOA_CONC_POSTS 200
	knob STOA_CONC_ENTRIES 10000
else
	knob STOA_CONC_POSTS 1000
	knob STOA_CONC_ENTRIES 30000
fi
knob STOA_CONC_SHELLS 4

A=$T/bench/home
B=$T/bo
step "a home of $STOA_CONC_ENTRIES entries (bench tool), serving; a member's daemon pulls it"
make_bench "$T/bench" "$STOA_CONC_ENTRIES"
start_serve "$A"
EPA=$ENDPOINT
run_ok "$A" invite
run_ok "$B" init --name Bo --join "$OUT"
run_ok "$B" whoami --json
key=$(json_field key)
start_serve "$B" --peer "$EPA"

step "$STOA_CONC_POSTS posts from $STOA_CONC_SHELLS shells while the daemon ingests"
# poster N COUNT: one shell's loop; ids to ids.N, stderr to err.N, and a
# line in fail.N for every post that did not exit 0.
poster() {
	local i rc
	for i in $(seq 1 "$2"); do
		rc=0
		"$STOA" --home "$B" post --topic busy "shell $1, post $i" \
			>>"$T/ids.$1" 2>>"$T/err.$1" || rc=$?
		[ "$rc" -eq 0 ] || echo "post $i exited $rc" >>"$T/fail.$1"
	done
}
per=$((STOA_CONC_POSTS / STOA_CONC_SHELLS))
extra=$((STOA_CONC_POSTS % STOA_CONC_SHELLS))
pids=()
t0=$(now_ms)
at_start=$(db_entries "$B")
for s in $(seq 1 "$STOA_CONC_SHELLS"); do
	: >"$T/ids.$s"
	: >"$T/err.$s"
	: >"$T/fail.$s"
	n=$per
	[ "$s" -gt "$extra" ] || n=$((n + 1))
	bg_start "$T/shell$s.log" poster "$s" "$n"
	pids+=("$BG_PID")
done
# how far the pull was when the posts ended (and when it ended)
pull_done=
for pid in "${pids[@]}"; do
	while pid_alive "$pid"; do
		if [ -z "$pull_done" ] &&
			[ "$(db_entries "$B")" -ge $((STOA_CONC_ENTRIES + 1)) ]; then
			pull_done=$(($(now_ms) - t0))
			during=$(cat "$T"/ids.* | grep -c . || true)
		fi
		[ $(($(now_ms) - t0)) -lt 600000 ] || fail "the posts take over 600 s"
		sleep 0.1
	done
	wait_pid "$pid" 5
done
posts_ms=$(($(now_ms) - t0))
ended="after them"
[ -z "$pull_done" ] || ended="at $pull_done ms, $during posts in"
echo "  $STOA_CONC_POSTS posts in $posts_ms ms; the pull held $at_start entries when" \
	"they started and ended $ended"
# the point is posts and ingest at once: some posts must have ended while
# the daemon was still pulling
[ -z "$pull_done" ] || [ "$during" -ge 1 ] ||
	fail "only $during posts ended while the daemon pulled: nothing ran at once"

step "every post exited 0, nothing on stderr (no 'database is locked')"
cat "$T"/fail.* >"$T/fail"
cat "$T"/err.* >"$T/err.all"
[ ! -s "$T/fail" ] || fail "$(grep -c . "$T/fail") posts failed: $(head -n 3 "$T/fail"); stderr: $(head -n 3 "$T/err.all")"
if grep -Eiq 'locked|busy' "$T/err.all"; then
	fail "a post said: $(grep -Ei -m 1 'locked|busy' "$T/err.all")"
fi
[ ! -s "$T/err.all" ] || fail "posts wrote on stderr: $(head -n 3 "$T/err.all")"

step "every post stored exactly once: seqs 1..$((STOA_CONC_POSTS + 1)), every id held"
cat "$T"/ids.* >"$T/ids"
assert_eq "$STOA_CONC_POSTS" "$(grep -c . "$T/ids")" "ids printed"
assert_ids_held "$B" "$T/ids" "concurrent posts"
assert_eq "$((STOA_CONC_POSTS + 1))|1|$((STOA_CONC_POSTS + 1))|$((STOA_CONC_POSTS + 1))" \
	"$(sql -readonly "$B/store.db" "SELECT count(*), min(seq), max(seq), count(DISTINCT seq) FROM entries WHERE author = x'$key'")" \
	"the member's feed: count|min seq|max seq|distinct seqs"
assert_sound "$B" "after the concurrent posts"

step "the node converges with the peer"
same_count() { [ "$(db_entries "$A")" = "$(db_entries "$B")" ]; }
wait_for "the member and the peer to converge" 120 same_count
assert_converged "$A" "$B" "after the concurrent posts"
assert_ids_held "$A" "$T/ids" "the peer"
ok
