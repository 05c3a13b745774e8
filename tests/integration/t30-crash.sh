#!/usr/bin/env bash
# t30-crash: kill -9 at random points, during a large sync and during
# local posting; after each kill the node restarts and nothing it reported
# as stored is gone.
#
# 1. Sync: a member's daemon (`stoa serve --peer`) pulls a home of
#    STOA_CRASH_ENTRIES (default 10000; 5000 in the ASan+UBSan build)
#    entries (t15-kill9 pulls 20000, killed at 3 points) and is killed -9
#    after a
#    random delay (drawn from a span that adapts to how fast it pulls),
#    then started again, until STOA_CRASH_KILLS (default 20) kills have
#    landed while it still lacked entries (a member that completes makes
#    way for a fresh one). Just before each kill a reader
#    counts the entries the store holds (committed); after it, the store
#    holds at least that many and passes SQLite's integrity check; every
#    STOA_CRASH_VERIFY_EVERY (default 10) kills, after the last and once
#    the last member completes, `stoa verify` is clean.
# 2. Posting: `stoa post` processes are killed -9 at a random moment of
#    their life (drawn within a span that adapts to a post's duration), until
#    STOA_CRASH_KILLS kills have hit a running post. Every id a post
#    printed (it exited 0) must be in the store; the integrity check
#    passes after each kill.
# 3. Then the member's daemon converges with the peer: same entries, same
#    view digest, `stoa verify` clean.
# The kill points are drawn from a seed printed at the start:
# STOA_HARDEN_SEED=N repeats them (timing still varies a little).
# shellcheck source=tests/integration/harden.sh
. "$(dirname "$0")/harden.sh"

need_bench
need_sqlite3
if [ -n "${STOA_SANITIZED:-}" ]; then
	knob STOA_CRASH_ENTRIES 5000
else
	knob STOA_CRASH_ENTRIES 10000
fi
knob STOA_CRASH_KILLS 20
knob STOA_CRASH_VERIFY_EVERY 10
harden_seed

A=$T/bench/home
step "a home of $STOA_CRASH_ENTRIES entries (bench tool), serving"
make_bench "$T/bench" "$STOA_CRASH_ENTRIES"
start_serve "$A"
EPA=$ENDPOINT
APID=$SERVE_PID
run_ok "$A" invite
code=$OUT

# --- 1. sync ------------------------------------------------------------
# complete B: B's daemon runs until B holds what the peer holds, then stops.
complete() {
	start_serve "$1" --peer "$EPA"
	same() { [ "$(db_entries "$A")" = "$(db_entries "$1")" ]; }
	wait_for "$(basename "$1") to hold everything" 120 same "$1"
	stop_pid "$SERVE_PID"
	assert_eq 0 "$STOP_RC" "$(basename "$1")'s daemon on SIGTERM"
}

step "a first member pulls all $STOA_CRASH_ENTRIES entries: how long a pull takes"
run_ok "$T/bo1" init --name Bo1 --join "$code"
t=$(now_ms)
complete "$T/bo1"
pull_ms=$(($(now_ms) - t))
assert_sound "$T/bo1" "the first member"
echo "  a pull takes $pull_ms ms"

