#!/usr/bin/env bash
# n82-sync-lan-offline: what `stoa sync --lan` says with no node to find.
# On a site with no other node: "no stoa node of field found on this
# network in 1 s", exit 1. With the laptop's only interface down (Wi-Fi
# off: nothing but lo), the same line says why: "(no network interface
# is up)"; and again with the cable out (no carrier).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2119 # (no option needed)
netns_require

M=$(new_home max field)
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
ok
