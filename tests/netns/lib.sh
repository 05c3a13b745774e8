# shellcheck shell=bash
# lib.sh: virtual hosts in network namespaces, for the tests labelled
# `netns` (tests/netns/nNN-*.sh). Sourced by the tests; safe under
# `set -euo pipefail`. It may be sourced on its own or after
# tests/integration/lib.sh (then it reuses that file's fail/step/ok/
# wait_for and runs that file's EXIT trap after its own); never before it,
# as that file's `trap cleanup EXIT` would replace this one's.
#
# What it builds, and what it must never do:
#   * A "site" is a Linux bridge. Every bridge lives in one switch namespace
#     that this run creates (<prefix>sw); nothing is ever created, moved or
#     configured in the machine's own (root) network namespace, no route
#     leads outside, and the only addresses are the private ones the test
#     gives (e.g. 10.77.0.0/24) plus IPv6 link-local.
#   * A "host" is a network namespace (<prefix>h-NAME) with lo up and one
#     veth, `eth0`, whose other end (a port p<N> in the switch namespace) is
#     attached to the host's site bridge. Each host also has a persistent
#     private mount namespace and UTS namespace (hostname = NAME), held open
#     by a holder process (`sleep infinity` under `unshare`); everything the
#     test runs "on" a host enters the holder's namespaces with nsenter. In
#     that mount namespace /run is a per-host directory (so /run/dbus and
#     /run/avahi-daemon are the host's own) and /etc/avahi/services is an
#     empty directory, so each host can run its own dbus-daemon and
#     avahi-daemon without seeing any other host's, nor the machine's.
#   * Names carry a per-run prefix, stoa-<pid>-<random>-, so parallel runs
#     and leftovers of killed runs never collide.
#   * Cleanup (EXIT trap, also on failure, Ctrl-C, TERM, HUP) signals only
#     the processes this run started (PID plus start time, so a reused PID is
#     never hit) and the processes still inside the namespaces this run
#     created, then deletes every namespace with this run's prefix and the
#     run's temp dir. It never touches anything else.
#
# Reference (HOST and SITE are short names: [a-z0-9][a-z0-9-]*, at most
# 20 characters; a host name is also its hostname and avahi host name):
#
#   netns_require [avahi] [ping]
#       Checks root, iproute2/unshare/nsenter, and that a namespace, a
#       bridge, a veth pair and a private mount namespace can really be made
#       (by making and removing a probe namespace). "avahi" also needs
#       avahi-daemon, avahi-browse, avahi-publish, dbus-daemon and dbus-send;
#       "ping" needs ping. On any miss it skips the test with why (poll.sh's
#       skip: "SKIP: TEST: why" and exit 77, CTest's SKIP_RETURN_CODE; a
#       failure under STOA_NO_SKIP=1, as in CI). Calls net_init.
#   net_init
#       Sets NET_PREFIX (stoa-<pid>-<rand>-), NET_T (the run's temp dir:
#       $T/netns when tests/integration/lib.sh was sourced, else a new
#       ${TMPDIR:-/tmp}/<prefix>XXXXXX) and the traps. Idempotent. Prints
#       nothing.
#   net_site SITE
#       Creates the switch namespace on first use, then a bridge for SITE
#       (STP off, forward delay 0, multicast snooping off: it floods all
#       multicast like an unmanaged switch). Prints nothing.
#   net_host HOST SITE ADDR/PREFIX
#       Creates HOST on SITE with ADDR/PREFIX on eth0 (IPv4), IPv6
#       link-local without DAD, multicast on; waits until eth0 has carrier
#       and a usable (non-tentative) link-local address. No default route.
#       Must run in the test's main shell (not in $(...)). Prints nothing.
#   net_move HOST SITE [--hot]
#       Moves HOST's cable to SITE's bridge. By default it is unplugged
#       first and plugged again after (the host sees carrier go and come
#       back, as a laptop carried between sites does); --hot re-patches the
#       port without a carrier change. The host keeps its addresses.
#   net_link HOST down|up
#       Pulls or plugs HOST's cable: sets the switch-side end (the port)
#       down/up, so the host sees carrier loss (eth0 stays admin-up and
#       keeps its addresses, but shows NO-CARRIER, state DOWN), as after a
#       cable pull or a lost Wi-Fi association; nobody on the site hears it
#       any more. The host's avahi-daemon (use-iff-running=yes) withdraws
#       the interface and re-announces on `up`; a process on the host sees
#       its sockets stay open and its sends vanish. `up` waits until eth0
#       has carrier again. (Setting the host's own eth0 down instead would
#       also remove its routes and make sends fail at once with ENETUNREACH,
#       which is an admin action, not a cable pull.)
#   host_run HOST CMD...
#       Runs CMD (an executable, not a shell function; use `sh -c` for a
#       snippet) on HOST, in the foreground, in HOST's network, mount and
#       UTS namespaces, with DBUS_SYSTEM_BUS_ADDRESS unset so D-Bus clients
#       use HOST's own bus. Its status and output are CMD's.
#   host_spawn HOST [--log FILE] CMD...
#       Starts CMD on HOST in the background (stdin /dev/null, stdout and
#       stderr to FILE, default $NET_T/h/HOST/<cmd>.<n>.log), records it for
#       cleanup, sets SPAWN_PID and SPAWN_LOG and prints the PID on stdout.
#       Call it directly (`host_spawn a --log x cmd >/dev/null; p=$SPAWN_PID`)
#       to keep CMD a child of the test (net_stop_pid then returns its exit
#       status); `p=$(host_spawn ...)` also works and cleanup still stops
#       it, but the exit status is lost.
#   net_wait_pid PID [SECONDS]
#       Waits (deadline, default 30 s) for PID, one this run started, to
#       exit by itself; STOP_RC as for net_stop_pid. Fails the test on
#       timeout (the PID is left to cleanup).
#   net_stop_pid PID [SIGNAL] [SECONDS]
#       Sends SIGNAL (TERM) to PID, which must be one this run started,
#       waits up to SECONDS (10), then KILLs; sets STOP_RC to its exit status
#       (128+N for signal N; 255 when it was not our child, so unknown).
#   host_dbus_start HOST... / host_dbus_stop HOST...
#       Starts (and waits, deadline, for it to answer) / stops a system
#       dbus-daemon per host, listening on HOST's /run/dbus/system_bus_socket
#       with $NET_T/h/HOST/dbus.conf (written here: no activation, avahi and
#       root may own org.freedesktop.Avahi, everyone may call it). Log:
#       $NET_T/h/HOST/dbus.log.
#   host_avahi_start HOST... / host_avahi_stop HOST...
#       Starts dbus (if not running) and avahi-daemon --no-chroot
#       --no-rlimits -f $NET_T/h/HOST/avahi-daemon.conf on each HOST, all in
#       parallel, then waits (deadline NET_AVAHI_TIMEOUT, 15 s) until each
#       logged "Server startup complete" and owns org.freedesktop.Avahi on
#       its bus. Config: host-name=HOST, allow-interfaces=eth0, IPv4+IPv6,
#       use-iff-running=$NET_AVAHI_IFF_RUNNING (yes), no wide-area, no
#       workstation/hinfo/domain publishing, no reflector. Log:
#       $NET_T/h/HOST/avahi.log. _stop TERMs avahi (goodbye packets go out)
#       and then its dbus-daemon, each with a deadline; AVAHI_STOP_RC gets
#       avahi's exit status and STOP_RC dbus-daemon's (of the last HOST).
#   host_browse HOST TYPE
#       One `avahi-browse -rtp TYPE` on HOST (resolve, dump, exit; parsable:
#       "=;eth0;IPv4;NAME;TYPE;local;HOST.local;ADDR;PORT;TXT" per resolved
#       service), bounded by `timeout 10`; prints its output. Needs HOST's
#       avahi-daemon. It takes about 1 s (avahi's "all for now").
#   host_ns HOST        prints HOST's netns name (for `ip -n`)
#   host_addr HOST      prints HOST's IPv4 address (no prefix length)
#   host_addr6 HOST     prints HOST's IPv6 link-local address (no %eth0)
#   host_site HOST      prints the site HOST is on
#   host_dir HOST       prints HOST's private dir ($NET_T/h/HOST: logs,
#                       configs, run/ = its /run)
#   wait_for DESC SECONDS CMD...
#       Runs CMD every 50 ms until it succeeds; fails the test with DESC
#       after SECONDS. CMD only tests. (tests/integration/poll.sh)
#   now_ms              milliseconds since the epoch (for timings)
#   net_pids            prints the live PIDs this run started, one a line
#   net_leftovers       prints what of this run still exists (namespaces
#                       with the prefix, live started PIDs); nothing = clean
#   net_cleanup         what the EXIT trap does; may be called earlier (the
#                       trap then finds nothing left). Returns 1 if anything
#                       could not be removed.
#   net_reap_stale      opt-in, never called by the lib: deletes namespace
#                       groups of earlier runs of this lib (stoa-<pid>-<hex>-*)
#                       whose creating shell is gone and in which no process
#                       runs any more (what a SIGKILLed run leaves), and
#                       their standalone temp dirs. Prints what it removed.
#
# Environment knobs: NET_AVAHI_TIMEOUT (s, default 15), NET_AVAHI_IFF_RUNNING
# (yes|no, default yes), NET_AVAHI_DEBUG=1 (avahi-daemon --debug),
# NET_KEEP=1 (on failure, keep NET_T for inspection; namespaces and
# processes are removed all the same).

