#!/usr/bin/env bash
# t20-hostile-floods: one member must not lock the others out. Mal
# (tests/tools/hostile_peer with Mal's keys) floods Ada's serving node:
# 64 and 500 connections that each send a PING before any HELLO and stay
# open, 500 connections each with a valid HELLO of Mal's key, 8
# connections that each ask 300 times for Ada's feed in full runs
# (MSG_RUN_BYTES) and never read the answers, HELLOs as fast as Ada
# answers them, and connections dialed with a wrong CURVE server key.
# While each attack runs, Bo's honest `stoa sync` with Ada completes
# within SYNC_MAX_MS; after it, Ada's daemon still runs, its peak RSS
# stayed under RSS_MAX_KB, it logged at most LOG_MAX_LINES for the
# attack, its store verifies clean, and Mal was refused (an ERROR for
# each connection beyond a few sessions; dropped, and told so, for the
# HELLO storm; dropped, as the log says, for the WANTs it never read; no
# handshake with a wrong key). Each attack meets a daemon of its own
# (its peak RSS is the attack's), on the same home.
#
# STOA_HOSTILE_REPORT=1 goes on past a failed bound (hostile.sh).
# shellcheck source=tests/integration/hostile.sh
. "$(dirname "$0")/hostile.sh"

RSS_MAX_KB=65536          # Ada's daemon, peak (VmHWM) during one attack
if [ "${STOA_SANITIZED:-0}" = 1 ]; then
	RSS_MAX_KB=$((RSS_MAX_KB * 4)) # ASan's shadow memory and quarantine
fi
SYNC_MAX_MS=2000          # Bo's `stoa sync` while the attack runs
LOG_MAX_LINES=20          # lines Ada's daemon logs for one attack
WRONGKEY_LOG_MAX_LINES=3  # ... for many handshakes that fail
SESSIONS_PER_MEMBER_MAX=8 # sessions one member key may hold at once
SLOTS_CONNS=500           # connections that never say HELLO, or all
                          # say it under one member key
WANT_CONNS=8              # connections that ask and never read
WANTS_PER_CONN=300
WANTFLOOD_HOLD_MS=8000    # how long those stay connected (>= 5 s)
BIG_POSTS=40              # Ada's feed: 1.2 MB of posts near
BIG_POST_BYTES=30000      # ENTRY_MAX_PAYLOAD, so every WANT from seq 1
                          # is answered with a full run (MSG_RUN_BYTES)

A=$T/ada   # the target, serving
B=$T/bo    # an honest member
M=$T/mal   # the member whose keys the hostile tool uses

step "one community: Ada with $BIG_POSTS posts of $BIG_POST_BYTES bytes, Bo, Mal"
run_ok "$A" init --name Ada --community "Hostile Floods"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$M" init --name Mal --join "$code"
run_ok "$A" whoami --json
key_a=$(json_field key)
run_ok "$B" whoami --json
key_b=$(json_field key)
"$PY" -S -c "import sys; sys.stdout.write('a study note, ' * ($BIG_POST_BYTES // 14))" >"$T/big"
for _ in $(seq "$BIG_POSTS"); do run_ok "$A" post - <"$T/big"; done

# flood NAME HOLD_MS [ARGS...]: a fresh daemon of Ada's meets the tool
# (ARGS: its options past --home and --endpoint), run in the background
# for HOLD_MS; once it is ready, Bo posts and syncs, timed. The tool
# then ends by itself or, with STOP_EARLY=1, is told to (SIGTERM) once
# Bo's sync is done. Leaves the tool's output in $T/NAME.out, Ada's log
# in $T/NAME.log and its daemon running (SERVE_PID, RSS_KB the peak,
# LOG_GROWN the lines since it listened).
flood() {
	local name=$1 hold=$2 log0
	shift 2
	SERVE_LOG=$T/$name.log start_serve "$A"
	log0=$(log_lines "$T/$name.log")
	hostile_bg "$T/$name.out" --home "$M" --endpoint "$ENDPOINT" \
		--wait "$hold" "$@"
	hostile_ready "$T/$name.out"
	run_ok "$B" post "Bo during $name"
	honest_sync "$B" "$ENDPOINT"
	measure "$name.honest_sync_ms" "$SYNC_MS"
	check "$name: Bo's sync during the attack exits $RC: $ERR" [ "$RC" -eq 0 ]
	bound "$name: Bo's sync during the attack, ms" "$SYNC_MS" "$SYNC_MAX_MS"
	pid_alive "$HOSTILE_PID" ||
		fail "$name: the attack was over before Bo's sync was: hold it longer"
	if [ "${STOP_EARLY:-0}" = 1 ]; then
		stop_pid "$HOSTILE_PID" TERM
	else
		wait_pid "$HOSTILE_PID" $((hold / 1000 + 60))
	fi
	assert_eq 0 "$STOP_RC" "$name: hostile_peer's exit status"
	pid_alive "$SERVE_PID" || fail "$name: Ada's daemon died"
	RSS_KB=$(peak_rss_kb "$SERVE_PID")
	LOG_GROWN=$(($(log_lines "$T/$name.log") - log0))
	measure "$name.peak_rss_kb" "$RSS_KB"
	measure "$name.log_lines" "$LOG_GROWN"
	measure "$name.tool" "$(tail -n 1 "$T/$name.out")"
	bound "$name: Ada's peak RSS, kB" "$RSS_KB" "$RSS_MAX_KB"
}

