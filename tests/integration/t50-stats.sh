#!/usr/bin/env bash
# t50-stats: `stoa stats --json` against a second implementation of
# docs/stats.md. tests/stats/scenario.py makes a community of about twelve
# weeks with known behaviour for each seed (members joining in different
# weeks, drifting away, answered and unanswered questions, self-replies,
# replies dated before their question, feedback, mentoring, kudos, hidden
# and erased entries, a removed member, clocks in 2100 and 1970/1980);
# tests/tools/stats_gen writes its events as real signed entries through
# the store's ingest path into a home it founds; tests/stats/truth.py
# computes, from the events alone and the doc, the object `stoa stats
# --json` must print, for windows with and without --topic, --member and
# --limit: the whole window, one from a Thursday that cuts the late
# cohorts, one before anybody joined, one past the data, one of a single
# day, and the default window. Every field is compared; the first
# mismatches are printed (path, expected, got). What this node's own clock
# says (generated, received, last_sync) is compared by type only.
#
# Also: a tiny community whose figures were worked out by hand (so that
# truth.py itself is checked), a small one of odd cases (an accept of
# one's own offer, a third party's session and close, replies and
# feedback to entries nobody holds, entries dated exactly at the window's
# end or 24 hours before the founding), the same answers whatever the arrival order
# (a second home fed the same entries in another interleaving of the
# feeds, in runs, and after `stoa reindex`), and the refusals of the
# window (one line, nothing on stdout).
#
# Where docs/stats.md leaves a choice, truth.py takes the reading its
# comments mark "READING:". T50_SEEDS picks the seeds (default "1 2 3
# 4"), T50_MAX how many mismatches of each comparison are printed
# (default 12). A mismatch does not stop the test: every comparison runs,
# and the test fails at the end if any differed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# the generator is built beside hostile_peer (tests/CMakeLists.txt)
if [ -z "${STATS_GEN:-}" ] && [ -n "${HOSTILE:-}" ]; then
	STATS_GEN=$(dirname "$HOSTILE")/stats_gen
fi
STATS_GEN=${STATS_GEN:-$(dirname "$STOA")/tests/stats_gen}
[ -x "$STATS_GEN" ] || skip "no stats_gen tool at '$STATS_GEN' (set STATS_GEN)"
SCENARIO=$STOA_SRC/tests/stats/scenario.py
TRUTH=$STOA_SRC/tests/stats/truth.py
SEEDS=${T50_SEEDS:-1 2 3 4}
MISMATCHES=0

# build HOME EVENTS SEED [STATS_GEN OPTIONS...]: a home of the community
# "Class SEED" founded by member 0 of SEED, holding EVENTS (stats_gen);
# the ids in HOME.ids, the keys in HOME.keys.
build() {
	local home=$1 events=$2 seed=$3
	shift 3
	"$STATS_GEN" --home "$home" --create "Class $seed" --seed "$seed" \
		--keys "$home.keys" "$@" <"$events" >"$home.ids" 2>"$T/gen.err" ||
		fail "stats_gen into $home failed: $(<"$T/gen.err")"
	[ "$(wc -l <"$home.ids")" -eq "$(wc -l <"$events")" ] ||
		fail "stats_gen printed $(wc -l <"$home.ids") ids for $(wc -l <"$events") events"
}

# stats_json HOME OUTFILE ARGS...: `stoa stats --json ARGS` into OUTFILE;
# one JSON object on one line, nothing on stderr
stats_json() {
	local home=$1 file=$2
	shift 2
	run_ok "$home" stats --json "$@"
	[ -z "$ERR" ] || fail "stats --json $* wrote to stderr: $ERR"
	printf '%s\n' "$OUT" >"$file"
	json_check "len(rows) == 1" "stats --json $*: one JSON object on one line"
}

# expect HOME SEED EVENTS OUTFILE ARGS...: truth.py's object for the same
# ARGS, of HOME made by build HOME EVENTS SEED
expect() {
	local home=$1 seed=$2 events=$3 file=$4
	shift 4
	"$PY" "$TRUTH" expect --events "$events" --ids "$home.ids" \
		--keys "$home.keys" --community "Class $seed" "$@" >"$file" \
		2>"$T/truth.err" ||
		fail "truth.py failed: $(<"$T/truth.err")"
}

