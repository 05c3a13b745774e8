#!/usr/bin/env bash
#
# quickstart: the one script behind the README's Quick start. On a fresh
# Debian 12 machine it installs the Debian packages stoa needs (only the
# missing ones), configures and builds stoa with CMake, and then either
# starts your node (`node`: creates it if needed, shows it, then runs its
# daemon, `stoa serve`, in the foreground until Ctrl-C) or runs the whole
# test suite (`test`). Its `test` mode is also what CI runs (.ci/run), so
# the README's test command is the tested one.
# It never touches a node that already exists: `node` creates one only if
# the home holds no key file.
#
# Usage: bash tests/quickstart.sh node|test
#
# Environment:
#   STOA_BUILD_DIR   build directory (default: build, relative to the repo)
#   STOA_CMAKE_ARGS  extra arguments for the CMake configure step,
#                    e.g. "-DSTOA_WERROR=ON -DSTOA_SANITIZE=ON"
#   STOA_COMMUNITY   community name for a new node (default: classroom)
#   STOA_HOME        the node's directory (stoa's own default otherwise:
#                    $XDG_DATA_HOME/stoa, else ~/.local/share/stoa)
#   STOA_EXTRA_PACKAGES  more Debian packages to install if missing, split
#                    on white space (CI: clang and valgrind, see .ci/run)
#   STOA_NO_SKIP     1: every test must run here (CI, as root on a machine
#                    that can make namespaces): a test that cannot fails
#                    (tests/integration/poll.sh, skip), and `test` fails
#                    if CTest still counted one as skipped, naming it and
#                    printing what it said
#
# Runs as root; as another user it uses sudo for apt-get only.
set -euo pipefail

usage="usage: bash tests/quickstart.sh node|test"

say() { printf 'quickstart: %s\n' "$*" >&2; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

if [ $# -ne 1 ]; then
	printf '%s\n' "$usage" >&2
	exit 2
fi
mode=$1
case "$mode" in
node | test) ;;
-h | --help)
	printf '%s\n' "$usage"
	exit 0
	;;
*)
	printf 'quickstart: unknown mode %s\n%s\n' "'$mode'" "$usage" >&2
	exit 2
	;;
esac

# Work from the repository root, wherever the script is called from.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# --- 1. Debian packages ---------------------------------------------------
# python3 is for the tests' JSON checks, sqlite3 (the shell) for a test
# that tampers with a store. (The sanitizer build uses gcc from
# build-essential: no clang needed.)
packages=(build-essential cmake pkg-config libsodium-dev libzmq3-dev
	libsqlite3-dev libavahi-client-dev libavahi-core-dev libjansson-dev
	libqrencode-dev python3 sqlite3)
if [ -n "${STOA_EXTRA_PACKAGES:-}" ]; then
	# Split on white space on purpose: a list of package names.
	read -r -a extra_packages <<<"$STOA_EXTRA_PACKAGES"
	packages+=("${extra_packages[@]}")
fi

# The tests also make virtual hosts (iproute2) and run a system
# avahi-daemon with its own D-Bus on some of them (tests/netns).
# python3-cryptography lets golden_python check the Ed25519 signatures of
# the golden vectors with a second implementation (it fails without it).
# t40-package builds the .deb and installs it: scdoc (man pages), dpkg-dev
# (dpkg-shlibdeps), man-db (man -w) and systemd (systemd-analyze verify).
# t51-report-html opens `stoa report --html` in a real browser, headless
# Chromium: the DOM it builds, a screenshot, a PDF, and that the file
# fetches nothing.
# t66-invite-qr reads the invites' QR codes back with zbarimg (zbar-tools).
if [ "$mode" = test ]; then
	packages+=(iproute2 iputils-ping avahi-daemon avahi-utils dbus
		python3-cryptography scdoc dpkg-dev man-db systemd chromium)
	packages+=(zbar-tools)
fi

install_missing() {
	local missing=() pkg status
	local -a as_root=()

	if ! command -v dpkg-query >/dev/null 2>&1 ||
		! command -v apt-get >/dev/null 2>&1; then
		say "no dpkg/apt-get here (not Debian?): skipping package installation"
		say "make sure these (or your system's equivalents) are installed: ${packages[*]}"
		return 0
	fi
	# dpkg-query's status, read whole (no pipe into grep -q: with pipefail
	# an early-exiting grep could make an installed package look missing).
	for pkg in "${packages[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		case "$status" in
		# (triggers pending: another dpkg is at work, it is there)
		*'install ok installed'* | *'install ok triggers-'*) ;;
		*) missing+=("$pkg") ;;
		esac
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "all ${#packages[@]} Debian packages are installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			die "missing packages (${missing[*]}): run as root or install sudo"
		as_root=(sudo)
	fi
	say "installing missing packages: ${missing[*]}"
	# another dpkg (unattended-upgrades at boot, a package test) may hold
	# the lock for a while: wait for it rather than fail
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 update
	# The tests run their own avahi-daemons inside network namespaces;
	# installing the package must not start one on this machine's own
	# network. A policy-rc.d that says "no" is put in place for the
	# install (unless the machine has one) and removed after.
	local policy=/usr/sbin/policy-rc.d own_policy=0 status=0
	if [ "$mode" = test ] && [ ! -e "$policy" ]; then
		"${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy" &&
			own_policy=1
	fi
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 install -y \
		--no-install-recommends "${missing[@]}" || status=$?
	if [ "$own_policy" -eq 1 ]; then
		"${as_root[@]}" rm -f "$policy"
	fi
	[ "$status" -eq 0 ] || die "apt-get install failed (exit $status)"
}

