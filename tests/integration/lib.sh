# lib.sh: what every integration test shares. Sourced by tests/integration/tNN-*.sh.
#
# It runs the real `stoa` binary ($STOA, set by CTest; else build/stoa under
# $STOA_SRC or the source dir) in homes under one per-test temp dir, which the
# EXIT trap removes: the test never touches the user's own home (HOME,
# STOA_HOME and XDG_DATA_HOME are pointed into the temp dir or unset).
# It starts no background processes, so it has no PIDs to kill.
#
#   run_ok DIR ARGS...        stoa --home DIR ARGS, must exit 0
#   run_fail CODE DIR ARGS... must exit CODE, print nothing on stdout and
#                             an error on stderr: exactly one "stoa: " line
#                             for exit 1; for exit 2 the first line is
#                             "stoa: ..." and any further line the usage
#   run_fail_report CODE DIR ARGS...  the same, but stdout may hold a report
#   DIR "" runs without --home. Both leave $OUT, $ERR, $RC and the files
#   $T/out, $T/err; stdin is passed through (run_ok "$A" post - <file).
#
# Each test prints what it checks with `step` and ends with `ok`.
set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
STOA_SRC=${STOA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${STOA:-}" ]; then
	STOA=$STOA_SRC/build/stoa
fi
if [ ! -x "$STOA" ]; then
	echo "SKIP: $TEST_NAME: no stoa binary at '$STOA' (set STOA)" >&2
	exit 77
fi
# The interpreter itself, not a version-manager shim (pyenv's costs ~0.4 s a
# start, and the tests start python often).
if [ -x /usr/bin/python3 ]; then
	PY=/usr/bin/python3
else
	PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
fi
if [ -z "$PY" ]; then
	echo "SKIP: $TEST_NAME: python3 is needed to read --json output" >&2
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/stoa-$TEST_NAME.XXXXXX")
cleanup() {
	# Only what this test made: its own temp dir (made writable first, in
	# case a test took permissions away).
	chmod -R u+rwX "$T" 2>/dev/null || true
	rm -rf "$T"
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

step() { echo "- $*"; }

ok() { echo "ok"; }

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
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2'" ;;
	esac
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
	case $1 in
	*"$2"*) fail "${3:-output} contains '$2'" ;;
	*) ;;
	esac
}

assert_match() { # STRING ERE [WHAT]
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "${3:-output} '$1' does not match /$2/"
}

assert_id() { # STRING: a full entry id, alone
	assert_match "$1" '^[0-9a-f]{64}$' "entry id"
}

# json_field FIELD [TEXT]: the field of each JSON line of TEXT (default
# $OUT), one per line; strings raw, other values as JSON, a missing field
# as the empty line. Fails on a line that is not one JSON object.
json_field() {
	printf '%s\n' "${2-$OUT}" | "$PY" -S -c '
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
' "$1" || fail "cannot read field '$1' from the JSON output"
}

# json_check EXPR [WHAT]: EXPR, a python expression over `rows` (the JSON
# objects of $OUT, one a line), must be true.
json_check() {
	printf '%s\n' "$OUT" | "$PY" -S -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin.read().splitlines() if l]
assert all(isinstance(r, dict) for r in rows), "not one object a line"
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$1" || fail "${2:-JSON check} failed: $1"
}

# json_lines: number of non-empty lines of $OUT.
json_lines() {
	printf '%s' "$OUT" | grep -c . || true
}

# assert_clean_text FILE WHAT [bidi]: no ESC, BEL, CR, other C0 (but
# newline), DEL, C1 (as UTF-8) or bidi controls anywhere in FILE. With a
# third argument "bidi", only the bidi controls are checked.
assert_clean_text() {
	"$PY" -S - "$1" "${3:-all}" <<'EOF' || fail "$2: output holds control characters"
import sys
data = open(sys.argv[1], "rb").read()
bad = []
if sys.argv[2] != "bidi":
    for i, b in enumerate(data):
        if (b < 0x20 and b != 0x0a) or b == 0x7f:
            bad.append("0x%02x at byte %d" % (b, i))
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

# new_home NAME COMMUNITY [ROLE]: inits a home $T/NAME and prints its dir.
new_home() {
	local dir="$T/$1"
	stoa_run "$dir" init --name "$1" --role "${3:-learner}" --community "$2"
	[ "$RC" -eq 0 ] || fail "init of '$dir' exited $RC"
	printf '%s\n' "$dir"
}

# have_sqlite3: whether the sqlite3 CLI is there (for tampering tests).
have_sqlite3() {
	command -v sqlite3 >/dev/null 2>&1
}

# copy_entries FROM TO: hand-carries FROM's stored entries into TO's store
# (what replication will do; there is no sync command yet), then reindexes
# TO so its view holds them. Needs the sqlite3 CLI. The entries keep their
# signatures: `stoa verify` in TO still checks every one.
copy_entries() {
	sqlite3 "$2/store.db" <<EOF || fail "cannot copy entries from $1 to $2"
.bail on
ATTACH '$1/store.db' AS src;
BEGIN;
INSERT OR IGNORE INTO entries(id, author, seq, kind, ts, signed, payload, opaque)
  SELECT id, author, seq, kind, ts, signed, payload, opaque FROM src.entries ORDER BY n;
INSERT INTO feeds SELECT * FROM src.feeds WHERE true
  ON CONFLICT(author) DO UPDATE SET seq = excluded.seq, head = excluded.head,
  ts = excluded.ts WHERE excluded.seq > feeds.seq;
COMMIT;
EOF
	run_ok "$2" reindex
}