# compare WHAT EXPECTED ACTUAL: truth.py compare; a mismatch is printed
# and counted, and the test goes on so that one run shows them all
compare() {
	local what=$1
	if ! "$PY" "$TRUTH" compare --max "${T50_MAX:-12}" "$2" "$3" >"$T/diff" 2>&1; then
		MISMATCHES=$((MISMATCHES + 1))
		echo "MISMATCH: $what" >&2
		sed 's/^/    /' "$T/diff" >&2
	fi
}

# same WHAT A B: two homes' outputs equal but for this node's clock
same() {
	local what=$1
	if ! "$PY" "$TRUTH" same --max "${T50_MAX:-12}" "$2" "$3" >"$T/diff" 2>&1; then
		MISMATCHES=$((MISMATCHES + 1))
		echo "MISMATCH: $what" >&2
		sed 's/^/    /' "$T/diff" >&2
	fi
}

step "stoa has a stats command"
stoa_run "" help stats
[ "$RC" -eq 0 ] || fail "'stoa help stats' exited $RC: no stats command yet?"
assert_contains "$OUT" "usage: stoa stats" "stoa help stats"

step "a tiny community worked out by hand: stoa and truth.py both give its figures"
# Amara founds it (Mon 09:00); Ben asks Q1 (algebra, titled), replies to
# himself; Cy joins Tue, answers Q1 24 h after it and marks it helpful
# 25 h after; Ben asks Q2 (geometry, no title) that nobody answers;
# Amara gives Ben a star, Ben gives himself one; week 2: Cy asks for a
# mentor, Amara accepts, a 30-minute session; Dev joins Wed and writes
# nothing. Window: three weeks from Mon 2025-03-03.
cat >"$T/hand.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":1740992400000,"payload":{"name":"Amara","role":"facilitator"}}
{"m":1,"kind":"profile","ts":1740996000000,"payload":{"name":"Ben","role":"learner"}}
{"m":1,"kind":"post","ts":1740999600000,"payload":{"topic":"algebra","title":"Halves","body":"What is half of a third?"}}
{"m":1,"kind":"post","ts":1741001400000,"payload":{"topic":"algebra","body":"A sixth, I think"},"ref":2}
{"m":2,"kind":"profile","ts":1741078800000,"payload":{"name":"Cy","role":"learner"}}
{"m":2,"kind":"post","ts":1741086000000,"payload":{"topic":"algebra","body":"Yes, a sixth"},"ref":2}
{"m":2,"kind":"feedback","ts":1741089600000,"payload":{"helpful":true},"ref":2}
{"m":1,"kind":"post","ts":1741168800000,"payload":{"topic":"geometry","body":"Why 180 degrees?"}}
{"m":0,"kind":"kudos","ts":1741255200000,"payload":{"badge":"star"},"to":1}
{"m":1,"kind":"kudos","ts":1741258800000,"payload":{"badge":"star"},"to":1}
{"m":2,"kind":"request","ts":1741600800000,"payload":{"topic":"algebra"}}
{"m":0,"kind":"accept","ts":1741608000000,"ref":10}
{"m":0,"kind":"session","ts":1741687200000,"payload":{"minutes":30,"notes":"thirds"},"ref":11}
{"m":3,"kind":"profile","ts":1741770000000,"payload":{"name":"Dev","role":"learner"}}
EOF
H=$T/hand
build "$H" "$T/hand.jsonl" hand
HAND=(--since 2025-03-03 --until 2025-03-23)
expect "$H" hand "$T/hand.jsonl" "$T/hand.truth" "${HAND[@]}"
stats_json "$H" "$T/hand.stoa" "${HAND[@]}"
# the figures by hand (docs/stats.md §4), checked on both outputs
hand_check() { # FILE WHO
	"$PY" - "$1" "$H.ids" "$H.keys" <<'EOF' && return
import json, sys
d = json.loads(open(sys.argv[1]).read())
ids = open(sys.argv[2]).read().split()
keys = dict(l.split() for l in open(sys.argv[3]))
amara, ben, cy, dev = keys["0"], keys["1"], keys["2"], keys["3"]
N = None
bad = []
def eq(path, want):
    v = d
    for p in path.split("."):
        v = v[int(p)] if p.isdigit() else v[p]
    if not (v == want and type(v) is not bool or v is want):
        bad.append("%s: expected %r, got %r" % (path, want, v))
eq("community", "Class hand")
eq("window.start", 1740960000000)
eq("window.end", 1742774400000)
eq("window.as_of", 1742774400000)
eq("members", 4)
eq("removed", 0)
wk = [(3, 3, 1.0, 3, 1.0, 3, 3, 2, 1, 86400000, 86400000, 2, 0),
      (4, 2, 0.5, 3, 2 / 3, 1, 0, 0, 0, N, N, 3, 1),
      (4, 0, 0.0, 3, 0.0, 0, 0, 0, 0, N, N, 3, 1)]
names = ("members active rate monthly_active stickiness new new_wrote_7d "
         "questions answered first_reply_median first_reply_p90 learners "
         "learners_paired").split()
for i, row in enumerate(wk):
    for n, want in zip(names, row):
        eq("weeks.%d.%s" % (i, n), want)
eq("weeks.1.label", "2025-03-10")
eq("cohorts", [{"week": "2025-03-03", "size": 3, "active": [2, 0] + [N] * 6,
                "share": [2 / 3, 0.0] + [N] * 6},
               {"week": "2025-03-10", "size": 1, "active": [0] + [N] * 7,
                "share": [0.0] + [N] * 7}])
eq("questions.asked", 2)
eq("questions.answered", 1)
eq("questions.first_reply", {"n": 1, "median": 86400000, "p90": 86400000})
eq("questions.first_helpful", {"n": 1, "median": 90000000, "p90": 90000000})
eq("questions.unanswered", [{"id": ids[7], "key": ben, "name": "Ben",
                             "ts": 1741168800000, "topic": "geometry",
                             "age_ms": 1605600000,
                             "excerpt": "Why 180 degrees?"}])
eq("questions.unanswered_total", 1)
eq("feedback.given", 1)
eq("feedback.helpful", 1)
eq("feedback.topics", [{"topic": "algebra", "feedback": 1, "helpful": 1,
                        "share": 1.0}])
fm = {r["key"]: (r["given"], r["received"], r["received_from"])
      for r in d["feedback"]["members"]}
if fm != {amara: (0, 0, 0), ben: (0, 1, 1), cy: (1, 0, 0), dev: (0, 0, 0)}:
    bad.append("feedback.members: %r" % fm)
m = d["mentoring"]
for k, want in (("learners", 3), ("learners_paired", 1), ("coverage", 1 / 3),
                ("waiting", []), ("waiting_total", 0), ("pairings", 1),
                ("closed", 0), ("sessions", 1), ("minutes", 30),
                ("sessions_per_pairing", 1.0), ("minutes_per_pairing", 30.0),
                ("became_mentors", [])):
    eq("mentoring." + k, want)
eq("kudos.given", 1)
eq("kudos.badges", [{"badge": "star", "count": 1}])
eq("kudos.top10_share", 1.0)
km = {r["key"]: (r["given"], r["received"]) for r in d["kudos"]["members"]}
if km != {amara: (1, 0), ben: (0, 1), cy: (0, 0), dev: (0, 0)}:
    bad.append("kudos.members: %r" % km)
# (received: this node's own clock, an integer)
risk = [{k: v for k, v in r.items() if k != "received"} for r in d["at_risk"]]
if risk != [{"key": ben, "name": "Ben", "last_active": 1741168800000,
             "days_silent": 18}]:
    bad.append("at_risk: %r" % risk)
if not all(isinstance(r.get("received"), int) for r in d["at_risk"]):
    bad.append("at_risk: a received that is not an integer")
eq("at_risk_total", 1)
fr = sorted((r["key"], r["seq"], r["newest_ts"])
            for r in d["freshness"]["members"])
if fr != sorted([(ben, 5, 1741258800000), (cy, 4, 1741600800000),
                 (amara, 4, 1741687200000), (dev, 1, 1741770000000)]):
    bad.append("freshness.members: %r" % fr)
# stalest first: by when this node received each feed (null first)
got = [(r["received"] is not None, r["received"] or 0)
       for r in d["freshness"]["members"]]
if got != sorted(got):
    bad.append("freshness.members not stalest first: %r" % got)
eq("clock", {"ahead": [], "behind": [], "answered_before_asked": 0})
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
	MISMATCHES=$((MISMATCHES + 1))
	echo "MISMATCH: $2: the figures worked out by hand differ (above)" >&2
}
hand_check "$T/hand.truth" "truth.py"
compare "the hand-made community" "$T/hand.truth" "$T/hand.stoa"
hand_check "$T/hand.stoa" "stoa stats"

