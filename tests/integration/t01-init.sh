#!/usr/bin/env bash
# t01-init: creating a node (init --community / --join), whoami, invite,
# the key file's permissions, and how the home directory is found.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

A=$T/ada

step "init --community creates the home and says what it made"
run_ok "$A" init --name Ada --community "Maths Circle"
assert_contains "$OUT" "initialised $A" "init output"
assert_match "$OUT" '^member Ada [0-9a-f]{64}$' "init member line"
assert_contains "$OUT" "community Maths Circle" "init output"
key=$(printf '%s\n' "$OUT" | sed -n 's/^member Ada //p')
[ -f "$A/key" ] || fail "no key file in $A"

step "key file is mode 0600, home directory 0700"
assert_eq 600 "$(stat -c %a "$A/key")" "key file mode"
assert_eq 700 "$(stat -c %a "$A")" "home dir mode"

step "whoami (text)"
run_ok "$A" whoami
assert_contains "$OUT" "Ada (facilitator)" "whoami (the founder)"
assert_contains "$OUT" "$key" "whoami"
assert_contains "$OUT" "Maths Circle" "whoami"
assert_contains "$OUT" "$A" "whoami"
[ -z "$ERR" ] || fail "whoami wrote to stderr: $ERR"

step "whoami --json: key name role community home seq"
run_ok "$A" whoami --json
assert_eq 1 "$(json_lines)" "whoami --json lines"
assert_eq "$key" "$(json_field key)" "key"
assert_eq Ada "$(json_field name)" "name"
assert_eq facilitator "$(json_field role)" "role (the founder)"
assert_eq "Maths Circle" "$(json_field community)" "community"
assert_eq "$A" "$(json_field home)" "home"
assert_eq 1 "$(json_field seq)" "seq (the profile entry)"

step "init again is refused and changes nothing"
before_key=$(sha256sum <"$A/key")
before_com=$(sha256sum <"$A/community")
before_db=$(sha256sum <"$A/store.db")
run_fail 1 "$A" init --name Eve --community Other
assert_contains "$ERR" "already holds a node" "second init"
assert_eq "$before_key" "$(sha256sum <"$A/key")" "key file after refused init"
assert_eq "$before_com" "$(sha256sum <"$A/community")" "community after refused init"
assert_eq "$before_db" "$(sha256sum <"$A/store.db")" "store after refused init"
run_ok "$A" whoami --json
assert_eq Ada "$(json_field name)" "name after refused init"

step "init usage errors: exit 2, nothing created"
run_fail 2 "$T/u1" init --community X
assert_contains "$ERR" "--name" "missing --name"
run_fail 2 "$T/u2" init --name Bo
run_fail 2 "$T/u3" init --name Bo --community X --join stoa:abc
run_fail 2 "$T/u4" init --name Bo --role king --community X
assert_contains "$ERR" "--role is gone" "init --role"
run_fail 2 "$T/u5" init --name Bo --community X extra
run_fail 2 "$T/u6" init --name Bo --community X --bogus
run_fail 2 "$T/u7" init --name
for d in u1 u2 u3 u4 u5 u6 u7; do
	[ ! -e "$T/$d/key" ] || fail "a refused init left a key in $T/$d"
done

step "init with a bad name is refused (one line, exit 1), nothing created"
run_fail 1 "$T/u8" init --name "" --community X
run_fail 1 "$T/u9" init --name "$(printf 'two\nlines')" --community X
run_fail 1 "$T/u10" init --name "$(head -c 65 /dev/zero | tr '\0' n)" --community X
for d in u8 u9 u10; do
	[ ! -e "$T/$d/key" ] || fail "a refused init left a key in $T/$d"
done

step "invite prints one code line on stdout and a warning on stderr"
run_ok "$A" invite
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "invite stdout lines"
assert_match "$OUT" '^stoa:[^ ]+$' "invite code"
code=$OUT
assert_match "$ERR" '^stoa: .*(secret|share)' "invite warning"
run_ok "$A" invite --json
assert_eq "$code" "$(json_field code)" "invite --json code"
assert_eq "Maths Circle" "$(json_field community)" "invite --json community"

step "join with the invite code gives the same community, a new key"
B=$T/bo
run_ok "$B" init --name Bo --join "$code"
assert_contains "$OUT" "community Maths Circle" "join output"
run_ok "$B" whoami --json
assert_eq "Maths Circle" "$(json_field community)" "joined community"
assert_eq learner "$(json_field role)" "default role"
[ "$(json_field key)" != "$key" ] || fail "joined node has the inviter's key"
cmp -s "$A/community" "$B/community" ||
	fail "joined node's community file differs from the inviter's"
