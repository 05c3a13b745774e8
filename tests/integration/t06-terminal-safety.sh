#!/usr/bin/env bash
# t06-terminal-safety: text other people wrote must never reach a terminal
# with control characters in it (escape sequences, BEL, CR, C1 controls,
# bidi overrides, invalid UTF-8) in any command that prints (feed, show,
# search, members, whoami, mentor list, verify, status, invite, errors, and
# the daemon's log), while --json keeps the exact text, escaped.
#
# Locally typed text with control characters is refused by the CLI, so the
# hostile text a peer could send (the payload format accepts it on purpose)
# is put into the view tables with the sqlite3 CLI, which is what the
# printers read; without sqlite3 only the local half runs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# the hostile_peer tool (CTest sets HOSTILE; the name is reused below)
HOSTILE_PEER=${HOSTILE:-$(dirname "$STOA")/tests/hostile_peer}
ESC=$'\033'
BEL=$'\a'
CR=$'\r'
RLO=$'\xe2\x80\xae'
HOSTILE="red${ESC}[31mtext${BEL}bell${CR}cr${RLO}rlo"

A=$(new_home ada "Maths Circle")
run_ok "$A" post --topic fractions --title "Halves" "A half is one of two equal parts."
p1=$OUT

# all_text_outputs DIR: every text-mode read command; each must be clean.
all_text_outputs() {
	local dir=$1 cmd
	for cmd in "feed" "feed --limit 100000" "show $p1" "search halves" \
		"search fractions" "members" "whoami" "mentor list" "verify" \
		"status" "invite"; do
		# shellcheck disable=SC2086
		run_ok "$dir" $cmd
		assert_clean_text "$T/out" "'stoa $cmd' stdout"
		assert_clean_text "$T/err" "'stoa $cmd' stderr"
	done
}

