#!/usr/bin/env bash
# t22-governance: the commands that write governance records (role, hide,
# unhide, erase, report, remove) and the facilitators' queue (reports),
# between four real nodes of one community: Fay founds it, Ben, Cy and
# Gil join (Gil's key under a passphrase). What is checked: the founder
# gives roles; every refusal is one line, exit 1, and writes nothing (the
# entries counted before and after); hide and unhide; erasure by an
# author and by a facilitator, and the text gone from another node once
# the record reaches it; a report's text readable by the facilitators it
# was sealed to and by nobody else (not in the reporter's files, refused
# to learners, "sealed to other facilitators" for a later facilitator);
# removal and its refusals; help and completion.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

F=$T/fay
B=$T/ben
C=$T/cy
G=$T/gil
PW='gil and his passphrase'
# Gil's commands that sign or connect unlock his key with it; the other
# keys are not sealed, so it changes nothing for them
export STOA_PASSPHRASE=$PW
SECRET="Ben keeps posting my phone number, please look zq$RANDOM"

# refused CODE HOME ARGS...: the command fails with CODE and one error
# line, and the home's store holds as many entries as before.
refused() {
	local code=$1 home=$2 before
	shift 2
	before=$(store_entries "$home")
	run_fail "$code" "$home" "$@"
	assert_eq "$before" "$(store_entries "$home")" "entries after the refused 'stoa $*'"
}

post_id() { # HOME TEXT: posts TEXT, prints the id
	run_ok "$1" post "$2"
	assert_id "$OUT"
	printf '%s\n' "$OUT"
}

step "Fay founds the community; Ben, Cy and Gil (passphrase) join"
run_ok "$F" init --name Fay --community "Civics 7"
run_ok "$F" invite
code=$OUT
run_ok "$B" init --name Ben --join "$code"
run_ok "$C" init --name Cy --join "$code"
run_ok "$G" init --name Gil --join "$code" --passphrase
kf=$(key_of "$F")
kb=$(key_of "$B")
kg=$(key_of "$G")
pb1=$(post_id "$B" "Ben's first post about the school council")
pb2_text="Ben's unkind words zebra$RANDOM"
pb2=$(post_id "$B" "$pb2_text")
pb3=$(post_id "$B" "Ben's third post, where he quotes a phone number")
pc1=$(post_id "$C" "Cy's draft qwerty$RANDOM, posted by mistake")
pc2=$(post_id "$C" "Cy's real question about voting age")
hub_sync "$F" "$B" "$C" "$G"

step "help: each command's usage, the policy for mentors, the text of erase"
for cmd in role hide unhide erase report reports remove rotate; do
	run_ok "" help "$cmd"
	assert_contains "$OUT" "usage: stoa $cmd" "stoa help $cmd"
done
run_ok "" help hide
assert_contains "$OUT" "mentors cannot" "stoa help hide"
run_ok "" help erase
assert_contains "$OUT" "deletes the entry's text" "stoa help erase"
assert_contains "$OUT" "signed header stays" "stoa help erase"
run_ok "" help role
assert_contains "$OUT" "learner|mentor|facilitator" "stoa help role"

step "the founder gives Ben the role of mentor and Gil that of facilitator"
run_ok "$F" role Ben mentor --reason "runs the study group"
assert_id "$OUT"
assert_eq "stoa: Ben is now a mentor" "$ERR" "role's line"
role_ben=$OUT
run_ok "$F" role "${kg:0:10}" facilitator
assert_eq "stoa: Gil is now a facilitator" "$ERR" "role's line"

step "role refusals: the founder, a role held already, an unknown member"
refused 1 "$F" role Fay mentor
assert_contains "$ERR" "the founder is always a facilitator" "role of the founder"
refused 1 "$F" role Ben mentor
assert_contains "$ERR" "'Ben' is already a mentor" "a role held already"
refused 1 "$F" role Nobody mentor
assert_contains "$ERR" "no member matches 'Nobody'" "role of an unknown member"
refused 2 "$F" role Ben king
assert_contains "$ERR" "unknown role 'king'" "an unknown role"
refused 2 "$F" role Ben
refused 1 "$F" role Ben learner --reason ""
hub_sync "$F" "$B" "$C" "$G"

step "a learner's role, hide, unhide, erase, remove, reports: refused, nothing written"
refused 1 "$C" role Ben facilitator
assert_eq "stoa: only a facilitator can give roles (you are a learner)" "$ERR" "learner's role"
refused 1 "$C" hide "$pb1"
assert_contains "$ERR" "only a facilitator can hide entries (you are a learner)" "learner's hide"
refused 1 "$C" unhide "$pb1"
refused 1 "$C" erase "$pb1"
assert_eq "stoa: only its author or a facilitator can erase an entry" "$ERR" "learner's erase"
refused 1 "$C" remove Ben --reason "I do not like him"
assert_contains "$ERR" "only a facilitator can remove members" "learner's remove"
refused 1 "$C" reports
assert_contains "$ERR" "only a facilitator can read the reports" "learner's reports"

