#!/usr/bin/env bash
# t66-invite-qr: an invite's QR codes read back by a QR reader (zbarimg,
# Debian's zbar-tools) and used to join. The SVG of `stoa invite --svg`
# rendered by headless Chromium; the terminal QR of `--qr` (UTF-8 half
# blocks) drawn into a PNG module by module; the printable sheet of
# `--sheet 3 --html` rendered by Chromium, its three codes all read from
# one screenshot, all distinct, each its own one-use invite record, and
# each card's typed form the same invite. Chromium resolves no host name
# (every name maps to nothing): the page fetches nothing anyway (its CSP
# is default-src 'none'). Chromium and zbar-tools are in
# tests/quickstart.sh's test packages; without them the test is skipped
# (a failure under STOA_NO_SKIP=1).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no Chromium at '$CHROMIUM' (apt-get install chromium)"
ZBARIMG=${ZBARIMG:-$(command -v zbarimg || true)}
[ -n "$ZBARIMG" ] || skip "no zbarimg (apt-get install zbar-tools)"

F=$T/fay
RUNS=0

# shot PNG URL W H [SCALE]: a screenshot of URL by headless Chromium
shot() {
	local prof rc=0
	RUNS=$((RUNS + 1))
	prof=$T/chrome-profile-$RUNS
	mkdir -p "$prof"
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$prof" \
		--host-resolver-rules='MAP * ~NOTFOUND' \
		--hide-scrollbars --force-device-scale-factor="${5:-1}" \
		--window-size="$3,$4" --screenshot="$1" "$2" \
		>"$T/chrome-$RUNS.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$1" ]; then
		fail "chromium exited $rc, no screenshot: $(tail -n 3 "$T/chrome-$RUNS.out")"
	fi
}

# decode PNG: every QR code zbarimg reads in PNG, one a line
decode() {
	"$ZBARIMG" --quiet --raw -Sdisable -Sqrcode.enable "$1" 2>"$T/zbar.err" ||
		fail "zbarimg read no QR code in $1: $(cat "$T/zbar.err")"
}

new_home fay "Class 7b" >/dev/null

step "--svg: the SVG, rendered, reads back as the code, and the code joins"
run_ok "$F" invite --role mentor --svg "$T/q.svg" --json
CODE=$(json_field code)
ID=$(json_field id)
[ -s "$T/q.svg" ] || fail "no SVG written"
assert_match "$(head -n 1 "$T/q.svg")" '^<\?xml version="1\.0"' "the SVG's first line"
[ "$(stat -c %a "$T/q.svg")" = 600 ] || fail "the SVG (it holds the secret) is not 0600"
shot "$T/q.png" "file://$T/q.svg" 420 420
GOT=$(decode "$T/q.png")
assert_eq "$CODE" "$GOT" "the SVG's QR code"
run_ok "$T/ann" init --name Ann --join "$GOT"
assert_contains "$OUT" "invite $ID" "Ann's init names the invite"

step "--svg refuses a target that is not a regular file, and writes nothing else"
mkfifo "$T/fifo"
run_fail 1 "$F" invite --svg "$T/fifo"
assert_contains "$ERR" "is not a regular file" "a fifo as --svg"
run_fail 1 "$F" invite --svg "$T/no/such/dir/q.svg"
assert_contains "$ERR" "cannot write" "--svg in a missing directory"

step "--qr: the half blocks, drawn module by module, read back as the code"
# with --typed: the typed form under it, the QR code of the stoa: form
run_ok "$F" invite --role learner --qr --typed
TYPED=$(tail -n 1 <<<"$OUT")
assert_match "$TYPED" '^([0-9A-HJKMNP-TV-Z]{5}-)+[0-9A-HJKMNP-TV-Z]{2,5}$' "the typed form under the QR code"
QRID=$(sed -n 's/^stoa: invite \([0-9a-f]\{16\}\): .*/\1/p' <<<"$ERR")
cols=$(head -n 1 <<<"$OUT" | "$PY" -c 'import sys; print(len(sys.stdin.read().rstrip("\n")))')
[ "$cols" -le 80 ] || fail "the terminal QR code is $cols columns wide"
printf '%s\n' "$OUT" >"$T/qr.txt"
"$PY" - "$T/qr.txt" "$T/qr.png" <<'EOF'
# Each line of blocks is two rows of modules: full block both light, upper
# half block the upper light, lower half block the lower light, a space
# both dark. Written as a grayscale PNG, 8 px a module, with a margin of
# light around the code's own quiet zone.
import struct, sys, zlib
glyph = {"\u2588": (1, 1), "\u2580": (1, 0), "\u2584": (0, 1), " ": (0, 0)}
rows = []
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if not line or not set(line) <= set(glyph):
        continue
    rows.append([glyph[c][0] for c in line])
    rows.append([glyph[c][1] for c in line])
