#!/usr/bin/env bash
# t07-help-usage: help, --help, --version, and usage errors (exit 2) for
# unknown commands and options; none of them needs or creates a home.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

COMMANDS="init invite whoami post reply feed show feedback mentor kudos members search verify reindex serve sync status peers passphrase help"
NOHOME=$T/nohome

step "stoa help lists every command (exit 0)"
run_ok "$NOHOME" help
for c in $COMMANDS; do
	matches_line "$OUT" "^  $c( |\$)" || fail "'stoa help' does not list '$c'"
done
assert_contains "$OUT" "usage: stoa" "help"
[ -z "$ERR" ] || fail "help wrote to stderr"
help_out=$OUT

step "stoa --help and -h print the same list"
run_ok "$NOHOME" --help
assert_eq "$help_out" "$OUT" "stoa --help"
run_ok "$NOHOME" -h
assert_eq "$help_out" "$OUT" "stoa -h"
run_ok "" help
assert_eq "$help_out" "$OUT" "stoa help without --home"

step "stoa help CMD and stoa CMD --help show the command's usage"
for c in $COMMANDS; do
	run_ok "$NOHOME" help "$c"
	assert_contains "$OUT" "usage: stoa $c" "stoa help $c"
	one=$OUT
	run_ok "$NOHOME" "$c" --help
	assert_eq "$one" "$OUT" "stoa $c --help"
done
run_ok "$NOHOME" help post
assert_contains "$OUT" "--topic" "stoa help post"
assert_contains "$OUT" "--title" "stoa help post"
run_ok "$NOHOME" help feed
assert_contains "$OUT" "--limit" "stoa help feed"
run_ok "$NOHOME" help mentor
for s in offer request accept session close list; do
	assert_contains "$OUT" "mentor $s" "stoa help mentor"
done

run_ok "$NOHOME" help serve
assert_contains "$OUT" "--discovery" "stoa help serve"
run_fail 2 "$NOHOME" serve --discovery bonjour
assert_contains "$ERR" "unknown discovery 'bonjour'" "serve --discovery bonjour"

step "stoa --version"
run_ok "$NOHOME" --version
assert_match "$OUT" '^stoa [0-9]+\.[0-9]+\.[0-9]+' "version"
run_ok "" --version

step "no command: exit 2"
stoa_run "$NOHOME"
assert_eq 2 "$RC" "stoa with no command"
# the error, then the command list (as git does)
case $ERR in "stoa: "?*) ;; *) fail "stoa with no command: no 'stoa: ' line first" ;; esac
[ -z "$OUT" ] || fail "stoa with no command printed on stdout"

step "unknown command: exit 2, one 'stoa: ' line then the usage"
run_fail 2 "$NOHOME" frobnicate
assert_contains "$ERR" "frobnicate" "unknown command"
run_fail 2 "$NOHOME" help frobnicate
run_fail 2 "$NOHOME" help post feed
run_fail 2 "$NOHOME" POST hello

step "unknown options: exit 2 (global and per command)"
run_fail 2 "$NOHOME" --frobnicate whoami
run_fail 2 "$NOHOME" -x whoami
run_fail 2 "" --home
for c in whoami invite feed members verify reindex "mentor list" "search q" "post text" \
	"show deadbeef" "feedback deadbeef" "kudos x" "reply deadbeef text" init; do
	# shellcheck disable=SC2086
	run_fail 2 "$NOHOME" $c --frobnicate
	assert_contains "$ERR" "--frobnicate" "'$c --frobnicate'"
done
run_fail 2 "$NOHOME" whoami --json=yes
run_fail 2 "$NOHOME" feed --limit
run_fail 2 "$NOHOME" whoami extra

step "commands with sub-commands: a missing or unknown one is a usage error"
for c in mentor bundle member; do
	run_fail 2 "$NOHOME" $c
	assert_contains "$ERR" "stoa: missing sub-command" "'$c' alone"
	assert_contains "$ERR" "usage: stoa $c " "'$c' alone"
	run_fail 2 "$NOHOME" $c "bog$(printf '\033')[2Jus"
	assert_contains "$ERR" "stoa: unknown $c sub-command 'bog[2Jus'" "'$c bogus' (the escape dropped)"
	run_ok "$NOHOME" $c --help
	assert_contains "$OUT" "usage: stoa $c " "'$c --help'"
done

step "none of this created a home"
[ ! -e "$NOHOME" ] || fail "help or a usage error created '$NOHOME'"
[ ! -e "$HOME/.local/share/stoa" ] || fail "help or a usage error created the default home"

ok
