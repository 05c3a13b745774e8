# shellcheck shell=bash
# hostile.sh: what the tests of hostile members (t19, t20) share, on top
# of lib.sh, which it sources. Sourced by those tests; each names its own
# bounds at its top.
#
#   hostile ARGS...           runs tests/tools/hostile_peer in the
#                             foreground, stdout to $T/hostile.out; fails
#                             the test if it fails
#   hostile_bg OUT ARGS...    the same in the background (stdout to OUT);
#                             HOSTILE_PID is its PID (cleanup stops it)
#   hostile_ready OUT         waits (deadline) for its "ready:" line
#   summary_of OUT KEY        KEY's number on its "summary:" line
#   errors_of OUT             its "error: " lines
#   has_error OUT             it has one
#   peak_rss_kb PID           VmHWM of a running process, in kB
#   store_bytes HOME          store.db plus store.db-wal, in bytes
#   null_payloads HOME        entries held without a payload
#   fork_dupes HOME           (author, seq) with more than one fork proof
#   forks_of HOME KEY         fork proofs of KEY's feed
#   rows_of HOME KEY          entries of KEY's feed held
#   head_of HOME KEY          the highest seq of KEY's feed held (0: none)
#   log_lines FILE            lines of a daemon's log
#   logged_drop FILE [FROM]   it says a peer was dropped (or counts it)
#   honest_sync HOME EP       `stoa sync EP --json` timed: RC, SYNC_MS
#   store_intact HOME WHAT [forks]  verify clean (with "forks": its only
#                             problems are fork proofs), no entry without
#                             its payload, one fork proof per (author, seq)
#
# Checks that a fixed node must pass go through check/bound (within and
# matches help): by default
# the first one that fails ends the test like fail. With
# STOA_HOSTILE_REPORT=1 each failure is printed ("  FAILS: ...") and the
# test goes on to the end (then exits 1): one run shows every bound a
# build misses. `measure` prints the figures behind them ("  measured:
# KEY=VALUE"), for docs/hardening.md.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${HOSTILE:-}" ]; then
	HOSTILE=$(dirname "$STOA")/tests/hostile_peer
fi
if [ ! -x "$HOSTILE" ]; then
	skip "no hostile_peer tool at '$HOSTILE' (set HOSTILE)"
fi
if ! have_sqlite3; then
	skip "the sqlite3 CLI is needed"
fi

SOFT_FAILS=0

# soft_fail MESSAGE: fail, or in report mode count it and go on.
soft_fail() {
	if [ "${STOA_HOSTILE_REPORT:-0}" = 1 ]; then
		echo "  FAILS: $*"
		SOFT_FAILS=$((SOFT_FAILS + 1))
		return 0
	fi
	fail "$@"
}

# check WHAT CMD...: CMD (a test that only returns) must succeed.
check() {
	local what=$1
	shift
	"$@" || soft_fail "$what"
}

# bound WHAT VALUE MAX: VALUE (an integer) must be at most MAX.
bound() {
	[ "$2" -le "$3" ] || soft_fail "$1: $2, bound $3"
}

# within SECONDS CMD...: polls CMD every 50 ms until it succeeds (0), or
# returns 1 once SECONDS have passed: wait_for for a check that reports.
within() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# has_error FILE: the tool's output FILE holds an "error: " line.
has_error() {
	grep -E '^error: ' "$1" >/dev/null
}

# matches STRING ERE: for check.
matches() {
	[[ $1 =~ $2 ]]
}

# wanted NAME: the attack NAME is to run: STOA_HOSTILE_ONLY is unset or
# names it (a space-separated list), to run one attack of t20 alone.
wanted() {
	[ -z "${STOA_HOSTILE_ONLY:-}" ] || [[ " $STOA_HOSTILE_ONLY " == *" $1 "* ]]
}

