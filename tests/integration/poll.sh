# poll.sh: the time, polling, skipping and failure-marking helpers every
# test script shares, with no setup of its own; sourced by
# tests/integration/lib.sh and tests/netns/lib.sh (either or both), which
# set TEST_NAME first. wait_for and fail_check call the sourcing library's
# fail.

# skip WHY: the test cannot run here: "SKIP: TEST: WHY" on stderr and exit
# 77, which CTest counts as skipped (SKIP_RETURN_CODE), not failed. Where
# every test must run (STOA_NO_SKIP=1, set by .ci/run: root, on a machine
# that can make namespaces and mount a tmpfs), a skip is a failure:
# "FAIL: TEST: cannot run here: WHY" and exit 1.
skip() {
	if [ "${STOA_NO_SKIP:-0}" = 1 ]; then
		echo "FAIL: $TEST_NAME: cannot run here (STOA_NO_SKIP=1): $*" >&2
		exit 1
	fi
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

# fail_mark MESSAGE: what fail does first. In a subshell (a helper inside
# $(...), a pipeline) `exit 1` ends only that subshell, and
# `assert_eq "$(view_digest A)" "$(view_digest B)"` would compare two
# empty strings; so there it also appends MESSAGE to the file $FAIL_MARK
# (set by the sourcing library), which fail_check reads.
fail_mark() {
	if [ "$BASHPID" != "$$" ] && [ -n "${FAIL_MARK:-}" ]; then
		printf '%s\n' "$*" >>"$FAIL_MARK" 2>/dev/null || true
	fi
}

# fail_check: fails the test if a subshell failed (fail_mark). Called by
# the asserts, step, ok, wait_for and the EXIT trap.
fail_check() {
	local first
	if [ -n "${FAIL_MARK:-}" ] && [ -s "$FAIL_MARK" ] && [ "$BASHPID" = "$$" ]; then
		IFS= read -r first <"$FAIL_MARK" || true
		: >"$FAIL_MARK"
		fail "failed in a subshell (\$(...) or a pipeline): $first"
	fi
}

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
# (return non-zero), never call fail (a helper that fails in a $(...)
# of CMD fails the test at once: fail_check).
wait_for() {
	local desc=$1 secs=$2 deadline
	shift 2
	deadline=$(($(now_ms) + secs * 1000))
	until "$@"; do
		fail_check
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "timed out after $secs s waiting for $desc"
		sleep 0.05
	done
}
