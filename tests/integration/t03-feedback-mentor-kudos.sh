#!/usr/bin/env bash
# t03-feedback-mentor-kudos: feedback on posts, the mentoring commands and
# kudos, with the refusals the spec asks for (nothing written on bad input).
#
# Flows between two members (accept another member's offer, log sessions,
# close, kudos to someone else) need a second member's entries in one store,
# and there is no replication or import command yet. When the sqlite3 CLI is
# there, the second half carries the other member's signed entries across
# by hand (copy_entries in lib.sh: copy the rows, then `stoa reindex`), which
# is what replication will do; without sqlite3 that half is skipped (the C
# unit test test_store covers the same rules at the store level).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Maths Circle")

state() {
	stoa_run "$A" whoami --json
	[ "$RC" -eq 0 ] || fail "whoami failed"
	printf 'seq=%s\n' "$(json_field seq)"
	stoa_run "$A" feed --json
	printf '%s\n' "$OUT"
	stoa_run "$A" mentor list --json
	printf '%s\n' "$OUT"
	stoa_run "$A" members --json
	printf '%s\n' "$OUT"
}

run_ok "$A" post --topic fractions "Halves and quarters"
p=$OUT

step "feedback --rating 4 --helpful TEXT on your own post"
run_ok "$A" feedback "${p:0:8}" --rating 4 --helpful "Nice pictures"
assert_id "$OUT"
fb=$OUT
run_ok "$A" feed --json
json_check "rows[0]['id'] == '$p' and rows[0]['feedback'] == 1 and rows[0]['rating'] == 4" "feed feedback count and rating"
run_ok "$A" feed
assert_contains "$OUT" "1 feedback" "feed text"
assert_contains "$OUT" "rating 4.0/5" "feed text"
run_ok "$A" show "$p"
assert_contains "$OUT" "rating 4/5" "show text"
assert_contains "$OUT" "helpful" "show text"
assert_contains "$OUT" "Nice pictures" "show text"
run_ok "$A" show --json "$p"
json_check "rows[-1] == dict(rows[-1], type='feedback', id='$fb', target='$p', rating=4, helpful=True, comment='Nice pictures')" "show feedback row"

step "feedback with only a rating, only --helpful, only a comment"
run_ok "$A" feedback "$p" --rating 2
run_ok "$A" feedback "$p" --helpful
run_ok "$A" feedback "$p" "Just a comment"
run_ok "$A" feed --json
json_check "rows[0]['feedback'] == 4 and rows[0]['rating'] == 3" "average rating of 4 and 2"

step "bad feedback is refused and writes nothing"
before=$(state)
run_fail 1 "$A" feedback "$p" --rating 9
assert_contains "$ERR" "rating" "rating 9"
run_fail 1 "$A" feedback "$p" --rating 0
run_fail 1 "$A" feedback "$p" --rating 6 --helpful "text"
run_fail 2 "$A" feedback "$p" --rating abc
assert_contains "$ERR" "not a number" "rating abc"
run_fail 2 "$A" feedback "$p" --rating -3
run_fail 2 "$A" feedback "$p" --rating 4.5
run_fail 2 "$A" feedback "$p" --rating ""
run_fail 2 "$A" feedback "$p"
run_fail 2 "$A" feedback
run_fail 1 "$A" feedback "$p" ""
run_fail 1 "$A" feedback deadbeef --rating 3
run_fail 2 "$A" feedback nothex --rating 3
run_fail 1 "$A" feedback "$fb" --rating 3
assert_contains "$ERR" "not a post" "feedback on a feedback entry"
assert_eq "$before" "$(state)" "state after refused feedback"

step "mentor offer and request appear in mentor list"
run_ok "$A" mentor offer algebra
assert_id "$OUT"
offer=$OUT
run_ok "$A" mentor request "geometry proofs"
assert_id "$OUT"
request=$OUT
key=$(stoa_run "$A" whoami --json; json_field key)
run_ok "$A" mentor list --json
json_check "any(r['type'] == 'offer' and r['id'] == '$offer' and r['topic'] == 'algebra' and r['author'] == '$key' and r['name'] == 'ada' for r in rows)" "offer row"
json_check "any(r['type'] == 'request' and r['id'] == '$request' and r['topic'] == 'geometry proofs' for r in rows)" "request row"
json_check "all(r['type'] in ('offer', 'request', 'pairing') for r in rows)" "mentor list row types"
run_ok "$A" mentor list
assert_contains "$OUT" "offers:" "mentor list text"
assert_contains "$OUT" "#algebra" "mentor list text"
assert_contains "$OUT" "requests:" "mentor list text"
assert_contains "$OUT" "#geometry proofs" "mentor list text"
assert_contains "$OUT" "${offer:0:8}" "mentor list text"

