# poll.sh: the time and polling helpers every test script shares, with no
# setup of its own; sourced by tests/integration/lib.sh and
# tests/netns/lib.sh (either or both). wait_for calls the sourcing
# library's fail.

# now_ms: milliseconds on the wall clock, for deadlines.
now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		echo $((t / 1000))
	else
		date +%s%3N
	fi
}

# pid_alive PID: 0 if PID exists and is not a zombie.
pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_for DESC SECONDS CMD...: runs CMD every 50 ms until it succeeds;
# fails the test with DESC when SECONDS have passed. CMD must only test
# (return non-zero), never call fail.
wait_for() {
	local desc=$1 secs=$2 deadline
	shift 2
	deadline=$(($(now_ms) + secs * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "timed out after $secs s waiting for $desc"
		sleep 0.05
	done
}
