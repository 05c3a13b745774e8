# lib.sh: what every integration test shares. Sourced by tests/integration/tNN-*.sh.
#
# It runs the real `stoa` binary ($STOA, set by CTest; else build/stoa under
# $STOA_SRC or the source dir) in homes under one per-test temp dir, which the
# EXIT trap removes: the test never touches the user's own home (HOME,
# STOA_HOME and XDG_DATA_HOME are pointed into the temp dir or unset).
#   run_ok DIR ARGS...        stoa --home DIR ARGS, must exit 0
#   run_fail CODE DIR ARGS... must exit CODE, print nothing on stdout and
#                             an error on stderr: exactly one "stoa: " line
#                             for exit 1; for exit 2 the first line is
#                             "stoa: ..." and any further line the usage
#   run_fail_report CODE DIR ARGS...  the same, but stdout may hold a report
#   DIR "" runs without --home. Both leave $OUT, $ERR, $RC and the files
#   $T/out, $T/err; stdin is passed through (run_ok "$A" post - <file).
#
# Daemons and other background processes (replication tests):
#   start_serve HOME [ARGS...]  `stoa --home HOME serve --listen
#                             tcp://127.0.0.1:0 ARGS` in the background,
#                             stderr appended to HOME.log (or $SERVE_LOG);
#                             waits (deadline)
#                             for HOME/serve.endpoint, then sets ENDPOINT
#                             and SERVE_PID
#   bg_start LOG CMD...       any command in the background (stdout and
#                             stderr to LOG); sets BG_PID
#   stop_pid PID [SIGNAL]     signals PID (default TERM), waits for it
#                             (deadline, then KILL) and sets STOP_RC
#   wait_pid PID [SECONDS]    waits for PID to exit by itself; STOP_RC
#   pid_alive PID             whether PID runs (not gone, not a zombie)
#   wait_for DESC SECONDS CMD...  polls CMD until it succeeds, or fails
#                             the test with DESC after SECONDS
#   count_posts HOME          lines of feed --json --limit 100000
#   store_entries HOME        entries in HOME's store (status --json)
#   view_digest HOME          the digest of the `view <hex>` line of verify
# The EXIT trap stops every PID these started (TERM, then KILL after a
# deadline, then wait), then runs the test's function test_teardown if it
# defines one (to unmount), before it removes the temp dir; it never
# touches a process the test did not start.
#
# Each test prints what it checks with `step` and ends with `ok`.
#
# fail inside a subshell (a helper in `$(...)`, a pipeline) cannot end the
# test by itself: it leaves its message in $FAIL_MARK, and the next
# assert, step, wait_for or ok, or else the EXIT trap, fails the test with
# it (poll.sh: fail_mark, fail_check). So `assert_eq "$(view_digest A)"
# "$(view_digest B)"` fails when either verify does, not compares two
# empty strings. A test that cannot run here calls `skip WHY` (poll.sh):
# exit 77, or a failure under STOA_NO_SKIP=1 (CI).
set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
# now_ms, pid_alive, wait_for, skip, fail_mark, fail_check
# shellcheck source=tests/integration/poll.sh
. "$(dirname "${BASH_SOURCE[0]}")/poll.sh"

