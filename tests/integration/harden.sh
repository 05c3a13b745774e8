# shellcheck shell=bash
# harden.sh: what the hardening tests (t30-t33, CTest label "hardening")
# share, on top of lib.sh, which it sources. Sourced by those tests.
#
#   knob NAME DEFAULT         sets NAME to $NAME from the environment (a
#                             positive integer) or DEFAULT: the sizes that
#                             make a longer run one variable away
#                             (docs/hardening.md lists them)
#   harden_seed               seeds bash's RANDOM from $STOA_HARDEN_SEED
#                             or a new seed, and prints it
#   rand LO HI                sets R to a random integer in [LO, HI]
#   msleep MS                 sleeps MS milliseconds (a kill point; never
#                             used to wait for readiness)
#   need_bench, need_sqlite3  skip (77) without the tool
#   make_bench DIR N          a home DIR/home of N entries (community
#                             "bench") made by the bench tool
#   db_entries HOME           entries in HOME's store, straight from SQLite
#   assert_sound HOME WHAT    PRAGMA integrity_check is ok and `stoa
#                             verify` is clean
#   assert_ids_held HOME FILE WHAT  every id in FILE (one a line) is in
#                             HOME's store, and none is there twice
#   assert_converged A B WHAT same entry count and view digest
#   peak_rss_kb PID           VmHWM of a running process, in kB
#
# The homes live on a tmpfs (/dev/shm, when it is there with 1 GB free)
# unless STOA_HARDEN_TMPDIR names another directory: a kill -9 is not a
# power loss (the page cache outlives the process), locks and memory do
# not depend on the disk, and a slow disk's fsync (30-40 ms a commit on
# the VM these tests were written on) would otherwise be most of their
# time. STOA_HARDEN_TMPDIR=/tmp runs them on the disk.
if [ -n "${STOA_HARDEN_TMPDIR:-}" ]; then
	export TMPDIR=$STOA_HARDEN_TMPDIR
elif [ -d /dev/shm ] && [ -w /dev/shm ] &&
	[ "$(df --output=avail -k /dev/shm 2>/dev/null | tail -n 1)" -ge 1048576 ] 2>/dev/null; then
	export TMPDIR=/dev/shm
fi
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

knob() {
	local v=${!1:-$2}
	case $v in
	'' | *[!0-9]*) fail "$1 must be a positive integer, got '$v'" ;;
	esac
	[ "$v" -gt 0 ] || fail "$1 must be a positive integer, got '$v'"
	printf -v "$1" '%s' "$v"
}

harden_seed() {
	SEED=${STOA_HARDEN_SEED:-$((($(now_ms) * 7919 + $$) % 1000000))}
	RANDOM=$SEED
	echo "  seed $SEED (STOA_HARDEN_SEED=$SEED draws the same points)"
}

# Sets R, not printed: $(rand) would draw in a subshell and leave the
# parent's sequence where it was.
# shellcheck disable=SC2034 # R is read by the tests
rand() {
	R=$(($1 + RANDOM % ($2 - $1 + 1)))
}

# A pipe nobody writes to: `read -t` on it sleeps without starting a
# process (a `sleep` would take a few ms to start, longer than a post's
# life on a busy machine).
exec {SLEEP_FD}<> <(:)
msleep() {
	local s
	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$s" -u "$SLEEP_FD" _ || true
}

need_bench() {
	if [ -z "${BENCH_STORE:-}" ]; then
		BENCH_STORE=$(dirname "$STOA")/tests/bench_store
	fi
	[ -x "$BENCH_STORE" ] ||
		skip "no bench_store at '$BENCH_STORE' (set BENCH_STORE)"
}

need_sqlite3() {
	have_sqlite3 || skip "the sqlite3 CLI is needed"
}

make_bench() {
	mkdir -p "$1"
	"$BENCH_STORE" --entries "$2" --ingest 0 --keep --dir "$1" \
		>"$1.out" 2>&1 ||
		fail "bench_store failed: $(tail -n 3 "$1.out")"
}

db_entries() {
	sql -readonly "$1/store.db" 'SELECT count(*) FROM entries' ||
		fail "cannot count the entries of $1"
}

assert_sound() {
	assert_eq ok "$(sql "$1/store.db" 'PRAGMA integrity_check')" \
		"$2: PRAGMA integrity_check"
	run_ok "$1" verify
	assert_match "$OUT" '^verified [0-9]+ entries: ok$' "$2: stoa verify"
}

assert_ids_held() {
	local n dups list
	n=$(grep -c . "$2" || true)
	[ "$n" -gt 0 ] || return 0
	dups=$(sort "$2" | uniq -d | sed -n 1,3p)
	[ -z "$dups" ] || fail "$3: an id was reported twice: $dups"
	grep -Evq '^[0-9a-f]{64}$' "$2" && fail "$3: a reported id is not 64 hex digits"
	list=$(sed "s/.*/x'&'/" "$2" | paste -sd, -)
	assert_eq "$n" "$(sql -readonly "$1/store.db" \
		"SELECT count(*) FROM entries WHERE id IN ($list)")" \
		"$3: reported ids held"
}

assert_converged() {
	assert_eq "$(store_entries "$1")" "$(store_entries "$2")" "$3: entries"
	assert_eq "$(view_digest "$1")" "$(view_digest "$2")" "$3: view digest"
}

peak_rss_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}