step "mentor list text: requests, then offers, each header once"
D=$(new_home dee "Dee's Circle")
run_ok "$D" mentor offer first-offer
run_ok "$D" mentor request a-request
run_ok "$D" mentor offer second-offer
run_ok "$D" mentor list
assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^offers:$')" "'offers:' headers"
assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^requests:$')" "'requests:' headers"
assert_eq "requests: offers:" "$(printf '%s\n' "$OUT" | grep -E '^[a-z]+:$' | tr '\n' ' ' | sed 's/ $//')" "section order"
assert_match "$(printf '%s\n' "$OUT" | grep -o '#[a-z-]*' | tr '\n' ' ')" '^#a-request #second-offer #first-offer $' "rows under their headers, newest first"

step "bad mentoring commands are refused and write nothing"
before=$(state)
run_fail 1 "$A" mentor accept "$offer"
assert_contains "$ERR" "your own" "accepting your own offer"
run_fail 1 "$A" mentor accept "${request:0:8}"
assert_contains "$ERR" "your own" "accepting your own request"
run_fail 1 "$A" mentor accept "$p"
assert_contains "$ERR" "not a mentoring offer or request" "accepting a post"
run_fail 1 "$A" mentor accept deadbeef
run_fail 2 "$A" mentor accept
run_fail 1 "$A" mentor session deadbeef "notes"
assert_contains "$ERR" "no entry matches" "session on an unknown pairing"
run_fail 1 "$A" mentor session "$offer" "notes"
assert_contains "$ERR" "not a pairing" "session on an offer"
run_fail 1 "$A" mentor close deadbeef
run_fail 1 "$A" mentor close "$p" "why"
run_fail 2 "$A" mentor session deadbeef
run_fail 2 "$A" mentor session deadbeef --minutes abc "notes"
run_fail 1 "$A" mentor session deadbeef --minutes 1441 "notes"
run_fail 1 "$A" mentor offer ""
run_fail 1 "$A" mentor offer "$(head -c 65 /dev/zero | tr '\0' t)"
run_fail 2 "$A" mentor offer
run_fail 2 "$A" mentor offer a b
run_fail 2 "$A" mentor
run_fail 2 "$A" mentor adopt x
run_fail 2 "$A" mentor list extra
assert_eq "$before" "$(state)" "state after refused mentoring"

step "kudos to yourself or to an unknown member is refused"
run_fail 1 "$A" kudos ada --badge helper "for me"
assert_contains "$ERR" "yourself" "kudos to yourself"
run_fail 1 "$A" kudos ADA --badge helper
run_fail 1 "$A" kudos "${key:0:8}" --badge helper
assert_contains "$ERR" "yourself" "kudos to your own key"
run_fail 1 "$A" kudos nobody --badge helper
assert_contains "$ERR" "no member matches 'nobody'" "kudos to nobody"
run_fail 1 "$A" kudos 0123456789abcdef --badge helper
run_fail 2 "$A" kudos nobody
assert_contains "$ERR" "--badge" "kudos without a badge"
run_fail 2 "$A" kudos --badge helper
run_fail 1 "$A" kudos nobody --badge ""
assert_eq "$before" "$(state)" "state after refused kudos"

if ! have_sqlite3; then
	echo "  skipped: flows between two members (no sqlite3 CLI to carry entries)"
	ok
	exit 0
fi

step "(two members, entries carried by hand) Bo joins, receives Ada's feed"
run_ok "$A" invite
B=$T/bo
run_ok "$B" init --name Bo --join "$OUT"
bkey=$(stoa_run "$B" whoami --json; json_field key)
copy_entries "$A" "$B"
run_ok "$B" mentor list --json
json_check "any(r['id'] == '$offer' for r in rows)" "Ada's offer held by Bo"