if [ -z "${TEST_NAME:-}" ]; then
	TEST_NAME=$(basename "$0" .sh)
fi

# --- helpers shared with tests/integration/lib.sh ------------------------
# Defined only when that file was not sourced first, so a test can use both.

if ! declare -F fail >/dev/null; then
	fail() {
		fail_mark "$*"
		echo "FAIL: $TEST_NAME: $*" >&2
		exit 1
	}
fi
if ! declare -F step >/dev/null; then
	step() {
		fail_check
		echo "- $*"
	}
fi
if ! declare -F ok >/dev/null; then
	ok() {
		fail_check
		echo "ok"
	}
fi
# now_ms, pid_alive, wait_for, skip, fail_mark, fail_check: the same file
# integration/lib.sh sources
# shellcheck source=tests/integration/poll.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/poll.sh"

# --- state ---------------------------------------------------------------

# Never taken from the environment: each sourcing shell is its own run.
NET_PREFIX=""
NET_T=""
NET_SW=""             # the switch namespace, once made
NET_IPV6=1            # 0 when the kernel has no IPv6
NET_PREV_EXIT=""      # the EXIT trap that was there before net_init
NET_CLEANED=0
NET_PORTS=0           # ports made so far: p1, p2, ...
NET_BRIDGES=0         # bridges made so far: br1, br2, ...
NET_SPAWNS=0
declare -A NET_SITE_BR=()     # site -> bridge name in the switch ns
declare -A NET_HOST_SITE=()   # host -> site
declare -A NET_HOST_PORT=()   # host -> switch-side veth end
declare -A NET_HOST_ADDR=()   # host -> IPv4 address
declare -A NET_HOST_HOLDER=() # host -> holder PID (its mount/UTS/net ns)
declare -A NET_DBUS_PID=()    # host -> dbus-daemon PID
declare -A NET_AVAHI_PID=()   # host -> avahi-daemon PID

