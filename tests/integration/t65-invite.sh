#!/usr/bin/env bash
# t65-invite: invites a facilitator makes (docs/governance.md, "Invites"),
# between real nodes of one community. Fay founds it; Ben joins with the
# community's standing v2 code (old codes still join) and is refused every
# invite command (not a facilitator); a mentor invite of 2 uses is used by
# three (Mo, Mia, Max): once the joins sync, Fay's node makes the first two
# mentors, once, and shows the invite over-used; a typed invite round
# trip (lower case, spaces), and a typo caught with the one-line error
# naming its group; an invite expired offline; a revoked invite used
# after its revocation, and a join dated after an invite's expiry (a
# modified clock: stats_gen), both flagged and given no role; Fay's daemon
# gives the role by itself when a mentor invite's joiner syncs with it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "${STATS_GEN:-}" ] && [ -n "${HOSTILE:-}" ]; then
	STATS_GEN=$(dirname "$HOSTILE")/stats_gen
fi
STATS_GEN=${STATS_GEN:-$(dirname "$STOA")/tests/stats_gen}
[ -x "$STATS_GEN" ] || skip "no stats_gen tool at '$STATS_GEN' (set STATS_GEN)"
# the modified client is built beside hostile_peer (tests/CMakeLists.txt)
if [ -z "${FORGE:-}" ] && [ -n "${HOSTILE:-}" ]; then
	FORGE=$(dirname "$HOSTILE")/forge_entry
fi
FORGE=${FORGE:-$(dirname "$STOA")/tests/forge_entry}
[ -x "$FORGE" ] || skip "no forge_entry tool at '$FORGE' (set FORGE)"

F=$T/fay
B=$T/ben

# refused CODE HOME ARGS...: the command fails with CODE and one error
# line, and the home's store holds as many entries as before.
refused() {
	local code=$1 home=$2 before
	shift 2
	before=$(store_entries "$home")
	run_fail "$code" "$home" "$@"
	assert_eq "$before" "$(store_entries "$home")" "entries after the refused 'stoa $*'"
}

# role_in HOME NAME: NAME's role as HOME's members shows it
role_in() {
	stoa_run "$1" members --json
	[ "$RC" -eq 0 ] || fail "members on $1 exited $RC"
	"$PY" -S -c '
import json, sys
for l in sys.stdin.read().splitlines():
    r = json.loads(l)
    if r.get("name") == sys.argv[1]:
        print(r["role"])
' "$2" <<<"$OUT"
}

# invite_row ID: Fay's --list row of the invite ID, as JSON
invite_row() {
	run_ok "$F" invite --list --json
	"$PY" -S -c '
import json, sys
for l in sys.stdin.read().splitlines():
    r = json.loads(l)
    if r["id"] == sys.argv[1]:
        print(json.dumps(r))
' "$1" <<<"$OUT"
}

step "Fay founds the community, Ben joins with its standing (v2) code"
new_home fay "Class 7b" >/dev/null
FAY_PK=$(key_of "$F")
run_ok "$F" invite
V2=$OUT
assert_match "$V2" '^stoa:Ag' "the plain code is still version 2"
run_ok "$B" init --name Ben --join "$V2"
assert_not_contains "$OUT" "invite " "a v2 join names no invite"

step "Ben, a learner, is refused every invite command, writing nothing"
refused 1 "$B" invite --role mentor
assert_contains "$ERR" "only a facilitator can make invites" "Ben's refusal"
refused 1 "$B" invite --sheet 3 --html "$T/sheet.html"
[ ! -e "$T/sheet.html" ] || fail "a refused sheet was written"
refused 1 "$B" invite --list
refused 1 "$B" invite --revoke 0123456789abcdef
refused 2 "$F" invite --role facilitator
refused 1 "$F" invite --uses 0
refused 2 "$F" invite --expires 3y
refused 2 "$F" invite --expires 99999d
assert_eq "stoa: --expires is 1d to 3660d (about 10 years), or never" "$(head -n 1 <<<"$ERR")" "an expiry too far"
refused 2 "$F" invite --expires 0h
assert_eq "stoa: --expires is 1h to 87840h (about 10 years), or never" "$(head -n 1 <<<"$ERR")" "an expiry of 0"
refused 2 "$F" invite --list --role mentor
refused 2 "$F" invite --sheet 2
refused 2 "$F" invite --qr --json

