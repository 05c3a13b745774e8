#!/bin/sh
# mkman: writes a man page's scdoc source from its template, putting the
# text of `stoa help CMD` where the template says so, so that the man
# page and the built-in help cannot say different things.
#
#   mkman.sh STOA TEMPLATE OUT [SCDOC MAN]
#
# A template line "@COMMANDS@" becomes one subsection per command listed
# by `stoa help` (its one-line summary, then its whole `stoa help CMD` as
# a literal block); "@HELP CMD@" becomes the literal block of one
# command; "@USAGE@" the literal block of `stoa help`. Everything else is
# copied as it is. With SCDOC and MAN, also renders OUT into the man page
# MAN. Runs at build time (CMake), with the stoa just built.
set -eu

stoa=$1
template=$2
out=$3
scdoc=${4:-}
man=${5:-}
tmp=$out.tmp

# literal TEXT-PRODUCING-COMMAND...: a scdoc literal block of its output
literal() {
	printf '```\n'
	"$@"
	printf '```\n'
}

# the commands, in the order `stoa help` lists them, with their summary
commands() {
	"$stoa" help | sed -n '/^commands:$/,/^$/p' | sed -n 's/^  \([a-z]*\)  *\(.*\)$/\1 \2/p'
}

: >"$tmp"
while IFS= read -r line; do
	case $line in
	@USAGE@)
		literal "$stoa" help >>"$tmp"
		;;
	@COMMANDS@)
		commands | while read -r cmd summary; do
			printf '## stoa %s\n\n%s.\n\n' "$cmd" "$summary" >>"$tmp"
			literal "$stoa" help "$cmd" >>"$tmp"
			printf '\n' >>"$tmp"
		done
		;;
	"@HELP "*@)
		cmd=${line#@HELP }
		cmd=${cmd%@}
		literal "$stoa" help "$cmd" >>"$tmp"
		;;
	*)
		printf '%s\n' "$line" >>"$tmp"
		;;
	esac
done <"$template"
mv "$tmp" "$out"
if [ -n "$scdoc" ]; then
	"$scdoc" <"$out" >"$man.tmp"
	mv "$man.tmp" "$man"
fi