step "the same community as text: each figure in words, the names, the sparklines"
run_ok "$H" stats "${HAND[@]}"
assert_match "$OUT" '^stoa stats: Class hand, 2025-03-03 to 2025-03-23$' "the header"
assert_match "$OUT" '^as of .*; 4 members$' "as of, and the members"
assert_match "$OUT" '^last sync with a peer: never; stalest feed: ' "the last sync"
assert_match "$OUT" '^  active members   █▆▁  the last week: 0 of 4 \(0%\)$' "active members"
assert_match "$OUT" '^  new members      █▃▁  4 joined, 3 wrote within 7 days$' "new members"
assert_match "$OUT" '^  2025-03-03     3   67%    0%     -     -' "the first cohort"
assert_match "$OUT" '^Questions: 2 asked, 1 answered$' "questions"
assert_match "$OUT" '^  first reply     median 24\.0 h, 90% within 24\.0 h' "first reply"
assert_match "$OUT" '^    [0-9a-f]{8}  2025-03-05 [0-9:]{5}  Ben  \(18\.[0-9] days\)$' "the unanswered question"
assert_match "$OUT" '^      \[geometry\] "Why 180 degrees\?"$' "its topic and start, untitled"
assert_match "$OUT" '^  algebra +1 feedback, 100% helpful$' "feedback by topic"
assert_match "$OUT" '^  Ben +0 +1 +1$' "Ben's feedback: none given, one received, from one person"
assert_match "$OUT" '^Mentoring: 1 of 3 learners have a mentor \(33%\)' "mentoring coverage"
assert_match "$OUT" '^  1 pairing \(0 closed\), 1 session, 30 minutes$' "pairings"
assert_match "$OUT" '^  star +1$' "kudos by badge"
assert_match "$OUT" '^At risk: 1 member wrote nothing for 14 days or more$' "at risk"
assert_match "$OUT" '^  Ben +18 days silent; feed received ' "Ben at risk, and when his feed came"
assert_match "$OUT" '^  Dev +[0-9.]+ (s|min|h) ago +1 entry, newest 2025-03-12$' "Dev's freshness"
long=$(printf '%s\n' "$OUT" | awk 'length($0) > 80' | head -n 1)
[ -z "$long" ] || fail "a line over 80 columns: $long"
run_ok "$H" stats "${HAND[@]}" --member Ben --limit 1
assert_match "$OUT" '^as of .*; 1 member$' "one member"
assert_match "$OUT" '^the view of: Ben$' "the member's view, named"
assert_match "$OUT" '^Feedback: 1 given or received by Ben, 1 marked helpful$' "what Ben gave or received"
ok