step "a mentor cannot hide either (the default policy)"
refused 1 "$B" hide "$pc2"
assert_eq "stoa: only a facilitator can hide entries (you are a mentor)" "$ERR" "mentor's hide"
refused 1 "$B" reports

step "Gil, a facilitator who is not the founder, hides and unhides"
run_ok "$G" hide "${pb1:0:8}" --reason "off topic for this group"
assert_id "$OUT"
assert_eq "stoa: ${pb1:0:8} is hidden" "$ERR" "hide's line"
refused 1 "$G" hide "$pb1"
assert_contains "$ERR" "is already hidden" "hiding a hidden entry"
run_ok "$G" unhide "$pb1"
refused 1 "$G" unhide "$pb1"
assert_contains "$ERR" "is not hidden" "unhiding a shown entry"
refused 1 "$G" hide "$role_ben"
assert_contains "$ERR" "is a governance record (a role): it cannot be hidden" "hiding a record"
refused 2 "$G" hide xyz
refused 1 "$G" hide deadbeefdeadbeef

step "erase by the author (Cy, a learner) and by a facilitator (Gil)"
run_ok "$C" erase "$pc1" --reason "posted by mistake"
assert_id "$OUT"
assert_contains "$ERR" "every node that gets this record deletes its text" "erase's line"
refused 1 "$C" erase "$pc1"
assert_contains "$ERR" "is already erased" "erasing twice"
run_ok "$C" feed --json
assert_not_contains "$OUT" "${pc1}" "Cy's feed after erasing her post"
refused 1 "$C" erase "$role_ben"
assert_contains "$ERR" "it cannot be erased" "erasing a record"
run_ok "$G" erase "$pb2" --reason "unkind"
hub_sync "$F" "$B" "$C" "$G"
run_ok "$B" feed --json
assert_not_contains "$OUT" "$pb2" "Ben's feed after Gil erased his post"
assert_not_contains "$OUT" "$pc1" "Ben's feed after Cy erased her post"
run_ok "$B" verify
assert_contains "$OUT" ": ok" "verify on Ben's node, erased entries held"
if grep -aqF -- "$pb2_text" "$B"/store.db*; then
	fail "the erased text is still in one of Ben's store files"
fi
if have_sqlite3; then
	assert_eq 1 "$(sql "$B/store.db" "SELECT payload IS NULL FROM entries WHERE id = x'$pb2'")" \
		"the erased entry's payload on Ben's node"
fi

step "a report: its text sealed to the two facilitators, readable by them only"
run_ok "$C" report "${pb3:0:8}" --reason personal-info "$SECRET"
assert_id "$OUT"
report=$OUT
assert_contains "$ERR" "the text is sealed to 2 facilitators" "report's line"
run_ok "$C" report "$pb3" --reason spam
assert_id "$OUT"
report_bare=$OUT
refused 2 "$C" report "$pb3" --reason rude
assert_contains "$ERR" "unknown category 'rude'" "an unknown category"
refused 2 "$C" report "$pb3"
refused 1 "$C" report "$pb3" --reason other "$(head -c 1025 /dev/zero | tr '\0' x)"
assert_contains "$ERR" "at most 1024" "a report text too long"
refused 1 "$C" report "$role_ben" --reason spam
if grep -aqF -- "$SECRET" "$C"/store.db*; then
	fail "the report's text is in the clear in one of Cy's store files"
fi
refused 1 "$C" reports
hub_sync "$F" "$B" "$C" "$G"
run_ok "$F" reports --json
assert_eq 2 "$(json_lines)" "reports in Fay's queue"
json_check "[r['id'] for r in rows] == ['$report_bare', '$report']" "newest first"
json_check "rows[1]['category'] == 'personal-info' and rows[1]['target'] == '$pb3' and rows[1]['name'] == 'Cy'" "the report's fields"
json_check "sorted(s['to'] for s in rows[1]['sealed']) == sorted(['$kf', '$kg'])" "sealed to Fay and Gil"
json_check "all(len(s['box']) > 64 and '=' not in s['box'] and '$SECRET'[:8] not in s['box'] for s in rows[1]['sealed'])" "unpadded base64 boxes"
json_check "rows[1]['text_state'] == 'opened' and rows[1]['text'] == '''$SECRET'''" "Fay opens the text"
json_check "rows[0]['sealed'] == [] and rows[0]['text_state'] == 'none' and 'text' not in rows[0]" "a report without text"
json_check "rows[1]['target_state'] == 'held' and rows[1]['action'] == 'none' and rows[1]['excerpt'].startswith('Ben')" "the target, nothing done yet"
run_ok "$G" reports --json
json_check "rows[1]['text_state'] == 'opened' and rows[1]['text'] == '''$SECRET'''" "Gil opens the text"
STOA_PASSPHRASE=wrong refused 1 "$G" reports
assert_contains "$ERR" "passphrase" "reports with a wrong passphrase"
refused 1 "$B" reports
refused 1 "$C" reports