# logged_drop LOG [FROM]: the daemon's LOG, from line FROM on, says it
# dropped a peer, or counts the peers' problems it did not show one by
# one (it logs them at a bounded rate: the drop may be among those).
logged_drop() {
	awk -v from="${2:-1}" 'NR >= from && tolower($0) ~ /dropping peer|not shown one by one/ { found = 1 }
		END { exit !found }' "$1"
}

measure() {
	echo "  measured: $1=$2"
}

# finish: the end of a test that used check/bound.
finish() {
	[ "$SOFT_FAILS" -eq 0 ] || fail "$SOFT_FAILS checks failed (report mode)"
	ok
}

hostile() {
	"$HOSTILE" "$@" >"$T/hostile.out" 2>"$T/hostile.err" ||
		fail "hostile_peer $* failed: $(cat "$T/hostile.err")"
}

# shellcheck disable=SC2034 # HOSTILE_PID is read by the tests
hostile_bg() {
	local out=$1
	shift
	bg_start "$out" "$HOSTILE" "$@"
	HOSTILE_PID=$BG_PID
}

said_ready() {
	grep -E '^ready: ' "$1" >/dev/null
}

hostile_ready() {
	wait_for "hostile_peer to be ready ($1)" 60 said_ready "$1"
}

summary_of() {
	local n
	n=$(sed -n "s/^summary: .* $2=\([0-9]*\).*/\1/p" "$1")
	[ -n "$n" ] || fail "no $2 on the summary line of $1: $(tail -n 3 "$1")"
	printf '%s\n' "$n"
}

errors_of() {
	grep '^error: ' "$1" || true
}

peak_rss_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

store_bytes() {
	local n=0 f
	for f in "$1/store.db" "$1/store.db-wal"; do
		[ -e "$f" ] && n=$((n + $(stat -c %s "$f")))
	done
	printf '%s\n' "$n"
}

null_payloads() {
	sql -readonly "$1/store.db" \
		'SELECT count(*) FROM entries WHERE payload IS NULL' ||
		fail "cannot read the entries of $1"
}

fork_dupes() {
	sql -readonly "$1/store.db" 'SELECT count(*) FROM (SELECT 1 FROM forks
	  GROUP BY author, seq HAVING count(*) > 1)' ||
		fail "cannot read the forks of $1"
}

forks_of() {
	sql -readonly "$1/store.db" \
		"SELECT count(*) FROM forks WHERE author = x'$2'" ||
		fail "cannot read the forks of $1"
}

rows_of() {
	sql -readonly "$1/store.db" \
		"SELECT count(*) FROM entries WHERE author = x'$2'" ||
		fail "cannot read the entries of $1"
}

head_of() {
	sql -readonly "$1/store.db" \
		"SELECT coalesce(max(seq), 0) FROM entries WHERE author = x'$2'" ||
		fail "cannot read the entries of $1"
}

log_lines() {
	if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# shellcheck disable=SC2034 # SYNC_MS is read by the tests
honest_sync() {
	local t0
	t0=$(now_ms)
	stoa_run "$1" sync "$2" --json --timeout 20
	SYNC_MS=$(($(now_ms) - t0))
}

# only_fork_problems: verify's report in $OUT names problems ("xxxxxxxx
# seq N: ...") and every one is a fork.
only_fork_problems() {
	local line n=0
	while IFS= read -r line; do
		[[ $line =~ ^[0-9a-f]{8}\ seq\ [0-9]+:\  ]] || continue
		[[ $line == *fork* ]] || return 1
		n=$((n + 1))
	done <<<"$OUT"
	[ "$n" -gt 0 ]
}

store_intact() {
	local home=$1 what=$2 forks=${3:-}
	stoa_run "$home" verify
	if [ "$forks" = forks ] && [ "$RC" -eq 1 ]; then
		only_fork_problems ||
			soft_fail "$what: verify finds more than forks: $OUT"
	else
		[ "$RC" -eq 0 ] || soft_fail "$what: verify exits $RC: $OUT"
	fi
	bound "$what: entries without their payload" "$(null_payloads "$home")" 0
	bound "$what: (author, seq) with two fork proofs or more" \
		"$(fork_dupes "$home")" 0
}