# edges FILE SEED HOME WHO: the scenario's edge cases, each as docs/stats.md
# says it, in the whole window with no limit: a second look, case by case,
# at what truth.py computes in general
edges() {
	"$PY" -B - "$1" "$2" "$3" "$STOA_SRC/tests/stats" <<'EOF' && return
import datetime, json, sys
sys.path.insert(0, sys.argv[4])
import scenario as S
text = open(sys.argv[1]).read()
d = json.loads(text)
s = S.Scenario(int(sys.argv[2])).build()
evs = s.ordered()
ids = open(sys.argv[3] + ".ids").read().split()
keys = {int(i): k for i, k in (l.split() for l in open(sys.argv[3] + ".keys"))}
end = s.base + 12 * S.WEEK
bad = []
def check(what, ok):
    if not ok:
        bad.append(what)
def keys_of(rows):
    return [r["key"] for r in rows]
def label(ms):
    return datetime.datetime.fromtimestamp(
        ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
check("the removed member (Fay) appears nowhere", keys[S.FAY] not in text)
counted = [k for i, k in keys.items() if i not in (S.FAY, S.OZ, S.PIA)]
check("members: everyone but Fay (removed), Oz and Pia (no plausible date)",
      d["members"] == len(counted) and d["removed"] == 1)
check("freshness: the members counted, Gus with his one profile",
      sorted(keys_of(d["freshness"]["members"])) == sorted(counted) and
      any(r["key"] == keys[S.GUS] and r["seq"] == 1
          for r in d["freshness"]["members"]))
# posts, replies, feedback, mentoring records and kudos; not profiles
check("clock.ahead: Max 1 (one post in 2100), Oz 2 (two)",
      sorted((r["key"], r["entries"]) for r in d["clock"]["ahead"]) ==
      sorted([(keys[S.MAX], 1), (keys[S.OZ], 2)]))
check("clock.behind: Ivo 1 (a post of 1970), Pia 1 (of 1980)",
      sorted((r["key"], r["entries"]) for r in d["clock"]["behind"]) ==
      sorted([(keys[S.IVO], 1), (keys[S.PIA], 1)]))
check("clock.answered_before_asked: Ben's early reply, Cleo's early feedback",
      d["clock"]["answered_before_asked"] == 2)
nia = {e.ts - end: ids[e.index] for e in evs if e.m == S.NIA and
       e.kind == "post" and e.ts >= end - 48 * S.HOUR}
un = {r["id"]: r for r in d["questions"]["unanswered"]}
check("unanswered: Nia's question of exactly 48 hours, not the younger ones",
      nia[-48 * S.HOUR] in un and
      un[nia[-48 * S.HOUR]]["age_ms"] == 48 * S.HOUR and
      nia[-48 * S.HOUR + 1] not in un and nia[-5 * S.HOUR] not in un)
check("unanswered_total counts them all (no limit here)",
      d["questions"]["unanswered_total"] == len(un))
lea = [{k: v for k, v in r.items() if k != "received"}
       for r in d["at_risk"] if r["key"] == keys[S.LEA]]
check("at risk: Lea, silent exactly 14 days",
      lea == [{"key": keys[S.LEA], "name": "Lea",
               "last_active": s.base + 10 * S.WEEK, "days_silent": 14}])
check("at risk: never Gus (who never wrote)",
      keys[S.GUS] not in keys_of(d["at_risk"]))
check("became_mentors: Eli (Cleo's mentee, then Kai's mentor)",
      keys_of(d["mentoring"]["became_mentors"]) == [keys[S.ELI]])
check("waiting: Hana's request (Fay's is a removed member's)",
      keys_of(d["mentoring"]["waiting"]) == [keys[S.HANA]])
gone = [ids[e.index] for e in evs if e.index is not None and
        any(h.kind in ("hide", "erase") and h.ref is e and
            not (e.kind == "post" and "reply_to" in e.payload)
            for h in evs)]
check("what was hidden or erased appears nowhere",
      len(gone) >= 3 and all(i not in text for i in gone))
gus = [r for r in d["feedback"]["members"] if r["key"] == keys[S.GUS]]
check("Gus's rows: nothing given, nothing received",
      gus == [{"key": keys[S.GUS], "name": "Gus", "given": 0, "received": 0,
               "received_from": 0}])
c4 = [c for c in d["cohorts"] if c["week"] == label(s.base + 4 * S.WEEK)]
check("week 4: a cohort of one (Jun)", len(c4) == 1 and c4[0]["size"] == 1
      and all(v in (0.0, 1.0, None) for v in c4[0]["share"]))
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
	MISMATCHES=$((MISMATCHES + 1))
	echo "MISMATCH: $4, seed $2: the scenario's edge cases (above)" >&2
}

step "odd cases a modified client or a wrong clock makes (scenario.py --edges)"
"$PY" "$SCENARIO" --edges >"$T/odd.jsonl" || fail "scenario.py --edges failed"
build "$T/odd" "$T/odd.jsonl" odd
build "$T/odd2" "$T/odd.jsonl" odd --order 7
"$PY" "$SCENARIO" --edges --windows --keys "$T/odd.keys" >"$T/windows" ||
	fail "scenario.py --edges --windows failed"
while IFS= read -r w; do
	name=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$w")
	mapfile -t args < <("$PY" -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])["args"]))' "$w")
	expect "$T/odd" odd "$T/odd.jsonl" "$T/truth" "${args[@]}"
	stats_json "$T/odd" "$T/stoa-a" "${args[@]}"
	compare "odd cases, window '$name' (${args[*]})" "$T/truth" "$T/stoa-a"
	stats_json "$T/odd2" "$T/stoa-b" "${args[@]}"
	same "odd cases, window '$name': another arrival order" "$T/stoa-a" "$T/stoa-b"