step "Fay hides the reported post: the queue says so (text output)"
run_ok "$F" hide "$pb3" --reason "personal information"
run_ok "$F" reports
assert_contains "$OUT" "personal-info  reported by Cy" "reports text"
assert_contains "$OUT" "on ${pb3:0:8}, a post by Ben: Ben's third post" "reports text"
assert_contains "$OUT" "text: $SECRET" "reports text"
assert_contains "$OUT" "done: hidden" "reports text"
assert_contains "$OUT" "text: (none)" "reports text"

step "Ben made a facilitator later (replacing his mentor role): the text is not his to read"
run_ok "$F" role Ben facilitator
hub_sync "$F" "$B" "$C" "$G"
run_ok "$B" reports --json
assert_eq 2 "$(json_lines)" "reports in Ben's queue"
json_check "rows[1]['text_state'] == 'others' and 'text' not in rows[1] and '$kb' not in [s['to'] for s in rows[1]['sealed']]" "sealed to others"
run_ok "$B" reports
assert_contains "$OUT" "text: (sealed to other facilitators)" "reports text for Ben"
assert_not_contains "$OUT" "$SECRET" "reports text for Ben"
run_ok "$B" role Cy mentor
assert_eq "stoa: Cy is now a mentor" "$ERR" "Ben gives a role once a facilitator"

step "remove refusals: the founder, oneself, an unknown member, no reason"
refused 1 "$F" remove Fay --reason "trying"
assert_eq "stoa: the founder cannot be removed" "$ERR" "removing the founder"
refused 1 "$G" remove Gil --reason "stepping down"
assert_eq "stoa: you cannot remove yourself" "$ERR" "removing oneself"
refused 1 "$F" remove Nobody --reason "who"
assert_contains "$ERR" "no member matches 'Nobody'" "removing an unknown member"
refused 2 "$F" remove Cy
assert_contains "$ERR" "--reason is required" "remove without a reason"

step "Fay removes Cy: Cy's entries so far stay; the secret is rotated; refusals after"
cy_seq=$(own_seq "$C")
old_code=$("$STOA" --home "$F" invite 2>/dev/null)
run_ok "$F" remove Cy --reason "repeated harassment"
assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "remove prints two ids (the removal, the rotation)"
assert_id "$(printf '%s\n' "$OUT" | sed -n 1p)"
assert_id "$(printf '%s\n' "$OUT" | sed -n 2p)"
assert_eq "stoa: Cy is removed: entries up to seq $cy_seq stay; every node the record reaches drops the later ones
stoa: the community secret is now epoch 1: the old invite code lets no one into a node that holds it; \`stoa invite\` prints the new one" \
	"$ERR" "remove's lines"
new_code=$("$STOA" --home "$F" invite 2>/dev/null)
[ "$new_code" != "$old_code" ] || fail "stoa invite prints the old code after a removal"
run_ok "$F" governance --json
rot=$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.strip()]
r=[x for x in rows if x["kind"]=="epoch"]
print(len(r), r[0]["epoch"], r[0]["effect"], r[0]["sealed_to"])')
# sealed to Fay, Ben and Gil: every member but Cy
assert_eq "1 1 applied 3" "$rot" "the rotation in stoa governance (count, epoch, effect, members)"
refused 1 "$F" remove Cy --reason "again"
assert_eq "stoa: 'Cy' is already removed" "$ERR" "removing twice"
refused 1 "$F" role Cy learner
assert_eq "stoa: 'Cy' was removed from the community" "$ERR" "role of a removed member"

step "completion: the commands, their options, the roles and the categories"
comp() { # WORDS...: what cli/stoa.bash offers for the last word
	PATH=$(dirname "$STOA"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stoa; echo "${COMPREPLY[*]}"' _ "$STOA_SRC/cli/stoa.bash" "$@"
}
assert_eq "reply report reports" "$(comp stoa rep)" "completion of 'stoa rep'"
assert_eq "--reason" "$(comp stoa remove Ben --re)" "completion of 'stoa remove Ben --re'"
assert_eq "learner mentor facilitator" "$(comp stoa role Ben "")" "completion of the role"
assert_eq "mentor" "$(comp stoa role --reason why Ben m)" "completion of the role after an option"
assert_eq "personal-info" "$(comp stoa report "$pb3" --reason pe)" "completion of the category"
assert_eq "bullying personal-info spam off-topic other" "$(comp stoa report "$pb3" --reason "")" \
	"completion of the categories"

ok
