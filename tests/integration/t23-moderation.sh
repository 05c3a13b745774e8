#!/usr/bin/env bash
# t23-moderation: the read side of governance, between two real nodes of
# one community: Fay founds it, Lu joins as a learner. A post Fay hides
# leaves Lu's feed, search and member counts once the record reaches Lu's
# node, and `show` prints "[hidden by a facilitator: reason]"; `--hidden`
# brings it back, marked, for Fay and is refused to Lu (one line); a post
# its author erased shows as "[erased by its author: reason]" with its
# reply kept ("re [erased]" in the feed); a post Lu reported leaves Lu's
# feed only; roles come from governance (members, whoami); `stoa
# governance` lists every record with its effect, including a hide Lu
# wrote with a modified client (tests/tools/forge_entry), which has "no
# authority" and changes nothing; `stoa verify` notes that record and
# still passes; help and completion know the new command and option.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# the modified client is built beside hostile_peer (tests/CMakeLists.txt)
if [ -z "${FORGE:-}" ] && [ -n "${HOSTILE:-}" ]; then
	FORGE=$(dirname "$HOSTILE")/forge_entry
fi
FORGE=${FORGE:-$(dirname "$STOA")/tests/forge_entry}
[ -x "$FORGE" ] || skip "no forge_entry tool at '$FORGE' (set FORGE)"

F=$T/fay
L=$T/lu
SPAM="buy cheap watches zq$RANDOM"

own_seq() { # HOME: how many entries its own feed holds
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field seq "$j"
}

# sync_both: Fay's daemon takes Lu's entries (her store polled until it
# holds both feeds), and Lu takes Fay's; then the daemon stops.
sync_both() {
	local total
	total=$(($(own_seq "$F") + $(own_seq "$L")))
	start_serve "$F"
	run_ok "$L" sync "$ENDPOINT"
	fay_has_all() { [ "$(store_entries "$F")" = "$total" ]; }
	wait_for "Fay's store to hold $total entries" 10 fay_has_all
	assert_eq "$total" "$(store_entries "$L")" "entries in Lu's store"
	stop_pid "$SERVE_PID"
}

post_id() { # HOME ARGS...: posts, prints the id
	local home=$1
	shift
	run_ok "$home" post "$@"
	assert_id "$OUT"
	printf '%s\n' "$OUT"
}

step "Fay founds the community, Lu joins; they post and sync"
run_ok "$F" init --name Fay --community "Moderated 8"
run_ok "$F" invite
run_ok "$L" init --name Lu --join "$OUT"
q=$(post_id "$F" --topic maths "How do fractions add?")
spam=$(post_id "$L" --topic maths "$SPAM")
oops=$(post_id "$L" --topic maths "my phone number is 555 0199")
sync_both
run_ok "$F" reply "${oops:0:8}" "please do not post numbers"
re=$OUT
sync_both
for h in "$F" "$L"; do
	assert_eq 4 "$(count_posts "$h")" "posts in $h before moderation"
done

step "Fay hides Lu's spam; Lu erases the post with a phone number"
run_ok "$F" hide "${spam:0:8}" --reason "advertising"
hide=$OUT
run_ok "$L" erase "${oops:0:8}" --reason "posted by mistake"
erase=$OUT
sync_both

step "the hidden post is gone from Lu's feed, search and counts"
for h in "$L" "$F"; do
	run_ok "$h" feed --json
	assert_not_contains "$OUT" "$spam" "feed of $h"
	assert_not_contains "$OUT" "$SPAM" "feed of $h"
	run_ok "$h" search "watches"
	assert_eq "" "$OUT" "search in $h"
	run_ok "$h" members --json
	json_check "{r['name']: r['posts'] for r in rows} == {'Fay': 2, 'Lu': 0}" \
		"members' post counts in $h (hidden and erased left out)"
done

step "show prints the hidden notice with the reason"
run_ok "$L" show "${spam:0:8}"
assert_contains "$OUT" "[hidden by a facilitator: advertising]" "show of the hidden post"
assert_not_contains "$OUT" "$SPAM" "show of the hidden post"
run_ok "$L" show "${spam:0:8}" --json
json_check "rows[0]['hidden'] is True and rows[0]['hidden_reason'] == 'advertising' and 'body' not in rows[0]" \
	"show --json of the hidden post"

step "--hidden: refused to Lu, the post back and marked for Fay"
run_fail 1 "$L" feed --hidden
assert_eq "stoa: only a facilitator can use --hidden (you are a learner)" "$ERR" "Lu's feed --hidden"
run_fail 1 "$L" search watches --hidden
run_fail 1 "$L" show "${spam:0:8}" --hidden
run_ok "$F" feed --hidden
assert_contains "$OUT" "$SPAM" "Fay's feed --hidden"
assert_match "$OUT" "^${spam:0:8}  Lu  .*  \[hidden\]$" "the hidden post's header"
run_ok "$F" search watches --hidden --json
json_check "len(rows) == 1 and rows[0]['id'] == '$spam' and rows[0]['hidden'] is True" \
	"Fay's search --hidden"
run_ok "$F" show "${spam:0:8}" --hidden
assert_contains "$OUT" "$SPAM" "Fay's show --hidden"

step "the erased post: a notice on both nodes, its reply kept"
for h in "$F" "$L"; do
	run_ok "$h" show "${oops:0:8}"
	assert_contains "$OUT" "[erased by its author: posted by mistake]" "show of the erased post in $h"
	assert_not_contains "$OUT" "555 0199" "show of the erased post in $h"
	assert_contains "$OUT" "please do not post numbers" "the reply under the erased post in $h"
	run_ok "$h" feed
	assert_contains "$OUT" "re [erased]" "the reply's parent in the feed of $h"
	run_ok "$h" search 0199
	assert_eq "" "$OUT" "search for the erased text in $h"
