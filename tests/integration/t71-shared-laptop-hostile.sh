#!/usr/bin/env bash
# t71-shared-laptop-hostile: a shared laptop's members/ as it may really be
# found (docs/cli.md, "stoa member"). A file there that cannot be used (bytes
# that are no key, a symbolic link, a directory, one key file others can
# read) stops only that member: the others still write, and `member list`
# lists every one, naming each bad file in one line. A $STOA_AS left in the
# shell that names nobody says it came from $STOA_AS; a key prefix too short
# says how long one must be. A name answers to what the list shows (no bidi
# control, no spaces around), so look-alikes of a member's name are refused. Four `member add` of one name at once: one
# takes it, the others are refused (--as must tell members apart). A pupil
# moved to another laptop writes on both: the laptop with the shorter branch
# records the fork in its own `stoa sync` (it waits for its fork probe).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

unset STOA_PASSPHRASE STOA_NEW_PASSPHRASE STOA_AS
L=$T/laptop

step "laptop L: the teacher and three pupils"
run_ok "$L" init --name Teacher --community "Class 5"
for p in Ana Ben Cy; do
	run_ok "$L" member add --name "$p"
done
key_ben=$(sed -n 's/^member Ben \([0-9a-f]*\)$/\1/p' < <("$STOA" --home "$L" member list --json |
	"$PY" -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    print("member", r["name"], r["key"])'))
[ -n "$key_ben" ] || fail "Ben's key not listed"

step "hostile files in members/: the other pupils still write"
bad1=$(printf 'c%.0s' {1..64})
bad2=$(printf 'd%.0s' {1..64})
bad3=$(printf 'e%.0s' {1..64})
head -c 74 /dev/urandom >"$L/members/$bad1"
chmod 600 "$L/members/$bad1"
ln -s "$L/key" "$L/members/$bad2"
mkdir "$L/members/$bad3"
chmod 644 "$L/members/$key_ben"
run_ok "$L" --as Ana post "Ana still writes"
STOA_AS=Cy run_ok "$L" post "Cy too"
run_fail 1 "$L" --as Ben post "Ben's key is readable by others"
assert_contains "$ERR" "chmod 600" "a loose key file says what to do"
run_fail 1 "$L" --as "${bad1:0:8}" post "no key"
assert_contains "$ERR" "not a stoa key file" "random bytes"
run_fail 1 "$L" --as "${bad2:0:8}" post "a link"
assert_contains "$ERR" "symbolic link" "a symlink"

step "member list lists everyone, each bad file in one line on stderr"
run_ok "$L" member list --json
assert_eq 7 "$(json_lines)" "members listed (4 good, 3 bad files, Ben's loose)"
json_check "sorted(r['key'] for r in rows if 'problem' in r) == sorted(['$key_ben', '$bad1', '$bad2', '$bad3'])" \
	"the problems are Ben's and the three planted files"
run_ok "$L" member list
assert_eq 4 "$(grep -c '^stoa: .* cannot act on this node until its key file is fixed or removed: ' "$T/err")" \
	"one line per bad file"
assert_contains "$(cat "$T/err")" "stoa: Ben cannot act on this node until its key file is fixed or removed: " \
	"Ben named"
assert_eq 4 "$(wc -l <"$T/err")" "nothing else on stderr"
run_ok "$L" whoami --all
chmod 600 "$L/members/$key_ben"
STOA_AS=ben run_ok "$L" post "Ben again"
# a bad file's member is removed like any (by its key prefix)
run_ok "$L" member remove "${bad1:0:8}" --yes
run_ok "$L" member remove "${bad2:0:8}" --yes
if [ -e "$L/members/$bad1" ] || [ -L "$L/members/$bad2" ]; then
	fail "member remove left a bad file"
fi
[ -f "$L/key" ] || fail "removing a link removed its target"
rm -rf "${L:?}/members/$bad3"

step "an unknown \$STOA_AS says it came from \$STOA_AS; a short prefix says how long"
STOA_AS=Zed run_fail 1 "$L" feed
assert_eq "stoa: \$STOA_AS: 'Zed' is not a member of this node (its members: Teacher, $("$STOA" --home "$L" member list --json |
	"$PY" -c 'import json,sys; print(", ".join(json.loads(l)["name"] for l in list(sys.stdin)[1:]))'))" \
	"$ERR" "unknown \$STOA_AS"
