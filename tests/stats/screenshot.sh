#!/usr/bin/env bash
# screenshot.sh: the picture of `stoa report --html` in the README,
# docs/img/report.png. It makes a sample class (a made-up "Maths 9B" of 14
# members over the 8 weeks from 2025-01-06 to 2025-03-02: people joining
# late, questions answered fast or slowly or not at all, feedback,
# kudos, mentoring, two members drifting away), stores it as real signed
# entries with tests/tools/stats_gen (the only way to date entries in the
# past), writes the report of those 8 weeks and takes a screenshot of its
# top with headless Chromium, offline (every host name resolves to
# nothing). The same build gives the same sample; only the "generated"
# and freshness times move with the clock.
#
#   tests/stats/screenshot.sh [BUILD_DIR [OUT.png]]
#
# BUILD_DIR (default build) holds stoa and tests/stats_gen; OUT defaults
# to docs/img/report.png. WIDTH and HEIGHT (default 1200 and 2000) size
# the window; KEEP=1 keeps the temporary home and report and says where.
# Needs python3 and chromium (apt-get install chromium).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$src/build}
out=${2:-$src/docs/img/report.png}
chromium=${CHROMIUM:-/usr/bin/chromium}
width=${WIDTH:-1200}
height=${HEIGHT:-2000}

die() {
	printf 'screenshot.sh: %s\n' "$*" >&2
	exit 1
}
[ -x "$build/stoa" ] || die "no stoa in '$build' (build it first)"
[ -x "$build/tests/stats_gen" ] || die "no tests/stats_gen in '$build'"
[ -x "$chromium" ] || die "no chromium at '$chromium' (apt-get install chromium)"
command -v python3 >/dev/null || die "python3 is needed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stoa-screenshot.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	trap 'echo "screenshot.sh: kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi

# The events of the sample class, one JSON object a line, in the format
# tests/tools/stats_gen reads (its header comment). Seeded: always the same.
STATS_DIR=$(cd "$(dirname "$0")" && pwd) python3 - >"$tmp/events" <<'EOF'
import json, os, random, sys

sys.path.insert(0, os.environ["STATS_DIR"])
from scenario import event  # noqa: E402

rng = random.Random(9)
DAY, HOUR, MIN = 86400000, 3600000, 60000
BASE = 1736121600000  # Monday 2025-01-06 00:00 UTC
END = BASE + 56 * DAY
NAMES = ["Amara", "Ben", "Cleo", "Dev", "Eli", "Farah", "Goran", "Hana",
         "Ines", "Jonas", "Kiri", "Lena", "Malik", "Noor"]
TOPICS = ["fractions", "geometry", "algebra", "statistics", "homework"]
BADGES = ["helper", "explainer", "great question", "patience", "kind"]
# member: (join day, last day of activity)
PLAN = {0: (0, 56), 1: (0, 56), 2: (0, 56), 3: (0, 56), 4: (1, 56),
        5: (1, 30), 6: (2, 56), 7: (3, 56), 8: (9, 56), 9: (12, 38),
        10: (16, 56), 11: (23, 56), 12: (33, 56), 13: (47, 56)}
events = []


def ev(m, kind, ts, payload=None, ref=None, to=None):
    events.append(event(m, kind, ts, payload, ref, to))
    return len(events) - 1


def at(day, hour):
    return BASE + day * DAY + hour * HOUR + rng.randrange(50) * MIN


joined = {}
for m in sorted(PLAN):
    joined[m] = at(PLAN[m][0], 8 + rng.randrange(10))
    role = "facilitator" if m == 0 else "learner"
    ev(m, "profile", joined[m], {"name": NAMES[m], "role": role})
first = max(joined[0], joined[1], joined[2])
ev(0, "role", first + HOUR, {"role": "mentor"}, to=1)
ev(0, "role", first + 2 * HOUR, {"role": "mentor"}, to=2)


def active(m, ts):
    return joined[m] + HOUR <= ts < BASE + PLAN[m][1] * DAY


# questions, answers at a spread of delays, feedback; each member asks
# at their own pace
delays = [25 * MIN, 1 * HOUR, 2 * HOUR, 3 * HOUR, 5 * HOUR, 8 * HOUR,
          14 * HOUR, 26 * HOUR, 40 * HOUR]
