#!/usr/bin/env bash
# t18-passphrase: a key file sealed with a passphrase (key file v2). Reading
# commands never ask for it; every command that signs or connects needs it
# (STOA_PASSPHRASE, else a no-echo prompt on the terminal) and fails with
# one clear line without it; a wrong one or a damaged file is refused and
# changes nothing; the passphrase can be changed and removed; the file's
# mode is checked at every start.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# Every stoa here runs without a controlling terminal (setsid), so a
# command that wrongly asks for the passphrase fails at once instead of
# waiting on the terminal of whoever runs the test.
command -v setsid >/dev/null 2>&1 || skip "no setsid"
REAL_STOA=$STOA
STOA=$T/stoa-notty
printf '#!/bin/sh\nexec setsid -w "%s" "$@"\n' "$REAL_STOA" >"$STOA"
chmod +x "$STOA"
unset STOA_PASSPHRASE STOA_NEW_PASSPHRASE

A=$T/ada
B=$T/bo
PW='tr0ub4dor & 3 "quotes"'

key_version() { od -An -tu1 -j8 -N1 "$1/key" | tr -d ' '; }
key_size() { stat -c %s "$1/key"; }

step "init --passphrase with STOA_PASSPHRASE: a 154-byte v2 key file, 0600"
STOA_PASSPHRASE=$PW run_ok "$A" init --name Ada \
	--community "Locked Circle" --passphrase
assert_contains "$OUT" "key protected by a passphrase"
assert_eq 154 "$(key_size "$A")" "sealed key file size"
assert_eq 2 "$(key_version "$A")" "key file version"
assert_eq 600 "$(stat -c %a "$A/key")" "key file mode"
assert_eq "stoa-key" "$(head -c 8 "$A/key")" "key file magic"

step "init --passphrase with neither STOA_PASSPHRASE nor a terminal: refused, nothing made"
run_fail 1 "$T/nobody" init --name N --community c --passphrase
assert_contains "$ERR" "no terminal (set STOA_PASSPHRASE)"
[ ! -e "$T/nobody/key" ] || fail "init without a passphrase left a key"

step "reading commands need no passphrase"
run_ok "$A" whoami --json
key_a=$(json_field key)
json_check "rows[0]['name'] == 'Ada' and rows[0]['passphrase'] is True" \
	"whoami: name, protected"
run_ok "$A" whoami
assert_contains "$OUT" "$key_a (passphrase)" "whoami text"
run_ok "$A" feed
run_ok "$A" members --json
run_ok "$A" search anything
run_ok "$A" verify
run_ok "$A" status
run_ok "$A" invite
code=$OUT
entries=$(store_entries "$A")

step "post without the passphrase and no terminal: one clear line, nothing stored"
run_fail 1 "$A" post --topic t "not signed"
assert_eq "stoa: cannot ask for the passphrase of your key: no terminal (set STOA_PASSPHRASE)" \
	"$ERR" "the error without a passphrase"
assert_eq "$entries" "$(store_entries "$A")" "entries after a refused post"

step "a wrong passphrase is refused, nothing stored"
STOA_PASSPHRASE="not it" run_fail 1 "$A" post --topic t "not signed"
assert_eq "stoa: wrong passphrase" "$ERR"
assert_eq "$entries" "$(store_entries "$A")" "entries after a wrong passphrase"

step "the right passphrase signs: post, reply, feedback, kudos, mentor"
export STOA_PASSPHRASE=$PW
run_ok "$A" post --topic algebra --title Q "How do I factor?"
post=$OUT
assert_id "$post"
run_ok "$A" reply "$post" "By grouping."
run_ok "$A" feedback "$post" --helpful
run_ok "$A" mentor offer algebra
assert_eq $((entries + 4)) "$(store_entries "$A")" "entries after signing"
run_ok "$A" verify
unset STOA_PASSPHRASE

step "serve needs the passphrase; with it, a plain member syncs both ways"
run_ok "$B" init --name Bo --join "$code"
run_ok "$B" post --topic t "Bo's plain key still works"
run_fail 1 "$A" serve --listen tcp://127.0.0.1:0
assert_contains "$ERR" "set STOA_PASSPHRASE"
STOA_PASSPHRASE=$PW start_serve "$A"
run_ok "$B" sync "$ENDPOINT" --json
json_check "rows[0]['entries_in'] >= 5 and rows[0]['entries_out'] >= 2" "sync both ways"
assert_eq "$(store_entries "$A")" "$(store_entries "$B")" "entries on both sides"
stop_pid "$SERVE_PID"
start_serve "$B"
run_fail 1 "$A" sync "$ENDPOINT"
assert_contains "$ERR" "set STOA_PASSPHRASE"
STOA_PASSPHRASE=$PW run_ok "$A" sync "$ENDPOINT"
stop_pid "$SERVE_PID"