done <"$T/windows"

for seed in $SEEDS; do
	step "seed $seed: the scenario, in two homes fed in different orders"
	ev=$T/events-$seed.jsonl
	"$PY" "$SCENARIO" --seed "$seed" >"$ev" || fail "scenario.py --seed $seed failed"
	A=$T/a$seed
	B=$T/b$seed
	build "$A" "$ev" "$seed"
	build "$B" "$ev" "$seed" --order "$seed"
	cmp -s "$A.ids" "$B.ids" || fail "seed $seed: the two homes got different entries"
	run_ok "$A" verify
	assert_eq "$(view_digest "$A")" "$(view_digest "$B")" "seed $seed: view digests of the two homes"
	"$PY" "$SCENARIO" --seed "$seed" --windows --keys "$A.keys" >"$T/windows" ||
		fail "scenario.py --windows failed"
	while IFS= read -r w; do
		name=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$w")
		mapfile -t args < <("$PY" -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])["args"]))' "$w")
		expect "$A" "$seed" "$ev" "$T/truth" "${args[@]}"
		stats_json "$A" "$T/stoa-a" "${args[@]}"
		compare "seed $seed, window '$name' (${args[*]})" "$T/truth" "$T/stoa-a"
		stats_json "$B" "$T/stoa-b" "${args[@]}"
		same "seed $seed, window '$name': home b (other arrival order) against home a" \
			"$T/stoa-a" "$T/stoa-b"
	done <"$T/windows"

	step "seed $seed: the edge cases, as docs/stats.md says them"
	mapfile -t full < <("$PY" -c '
import json, sys
for line in sys.stdin:
    w = json.loads(line)
    if w["name"] == "full":
        print("\n".join(w["args"]))' <"$T/windows")
	[ "${#full[@]}" -gt 0 ] || fail "scenario.py --windows has no window 'full'"
	expect "$A" "$seed" "$ev" "$T/truth" "${full[@]}" --limit 10000
	stats_json "$A" "$T/stoa-a" "${full[@]}" --limit 10000
	edges "$T/truth" "$seed" "$A" "truth.py"
	edges "$T/stoa-a" "$seed" "$A" "stoa stats"
	compare "seed $seed, the whole window with --limit 10000" "$T/truth" "$T/stoa-a"

	step "seed $seed: after 'stoa reindex', the same figures"
	stats_json "$B" "$T/before" "${full[@]}"
	run_ok "$B" reindex
	stats_json "$B" "$T/after" "${full[@]}"
	same "seed $seed: home b before and after reindex" "$T/before" "$T/after"

	step "seed $seed: the default window (the last 8 weeks, as of now)"
	stats_json "$A" "$T/stoa-a"
	gen=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["generated"])' <"$T/stoa-a")
	expect "$A" "$seed" "$ev" "$T/truth" --now "$gen"
	compare "seed $seed, the default window (now = generated = $gen)" "$T/truth" "$T/stoa-a"
