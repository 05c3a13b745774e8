#!/usr/bin/env bash
# t70-shared-laptop: one node, several members (docs/cli.md, "stoa member").
# Laptop L holds Ana (its own member, no passphrase) and Ben (added, with his
# own passphrase); both write with --as and $STOA_AS; a third node T syncs
# with L's daemon and sees both members' posts and profiles, and L sees T's
# post; live, a post as Ben reaches T's daemon. A wrong passphrase for Ben is
# refused and Ana is unaffected; an unknown --as is one line listing L's
# members. Ben's key is exported (sealed), imported on a fourth node M
# (duplicate, wrong passphrase, another name and hostile files refused, one
# line each); Ben writes on M and on L at once, and after syncing `stoa
# verify` on T names Ben's fork in one line. Last, a member removed by the
# facilitator cannot write as such, nor be imported again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

unset STOA_PASSPHRASE STOA_NEW_PASSPHRASE STOA_AS
L=$T/laptop
TH=$T/tess
M=$T/mo
BEN_PW="ben's own words"
EXP_PW="for the other laptop"

step "laptop L: Ana founds the class; T and M join it"
run_ok "$L" init --name Ana --community "Class 4B"
run_ok "$L" invite
code=$OUT
run_ok "$TH" init --name Tess --join "$code"
run_ok "$M" init --name Mo --join "$code"
key_ana=$(key_of "$L")

step "member add: Ben on L, with his own passphrase; members/ is 0700, his key 0600"
STOA_PASSPHRASE=$BEN_PW run_ok "$L" member add --name Ben --passphrase
assert_match "$OUT" "^member Ben [0-9a-f]{64}$" "member add output"
key_ben=$(sed -n 's/^member Ben \([0-9a-f]*\)$/\1/p' <<<"$OUT")
assert_eq 700 "$(stat -c %a "$L/members")" "mode of members/"
assert_eq 600 "$(stat -c %a "$L/members/$key_ben")" "mode of Ben's key file"
assert_eq 154 "$(stat -c %s "$L/members/$key_ben")" "Ben's key file is sealed (v2)"
run_fail 1 "$L" member add --name "Cy"$'\n'"x"
run_fail 1 "$L" member add --name BEN
assert_eq "stoa: this node has a member called that already: choose another name" "$ERR" \
	"a second Ben on L"

step "whoami --all lists both: Ana the node's own, Ben with a passphrase"
run_ok "$L" whoami --all --json
assert_eq 2 "$(json_lines)" "members of L"
json_check "[(r['name'], r['key'], r['primary'], r['passphrase'], r['acting']) for r in rows] == [('Ana', '$key_ana', True, False, True), ('Ben', '$key_ben', False, True, False)]" \
	"whoami --all --json"
run_ok "$L" whoami --all
assert_match "$OUT" "^\* Ana +facilitator +1 entry +$key_ana  node$" "Ana's line"
assert_match "$OUT" "^  Ben +learner +1 entry +$key_ben  passphrase$" "Ben's line"
run_ok "$L" member list --json
assert_eq 2 "$(json_lines)" "member list"

step "Ana writes with --as and as the default; Ben with --as and STOA_AS"
run_ok "$L" --as ana post --topic maths "Ana's first question"
run_ok "$L" post --topic maths "Ana again, by default"
STOA_PASSPHRASE=$BEN_PW run_ok "$L" --as Ben post --topic maths "Ben answers"
STOA_AS=ben STOA_PASSPHRASE=$BEN_PW run_ok "$L" post --topic maths "Ben via STOA_AS"
STOA_AS=${key_ben:0:8} STOA_PASSPHRASE=$BEN_PW run_ok "$L" post "Ben by key prefix"
STOA_AS=Ben run_ok "$L" whoami --json
assert_eq "$key_ben" "$(json_field key)" "whoami as Ben"
assert_eq 4 "$(json_field seq)" "Ben's entries"
run_ok "$L" --as Ana whoami --json
assert_eq 3 "$(json_field seq)" "Ana's entries"

step "a wrong passphrase for Ben is refused; Ana is unaffected"
STOA_PASSPHRASE="not it" run_fail 1 "$L" --as Ben post "must not be signed"
assert_eq "stoa: wrong passphrase" "$ERR" "wrong passphrase for Ben"
STOA_PASSPHRASE="not it" run_ok "$L" --as Ana post "Ana needs no passphrase"
run_fail 1 "$L" --as Ben post "no passphrase at all"
assert_contains "$ERR" "passphrase of Ben's key" "the prompt names Ben"

step "an unknown or empty --as is one line listing L's members; serve refuses --as"
run_fail 1 "$L" --as Zed post "nobody"
assert_eq "stoa: 'Zed' is not a member of this node (its members: Ana, Ben)" "$ERR" \
	"unknown --as"