done
run_ok "$F" show "${oops:0:8}" --json
json_check "rows[0]['erased'] is True and rows[0]['erased_by'] == 'author' and rows[1]['id'] == '$re'" \
	"show --json of the erased post"

step "Lu's own hide, written by a modified client, has no authority"
run_ok "$L" whoami
assert_match "$OUT" "^Lu \(learner\)$" "Lu's role"
run_fail 1 "$L" hide "${q:0:8}"
"$FORGE" --home "$L" hide "{\"target\":\"$q\",\"reason\":\"I dislike it\"}" >"$T/forged" ||
	fail "forge_entry failed"
forged=$(<"$T/forged")
assert_id "$forged"
sync_both
for h in "$F" "$L"; do
	run_ok "$h" feed --json
	assert_contains "$OUT" "$q" "Fay's question in the feed of $h"
done

step "roles come from governance: Fay makes Lu a mentor"
run_ok "$F" role Lu mentor --reason "helps the others"
role=$OUT
sync_both
run_ok "$L" whoami --json
json_check "rows[0]['role'] == 'mentor' and 'removed' not in rows[0]" "Lu's whoami --json"
run_ok "$F" members --json
json_check "{r['name']: r['role'] for r in rows} == {'Fay': 'facilitator', 'Lu': 'mentor'}" \
	"roles in Fay's members"

step "Lu reports Fay's question: it leaves Lu's feed only"
run_ok "$L" report "${q:0:8}" --reason off-topic "not about maths zq$RANDOM"
report=$OUT
run_ok "$L" feed --json
assert_not_contains "$OUT" "$q" "Lu's feed after the report"
run_ok "$L" search fractions
assert_eq "" "$OUT" "Lu's search after the report"
sync_both
run_ok "$F" feed --json
assert_contains "$OUT" "$q" "Fay's feed after Lu's report"

step "stoa governance: every record, newest first, with its effect"
for h in "$F" "$L"; do
	run_ok "$h" governance --json
	# the hide and the erase were written in the same round: by time,
	# then id, either may come first
	json_check "[(r['id'], r['kind'], r['effect']) for r in rows[:3]] == [('$report', 'report', 'applied'), ('$role', 'role', 'applied'), ('$forged', 'hide', 'no authority')] and sorted((r['id'], r['kind'], r['effect']) for r in rows[3:]) == sorted([('$hide', 'hide', 'applied'), ('$erase', 'erase', 'applied')])" \
		"governance --json in $h"
	json_check "all(r['ts'] >= s['ts'] for r, s in zip(rows, rows[1:]))" \
		"newest first in $h"
	json_check "'reason' not in rows[0] and 'category' not in rows[0] and rows[0]['target'] == '$q'" \
		"the report's row in $h"
done
run_ok "$F" governance
assert_match "$OUT" "^ID +WHEN +WHO +WHAT +EFFECT +SPREAD +WHY$" "governance header"
assert_match "$OUT" "^${hide:0:8}  .*  Fay +hide ${spam:0:8} +applied +[-0-9/]+ +advertising$" "the hide's line"
assert_match "$OUT" "^${forged:0:8}  .*  Lu +hide ${q:0:8} +no authority +[-0-9/]+ +I dislike it$" "the forged hide's line"
assert_match "$OUT" "^${role:0:8}  .*  Fay +role Lu -> mentor +applied +[-0-9/]+ +helps the others$" "the role's line"
assert_match "$OUT" "^${erase:0:8}  .*  Lu +erase ${oops:0:8} +applied +[-0-9/]+ +posted by mistake$" "the erase's line"
assert_match "$OUT" "^${report:0:8}  .*  Lu +a report on ${q:0:8} +applied +[-0-9/]+ +-$" "the report's line"
assert_not_contains "$OUT" "not about maths" "governance output"
assert_not_contains "$OUT" "off-topic" "governance output"
run_ok "$F" governance --limit 2 --json
assert_eq 2 "$(json_lines)" "governance --limit 2"
run_fail 1 "$F" governance --limit 0

step "verify notes the record without effect and passes"
for h in "$F" "$L"; do
	run_ok "$h" verify
	assert_contains "$OUT" "note: hide ${forged:0:8} by Lu: no authority" "verify in $h"
	assert_contains "$OUT" "entries: ok" "verify in $h"
	run_ok "$h" verify --json
	json_check "[r['id'] for r in rows if r['type'] == 'note'] == ['$forged'] and rows[-1]['notes'] == 1 and rows[-1]['problems'] == 0" \
		"verify --json in $h"
done
assert_eq "$(view_digest "$F")" "$(view_digest "$L")" "the two views"

step "help and completion know governance and --hidden"
run_ok "" help governance
assert_contains "$OUT" "usage: stoa governance [--limit N] [--json]" "stoa help governance"
for cmd in feed search show; do
	run_ok "" help "$cmd"
	assert_contains "$OUT" "--hidden" "stoa help $cmd"
done
comp() { # WORDS...: what cli/stoa.bash offers for the last word
	PATH=$(dirname "$STOA"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stoa; echo "${COMPREPLY[*]}"' _ "$STOA_SRC/cli/stoa.bash" "$@"
}
assert_eq "governance" "$(comp stoa gov)" "completion of 'stoa gov'"
assert_eq "--json --limit" "$(comp stoa governance --)" "completion of governance's options"
assert_eq "--hidden" "$(comp stoa show "${q:0:8}" --hi)" "completion of 'stoa show ID --hi'"

ok
