#!/usr/bin/env bash
# n82-sync-lan-offline: what `stoa sync --lan` says with no node to find.
# On a site with no other node: "no stoa node of field found on this
# network in 1 s", exit 1. With the laptop's only interface down (Wi-Fi
# off: nothing but lo), the same line says why: "(no network interface
# is up)"; and again with the cable out (no carrier). Cable back in and a
# node on the site, on a terminal: the line redrawn on stderr while it
# looks says what it looks for, the nodes found and synced and the time
# left (not a percentage of entries: the nodes' totals overlap).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/nodes.sh
. "$(dirname "$0")/nodes.sh"

# shellcheck disable=SC2119 # (no option needed)
netns_require

A=$(new_home ada field)
M=$(node_join max "$A")
net_site camp
net_host m camp 10.77.11.20/24

lan_sync() { # ARGS...: `stoa sync --lan ARGS` on m; sets RC, OUT, ERR
	set +e
	host_run m "$STOA" --home "$M" sync --lan "$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
}

step "on a site with no other node: none found, exit 1"
lan_sync --wait 1
assert_eq 1 "$RC" "exit status"
assert_eq "stoa: no stoa node of field found on this network in 1 s" "$ERR" "the error"
assert_eq "" "$OUT" "stdout"

step "eth0 down (nothing but lo): the same, and why"
ip -n "$(host_ns m)" link set eth0 down
lan_sync --wait 1
assert_eq 1 "$RC" "exit status"
assert_eq "stoa: no stoa node of field found on this network in 1 s (no network interface is up)" \
	"$ERR" "the error"
lan_sync --wait 1 --json
assert_eq 1 "$RC" "exit status (--json)"
assert_match "$OUT" '^\{"type":"sync_lan",.*"found":0,' "the JSON report"

step "eth0 up, its cable out (no carrier): the same"
ip -n "$(host_ns m)" link set eth0 up
net_link m down
lan_sync --wait 1
assert_eq "stoa: no stoa node of field found on this network in 1 s (no network interface is up)" \
	"$ERR" "the error"

step "cable in, ada serves: on a terminal, what it looks for and how long"
net_link m up
net_host a camp 10.77.11.11/24
node_serve a "$A" --discovery embedded
# script(1) gives it a terminal; its typescript is the screen's bytes
host_run m script -qec "$STOA --home $M sync --lan --wait 2" "$T/tty" \
	>"$T/tty.out" 2>&1 || fail "sync --lan on a terminal failed: $(cat "$T/tty.out")"
TTY=$(tr '\r' '\n' <"$T/tty")
assert_match "$TTY" '^stoa: looking for nodes of field: 0 found, 0 synced, 0 in, 0 out, 2 s left +$' "the line at the start"
assert_match "$TTY" '^stoa: looking for nodes of field: 1 found, 1 synced, [0-9]+ in, [0-9]+ out(, [12] s left)? +$' "the line once ada synced"
assert_not_contains "$TTY" "%" "the line (no percentage)"
assert_match "$TTY" '^ada \([0-9a-f]{8}, tcp://(10\.77\.11\.11|\[fe80:[0-9a-f:]+%eth0\]):[0-9]+\): [0-9]+ in, [0-9]+ out$' "ada's line"
ok