run_fail 1 "$L" --as Zed feed
assert_match "$ERR" "^stoa: 'Zed' is not a member" "unknown --as: no \$STOA_AS"
run_fail 1 "$L" --as "${key_ben:0:4}" feed
assert_contains "$ERR" "a key prefix needs 8 hex digits" "a 4-digit prefix"
run_ok "$L" --as "${key_ben:0:8}" whoami --json
assert_eq "$key_ben" "$(json_field key)" "an 8-digit prefix"

step "names that look alike are one name; a name answers to what is shown"
for n in " Ana" "ana " $'\xe2\x80\xaeAna'; do
	run_fail 1 "$L" member add --name "$n"
	assert_eq "stoa: this node has a member called that already: choose another name" \
		"$ERR" "a look-alike of Ana"
done
run_ok "$L" member add --name $'\xe2\x80\xaeEve'
run_ok "$L" --as Eve whoami --json
assert_eq $'\xe2\x80\xaeEve' "$(json_field name)" "--as what the list shows"

step "four member add of one name at once: one takes it"
pids=()
for i in 1 2 3 4; do
	"$STOA" --home "$L" member add --name Dana >"$T/add$i.out" 2>"$T/add$i.err" &
	pids+=($!)
	STOA_PIDS+=("$!")
done
took=0
for i in 1 2 3 4; do
	if wait "${pids[$((i - 1))]}"; then
		took=$((took + 1))
	else
		assert_eq "stoa: this node has a member called that already: choose another name" \
			"$(cat "$T/add$i.err")" "a refused add"
	fi
	forget_pid "${pids[$((i - 1))]}"
done
assert_eq 1 "$took" "adds that took the name"
run_ok "$L" --as Dana whoami --json
assert_eq Dana "$(json_field name)" "--as Dana is one member"

step "Ana moves to laptop M, writes there once and on L twice: M's sync records the fork"
run_ok "$L" invite
code=$OUT
M=$T/mo
run_ok "$M" init --name "Laptop M" --join "$code"
start_serve "$L"
run_ok "$M" sync "$ENDPOINT"
STOA_NEW_PASSPHRASE=move run_ok "$L" member export Ana "$T/ana.mbr"
key_ana=$(sed -n 's/^exported Ana \([0-9a-f]*\) to .*$/\1/p' <<<"$OUT")
assert_contains "$ERR" "stop using it here ('stoa member remove ${key_ana:0:8} --yes', or export with --remove)" \
	"the export's warning gives a command safe to paste"
STOA_PASSPHRASE=move run_ok "$M" member import "$T/ana.mbr"
STOA_PASSPHRASE=move run_ok "$M" --as Ana post "Ana on M"
run_ok "$L" --as Ana post "Ana on L, by mistake"
run_ok "$L" --as Ana post "and again"
# M is the shorter branch: it asks for L's entry at its own head (a fork
# probe), and `sync` ends only once the answer is in
run_ok "$M" sync "$ENDPOINT"
run_fail_report 1 "$M" verify
assert_match "$OUT" "fork: Ana \[[0-9a-f]{8}\] signed two entries at seq 3 " \
	"M's verify names Ana's fork"

step "import of a member whose name another member of M has: the key prefix to use"
run_ok "$M" member add --name Cy
STOA_NEW_PASSPHRASE=move run_ok "$L" member export Cy "$T/cy.mbr" --remove
key_cy=$(sed -n 's/^exported Cy \([0-9a-f]*\) to .*$/\1/p' <<<"$OUT")
STOA_PASSPHRASE=move run_ok "$M" member import "$T/cy.mbr"
assert_contains "$ERR" "stoa: another member of this node is called Cy too: write as this one with 'stoa --as ${key_cy:0:8}'" \
	"the import says how to tell the two Cys apart"
STOA_PASSPHRASE=move run_ok "$M" --as "${key_cy:0:8}" whoami --json
assert_eq "$key_cy" "$(json_field key)" "the imported Cy by its prefix"
ok
