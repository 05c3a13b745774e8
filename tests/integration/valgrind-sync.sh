#!/usr/bin/env bash
# valgrind-sync: a two-node sync with both sides under valgrind memcheck:
# `stoa serve` (listening, answering the control socket, a local post
# nudging it) and `stoa sync` (dialing). Any invalid read or write, use of
# uninitialised memory, bad free, or a definite or indirect leak makes
# valgrind exit 99 and fails the test; so does a sync that does not
# converge. Run by CTest as `valgrind_sync` (label valgrind) when valgrind
# is installed and the build has no sanitizers (they cannot share a process).
# tests/valgrind.supp holds only third-party noise, each entry explained.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

VALGRIND=${VALGRIND:-$(command -v valgrind || true)}
[ -n "$VALGRIND" ] || skip "valgrind is not installed"
SUPP=$STOA_SRC/tests/valgrind.supp
VG_EXIT=99

# vg LOG ARGS...: stoa ARGS under memcheck, its report in LOG. A script
# that execs valgrind, so the PID bg_start records is valgrind's own.
cat >"$T/vg-stoa" <<END
#!/bin/sh
log=\$1
shift
exec "$VALGRIND" --quiet --error-exitcode=$VG_EXIT \\
	--leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --track-origins=yes \\
	--suppressions="$SUPP" --log-file="\$log" "$STOA" "\$@"
END
chmod +x "$T/vg-stoa"
vg() { "$T/vg-stoa" "$@"; }

# vg_clean LOG WHAT: the report holds no error (with --quiet, valgrind
# writes nothing for a clean run; anything is shown).
vg_clean() {
	if [ -s "$1" ]; then
		echo "--- valgrind report of $2:" >&2
		head -n 80 "$1" >&2
		fail "valgrind reported errors for $2"
	fi
}

A=$T/ada
B=$T/bo

step "two homes of one community, 30 + 20 posts (without valgrind)"
run_ok "$A" init --name Ada --community "Valgrind Circle"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
for i in $(seq 1 30); do
	run_ok "$A" post --topic maths "Ada's note $i"
done
for i in $(seq 1 20); do
	run_ok "$B" post --topic physics "Bo's note $i"
done

step "Ada serves under valgrind"
rm -f "$A/serve.endpoint"
bg_start "$A.log" "$T/vg-stoa" "$T/vg-serve.log" --home "$A" serve \
	--listen tcp://127.0.0.1:0
serve_pid=$BG_PID
endpoint_written() {
	pid_alive "$serve_pid" || fail "serve under valgrind exited early: $(tail -n 5 "$A.log")"
	[ -s "$A/serve.endpoint" ]
}
wait_for "serve under valgrind to listen" 60 endpoint_written
ENDPOINT=$(<"$A/serve.endpoint")

step "Bo syncs with her under valgrind: 31 entries in, 21 out"
set +e
vg "$T/vg-sync.log" --home "$B" sync "$ENDPOINT" --timeout 120 --json \
	>"$T/out" 2>"$T/err"
RC=$?
set -e
OUT=$(<"$T/out")
vg_clean "$T/vg-sync.log" "stoa sync"
[ "$RC" -eq 0 ] || fail "stoa sync under valgrind exited $RC"
assert_eq 31 "$(json_field entries_in)" "entries_in"
assert_eq 21 "$(json_field entries_out)" "entries_out"

step "a post under valgrind nudges the daemon; status asks it"
set +e
vg "$T/vg-post.log" --home "$A" post --topic maths "one more" >"$T/out" 2>"$T/err"
RC=$?
vg "$T/vg-status.log" --home "$A" status --json >"$T/out" 2>"$T/err"
RC2=$?
set -e
vg_clean "$T/vg-post.log" "stoa post"
vg_clean "$T/vg-status.log" "stoa status"
[ "$RC" -eq 0 ] || fail "stoa post under valgrind exited $RC"
[ "$RC2" -eq 0 ] || fail "stoa status under valgrind exited $RC2"
OUT=$(<"$T/out")
json_check "rows[0]['running'] is True" "status sees the daemon"

step "Ada's daemon stops cleanly on TERM, valgrind reports nothing"
a_has_all() { [ "$(store_entries "$A")" = 53 ]; }
wait_for "Ada's store to hold 53 entries" 30 a_has_all
stop_pid "$serve_pid" TERM
vg_clean "$T/vg-serve.log" "stoa serve"
[ "$STOP_RC" -eq 0 ] || fail "stoa serve under valgrind exited $STOP_RC"

step "both stores verify; Bo holds all but the post made after his sync"
run_ok "$A" verify
run_ok "$B" verify
assert_eq 52 "$(store_entries "$B")" "Bo's entries"

ok
