#!/usr/bin/env bash
# t51-report-html: `stoa report --html FILE` (docs/stats.md §6) read by a
# real browser. Four real nodes make a small community with the real CLI:
# Fay founds it, Ben, Cyrilla and Dora join; questions, replies, feedback,
# kudos, a mentor's offer accepted and a session, a request nobody takes;
# names, a topic, a title and a badge full of markup. Then, on Fay's node,
# for several windows and filters (the whole window, --topic, --member,
# --pseudonyms, and a window with no activity), `stoa stats --json` and
# `stoa report --html` with the same options, and Debian's headless
# Chromium loads each file (its own fresh profile each time):
#   - nothing leaves the file: Chromium's proxy is a local listener
#     (python3, a port the OS picks) that records every connection, with
#     every host name resolving to nothing; the reports' runs may show
#     only Chromium's own background requests (listed below: it makes
#     them on a blank page too, whatever the flags), and a canary page
#     with an <img> pointing outside proves the listener sees a fetch;
#   - the DOM Chromium built (--dump-dom) against the JSON, by
#     tests/integration/report_check.py: no element, attribute or style
#     that could fetch or run anything, and the Content-Security-Policy;
#     each chart's points and bars counted against the JSON (null is a
#     gap), its aria-label and its <details> table; the lists and tables
#     row for row; the empty report; the names shown, and escaped in the
#     file; with --pseudonyms, no name or key of `stoa members --json`;
#   - a screenshot at 1200 px and one at a phone's 390 px (PNG signature,
#     the size asked, not blank) and a PDF (%PDF header, A4 pages);
#   - the layout at 320, 360, 390 and 1200 px, measured in Chromium by a
#     probe page of the test's own (a script, allowed there and not in
#     the report) that frames the report at that width: nothing wider
#     than the screen, the freshness and at-risk status in sight, chart
#     text 11 px or more and inside its chart, week labels apart, no date
#     broken over two lines (report_check.py --layout).
# Bad input is one error line, a nonzero exit and no file: a FILE in a
# missing directory, in a read-only directory (whose old FILE stays as it
# was), on a full filesystem (root: a tmpfs), an inverted window.
# Chromium is in tests/quickstart.sh's test packages; without it the test
# is skipped (a failure under STOA_NO_SKIP=1).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no Chromium at '$CHROMIUM' (apt-get install chromium)"
CHECK=$STOA_SRC/tests/integration/report_check.py
# the tool that dates entries in the past is built beside hostile_peer
if [ -z "${STATS_GEN:-}" ] && [ -n "${HOSTILE:-}" ]; then
	STATS_GEN=$(dirname "$HOSTILE")/stats_gen
fi
STATS_GEN=${STATS_GEN:-$(dirname "$STOA")/tests/stats_gen}
[ -x "$STATS_GEN" ] || skip "no stats_gen tool at '$STATS_GEN' (set STATS_GEN)"

F=$T/fay
B=$T/ben
C=$T/cyrilla
D=$T/dora
R=$T/reports
mkdir -p "$R"
# names and texts other members write: markup that must stay text
NAME_F="Fayola Brightwater"
NAME_B="Benedikt <script>alert(1)</script>"
# (with a right-to-left override, U+202E, and a left-to-right isolate,
# U+2066: the report removes them as a terminal's text does)
NAME_C="Cyrilla \"><img src=x onerror=alert(2)>"$'\xe2\x80\xae'"lla"
NAME_D="Dora O'Malley & Sons"
TOPIC_X="<b>geo</b>&\"metry'"$'\xe2\x81\xa6'
TITLE_X="</style><script>alert(3)</script>"
# a question without a title: the report shows the start of its body
EXCERPT_X="Why is <b>1/2</b> more than 1/3? & what's a 'numerator'"
BADGE_X="<i>star</i>"

new_id() { # HOME ARGS...: runs stoa, prints the new entry's id
	run_ok "$@"
	assert_id "$OUT"
	printf '%s\n' "$OUT"
}

# --- the proxy that records every connection -------------------------------

