#!/usr/bin/env bash
# n00-harness: proves the virtual-host harness (tests/netns/lib.sh) itself,
# with no stoa at all: three hosts on one site and one on another, each with
# its own dbus-daemon and avahi-daemon. A publishes a DNS-SD service; B and
# C find it with A's IPv4 and IPv6 addresses; D, on the other site, does
# not, until its cable is moved to A's site. Ping crosses a site and not the
# gap between sites; a pulled cable stops it. Cleanup leaves no namespace
# and no process behind. Prints the time each phase took.
set -euo pipefail
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

netns_require avahi ping

TYPE=_stoa-test._tcp
NAME=stoa-harness-a
T0=$(now_ms)
LAST=$T0
TIMINGS=()
lap() { # WHAT: record the time since the previous lap
	local now
	now=$(now_ms)
	TIMINGS+=("$(printf '%6d ms  %s' $((now - LAST)) "$1")")
	LAST=$now
}

# browse_once HOST...: one `avahi-browse -rtp` (resolve, terminate after
# the cache dump, parsable) on each HOST at the same time (each takes about
# a second); HOST's output is in $BROWSE.HOST.
BROWSE="$NET_T/browse"
browse_once() {
	local h
	local -a pids=()
	for h in "$@"; do
		: >"$BROWSE.$h"
		host_spawn "$h" --log "$BROWSE.$h" avahi-browse -rtp "$TYPE" >/dev/null
		pids+=("$SPAWN_PID")
	done
	for h in "${pids[@]}"; do
		net_wait_pid "$h" 10
	done
}

# browse_has HOST REGEX: a fresh browse on HOST has a line matching REGEX.
browse_has() {
	browse_once "$1"
	grep -Eq -- "$2" "$BROWSE.$1"
}

# seen_on_b_and_c: one browse on b and c at once finds A's service on both,
# over IPv4 with a's address, and on b over IPv6 with a's link-local one.
seen_on_b_and_c() {
	browse_once b c
	grep -Eq -- "$(row IPv4 10.77.0.11)" "$BROWSE.b" &&
		grep -Eq -- "$(row IPv4 10.77.0.11)" "$BROWSE.c" &&
		grep -Eq -- "$(row IPv6 "$A6")" "$BROWSE.b" &&
		grep -Eq -- "$(row IPv6 "$A6")" "$BROWSE.c"
}

pings() { # HOST ADDR [ping options]: one ping from HOST answered
	local h=$1 addr=$2
	shift 2
	host_run "$h" ping -c1 -W1 "$@" "$addr" >/dev/null 2>&1
}

# A resolved row for A's service over PROTO with ADDRESS.
row() { # PROTO ADDRESS
	printf '^=;eth0;%s;%s;%s;local;a\\.local;%s;7001;"v=1"$' "$1" "$NAME" "$TYPE" "${2//./\\.}"
}

step "two sites, three hosts on s1 and one on s2 (same /24: only layer 2 parts them)"
net_site s1
net_site s2
net_host a s1 10.77.0.11/24
net_host b s1 10.77.0.12/24
net_host c s1 10.77.0.13/24
net_host d s2 10.77.0.21/24
lap "2 sites, 4 hosts"
for br in br1 br2; do
	[[ $(ip -n "$NET_SW" -d link show "$br") == *'mcast_snooping 0 '* ]] ||
		fail "bridge $br snoops multicast (mDNS to a late joiner would be lost)"
done

