#!/usr/bin/env bash
# n81-sync-lan-forged: `stoa sync --lan` among forged mDNS records. A host
# h that is no member (it only read the community's tag off the LAN, as
# anyone can) publishes through its avahi-daemon: first cy's own record
# replayed at an address nobody holds (a blackhole); the laptop syncs with
# cy and its line names the address it synced at, not the forged one.
# Then 80 records of made-up nodes at the blackhole, found before cy's
# real record (cy is frozen until the laptop dials 64 of them): cy,
# a member the laptop knows, still gets a slot (the table of nodes found
# is full) and syncs; the forged records get no line, fail nothing (exit
# 0) and are counted on stderr. Last, cy's record replayed at h's own
# address (refused), the only one while cy is down: the dial there
# fails, and cy, up again with a new record within the wait, still syncs
# (the failed address cost only its dial).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

netns_require avahi

# (a node found by mDNS may be reached at its link-local IPv6 address
# instead: both stacks resolve A and AAAA records; the key names the host)
HOLE=10.77.10.99
CY_LINE='^cy \([0-9a-f]{8}, tcp://(10\.77\.10\.13|\[fe80:[0-9a-f:]+%eth0\]):[0-9]+\): [0-9]+ in, [0-9]+ out$'

step "cy serves the community field; max's laptop syncs once with it"
C=$(new_home cy field)
M=$(node_join max "$C")
run_ok "$C" post --topic visit "cy's notes"
net_site camp
net_host c camp 10.77.10.13/24
net_host h camp 10.77.10.66/24
net_host m camp 10.77.10.20/24
node_serve c "$C" --discovery embedded
CY_PID=$NODE_PID
host_run m "$STOA" --home "$M" sync --lan --wait 2 >"$T/out" 2>"$T/err" ||
	fail "the first sync --lan failed: $(cat "$T/err")"

step "h replays cy's record at $HOLE: cy's line names where it synced"
host_avahi_start h
cy_seen() {
	host_browse h _stoa._tcp >"$T/browse" 2>&1 &&
		grep -q '^=;eth0;IPv4;.*;10\.77\.10\.13;' "$T/browse"
}
wait_for "h's avahi-daemon sees cy" 10 cy_seen
REC=$(grep '^=;eth0;IPv4;.*;10\.77\.10\.13;' "$T/browse")
[[ $REC =~ (tag=[0-9a-f]+) ]] || fail "no tag in cy's record: $REC"
TAG=${BASH_REMATCH[1]}
[[ $REC =~ (id=[0-9a-f]+) ]] || fail "no id in cy's record: $REC"
CY_ID=${BASH_REMATCH[1]}
host_spawn h avahi-publish -a -R hole.local "$HOLE" >/dev/null
REPLAYS=()
for i in 1 2; do
	host_spawn h avahi-publish -s -H hole.local "replay$i" _stoa._tcp 7647 \
		v=2 "$CY_ID" "$TAG" >/dev/null
	REPLAYS+=("$SPAWN_PID")
done
replays_seen() {
	host_browse h _stoa._tcp >"$T/browse" 2>&1 &&
		[ "$(grep -c "^=;eth0;IPv4;.*;$HOLE;" "$T/browse")" -ge 2 ]
}
wait_for "h's avahi-daemon sees the replays" 10 replays_seen
run_ok "$M" post --topic visit "max's notes"
host_run m "$STOA" --home "$M" sync --lan --wait 2 >"$T/out" 2>"$T/err" ||
	fail "sync --lan among replays failed: $(cat "$T/err") / $(cat "$T/out")"
OUT=$(<"$T/out")
assert_match "$OUT" "$CY_LINE" "cy's line"
assert_match "$OUT" '^total: 1 peer, [0-9]+ in, 1 out in [0-9.]+ s$' "the total"
assert_eq "" "$(<"$T/err")" "stderr"

step "80 forged nodes at $HOLE, found before cy: cy syncs, exit 0, counted"
# (no replay of cy's now: its only record is its own, found last)
for p in "${REPLAYS[@]}"; do
	net_stop_pid "$p"
done
FORGED=()
for i in $(seq 1 80); do
	id=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
	host_spawn h avahi-publish -s -H hole.local "forged$i" _stoa._tcp 7647 \
		v=2 "id=$id" "$TAG" >/dev/null
	FORGED+=("$SPAWN_PID")
