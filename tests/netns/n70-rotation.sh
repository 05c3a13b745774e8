#!/usr/bin/env bash
# n70-rotation: the community secret moves on after a removal. A classroom
# of four hosts on one site (embedded mDNS, no --peer): ada, the founder,
# removes cy (host c) while di's host (d) is unplugged. The removal
# rotates the secret: ada's invite code changes and her governance lists
# the rotation; bo's daemon adopts it from ada's with no command. cy's
# daemon keeps running but nobody lets it in: its syncs are refused at the
# handshake, and so is a fresh identity made from the old invite code; cy
# keeps the old code. cy's posts written after the removal never reach ada
# or bo. Ada erases a post of bo's holding a secret text. di's host is
# plugged back: with no command on it, di's daemon gets the rotation,
# adopts it ("moved to epoch N") and rekeys, and ada, bo and di converge
# on the same view, di's offline post included, cy's posts after the
# removal absent and cy's earlier one kept; the erased text is in no file
# of any remaining host.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require
START=$(now_ms)

SECRET="bo's home address: 12 Elm Road, door code zq$RANDOM$RANDOM"
BEFORE="cy before the removal"
AFTER1="cy right after the removal"
AFTER2="cy after the rotation"
OFFLINE="di wrote this while unplugged"

key_of() {
	local j
	j=$("$STOA" --home "$1" whoami --json) || fail "whoami in $1 failed"
	json_field key "$j"
}

# invite_of HOME: the code `stoa invite` prints. Note: invite adopts a
# rotation the store holds, so it is only run on a home whose daemon has
# already said it moved (or to read the founder's).
invite_of() {
	local out
	out=$("$STOA" --home "$1" invite 2>/dev/null) || fail "stoa invite in $1 failed"
	[[ $out =~ stoa:[A-Za-z0-9_-]+ ]] || fail "stoa invite in $1 printed no code: $out"
	printf '%s\n' "${BASH_REMATCH[0]}"
}

# ep_of HOST HOME: the endpoint HOME's daemon listens on, at HOST's address
ep_of() {
	local ep
	[ -s "$2/serve.endpoint" ] || fail "no serve.endpoint in $2: is its daemon running?"
	ep=$(<"$2/serve.endpoint")
	printf 'tcp://%s:%s\n' "$(host_addr "$1")" "${ep##*:}"
}

feed_of() {
	"$STOA" --home "$1" feed --json --limit 100000 || fail "feed --json in $1 failed"
}

# in_feed HOME TEXT: a post of HOME's feed holds TEXT
in_feed() {
	local f
	f=$(feed_of "$1")
	case $f in *"$2"*) return 0 ;; esac
	return 1
}

post_ids() {
	local f
	f=$(feed_of "$1")
	json_field id "$f" | sort
}

# live_keys HOME: member keys of the peers HOME's daemon is in session
# with (syncing or synced), one a line
live_keys() {
	local p
	p=$("$STOA" --home "$1" peers --json) || fail "stoa peers --json in $1 failed"
	"$PY" -S -c '
import json, sys
for x in json.loads(sys.argv[1])["peers"]:
    if x["state"] in ("syncing", "synced"):
        print(x.get("node", "-"))
' "$p" || fail "cannot read stoa peers --json of $1"
}

# not_in_session HOME KEY: HOME's daemon has no session with KEY's node
not_in_session() {
	local k
	k=$(live_keys "$1")
	! matches_line "$k" "^$2\$"
}

# cut_off SECONDS HOME KEY...: waits (deadline) until HOME's daemon is in
# session with none of the KEYs' nodes; fails with the sessions it holds
cut_off() {
	local secs=$1 home=$2 deadline k live left
	shift 2
	deadline=$(($(now_ms) + secs * 1000))
	while :; do
		live=$(live_keys "$home")
		fail_check
		left=""
		for k in "$@"; do
			! matches_line "$live" "^$k\$" || left="$left ${k:0:8}"
		done
		[ -n "$left" ] || return 0
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "after $secs s, $(basename "$home")'s daemon is still in session with$left (stoa peers on $(basename "$home"): a node on the old secret, or a removed member's, is let in)"
		sleep 0.05
	done
}

# sync_refused HOST HOME TOHOST TOHOME WHAT: `stoa sync` from HOME, run on
# HOST, to TOHOME's daemon fails at the handshake and brings nothing in
sync_refused() {
	local host=$1 home=$2 to=$3 tohome=$4 what=$5 ep before
	ep=$(ep_of "$to" "$tohome")
	before=$(node_entries "$home")
	: >"$T/out"
	: >"$T/err"
	set +e
	host_run "$host" "$STOA" --home "$home" sync "$ep" --timeout 5 >"$T/out" 2>"$T/err"
	RC=$?
	set -e
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
	[ "$RC" -ne 0 ] ||
		fail "$what: 'stoa sync $ep' from $(basename "$home") exited 0 ($OUT): a node on the old secret got a session with $(basename "$tohome")'s rotated daemon"
	# a rotated node's listener knows only the new epoch's server key: the
	# CURVE handshake of a node on the old secret fails, whichever way the
	# transport reports it
	assert_match "$ERR" "refused the handshake|closes every connection before the handshake" \
		"$what: the error of the refused sync"
	assert_eq "$before" "$(node_entries "$home")" \
		"$what: entries in $(basename "$home") after the refused sync"
}