step "a mentor invite of 2 uses, used by three"
run_ok "$F" invite --role mentor --uses 2 --expires 7d --json
MCODE=$(json_field code)
MID=$(json_field id)
assert_match "$MCODE" '^stoa:Aw' "a v3 code"
assert_eq mentor "$(json_field role)" "the invite's role"
assert_eq 2 "$(json_field uses)" "the invite's uses"
assert_match "$ERR" "invite $MID: joins as a mentor, 2 uses, expires" "what Fay is told"
for who in Mo Mia Max; do
	run_ok "$T/$who" init --name "$who" --join "$MCODE"
	assert_contains "$OUT" "invite $MID" "$who's init names the invite"
	# the issuer's node gives the role, not any facilitator's
	assert_contains "$ERR" "stoa: this invite, made by ${FAY_PK:0:8} (the founder), makes you a mentor once ${FAY_PK:0:8}'s node gets your join (after a sync); until then you are a learner" "$who is told the role"
	assert_eq learner "$(role_in "$T/$who" "$who")" "$who before any sync"
done

step "a code changed after signing is refused"
bad=${MCODE:0:60}$([ "${MCODE:60:1}" = A ] && echo B || echo A)${MCODE:61}
run_fail 1 "$T/nobody" init --name Nobody --join "$bad"
assert_contains "$ERR" "invite code is damaged" "a changed code"
[ ! -e "$T/nobody/key" ] || fail "a refused join made a key"

step "a typed invite: round trip, and a typo named by its group"
run_ok "$F" invite --typed --uses 5 --expires never --json
TYPED=$(json_field code)
LID=$(json_field id)
assert_match "$TYPED" '^([0-9A-HJKMNP-TV-Z]{5}-)+[0-9A-HJKMNP-TV-Z]{2,5}$' "the typed form"
assert_not_contains "$TYPED" "stoa:" "the typed form"
# group 7 (characters 37..41 with the dashes), its second character changed
g7=${TYPED:36:5}
c=${g7:1:1}
[ "$c" = 7 ] && r=8 || r=7
typo=${TYPED:0:37}$r${TYPED:38}
run_fail 1 "$T/lea" init --name Lea --join "$typo"
assert_eq "stoa: invite group 7 ('${g7:0:1}$r${g7:2}') has a typo: check it against the paper" "$ERR" "the typo's error"
# a character left out of group 4: that group is named
short=${TYPED:0:19}${TYPED:20}
run_fail 1 "$T/lea" init --name Lea --join "$short"
assert_match "$ERR" "^stoa: invite group 4 \\('.{5}'\\) has a typo: check it against the paper$" "a missing character"
run_fail 1 "$T/lea" init --name Lea --join "${TYPED:0:30}U${TYPED:31}"
assert_contains "$ERR" "holds 'U', which no invite uses" "a letter no invite uses"
# typed in lower case, spaces for dashes, O for 0 and l for 1
loose=$(printf '%s' "$TYPED" | tr 'A-Z-' 'a-z ' | tr '01' 'ol')
# the same, not in quotes: the shell cut it in words, and is said so
read -ra words <<<"$loose"
run_fail 2 "$T/lea" init --name Lea --join "${words[@]}"
assert_eq "stoa: unexpected argument after --join: an invite typed with spaces goes in quotes (--join '${words[0]} ${words[1]} ...')" "$(head -n 1 <<<"$ERR")" "an invite cut in words"
run_ok "$T/lea" init --name Lea --join "$loose"
assert_contains "$OUT" "invite $LID" "Lea's init names the typed invite"
# a typed mentor invite carries no issuer: its maker is not named
run_ok "$F" invite --typed --role mentor --json
run_ok "$T/tia" init --name Tia --join "$(json_field code)"
assert_eq "stoa: this invite makes you a mentor once the node of the facilitator who made it gets your join (after a sync); until then you are a learner" "$ERR" "Tia is told the role"