install_missing

# --- 2. Configure and build -----------------------------------------------
build=${STOA_BUILD_DIR:-build}
extra=()
if [ -n "${STOA_CMAKE_ARGS:-}" ]; then
	# Split on white space on purpose: several -D options in one variable.
	read -r -a extra <<<"$STOA_CMAKE_ARGS"
fi
jobs=$(nproc 2>/dev/null || echo 2)

say "configuring into $build ${extra[*]:+(extra: ${extra[*]})}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" ||
	die "cmake configure failed (see above)"
say "building with $jobs jobs"
cmake --build "$build" -j"$jobs" || die "build failed (see above)"

# --- 3a. test: the whole suite ----------------------------------------------

# no_skips BUILD: under STOA_NO_SKIP=1 a skip is a failure. The tests'
# own skip helper already fails there; this catches any other exit 77
# (CTest prints "NAME (Skipped)" after the run, and keeps each test's
# output in Testing/Temporary/LastTest.log): it names each skipped test
# with what it said, and returns 1 if there was one.
no_skips() {
	local log=$1/ctest.log last=$1/Testing/Temporary/LastTest.log line
	local -a skipped=()
	[ -f "$log" ] || { say "no CTest log at $log"; return 1; }
	while IFS= read -r line; do
		if [[ $line =~ ^[[:space:]]*[0-9]+\ -\ (.+)\ \((Skipped|Not\ Run|Disabled)\)$ ]]; then
			skipped+=("${BASH_REMATCH[1]}")
		fi
	done <"$log"
	[ "${#skipped[@]}" -gt 0 ] || return 0
	for line in "${skipped[@]}"; do
		say "test $line did not run, and STOA_NO_SKIP=1 says every test must; it said:"
		# the output between its "Output:" rule and "<end of output>"
		awk -v t="$line" '
			$0 ~ /^[0-9]+\/[0-9]+ Testing: / { sub(/^[0-9]+\/[0-9]+ Testing: /, ""); cur = ($0 == t); inout = 0; next }
			cur && /^<end of output>$/ { cur = 0; next }
			cur && inout == 1 { print "    " $0; next }
			cur && /^Output:$/ { inout = 2; next }
			cur && inout == 2 { inout = 1; next }
		' "$last" >&2 2>/dev/null || true
	done
	return 1
}
if [ "$mode" = test ]; then
	say "running the tests (ctest --test-dir $build)"
	status=0
	ctest --test-dir "$build" --output-on-failure -j2 \
		--output-log "$build/ctest.log" || status=$?
	not_run=0
	if [ "${STOA_NO_SKIP:-0}" = 1 ]; then
		no_skips "$build" || not_run=1
	fi
	if [ "$status" -ne 0 ]; then
		say "tests failed (ctest exit status $status)"
	elif [ "$not_run" -ne 0 ]; then
		say "tests skipped where every test must run (STOA_NO_SKIP=1)"
		status=1
	else
		say "all tests passed"
	fi
	exit "$status"
fi

# --- 3b. node: your node ------------------------------------------------------
stoa=$build/stoa
[ -x "$stoa" ] || die "no stoa binary at $stoa after the build"

# The same home stoa picks by itself (node/home.c home_resolve): $STOA_HOME,
# else $XDG_DATA_HOME/stoa, else $HOME/.local/share/stoa; empty counts as
# unset.
if [ -n "${STOA_HOME:-}" ]; then
	home=$STOA_HOME
elif [ -n "${XDG_DATA_HOME:-}" ]; then
	home=$XDG_DATA_HOME/stoa
else
	[ -n "${HOME:-}" ] || die "HOME is not set: set STOA_HOME to the node's directory"
	home=$HOME/.local/share/stoa
fi

if [ -e "$home/key" ]; then
	say "using the existing node in $home"
else
	community=${STOA_COMMUNITY:-classroom}
	say "creating a node in $home for $(id -un) in community '$community'"
	"$stoa" --home "$home" init --name "$(id -un)" --community "$community"
fi

# Every call names the home computed above, the daemon's included.
"$stoa" --home "$home" whoami
say "the newest posts on this node:"
"$stoa" --home "$home" feed

# The node's daemon, in the foreground: it listens on tcp://*:7647 for the
# nodes of other members and replicates with them. exec: Ctrl-C (or a
# SIGTERM) reaches stoa itself, which stops cleanly, and the script's exit
# status is stoa's.
say "starting the node: $stoa serve (Ctrl-C stops it; in another terminal try '$stoa post \"hello\"' or '$stoa help')"
exec "$stoa" --home "$home" serve