done

# review CASE SINCE UNTIL CHECK: a community of a few events (in
# $T/CASE.jsonl) that once made stoa count wrong, against truth.py, and
# the fact it got wrong (a Python expression over d, stoa's object)
review() {
	local c=$1 since=$2 until=$3 check=$4
	build "$T/$c" "$T/$c.jsonl" "$c"
	expect "$T/$c" "$c" "$T/$c.jsonl" "$T/$c.truth" --since "$since" \
		--until "$until"
	stats_json "$T/$c" "$T/$c.stoa" --since "$since" --until "$until"
	compare "case $c, $since to $until" "$T/$c.truth" "$T/$c.stoa"
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/$c.stoa" "$check" ||
		fail "case $c: expected $check"
}

step "cases a review found: each against truth.py, and the fact once wrong"
# a hidden request accepted is no pairing; feedback in the window on a
# post dated after the window, or in 2100, counts nowhere
cat >"$T/hidden-ask.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":1740960000000,"payload":{"name":"Fou","role":"facilitator"}}
{"m":1,"kind":"profile","ts":1740963600000,"payload":{"name":"Lea","role":"learner"}}
{"m":2,"kind":"profile","ts":1740963600000,"payload":{"name":"Men","role":"learner"}}
{"m":3,"kind":"profile","ts":1740963600000,"payload":{"name":"Tri","role":"learner"}}
{"m":1,"kind":"request","ts":1741132800000,"payload":{"topic":"a"}}
{"m":0,"kind":"hide","ts":1741136400000,"ref":4,"payload":{"reason":"x"}}
{"m":2,"kind":"accept","ts":1741219200000,"ref":4}
{"m":1,"kind":"post","ts":1742688000000,"payload":{"topic":"late","title":"late","body":"b"}}
{"m":2,"kind":"feedback","ts":1741651200000,"payload":{"helpful":true},"ref":7}
{"m":1,"kind":"post","ts":4107542400000,"payload":{"topic":"y2100","title":"t","body":"b"}}
{"m":2,"kind":"feedback","ts":1741654800000,"payload":{"helpful":true},"ref":9}
EOF
review hidden-ask 2025-03-03 2025-03-12 \
	'd["mentoring"]["pairings"] == 0 and d["mentoring"]["learners_paired"] == 0 and d["feedback"]["given"] == 0 and d["feedback"]["topics"] == []'