cat >"$T/listener.py" <<'EOF'
# Accepts connections on 127.0.0.1, a port the OS picks (written to
# argv[1] once listening), and appends each one's request line ("GET
# http://host/path HTTP/1.1", "CONNECT host:443 HTTP/1.1") to argv[2];
# answers nothing, forwards nothing.
import os, socket, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
log = open(sys.argv[2], "a", buffering=1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    conn, _ = srv.accept()
    conn.settimeout(2.0)
    head = b""
    try:
        while b"\r\n" not in head and len(head) < 8192:
            data = conn.recv(4096)
            if not data:
                break
            head += data
    except OSError:
        pass
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    log.write((line if line else "(connected, sent nothing)") + "\n")
    conn.close()
EOF
PROXY_LOG=$T/proxy.log
: >"$PROXY_LOG"
bg_start "$T/listener.log" "$PY" "$T/listener.py" "$T/proxy.port" "$PROXY_LOG"
LISTENER_PID=$BG_PID
listening() { [ -s "$T/proxy.port" ] || ! pid_alive "$LISTENER_PID"; }
wait_for "the proxy listener to listen" 10 listening
pid_alive "$LISTENER_PID" || fail "the proxy listener died: $(cat "$T/listener.log")"
PROXY_PORT=$(<"$T/proxy.port")

# Chromium's own requests, made on a blank page too (a component and
# extension update check, the sign-in service listing accounts, the
# network time), which no flag of this version turns off: the reports'
# runs may show these request lines and nothing else.
own_connect='CONNECT (accounts\.google\.com|update\.googleapis\.com|clients2\.google\.com):443'
own_http='(GET|POST) http://(update\.googleapis\.com/service/update2/json|clients2\.google\.com/time/1/current)\?.*'
CHROMIUM_OWN="^(($own_connect|$own_http) HTTP/1\.1|\(connected, sent nothing\))\$"

CHROME_RUNS=0
# chrome OUT ARGS...: headless Chromium with a fresh profile, every host
# name resolving to nothing and every request sent to the listener;
# stdout to OUT. A deadline, never a wait without end.
chrome() {
	local out=$1 prof rc=0
	shift
	CHROME_RUNS=$((CHROME_RUNS + 1))
	prof=$T/chrome-profile-$CHROME_RUNS
	mkdir -p "$prof"
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$prof" \
		--proxy-server="http://127.0.0.1:$PROXY_PORT" \
		--proxy-bypass-list='<-loopback>' \
		--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' \
		"$@" >"$out" 2>"$T/chrome-$CHROME_RUNS.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "chromium $* exited $rc: $(tail -n 3 "$T/chrome-$CHROME_RUNS.err")"
}

# The probe: the report named by ?src= in a frame ?w= px wide, grown to
# the report's height (no scroll bar takes width), measured once loaded;
# the measures as JSON in <pre id="out"> for --dump-dom. Chromium lets a
# file:// page read a framed file:// page only with
# --allow-file-access-from-files.
cat >"$R/probe.html" <<'EOF'
<!DOCTYPE html>
<meta charset="utf-8">
<title>layout probe</title>
<iframe id="r" style="border:0;height:800px"></iframe>
<pre id="out">not measured</pre>
<script>
var q = new URLSearchParams(location.search), fr = document.getElementById("r");
function box(e) {
	var r = e.getBoundingClientRect();
	return [r.left, r.top, r.right, r.bottom];
}
function measure() {
	var d = fr.contentDocument, w = fr.contentWindow, m = {};
	fr.style.height = d.documentElement.scrollHeight + "px";
	m.viewport = d.documentElement.clientWidth;
	m.page_width = d.documentElement.scrollWidth;
	m.charts = [];
	d.querySelectorAll("figure.chart").forEach(function (fig) {
		var svg = fig.querySelector("svg.plot"), c = {
			chart: fig.dataset.chart, svg: box(svg), texts: [],
			scroll: [fig.scrollWidth, fig.clientWidth]};
		svg.querySelectorAll("text").forEach(function (t) {
			if (!t.getClientRects().length)
				return;  /* not shown (display:none) */
			var k = t.getScreenCTM();
			c.texts.push({text: t.textContent, box: box(t),
				px: parseFloat(w.getComputedStyle(t).fontSize) *
				    Math.hypot(k.a, k.b),
				xlabel: t.parentNode.getAttribute("class") == "xlabels"});
		});
		m.charts.push(c);
	});
	m.status = [];
	d.querySelectorAll("table.freshness .status, table.at-risk .status")
		.forEach(function (s) {
		var sc = s.closest(".scroll");
		m.status.push({table: s.closest("table").className,
			text: s.textContent, box: box(s), scroll: box(sc),
			sw: [sc.scrollWidth, sc.clientWidth]});
	});
	m.dates = [];
	d.querySelectorAll(".nw").forEach(function (s) {
		m.dates.push({text: s.textContent, lines: s.getClientRects().length});
	});
	return m;
}
fr.style.width = (q.get("w") || "390") + "px";
fr.addEventListener("load", function () {
	var m;
	try {
		m = measure();
	} catch (e) {
		m = {error: String(e)};
	}
	document.getElementById("out").textContent = JSON.stringify(m);
});
fr.src = q.get("src");
</script>
EOF

# report_and_check HOME NAME ARGS...: stats --json and report --html with
# ARGS on HOME, the DOM Chromium makes of the file, and report_check.py
# over the three; CHECK_ARGS adds --text/--secret options.
report_and_check() {
	local home=$1 name=$2
	shift 2
	run_ok "$home" stats --json "$@"
	printf '%s\n' "$OUT" >"$R/$name.json"
	run_ok "$home" report --html "$R/$name.html" "$@"
	[ -s "$R/$name.html" ] || fail "report --html $* wrote no $R/$name.html"
	chrome "$R/$name.dom" --dump-dom "file://$R/$name.html"
	"$PY" "$CHECK" --file "$R/$name.html" --dom "$R/$name.dom" \
		--stats "$R/$name.json" "${CHECK_ARGS[@]}" 2>"$T/check.err" ||
		fail "report '$name' ($*): $(cat "$T/check.err")"
}

# --- the community -----------------------------------------------------------

step "Fay founds the community; Ben, Cyrilla and Dora join (markup in names)"
run_ok "$F" init --name "$NAME_F" --community "Maths 9B"
run_ok "$F" invite
code=$OUT
run_ok "$B" init --name "$NAME_B" --join "$code"
run_ok "$C" init --name "$NAME_C" --join "$code"
run_ok "$D" init --name "$NAME_D" --join "$code"
kb=$(key_of "$B")
kd=$(key_of "$D")

step "questions, a mentor's offer and a request; everyone syncs"
qb=$(new_id "$B" post --topic fractions --title "Adding fractions" "How do I add 1/2 and 1/3?")
qc=$(new_id "$C" post --topic "$TOPIC_X" --title "$TITLE_X" "What is a right angle?")
new_id "$C" post --topic fractions "Is 0.5 the same as 1/2?" >/dev/null
offer=$(new_id "$B" mentor offer algebra)
new_id "$C" mentor request "geometry proofs" >/dev/null
hub_sync "$F" "$B" "$C" "$D"

step "replies, feedback, kudos, a role; Dora accepts Ben's offer"
run_ok "$F" role "${kb:0:12}" mentor
rf=$(new_id "$F" reply "$qb" "Find a common denominator: 6.")
new_id "$D" reply "$qc" "Ninety degrees." >/dev/null
new_id "$D" feedback "$qb" --helpful --rating 5 "clear question" >/dev/null
new_id "$F" feedback "$qc" --rating 3 >/dev/null
new_id "$C" kudos "${kb:0:12}" --badge helper "thanks for the help" >/dev/null
new_id "$F" kudos "${kd:0:12}" --badge "$BADGE_X" >/dev/null
pairing=$(new_id "$D" mentor accept "$offer")
hub_sync "$F" "$B" "$C" "$D"

step "a session of the pairing, feedback on Fay's reply; everyone syncs"
new_id "$D" mentor session "$pairing" --minutes 30 "fractions practice" >/dev/null
new_id "$C" feedback "$rf" --helpful >/dev/null
hub_sync "$F" "$B" "$C" "$D"

# the window: the 8 weeks that end today, named, so that the JSON and the
# report ask about the same days even across midnight
TODAY=$(date -u +%F)
SINCE=$(date -u -d "@$(($(date -u +%s) - 55 * 86400))" +%F)
WIN=(--since "$SINCE" --until "$TODAY")

step "the figures hold the community made (so the charts are not empty)"
run_ok "$F" stats --json "${WIN[@]}"
json_check "rows[0]['members'] == 4 and len(rows[0]['weeks']) == 8" "members and weeks"
json_check "len(rows[0]['kudos']['badges']) == 2 and len(rows[0]['feedback']['topics']) >= 1" "badges and topics"
json_check "rows[0]['mentoring']['waiting_total'] == 1 and rows[0]['mentoring']['pairings'] == 1" "mentoring"
json_check "rows[0]['questions']['asked'] == 3 and rows[0]['questions']['answered'] == 2" "questions"
# (report_check.py checks these fields where the figures have them)
json_check "'new_recent' in rows[0]['weeks'][0] and 'member_name' in rows[0]['window']" "the fields of figures from this stoa"

# --- the reports in the browser ---------------------------------------------

step "the whole window: charts, lists and escaped names in Chromium's DOM"
# (the title shows only in the list of questions waiting 48 hours, which
# a test that writes now cannot make: the file must just hold no <script>)
CHECK_ARGS=(--text "$NAME_B" --text "$NAME_C" --text "$NAME_D"
	--text "$TOPIC_X" --text "$BADGE_X")
report_and_check "$F" all "${WIN[@]}"
raw=$(<"$R/all.html")
assert_contains "$raw" "Maths 9B" "the report's header"
assert_contains "$raw" "&lt;script&gt;alert(1)&lt;/script&gt;" "Ben's name in the file"

step "--topic fractions and --member (Dora's own view)"
CHECK_ARGS=()
report_and_check "$F" topic "${WIN[@]}" --topic fractions
report_and_check "$F" member "${WIN[@]}" --member "${kd:0:12}"

step "--pseudonyms: no name and no key of 'stoa members --json' anywhere"
run_ok "$F" members --json
CHECK_ARGS=()
while IFS= read -r s; do
	[ -n "$s" ] && CHECK_ARGS+=(--secret "$s")
done < <(json_field name)
while IFS= read -r s; do
	[ -n "$s" ] && CHECK_ARGS+=(--secret "$s" --secret "${s:0:8}")
done < <(json_field key)
assert_eq 24 "${#CHECK_ARGS[@]}" "--secret options and values: 4 names, 4 keys, their prefixes"
report_and_check "$F" pseudo "${WIN[@]}" --pseudonyms

step "a community with a past (stats_gen dates its entries): questions"
echo "  waiting for weeks (one without a title), a member silent, clocks"
echo "  ahead and behind, two pairings with 45 minutes of sessions"
# what the CLI cannot write: entries dated weeks ago, in 2100 and in 1975
P=$T/past
day=86400000
now=$(now_ms)
cat >"$T/past.events" <<EOF
{"m":0,"kind":"profile","ts":$((now - 30 * day)),"payload":{"name":"Quorra Vale","role":"facilitator"}}
{"m":1,"kind":"profile","ts":$((now - 29 * day)),"payload":{"name":"Zeb <u>Asker</u>","role":"learner"}}
{"m":1,"kind":"post","ts":$((now - 21 * day)),"payload":{"topic":"fractions","body":"$EXCERPT_X"}}
{"m":1,"kind":"post","ts":$((now - 20 * day)),"payload":{"topic":"fractions","title":"$TITLE_X","body":"nobody answers"}}
{"m":2,"kind":"profile","ts":$((now - 28 * day)),"payload":{"name":"Clocky","role":"learner"}}
{"m":2,"kind":"post","ts":4102444800000,"payload":{"topic":"time","body":"from 2100"}}
{"m":2,"kind":"post","ts":157766400000,"payload":{"topic":"time","body":"from 1975"}}
{"m":0,"kind":"post","ts":$((now - day)),"payload":{"topic":"notes","body":"recent, not 48 hours old"}}
{"m":3,"kind":"profile","ts":$((now - 27 * day)),"payload":{"name":"Mira","role":"learner"}}
{"m":4,"kind":"profile","ts":$((now - 27 * day)),"payload":{"name":"Odo","role":"learner"}}
{"m":0,"kind":"offer","ts":$((now - 26 * day)),"payload":{"topic":"algebra"}}
{"m":0,"kind":"offer","ts":$((now - 26 * day)),"payload":{"topic":"geometry"}}
{"m":3,"kind":"accept","ts":$((now - 25 * day)),"ref":10}
{"m":4,"kind":"accept","ts":$((now - 25 * day)),"ref":11}
{"m":3,"kind":"session","ts":$((now - 2 * day)),"ref":12,"payload":{"minutes":30,"notes":"algebra"}}
{"m":4,"kind":"session","ts":$((now - 3 * day)),"ref":13,"payload":{"minutes":15,"notes":"proofs"}}
EOF
"$STATS_GEN" --home "$P" --create "Past 7" --seed 51 <"$T/past.events" \
	>/dev/null 2>"$T/gen.err" || fail "stats_gen failed: $(<"$T/gen.err")"
run_ok "$P" stats --json "${WIN[@]}"
json_check "rows[0]['questions']['unanswered_total'] == 2 and rows[0]['at_risk_total'] == 1" "the waiting questions and the silent member"
json_check "rows[0]['mentoring']['pairings'] == 2 and rows[0]['mentoring']['minutes_per_pairing'] == 22.5" "the pairings"
json_check "'received' in rows[0]['at_risk'][0] and 'excerpt' in rows[0]['questions']['unanswered'][0]" "who was last heard from, the excerpt"
json_check "len(rows[0]['clock']['ahead']) == 1 and len(rows[0]['clock']['behind']) == 1" "the clocks"
CHECK_ARGS=(--text "$TITLE_X" --text "Zeb <u>Asker</u>")
report_and_check "$P" past "${WIN[@]}"
# a window that ended yesterday: its last week is over, "the last week"
# (the windows above end today: "this week so far")
YESTERDAY=$(date -u -d "@$(($(date -u +%s) - 86400))" +%F)
report_and_check "$P" closed --since "$SINCE" --until "$YESTERDAY"

step "a window with no activity: an honest empty report"
CHECK_ARGS=()
report_and_check "$F" empty --since 2001-01-01 --until 2001-02-25
assert_contains "$(<"$R/empty.html")" "No activity in this window" "the empty report"

step "screenshots at 1200 px and 390 px, and a PDF"
chrome "$T/shot.out" --hide-scrollbars --window-size=1200,3000 \
	--screenshot="$R/wide.png" "file://$R/all.html"
chrome "$T/shot.out" --hide-scrollbars --window-size=390,2400 \
	--screenshot="$R/phone.png" "file://$R/all.html"
chrome "$T/pdf.out" --no-pdf-header-footer --print-to-pdf="$R/all.pdf" \
	"file://$R/all.html"
# the layout: the whole window's report and the past one (the at-risk
# table, a question waiting), on phones (a small one, a common Android
# one, an iPhone's) and a wide screen
for name in all past; do
	for w in 320 360 390 1200; do
		chrome "$R/probe-$name-$w.dom" --allow-file-access-from-files \
			--window-size="$((w + 40)),900" --dump-dom \
			"file://$R/probe.html?w=$w&src=$name.html"
		"$PY" "$CHECK" --layout "$R/probe-$name-$w.dom" 2>"$T/check.err" ||
			fail "report '$name' at $w px: $(cat "$T/check.err")"
	done
done
"$PY" -S - "$R" <<'EOF' || fail "the screenshots or the PDF are not real"
import re, struct, sys
d = sys.argv[1]
for name, w, h, least in (("wide.png", 1200, 3000, 60000),
                          ("phone.png", 390, 2400, 30000)):
    b = open("%s/%s" % (d, name), "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        sys.exit("%s: not a PNG" % name)
    size = struct.unpack(">II", b[16:24])
    if size != (w, h):
        sys.exit("%s: %dx%d, expected %dx%d" % ((name,) + size + (w, h)))
    # a blank page of that size compresses to a few kB
    if len(b) < least:
        sys.exit("%s: %d bytes, a blank page?" % (name, len(b)))
b = open(d + "/all.pdf", "rb").read()
if not b.startswith(b"%PDF-") or b"%%EOF" not in b[-64:]:
    sys.exit("all.pdf: not a whole PDF")
pages = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", b)
if len(pages) < 2:
    sys.exit("all.pdf: %d pages, expected the report over 2 or more" % len(pages))
for w, h in pages:
    if abs(float(w) - 595.3) > 2 or abs(float(h) - 841.9) > 2:
        sys.exit("all.pdf: a page of %sx%s pt, not A4" % (w.decode(), h.decode()))
EOF

step "no request left any report (only Chromium's own, listed above)"
while IFS= read -r line; do
	[[ $line =~ $CHROMIUM_OWN ]] ||
		fail "a request left the browser while it showed the reports: '$line'"
done <"$PROXY_LOG"
before=$(wc -l <"$PROXY_LOG")

step "the listener sees a page that fetches (a canary)"
printf '<!DOCTYPE html><p>canary<img src="http://stoa-canary.invalid/x.png">\n' \
	>"$T/canary.html"
chrome "$T/canary.dom" --dump-dom "file://$T/canary.html"
saw_canary() { log_has "$PROXY_LOG" 'stoa-canary\.invalid' "$((before + 1))"; }
wait_for "the listener to record the canary's request" 10 saw_canary

# --- bad input -------------------------------------------------------------

# listing DIR: the names in DIR, to compare before and after a refusal
# (a temporary file left behind would show)
listing() { ls -A "$1"; }

step "a FILE in a missing directory: one error line, no file"
run_fail 1 "$F" report --html "$T/no/such/dir/r.html"
assert_contains "$ERR" "$T/no/such/dir/r.html" "the error"
[ ! -e "$T/no" ] || fail "report --html made '$T/no'"

step "a FILE in a read-only directory: one error line, the old FILE kept"
mkdir -p "$T/rw" "$T/ro"
printf 'the old report\n' >"$T/rw/r.html"
RO=
if [ "$(id -u)" -eq 0 ]; then
	# root writes anywhere a mode says no: a read-only bind mount
	if mount --bind "$T/rw" "$T/ro" 2>"$T/mount.err"; then
		RO_MOUNT=$T/ro
		if mount -o remount,bind,ro "$T/ro" 2>>"$T/mount.err"; then
			RO=$T/ro
		fi
	fi
else
	chmod 555 "$T/rw"
	RO=$T/rw
fi
test_teardown() {
	if [ -n "${RO_MOUNT:-}" ]; then
		umount "$RO_MOUNT" 2>/dev/null || umount -l "$RO_MOUNT"
		RO_MOUNT=
	fi
	if [ -n "${FULL_MOUNT:-}" ]; then
		umount "$FULL_MOUNT" 2>/dev/null || umount -l "$FULL_MOUNT"
		FULL_MOUNT=
	fi
}
if [ -n "$RO" ]; then
	was=$(listing "$RO")
	run_fail 1 "$F" report --html "$RO/r.html"
	assert_eq "the old report" "$(<"$RO/r.html")" "the old FILE"
	assert_eq "$was" "$(listing "$RO")" "the read-only directory"
else
	# root without mounts (a container): /proc takes no new file either
	echo "  (no read-only mount here: $(head -n 1 "$T/mount.err"); /proc instead)"
	run_fail 1 "$F" report --html /proc/stoa-t51-report.html
	[ ! -e /proc/stoa-t51-report.html ] || fail "a file in /proc"
fi

step "a full filesystem: one error line, the old FILE kept, no temporary file"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/full" &&
	mount -t tmpfs -o size=256k,mode=0755 tmpfs "$T/full" 2>"$T/mount.err"; then
	FULL_MOUNT=$T/full
	printf 'the old report\n' >"$T/full/r.html"
	dd if=/dev/zero of="$T/full/filler" bs=4k 2>/dev/null || true
	was=$(listing "$T/full")
	run_fail 1 "$F" report --html "$T/full/r.html"
	assert_match "$ERR" 'No space left on device' "the error on a full disk"
	assert_eq "the old report" "$(<"$T/full/r.html")" "the old FILE"
	assert_eq "$was" "$(listing "$T/full")" "the full filesystem's files"
else
	echo "  (cannot mount a tmpfs here: not root, or no mounts; skipped)"
fi

step "a FILE that is a fifo or a symlink: refused in one line, left as it was"
# (a fifo of the test's own, not /dev/null: a stoa that replaced it would
# break the machine for every test after this one)
mkfifo "$T/fifo.html"
run_fail 1 "$F" report --html "$T/fifo.html"
assert_contains "$ERR" "is not a regular file" "the error"
[ -p "$T/fifo.html" ] || fail "report --html replaced the fifo"
printf 'the old report\n' >"$T/target.html"
ln -s "$T/target.html" "$T/link.html"
run_fail 1 "$F" report --html "$T/link.html"
[ -L "$T/link.html" ] || fail "report --html replaced the symlink"
assert_eq "the old report" "$(<"$T/target.html")" "the symlink's target"

step "an inverted window, a day that does not exist: usage errors, no file"
run_fail 2 "$F" report --html "$R/bad.html" --since "$TODAY" --until "$SINCE"
run_fail 2 "$F" report --html "$R/bad.html" --since 2025-02-30
run_fail 2 "$F" stats --json --since "$TODAY" --until "$SINCE"
run_fail 2 "$F" report --html
[ ! -e "$R/bad.html" ] || fail "a refused report left $R/bad.html"
assert_eq "" "$(find "$R" -name '*.html.*')" "temporary files left in $R"

ok