STOA_SRC=${STOA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${STOA:-}" ]; then
	STOA=$STOA_SRC/build/stoa
fi
[ -x "$STOA" ] || skip "no stoa binary at '$STOA' (set STOA)"
# The interpreter itself, not a version-manager shim (pyenv's costs ~0.4 s a
# start, and the tests start python often).
if [ -x /usr/bin/python3 ]; then
	PY=/usr/bin/python3
else
	PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
fi
[ -n "$PY" ] || skip "python3 is needed to read --json output"

T=$(mktemp -d "${TMPDIR:-/tmp}/stoa-$TEST_NAME.XXXXXX")
# where a fail inside a subshell leaves its message (poll.sh, fail_mark)
FAIL_MARK=$T/.failed
# PIDs of the background processes this test started and has not yet
# waited for (start_serve, bg_start): the only ones cleanup signals.
STOA_PIDS=()
cleanup() {
	local rc=$? pid
	set +e
	# a fail inside a $(...) that nothing checked after it
	if [ "$rc" -eq 0 ] && [ -s "$FAIL_MARK" ]; then
		echo "FAIL: $TEST_NAME: failed in a subshell (\$(...) or a pipeline): $(head -n 1 "$FAIL_MARK")" >&2
		rc=1
	fi
	# Only what this test started: TERM, a deadline, KILL, then wait.
	for pid in "${STOA_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${STOA_PIDS[@]}"; do
		stop_pid "$pid" TERM 2>/dev/null
	done
	# A test's own teardown (a mount), once its processes are gone.
	if [ "$(type -t test_teardown)" = function ]; then
		test_teardown
	fi
	# On failure, the daemons' logs say what they saw.
	if [ "$rc" -ne 0 ]; then
		local log
		while IFS= read -r log; do
			[ -s "$log" ] || continue
			echo "--- ${log#"$T"/} (last 20 lines):" >&2
			tail -n 20 "$log" | cat -v >&2
		done < <(find "$T" -maxdepth 2 -name '*.log' 2>/dev/null | sort)
	fi
	# Only what this test made: its own temp dir (made writable first, in
	# case a test took permissions away).
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

# Keep the user's real homes out of reach; tests that want the defaults set
# these explicitly.
export HOME="$T/user"
mkdir -p "$HOME"
unset STOA_HOME XDG_DATA_HOME
export LC_ALL=C
export TZ=UTC

# shellcheck disable=SC2034 # read by the tests that source this file
OUT="" ERR="" RC=0

fail() {
	fail_mark "$*"
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -s "$T/out" ] || [ -s "$T/err" ]; then
		# through cat -v: what failed may be a control character
		echo "--- last command (exit $RC) stdout:" >&2
		head -c 2000 "$T/out" | cat -v >&2 || true
		echo "--- stderr:" >&2
		head -c 2000 "$T/err" | cat -v >&2 || true
	fi
	exit 1
}

step() {
	fail_check
	echo "- $*"
}

ok() {
	fail_check
	echo "ok"
}

# stoa_run DIR ARGS...: runs stoa, records output and status, never fails.
stoa_run() {
	local dir=$1
	shift
	: >"$T/out"
	: >"$T/err"
	set +e
	if [ -n "$dir" ]; then
		"$STOA" --home "$dir" "$@" >"$T/out" 2>"$T/err"
	else
		"$STOA" "$@" >"$T/out" 2>"$T/err"
	fi
	RC=$?
	set -e
	OUT=$(<"$T/out")
	# shellcheck disable=SC2034 # read by the tests
	ERR=$(<"$T/err")
}

run_ok() {
	stoa_run "$@"
	[ "$RC" -eq 0 ] || fail "'stoa $*' exited $RC, expected 0"
}

run_fail() {
	local code=$1
	shift
	stoa_run "$@"
	[ "$RC" -eq "$code" ] || fail "'stoa $*' exited $RC, expected $code"
	[ ! -s "$T/out" ] || fail "'stoa $*' failed but printed on stdout"
	check_error_lines "$code" "stoa $*"
}

# run_fail_report CODE DIR ARGS...: as run_fail, for a command that reports
# on stdout before it fails (verify prints the problems it found).
run_fail_report() {
	local code=$1
	shift
	stoa_run "$@"
	[ "$RC" -eq "$code" ] || fail "'stoa $*' exited $RC, expected $code"
	check_error_lines "$code" "stoa $*"
}

# The stderr of a failed command: "stoa: <message>" on one line; a usage
# error (exit 2) may follow it with the usage ("usage: ..."/"   or: ...").
check_error_lines() {
	local code=$1 what=$2 first line
	local -a lines
	mapfile -t lines <"$T/err"
	[ "${#lines[@]}" -ge 1 ] || fail "$what: nothing on stderr"
	first=${lines[0]}
	case $first in
	"stoa: "?*) ;;
	*) fail "$what: stderr does not start with 'stoa: ': '$first'" ;;
	esac
	if [ "$code" -eq 1 ]; then
		[ "${#lines[@]}" -eq 1 ] ||
			fail "$what: expected one error line, got ${#lines[@]}"
	else
		for line in "${lines[@]:1}"; do
			case $line in
			"usage: "* | "   or: "*) ;;
			*) fail "$what: lines after the error are not the usage" ;;
			esac
		done
	fi
	# Lowercase message, no period at the end (STYLE §3).
	case ${first#stoa: } in
	[A-Z]*) fail "$what: error message starts with a capital: '$first'" ;;
	esac
	case $first in
	*.) fail "$what: error message ends with a period: '$first'" ;;
	esac
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
	fail_check
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	fail_check
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2'" ;;
	esac
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
	fail_check
	case $1 in
	*"$2"*) fail "${3:-output} contains '$2'" ;;
	*) ;;
	esac
}