w = max(len(r) for r in rows)
S, M = 8, 4
W, H = (w + 2 * M) * S, (len(rows) + 2 * M) * S
raw = bytearray()
for y in range(H):
    my = y // S - M
    raw.append(0)
    for x in range(W):
        mx = x // S - M
        light = not (0 <= my < len(rows) and 0 <= mx < len(rows[my])) or rows[my][mx]
        raw.append(255 if light else 0)
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
EOF
GOT=$(decode "$T/qr.png")
assert_match "$GOT" '^stoa:Aw' "the terminal QR code (of the stoa: form)"
run_ok "$T/bo" init --name Bo --join "$GOT"
assert_contains "$OUT" "invite $QRID" "Bo's init names the invite"
run_ok "$T/bo2" init --name Bo2 --join "$TYPED"
assert_contains "$OUT" "invite $QRID" "the typed form under it is the same invite"

step "--sheet 3: a printable page whose three codes read back, distinct, one use each"
before=$(own_seq "$F")
run_ok "$F" invite --sheet 3 --html "$T/sheet.html" --expires 2w
assert_eq $((before + 3)) "$(own_seq "$F")" "Fay's feed after a sheet of 3"
[ "$(stat -c %a "$T/sheet.html")" = 600 ] || fail "the sheet is not 0600"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$T/sheet.html" ||
	fail "the sheet has no CSP"
grep -q '@page{size:A4' "$T/sheet.html" || fail "the sheet has no A4 print CSS"
if grep -Eq '<script|src=|href=' "$T/sheet.html"; then
	fail "the sheet loads or runs something"
fi
shot "$T/sheet.png" "file://$T/sheet.html" 1000 1600 2
mapfile -t CODES < <(decode "$T/sheet.png" | sort)
assert_eq 3 "${#CODES[@]}" "codes read from the sheet"
assert_eq 3 "$(printf '%s\n' "${CODES[@]}" | sort -u | grep -c '^stoa:Aw')" "distinct v3 codes on the sheet"
assert_eq 3 "$(grep -Eo 'data-invite="[0-9a-f]{16}"' "$T/sheet.html" | sort -u | wc -l)" "cards on the sheet"
run_ok "$F" invite --list --json
json_check 'sum(1 for r in rows if r["uses"] == 1 and r["role"] == "learner") >= 3' "the sheet's records"
run_ok "$T/cy" init --name Cy --join "${CODES[0]}"
CYID=$(sed -n 's/^invite //p' <<<"$OUT")
grep -q "data-invite=\"$CYID\"" "$T/sheet.html" || fail "Cy's invite is not a card of the sheet"
# the same card's typed form joins the same invite
TYPED=$("$PY" -c '
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"data-invite=\"" + sys.argv[2] + r"\".*?<p class=\"typed\">([0-9A-Z-]+)</p>", html, re.S)
print(m.group(1))' "$T/sheet.html" "$CYID")
# each card shows its id (a lost card is revoked by it)
"$PY" -c '
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
cards = re.findall(r"data-invite=\"([0-9a-f]{16})\".*?</section>", html, re.S)
shown = re.findall(r"<p class=\"id\">invite ([0-9a-f]{16})</p>\n</section>", html)
sys.exit(0 if len(cards) == 3 and cards == shown else 1)' "$T/sheet.html" ||
	fail "a card of the sheet does not show its invite id"
grep -q 'stoa invite --revoke ID</code> ends its invite' "$T/sheet.html" ||
	fail "the sheet does not say how a lost card is revoked"
run_ok "$T/cy2" init --name Cy2 --join "$TYPED"
assert_contains "$OUT" "invite $CYID" "the typed form of Cy's card"

step "a refused sheet leaves no file and no record"
before=$(own_seq "$F")
run_fail 1 "$F" invite --sheet 2 --html "$T/fifo"
assert_eq "$before" "$(own_seq "$F")" "Fay's feed after a refused sheet"

ok
