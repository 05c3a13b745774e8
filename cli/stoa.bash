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

# _stoa_usage STOA CMD: the words of the command's usage line after
# "usage: stoa CMD", one a line, brackets and "..." taken off
_stoa_usage()
{
	local -a words
	local w
	# read -a, not an unquoted $(...): "[--json]" is a glob pattern
	read -r -a words < <("$1" help "$2" 2>/dev/null |
		sed -n '1s/^usage: stoa [a-z]* //p')
	for w in "${words[@]}"; do
		w=${w#[\[(]}
		w=${w%...}
		w=${w%[\])]}
		[[ $w == "|" ]] || printf '%s\n' "$w"
	done
}

# _stoa_values STOA CMD PREV POS: the words the usage line spells out
# (learner|mentor|facilitator) for the value of option PREV, or else for
# the argument at position POS (from 0, options left out)
_stoa_values()
{
	local -a u
	local j n=0 w=""
	mapfile -t u < <(_stoa_usage "$1" "$2")
	for ((j = 0; j < ${#u[@]}; j++)); do
		if [[ ${u[j]} == -* ]]; then
			# an option: the next word is its value, unless an option
			if ((j + 1 < ${#u[@]})) && [[ ${u[j + 1]} != -* ]]; then
				((j++))
				if [[ -n $3 && ${u[j - 1]} == "$3" ]]; then
					w=${u[j]}
					break
				fi
			fi
		elif [[ -z $3 ]]; then
			if ((n == $4)); then
				w=${u[j]}
				break
			fi
			((n++))
		fi
	done
	[[ $w =~ ^[a-z][a-z-]*(\|[a-z][a-z-]*)+$ ]] && printf '%s\n' "${w//|/ }"
}

# _stoa_takes_value STOA CMD OPT: whether the usage line gives OPT a value
_stoa_takes_value()
{
	local -a u
	local j
	mapfile -t u < <(_stoa_usage "$1" "$2")
	for ((j = 0; j < ${#u[@]} - 1; j++)); do
		[[ ${u[j]} == "$3" && ${u[j + 1]} != -* ]] && return 0
	done
	return 1
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
	--as)
		# a member of this node: its names are the user's to type
		return
		;;
	esac
	# the command: the first word after the global options
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home | --as) ((i++)) ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--home --as --version --help" -- "$cur"))
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
	# a value the usage spells out: of the option before, or of this
	# argument ("stoa role MEMBER learner|mentor|facilitator")
	local vals="" pos=0 j
	if [[ $prev == --* ]] && _stoa_takes_value "$stoa" "$cmd" "$prev"; then
		vals=$(_stoa_values "$stoa" "$cmd" "$prev" 0)
	else
		for ((j = i + 1; j < COMP_CWORD; j++)); do
			case ${COMP_WORDS[j]} in
			--*=*) ;;
			-*)
				_stoa_takes_value "$stoa" "$cmd" "${COMP_WORDS[j]}" &&
					((j++))
				;;
			*) ((pos++)) ;;
			esac
		done
		vals=$(_stoa_values "$stoa" "$cmd" "" "$pos")
	fi
	if [[ -n $vals ]]; then
		COMPREPLY=($(compgen -W "$vals" -- "$cur"))
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