step "each host is its own machine: hostname, interfaces, no route out"
for h in a b c d; do
	[ "$(host_run "$h" hostname)" = "$h" ] || fail "hostname on $h is not '$h'"
	links=$(host_run "$h" ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
	[ "$links" = "eth0 lo " ] || fail "$h has links '$links', expected eth0 and lo"
	if host_run "$h" ip route get 192.0.2.1 >/dev/null 2>&1; then
		fail "$h has a route to the outside"
	fi
done
[ "$(host_run a ip -o -4 addr show dev eth0 | awk '{ print $4 }')" = 10.77.0.11/24 ] ||
	fail "a's address is wrong"
A6=$(host_addr6 a)
[ -n "$A6" ] || fail "a has no IPv6 link-local address"

step "ping: across a site yes (IPv4 and IPv6), between sites no"
pings a "$(host_addr b)" || fail "a cannot ping b"
pings c "$(host_addr a)" || fail "c cannot ping a"
pings b "$A6%eth0" -6 || fail "b cannot ping a over IPv6"
if pings a "$(host_addr d)"; then
	fail "a can ping d on the other site"
fi
lap "host checks and pings (one 1 s negative)"

step "a pulled cable stops traffic, a plugged one restores it"
net_link b down
if pings a "$(host_addr b)"; then
	fail "a can ping b with b's cable pulled"
fi
net_link b up
wait_for "a reaching b again" 5 pings a "$(host_addr b)"
lap "link down/up (one 1 s negative)"

step "an avahi-daemon and a system bus per host, each in its own /run"
host_avahi_start a b c d
lap "4 avahi-daemons (parallel) up"
for h in a b c d; do
	pid=$(host_run "$h" cat /run/avahi-daemon/pid)
	[ "$pid" = "${NET_AVAHI_PID[$h]}" ] || fail "$h's /run/avahi-daemon/pid is '$pid'"
	host_run "$h" avahi-daemon --check || fail "avahi-daemon --check fails on $h"
done
if [ -e /run/avahi-daemon/pid ] && [ "$(cat /run/avahi-daemon/pid)" = "${NET_AVAHI_PID[a]}" ]; then
	fail "a's avahi pid file is visible in the root mount namespace"
fi
# The machine's own network namespace has no avahi-daemon of ours.
rootnet=$(readlink /proc/self/ns/net)
for h in a b c d; do
	[ "$(readlink "/proc/${NET_AVAHI_PID[$h]}/ns/net")" != "$rootnet" ] ||
		fail "$h's avahi-daemon runs in the root network namespace"
done

step "d browses (long-running) before a publishes"
host_spawn d avahi-browse -rp "$TYPE" >/dev/null
DLOG=$SPAWN_LOG

step "a publishes $NAME ($TYPE, port 7001)"
host_spawn a avahi-publish -s "$NAME" "$TYPE" 7001 v=1 >/dev/null
PUBLOG=$SPAWN_LOG
wait_for "avahi-publish on a to register" 10 grep -q "Established under name '$NAME'" "$PUBLOG"
lap "published"

step "b and c find it (avahi-browse -rtp) with a's IPv4 and IPv6 link-local address"
wait_for "b and c to resolve $NAME over IPv4 and IPv6" 10 seen_on_b_and_c
lap "b and c resolved it"

step "d, on the other site, saw nothing (its browser ran all along)"
if grep -q "$NAME" "$DLOG"; then
	fail "d on site s2 saw a's service: $(grep -m 3 "$NAME" "$DLOG")"
fi
if browse_has d "$NAME"; then
	fail "a fresh browse on d (site s2) found a's service"
fi
lap "d: nothing (one fresh browse)"

step "d's cable moves to s1: its running browser and a fresh browse find a"
net_move d s1
[ "$(host_site d)" = s1 ] || fail "host_site d is not s1 after the move"
tm=$(now_ms)
wait_for "d's running browser to resolve $NAME" 10 \
	grep -Eq "$(row IPv4 10.77.0.11)" "$DLOG"
lap "d's running browser found it after the move"
echo "  (the running browser on d found a $(($(now_ms) - tm)) ms after the move)"
wait_for "a fresh browse on d to resolve $NAME" 10 browse_has d "$(row IPv4 10.77.0.11)"
pings d "$(host_addr a)" || fail "d cannot ping a after the move"
lap "fresh browse and ping from d"

step "avahi stops cleanly per host (TERM, goodbye, exit 0)"
host_avahi_stop c
[ "$AVAHI_STOP_RC" -eq 0 ] || fail "c's avahi-daemon exited $AVAHI_STOP_RC"
[ "$STOP_RC" -eq 0 ] || fail "c's dbus-daemon exited $STOP_RC"
grep -q 'Got SIGTERM, quitting' "$(host_dir c)/avahi.log" ||
	fail "c's avahi-daemon did not log its SIGTERM"
if host_run c avahi-daemon --check 2>/dev/null; then
	fail "avahi-daemon --check still succeeds on c after the stop"
fi
lap "stopped c's avahi and bus"

step "cleanup removes every namespace and process of this run"
prefix=$NET_PREFIX
mapfile -t pids < <(net_pids)
[ "${#pids[@]}" -ge 10 ] || fail "expected at least 10 started processes, have ${#pids[@]}"
declare -A start=()
for p in "${pids[@]}"; do
	start[$p]=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $20 }')
done
net_cleanup || fail "net_cleanup reported leftovers"
lap "cleanup"
left=$(ip netns list | awk '{ print $1 }' | grep -F -- "$prefix" || true)
[ -z "$left" ] || fail "namespaces left after cleanup: $left"
for p in "${pids[@]}"; do
	if [ -r "/proc/$p/stat" ] &&
		[ "$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $20 }')" = "${start[$p]}" ]; then
		fail "process $p ($(cat "/proc/$p/comm" 2>/dev/null)) survived cleanup"
	fi
done
[ ! -e "$NET_T" ] || fail "temp dir $NET_T survived cleanup"

echo "timings:"
printf '  %s\n' "${TIMINGS[@]}"
printf '  %6d ms  total\n' $(($(now_ms) - T0))
ok