step "kill -9 members' daemons at random points of the pull"
# The delay before each kill is drawn from [0, span]. span starts at a
# third of the first pull and adapts: it shrinks by a third when a member
# completed before its kill, and grows by half when a kill found no
# progress since the restart, so that most kills land within one pull, on
# ever fuller stores. A member is killed at most 25 times, then completes;
# a next one (if kills are missing) starts from nothing.
members=1 kills=0 since_verify=0 span=$((pull_ms / 3))
t0=$(now_ms)
while [ "$kills" -lt "$STOA_CRASH_KILLS" ]; do
	members=$((members + 1))
	B=$T/bo$members
	run_ok "$B" init --name "Bo$members" --join "$code"
	for k in $(seq 1 25); do
		[ "$kills" -lt "$STOA_CRASH_KILLS" ] || break
		before=$(db_entries "$B")
		start_serve "$B" --peer "$EPA"
		rand 0 "$span"
		delay=$R
		msleep "$delay"
		# what a reader sees is committed: it must survive the kill
		reported=$(db_entries "$B")
		stop_pid "$SERVE_PID" KILL
		[ "$STOP_RC" -eq 137 ] || fail "Bo$members: the daemon exited $STOP_RC before the kill"
		held=$(db_entries "$B")
		want=$(db_entries "$A")
		[ "$held" -ge "$reported" ] ||
			fail "Bo$members: a reader saw $reported entries before the kill, $held after"
		assert_eq ok "$(sql "$B/store.db" 'PRAGMA integrity_check')" \
			"Bo$members kill $k: integrity_check"
		if [ "$held" -ge "$want" ]; then
			echo "  Bo$members: complete before the kill at $delay ms"
			span=$((span * 2 / 3 + 10))
			break
		fi
		kills=$((kills + 1))
		since_verify=$((since_verify + 1))
		echo "  kill $kills: Bo$members at $delay ms of $span: $reported seen, $held held of $want"
		if [ "$held" -eq "$before" ] && [ "$span" -lt "$pull_ms" ]; then
			span=$((span * 3 / 2))
		fi
		if [ "$since_verify" -ge "$STOA_CRASH_VERIFY_EVERY" ] ||
			[ "$kills" -ge "$STOA_CRASH_KILLS" ]; then
			assert_sound "$B" "Bo$members after kill $kills"
			since_verify=0
		fi
	done
	complete "$B"
done
assert_sound "$B" "Bo$members, complete"
echo "  $kills kills mid-pull over $((members - 1)) members in $(($(now_ms) - t0)) ms"

# --- 2. posting ---------------------------------------------------------
step "kill -9 'stoa post' at random moments"
IDS=$T/ids
: >"$IDS"
t=$(now_ms)
for i in 1 2 3 4 5; do
	run_ok "$B" post --topic crash "timed post $i"
	printf '%s\n' "$OUT" >>"$IDS"
done
post_ms=$((($(now_ms) - t) / 5))
# kills drawn from [0, span]; span shrinks by a third whenever a post
# ended before its kill and grows by a quarter when a kill hit one, so
# it settles near a post's life and the kills spread over all of it
span=$post_ms
echo "  a post takes about $post_ms ms (as run here): kills drawn in [0, $span] ms at first"
pkills=0 rounds=0
while [ "$pkills" -lt "$STOA_CRASH_KILLS" ]; do
	rounds=$((rounds + 1))
	[ "$rounds" -le $((STOA_CRASH_KILLS * 5)) ] ||
		fail "only $pkills of $STOA_CRASH_KILLS kills hit a running post in $rounds rounds"
	bg_start "$T/post.out" "$STOA" --home "$B" post --topic crash "post $rounds"
	rand 0 "$span"
	msleep "$R"
	stop_pid "$BG_PID" KILL
	case $STOP_RC in
	0)
		OUT=$(<"$T/post.out")
		assert_id "$OUT"
		printf '%s\n' "$OUT" >>"$IDS"
		span=$((span * 2 / 3 + 1))
		;;
	137)
		pkills=$((pkills + 1))
		span=$((span * 5 / 4 + 1))
		;;
	*) fail "post $rounds exited $STOP_RC: $(cat "$T/post.out")" ;;
	esac
	[ "$STOP_RC" -eq 0 ] ||
		assert_eq ok "$(sql "$B/store.db" 'PRAGMA integrity_check')" \
			"post round $rounds: integrity_check"
done
echo "  $pkills posts killed, $(grep -c . "$IDS") reported stored, in $rounds rounds (span at the end $span ms)"
assert_ids_held "$B" "$IDS" "posts after kill -9"
run_ok "$B" post --topic crash "after the kills"
printf '%s\n' "$OUT" >>"$IDS"

# --- 3. convergence -----------------------------------------------------
step "the member's daemon restarts and converges with the peer"
start_serve "$B" --peer "$EPA"
BPID=$SERVE_PID
same_count() { [ "$(store_entries "$A")" = "$(store_entries "$B")" ]; }
wait_for "the member to converge with the peer" 120 same_count
assert_converged "$A" "$B" "after the kills"
assert_sound "$B" "after the kills"
assert_ids_held "$B" "$IDS" "after the kills"
assert_ids_held "$A" "$IDS" "the peer"
stop_pid "$BPID"
assert_eq 0 "$STOP_RC" "the member's daemon on SIGTERM"
pid_alive "$APID" || fail "the serving daemon died"
ok