# all_json_outputs DIR: every --json read command must be JSON lines with
# no raw C0 control (ESC, BEL, CR...: JSON escapes them, \u001b); the exact
# text survives the round trip (checked below). Raw C1 controls (U+0080..
# U+009F) and bidi controls (U+202E...) are valid JSON, but a line shown in
# a terminal can be reinterpreted or display reordered, so they must be
# escaped too; that failure is collected and reported at the end, so the
# rest of the test still runs. (DEL, 0x7f, is left alone: JSON allows it
# and terminals ignore it.)
JSON_RAW=
all_json_outputs() {
	local dir=$1 cmd
	for cmd in "feed --json" "show --json $p1" "search --json halves" \
		"members --json" "whoami --json" "mentor list --json" "verify --json" \
		"status --json" "invite --json"; do
		# shellcheck disable=SC2086
		run_ok "$dir" $cmd
		json_check 'True' "'stoa $cmd' is JSON lines"
		"$PY" -S - "$T/out" <<'EOF' || fail "'stoa $cmd' prints a raw C0 control character"
import sys
data = open(sys.argv[1], "rb").read()
sys.exit(1 if [b for b in data if b < 0x20 and b != 0x0a] else 0)
EOF
		if ! "$PY" -S - "$T/out" <<'EOF'; then
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(1 if [c for c in text if 0x80 <= ord(c) <= 0x9f or
               ord(c) in (0x200e, 0x200f, 0x061c) or
               0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
         else 0)
EOF
			JSON_RAW="$JSON_RAW '$cmd'"
		fi
	done
}

step "a post with ESC, BEL or CR in its body is refused (one line) or stored"
seq0=$(stoa_run "$A" whoami --json; json_field seq)
for body in "a${ESC}[31mred" "bell${BEL}" "carriage${CR}return" "$HOSTILE"; do
	stoa_run "$A" post "$body"
	if [ "$RC" -ne 0 ]; then
		[ "$RC" -eq 1 ] || fail "post with a control character exited $RC"
		check_error_lines 1 "post with a control character"
		assert_clean_text "$T/err" "error message"
	fi
done
for opt in --topic --title; do
	stoa_run "$A" post "$opt" "x${ESC}[2Jy" "body"
	if [ "$RC" -ne 0 ]; then
		[ "$RC" -eq 1 ] || fail "post $opt with ESC exited $RC"
		check_error_lines 1 "post $opt with ESC"
	fi
done
seq1=$(stoa_run "$A" whoami --json; json_field seq)
echo "  $((seq1 - seq0)) of 6 posts with control characters were stored"

step "a post with a right-to-left override in body, title and topic"
run_ok "$A" post --topic "t${RLO}opic" --title "ti${RLO}tle" "bo${RLO}dy halves"
prlo=$OUT
run_ok "$A" feed
assert_contains "$OUT" "body halves" "feed with the override removed"
assert_contains "$OUT" "title" "feed with the override removed"
assert_contains "$OUT" "#topic" "feed with the override removed"
run_ok "$A" show --json "$prlo"
json_check "rows[0]['body'] == 'bo\u202edy halves' and rows[0]['title'] == 'ti\u202etle' and rows[0]['topic'] == 't\u202eopic'" "exact text in --json"

step "init with an escape in the name: refused (one line) or stored"
stoa_run "$T/esc" init --name "Eve${ESC}[2J${BEL}" --community "Evil${ESC}[31m"
if [ "$RC" -eq 0 ]; then
	assert_clean_text "$T/out" "init output"
	all_text_outputs "$T/esc"
else
	[ "$RC" -eq 1 ] || [ "$RC" -eq 2 ] || fail "init with an escape exited $RC"
	check_error_lines "$RC" "init with an escape"
	assert_clean_text "$T/err" "init error"
	[ ! -e "$T/esc/key" ] || fail "a refused init left a key"
fi
stoa_run "$T/rlo" init --name "Ev${RLO}e" --community "Co${RLO}m"
if [ "$RC" -eq 0 ]; then
	assert_clean_text "$T/out" "init output"
	run_ok "$T/rlo" whoami
	assert_clean_text "$T/out" "whoami"
	assert_contains "$OUT" "Eve (facilitator)" "whoami with the override removed"
	assert_contains "$OUT" "Com" "whoami with the override removed"
else
	check_error_lines "$RC" "init with an override"
fi

step "text outputs are clean (local text)"
all_text_outputs "$A"
all_json_outputs "$A"

step "error messages that quote what was typed are clean"
for args in "feed --author x${ESC}[31m" "show ${ESC}[2J" "kudos x${ESC}]0;t${BEL} --badge b" \
	"mentor x${ESC}[2J" "x${ESC}[2Jcmd" "feed --x${ESC}[2J" "help x${ESC}[2J" "search --limit 1${ESC}"; do
	# shellcheck disable=SC2086
	stoa_run "$A" $args
	[ "$RC" -ne 0 ] || fail "'$args' succeeded"
	assert_clean_text "$T/err" "stderr of a refused command"
	check_error_lines "$RC" "refused command"
done

if ! have_sqlite3; then
	echo "  skipped: text from other members (no sqlite3 CLI)"
	ok
	exit 0
fi

step "(hostile peer text) a second member, a pairing, kudos"
run_ok "$A" mentor offer fractions
offer=$OUT
run_ok "$A" invite
B=$T/bo
run_ok "$B" init --name Bo --join "$OUT"
bkey=$(stoa_run "$B" whoami --json; json_field key)
copy_entries "$A" "$B"
run_ok "$B" mentor accept "$offer"
pairing=$OUT
run_ok "$B" mentor session "$pairing" --minutes 20 --goals "goals" --progress "progress" "notes"
run_ok "$B" reply "$p1" "a reply from Bo"
run_ok "$B" feedback "$p1" --rating 3 "a comment from Bo"
run_ok "$B" mentor request geometry
copy_entries "$B" "$A"
run_ok "$A" kudos Bo --badge helper "a reason"

step "(hostile peer text) control characters put into every text column of the view"
# Every text a member writes, as the view holds it: names, topics, titles,
# bodies, comments, goals, progress, badges. Valid UTF-8 (jansson would not
# build rows otherwise), full of controls: ESC sequences (CSI, OSC), BEL,
# CR, backspace, DEL, C1 CSI (U+009B) and bidi overrides (U+202E, U+2066).
H="'x' || char(27) || '[31mred' || char(27) || ']0;title' || char(7) || char(13) || 'cr' || char(8) || char(127) || char(155) || '1m' || char(8238) || 'rlo' || char(8294) || 'iso' || char(9) || 'tab'"
sql "$A/store.db" <<EOF || fail "cannot write hostile text into the view"
.bail on
UPDATE profiles SET name = $H || name, bio = $H;
UPDATE posts SET body = $H || body || char(10) || $H, title = $H, topic = $H || topic;
INSERT INTO posts_fts(posts_fts) VALUES('rebuild');
UPDATE feedback SET comment = $H;
UPDATE asks SET topic = $H || topic;
UPDATE sessions SET goals = $H, progress = $H, notes = $H;
UPDATE kudos SET badge = $H, reason = $H;
UPDATE closes SET reason = $H;
EOF
run_ok "$A" feed
assert_contains "$OUT" "x[31mred]0;titlecr1mrloiso tab" "feed with the controls removed (tab as a space)"
assert_not_contains "$OUT" "$ESC" "feed"
all_text_outputs "$A"
run_ok "$A" feed --author "${bkey:0:8}"
assert_clean_text "$T/out" "feed --author"
run_ok "$A" search parts
assert_clean_text "$T/out" "search"
[ -n "$OUT" ] || fail "search for a word of a hostile post found nothing"

step "(hostile peer text) --json keeps the exact text, escaped"
all_json_outputs "$A"
run_ok "$A" show --json "$p1"
json_check "rows[0]['title'].startswith('x\x1b[31mred\x1b]0;title\x07\rcr\x08\x7f\u009b1m\u202erlo\u2066iso\ttab')" "exact title in --json"
[[ ${OUT,,} == *'\u001b'* ]] || fail "show --json does not hold ESC as \\u001b"
[[ ${OUT,,} == *'\u0007'* ]] || fail "show --json does not hold BEL as \\u0007"
[[ ${OUT,,} == *'\r'* || ${OUT,,} == *'\u000d'* ]] || fail "show --json does not hold CR escaped"

step "(hostile peer text) invalid UTF-8 in the view: dropped, never printed raw"
# Payloads are JSON, which jansson refuses unless it is UTF-8, so no peer
# can store this; a damaged store must still print harmlessly.
sql "$A/store.db" <<EOF || fail "cannot write invalid UTF-8 into the view"
.bail on
UPDATE profiles SET bio = CAST(X'62696FFF9B' AS TEXT);
UPDATE posts SET title = CAST(X'41FF42C29B43E280AE44' AS TEXT) WHERE id = (SELECT min(id) FROM posts);
UPDATE kudos SET badge = CAST(X'FE626164' AS TEXT);
EOF
all_text_outputs "$A"
all_json_outputs "$A"

if [ -x "$HOSTILE_PEER" ]; then
	step "(hostile peer text) an ERROR from a peer reaches the daemon's log cleaned"
	start_serve "$A"
	"$HOSTILE_PEER" --home "$B" --endpoint "$ENDPOINT" --mode errortext --wait 1000 \
		>"$T/hostile.out" 2>"$T/hostile.err" ||
		fail "hostile_peer --mode errortext failed: $(cat "$T/hostile.err")"
	logged() { grep -q "HOSTILE" "$A.log"; }
	wait_for "Ada's log to show the peer's ERROR" 5 logged
	assert_clean_text "$A.log" "the daemon's log"
	assert_contains "$(grep -a HOSTILE "$A.log")" \
		"peer says: HOSTILE[2J]0;titlecr31m?1mrlo?? end" "the cleaned ERROR text"
	run_ok "$A" status
	assert_clean_text "$T/out" "status with a peer"
	run_ok "$A" status --json
	json_check "rows[0]['running'] is True" "status --json while serving"
	stop_pid "$SERVE_PID"
else
	echo "  skipped: a peer's ERROR in the log (no hostile_peer tool)"
fi

if [ -n "$JSON_RAW" ]; then
	fail "raw C1 or bidi controls (U+009B, U+202E...) in the --json output of:$JSON_RAW (expected escapes such as \\u202e)"
fi

ok
