#!/usr/bin/env bash
# t02-post-feed: post, reply, feed, show, and what bad input to them does:
# one error line, the right exit code and nothing written.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Maths Circle")

# state: the member's feed length and the feed as JSON, to prove a refused
# command wrote nothing.
state() {
	stoa_run "$A" whoami --json
	[ "$RC" -eq 0 ] || fail "whoami failed"
	printf 'seq=%s\n' "$(json_field seq)"
	stoa_run "$A" feed --json --limit 100000
	[ "$RC" -eq 0 ] || fail "feed failed"
	printf '%s\n' "$OUT"
}

step "post prints the new id (64 hex) alone on a line"
run_ok "$A" post "Fractions are division in disguise"
assert_id "$OUT"
p1=$OUT
[ -z "$ERR" ] || fail "post wrote to stderr: $ERR"

step "post --topic --title"
run_ok "$A" post --topic algebra --title "Solving for x" "Do the same to both sides."
assert_id "$OUT"
p2=$OUT

step "post - reads the body from stdin (multi-line kept)"
printf 'line one\nline two\n' >"$T/body"
run_ok "$A" post --topic algebra - <"$T/body"
assert_id "$OUT"
p3=$OUT

step "feed --json: newest first, fields"
run_ok "$A" feed --json
assert_eq 3 "$(json_lines)" "feed rows"
json_check 'all(r["type"] == "post" for r in rows)' "feed row type"
json_check 'all(set(["id","author","name","ts","topic","body","replies","feedback"]) <= set(r) for r in rows)' "feed row fields"
json_check 'all(r["ts"] >= s["ts"] for r, s in zip(rows, rows[1:]))' "newest first"
json_check 'rows == sorted(rows, key=lambda r: (r["ts"], r["id"]), reverse=True)' "order by (ts, id) descending"
json_check "set(r['id'] for r in rows) == {'$p1','$p2','$p3'}" "feed ids"
json_check "[r for r in rows if r['id'] == '$p1'][0]['topic'] == 'general'" "default topic"
json_check "[r for r in rows if r['id'] == '$p2'][0]['title'] == 'Solving for x'" "title"
json_check "'title' not in [r for r in rows if r['id'] == '$p1'][0]" "no title field when none given"
json_check "[r for r in rows if r['id'] == '$p3'][0]['body'] == 'line one\nline two'" "stdin body"
json_check 'all(r["name"] == "ada" and r["replies"] == 0 and r["feedback"] == 0 for r in rows)' "name and counts"
key=$(stoa_run "$A" whoami --json; json_field key)
json_check "all(r['author'] == '$key' for r in rows)" "author key"

step "feed (text) shows the posts with their ids, names, topics, titles and bodies"
run_ok "$A" feed
for s in "${p1:0:8}" "${p2:0:8}" "${p3:0:8}" ada "#general" "#algebra" "Solving for x" \
	"Fractions are division in disguise" "line one" "line two" "0 replies"; do
	assert_contains "$OUT" "$s" "feed text"
done

step "feed --topic"
run_ok "$A" feed --topic algebra --json
json_check "sorted(r['id'] for r in rows) == sorted(['$p2','$p3'])" "feed --topic algebra"
run_ok "$A" feed --topic nothing-here --json
assert_eq "" "$OUT" "feed of an empty topic"

step "feed --author by name (any case) and by key prefix"
run_ok "$A" feed --author ada --json
assert_eq 3 "$(json_lines)" "feed --author ada"
run_ok "$A" feed --author ADA --json
assert_eq 3 "$(json_lines)" "feed --author ADA"
run_ok "$A" feed --author "${key:0:8}" --json
assert_eq 3 "$(json_lines)" "feed --author key prefix"
run_fail 1 "$A" feed --author nobody
assert_contains "$ERR" "nobody" "unknown author"

step "feed --limit"
run_ok "$A" feed --limit 2 --json
assert_eq 2 "$(json_lines)" "feed --limit 2"
run_ok "$A" feed --limit 1 --json
assert_eq 1 "$(json_lines)" "feed --limit 1"
run_fail 2 "$A" feed --limit abc
run_fail 2 "$A" feed --limit -1
run_fail 1 "$A" feed --limit 0
run_fail 1 "$A" feed --limit 100001
run_fail 2 "$A" feed --limit

step "reply by an 8-char prefix inherits the post's topic"
run_ok "$A" reply "${p2:0:8}" "Including dividing both sides."
assert_id "$OUT"
r1=$OUT
run_ok "$A" reply "${r1:0:10}" "A reply to the reply."
r2=$OUT
run_ok "$A" feed --json --limit 100
json_check "[r for r in rows if r['id'] == '$r1'][0]['topic'] == 'algebra'" "reply topic"
json_check "[r for r in rows if r['id'] == '$r1'][0]['reply_to'] == '$p2'" "reply_to"
json_check "[r for r in rows if r['id'] == '$p2'][0]['replies'] >= 1" "replies count"