# matches_line STRING ERE: a line of STRING matches ERE, as `grep -E`
# would say. Never a pipe from printf into a quiet grep: under pipefail
# that fails when grep exits before printf has written all (SIGPIPE,
# about 1 in 3,000).
matches_line() {
	local line
	while IFS= read -r line; do
		[[ $line =~ $2 ]] && return 0
	done <<<"$1"
	return 1
}

# log_has FILE ERE [FROM]: a line of FILE, from line FROM (default 1) on,
# matches ERE (grep -E; no pipe, see matches_line). -a: a log holding a
# byte grep takes for binary is still read line by line.
log_has() {
	local hits n _
	hits=$(grep -anE -- "$2" "$1" 2>/dev/null) || return 1
	while IFS=: read -r n _; do
		[ "$n" -ge "${3:-1}" ] && return 0
	done <<<"$hits"
	return 1
}

assert_match() { # STRING ERE [WHAT]: a line of STRING matches ERE
	fail_check
	matches_line "$1" "$2" || fail "${3:-output} '$1' does not match /$2/"
}

assert_id() { # STRING: a full entry id, alone
	assert_match "$1" '^[0-9a-f]{64}$' "entry id"
}

# json_field FIELD [TEXT]: the field of each JSON line of TEXT (default
# $OUT), one per line; strings raw, other values as JSON, a missing field
# as the empty line. Fails on a line that is not one JSON object.
json_field() {
	"$PY" -S -c '
import json, sys
field = sys.argv[1]
for n, line in enumerate(sys.stdin.read().splitlines(), 1):
    if not line:
        continue
    try:
        row = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON: %s" % (n, e))
    if not isinstance(row, dict):
        sys.exit("line %d is not a JSON object" % n)
    v = row.get(field)
    if v is None:
        print("")
    elif isinstance(v, str):
        print(v)
    else:
        print(json.dumps(v))
' "$1" <<<"${2-$OUT}" || fail "cannot read field '$1' from the JSON output"
}

# json_check EXPR [WHAT]: EXPR, a python expression over `rows` (the JSON
# objects of $OUT, one a line), must be true.
json_check() {
	fail_check
	"$PY" -S -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin.read().splitlines() if l]
assert all(isinstance(r, dict) for r in rows), "not one object a line"
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$1" <<<"$OUT" || fail "${2:-JSON check} failed: $1"
}

# json_lines: number of non-empty lines of $OUT.
json_lines() {
	printf '%s' "$OUT" | grep -c . || true
}

# assert_clean_text FILE WHAT [bidi]: FILE is valid UTF-8 (a raw 0x9b is
# an 8-bit CSI to some terminals) with no ESC, BEL, CR, other C0 (but
# newline), DEL, C1 or bidi controls anywhere. With a third argument
# "bidi", only the bidi controls are checked.
assert_clean_text() {
	"$PY" -S - "$1" "${3:-all}" <<'EOF' || fail "$2: output holds control characters"
import sys
data = open(sys.argv[1], "rb").read()
bad = []
if sys.argv[2] != "bidi":
    for i, b in enumerate(data):
        if (b < 0x20 and b != 0x0a) or b == 0x7f:
            bad.append("0x%02x at byte %d" % (b, i))
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as ex:
    if sys.argv[2] != "bidi":
        bad.append("invalid UTF-8 at byte %d" % ex.start)
    text = data.decode("utf-8", errors="replace")
for i, ch in enumerate(text):
    cp = ord(ch)
    if sys.argv[2] != "bidi" and 0x80 <= cp <= 0x9f:
        bad.append("U+%04X at char %d" % (cp, i))
    if cp in (0x200e, 0x200f, 0x061c) or 0x202a <= cp <= 0x202e or \
       0x2066 <= cp <= 0x2069:
        bad.append("U+%04X at char %d" % (cp, i))
if bad:
    sys.stderr.write("control characters: " + ", ".join(bad[:10]) + "\n")
    sys.exit(1)
EOF
}

# new_home NAME COMMUNITY: inits a home $T/NAME, the founder (and so a
# facilitator) of a new community, and prints its dir.
new_home() {
	local dir="$T/$1"
	stoa_run "$dir" init --name "$1" --community "$2"
	[ "$RC" -eq 0 ] || fail "init of '$dir' exited $RC"
	printf '%s\n' "$dir"
}

# have_sqlite3: whether the sqlite3 CLI is there (for tampering tests).
have_sqlite3() {
	command -v sqlite3 >/dev/null 2>&1
}