# cy_writes TEXT: cy writes a post after the removal. Once cy's node holds
# the removal (a rotated node may pass it on as it drops cy), cy's own
# store refuses cy's entries past the cut: then it is never written.
CY_WROTE=0
cy_writes() {
	stoa_run "$C" post --topic intro "$1"
	if [ "$RC" -eq 0 ]; then
		CY_WROTE=$((CY_WROTE + 1))
		return 0
	fi
	assert_match "$ERR" "removed" "the error of cy's post '$1' (stoa post exited $RC)"
	echo "  cy's own node holds the removal already: it refused '$1'"
}

# moved HOME: HOME's daemon logged that it adopted the new epoch
moved() { node_log_has "$1" "moved to epoch $EPOCH\\b"; }

# rekeyed HOME: HOME's daemon listens under the new epoch's keys (it lets
# the old sessions pass the rotation on for a moment first)
rekeyed() { node_log_has "$1" "listening on .* \\(epoch $EPOCH\\)"; }

# gov_epoch_applied HOME: HOME's governance holds the rotation, applied
gov_epoch_applied() {
	run_ok "$1" governance --json --limit 100000
	json_check "sum(1 for r in rows if r.get('kind') == 'epoch' and r.get('effect') == 'applied') == 1" \
		"one rotation (kind \"epoch\"), applied, in the governance of $(basename "$1") (stoa governance)"
}

step "four members, each with a post; four hosts on one site"
A=$(new_home ada class)
run_ok "$A" invite
[[ $OUT =~ stoa:[A-Za-z0-9_-]+ ]] || fail "stoa invite on ada printed no code: $OUT"
OLD=${BASH_REMATCH[0]}
B=$(node_join bo "$A")
C=$(node_join cy "$A")
D=$(node_join di "$A")
for h in "$A" "$B" "$C" "$D"; do
	run_ok "$h" post --topic intro "hello from $(basename "$h")"
done
KA=$(key_of "$A")
KB=$(key_of "$B")
KC=$(key_of "$C")
KD=$(key_of "$D")
net_site room
net_host a room 10.77.7.11/24
net_host b room 10.77.7.12/24
net_host c room 10.77.7.13/24
net_host d room 10.77.7.14/24

step "stoa serve on every host, embedded mDNS, no --peer: all converge"
T0=$(now_ms)
PIDS=()
for x in a:"$A" b:"$B" c:"$C" d:"$D"; do
	node_serve "${x%%:*}" "${x#*:}" --discovery embedded
	PIDS+=("$NODE_PID")
done
wait_for "four views converged on 8 entries (is mDNS working on the site?)" 30 \
	nodes_converged 8 "$A" "$B" "$C" "$D"
run_ok "$C" post --topic intro "$BEFORE"
run_ok "$B" post --topic intro "$SECRET"
SECRET_ID=$OUT
assert_id "$SECRET_ID"
wait_for "cy's and bo's new posts on every host" 20 \
	nodes_converged 10 "$A" "$B" "$C" "$D"
echo "  converged in $(($(now_ms) - T0)) ms from the first start"

step "di's host is unplugged; ada removes cy while cy's daemon runs"
net_link d down
run_ok "$A" remove cy --reason "left the school"
[[ $ERR =~ secret\ (is\ now|moved\ to)\ epoch\ ([0-9]+) ]] ||
	fail "stoa remove did not say the community secret moved to a new epoch: $ERR"
EPOCH=${BASH_REMATCH[2]}
echo "  the secret moved to epoch $EPOCH"
cy_writes "$AFTER1"
NEW=$(invite_of "$A")
[ "$NEW" != "$OLD" ] ||
	fail "ada's invite code is still the old one after the removal (stoa invite should print the new epoch's)"
gov_epoch_applied "$A"

step "bo's daemon adopts the rotation from ada's, with no command; both rekey"
wait_for "bo's daemon to log 'moved to epoch $EPOCH' (does the rotation reach bo's daemon from ada's, and does it adopt it?)" 30 \
	moved "$B"
assert_eq "$NEW" "$(invite_of "$B")" "bo's invite code once his daemon moved (it should be ada's new one)"
gov_epoch_applied "$B"
for h in "$A" "$B"; do
	wait_for "$(basename "$h")'s daemon to listen under epoch $EPOCH's keys (its log: 'listening on ... (epoch $EPOCH)')" 15 \
		rekeyed "$h"
done

step "cy's daemon is left with no session; ada's and bo's hold none with cy"
cut_off 30 "$C" "$KA" "$KB"
cut_off 10 "$A" "$KC"
cut_off 10 "$B" "$KC"