# a pairing closed at the window's first instant was never open in it
cat >"$T/closed-at-start.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":1740960000000,"payload":{"name":"Fou","role":"facilitator"}}
{"m":2,"kind":"profile","ts":1740963600000,"payload":{"name":"Men","role":"mentor"}}
{"m":3,"kind":"profile","ts":1740963600000,"payload":{"name":"Tri","role":"learner"}}
{"m":2,"kind":"offer","ts":1741046400000,"payload":{"topic":"a"}}
{"m":3,"kind":"accept","ts":1741132800000,"ref":3}
{"m":3,"kind":"close","ts":1741564800000,"ref":4,"payload":{}}
{"m":3,"kind":"post","ts":1741651200000,"payload":{"topic":"a","title":"t","body":"b"}}
EOF
review closed-at-start 2025-03-10 2025-03-23 \
	'd["mentoring"]["pairings"] == 0 and d["mentoring"]["closed"] == 0 and d["mentoring"]["sessions_per_pairing"] is None'
# the founder's first entry dated 2100: the founding is their next one,
# and the class still counts
cat >"$T/founder-ahead.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":4107542400000,"payload":{"name":"Fou","role":"facilitator"}}
{"m":0,"kind":"post","ts":1740967200000,"payload":{"topic":"a","title":"t","body":"b"}}
{"m":1,"kind":"profile","ts":1740963600000,"payload":{"name":"Lea","role":"learner"}}
{"m":1,"kind":"post","ts":1740970800000,"payload":{"topic":"a","title":"t","body":"b"}}
EOF
review founder-ahead 2025-03-03 2025-03-23 \
	'd["members"] == 2 and d["weeks"][0]["active"] == 2 and d["clock"]["behind"] == []'
