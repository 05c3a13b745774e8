#!/usr/bin/env bash
# t31-diskfull: a node whose home is on a tiny filesystem (a tmpfs of
# STOA_FULL_MB, default 16 MB) keeps working when it fills up.
#
# 1. No daemon: with the filesystem full, `stoa post` fails (exit 1) with
#    one line "stoa: disk full: ...", while `stoa feed`, `stoa verify` and
#    SQLite's integrity check still work (the store's -shm file exists).
# 2. The daemon runs, the filesystem fills, and a peer with
#    STOA_FULL_ENTRIES (default 2000) entries the node lacks dials it: the
#    daemon logs the full disk once (not once per message), stays up and
#    answers `stoa status`; once the filler is deleted it takes the entries
#    (one more log line) and converges with the peer.
# Nothing stored before is lost or damaged: every id a post printed is
# there, the integrity check passes, `stoa verify` is clean.
#
# Mounting needs root (CI runs as root); without it the test is skipped
# (77) and says why.
# shellcheck source=tests/integration/harden.sh
. "$(dirname "$0")/harden.sh"

need_bench
need_sqlite3
knob STOA_FULL_MB 16
knob STOA_FULL_ENTRIES 2000

MNT=$T/mnt
mkdir -p "$MNT"
[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
mount -t tmpfs -o "size=${STOA_FULL_MB}m,mode=0700" tmpfs "$MNT" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs on $MNT: $(cat "$T/mount.err")"
MOUNTED=1
test_teardown() {
	if [ -n "${MOUNTED:-}" ]; then
		umount "$MNT" || umount -l "$MNT"
		MOUNTED=
	fi
}

A=$T/bench/home
B=$MNT/b
IDS=$T/ids

# fill: writes a filler file until the filesystem has no room left.
fill() {
	dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null && :
	assert_eq 0 "$(df --output=avail -k "$MNT" | tail -n 1 | tr -d ' ')" \
		"kB free on the full filesystem"
}

# post_until_full WHAT: posts on B until one fails; each id printed joins
# $IDS. The first failure must be one clear disk-full line (posts before
# it may still fit in room SQLite had already taken).
post_until_full() {
	local i
	for i in $(seq 1 200); do
		stoa_run "$B" post --topic full "$1 $i"
		if [ "$RC" -ne 0 ]; then
			run_fail 1 "$B" post --topic full "$1 $i again"
			assert_match "$ERR" '^stoa: disk full: .*store\.db.*: free some space and try again$' \
				"$1: the error of a post on a full disk"
			return 0
		fi
		assert_id "$OUT"
		printf '%s\n' "$OUT" >>"$IDS"
	done
	fail "$1: 200 posts on a full filesystem all succeeded"
}

step "a home of $STOA_FULL_ENTRIES entries (bench tool); a member on a ${STOA_FULL_MB} MB tmpfs"
make_bench "$T/bench" "$STOA_FULL_ENTRIES"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
: >"$IDS"
for i in 1 2 3 4 5; do
	run_ok "$B" post --topic before "written before the disk filled, $i"
	printf '%s\n' "$OUT" >>"$IDS"
done

step "no daemon, full disk: post fails with one clear line; reading works"
fill
post_until_full "no daemon"
run_ok "$B" feed --json --limit 100000
assert_eq "$(grep -c . "$IDS")" "$(json_lines)" "posts shown by feed on a full disk"
assert_sound "$B" "full disk, no daemon"
assert_ids_held "$B" "$IDS" "full disk, no daemon"

step "the daemon starts on the full disk: it serves, says why serve.endpoint is missing, and writes it once there is room"
bg_start "$T/full-serve.log" "$STOA" --home "$B" serve --listen tcp://127.0.0.1:0
FPID=$BG_PID
said_why() { grep -q "serve.endpoint.*serving anyway" "$T/full-serve.log"; }
wait_for "the daemon to say it serves without serve.endpoint" 20 said_why
pid_alive "$FPID" || fail "the daemon on the full disk exited: $(cat "$T/full-serve.log")"
[ ! -e "$B/serve.endpoint" ] || fail "serve.endpoint exists on a full disk"
run_ok "$B" status --json
json_check "rows[0]['running'] and rows[0]['listen'].startswith('tcp://127.0.0.1:')" \
	"status of the daemon that started on a full disk"
rm -f "$MNT/filler"
has_endpoint() { [ -s "$B/serve.endpoint" ]; }
wait_for "serve.endpoint once there is room" 20 has_endpoint
assert_eq "$(json_field listen)" "$(cat "$B/serve.endpoint")" "serve.endpoint"
stop_pid "$FPID"
assert_eq 0 "$STOP_RC" "the daemon that started on a full disk, on SIGTERM"

run_ok "$B" post --topic after "room again"
printf '%s\n' "$OUT" >>"$IDS"

step "the daemon runs; the disk fills; a peer with new entries dials"
SERVE_LOG=$T/b.log start_serve "$B"
EPB=$ENDPOINT
BPID=$SERVE_PID
fill
post_until_full "daemon running"
held=$(db_entries "$B")
start_serve "$A" --peer "$EPB"
APID=$SERVE_PID
full_lines() { grep -c 'disk full' "$T/b.log" || true; }
logged_full() { [ "$(full_lines)" -ge 1 ]; }
wait_for "the daemon to log the full disk" 30 logged_full
assert_contains "$(grep 'disk full' "$T/b.log")" "not taking entries from peers" "the daemon's log line"

step "while full, for 3 retry periods: one log line, the daemon answers"
deadline=$(($(now_ms) + 6500))
while [ "$(now_ms)" -lt "$deadline" ]; do
	[ "$(full_lines)" -le 1 ] ||
		fail "the daemon logged the full disk $(full_lines) times: $(grep -m 3 'disk full' "$T/b.log")"
	pid_alive "$BPID" || fail "the daemon on the full disk died"
	sleep 0.5
done
nlines=$(grep -c . "$T/b.log" || true)
[ "$nlines" -le 6 ] || fail "the daemon wrote $nlines log lines on a full disk"
run_ok "$B" status --json
json_check "rows[0]['entries'] == $held" "status of the daemon on a full disk"
run_ok "$B" feed --limit 1

step "the filler goes: the daemon takes the entries (one line) and converges"
rm -f "$MNT/filler"
same_count() { [ "$(store_entries "$A")" = "$(store_entries "$B")" ]; }
wait_for "the node to converge once space is back" 60 same_count
assert_converged "$A" "$B" "after the disk full"
assert_eq 1 "$(grep -c 'writes work again' "$T/b.log" || true)" "'writes work again' log lines"
assert_eq 1 "$(full_lines)" "'disk full' log lines"
[ "$(store_entries "$B")" -gt $((STOA_FULL_ENTRIES + 1)) ] ||
	fail "the node holds only $(store_entries "$B") entries"
# The daemon counts what it stored, not what a rolled-back pass held:
# the entries its peers brought are at most what it gained since A dialed.
run_ok "$B" status --json
gained=$(($(store_entries "$B") - held))
json_check "0 < sum(p['entries_in'] for p in rows[0].get('peers', [])) <= $gained" \
	"entries received, as status counts them (gained $gained)"

step "nothing stored was damaged or lost"
stop_pid "$BPID"
assert_eq 0 "$STOP_RC" "the daemon on SIGTERM"
stop_pid "$APID"
assert_sound "$B" "after the disk full"
assert_ids_held "$B" "$IDS" "after the disk full"

step "a store of schema 1 on a disk without room to upgrade it: refused with the reason, untouched, upgraded once there is room"
make_schema1 "$B/store.db"
schema() { sql "$B/store.db" "SELECT value FROM meta WHERE key = 'schema'"; }
fill
run_fail 1 "$B" feed
assert_match "$ERR" "is of schema 1 and must be upgraded to [0-9]+, which needs about [0-9]+ MB free in '.*' \([0-9]+ MB are\): free some space" \
	"the upgrade refused on a full disk"
assert_eq 1 "$(schema)" "schema on the full disk"
rm -f "$MNT/filler"
run_ok "$B" feed --limit 1
assert_match "$ERR" "upgrading it now" "the upgrade notice once there is room"
assert_eq 5 "$(schema)" "schema once there is room"
assert_sound "$B" "after the upgrade"
assert_ids_held "$B" "$IDS" "after the upgrade"
echo "  $(grep -c . "$IDS") posts reported stored, all held; $(store_entries "$B") entries"
ok
