#!/usr/bin/env bash
# t57-sync-lan-usage: `stoa sync --lan`'s command line, on loopback only.
# The finding and syncing themselves need a network that mDNS may use:
# they are tests/netns/n80-sync-lan (nothing here sends a packet, since
# every case below is refused before discovery starts).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

step "stoa help sync: both forms, --lan and --wait"
NOHOME=$T/nohome
run_ok "$NOHOME" help sync
assert_contains "$OUT" "usage: stoa sync ENDPOINT" "stoa help sync"
assert_contains "$OUT" "or: stoa sync --lan [--wait SECONDS]" "stoa help sync"
assert_contains "$OUT" "--wait SECONDS" "stoa help sync"

step "bash completion offers --lan and --wait"
comp() { # WORDS...: what cli/stoa.bash offers for the last word
	PATH=$(dirname "$STOA"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stoa; echo "${COMPREPLY[*]}"' _ "$STOA_SRC/cli/stoa.bash" "$@"
}
assert_eq "--lan" "$(comp stoa sync --l)" "completion of 'stoa sync --l'"
assert_eq "--wait" "$(comp stoa sync --lan --wa)" "completion of 'stoa sync --lan --wa'"

A=$(new_home ada field)

step "usage errors: exit 2, nothing on stdout"
run_fail 2 "$A" sync --lan tcp://127.0.0.1:9
assert_contains "$ERR" "stoa: --lan takes no ENDPOINT" "ENDPOINT with --lan"
run_fail 2 "$A" sync --wait 3 tcp://127.0.0.1:9
assert_contains "$ERR" "stoa: --wait goes with --lan" "--wait without --lan"
run_fail 2 "$A" sync --lan --wait 5 --timeout 3
assert_contains "$ERR" "stoa: --timeout is shorter than --wait" "--timeout below --wait"
run_fail 2 "$A" sync --lan --wait five
assert_contains "$ERR" "--wait" "a --wait that is not a number"
run_fail 2 "$A" sync --lan --wait
assert_contains "$ERR" "--wait" "--wait with no value"
run_fail 2 "$A" sync
assert_contains "$ERR" "stoa: missing ENDPOINT (or --lan)" "sync alone"

step "--wait out of 1..3600: exit 1, as --timeout"
run_fail 1 "$A" sync --lan --wait 0
assert_contains "$ERR" "--wait" "--wait 0"
run_fail 1 "$A" sync --lan --wait 3601
assert_contains "$ERR" "--wait" "--wait 3601"

step "no node in the home: exit 1 before any network"
run_fail 1 "$T/empty" sync --lan --wait 1
assert_contains "$ERR" "stoa: " "sync --lan without a node"
ok