# (poll.sh's skip: a failure under STOA_NO_SKIP=1)
_net_skip() {
	skip "$@"
}

_net_name_ok() { # NAME WHAT
	case $1 in
	"" | -* | *[!a-z0-9-]*) fail "bad $2 name '$1' (want [a-z0-9][a-z0-9-]*)" ;;
	esac
	[ "${#1}" -le 20 ] || fail "$2 name '$1' is longer than 20 characters"
}

_net_host_known() {
	[ -n "${NET_HOST_HOLDER[$1]:-}" ] || fail "no host '$1' (net_host first)"
}

# _net_stat PID: sets _NET_STATE (R, S, Z, ...) and _NET_START, the
# kernel's start time of PID (field 22 of stat), which together with the
# PID names one process for good. Builtins only: the cleanup and the
# waits call it often, and forks are slow on a loaded machine.
_net_stat() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	local -a f
	read -ra f <<<"$s"
	[ "${#f[@]}" -ge 20 ] || return 1
	_NET_STATE=${f[0]}
	_NET_START=${f[19]}
}

# _net_alive PID: PID exists and is not a zombie.
_net_alive() {
	_net_stat "$1" && [ "$_NET_STATE" != Z ] && [ "$_NET_STATE" != X ]
}

# _net_record PID HOST WHAT: PID is ours; cleanup may signal it. Kept in a
# file so that a host_spawn run in a subshell ($(...)) is recorded too.
_net_record() {
	local st=gone
	! _net_stat "$1" || st=$_NET_START
	echo "$1 $st $2 $3" >>"$NET_T/pids"
}

_net_forget() {
	local pid st rest
	local -a keep=()
	[ -f "$NET_T/pids" ] || return 0
	while read -r pid st rest; do
		[ "$pid" = "$1" ] || keep+=("$pid $st $rest")
	done <"$NET_T/pids"
	if [ "${#keep[@]}" -gt 0 ]; then
		printf '%s\n' "${keep[@]}" >"$NET_T/pids.new"
	else
		: >"$NET_T/pids.new"
	fi
	mv -f "$NET_T/pids.new" "$NET_T/pids"
}

# _net_ours PID: PID was started by this run and still is that process
# (same start time: a reused PID is not ours).
_net_ours() {
	local pid st rest rec=""
	[ -f "$NET_T/pids" ] || return 1
	while read -r pid st rest; do
		[ "$pid" != "$1" ] || rec=$st
	done <"$NET_T/pids"
	[ -n "$rec" ] && _net_stat "$1" && [ "$_NET_START" = "$rec" ]
}

net_pids() {
	[ -n "$NET_T" ] && [ -f "$NET_T/pids" ] || return 0
	local pid st rest
	while read -r pid st rest; do
		if _net_alive "$pid" && [ "$_NET_START" = "$st" ]; then
			echo "$pid"
		fi
	done <"$NET_T/pids"
}

# --- init, requirements, cleanup -----------------------------------------

# shellcheck disable=SC2120 # "set --" below reads the old trap, not args
net_init() {
	[ -z "$NET_PREFIX" ] || return 0
	local rand
	rand=$(od -An -N2 -tx2 /dev/urandom | tr -d ' \n')
	NET_PREFIX="stoa-$$-$rand-"
	if [ -n "${T:-}" ] && [ -d "${T:-}" ]; then
		NET_T="$T/netns"
		mkdir -p "$NET_T"
	else
		NET_T=$(mktemp -d "${TMPDIR:-/tmp}/${NET_PREFIX}XXXXXX")
	fi
	chmod 755 "$NET_T"
	# fail inside a subshell leaves its message here (poll.sh), unless
	# tests/integration/lib.sh named the file already
	FAIL_MARK=${FAIL_MARK:-$NET_T/.failed}
	mkdir -p "$NET_T/h"
	: >"$NET_T/pids"
	[ -d /proc/sys/net/ipv6 ] || NET_IPV6=0
	# Chain whatever EXIT trap was there (tests/integration/lib.sh's).
	local prev
	prev=$(trap -p EXIT)
	if [ -n "$prev" ]; then
		eval "set -- $prev"
		NET_PREV_EXIT=$3
	fi
	trap _net_on_exit EXIT
	trap '_net_on_signal 130 INT' INT
	trap '_net_on_signal 143 TERM' TERM
	trap '_net_on_signal 129 HUP' HUP
}

_net_on_signal() {
	echo "$TEST_NAME: got SIG$2, cleaning up" >&2
	exit "$1"
}