STOA_AS=Tess run_fail 1 "$L" feed
assert_contains "$ERR" "'Tess' is not a member of this node" "unknown STOA_AS"
run_fail 2 "$L" --as "" post x
run_fail 2 "$L" --as Ben serve
run_fail 2 "$L" --as Ben member list
STOA_AS=Zed run_ok "$L" member list --json # member names its own members
json_check "[r['acting'] for r in rows] == [True, False]" "member list ignores \$STOA_AS"
assert_eq 6 "$(count_posts "$L")" "posts on L (nothing written by the refusals)"

step "T syncs with L's daemon: both members' posts and profiles cross; T's post reaches L"
STOA_AS=Ben start_serve "$L" # $STOA_AS does not make the node Ben
EP_L=$ENDPOINT
run_ok "$TH" sync "$EP_L"
assert_eq 6 "$(count_posts "$TH")" "posts at T"
run_ok "$TH" members --json
json_check "sorted(r['name'] for r in rows) == ['Ana', 'Ben', 'Tess']" "profiles at T"
json_check "{r['key']: r['seq'] for r in rows if r['name'] != 'Tess'} == {'$key_ana': 4, '$key_ben': 4}" \
	"both feeds at T"
run_ok "$TH" post --topic maths "Tess asks too"
run_ok "$TH" sync "$EP_L"
has_posts() { [ "$(count_posts "$1")" = "$2" ]; }
wait_for "L to hold Tess's post" 10 has_posts "$L" 7

step "live: T serves dialing L; a post as Ben on L reaches T at once"
start_serve "$TH" --peer "$EP_L"
PID_T=$SERVE_PID
STOA_PASSPHRASE=$BEN_PW run_ok "$L" --as Ben post "Ben, live"
wait_for "Ben's live post at T" 10 has_posts "$TH" 8
run_ok "$TH" status --json
json_check "[p.get('node') for p in rows[0]['peers']] == ['$key_ana']" \
	"L announces one node: Ana's key, even under \$STOA_AS=Ben"
stop_pid "$PID_T"
forget_pid "$PID_T"

step "export Ben: a new file, 0600, sealed; the warning; never over a file"
STOA_PASSPHRASE=$BEN_PW STOA_NEW_PASSPHRASE=$EXP_PW \
	run_ok "$L" member export Ben "$T/ben.mbr"
assert_eq "exported Ben $key_ben to $T/ben.mbr" "$OUT" "export output"
assert_contains "$ERR" "using the same key on two nodes at once forks Ben's feed" \
	"export warning"
assert_eq 600 "$(stat -c %a "$T/ben.mbr")" "export file mode"
assert_eq 304 "$(stat -c %s "$T/ben.mbr")" "export file size (301 + 3)"
assert_eq "stoa-mbr" "$(head -c 8 "$T/ben.mbr")" "export file magic"
STOA_PASSPHRASE=$BEN_PW STOA_NEW_PASSPHRASE=$EXP_PW \
	run_fail 1 "$L" member export Ben "$T/ben.mbr"
assert_contains "$ERR" "already exists" "export over a file"
STOA_PASSPHRASE="not it" STOA_NEW_PASSPHRASE=$EXP_PW \
	run_fail 1 "$L" member export Ben "$T/ben2.mbr"
[ ! -e "$T/ben2.mbr" ] || fail "a refused export left a file"

step "import on M: wrong passphrase, another name, hostile files: one line each"
run_ok "$M" sync "$EP_L"
STOA_PASSPHRASE="not it" run_fail 1 "$M" member import "$T/ben.mbr"
assert_eq "stoa: wrong passphrase" "$ERR" "import with a wrong passphrase"
STOA_PASSPHRASE=$EXP_PW run_fail 1 "$M" member import "$T/ben.mbr" --name Tess
assert_contains "$ERR" "holds Ben's key, not Tess's" "import --name"
: >"$T/empty.mbr"
head -c 100 "$T/ben.mbr" >"$T/short.mbr"
head -c 303 "$T/ben.mbr" >"$T/short1.mbr"
head -c 304 /dev/urandom >"$T/random.mbr"
{ printf 'stoa-key'; tail -c +9 "$T/ben.mbr"; } >"$T/magic.mbr"
{ cat "$T/ben.mbr"; printf 'x'; } >"$T/long.mbr"
head -c 4096 /dev/zero >"$T/zeros.mbr"
"$PY" - "$T" <<'EOF'
import sys
t = sys.argv[1]
b = bytearray(open(t + "/ben.mbr", "rb").read())
def put(name, data):
    open(t + "/" + name, "wb").write(bytes(data))
v = bytearray(b); v[8] = 2; put("version.mbr", v)
c = bytearray(b); c[9] = 2; put("contents.mbr", c)
n = bytearray(b); n[42] = 200; put("namelen.mbr", n)
s = bytearray(b); s[50] ^= 1; put("seq.mbr", s)       # the head's seq
k = bytearray(b); k[86 + 8] = 1; put("keyver.mbr", k) # the key file's version
g = bytearray(b); g[-1] ^= 0x80; put("sig.mbr", g)
EOF
for f in empty short short1 random magic long zeros version contents namelen seq keyver sig; do
	STOA_PASSPHRASE=$EXP_PW run_fail 1 "$M" member import "$T/$f.mbr"
	assert_contains "$ERR" "$T/$f.mbr" "$f: the error names the file"
