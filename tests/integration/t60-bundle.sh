#!/usr/bin/env bash
# t60-bundle: entries carried by hand in files (docs/bundles.md), with no
# network and no daemon. stoa frontier lists and writes what a node
# holds; bundle create --for writes what that frontier lacks, bundle
# info reads a file's head, bundle apply stores it as a peer's runs:
# applying twice changes nothing; another community's bundle is refused
# with its message; a bundle cut short or with a flipped bit applies
# exactly the entries of the messages before the damage and names the
# byte (the message's start, read from the file's cleartext framing);
# what was stored before is never altered; hostile files (empty,
# random, a frontier, a directory, a symlink, a fifo) cost one line;
# and across a removal and a rotation the governance rules hold: a
# removed member's entries after the cut-off are cut, a removed
# member's own bundle is refused, a site on the old epoch gets a bundle
# under the old key only if the rotation names it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$(new_home ada "Bundle Circle")
run_ok "$A" invite
code=$OUT
B=$T/bo
C=$T/cy
run_ok "$B" init --name Bo --join "$code"
run_ok "$C" init --name Cy --join "$code"
D=$T/dan
run_ok "$D" init --name Dan --join "$code"
key_a=$(key_of "$A")
key_b=$(key_of "$B")

# frames FILE: "offset length" of each message after the 53-byte
# cleartext header (the lengths are cleartext: docs/formats.md)
frames() {
	"$PY" -S - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 53
while off + 4 <= len(d):
    (n,) = struct.unpack(">I", d[off:off + 4])
    print(off, 4 + n)
    off += 4 + n
EOF
}
# cut FILE N OUT: the first N bytes of FILE into OUT
cut_file() { head -c "$2" "$1" >"$3"; }
# flip FILE OFF OUT: FILE with byte OFF xor 0x01 into OUT
flip() {
	"$PY" -S - "$@" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[int(sys.argv[2])] ^= 1
open(sys.argv[3], "wb").write(d)
EOF
}
# fresh NAME: a copy of Bo's home as it stood before any bundle (a
# target to damage: 3 entries)
fresh() {
	rm -rf "${T:?}/$1"
	cp -a "$T/b0" "$T/$1"
	printf '%s\n' "$T/$1"
}

step "Ada writes 12 long posts (several messages of a bundle), Bo 2"
long=$("$PY" -S -c 'print("lorem ipsum dolor " * 1100)')
for i in $(seq 1 12); do
	run_ok "$A" post --topic a "$i: $long"
done
run_ok "$B" post --topic b "Bo one"
run_ok "$B" post --topic b "Bo two"

step "frontier: printed, and written as a file that info reads"
run_ok "$B" frontier
assert_match "$OUT" "^$key_b  3  [0-9a-f]{64}$" "Bo's frontier line"
run_ok "$B" frontier --json
json_check "len(rows) == 1 and rows[0]['seq'] == 3 and rows[0]['author'] == '$key_b'" "frontier --json"
run_ok "$B" frontier "$T/bo.stf"
assert_contains "$OUT" "frontier of 1 feed (3 entries) written to" "frontier FILE"
[ "$(stat -c %a "$T/bo.stf")" = 600 ] || fail "a frontier file is not 0600"
run_ok "$B" frontier "$T/bo-j.stf" --json
json_check "rows[0] == {'type': 'frontier', 'file': '$T/bo-j.stf', 'feeds': 1, 'entries': 3, 'bytes': $(stat -c %s "$T/bo-j.stf")}" "frontier FILE --json"
run_ok "$A" bundle info "$T/bo.stf" --json
json_check "rows[0]['kind'] == 'frontier' and rows[0]['name'] == 'Bo' and rows[0]['creator'] == '$key_b' and rows[0]['feeds'] == [{'author': '$key_b', 'from': 1, 'to': 3}]" "info of a frontier"
if grep -qa "$key_b" "$T/bo.stf"; then
	fail "the frontier file shows its content in the clear"
fi

