#!/usr/bin/env bash
# t05-verify-reindex: verify on a healthy store, reindex giving the same
# view digest, and (with the sqlite3 CLI) what they do with a damaged store:
# a changed payload is found by verify, lost view rows are rebuilt by
# reindex.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Maths Circle")
run_ok "$A" post --topic fractions --title "Halves" "A half is one of two equal parts."
p1=$OUT
run_ok "$A" post --topic geometry "Angles of a triangle sum to 180."
p2=$OUT
run_ok "$A" reply "$p1" "And a quarter is one of four."
run_ok "$A" feedback "$p1" --rating 5 --helpful "Clear"
run_ok "$A" mentor offer fractions
entries=$(stoa_run "$A" whoami --json; json_field seq)
key=$(stoa_run "$A" whoami --json; json_field key)

step "verify on a healthy store: exit 0, 'ok', the view digest"
run_ok "$A" verify
assert_contains "$OUT" "verified $entries entries: ok" "verify output"
assert_match "$OUT" '^view [0-9a-f]{64}$' "verify view line"
view=$(printf '%s\n' "$OUT" | sed -n 's/^view //p')
[ -z "$ERR" ] || fail "verify wrote to stderr: $ERR"

step "verify --json"
run_ok "$A" verify --json
json_check "rows[-1]['type'] == 'verify' and rows[-1]['entries'] == $entries and rows[-1]['problems'] == 0 and rows[-1]['view'] == '$view'" "verify --json summary"

step "verify changes nothing: same digest twice"
run_ok "$A" verify
assert_contains "$OUT" "view $view" "second verify"

step "reindex: same entries, same view digest"
run_ok "$A" feed --json --limit 100000
feed_before=$OUT
run_ok "$A" search --json fractions
search_before=$OUT
run_ok "$A" mentor list --json
mentor_before=$OUT
run_ok "$A" members --json
members_before=$OUT
run_ok "$A" reindex
assert_contains "$OUT" "reindexed $entries entries" "reindex output"
assert_contains "$OUT" "view $view" "reindex digest"
run_ok "$A" feed --json --limit 100000
assert_eq "$feed_before" "$OUT" "feed after reindex"
run_ok "$A" search --json fractions
assert_eq "$search_before" "$OUT" "search after reindex"
run_ok "$A" mentor list --json
assert_eq "$mentor_before" "$OUT" "mentor list after reindex"
run_ok "$A" members --json
assert_eq "$members_before" "$OUT" "members after reindex"
run_fail 2 "$A" reindex extra
run_fail 2 "$A" verify extra

step "two stores holding the same entries print the same digest"
if have_sqlite3; then
	run_ok "$A" invite
	B=$T/bo
	run_ok "$B" init --name Bo --join "$OUT"
	copy_entries "$A" "$B"
	run_ok "$A" verify
	va=$(printf '%s\n' "$OUT" | sed -n 's/^view //p')
	run_ok "$B" verify
	vb=$(printf '%s\n' "$OUT" | sed -n 's/^view //p')
	[ "$va" != "$vb" ] || fail "stores with different entries have the same digest"
	copy_entries "$B" "$A"
	run_ok "$A" verify
	va=$(printf '%s\n' "$OUT" | sed -n 's/^view //p')
	run_ok "$B" verify
	vb=$(printf '%s\n' "$OUT" | sed -n 's/^view //p')
	assert_eq "$va" "$vb" "digests of two stores with the same entries"
	view=$va
	entries=$(printf '%s\n' "$OUT" | sed -n 's/^verified \([0-9]*\) entries.*/\1/p')
else
	echo "  skipped (no sqlite3 CLI)"
fi

if ! have_sqlite3; then
	echo "  skipped: damaging the store (no sqlite3 CLI)"
	ok
	exit 0
fi

step "deleting the posts view rows: reindex restores the same feed"
run_ok "$A" feed --json --limit 100000
feed_before=$OUT
run_ok "$A" feed
feed_text_before=$OUT
run_ok "$A" show --json "$p1"
show_before=$OUT
sql "$A/store.db" "DELETE FROM posts;" || fail "sqlite3 DELETE failed"
run_ok "$A" feed --json
assert_eq "" "$OUT" "feed with the posts rows deleted"
run_ok "$A" reindex
assert_contains "$OUT" "reindexed $entries entries" "reindex output"
assert_contains "$OUT" "view $view" "digest after rebuilding"
run_ok "$A" feed --json --limit 100000
assert_eq "$feed_before" "$OUT" "feed --json after reindex"
run_ok "$A" feed
assert_eq "$feed_text_before" "$OUT" "feed text after reindex"
run_ok "$A" show --json "$p1"
assert_eq "$show_before" "$OUT" "show after reindex"
run_ok "$A" verify

step "a store of schema 1 (an older stoa's) is upgraded at first use, once, saying so"
make_schema1 "$A/store.db"
# A daemon of the older stoa still running (here: its lock held) would
# fail on the upgraded table: the upgrade waits until it is stopped.
bg_start "$T/lock.out" "$PY" -S -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)' "$A/serve.lock"
LOCK_PID=$BG_PID
locked() { grep -q locked "$T/lock.out"; }
wait_for "a lock on serve.lock" 10 locked
run_fail 1 "$A" feed
assert_match "$ERR" "is of schema 1 and must be upgraded to [0-9]+, and a stoa serve runs on this home: stop it" \
	"the upgrade refused under a running daemon"
assert_eq 1 "$(sql "$A/store.db" "SELECT value FROM meta WHERE key = 'schema'")" \
	"schema while a daemon runs"