run_ok "$B" invite
assert_eq "$code" "$OUT" "invite code of the joined node"

step "a damaged invite code is refused with one line, nothing created"
# flip one character in the middle of the code
mid=$(( ${#code} / 2 ))
c=${code:$mid:1}
if [ "$c" = A ]; then r=B; else r=A; fi
bad=${code:0:$mid}$r${code:$((mid + 1))}
run_fail 1 "$T/c1" init --name Cy --join "$bad"
[ ! -e "$T/c1/key" ] || fail "a refused join left a key"
run_fail 1 "$T/c2" init --name Cy --join "${code:0:$((${#code} - 3))}"
run_fail 1 "$T/c3" init --name Cy --join "hello"
run_fail 1 "$T/c4" init --name Cy --join "$code$code"
assert_not_contains "$ERR" "${code#stoa:}" "error message (must not echo the secret)"

step "a key file readable by others makes every command refuse"
chmod 644 "$A/key"
for cmd in whoami invite "post hello" feed members verify reindex "mentor list" "search x"; do
	# shellcheck disable=SC2086
	run_fail 1 "$A" $cmd
	assert_contains "$ERR" "key" "'$cmd' with a 0644 key file"
	assert_match "$ERR" 'permission|mode|0600|chmod|readable' "'$cmd' with a 0644 key file"
done
chmod 600 "$A/key"
run_ok "$A" whoami

step "a missing home says to run 'stoa init' (exit 1)"
for cmd in whoami invite feed members "post hi"; do
	# shellcheck disable=SC2086
	run_fail 1 "$T/nowhere" $cmd
	assert_contains "$ERR" "run 'stoa init'" "'$cmd' without a node"
done
[ ! -e "$T/nowhere/store.db" ] || fail "a read command created a store"

step "an empty --home is a usage error, never the default home"
STOA_HOME=$A run_fail 2 "" --home "" whoami
assert_contains "$ERR" "stoa: --home needs a directory" "empty --home"
STOA_HOME=$A run_fail 2 "" --home= whoami
assert_contains "$ERR" "stoa: --home needs a directory" "empty --home="
STOA_HOME=$A run_fail 2 "" --home "" init --name Eve --community Other
assert_eq "$before_key" "$(sha256sum <"$A/key")" "key after init with an empty --home"

step "a home path with a newline or an escape prints as one clean line"
N=$T/x$'\n'b
run_fail 1 "$N" whoami
assert_contains "$ERR" "$T/x b" "error about a home with a newline"
assert_clean_text "$T/err" "error about a home with a newline"
E=$T/esc$'\e[31m'red
run_ok "$E" init --name Esc --community Escapes
assert_eq 3 "$(printf '%s\n' "$OUT" | wc -l)" "init output lines"
assert_clean_text "$T/out" "init output for a home with an escape"
run_ok "$E" whoami
assert_contains "$OUT" "home       $T/esc[31mred" "whoami home line"
assert_clean_text "$T/out" "whoami output for a home with an escape"
run_ok "$N" init --name Nl --community Newlines
assert_contains "$OUT" "initialised $T/x b" "init output for a home with a newline"
assert_eq 3 "$(printf '%s\n' "$OUT" | wc -l)" "init output lines"
run_ok "$N" whoami --json
assert_eq "$N" "$(json_field home)" "whoami --json keeps the real path"

step "STOA_HOME is used when --home is not given"
STOA_HOME=$A run_ok "" whoami --json
assert_eq "$A" "$(json_field home)" "home from STOA_HOME"
step "--home wins over STOA_HOME"
STOA_HOME=$A run_ok "$B" whoami --json
assert_eq "$B" "$(json_field home)" "home from --home"

step "without --home or STOA_HOME the home is \$XDG_DATA_HOME/stoa"
X=$T/xdg
mkdir -p "$X"
XDG_DATA_HOME=$X run_ok "" init --name Xe --community Xdg
[ -f "$X/stoa/key" ] || fail "init did not create \$XDG_DATA_HOME/stoa"
XDG_DATA_HOME=$X run_ok "" whoami --json
assert_eq "$X/stoa" "$(json_field home)" "home from XDG_DATA_HOME"
assert_eq Xe "$(json_field name)" "name in the XDG home"

step "and else \$HOME/.local/share/stoa"
run_ok "" init --name Ho --community Homely
[ -f "$HOME/.local/share/stoa/key" ] || fail "init did not create ~/.local/share/stoa"
run_ok "" whoami --json
assert_eq "$HOME/.local/share/stoa" "$(json_field home)" "home from HOME"

ok