step "an expired invite is refused offline"
run_ok "$F" invite --expires 1s --json
ECODE=$(json_field code)
EXP=$(json_field expires)
ETYPED=$(json_field code <<<"$(stoa_run "$F" invite --typed --expires 1s --json; echo "$OUT")")
past() { [ "$(now_ms)" -gt $((EXP + 1000)) ]; }
wait_for "the invite to expire" 5 past
run_fail 1 "$T/late" init --name Late --join "$ECODE"
assert_match "$ERR" "^stoa: this invite expired on [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC \(this computer's clock says [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC\): ask a facilitator for a new one$" "an expired invite"
run_fail 1 "$T/late" init --name Late --join "$ETYPED"
assert_contains "$ERR" "this invite expired on" "an expired typed invite"
[ ! -e "$T/late/key" ] || fail "an expired invite made a key"

step "revoked: a join after the revocation is flagged"
run_ok "$F" invite --uses 3 --json
RCODE=$(json_field code)
RID=$(json_field id)
# in upper case, as someone may copy it from a card
run_ok "$F" invite --revoke "$(tr a-f A-F <<<"${RID:0:6}")" --reason "lost on the bus"
assert_id "$OUT"
assert_contains "$ERR" "invite $RID revoked" "the revocation"
refused 1 "$F" invite --revoke "$RID"
assert_contains "$ERR" "revoked already" "a second revocation"
refused 1 "$F" invite --revoke ffffffffffffffff
assert_contains "$ERR" "no invite 'ffffffffffffffff'" "an unknown invite"
# offline, the joiner cannot know: the join succeeds, and counts for nothing
run_ok "$T/rex" init --name Rex --join "$RCODE"

step "the joins sync: Fay's node gives the first two joiners their mentor role, once"
run_ok "$F" invite --expires 1h --json
XID=$(json_field id)
XEXP=$(json_field expires)
hub_sync "$B" "$F" "$T/Mo" "$T/Mia" "$T/Max" "$T/lea" "$T/rex"
# a join dated after its invite's expiry (a modified clock), stored on
# Fay's node as if a peer brought it
printf '{"m":1,"kind":"profile","ts":%s,"payload":{"name":"Clocky","role":"learner","invite":"%s"}}\n' \
	$((XEXP + 60000)) "$XID" | "$STATS_GEN" --home "$F" --seed t65 >/dev/null ||
	fail "stats_gen could not write Clocky's join"
before=$(own_seq "$F")
run_ok "$F" invite --list --json
assert_contains "$ERR" "gave 2 members the role of the invite they joined with" "the grant"
assert_eq $((before + 2)) "$(own_seq "$F")" "Fay's feed after the grant"
for who in Mo Mia; do
	assert_eq mentor "$(role_in "$F" "$who")" "$who on Fay's node"
done
assert_eq learner "$(role_in "$F" Max)" "Max, the third of 2 uses"
run_ok "$F" invite --list
assert_eq "" "$ERR" "a second --list gives nothing again"
assert_eq $((before + 2)) "$(own_seq "$F")" "Fay's feed after a second --list"

# once: a facilitator who makes Mo a learner again is not overruled
run_ok "$F" role Mo learner
run_ok "$F" invite --list
assert_eq "" "$ERR" "--list after Mo was made a learner again"
assert_eq learner "$(role_in "$F" Mo)" "Mo, made a learner again"
run_ok "$F" role Mo mentor