# refused NAME: every connection of the tool that got no session got an
# ERROR back (its HELLOs back are its sessions).
refused() {
	local conns errors hellos
	conns=$(summary_of "$T/$1.out" conns)
	errors=$(summary_of "$T/$1.out" errors)
	hellos=$(summary_of "$T/$1.out" hellos)
	measure "$1.refused" "$errors/$conns"
	measure "$1.sessions" "$hellos"
	bound "$1: sessions Mal held" "$hellos" "$SESSIONS_PER_MEMBER_MAX"
	bound "$1: connections neither in session nor refused" \
		"$((conns - hellos - errors))" 0
}

# flood_end NAME: Ada's store is whole and holds Bo's post; the daemon
# stops cleanly.
flood_end() {
	store_intact "$A" "$1"
	check "$1: Ada lacks Bo's post" \
		[ "$(head_of "$B" "$key_b")" = "$(head_of "$A" "$key_b")" ]
	stop_pid "$SERVE_PID"
	assert_eq 0 "$STOP_RC" "$1: Ada's daemon on SIGTERM"
}

if wanted slots64; then
	step "slots: 64 connections, each a PING before any HELLO, held open"
	STOP_EARLY=1 flood slots64 30000 --mode slots --conns 64
	bound "slots64: lines Ada logged" "$LOG_GROWN" "$LOG_MAX_LINES"
	refused slots64
	flood_end slots64
fi

if wanted slots; then
	step "slots: $SLOTS_CONNS connections, each a PING before any HELLO, held open"
	STOP_EARLY=1 flood slots 30000 --mode slots --conns "$SLOTS_CONNS"
	bound "slots: lines Ada logged" "$LOG_GROWN" "$LOG_MAX_LINES"
	refused slots
	flood_end slots
fi

if wanted slots-hello; then
	step "slots-hello: $SLOTS_CONNS connections, each a valid HELLO of Mal's key"
	STOP_EARLY=1 flood slots-hello 30000 --mode slots-hello --conns "$SLOTS_CONNS"
	bound "slots-hello: lines Ada logged" "$LOG_GROWN" "$LOG_MAX_LINES"
	refused slots-hello
	flood_end slots-hello
fi

if wanted wantflood; then
	step "wantflood: $WANT_CONNS connections x $WANTS_PER_CONN WANTs of Ada's feed, never read"
	flood wantflood "$WANTFLOOD_HOLD_MS" --mode wantflood --conns "$WANT_CONNS" \
		--count "$WANTS_PER_CONN" --author "$key_a"
	bound "wantflood: lines Ada logged" "$LOG_GROWN" "$LOG_MAX_LINES"
	# it never reads: the log alone can say it was dropped (at the end
	# of the daemon's log window, if it was busy)
	check "wantflood: Ada did not log dropping Mal" \
		within 15 logged_drop "$T/wantflood.log"
	flood_end wantflood
fi

if wanted hellostorm; then
	step "hellostorm: HELLOs on one connection as fast as Ada answers, 5 s"
	flood hellostorm 5000 --mode hellostorm
	measure hellostorm.hellos_sent "$(summary_of "$T/hellostorm.out" sent)"
	bound "hellostorm: lines Ada logged" "$LOG_GROWN" "$LOG_MAX_LINES"
	measure hellostorm.dropped "$(summary_of "$T/hellostorm.out" dropped)"
	check "hellostorm: Ada did not log dropping Mal" \
		within 15 logged_drop "$T/hellostorm.log"
	check "hellostorm: Mal was not told it is dropped: $(tail -n 2 "$T/hellostorm.out")" \
		[ "$(summary_of "$T/hellostorm.out" dropped)" -ge 1 ]
	flood_end hellostorm
fi

if wanted wrongkey; then
	step "wrongkey: 10 connections with a wrong CURVE server key, 5 s"
	flood wrongkey 5000 --mode wrongkey --conns 10
	ok_hs=$(summary_of "$T/wrongkey.out" ok)
	tries=$(($(summary_of "$T/wrongkey.out" failed) + $(summary_of "$T/wrongkey.out" closed)))
	measure wrongkey.handshakes_tried "$tries"
	assert_eq 0 "$ok_hs" "wrongkey: handshakes that succeeded"
	assert_eq 0 "$(summary_of "$T/wrongkey.out" frames)" "wrongkey: frames from Ada"
	[ "$tries" -ge 10 ] || fail "wrongkey: only $tries handshakes were tried"
	bound "wrongkey: lines Ada logged for $tries failed handshakes" "$LOG_GROWN" \
		"$WRONGKEY_LOG_MAX_LINES"
	flood_end wrongkey
fi
finish