step "show ID (text): the post, its replies, its feedback"
run_ok "$A" feedback "$p2" --rating 4 --helpful "clear and short"
fb=$OUT
assert_id "$fb"
run_ok "$A" show "${p2:0:8}"
for s in "Solving for x" "Do the same to both sides." "Including dividing both sides." \
	"A reply to the reply." "clear and short" "4/5" helpful; do
	assert_contains "$OUT" "$s" "show text"
done

step "show --json: post depth 0, replies depth 1 and 2, feedback rows"
run_ok "$A" show --json "$p2"
json_check "rows[0]['type'] == 'post' and rows[0]['id'] == '$p2' and rows[0].get('depth', 0) == 0" "first row"
json_check "any(r['type'] == 'post' and r['id'] == '$r1' and r['depth'] == 1 for r in rows)" "reply depth 1"
json_check "any(r['type'] == 'post' and r['id'] == '$r2' and r['depth'] == 2 for r in rows)" "reply depth 2"
json_check "[r['type'] for r in rows] == ['post', 'post', 'post', 'feedback']" "row order"
json_check "rows[3]['id'] == '$fb' and rows[3]['target'] == '$p2' and rows[3]['rating'] == 4 and rows[3]['helpful'] is True and rows[3]['comment'] == 'clear and short'" "feedback row"

step "bad posts are refused with one line and write nothing"
before=$(state)
run_fail 1 "$A" post ""
assert_contains "$ERR" "empty" "empty post"
run_fail 1 "$A" post "   "
run_fail 1 "$A" post "$(printf ' \n\t \n')"
printf '\n\n' >"$T/blank"
run_fail 1 "$A" post - <"$T/blank"
run_fail 1 "$A" post - </dev/null
head -c 40960 /dev/zero | tr '\0' a >"$T/big40"
run_fail 1 "$A" post "$(cat "$T/big40")"
assert_contains "$ERR" "too long" "40 KiB post"
head -c 33792 /dev/zero | tr '\0' a >"$T/big33"
run_fail 1 "$A" post - <"$T/big33"
assert_contains "$ERR" "too long" "33 KiB post from stdin"
run_fail 1 "$A" post --topic "" "body"
run_fail 1 "$A" post --topic "$(head -c 65 /dev/zero | tr '\0' t)" "body"
run_fail 1 "$A" post --title "$(head -c 201 /dev/zero | tr '\0' t)" "body"
run_fail 1 "$A" post --title "$(printf 'two\nlines')" "body"
run_fail 2 "$A" post
run_fail 2 "$A" post two words
run_fail 2 "$A" post --nope "body"
run_fail 1 "$A" reply "$p2" ""
head -c 33792 /dev/zero | tr '\0' a >"$T/big33r"
run_fail 1 "$A" reply "$p2" - <"$T/big33r"
assert_eq "$before" "$(state)" "feed and seq after refused posts"

step "a 32000-byte body (under the 32 KiB payload limit) is accepted"
# The body limit is the payload limit (32768 bytes with the JSON around it),
# so a body of 32000 bytes must be accepted.
head -c 32000 /dev/zero | tr '\0' b >"$T/big32"
run_ok "$A" post - <"$T/big32"
assert_id "$OUT"
big=$OUT
run_ok "$A" show --json "$big"
json_check 'len(rows[0]["body"]) == 32000' "32000-byte body"

step "unknown, malformed and short ids"
before=$(state)
run_fail 1 "$A" show 0000000000000000000000000000000000000000000000000000000000000000
assert_contains "$ERR" "no entry matches" "unknown id"
run_fail 1 "$A" show deadbeef
assert_contains "$ERR" "no entry matches 'deadbeef'" "unknown prefix"
run_fail 2 "$A" show xyz
assert_contains "$ERR" "not a valid id" "non-hex id"
run_fail 2 "$A" show "${p1:0:7}"
assert_contains "$ERR" "not a valid id" "7-char prefix"
run_fail 2 "$A" show "${p1}0"
run_fail 2 "$A" show "zz${p1:2:10}"
run_fail 2 "$A" show
run_fail 1 "$A" reply deadbeef "text"
run_fail 2 "$A" reply xyz "text"
run_fail 2 "$A" reply "$p1"
run_fail 1 "$A" feedback deadbeef --rating 3
# an id that is not a post
run_fail 1 "$A" show "$fb"
assert_contains "$ERR" "not a post" "show of a feedback id"
run_fail 1 "$A" reply "$fb" "text"
assert_contains "$ERR" "not a post" "reply to a feedback id"
assert_eq "$before" "$(state)" "feed and seq after refused ids"

step "full 64-char ids and uppercase prefixes work"
run_ok "$A" show --json "$p1"
json_check "rows[0]['id'] == '$p1'" "show by full id"
# docs/cli.md: "any unique prefix of at least 8 hex characters is
# accepted, in either case"
up=${p1:0:12}
run_ok "$A" show --json "${up^^}"
json_check "rows[0]['id'] == '$p1'" "show by an uppercase prefix"
run_ok "$A" show --json "${p1^^}"
json_check "rows[0]['id'] == '$p1'" "show by the full id in uppercase"

ok