step "the list: over-use, the revoked and the expired joins"
OUT=$(invite_row "$MID")
json_check 'rows[0]["joins"] == 3 and rows[0]["valid_joins"] == 2 and rows[0]["over_used"]' "the mentor invite"
json_check '[m["name"] for m in rows[0]["members"]] == ["Mo", "Mia", "Max"]' "the joins in order"
json_check '[m.get("why") for m in rows[0]["members"]] == [None, None, "over-use"]' "why Max counts for nothing"
OUT=$(invite_row "$RID")
json_check 'rows[0]["revoked"] and rows[0]["late_joins"] == 1 and rows[0]["members"][0]["why"] == "revoked"' "the revoked invite"
OUT=$(invite_row "$XID")
json_check 'rows[0]["expired_joins"] == 1 and rows[0]["members"][0]["why"] == "expired"' "the expired join"
OUT=$(invite_row "$LID")
json_check 'rows[0]["joins"] == 1 and rows[0]["valid_joins"] == 1 and rows[0]["role"] == "learner"' "the typed invite"
run_ok "$F" invite --list
assert_contains "$OUT" "$MID  mentor   by fay" "the text list"
assert_contains "$OUT" "over-used: 3 joins of 2" "the text list's over-use"
assert_contains "$OUT" "join after revocation" "the text list's revocation"
assert_contains "$OUT" "expired join" "the text list's expiry"
assert_match "$OUT" "^  Max  joined .*  over-use$" "Max's line"
# a second record of the same id, later: the first creation holds
"$FORGE" --home "$F" invite "{\"id\":\"$MID\",\"role\":\"learner\",\"expires\":0,\"uses\":100}" >/dev/null ||
	fail "forge_entry could not write a second record of $MID"
OUT=$(invite_row "$MID")
json_check 'len(rows) == 1 and rows[0]["uses"] == 2 and rows[0]["role"] == "mentor"' "an invite named twice"

step "the role records reach the others"
start_serve "$B" --discovery off
run_ok "$F" sync "$ENDPOINT"
run_ok "$T/Mo" sync "$ENDPOINT"
stop_pid "$SERVE_PID"
assert_eq mentor "$(role_in "$T/Mo" Mo)" "Mo on his own node"
assert_eq mentor "$(role_in "$B" Mia)" "Mia on Ben's node"

step "another facilitator revokes; a learner's own invite record counts for nothing"
run_ok "$F" role Mia facilitator
run_ok "$F" invite --uses 5 --json
WID=$(json_field id)
# Ben, a learner, writes an invite record with a modified client, and
# someone joins with it (dated join on Fay's node, as a peer would bring)
"$FORGE" --home "$B" invite '{"id":"00000000000000aa","role":"mentor","expires":0,"uses":9}' >/dev/null ||
	fail "forge_entry could not write Ben's invite record"
printf '{"m":2,"kind":"profile","ts":%s,"payload":{"name":"Sneaky","role":"learner","invite":"00000000000000aa"}}\n' \
	"$(now_ms)" | "$STATS_GEN" --home "$F" --seed t65b >/dev/null ||
	fail "stats_gen could not write Sneaky's join"
start_serve "$B" --discovery off
run_ok "$F" sync "$ENDPOINT"
run_ok "$T/Mia" sync "$ENDPOINT"
run_ok "$T/Mia" invite --revoke "$WID"
run_ok "$T/Mia" sync "$ENDPOINT"
run_ok "$F" sync "$ENDPOINT"
stop_pid "$SERVE_PID"
OUT=$(invite_row "$WID")
json_check 'rows[0]["revoked"]' "Fay's invite, revoked by Mia"
run_ok "$F" invite --list --json
json_check 'not any(r["id"] == "00000000000000aa" for r in rows)' "Ben's invite record, listed"
assert_eq learner "$(role_in "$F" Sneaky)" "Sneaky, who joined with Ben's invite"