# a post dated before its author joined (a clock set back) counts
# nowhere: a week's rate is never above 1
cat >"$T/before-join.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":1740960000000,"payload":{"name":"Fou","role":"facilitator"}}
{"m":0,"kind":"post","ts":1740963600000,"payload":{"topic":"a","title":"t","body":"b"}}
{"m":1,"kind":"profile","ts":1741737600000,"payload":{"name":"Lea","role":"learner"}}
{"m":1,"kind":"post","ts":1741132800000,"payload":{"topic":"a","title":"t","body":"b"}}
EOF
review before-join 2025-03-03 2025-03-23 \
	'all(w["rate"] is None or w["rate"] <= 1 for w in d["weeks"]) and d["weeks"][0]["active"] == 1 and d["questions"]["asked"] == 1'
# the asker marks an answer helpful 2 h after asking: that is the first
# helpful mark (the answerer's own mark on it, 1 h in, is not; nor is a
# mark on the asker's own reply)
cat >"$T/helpful-answer.jsonl" <<'EOF'
{"m":0,"kind":"profile","ts":1740960000000,"payload":{"name":"Fou","role":"facilitator"}}
{"m":1,"kind":"profile","ts":1740963600000,"payload":{"name":"Ann","role":"learner"}}
{"m":2,"kind":"profile","ts":1740963600000,"payload":{"name":"Bob","role":"learner"}}
{"m":1,"kind":"post","ts":1741000000000,"payload":{"topic":"a","body":"why?"}}
{"m":1,"kind":"post","ts":1741000600000,"payload":{"topic":"a","body":"me too"},"ref":3}
{"m":2,"kind":"feedback","ts":1741000700000,"payload":{"helpful":true},"ref":4}
{"m":2,"kind":"post","ts":1741001800000,"payload":{"topic":"a","body":"because"},"ref":3}
{"m":2,"kind":"feedback","ts":1741003600000,"payload":{"helpful":true},"ref":6}
{"m":1,"kind":"feedback","ts":1741007200000,"payload":{"helpful":true},"ref":6}
EOF
review helpful-answer 2025-03-03 2025-03-23 \
	'd["questions"]["first_helpful"] == {"n": 1, "median": 7200000, "p90": 7200000} and d["questions"]["first_reply"]["median"] == 1800000'
ok

step "one member's view of a removed member: refused in one line"
run_fail 1 "$A" stats --member Fay "${full[@]}"
assert_match "$ERR" "^stoa: 'Fay' was removed from the community: stats leave removed members out$" "the refusal"
assert_eq "" "$OUT" "stdout"
ok

step "the window's refusals: one line on stderr, nothing on stdout"
# shellcheck disable=SC2086 # the words of $bad are the options
for bad in "--since 2025-02-30 --until 2025-03-10" \
	"--since 2025-3-01 --until 2025-03-10" \
	"--since 2025-03-10 --until 2025-03-09" \
	"--since 2000-01-01 --until 2009-12-19" \
	"--since tomorrow --until 2025-03-10"; do
	stoa_run "$H" stats --json $bad
	[ "$RC" -eq 1 ] || [ "$RC" -eq 2 ] || fail "'stats $bad' exited $RC, expected 1 or 2"
	run_fail "$RC" "$H" stats --json $bad
done
# 520 weeks exactly (2000-01-01 + 3640 days) is the longest window
run_ok "$H" stats --json --since 2000-01-01 --until 2009-12-18
json_check "len(rows[0]['weeks']) == 520" "a window of 520 weeks"

[ "$MISMATCHES" -eq 0 ] || fail "$MISMATCHES comparison(s) of stoa stats failed (MISMATCH lines above)"
ok