done
STOA_PASSPHRASE=$EXP_PW run_fail 1 "$M" member import "$T/nothing-here.mbr"
STOA_PASSPHRASE=$EXP_PW run_fail 1 "$M" member import "$T"
run_ok "$M" whoami --all --json
assert_eq 1 "$(json_lines)" "nothing imported by the refusals"

step "import Ben on M: the fork warning; a second import and one on L refused"
STOA_PASSPHRASE=$EXP_PW run_ok "$M" member import "$T/ben.mbr" --name ben
assert_eq "imported Ben $key_ben" "$OUT" "import output"
assert_eq "stoa: using the same key on two nodes at once forks Ben's feed: stop using it on the other laptop" \
	"$ERR" "import warning (M holds Ben's whole feed: no other line)"
STOA_PASSPHRASE=$EXP_PW run_fail 1 "$M" member import "$T/ben.mbr"
assert_eq "stoa: this node holds Ben's key already" "$ERR" "duplicate import"
STOA_PASSPHRASE=$EXP_PW run_fail 1 "$L" member import "$T/ben.mbr"
assert_eq "stoa: this node holds Ben's key already" "$ERR" "import where it came from"
run_ok "$M" whoami --all --json
json_check "[(r['name'], r['primary'], r['passphrase']) for r in rows] == [('Mo', True, False), ('Ben', False, True)]" \
	"M's members"

step "Ben writes on M and on L at once; after syncing, verify on T names the fork"
STOA_PASSPHRASE=$EXP_PW run_ok "$M" --as Ben post "Ben on the other laptop"
STOA_PASSPHRASE=$BEN_PW run_ok "$L" --as Ben post "Ben still on L"
run_ok "$TH" sync "$EP_L"
start_serve "$M"
PID_M=$SERVE_PID
run_ok "$TH" sync "$ENDPOINT"
run_fail_report 1 "$TH" verify
assert_match "$OUT" "^${key_ben:0:8} seq 6: fork: Ben \[${key_ben:0:8}\] signed two entries at seq 6 \(kept [0-9a-f]{8}, other [0-9a-f]{8}\): the same key wrote on two nodes at once; keep it on one only \('stoa member remove ${key_ben:0:8} --yes' on the other\)$" \
	"verify names Ben's fork"
assert_eq 1 "$(grep -c fork <<<"$OUT")" "one fork line"
run_fail_report 1 "$TH" verify --json
json_check "[(r['name'], r['seq']) for r in rows if r['type'] == 'problem'] == [('Ben', 6)]" \
	"verify --json names Ben"

step "Ben's branch on M grows; M syncs with L: L finds the fork too"
stop_pid "$PID_M"
forget_pid "$PID_M"
STOA_PASSPHRASE=$EXP_PW run_ok "$M" --as Ben post "Ben on M, again"
run_ok "$M" sync "$EP_L"
L_forked() {
	"$STOA" --home "$L" verify >"$T/lverify" 2>/dev/null && return 1
	grep -E "^${key_ben:0:8} seq 6: fork: Ben " "$T/lverify" >/dev/null
}
wait_for "L's verify to name Ben's fork" 10 L_forked

step "member remove: --yes needed, never the node's own; the feed stays"
run_fail 1 "$L" member remove Ben
assert_contains "$ERR" "add --yes" "remove without --yes"
run_fail 1 "$L" member remove Ana --yes
run_ok "$L" member remove ben --yes
[ ! -e "$L/members/$key_ben" ] || fail "Ben's key file is still on L"
run_fail 1 "$L" --as Ben post "gone from L"
assert_eq "stoa: 'Ben' is not a member of this node (its members: Ana)" "$ERR" \
	"--as a removed key"
run_ok "$L" members --json
json_check "any(r['name'] == 'Ben' and r['seq'] >= 6 for r in rows)" "Ben's feed stays on L"

step "a member the facilitator removes cannot write, nor be imported again"
run_ok "$L" member add --name Cy
run_ok "$L" --as Cy post "Cy was here"
STOA_NEW_PASSPHRASE=cy-pass run_ok "$L" member export Cy "$T/cy.mbr" --remove
assert_contains "$OUT" "removed Cy's key from this node" "export --remove"
STOA_PASSPHRASE=cy-pass run_ok "$L" member import "$T/cy.mbr"
run_ok "$L" remove Cy --reason "left the class"
STOA_PASSPHRASE=cy-pass run_fail 1 "$L" --as Cy post "after the removal"
assert_contains "$ERR" "removed from the community" "a removed member's write"
run_ok "$L" member remove Cy --yes
STOA_PASSPHRASE=cy-pass run_fail 1 "$L" member import "$T/cy.mbr"
assert_eq "stoa: the community removed Cy: their key cannot write here" "$ERR" \
	"import of a removed member"
ok