step "an invite id another facilitator names later is not theirs: their node gives no role by it"
run_ok "$F" invite --role mentor --json
YID=$(json_field id)
ZCODE=$(json_field code)
run_ok "$F" invite --uses 2 --json
ZID=$(json_field id)
run_ok "$T/zed" init --name Zed --join "$ZCODE"
start_serve "$B" --discovery off
run_ok "$F" sync "$ENDPOINT"
run_ok "$T/zed" sync "$ENDPOINT"
run_ok "$T/Mia" sync "$ENDPOINT"
stop_pid "$SERVE_PID"
# Mia (a facilitator) records Fay's id as her own mentor invite
"$FORGE" --home "$T/Mia" invite "{\"id\":\"$YID\",\"role\":\"mentor\",\"expires\":0,\"uses\":1}" >/dev/null ||
	fail "forge_entry could not write Mia's record of $YID"
before=$(own_seq "$T/Mia")
run_ok "$T/Mia" invite --list --json
assert_eq "" "$ERR" "Mia's --list gives no role"
assert_eq "$before" "$(own_seq "$T/Mia")" "Mia's feed after her --list"
assert_eq learner "$(role_in "$T/Mia" Zed)" "Zed on Mia's node"
OUT=$(grep "\"$YID\"" <<<"$OUT")
json_check 'len(rows) == 1 and rows[0]["issuer_name"] == "fay"' "whose invite $YID is on Mia's node"
# Fay's node, once it has Zed's join, gives the role at a revocation too
start_serve "$B" --discovery off
run_ok "$F" sync "$ENDPOINT"
stop_pid "$SERVE_PID"
run_ok "$F" invite --revoke "$ZID"
assert_contains "$ERR" "gave 1 member the role of the invite they joined with" "Fay's revocation gives Zed the role"
assert_eq mentor "$(role_in "$F" Zed)" "Zed on Fay's node"

step "help and completion"
run_ok "" help invite
assert_contains "$OUT" "or: stoa invite --sheet N --html FILE" "stoa help invite"
assert_contains "$OUT" "the invites made before then let no one in (--list says 'void'),
make new ones." "what a rotation does, in the help"
comp() { # WORDS...: what cli/stoa.bash offers for the last word
	PATH=$(dirname "$STOA"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stoa; echo "${COMPREPLY[*]}"' _ "$STOA_SRC/cli/stoa.bash" "$@"
}
assert_eq "learner mentor" "$(comp stoa invite --role "")" "completion of --role"
assert_eq "--reason --revoke --role" "$(comp stoa invite --r)" "completion of --r"
for o in --sheet --html --typed --qr --svg --list --uses --expires; do
	assert_contains "$(comp stoa invite --)" "$o" "completion of invite's options"
done

step "Fay's daemon gives the role when a joiner syncs with it"
run_ok "$F" invite --role mentor --json
DCODE=$(json_field code)
run_ok "$T/dee" init --name Dee --join "$DCODE"
start_serve "$F" --discovery off
run_ok "$T/dee" sync "$ENDPOINT"
dee_mentor() { [ "$(role_in "$F" Dee)" = mentor ]; }
wait_for "Fay's daemon to make Dee a mentor" 10 dee_mentor
log_has "$F.log" "gave 1 member the role of the invite they joined with" ||
	fail "the daemon did not say it gave the role"
run_ok "$T/dee" sync "$ENDPOINT"
assert_eq mentor "$(role_in "$T/dee" Dee)" "Dee on her own node"
stop_pid "$SERVE_PID"

step "a rotation makes the invites made before it void, and --list says so"
run_ok "$F" invite --uses 3 --json
OLDID=$(json_field id)
run_ok "$F" rotate --reason "t65: invites made before"
run_ok "$F" invite --uses 3 --json
NEWID=$(json_field id)
OUT=$(invite_row "$OLDID")
json_check 'rows[0]["epoch"] == 0 and rows[0].get("void") is True' "an invite made before the rotation"
OUT=$(invite_row "$NEWID")
json_check 'rows[0]["epoch"] == 1 and "void" not in rows[0]' "an invite made after it"
run_ok "$F" invite --list
assert_match "$OUT" "^$OLDID  learner .*  void: the secret was rotated since, its code lets no one in$" "the void invite's line"
assert_not_contains "$(grep "^$NEWID" <<<"$OUT")" "void" "the new invite's line"

ok