step "changing the passphrase: the old one stops working, the new one works"
STOA_PASSPHRASE=$PW STOA_NEW_PASSPHRASE=second run_ok "$A" passphrase
assert_contains "$OUT" "key protected by a passphrase"
assert_eq 154 "$(key_size "$A")" "sealed key file size"
assert_eq 600 "$(stat -c %a "$A/key")" "key file mode after a change"
STOA_PASSPHRASE=$PW run_fail 1 "$A" post --topic t "old passphrase"
assert_eq "stoa: wrong passphrase" "$ERR"
STOA_PASSPHRASE=second run_ok "$A" post --topic t "new passphrase"
run_ok "$A" whoami --json
assert_eq "$key_a" "$(json_field key)" "same member after the change"
STOA_PASSPHRASE=wrong STOA_NEW_PASSPHRASE=third run_fail 1 "$A" passphrase
assert_eq "stoa: wrong passphrase" "$ERR"
STOA_PASSPHRASE=second run_fail 1 "$A" passphrase
assert_contains "$ERR" "no terminal (set STOA_NEW_PASSPHRASE)"

step "a key file others can read is refused by every command"
chmod 640 "$A/key"
for cmd in feed whoami members verify; do
	run_fail 1 "$A" "$cmd"
	assert_contains "$ERR" "run chmod 600"
done
STOA_PASSPHRASE=second run_fail 1 "$A" post --topic t "loose mode"
assert_contains "$ERR" "run chmod 600"
chmod 600 "$A/key"

step "a damaged sealed key file is reported as damaged, not as a wrong passphrase"
cp "$A/key" "$T/key.good"
# flip one bit (setting a byte would leave it as it was once in 256 runs)
"$PY" -S -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[120] ^= 1; open(p, "wb").write(b)' "$A/key"
STOA_PASSPHRASE=second run_fail 1 "$A" post --topic t "damaged"
assert_contains "$ERR" "key file is damaged"
run_fail 1 "$A" feed
assert_contains "$ERR" "key file is damaged"
cp "$T/key.good" "$A/key"
chmod 600 "$A/key"

step "passphrase --remove: a plain v1 key file again"
run_fail 1 "$B" passphrase --remove
assert_eq "stoa: the key has no passphrase" "$ERR"
STOA_PASSPHRASE=second run_ok "$A" passphrase --remove
assert_eq 74 "$(key_size "$A")" "plain key file size"
assert_eq 1 "$(key_version "$A")" "key file version"
run_ok "$A" post --topic t "no passphrase any more"
run_ok "$A" whoami --json
json_check "rows[0]['passphrase'] is False" "whoami: not protected"
run_ok "$A" verify

step "on a terminal: asked with echo off, twice for a new one"
STOA=$REAL_STOA
"$PY" - "$REAL_STOA" "$T/tty" <<'EOF' || fail "the terminal prompt"
import os, pty, select, sys, time

stoa, home = sys.argv[1], sys.argv[2]
PROMPTS = (b'passphrase for your key: ', b'again, to confirm: ',
           b'passphrase of your key: ')

def run(args, lines, h=home):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.pop('STOA_PASSPHRASE', None)
        os.execv(stoa, [stoa, '--home', h] + args)
    out, answered, deadline = b'', 0, time.time() + 30
    while time.time() < deadline:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            d = os.read(fd, 4096)
        except OSError:
            break  # EIO: the child closed the terminal
        if not d:
            break
        out += d
        # answer each prompt once, as it appears
        asked = sum(out.count(p) for p in PROMPTS)
        while answered < asked and lines:
            os.write(fd, lines.pop(0) + b'\n')
            answered += 1
    else:
        os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), out.decode('utf-8', 'replace')

def check(cond, what, out):
    if not cond:
        sys.exit('%s:\n%r' % (what, out))

rc, out = run(['init', '--name', 'Tty', '--community', 'c', '--passphrase'],
              [b'sesame', b'sesame'])
check(rc == 0, 'init on a terminal exited %d' % rc, out)
check('new passphrase for your key:' in out and 'again, to confirm:' in out,
      'init asks twice', out)
check('sesame' not in out, 'the passphrase is echoed', out)
rc, out = run(['post', '--topic', 't', 'typed'], [b'sesame'])
check(rc == 0, 'post on a terminal exited %d' % rc, out)
check('passphrase of your key:' in out and 'sesame' not in out,
      'post asks without echo', out)
rc, out = run(['post', '--topic', 't', 'typed'], [b'sesamf'])
check(rc == 1 and 'stoa: wrong passphrase' in out, 'a wrong typed one', out)
rc, out = run(['init', '--name', 'T2', '--community', 'c', '--passphrase'],
              [b'one', b'two'], home + '-2')
check(rc == 1 and 'the two passphrases differ' in out, 'a mistyped confirmation', out)
check(not os.path.exists(home + '-2/key'), 'a key after a mistyped confirmation', out)
EOF
[ "$(od -An -tu1 -j8 -N1 "$T/tty/key" | tr -d ' ')" = 2 ] || fail "tty home key not sealed"

ok