stop_pid "$LOCK_PID"
run_ok "$A" feed --json --limit 100000
assert_eq "$feed_before" "$OUT" "feed --json of the upgraded store"
assert_match "$ERR" "^stoa: the store '.*store\.db' \($entries entries\) is of schema 1 and must be upgraded to [0-9]+: upgrading it now" \
	"the upgrade notice"
assert_eq 5 "$(sql "$A/store.db" "SELECT value FROM meta WHERE key = 'schema'")" \
	"schema after the upgrade"
run_ok "$A" show --json "${p1:0:8}"
assert_eq "$show_before" "$OUT" "show by an id prefix after the upgrade"
assert_eq "" "$ERR" "stderr of the next command (no second upgrade)"
run_ok "$A" verify
assert_contains "$OUT" "view $view" "view digest after the upgrade"

step "a wrong id key (idk): verify exits 1 and names it; show by id misses the entry"
sql "$A/store.db" "UPDATE entries SET idk = idk + 1 WHERE id = x'$p1';" ||
	fail "sqlite3 UPDATE failed"
run_fail_report 1 "$A" verify
assert_contains "$OUT" "id key (idk) does not match its id" "verify names the id key"
run_fail 1 "$A" show "$p1"
sql "$A/store.db" "UPDATE entries SET idk = idk - 1 WHERE id = x'$p1';" ||
	fail "sqlite3 UPDATE failed"
run_ok "$A" verify

step "a changed payload byte: verify exits 1 and names the hash"
cp "$A/store.db" "$T/store.db.good"
n=$(sql "$A/store.db" "SELECT count(*) FROM entries WHERE id = x'$p2';")
assert_eq 1 "$n" "the post's entry row"
# Flip the first byte of the payload ('{' becomes 'z'), keeping its length.
sql "$A/store.db" "UPDATE entries SET payload = CAST('z' || substr(CAST(payload AS TEXT), 2) AS BLOB) WHERE id = x'$p2';" ||
	fail "sqlite3 UPDATE failed"
run_fail_report 1 "$A" verify
# the problems and the summary go to stdout, one error line to stderr
# p2 is Ada's third entry (after her profile and p1); problems name the
# author's key prefix and the seq
assert_match "$OUT" "^${key:0:8} seq 3: .*hash" "verify report of a changed payload"
assert_match "$OUT" "^verified $entries entries: 1 problem" "verify summary"
assert_match "$OUT" '^view [0-9a-f]{64}$' "verify still prints the view digest"
assert_match "$ERR" 'problem' "verify error line"

step "reindex of a store with a changed payload"
# The payload above no longer matches the hash its signed header carries.
# Rebuilding the view from it must not show it as the author's words.
cp "$A/store.db" "$T/store.db.bad"
# (valid JSON again, with other words: the '{' flipped above restored)
sql "$A/store.db" "UPDATE entries SET payload = CAST(replace(CAST(payload AS TEXT), 'Angles', 'FORGED') AS BLOB) WHERE id = x'$p2';"
sql "$A/store.db" "UPDATE entries SET payload = CAST('{' || substr(CAST(payload AS TEXT), 2) AS BLOB) WHERE id = x'$p2';"
# it rebuilds what it can and says so (exit 0): the entry stays stored,
# its post is not shown
run_ok "$A" reindex
assert_match "$OUT" "^reindexed $entries entries\$" "reindex of a changed payload"
assert_match "$OUT" '^view [0-9a-f]{64}$' "reindex of a changed payload: its digest"
run_ok "$A" feed --json
assert_not_contains "$OUT" "FORGED" "feed after reindexing a forged payload"
assert_not_contains "$OUT" "$p2" "feed after reindexing a forged payload"
run_fail_report 1 "$A" verify
assert_match "$OUT" "^${key:0:8} seq 3: .*hash" "verify after reindexing a changed payload"
cp "$T/store.db.bad" "$A/store.db"
rm -f "$A/store.db-wal" "$A/store.db-shm"

step "verify --json names the problem"
stoa_run "$A" verify --json
assert_eq 1 "$RC" "verify --json exit status"
json_check "any(r['type'] == 'problem' and 'hash' in r['what'] and r['author'] == '$key' and r['seq'] == 3 for r in rows)" "problem row"
json_check "rows[-1]['type'] == 'verify' and rows[-1]['problems'] >= 1" "summary row"

step "a changed signature byte: verify exits 1"
cp "$T/store.db.good" "$A/store.db"
rm -f "$A/store.db-wal" "$A/store.db-shm"
run_ok "$A" verify
# signed bytes 151 (1-based) is inside the signature (offsets 122..185)
sql "$A/store.db" "UPDATE entries SET signed = substr(signed, 1, 150) ||
  (CASE WHEN substr(signed, 151, 1) = x'00' THEN x'01' ELSE x'00' END) ||
  substr(signed, 152) WHERE id = x'$p1';" || fail "sqlite3 UPDATE failed"
run_fail_report 1 "$A" verify
assert_match "$OUT" 'signature' "verify report of a changed signature"

step "a deleted entry in the middle of a feed: verify exits 1"
cp "$T/store.db.good" "$A/store.db"
rm -f "$A/store.db-wal" "$A/store.db-shm"
sql "$A/store.db" "DELETE FROM entries WHERE id = x'$p2';" || fail "sqlite3 DELETE failed"
run_fail_report 1 "$A" verify
assert_match "$OUT" '[0-9]+ entries: [0-9]+ problems?' "verify summary of a broken chain"

step "the good copy verifies again"
cp "$T/store.db.good" "$A/store.db"
rm -f "$A/store.db-wal" "$A/store.db-shm"
run_ok "$A" verify
assert_contains "$OUT" "view $view" "digest of the good copy"

ok
