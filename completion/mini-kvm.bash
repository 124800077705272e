# SPDX-License-Identifier: MIT
# bash completion for mini-kvm(1): its commands, run's options and their values, files.
# Installed as $(PREFIX)/share/bash-completion/completions/mini-kvm, where Debian's
# bash-completion loads it on first use; works without bash-completion too (source it).
# Every option of `mini-kvm help` must be listed here (tests/integration/test_install.py).

_mini_kvm_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$1")
	fi
}

_mini_kvm()
{
	local cur prev cword words
	local commands="run restore check version help"
	local run_options="--kernel --initrd --params --mem --cpus --mode --load --entry
		--irqchip --disk --serial --console-log --raw-console --stats --stats=json
		--stats=table --stats-file --trace --trace= --trace-file --trace-json --timeout
		--boot-marker --quiet --verbose --help --rng --net --ata --boot-disk --debug-exit
		--vga-text --gdb --gdb-wait --seccomp --no-seccomp --snapshot --snapshot-at
		--snapshot-and-exit -k -i -p -m -c -q -v -h"

	COMPREPLY=()
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n = || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# Without bash-completion, "--stats=js" arrives as "--stats" "=" "js".
		if [[ $prev == "=" && $cword -ge 2 ]]; then
			cur="${COMP_WORDS[COMP_CWORD - 2]}=$cur"
			prev=${COMP_WORDS[COMP_CWORD - 3]}
		elif [[ $cur == "=" ]]; then
			cur="$prev="
			prev=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	fi

	if [[ $cword -eq 1 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$commands --help --version" -- "$cur")
		return
	fi
	case ${words[1]} in
	help)
		[[ $cword -eq 2 ]] && mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return
		;;
	check)
		mapfile -t COMPREPLY < <(compgen -W "--json --help" -- "$cur")
		return
		;;
	run) ;;
	restore)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--disk --ata --debug-exit --verify --stats --trace --timeout
				--raw-console --snapshot --snapshot-at --snapshot-and-exit --help" -- "$cur")
		else
			_mini_kvm_files "$cur"
		fi
		return
		;;
	*) return ;;
	esac

	case $prev in
	-k | --kernel | -i | --initrd | --disk | --ata | --console-log | --stats-file | \
		--trace-file | --trace-json | --snapshot)
		_mini_kvm_files "$cur"
		return
		;;
	--mode)
		mapfile -t COMPREPLY < <(compgen -W "real protected paging long" -- "$cur")
		return
		;;
	--seccomp)
		mapfile -t COMPREPLY < <(compgen -W "kill trap off" -- "$cur")
		return
		;;
	--serial)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "stdio pty file: unix:" -- "$cur")
		return
		;;
	-m | --mem | -c | --cpus | --load | --entry | --timeout | --boot-marker | -p | \
		--params | --gdb | --debug-exit)
		return # a value of the user's
		;;
	esac

	# After "--stats=" readline completes the value alone ('=' breaks words).
	case $cur in
	--stats=*)
		mapfile -t COMPREPLY < <(compgen -W "table json" -- "${cur#--stats=}")
		;;
	--trace=*)
		local done=${cur#--trace=} last
		last=${done##*,}
		done=${done%"$last"}
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -P "$done" -W "io mmio other all port= addr=" -- "$last")
		;;
	-*)
		mapfile -t COMPREPLY < <(compgen -W "$run_options" -- "$cur")
		;;
	*)
		_mini_kvm_files "$cur"
		;;
	esac
}

complete -F _mini_kvm mini-kvm