step "cy, still running, writes again; cy cannot connect to ada nor to bo"
cy_writes "$AFTER2"
sync_refused c "$C" a "$A" "cy's sync to ada"
sync_refused c "$C" b "$B" "cy's sync to bo"
for h in "$A" "$B"; do
	for t in "$AFTER1" "$AFTER2"; do
		! in_feed "$h" "$t" ||
			fail "$(basename "$h")'s feed shows '$t', written by cy after the removal"
	done
done

step "a fresh identity made from the old invite code gets nothing either"
N=$T/newcomer
run_ok "$N" init --name newcomer --join "$OLD"
sync_refused c "$N" a "$A" "the newcomer's sync to ada"
sync_refused c "$N" b "$B" "the newcomer's sync to bo"
assert_eq 1 "$(node_entries "$N")" "entries in the newcomer's store (its own profile only)"
run_ok "$A" members --json
json_check "not any(r.get('name') == 'newcomer' for r in rows)" \
	"the newcomer is unknown to ada (stoa members on ada)"

step "ada erases bo's post with the secret text; it leaves bo's node"
run_ok "$A" erase "$SECRET_ID" --reason "personal information"
erased_at_bo() { ! in_feed "$B" "$SECRET"; }
wait_for "bo's feed without the erased post (does the erase record reach bo's daemon?)" 20 \
	erased_at_bo
run_ok "$D" post --topic intro "$OFFLINE"
assert_eq 13 "$(node_entries "$A")" \
	"entries at ada: 4 profiles, 6 posts, the removal, the rotation, the erase"

step "di's host is plugged back: with no command on it, di adopts and all converge"
T1=$(now_ms)
net_link d up
wait_for "di's daemon to log 'moved to epoch $EPOCH' with no command run on di (do ada's or bo's daemons find di under the past epoch's tag and dial it?)" 60 \
	moved "$D"
echo "  di moved to epoch $EPOCH $(($(now_ms) - T1)) ms after the cable came back"
assert_eq "$NEW" "$(invite_of "$D")" "di's invite code once its daemon moved (it should be ada's new one)"
converged() {
	nodes_converged 14 "$A" "$B" "$D" || return 1
	local ia
	ia=$(post_ids "$A")
	[ "$ia" = "$(post_ids "$B")" ] && [ "$ia" = "$(post_ids "$D")" ] || return 1
	ia=$(view_digest "$A")
	[ "$ia" = "$(view_digest "$B")" ] && [ "$ia" = "$(view_digest "$D")" ]
}
wait_for "ada, bo and di converged on 14 entries, same posts, same view (is di syncing on the new epoch? stoa peers on di)" 30 \
	converged
echo "  converged $(($(now_ms) - T1)) ms after the cable came back"

step "the same view everywhere: cy's later posts absent, the earlier one kept, the erased text gone"
echo "  cy wrote $CY_WROTE of its 2 posts after the removal"
for h in "$A" "$B" "$D"; do
	n=$(basename "$h")
	f=$(feed_of "$h")
	assert_contains "$f" "$BEFORE" "$n's feed (cy's post from before the removal stays)"
	assert_contains "$f" "$OFFLINE" "$n's feed (di's post written while unplugged)"
	assert_not_contains "$f" "$AFTER1" "$n's feed (cy's post written after the removal)"
	assert_not_contains "$f" "$AFTER2" "$n's feed (cy's post written after the rotation)"
	assert_not_contains "$f" "$SECRET" "$n's feed (the erased post)"
	run_ok "$h" members --json
	json_check "any(r['key'] == '$KC' and r.get('removed') is True and r['seq'] == r.get('cut') == 3 for r in rows)" \
		"cy removed with entries up to seq 3 kept, none later (stoa members --json on $n)"
	run_ok "$h" show "$SECRET_ID" --json
	json_check "rows[0].get('erased') is True and 'body' not in rows[0]" \
		"bo's post erased on $n (stoa show --json)"
	gov_epoch_applied "$h"
done

step "cy still cannot connect, to di either; cy kept the old code"
wait_for "di's daemon to listen under epoch $EPOCH's keys (its log: 'listening on ... (epoch $EPOCH)')" 15 \
	rekeyed "$D"
cut_off 30 "$C" "$KA" "$KB" "$KD"
for h in "$A" "$B" "$D"; do
	not_in_session "$h" "$KC" ||
		fail "$(basename "$h")'s daemon is in session with removed cy's node (stoa peers --json on $(basename "$h"))"
done
sync_refused c "$C" d "$D" "cy's sync to di"
sync_refused c "$N" d "$D" "the newcomer's sync to di"
assert_eq "$OLD" "$(invite_of "$C")" "cy's invite code (the rotation must not be sealed to cy)"

step "SIGTERM: every daemon exits 0; the erased text is in no file of ada, bo or di"
for p in "${PIDS[@]}"; do
	node_stop "$p"
done
for h in "$A" "$B" "$D"; do
	run_ok "$h" verify
	for f in "$h"/store.db*; do
		if grep -aqF -- "$SECRET" "$f"; then
			fail "the erased text is still in $f (an erase should leave it in no store file: store.db, -wal, -shm)"
		fi
	done
done
echo "  run time $((($(now_ms) - START) / 1000)) s"
ok