step "Bo accepts Ada's offer: the accept id is the pairing"
run_ok "$B" mentor accept "${offer:0:8}"
assert_id "$OUT"
pairing=$OUT
run_ok "$B" mentor list --json
json_check "any(r['type'] == 'pairing' and r['id'] == '$pairing' and r['mentor'] == '$key' and r['mentee'] == '$bkey' and r['topic'] == 'algebra' and r['status'] == 'open' for r in rows)" "pairing row"
bseq=$(stoa_run "$B" whoami --json; json_field seq)
run_fail 1 "$B" mentor accept "$offer"
assert_contains "$ERR" "already have an open pairing on this offer" "second accept"
assert_eq "$bseq" "$(stoa_run "$B" whoami --json; json_field seq)" "Bo's feed after a second accept"

step "Bo logs a session (minutes, goals, progress)"
run_ok "$B" mentor session "${pairing:0:8}" --minutes 30 --goals "linear equations" --progress "two-step ones done" "First session"
assert_id "$OUT"
run_fail 1 "$B" mentor session "$pairing" --minutes 1441 "too long"
run_fail 1 "$B" mentor session "$pairing" ""

step "Ada receives Bo's entries; she is the mentor and logs a session too"
copy_entries "$B" "$A"
run_ok "$A" mentor session "$pairing" --minutes 15 "Second session"
run_ok "$A" mentor list --json
json_check "any(r['type'] == 'pairing' and r['id'] == '$pairing' and r['sessions'] == 2 and r['minutes'] == 45 and r['mentor_name'] == 'ada' and r['mentee_name'] == 'Bo' for r in rows)" "pairing after two sessions"
run_ok "$A" mentor list
assert_contains "$OUT" "pairings:" "mentor list text"
assert_contains "$OUT" "mentor ada" "mentor list text"
assert_contains "$OUT" "mentee Bo" "mentor list text"
assert_contains "$OUT" "45 min" "mentor list text"

step "Ada gives Bo kudos, by name and by key prefix"
run_ok "$A" kudos bo --badge "quick learner" "Solved every exercise"
assert_id "$OUT"
run_ok "$A" kudos "${bkey:0:12}" --badge helper
run_ok "$A" members --json
json_check "any(r['key'] == '$bkey' and r['kudos'] == 2 and sorted(r['badges']) == ['helper', 'quick learner'] for r in rows)" "Bo's kudos and badges"
json_check "any(r['key'] == '$key' and r['mentoring_minutes'] == 45 for r in rows)" "Ada's mentoring minutes"
run_ok "$A" members
assert_contains "$OUT" "quick learner" "members text"

step "a third member cannot log or close someone else's pairing"
run_ok "$A" invite
C=$T/cy
run_ok "$C" init --name Cy --join "$OUT"
copy_entries "$A" "$C"
cbefore=$(stoa_run "$C" whoami --json; json_field seq)
run_fail 1 "$C" mentor session "$pairing" "sneaky"
run_fail 1 "$C" mentor close "$pairing"
assert_eq "$cbefore" "$(stoa_run "$C" whoami --json; json_field seq)" "Cy's feed after refusals"

step "Ada closes the pairing; closing again, or logging after, is refused"
run_ok "$A" mentor close "$pairing" "Goals met"
assert_id "$OUT"
seq_closed=$(stoa_run "$A" whoami --json; json_field seq)
run_fail 1 "$A" mentor close "$pairing" "again"
assert_contains "$ERR" "closed" "closing twice"
run_fail 1 "$A" mentor session "$pairing" "after the end"
assert_eq "$seq_closed" "$(stoa_run "$A" whoami --json; json_field seq)" "feed after refusals"
run_ok "$A" mentor list --json
json_check "any(r['type'] == 'pairing' and r['id'] == '$pairing' and r['status'] == 'closed' for r in rows)" "pairing closed"
copy_entries "$A" "$B"
run_fail 1 "$B" mentor close "$pairing"
step "once the pairing is closed, Bo may accept the offer again"
run_ok "$B" mentor accept "$offer"
assert_id "$OUT"

step "every store still verifies"
run_ok "$A" verify
run_ok "$B" verify
run_ok "$C" verify

ok