done
forged_seen() {
	host_browse h _stoa._tcp >"$T/browse" 2>&1 &&
		[ "$(grep -c "^=;eth0;IPv4;.*;$HOLE;" "$T/browse")" -eq 80 ]
}
wait_for "h's avahi-daemon sees the 80 forged records" 20 forged_seen
run_ok "$M" post --topic visit "max again"
# cy frozen: its answers come only once the laptop has found the
# forged records
kill -STOP "$CY_PID"
host_spawn m --log "$T/flood.log" "$STOA" --home "$M" sync --lan --wait 4 \
	--timeout 40 >/dev/null
LAN_PID=$SPAWN_PID
# every slot for a node found taken: as many connections to the
# blackhole under way as DAEMON_PEERS_MAX
hole_dials() {
	local n
	n=$(ip netns exec "$(host_ns m)" ss -Htn state syn-sent dst "$HOLE" | grep -c .) || true
	[ "$n" -ge 64 ]
}
wait_for "the laptop dials 64 forged nodes" 20 hole_dials
kill -CONT "$CY_PID"
T0=$(now_ms)
net_wait_pid "$LAN_PID" 45
echo "  sync --lan --wait 4 among 80 forged records took $(($(now_ms) - T0)) ms after cy woke"
[ "$STOP_RC" -eq 0 ] || fail "sync --lan among forged records exited $STOP_RC: $(cat "$T/flood.log")"
LOG=$(<"$T/flood.log")
assert_match "$LOG" "$CY_LINE" "cy's line"
assert_match "$LOG" '^total: 1 peer, [0-9]+ in, 1 out in [0-9.]+ s$' "the total"
assert_match "$LOG" '^stoa: [0-9]+ records of unknown nodes did not answer as a node of field \(ignored\)$' "the count of forged records"
# nothing else (but the daemon's note that the table of nodes was full)
OTHER=$(grep -Ev -e "$CY_LINE" -e '^total: ' -e ' did not answer as a node ' \
	-e 'mDNS: more than [0-9]+ nodes found; ignoring the rest$' "$T/flood.log" || true)
assert_eq "" "$OTHER" "the other lines"

step "cy's record replayed where nothing listens, found first: cy still syncs"
for p in "${FORGED[@]}"; do
	net_stop_pid "$p"
done
# at h's own address: each dial is refused at once
host_spawn h avahi-publish -s "refused" _stoa._tcp 7647 v=2 "$CY_ID" "$TAG" >/dev/null
refused_seen() {
	host_browse h _stoa._tcp >"$T/browse" 2>&1 &&
		grep -q '^=;eth0;IPv4;refused;.*;10\.77\.10\.66;7647;' "$T/browse" &&
		! grep -q "^=;eth0;IPv4;.*;$HOLE;" "$T/browse"
}
wait_for "h's avahi-daemon sees the refused replay only" 20 refused_seen
run_ok "$M" post --topic visit "max, third"
attempt_fails() { # connections the laptop saw refused (SYN-SENT -> CLOSED)
	# shellcheck disable=SC2016 # (awk's $8, not the shell's)
	ip netns exec "$(host_ns m)" awk '/^Tcp:/ { if (n++) print $8 }' /proc/net/snmp
}
FAILS0=$(attempt_fails)
# cy is down; it starts again (a new record, announced) only once the
# laptop's dial of the replay was refused three times (what fails a
# dial: "cannot connect"), well before its mDNS probing ends
node_stop "$CY_PID"
host_spawn m --log "$T/refused.log" "$STOA" --home "$M" sync --lan --wait 6 \
	--timeout 30 >/dev/null
LAN_PID=$SPAWN_PID
three_refused() { [ $(($(attempt_fails) - FAILS0)) -ge 3 ]; }
wait_for "the laptop's dial of the replay refused three times" 10 three_refused
node_serve c "$C" --discovery embedded
CY_PID=$NODE_PID
net_wait_pid "$LAN_PID" 35
[ "$STOP_RC" -eq 0 ] || fail "sync --lan after a refused replay exited $STOP_RC: $(cat "$T/refused.log")"
LOG=$(<"$T/refused.log")
assert_match "$LOG" "$CY_LINE" "cy's line"
assert_match "$LOG" '^total: 1 peer, [0-9]+ in, 1 out in [0-9.]+ s$' "the total"
node_stop "$CY_PID"
ok