_net_on_exit() {
	local rc=$?
	# errexit off: "(exit $rc)" below must not end the trap early
	set +e
	trap - INT TERM HUP
	if [ "$rc" -eq 0 ] && [ -s "${FAIL_MARK:-}" ]; then
		echo "FAIL: $TEST_NAME: failed in a subshell (\$(...) or a pipeline): $(head -n 1 "$FAIL_MARK")" >&2
		rc=1
	fi
	net_cleanup "$rc" || { [ "$rc" -ne 0 ] || rc=1; }
	if [ -n "$NET_PREV_EXIT" ]; then
		(exit "$rc")
		eval "$NET_PREV_EXIT"
	fi
	exit "$rc"
}

netns_require() {
	local want need c
	[ "$(id -u)" -eq 0 ] || _net_skip "needs root (network namespaces)"
	need="ip unshare nsenter awk od"
	for want in "$@"; do
		case $want in
		avahi) need="$need avahi-daemon avahi-browse avahi-publish dbus-daemon dbus-send" ;;
		ping) need="$need ping" ;;
		*) fail "netns_require: unknown feature '$want'" ;;
		esac
	done
	for c in $need; do
		command -v "$c" >/dev/null 2>&1 ||
			_net_skip "'$c' not found (apt-get install iproute2 util-linux avahi-daemon avahi-utils dbus iputils-ping)"
	done
	net_init
	# Make the real thing once: a namespace, a bridge, a veth pair in it,
	# and a private mount namespace inside it.
	local probe="${NET_PREFIX}probe" why=""
	if ! why=$(ip netns add "$probe" 2>&1); then
		_net_skip "cannot create a network namespace: $why"
	fi
	if ! why=$(ip -n "$probe" link add pbr type bridge 2>&1); then
		ip netns del "$probe" 2>/dev/null || true
		_net_skip "cannot create a bridge in a namespace: $why"
	fi
	if ! why=$(ip -n "$probe" link add pa type veth peer name pb 2>&1); then
		ip netns del "$probe" 2>/dev/null || true
		_net_skip "cannot create a veth pair in a namespace: $why"
	fi
	if ! why=$(ip netns exec "$probe" unshare --mount --uts --propagation private true 2>&1); then
		ip netns del "$probe" 2>/dev/null || true
		_net_skip "cannot create a private mount namespace: $why"
	fi
	ip netns del "$probe" || fail "cannot delete the probe namespace $probe"
}

# _net_stop_set PIDS...: TERM all at once, one deadline, then KILL; reaps
# those that are our children. Only PIDs _net_ours vouches for.
_net_stop_set() {
	local pid deadline left rounds=0
	local -a mine=()
	for pid in "$@"; do
		_net_ours "$pid" && mine+=("$pid")
	done
	[ "${#mine[@]}" -gt 0 ] || return 0
	for pid in "${mine[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	deadline=$(($(now_ms) + 5000))
	while :; do
		left=0
		for pid in "${mine[@]}"; do
			_net_alive "$pid" && left=1
		done
		[ "$left" -eq 1 ] || break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			rounds=$((rounds + 1))
			if [ "$rounds" -ge 2 ]; then
				echo "$TEST_NAME: processes still alive after SIGKILL: giving up" >&2
				return 1
			fi
			for pid in "${mine[@]}"; do
				if _net_alive "$pid" && _net_ours "$pid"; then
					echo "$TEST_NAME: process $pid ignored SIGTERM for 5 s: killing it" >&2
					kill -KILL "$pid" 2>/dev/null || true
				fi
			done
			deadline=$(($(now_ms) + 5000))
		fi
		sleep 0.05
	done
	for pid in "${mine[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

_net_our_netns() {
	[ -n "$NET_PREFIX" ] || return 0
	ip netns list 2>/dev/null | awk -v p="$NET_PREFIX" 'index($1, p) == 1 { print $1 }'
}

net_leftovers() {
	[ -n "$NET_PREFIX" ] || return 0
	local ns pid
	for ns in $(_net_our_netns); do
		echo "netns $ns"
	done
	for pid in $(net_pids); do
		echo "pid $pid"
	done
}

_net_dump_logs() {
	local f
	[ -d "$NET_T/h" ] || return 0
	while IFS= read -r f; do
		[ -s "$f" ] || continue
		echo "--- ${f#"$NET_T"/} (last 15 lines):" >&2
		tail -n 15 "$f" | cat -v >&2
	done < <(find "$NET_T/h" -name '*.log' 2>/dev/null | sort)
}

net_cleanup() {
	local rc=${1:-0} ns pid h bad=0
	[ "$NET_CLEANED" -eq 0 ] || return 0
	[ -n "$NET_PREFIX" ] || return 0
	NET_CLEANED=1
	local had_e=0
	case $- in *e*) had_e=1 ;; esac
	set +e
	[ "$rc" -eq 0 ] || _net_dump_logs
	# 1. avahi first (it says goodbye while its bus is still there), then
	#    everything else this run started, holders last.
	local -a av=() rest=() holders=()
	for h in "${!NET_AVAHI_PID[@]}"; do
		av+=("${NET_AVAHI_PID[$h]}")
	done
	for h in "${!NET_HOST_HOLDER[@]}"; do
		holders+=("${NET_HOST_HOLDER[$h]}")
	done
	_net_stop_set "${av[@]}"
	if [ -f "$NET_T/pids" ]; then
		while read -r pid _; do
			case " ${holders[*]} " in
			*" $pid "*) ;;
			*) rest+=("$pid") ;;
			esac
		done <"$NET_T/pids"
	fi
	_net_stop_set "${rest[@]}"
	_net_stop_set "${holders[@]}"
	# 2. Whatever still runs inside our namespaces (children of what we
	#    started, or a `host_run ... &` of the test) is ours too.
	local -a inside=()
	for ns in $(_net_our_netns); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			inside+=("$pid")
		done
	done
	if [ "${#inside[@]}" -gt 0 ]; then
		for pid in "${inside[@]}"; do
			kill -KILL "$pid" 2>/dev/null
		done
		local deadline=$(($(now_ms) + 5000))
		for pid in "${inside[@]}"; do
			while _net_alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do
				sleep 0.05
			done
			wait "$pid" 2>/dev/null
		done
	fi
	# 3. The namespaces (their veths and bridges go with them).
	for ns in $(_net_our_netns); do
		ip netns del "$ns" 2>/dev/null ||
			echo "$TEST_NAME: cannot delete namespace $ns" >&2
	done
	# 4. Check, then the temp dir.
	local left
	left=$(net_leftovers)
	if [ -n "$left" ]; then
		echo "$TEST_NAME: cleanup left behind:" >&2
		printf '%s\n' "$left" >&2
		bad=1
	fi
	if [ "$rc" -ne 0 ] && [ "${NET_KEEP:-0}" = 1 ]; then
		echo "$TEST_NAME: NET_KEEP=1: kept $NET_T" >&2
	elif [ -n "$NET_T" ] && [ -d "$NET_T" ]; then
		rm -rf "$NET_T"
	fi
	[ "$had_e" -eq 0 ] || set -e
	return "$bad"
}