step "create --for: what Bo lacks (Ada's 13 entries), info without applying"
run_ok "$A" bundle create "$T/a2b.stb" --for "$T/bo.stf"
assert_contains "$OUT" "13 entries in 1 feed" "create --for"
assert_contains "$OUT" "for Bo" "create --for names the site"
if grep -qa "lorem" "$T/a2b.stb"; then fail "a bundle shows its entries in the clear"; fi
run_ok "$A" bundle info "$T/a2b.stb"
assert_contains "$OUT" "bundle of Bundle Circle, epoch 0" "info"
assert_contains "$OUT" "made by ada" "info names the maker"
assert_match "$OUT" "seq 1\.\.13 \(13\)$" "info lists the feed"
run_ok "$A" bundle info "$T/a2b.stb" --json
json_check "rows[0]['entries'] == 13 and rows[0]['for'] == '$key_b' and len(rows[0]['feeds']) == 1" "info --json"
assert_eq 3 "$(store_entries "$B")" "Bo's store after info (nothing applied)"
run_ok "$A" bundle create "$T/a-all.stb" --json
json_check "rows[0]['entries'] == 13 and rows[0]['feeds'] == 1 and 'for' not in rows[0]" "create without --for"

step "progress: a bar on a terminal, nothing when stderr is not one"
cp -a "$B" "$T/tty"
bar=$(on_tty "$T/tty.out" "$STOA" --home "$T/tty" bundle apply "$T/a2b.stb")
assert_match "$bar" "stoa: applying \[#+\] 100% 13/13 entries, [0-9.]+ kB of [0-9.]+ kB, [0-9,]+/s" "apply's bar on a terminal"
assert_contains "$(<"$T/tty.out")" "13 new entries" "apply's summary with the bar"
bar=$(on_tty "$T/tty.out" "$STOA" --home "$A" bundle create "$T/tty.stb")
assert_match "$bar" "stoa: bundling \[#+\] 100% 13/13 entries" "create's bar on a terminal"
rm -rf "$T/tty"