# sql ARGS...: the sqlite3 CLI with a busy timeout. Without one, a read
# that meets a writer's brief exclusive moments (WAL recovery when a
# process opens the store, a checkpoint resetting the log) fails at once
# with "database is locked": one such poll under `set -e` ended t15 with
# no message.
sql() {
	sqlite3 -cmd '.timeout 10000' "$@"
}

# make_schema1 DB: turns a store into the layout of schema 1 (an older
# stoa's: the id in a UNIQUE blob index, no idk column, an FTS5 index with
# positions; docs/formats.md, "Upgrading a version 1 store"), holding the
# same entries, for the tests of the upgrade. It keeps the -wal and -shm
# files as stoa does, so the store still opens on a full disk.
make_schema1() {
	sql "$1" <<'EOF' || fail "cannot turn $1 into schema 1"
.bail on
BEGIN;
CREATE TABLE old(n INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,
  author BLOB NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,
  ts INTEGER NOT NULL, signed BLOB NOT NULL, payload BLOB,
  opaque INTEGER NOT NULL, UNIQUE(author, seq));
INSERT INTO old SELECT n, id, author, seq, kind, ts, signed, payload, opaque
  FROM entries;
DROP TABLE entries;
ALTER TABLE old RENAME TO entries;
DROP TABLE posts_fts;
CREATE VIRTUAL TABLE posts_fts USING fts5(title, body, topic,
  content='posts', content_rowid='entry', columnsize=0);
INSERT INTO posts_fts(posts_fts) VALUES ('rebuild');
UPDATE meta SET value = 1 WHERE key = 'schema';
COMMIT;
.filectrl persist_wal 1
EOF
}

# copy_entries FROM TO: hand-carries FROM's stored entries into TO's store
# with no network and no daemon, then reindexes TO so its view holds them.
# Needs the sqlite3 CLI. The entries keep their signatures: `stoa verify`
# in TO still checks every one. idk is the id's first 4 bytes as an
# integer (docs/formats.md), computed from the hex digits: instr() gives
# each digit's value.
copy_entries() {
	_d="instr('123456789ABCDEF', substr(hex(id)"
	sql "$2/store.db" <<EOF || fail "cannot copy entries from $1 to $2"
.bail on
ATTACH '$1/store.db' AS src;
BEGIN;
INSERT OR IGNORE INTO entries(id, author, seq, kind, ts, signed, payload, opaque, idk)
  SELECT id, author, seq, kind, ts, signed, payload, opaque,
    $_d, 1, 1)) * 268435456 + $_d, 2, 1)) * 16777216 +
    $_d, 3, 1)) * 1048576 + $_d, 4, 1)) * 65536 +
    $_d, 5, 1)) * 4096 + $_d, 6, 1)) * 256 +
    $_d, 7, 1)) * 16 + $_d, 8, 1))
  FROM src.entries ORDER BY n;
INSERT INTO feeds SELECT * FROM src.feeds WHERE true
  ON CONFLICT(author) DO UPDATE SET seq = excluded.seq, head = excluded.head,
  ts = excluded.ts WHERE excluded.seq > feeds.seq;
COMMIT;
EOF
	run_ok "$2" reindex
}

# --- background processes (replication tests) ---------------------------

# now_ms, pid_alive, wait_for: tests/integration/poll.sh (below).

# forget_pid PID: PID was waited for; cleanup must not signal it (it may
# be reused by a process that is not ours).
forget_pid() {
	local keep=() pid
	for pid in "${STOA_PIDS[@]}"; do
		[ "$pid" = "$1" ] || keep+=("$pid")
	done
	STOA_PIDS=("${keep[@]}")
}

# shellcheck disable=SC2034 # STOP_RC is read by the tests
# wait_pid PID [SECONDS]: waits (deadline, default 30 s) for PID, one of
# ours, to exit by itself; STOP_RC gets its exit status. Fails the test
# on timeout (the PID is left to cleanup).
wait_pid() {
	local pid=$1 deadline=$(($(now_ms) + ${2:-30} * 1000))
	while pid_alive "$pid"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "process $pid still runs after ${2:-30} s"
		sleep 0.05
	done
	STOP_RC=0
	wait "$pid" 2>/dev/null || STOP_RC=$?
	forget_pid "$pid"
}

# shellcheck disable=SC2034 # STOP_RC is read by the tests
# stop_pid PID [SIGNAL]: sends SIGNAL (default TERM) to PID, one of ours,
# waits up to 10 s for it to exit, then KILLs it; STOP_RC gets its exit
# status (128+N for a signal N).
stop_pid() {
	local pid=$1 sig=${2:-TERM} deadline
	deadline=$(($(now_ms) + 10000))
	kill -"$sig" "$pid" 2>/dev/null || true
	while pid_alive "$pid"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "$TEST_NAME: process $pid ignored SIG$sig for 10 s: killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			deadline=$(($(now_ms) + 10000))
			sig=KILL
		fi
		sleep 0.05
	done
	STOP_RC=0
	wait "$pid" 2>/dev/null || STOP_RC=$?
	forget_pid "$pid"
}