pace = {m: rng.choice([0.03, 0.05, 0.08, 0.12]) for m in PLAN}
for day in range(56):
    for m in sorted(PLAN):
        if rng.random() > pace[m]:
            continue
        ts = at(day, 9 + rng.randrange(9))
        if not active(m, ts) or ts >= END - HOUR:
            continue
        topic = rng.choice(TOPICS)
        q = ev(m, "post", ts, {"topic": topic, "title": "A question on %s" %
                               topic, "body": "%s asks" % NAMES[m]})
        if rng.random() < 0.1:
            continue  # nobody answers this one
        rts = ts + rng.choice(delays) + rng.randrange(30) * MIN
        who = [o for o in PLAN if o != m and active(o, rts)]
        if rts >= END or not who:
            continue
        who = rng.choice([o for o in (0, 1, 2) if o in who] * 2 + who)
        r = ev(who, "post", rts, {"topic": topic, "body": "an answer"}, ref=q)
        fts = rts + rng.randrange(1, 12) * HOUR
        if fts < END and rng.random() < 0.7:
            ev(m, "feedback", fts, {"helpful": rng.random() < 0.75,
                                    "rating": rng.choice([3, 4, 5])}, ref=r)
        fan = [o for o in PLAN if o != m and active(o, fts)]
        if fts < END and fan and rng.random() < 0.4:
            ev(rng.choice(fan), "feedback", fts + HOUR,
               {"helpful": True}, ref=q)

# kudos
for day in range(0, 56, 2):
    givers = [m for m in PLAN if active(m, BASE + day * DAY + 12 * HOUR)]
    if len(givers) < 2:
        continue
    g, t = rng.sample(givers, 2)
    ev(g, "kudos", at(day, 12), {"badge": rng.choice(BADGES[:3] * 3 +
                                                     BADGES[3:])}, to=t)

# mentoring: offers taken, a request taken, sessions, one waiting request
o1 = ev(1, "offer", at(2, 10), {"topic": "algebra"})
p1 = ev(3, "accept", at(3, 11), ref=o1)
o2 = ev(2, "offer", at(4, 10), {"topic": "fractions"})
p2 = ev(6, "accept", at(8, 15), ref=o2)
r3 = ev(7, "request", at(15, 9), {"topic": "geometry"})
p3 = ev(1, "accept", at(18, 10), ref=r3)
o4 = ev(2, "offer", at(20, 10), {"topic": "statistics"})
p4 = ev(10, "accept", at(27, 12), ref=o4)
p5 = ev(11, "accept", at(36, 12), ref=o1)
for p, mentee, mentor, days in ((p1, 3, 1, range(5, 56, 7)),
                                (p2, 6, 2, range(10, 40, 7)),
                                (p3, 7, 1, range(20, 56, 7)),
                                (p4, 10, 2, range(29, 56, 7)),
                                (p5, 11, 1, range(38, 56, 7))):
    for day in days:
        ev(rng.choice([mentee, mentor]), "session", at(day, 16),
           {"minutes": rng.choice([20, 30, 45, 60]), "notes": "practice"},
           ref=p)
ev(6, "close", at(41, 10), {"reason": "ready for the test"}, ref=p2)
ev(12, "request", at(45, 9), {"topic": "algebra"})
ev(13, "request", at(50, 9), {"topic": "geometry"})

# in time order, each feed too; a "ref" is a line number: renumbered
order = sorted(range(len(events)), key=lambda i: (events[i]["ts"], i))
line = {old: new for new, old in enumerate(order)}
for e in events:
    if "ref" in e:
        e["ref"] = line[e["ref"]]
out = [events[i] for i in order]
assert all(e.get("ref", -1) < n for n, e in enumerate(out))
print("\n".join(json.dumps(e) for e in out))
EOF

"$build/tests/stats_gen" --home "$tmp/home" --create "Maths 9B" --seed 9 \
	<"$tmp/events" >/dev/null || die "stats_gen failed"
"$build/stoa" --home "$tmp/home" report --html "$tmp/report.html" \
	--since 2025-01-06 --until 2025-03-02 || die "stoa report failed"
mkdir -p "$(dirname "$out")" "$tmp/profile"
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking \
	--disable-component-update --disable-sync \
	--user-data-dir="$tmp/profile" \
	--host-resolver-rules='MAP * ~NOTFOUND' \
	--hide-scrollbars --force-device-scale-factor=1 \
	--window-size="$width,$height" --screenshot="$tmp/report.png" \
	"file://$tmp/report.html" >/dev/null 2>"$tmp/chromium.err" ||
	die "chromium failed: $(tail -n 3 "$tmp/chromium.err")"
[ -s "$tmp/report.png" ] || die "chromium wrote no screenshot"
mv "$tmp/report.png" "$out"
echo "screenshot.sh: wrote $out (${width}x${height})"
