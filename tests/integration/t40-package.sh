#!/usr/bin/env bash
# t40-package: the .deb a Debian admin installs. Builds stoa from this
# source tree with the install prefix /usr in its own build directory,
# makes the package with `cpack -G DEB`, and checks it as an admin would:
# its Depends come from dpkg-shlibdeps (the libraries stoa links) with
# avahi-daemon recommended; `dpkg -i` installs the binary (stoa --version),
# both man pages (man -w), the bash completion (it completes a command and
# an option), the systemd unit (systemd-analyze verify is silent) and the
# system user stoa with its home /var/lib/stoa (0700); the installed
# binary runs init/post/feed in a temp home; every line of `stoa help CMD`
# is in the man page; then `dpkg --purge` takes it all away again and the
# machine is left as it was (the user made for the test is removed too).
# Needs root, dpkg, cpack and scdoc; it refuses to touch a machine where a
# stoa package, or another /usr/bin/stoa, is installed already.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# skip: poll.sh's (a failure under STOA_NO_SKIP=1, as in CI)
[ "$(id -u)" -eq 0 ] || skip "needs root to install a package"
for tool in dpkg dpkg-shlibdeps cpack scdoc man systemd-analyze; do
	command -v "$tool" >/dev/null 2>&1 || skip "no $tool here"
done
if dpkg-query -W -f='${Status}' stoa 2>/dev/null | grep -E 'installed' >/dev/null; then
	skip "a stoa package is installed on this machine: not touching it"
fi
[ ! -e /usr/bin/stoa ] || skip "/usr/bin/stoa exists and is not ours"

user_before=0
getent passwd stoa >/dev/null && user_before=1
home_before=0
[ -e /var/lib/stoa ] && home_before=1
installed=0
test_teardown() {
	if [ "$installed" = 1 ]; then
		dpkg --purge stoa >/dev/null 2>&1 || true
	fi
	if [ "$user_before" = 0 ] && getent passwd stoa >/dev/null; then
		userdel stoa >/dev/null 2>&1 || true
		getent group stoa >/dev/null && groupdel stoa >/dev/null 2>&1 || true
	fi
	if [ "$home_before" = 0 ]; then
		rm -rf /var/lib/stoa
	fi
}

B=$T/build-deb
step "build with prefix /usr and make the package"
cmake -S "$STOA_SRC" -B "$B" -DCMAKE_INSTALL_PREFIX=/usr \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$T/cmake.log" 2>&1 ||
	fail "cmake configure failed: $(tail -5 "$T/cmake.log")"
cmake --build "$B" -j"$(nproc)" --target stoa man >"$T/build.log" 2>&1 ||
	fail "build failed: $(tail -5 "$T/build.log")"
(cd "$B" && cpack -G DEB) >"$T/cpack.log" 2>&1 ||
	fail "cpack failed: $(tail -5 "$T/cpack.log")"
deb=$(ls "$B"/stoa_*_*.deb)
[ -f "$deb" ] || fail "no .deb in $B"

step "Depends from dpkg-shlibdeps, avahi-daemon recommended"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsodium23 libzmq5 libsqlite3-0 libavahi-client3 libavahi-core7 libjansson4 libqrencode4 libc6; do
	assert_match "$depends" "(^|, )$lib( |,|$)" "Depends has $lib"
done
assert_eq "avahi-daemon" "$(dpkg-deb -f "$deb" Recommends)" "Recommends"

step "dpkg -i installs binary, man pages, completion, unit, user"
installed=1
dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$T/dpkg.log")"
assert_match "$(/usr/bin/stoa --version)" "^stoa [0-9]+\.[0-9]+\.[0-9]+$" "stoa --version"
assert_eq /usr/share/man/man1/stoa.1 "$(man -w stoa)" "man -w stoa"
assert_eq /usr/share/man/man1/stoa-serve.1 "$(man -w stoa-serve)" "man -w stoa-serve"
comp=/usr/share/bash-completion/completions/stoa
[ -f "$comp" ] || fail "no completion file at $comp"
got=$(PATH=/usr/bin:$PATH bash -c '. "$1"; COMP_WORDS=(stoa po); COMP_CWORD=1; _stoa; echo "${COMPREPLY[*]}"' _ "$comp")
assert_eq "post" "$got" "completion of 'stoa po'"
got=$(PATH=/usr/bin:$PATH bash -c '. "$1"; COMP_WORDS=(stoa serve --li); COMP_CWORD=2; _stoa; echo "${COMPREPLY[*]}"' _ "$comp")
assert_eq "--listen" "$got" "completion of 'stoa serve --li'"
unit=/usr/lib/systemd/system/stoa.service
[ -f "$unit" ] || fail "no unit at $unit"
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify failed: $verify"
assert_eq "" "$verify" "systemd-analyze verify says nothing"
for want in "User=stoa" "ExecStart=/usr/bin/stoa serve" "Restart=on-failure" \
	"NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
	"PrivateTmp=yes" "StateDirectory=stoa" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"; do
	grep -Fx -- "$want" "$unit" >/dev/null || fail "the unit has no line '$want'"
done
getent passwd stoa >/dev/null || fail "no user stoa after install"
assert_eq "700 stoa" "$(stat -c '%a %U' /var/lib/stoa)" "/var/lib/stoa mode and owner"

step "the installed binary: init, post, feed in a temp home"
STOA=/usr/bin/stoa
H=$T/node
run_ok "$H" init --name Pia --community "Packaged"
run_ok "$H" post "from the package"
run_ok "$H" feed
assert_contains "$OUT" "from the package" "feed"

step "the man page says what 'stoa help CMD' says"
page=$(MANWIDTH=200 man stoa 2>/dev/null | col -bx | tr -s ' ')
cmds=$(/usr/bin/stoa help | sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$cmds" ] || fail "no commands listed by stoa help"
n=0
for c in $cmds; do
	while IFS= read -r line; do
		line=$(printf '%s' "$line" | tr -s ' ' | sed 's/^ //; s/ $//')
		[ -n "$line" ] || continue
		[[ $page == *"$line"* ]] || fail "man stoa lacks this line of 'stoa help $c': $line"
		n=$((n + 1))
	done < <(/usr/bin/stoa help "$c")
done
echo "  $n lines of help found in the man page"

step "dpkg --purge leaves the machine as it was"
dpkg --purge stoa >"$T/purge.log" 2>&1 || fail "dpkg --purge failed: $(cat "$T/purge.log")"
installed=0
for f in /usr/bin/stoa /usr/share/man/man1/stoa.1 "$comp" "$unit" /usr/lib/sysusers.d/stoa.conf; do
	[ ! -e "$f" ] || fail "$f is still there after purge"
done
if dpkg-query -W -f='${Status}' stoa 2>/dev/null | grep -E 'installed' >/dev/null; then
	fail "dpkg still lists stoa as installed"
fi
ok