step "frames: the bundle has several messages"
mapfile -t fr < <(frames "$T/a2b.stb")
[ "${#fr[@]}" -ge 6 ] || fail "expected 6+ messages (head, feeds, 4+ runs, end), got ${#fr[@]}"
last=${fr[-1]}
size=$(stat -c %s "$T/a2b.stb")
[ $((${last% *} + ${last#* })) -eq "$size" ] || fail "the frames do not end at the file's end"

step "apply: 13 new; applying again changes nothing"
cp -a "$B" "$T/b0"
run_ok "$B" bundle apply "$T/a2b.stb"
assert_eq "13 new entries in 1 feed (0 already held); 0 refused" "$OUT" "apply"
assert_eq "" "$ERR" "apply's stderr when it is not a terminal"
run_ok "$B" verify
d1=$(view_digest "$B")
assert_eq 16 "$(store_entries "$B")" "Bo's store after apply"
run_ok "$B" bundle apply "$T/a2b.stb" --json
json_check "rows[0]['new'] == 0 and rows[0]['held'] == 13 and rows[0]['refused'] == 0 and rows[0]['damaged'] is None" "apply again --json"
assert_eq "$d1" "$(view_digest "$B")" "Bo's view after the second apply"
run_ok "$A" bundle apply "$T/a2b.stb"
assert_eq "0 new entries in 0 feeds (13 already held); 0 refused" "$OUT" "Ada applies her own bundle"
run_ok "$C" bundle apply "$T/a-all.stb"
run_ok "$B" bundle create "$T/b-all.stb"
run_ok "$C" bundle apply "$T/b-all.stb"
run_ok "$A" bundle apply "$T/b-all.stb"
assert_contains "$OUT" "3 new entries in 1 feed (13 already held)" "Ada takes Bo's bundle of everything"
assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "Ada's and Bo's views"
run_ok "$C" bundle create "$T/c-early.stb"
run_ok "$A" bundle apply "$T/c-early.stb"
assert_contains "$OUT" "1 new entry in 1 feed (16 already held)" "Ada takes Cy's profile"

step "another community's bundle and frontier are refused with one line"
X=$(new_home xena "Other Circle")
run_ok "$X" post --topic x "elsewhere"
run_ok "$X" bundle create "$T/x.stb"
run_ok "$X" frontier "$T/x.stf"
run_fail 1 "$A" bundle apply "$T/x.stb"
assert_eq "stoa: this bundle belongs to another community" "$ERR" "apply of another community's bundle"
run_fail 1 "$A" bundle info "$T/x.stb"
assert_eq "stoa: this bundle belongs to another community" "$ERR" "info of another community's bundle"
run_fail 1 "$A" bundle create "$T/no.stb" --for "$T/x.stf"
assert_eq "stoa: this bundle belongs to another community" "$ERR" "--for another community's frontier"
[ ! -e "$T/no.stb" ] || fail "a bundle was written for another community's frontier"

step "cut short at every message boundary and inside messages"
# entries of the messages before each frame: counted by applying the
# file cut at the end of each frame in turn (monotone, 13 at the end)
prev=0
for i in "${!fr[@]}"; do
	off=${fr[$i]% *}
	[ "$i" -ge 2 ] || continue # inside the head: nothing is applied
	for at in "$off" $((off + 3)) $((off + 40)); do
		[ "$at" -lt "$size" ] || continue
		H=$(fresh "cut$at")
		cut_file "$T/a2b.stb" "$at" "$T/cut.stb"
		run_fail_report 1 "$H" bundle apply "$T/cut.stb"
		assert_match "$ERR" "^stoa: '$T/cut.stb' is cut short at byte $at \(after entry [0-9]+ of 13\): the [0-9]+ entries before it were applied$" "cut at $at"
		n=$(sed -n 's/.*after entry \([0-9]*\) of.*/\1/p' <<<"$ERR")
		[ "$n" -ge "$prev" ] || fail "cut at $at applied $n entries, fewer than $prev at an earlier cut"
		[ "$at" -ne "$off" ] || prev=$n
		assert_eq "$((3 + n))" "$(store_entries "$H")" "entries stored after the cut at $at"
		assert_contains "$OUT" "$n new entries" "apply's summary of the cut at $at"
		run_ok "$H" verify
	done
done
# cut right before END: all 13 applied, still not whole
assert_eq 13 "$prev" "entries applied from a file cut before its END"
H=$(fresh cuthead)
cut_file "$T/a2b.stb" 30 "$T/cut.stb"
run_fail 1 "$H" bundle apply "$T/cut.stb"
assert_eq "stoa: '$T/cut.stb' is cut short at byte 30 (its header is 53 bytes)" "$ERR" "a cut inside the cleartext header"
cut_file "$T/a2b.stb" $((${fr[1]% *} + 10)) "$T/cut.stb"
run_fail 1 "$H" bundle apply "$T/cut.stb"
assert_match "$ERR" "^stoa: '$T/cut.stb' is cut short at byte [0-9]+, inside its head$" "a cut inside the feed list"
assert_eq 3 "$(store_entries "$H")" "entries stored from a head cut short"

step "a flipped bit: applied up to the message it is in, which is named"
for i in "${!fr[@]}"; do
	off=${fr[$i]% *}
	len=${fr[$i]#* }
	for at in $((off + 4)) $((off + len / 2)) $((off + len - 1)); do
		H=$(fresh "flip$at")
		flip "$T/a2b.stb" "$at" "$T/flip.stb"
		stoa_run "$H" bundle apply "$T/flip.stb"
		[ "$RC" -eq 1 ] || fail "a bit flipped at $at: exit $RC"
		if [ "$i" -lt 2 ]; then
			# the head (or feed list): nothing applied, one line
			assert_eq "stoa: '$T/flip.stb' is damaged at byte $off: a message does not open (altered)" "$ERR" "flip at $at (head)"
			[ -z "$OUT" ] || fail "flip at $at in the head printed on stdout"
			assert_eq 3 "$(store_entries "$H")" "entries after a flip in the head"
			continue
		fi
		if [ "$i" -eq $((${#fr[@]} - 1)) ]; then
			# the END: every entry applied, the file still damaged
			assert_eq "stoa: '$T/flip.stb' is damaged at byte $off (after its last entry: a message does not open (altered)): its 13 entries were applied" "$ERR" "flip at $at (the end)"
			assert_eq 16 "$(store_entries "$H")" "entries after a flip in the end"
			continue
		fi
		assert_match "$ERR" "^stoa: '$T/flip.stb' is damaged at byte $off \(entry [0-9]+ of 13: .*\): the [0-9]+ entries before it were applied$" "flip at $at (message at $off)"
		n=$(sed -n 's/.*: the \([0-9]*\) entries before it were applied$/\1/p' <<<"$ERR")
		assert_eq "$((3 + n))" "$(store_entries "$H")" "entries stored with a flip at $at"
		run_ok "$H" verify
	done
done
# the length field of the third message: its frame is damaged there
off=${fr[3]% *}
flip "$T/a2b.stb" "$off" "$T/flip.stb"
H=$(fresh flipl)
run_fail_report 1 "$H" bundle apply "$T/flip.stb"
assert_match "$ERR" "is damaged at byte $off \(entry [0-9]+ of 13: " "a flipped length"
# the cleartext header: magic, version, epoch, tag
flip "$T/a2b.stb" 0 "$T/flip.stb"
run_fail 1 "$H" bundle apply "$T/flip.stb"
assert_eq "stoa: '$T/flip.stb' is not a stoa bundle or frontier file" "$ERR" "a flipped magic"
flip "$T/a2b.stb" 8 "$T/flip.stb"
run_fail 1 "$H" bundle apply "$T/flip.stb"
assert_eq "stoa: '$T/flip.stb' is a bundle of version 0; this stoa reads version 1" "$ERR" "a flipped version"
flip "$T/a2b.stb" 20 "$T/flip.stb"
run_fail 1 "$H" bundle apply "$T/flip.stb"
assert_eq "stoa: this bundle belongs to another community" "$ERR" "a flipped tag"
flip "$T/a2b.stb" 12 "$T/flip.stb"
run_fail 1 "$H" bundle apply "$T/flip.stb"
assert_match "$ERR" "^stoa: this bundle belongs to another community, or to epoch 1 of this one, which this node has not reached yet" "a flipped epoch"
flip "$T/a2b.stb" 40 "$T/flip.stb"
run_fail 1 "$H" bundle apply "$T/flip.stb"
assert_eq "stoa: '$T/flip.stb' is damaged at byte 53: a message does not open (altered)" "$ERR" "a flipped stream header"
# bytes after the end
cat "$T/a2b.stb" >"$T/tail.stb"
printf 'x' >>"$T/tail.stb"
H=$(fresh tail)
run_fail_report 1 "$H" bundle apply "$T/tail.stb"
assert_eq "stoa: '$T/tail.stb' is damaged at byte $size (after its last entry: bytes after its end): its 13 entries were applied" "$ERR" "bytes after the end"
assert_eq 16 "$(store_entries "$H")" "entries of a bundle with bytes after its end"

step "what a node holds is never altered by a damaged bundle"
dB=$(view_digest "$B")
for f in "$T/cut.stb" "$T/flip.stb" "$T/tail.stb"; do
	stoa_run "$B" bundle apply "$f"
	[ "$RC" -eq 1 ] || fail "apply of $f exited $RC"
done
flip "$T/a2b.stb" $((${fr[4]% *} + 50)) "$T/flip.stb"
run_fail_report 1 "$B" bundle apply "$T/flip.stb"
assert_eq "$dB" "$(view_digest "$B")" "Bo's view after damaged bundles"
run_ok "$B" verify

step "hostile files: one line each, nothing stored"
: >"$T/empty.stb"
run_fail 1 "$B" bundle apply "$T/empty.stb"
assert_eq "stoa: '$T/empty.stb' is not a stoa bundle or frontier file" "$ERR" "an empty file"
head -c 5000 /dev/urandom >"$T/random.stb"
run_fail 1 "$B" bundle apply "$T/random.stb"
assert_eq "stoa: '$T/random.stb' is not a stoa bundle or frontier file" "$ERR" "random bytes"
{ printf 'stoa-bnd\001'; head -c 5000 /dev/urandom; } >"$T/random2.stb"
run_fail 1 "$B" bundle apply "$T/random2.stb"
assert_match "$ERR" "^stoa: this bundle belongs to another community" "random bytes after a magic"
run_fail 1 "$B" bundle apply "$T/bo.stf"
assert_eq "stoa: '$T/bo.stf' is a frontier file, not a bundle: give it to \`stoa bundle create --for\`" "$ERR" "a frontier given to apply"
run_fail 1 "$A" bundle create "$T/no.stb" --for "$T/a2b.stb"
assert_contains "$ERR" "is a bundle, not a frontier file" "a bundle given to --for"
mkdir "$T/dir.stb"
run_fail 1 "$B" bundle apply "$T/dir.stb"
assert_eq "stoa: '$T/dir.stb' is not a regular file" "$ERR" "a directory"
run_fail 1 "$A" bundle create "$T/dir.stb"
assert_contains "$ERR" "is not a regular file: it would not be replaced" "create over a directory"
mkfifo "$T/fifo.stb"
run_fail 1 "$B" bundle apply "$T/fifo.stb"
assert_eq "stoa: '$T/fifo.stb' is not a regular file" "$ERR" "a fifo"
ln -s "$T/dir.stb" "$T/link.stb"
run_fail 1 "$B" bundle apply "$T/link.stb"
assert_eq "stoa: '$T/link.stb' is not a regular file" "$ERR" "a symlink to a directory"
run_fail 1 "$A" bundle create "$T/link.stb"
assert_contains "$ERR" "is not a regular file: it would not be replaced" "create over a symlink"
ln -s "$T/a2b.stb" "$T/good-link.stb"
run_ok "$B" bundle apply "$T/good-link.stb"
assert_contains "$OUT" "0 new entries in 0 feeds (13 already held)" "a symlink to a bundle"
run_fail 1 "$B" bundle apply "$T/missing.stb"
assert_match "$ERR" "^stoa: cannot read '$T/missing.stb': No such file" "a missing file"
run_fail 2 "$B" bundle apply
run_fail 2 "$B" bundle apply a b
run_fail 2 "$B" bundle frob
run_fail 2 "$B" bundle info x --for y
run_fail 2 "$B" frontier a b
assert_eq "$dB" "$(view_digest "$B")" "Bo's view after the hostile files"

step "a removal: a later entry of the removed member is cut, his bundle refused"
# Bo writes twice more; Cy takes them before anyone holds the removal
run_ok "$B" post --topic b "Bo three"
run_ok "$B" post --topic b "Bo four"
run_ok "$B" bundle create "$T/b-late.stb"
run_ok "$C" bundle apply "$T/b-late.stb"
assert_contains "$OUT" "2 new entries" "Cy takes Bo's later posts"
run_ok "$A" remove Bo --reason "left the school"
run_ok "$A" whoami --json
json_check "rows[0]['epoch'] == 1" "Ada on epoch 1 after the removal"
run_ok "$C" bundle create "$T/c-all.stb"
run_ok "$A" bundle apply "$T/c-all.stb" --json
json_check "rows[0]['refused'] == 2 and rows[0]['refusals'][0]['cut'] and rows[0]['refusals'][0]['author'] == '$key_b' and rows[0]['epoch'] == 0" "Bo's later posts cut at Ada"
run_ok "$A" bundle apply "$T/c-all.stb"
assert_match "$OUT" "^  [0-9a-f]{8} Bo: 2 cut: its author was removed" "the cut said per feed"
run_ok "$A" feed --json --limit 100
assert_not_contains "$OUT" "Bo three" "Ada's feed after the cut"
run_fail 1 "$A" bundle apply "$T/b-late.stb"
assert_eq "stoa: '$T/b-late.stb' was made by a member removed from the community: nothing is applied" "$ERR" "a removed member's bundle"
run_ok "$A" verify

step "a rotation: a site on the old epoch gets it under the old key if named"
run_ok "$A" post --topic a "Ada after the rotation"
run_ok "$A" bundle create "$T/a-new.stb"
run_fail 1 "$C" bundle apply "$T/a-new.stb"
assert_match "$ERR" "^stoa: this bundle belongs to another community, or to epoch 1 of this one, which this node has not reached yet" "an epoch-1 bundle at Cy on epoch 0"
run_ok "$C" frontier "$T/cy.stf"
run_ok "$A" bundle create "$T/a2c.stb" --for "$T/cy.stf" --json
json_check "rows[0]['epoch'] == 0 and rows[0]['entries'] >= 1" "Ada's bundle for Cy under epoch 0"
run_ok "$C" bundle apply "$T/a2c.stb"
assert_contains "$ERR" "moved to epoch 1 of the community secret" "Cy adopts the rotation from the bundle"
run_ok "$C" feed --json --limit 100
assert_not_contains "$OUT" "Ada after the rotation" "Cy's feed from a bundle under the old key (cut at the rotation)"
run_ok "$C" bundle apply "$T/a-new.stb"
run_ok "$C" feed --json --limit 100
assert_contains "$OUT" "Ada after the rotation" "Cy's feed once on the new epoch"
run_ok "$B" frontier "$T/bo2.stf"
run_fail 1 "$A" bundle create "$T/a2b2.stb" --for "$T/bo2.stf"
assert_eq "stoa: the site of this frontier is a member removed from the community: nothing is sent to it" "$ERR" "a bundle for the removed member's site"
[ ! -e "$T/a2b2.stb" ] || fail "a bundle was written for a removed member"
# Dan joined with the old invite and was never seen by Ada before the
# rotation: not named in it, not removed
run_ok "$D" frontier "$T/dan.stf"
run_fail 1 "$A" bundle create "$T/a2d.stb" --for "$T/dan.stf"
assert_contains "$ERR" "is on epoch 0 and its member is not named in the rotation" "a bundle for a site the rotation does not name"
assert_eq "$(view_digest "$A")" "$(view_digest "$C")" "Ada's and Cy's views after the bundles"
ok