# bg_start LOG CMD...: runs CMD in the background, stdout and stderr to
# LOG; BG_PID is its PID (stopped by cleanup if still running).
bg_start() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	STOA_PIDS+=("$BG_PID")
}

# start_serve HOME [ARGS...]: a daemon on HOME listening on a port the OS
# picks; ENDPOINT gets the endpoint it really bound, SERVE_PID its PID.
# Its stderr is appended to HOME.log, or to $SERVE_LOG if set (a home on a
# filesystem the test fills up).
start_serve() {
	local home=$1 deadline log
	shift
	log=${SERVE_LOG:-$home.log}
	# a file left by a daemon killed -9 would be read as this one's
	rm -f "$home/serve.endpoint"
	"$STOA" --home "$home" serve --listen tcp://127.0.0.1:0 "$@" \
		>>"$log" 2>&1 </dev/null &
	SERVE_PID=$!
	STOA_PIDS+=("$SERVE_PID")
	deadline=$(($(now_ms) + 10000))
	while [ ! -s "$home/serve.endpoint" ]; do
		if ! pid_alive "$SERVE_PID"; then
			wait "$SERVE_PID" 2>/dev/null || true
			forget_pid "$SERVE_PID"
			fail "serve on $home exited before listening: $(tail -n 5 "$log")"
		fi
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "serve on $home wrote no serve.endpoint within 10 s"
		sleep 0.05
	done
	ENDPOINT=$(<"$home/serve.endpoint")
	assert_match "$ENDPOINT" '^tcp://127\.0\.0\.1:[0-9]+$' "serve.endpoint of $home"
}

# count_posts HOME: how many posts HOME's feed shows.
count_posts() {
	local n
	n=$("$STOA" --home "$1" feed --json --limit 100000) ||
		fail "feed --json in $1 failed"
	printf '%s' "$n" | grep -c . || true
}

# store_entries HOME: the entries HOME's store holds.
store_entries() {
	local j
	j=$("$STOA" --home "$1" status --json) || fail "status --json in $1 failed"
	"$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["entries"])' <<<"$j" ||
		fail "status --json in $1: no entries field"
}

# on_tty OUT CMD...: CMD with stderr on a pseudo-terminal (what it drew
# there printed on stdout), its stdout to OUT; returns CMD's exit status.
on_tty() {
	"$PY" -S - "$@" <<'EOF2'
import os, pty, subprocess, sys
m, s = pty.openpty()
with open(sys.argv[1], "wb") as out:
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, stderr=s)
os.close(s)
got = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    got += d
sys.stdout.write(got.decode("utf-8", "replace"))
sys.exit(p.wait())
EOF2
}

# view_digest HOME: the view digest `stoa verify` prints for HOME (whatever
# verify's verdict; check that apart).
view_digest() {
	local out d
	out=$("$STOA" --home "$1" verify 2>/dev/null) || true
	d=$(printf '%s\n' "$out" | sed -n 's/^view \([0-9a-f]\{64\}\)$/\1/p')
	[ -n "$d" ] || fail "verify in $1 printed no view line"
	printf '%s\n' "$d"
}

key_of() { # HOME: its member key
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field key "$j"
}

own_seq() { # HOME: how many entries its own feed holds
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field seq "$j"
}

# hub_sync HUB HOME...: the union of HUB's and every HOME's entries
# reaches them all: each HOME syncs with HUB's daemon (HUB's store,
# written by the daemon, is polled until it holds everything), then again
# to take what the others brought; then the daemon stops.
hub_sync() {
	local hub=$1 h total
	shift
	total=$(own_seq "$hub")
	for h in "$@"; do
		total=$((total + $(own_seq "$h")))
	done
	start_serve "$hub"
	for h in "$@"; do
		run_ok "$h" sync "$ENDPOINT"
	done
	hub_has_all() { [ "$(store_entries "$hub")" = "$total" ]; }
	wait_for "$hub's store to hold $total entries" 10 hub_has_all
	for h in "$@"; do
		run_ok "$h" sync "$ENDPOINT"
		assert_eq "$total" "$(store_entries "$h")" "entries in $h after the sync"
	done
	stop_pid "$SERVE_PID"
}
