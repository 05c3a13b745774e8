#!/usr/bin/env bash
# t10-sync-two: one `stoa sync` between two members of one community, one
# of them serving: every entry crosses both ways, the summary counts them,
# both stores verify and show the same view; a second sync moves nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada
B=$T/bo

step "two homes of one community (init --community, init --join)"
run_ok "$A" init --name Ada --community "Sync Circle"
run_ok "$A" invite
code=$OUT
run_ok "$B" init --name Bo --join "$code"
run_ok "$A" whoami --json
key_a=$(json_field key)
run_ok "$B" whoami --json
key_b=$(json_field key)

step "Ada posts 40, Bo 25 (offline, no daemon)"
for i in $(seq 1 40); do
	run_ok "$A" post --topic maths "Ada's note $i"
done
for i in $(seq 1 25); do
	run_ok "$B" post --topic physics "Bo's note $i"
done
assert_eq 41 "$(store_entries "$A")" "Ada's entries before sync"
assert_eq 26 "$(store_entries "$B")" "Bo's entries before sync"

step "Ada serves; Bo syncs with her: 41 entries in, 26 out"
start_serve "$A"
run_ok "$B" sync "$ENDPOINT" --json
assert_eq 1 "$(json_lines)" "sync --json lines"
json_check "rows[0]['type'] == 'sync'" "sync summary type"
assert_eq 41 "$(json_field entries_in)" "entries_in"
assert_eq 26 "$(json_field entries_out)" "entries_out"
json_check "rows[0]['bytes_in'] > 41 * 186 and rows[0]['bytes_out'] > 26 * 186" \
	"bytes each way hold at least the signed entries"
json_check "isinstance(rows[0]['seconds'], (int, float)) and 0 <= rows[0]['seconds'] < 60" \
	"seconds"

step "both hold 67 entries: 65 posts, 2 profiles"
# Ada's store is written by her daemon: give its commit a moment.
a_has_all() { [ "$(store_entries "$A")" = 67 ]; }
wait_for "Ada's store to hold 67 entries" 5 a_has_all
for h in "$A" "$B"; do
	assert_eq 67 "$(store_entries "$h")" "entries in $h"
	assert_eq 65 "$(count_posts "$h")" "posts in $h's feed"
	run_ok "$h" members --json
	assert_eq 2 "$(json_lines)" "members in $h"
	json_check "sum(r['seq'] for r in rows) == 67" "seq sum of members in $h"
	json_check "{r['key']: r['seq'] for r in rows} == {'$key_a': 41, '$key_b': 26}" \
		"each member's feed in $h"
	json_check "sorted(r.get('name') for r in rows) == ['Ada', 'Bo']" \
		"both profiles in $h"
	json_check "not any(r['forked'] for r in rows)" "no fork in $h"
done

step "verify clean on both, equal view digests"
for h in "$A" "$B"; do
	run_ok "$h" verify
	assert_contains "$OUT" "verified 67 entries: ok" "verify in $h"
done
da=$(view_digest "$A")
db=$(view_digest "$B")
assert_eq "$da" "$db" "view digest of Bo (Ada's is $da)"

step "a second sync is warm: nothing moves"
run_ok "$B" sync "$ENDPOINT" --json
assert_eq 0 "$(json_field entries_in)" "warm entries_in"
assert_eq 0 "$(json_field entries_out)" "warm entries_out"
assert_eq "$da" "$(view_digest "$B")" "Bo's view after the warm sync"
assert_eq "$da" "$(view_digest "$A")" "Ada's view after the warm sync"

step "text summary"
run_ok "$B" sync "$ENDPOINT"
assert_match "$OUT" "^synced with $ENDPOINT: 0 entries in, 0 out, [0-9]+ bytes in, [0-9]+ out, [0-9.]+ s$" \
	"sync text summary"

step "Ada's daemon stops cleanly"
stop_pid "$SERVE_PID"
assert_eq 0 "$STOP_RC" "serve exit status on SIGTERM"
ok