net_reap_stale() {
	[ "$(id -u)" -eq 0 ] || return 0
	local ns pfx pid
	local -A groups=()
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		pfx=$(printf '%s\n' "$ns" | sed -n 's/^\(stoa-[0-9]\{1,\}-[0-9a-f]\{4\}-\).*/\1/p')
		[ -n "$pfx" ] || continue
		[ "$pfx" != "$NET_PREFIX" ] || continue
		groups[$pfx]=1
	done
	for pfx in "${!groups[@]}"; do
		pid=${pfx#stoa-}
		pid=${pid%%-*}
		[ ! -e "/proc/$pid" ] || continue
		local busy=0
		for ns in $(ip netns list | awk '{ print $1 }' | grep -F -- "$pfx"); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || busy=1
		done
		[ "$busy" -eq 0 ] || continue
		for ns in $(ip netns list | awk '{ print $1 }' | grep -F -- "$pfx"); do
			ip netns del "$ns" 2>/dev/null && echo "reaped stale namespace $ns"
		done
	done
	# Temp dirs of dead runs (standalone ones: named after the prefix).
	local d nsl
	for d in "${TMPDIR:-/tmp}"/stoa-[0-9]*-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-??????; do
		if [ ! -d "$d" ] || [ ! -f "$d/pids" ] || [ ! -d "$d/h" ]; then
			continue
		fi
		pfx=${d##*/}
		pid=${pfx#stoa-}
		pid=${pid%%-*}
		[ ! -e "/proc/$pid" ] || continue
		nsl=$(ip netns list 2>/dev/null || true)
		[[ $nsl != *"${pfx%??????}"* ]] || continue
		rm -rf "$d" && echo "reaped stale temp dir $d"
	done
}

# --- sites and hosts -----------------------------------------------------

_net_sysctl() { # NS KEY=VALUE...: /proc/sys/net is per network namespace
	local ns=$1 kv key script=""
	shift
	for kv in "$@"; do
		key=${kv%%=*}
		script="$script echo '${kv#*=}' >'/proc/sys/${key//.//}' &&"
	done
	ip netns exec "$ns" sh -c "$script true" ||
		fail "cannot set $* in namespace $ns"
}

_net_switch() {
	[ -z "$NET_SW" ] || return 0
	net_init
	NET_SW="${NET_PREFIX}sw"
	ip netns add "$NET_SW" || fail "cannot create the switch namespace $NET_SW"
	# The switch is layer 2 only: no IPv6 of its own on the bridges or
	# ports (no MLD/RS/ND from the switch itself). Frames still pass.
	if [ "$NET_IPV6" -eq 1 ]; then
		_net_sysctl "$NET_SW" net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	fi
}

net_site() {
	local site=$1 br
	_net_name_ok "$site" site
	[ -z "${NET_SITE_BR[$site]:-}" ] || fail "site '$site' exists"
	_net_switch
	NET_BRIDGES=$((NET_BRIDGES + 1))
	br="br$NET_BRIDGES"
	# mcast_snooping 0: the bridge floods every multicast frame to every
	# port, like an unmanaged switch. With snooping on and no querier, a
	# group (ff02::fb) is forwarded only to ports that sent an MLD report,
	# and a host that arrives later (net_move) never reports again, so it
	# would not hear IPv6 mDNS.
	ip -n "$NET_SW" link add "$br" type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || fail "cannot create bridge $br for site '$site'"
	ip -n "$NET_SW" link set "$br" up || fail "cannot bring up bridge $br"
	NET_SITE_BR[$site]=$br
}

_net_wait_comm() { # PID COMM: until PID runs COMM (exec'd) or is gone
	local c
	{ read -r c <"/proc/$1/comm"; } 2>/dev/null || return 0
	[ "$c" = "$2" ]
}

# The checks below read the holder's view with builtins (no fork: they run
# in polling loops, and forks are slow on a loaded machine): its /sys is
# the host's (/proc/PID/root), /proc/PID/net is the host's network.

_net_carrier() { # HOST: eth0 has carrier
	local c
	{ read -r c <"/proc/${NET_HOST_HOLDER[$1]}/root/sys/class/net/eth0/carrier"; } 2>/dev/null ||
		return 1
	[ "$c" = 1 ]
}

_net_no_carrier() { # HOST
	! _net_carrier "$1"
}

_net_ll_ready() { # HOST: eth0 has a link-local IPv6 address, not tentative
	local scope flags dev
	while read -r _ _ _ scope flags dev; do
		# scope 20 = link; flag 0x40 = IFA_F_TENTATIVE
		if [ "$dev" = eth0 ] && [ "$scope" = 20 ] &&
			[ $((0x$flags & 0x40)) -eq 0 ]; then
			return 0
		fi
	done <"/proc/${NET_HOST_HOLDER[$1]}/net/if_inet6"
	return 1
}

net_host() {
	local host=$1 site=$2 cidr=$3 ns hp port hd
	_net_name_ok "$host" host
	[ -z "${NET_HOST_HOLDER[$host]:-}" ] || fail "host '$host' exists"
	[ -n "${NET_SITE_BR[$site]:-}" ] || fail "no site '$site' (net_site first)"
	case $cidr in
	*.*.*.*/*) ;;
	*) fail "net_host $host: address '$cidr' is not ADDR/PREFIX" ;;
	esac
	ns="${NET_PREFIX}h-$host"
	hd="$NET_T/h/$host"
	install -d -m 755 "$hd" "$hd/run" "$hd/empty"
	ip netns add "$ns" || fail "cannot create namespace $ns"
	# The holder: its mount and UTS namespaces are the host's for good.
	# `ip netns exec` gives it a /sys of this netns; unshare makes the
	# mount namespace private, so the mounts below never reach the root.
	ip netns exec "$ns" unshare --mount --uts --propagation private \
		sleep infinity </dev/null >/dev/null 2>&1 &
	hp=$!
	_net_record "$hp" "$host" holder
	NET_HOST_HOLDER[$host]=$hp
	wait_for "the namespace holder of $host" 5 _net_wait_comm "$hp" sleep
	_net_alive "$hp" || fail "the namespace holder of $host died"
	# Inside the host, in one go: hostname, private /run and an empty
	# /etc/avahi/services, lo up, and (before eth0 exists) DAD off, so
	# eth0's link-local address is usable at once: a tentative address
	# cannot be bound, and avahi and stoa would miss IPv6 for 1-2 s after
	# every link change.
	# shellcheck disable=SC2016 # expanded by that sh, from its arguments
	nsenter -t "$hp" -m -u -n -- sh -c '
		set -e
		hostname "$1"
		mount --bind "$2/run" /run
		if [ -d /etc/avahi/services ]; then
			mount --bind "$2/empty" /etc/avahi/services
		fi
		if [ "$3" = 1 ]; then
			for c in default all; do
				echo 0 >/proc/sys/net/ipv6/conf/$c/accept_dad
				echo 0 >/proc/sys/net/ipv6/conf/$c/disable_ipv6
			done
		fi
		ip link set lo up' sh "$host" "$hd" "$NET_IPV6" ||
		fail "cannot set up host $host (mounts, sysctls, lo)"
	NET_PORTS=$((NET_PORTS + 1))
	port="p$NET_PORTS"
	ip -n "$NET_SW" link add "$port" type veth peer name eth0 netns "$ns" ||
		fail "cannot create the veth pair of $host"
	printf '%s\n' "link set $port master ${NET_SITE_BR[$site]}" "link set $port up" |
		ip -n "$NET_SW" -batch - || fail "cannot attach $host to site '$site'"
	printf '%s\n' "link set eth0 multicast on" "addr add $cidr dev eth0" "link set eth0 up" |
		ip -n "$ns" -batch - || fail "cannot configure eth0 on $host"
	NET_HOST_SITE[$host]=$site
	NET_HOST_PORT[$host]=$port
	NET_HOST_ADDR[$host]=${cidr%/*}
	wait_for "carrier on $host's eth0" 5 _net_carrier "$host"
	if [ "$NET_IPV6" -eq 1 ]; then
		wait_for "an IPv6 link-local address on $host" 5 _net_ll_ready "$host"
	fi
}

host_ns() {
	_net_host_known "$1"
	echo "${NET_PREFIX}h-$1"
}
host_addr() {
	_net_host_known "$1"
	echo "${NET_HOST_ADDR[$1]}"
}
host_addr6() {
	_net_host_known "$1"
	local out
	out=$(ip -n "${NET_PREFIX}h-$1" -6 addr show dev eth0 scope link) || return 1
	# the first one (no pipe into head: SIGPIPE under pipefail)
	[[ $out =~ inet6\ (fe80:[0-9a-f:]*)/ ]] || return 0
	echo "${BASH_REMATCH[1]}"
}
host_site() {
	_net_host_known "$1"
	echo "${NET_HOST_SITE[$1]}"
}
host_dir() {
	_net_host_known "$1"
	echo "$NET_T/h/$1"
}

net_link() {
	local host=$1 how=$2
	_net_host_known "$host"
	case $how in
	down | up) ;;
	*) fail "net_link $host: '$how' is not down|up" ;;
	esac
	ip -n "$NET_SW" link set "${NET_HOST_PORT[$host]}" "$how" ||
		fail "cannot set $host's link $how"
	if [ "$how" = up ]; then
		wait_for "carrier on $host's eth0" 5 _net_carrier "$host"
	else
		wait_for "carrier loss on $host's eth0" 5 _net_no_carrier "$host"
	fi
}

net_move() {
	local host=$1 site=$2 hot=0
	[ "${3:-}" != --hot ] || hot=1
	_net_host_known "$host"
	[ -n "${NET_SITE_BR[$site]:-}" ] || fail "no site '$site'"
	local port=${NET_HOST_PORT[$host]}
	[ "$hot" -eq 1 ] || net_link "$host" down
	if ! ip -n "$NET_SW" link set "$port" nomaster ||
		! ip -n "$NET_SW" link set "$port" master "${NET_SITE_BR[$site]}"; then
		fail "cannot move $host to site '$site'"
	fi
	NET_HOST_SITE[$host]=$site
	[ "$hot" -eq 1 ] || net_link "$host" up
}

# --- running things on hosts ---------------------------------------------

host_run() {
	local host=$1
	shift
	_net_host_known "$host"
	nsenter -t "${NET_HOST_HOLDER[$host]}" -m -u -n -- \
		env -u DBUS_SYSTEM_BUS_ADDRESS "$@"
}

host_spawn() {
	local host=$1 log=""
	shift
	_net_host_known "$host"
	if [ "${1:-}" = --log ]; then
		log=$2
		shift 2
	fi
	[ "$#" -gt 0 ] || fail "host_spawn $host: no command"
	if [ -z "$log" ]; then
		NET_SPAWNS=$((NET_SPAWNS + 1))
		log="$NET_T/h/$host/$(basename "$1").$NET_SPAWNS.$BASHPID.log"
	fi
	nsenter -t "${NET_HOST_HOLDER[$host]}" -m -u -n -- \
		env -u DBUS_SYSTEM_BUS_ADDRESS "$@" </dev/null >>"$log" 2>&1 &
	SPAWN_PID=$!
	# shellcheck disable=SC2034 # read by the tests
	SPAWN_LOG=$log
	_net_record "$SPAWN_PID" "$host" "$(basename "$1")"
	echo "$SPAWN_PID"
}

net_wait_pid() {
	local pid=$1 secs=${2:-30} deadline
	deadline=$(($(now_ms) + secs * 1000))
	while _net_alive "$pid"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "process $pid still runs after $secs s"
		sleep 0.05
	done
	_net_reap "$pid"
}

# _net_reap PID: PID has exited; sets STOP_RC to its status (255 when it
# was not our child, so unknown) and forgets it.
_net_reap() {
	STOP_RC=0
	wait "$1" 2>/dev/null || STOP_RC=$?
	[ "$STOP_RC" -ne 127 ] || STOP_RC=255
	_net_forget "$1"
}

net_stop_pid() {
	local pid=$1 sig=${2:-TERM} secs=${3:-10} deadline
	_net_ours "$pid" || {
		STOP_RC=255
		# gone already, or not ours: never signal it
		if ! _net_alive "$pid"; then
			_net_reap "$pid"
		else
			_net_forget "$pid"
		fi
		return 0
	}
	kill -"$sig" "$pid" 2>/dev/null || true
	deadline=$(($(now_ms) + secs * 1000))
	while _net_alive "$pid"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			[ "$sig" != KILL ] || fail "process $pid survives SIGKILL"
			echo "$TEST_NAME: process $pid ignored SIG$sig for $secs s: killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			sig=KILL
			deadline=$(($(now_ms) + 10000))
		fi
		sleep 0.05
	done
	_net_reap "$pid"
}

# --- per-host dbus-daemon and avahi-daemon -------------------------------

host_browse() {
	host_run "$1" timeout 10 avahi-browse -rtp "$2"
}

_net_dbus_conf() { # FILE
	cat >"$1" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- A virtual host's system bus (tests/netns/lib.sh): it listens on the
     host's own /run (private mount namespace), activates nothing, and
     lets avahi (or root) own org.freedesktop.Avahi and anyone call it. -->
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.Avahi"/>
    <allow receive_sender="org.freedesktop.Avahi"/>
  </policy>
  <policy user="avahi">
    <allow own="org.freedesktop.Avahi"/>
  </policy>
  <policy user="root">
    <allow own="org.freedesktop.Avahi"/>
  </policy>
  <limit name="max_completed_connections">512</limit>
</busconfig>
EOF
}

_net_avahi_conf() { # FILE HOST
	local v6=yes
	[ "$NET_IPV6" -eq 1 ] || v6=no
	cat >"$1" <<EOF
# avahi-daemon of virtual host $2 (tests/netns/lib.sh)
[server]
host-name=$2
domain-name=local
use-ipv4=yes
use-ipv6=$v6
allow-interfaces=eth0
enable-dbus=yes
disallow-other-stacks=no
use-iff-running=${NET_AVAHI_IFF_RUNNING:-yes}
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
disable-publishing=no
disable-user-service-publishing=no
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-domain=no
publish-resolv-conf-dns-servers=no
publish-aaaa-on-ipv4=yes
publish-a-on-ipv6=no

[reflector]
enable-reflector=no
EOF
}

_net_dbus_ready() { # HOST
	[ -S "$NET_T/h/$1/run/dbus/system_bus_socket" ] || return 1
	host_run "$1" dbus-send --system --print-reply --reply-timeout=1000 \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.GetId >/dev/null 2>&1
}

_net_avahi_owned() { # HOST
	local out
	out=$(host_run "$1" dbus-send --system --print-reply --reply-timeout=1000 \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Avahi 2>/dev/null) ||
		return 1
	case $out in
	*"boolean true"*) return 0 ;;
	*) return 1 ;;
	esac
}

# _net_wait_all DESC SECONDS CHECK PIDVAR HOST...: one deadline for all
# hosts; fails at once (with the log) when a daemon dies.
_net_wait_all() {
	local desc=$1 secs=$2 check=$3 what=$4 deadline h pid
	shift 4
	deadline=$(($(now_ms) + secs * 1000))
	local -a hosts=("$@")
	while [ "${#hosts[@]}" -gt 0 ]; do
		local -a next=()
		for h in "${hosts[@]}"; do
			if [ "$what" = dbus ]; then pid=${NET_DBUS_PID[$h]}; else pid=${NET_AVAHI_PID[$h]}; fi
			if ! _net_alive "$pid"; then
				echo "--- $what log of $h:" >&2
				tail -n 20 "$NET_T/h/$h/$what.log" >&2 || true
				fail "$what on $h exited before it was ready"
			fi
			"$check" "$h" || next+=("$h")
		done
		hosts=("${next[@]}")
		[ "${#hosts[@]}" -gt 0 ] || break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			for h in "${hosts[@]}"; do
				echo "--- $what log of $h:" >&2
				tail -n 20 "$NET_T/h/$h/$what.log" >&2 || true
			done
			fail "timed out after $secs s waiting for $desc on ${hosts[*]}"
		fi
		sleep 0.05
	done
}

host_dbus_start() {
	local h hd
	local -a started=()
	for h in "$@"; do
		_net_host_known "$h"
		[ -z "${NET_DBUS_PID[$h]:-}" ] || continue
		hd="$NET_T/h/$h"
		mkdir -p "$hd/run/dbus"
		chmod 755 "$hd/run/dbus"
		rm -f "$hd/run/dbus/system_bus_socket"
		_net_dbus_conf "$hd/dbus.conf"
		host_spawn "$h" --log "$hd/dbus.log" dbus-daemon \
			--config-file="$hd/dbus.conf" --nofork --nopidfile --nosyslog >/dev/null
		NET_DBUS_PID[$h]=$SPAWN_PID
		started+=("$h")
	done
	[ "${#started[@]}" -gt 0 ] || return 0
	_net_wait_all "the system bus" 10 _net_dbus_ready dbus "${started[@]}"
}

# _net_log_has FILE TEXT: a line of FILE holds TEXT (builtins only).
_net_log_has() {
	local line
	[ -f "$1" ] || return 1
	while IFS= read -r line; do
		case $line in *"$2"*) return 0 ;; esac
	done <"$1"
	return 1
}

_net_avahi_ready() { # HOST
	_net_log_has "$NET_T/h/$1/avahi.log" 'Server startup complete' &&
		_net_avahi_owned "$1"
}

host_avahi_start() {
	local h hd
	local -a started=() args
	host_dbus_start "$@"
	for h in "$@"; do
		[ -z "${NET_AVAHI_PID[$h]:-}" ] || continue
		hd="$NET_T/h/$h"
		# avahi writes its pid file and socket here after dropping to the
		# avahi user.
		mkdir -p "$hd/run/avahi-daemon"
		rm -f "$hd/run/avahi-daemon/pid" "$hd/run/avahi-daemon/socket"
		if getent passwd avahi >/dev/null 2>&1; then
			chown avahi: "$hd/run/avahi-daemon" 2>/dev/null || chown avahi "$hd/run/avahi-daemon"
			args=()
		else
			args=(--no-drop-root)
		fi
		chmod 755 "$hd/run/avahi-daemon"
		[ "${NET_AVAHI_DEBUG:-0}" != 1 ] || args+=(--debug)
		_net_avahi_conf "$hd/avahi-daemon.conf" "$h"
		: >"$hd/avahi.log"
		host_spawn "$h" --log "$hd/avahi.log" avahi-daemon --no-chroot --no-rlimits \
			"${args[@]}" -f "$hd/avahi-daemon.conf" >/dev/null
		NET_AVAHI_PID[$h]=$SPAWN_PID
		started+=("$h")
	done
	[ "${#started[@]}" -gt 0 ] || return 0
	_net_wait_all "avahi-daemon startup" "${NET_AVAHI_TIMEOUT:-15}" \
		_net_avahi_ready avahi "${started[@]}"
}

host_avahi_stop() {
	local h
	for h in "$@"; do
		_net_host_known "$h"
		if [ -n "${NET_AVAHI_PID[$h]:-}" ]; then
			net_stop_pid "${NET_AVAHI_PID[$h]}" TERM 10
			# shellcheck disable=SC2034 # read by the tests
			AVAHI_STOP_RC=$STOP_RC
			unset "NET_AVAHI_PID[$h]"
		fi
	done
	host_dbus_stop "$@"
}

host_dbus_stop() {
	local h
	for h in "$@"; do
		_net_host_known "$h"
		[ -z "${NET_AVAHI_PID[$h]:-}" ] ||
			fail "host_dbus_stop $h: avahi-daemon still runs (host_avahi_stop)"
		if [ -n "${NET_DBUS_PID[$h]:-}" ]; then
			net_stop_pid "${NET_DBUS_PID[$h]}" TERM 10
			unset "NET_DBUS_PID[$h]"
		fi
	done
}
