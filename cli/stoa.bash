# bash completion for stoa(1): commands, then each command's options.
# Both are read from the stoa being completed (`stoa help` and
# `stoa help COMMAND`), so the completion never disagrees with it.

_stoa_commands()
{
	"$1" help 2>/dev/null |
		sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'
}

_stoa_options()
{
	"$1" help "$2" 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

_stoa()
{
	local cur prev stoa=${COMP_WORDS[0]} cmd="" i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	--home)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	esac
	# the command: the first word after the global options
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home) ((i++)) ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--home --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_stoa_commands "$stoa")" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(_stoa_commands "$stoa")" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_stoa_options "$stoa" "$cmd")" -- "$cur"))
		return
	fi
	# a command with subcommands ("usage: stoa mentor offer ...",
	# "   or: stoa mentor accept ..."): the word right after it
	if ((COMP_CWORD == i + 1)); then
		local subs
		subs=$("$stoa" help "$cmd" 2>/dev/null |
			sed -n "s/^ *\(usage\|or\): stoa $cmd \([a-z][a-z]*\).*/\2/p")
		if [[ -n $subs ]]; then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
			return
		fi
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _stoa stoa
