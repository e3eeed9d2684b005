# shellcheck shell=bash
# The start that every script of tests/load/ shares, sourced as its first
# command, right after its header comment:
#     # shellcheck source=tests/load/preamble.sh
#     . "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
# (chaos.sh, costs.sh and exhaustion.sh then source lib_ops.sh).
#
# It sets the shell options (set -euo pipefail); `here`, this folder (for
# the scripts that run their siblings); sources lib.sh (BENCH_REPO, the
# helpers, bench_start's temp dir and cleanup traps); keeps the script's
# arguments as given in orig_args (for the command line in its report:
# sourced without arguments, this file sees the script's); and defines
# what the scripts' command lines share: usage, the common options, the
# checks of numbers and of server lists.
#
# Its own file, not part of lib.sh: lib.sh and lib_ops.sh are libraries
# that only define things, while this file acts on the script that sources
# it (its shell options and its arguments).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/load/lib.sh
. "$here/lib.sh"

# shellcheck disable=SC2034 # used by the scripts that source this file
orig_args=("$@")
BENCH_SCRIPT=${BASH_SOURCE[1]}

# usage: the script's header comment, from its second line up to its first
# line that is no comment (or is a shellcheck directive), without the "# ".
usage() { sed -n '2,${/^#/!q;/^# shellcheck /q;s/^# \{0,1\}//;p}' "$BENCH_SCRIPT"; }

# bench_common_arg ARG: the options that several scripts take, each one
# only by the scripts that set its variable among their defaults (so each
# keeps its own set): --quick (quick=1), --write-doc and --no-doc
# (write_doc=1, 0), --no-install (install=0), --keep (BENCH_KEEP=1); and
# -h, --help: the usage, exit 0. Returns 1 for any other ARG, which the
# script takes itself or refuses with bench_bad_arg.
# shellcheck disable=SC2034 # the variables belong to the script
bench_common_arg() {
    case $1 in
    --quick) [[ -v quick ]] && quick=1 ;;
    --write-doc) [[ -v write_doc ]] && write_doc=1 ;;
    --no-doc) [[ -v write_doc ]] && write_doc=0 ;;
    --no-install) [[ -v install ]] && install=0 ;;
    --keep) [[ -v BENCH_KEEP ]] && BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) return 1 ;;
    esac
}

# bench_bad_arg ARG: the usage on stderr, and exit 1 naming ARG.
bench_bad_arg() {
    usage >&2
    bench_die "unknown argument: $1"
}

# bench_check_count OPTION VALUE [WHAT]: VALUE is a whole number from 1 up;
# else exit 1 with "OPTION: WHAT, not 'VALUE'" (WHAT: a positive number).
bench_check_count() {
    [[ $2 =~ ^[1-9][0-9]*$ ]] || bench_die "$1: ${3:-a positive number}, not '$2'"
}

# bench_server_list LIST: server_list from LIST, comma-separated, each item
# preforkd, nginx or apache; else exit 1 with the reason.
bench_server_list() {
    local s
    IFS=, read -r -a server_list <<<"$1"
    ((${#server_list[@]})) || bench_die "--servers: empty list"
    for s in "${server_list[@]}"; do
        case $s in
        preforkd | nginx | apache) ;;
        *) bench_die "--servers: unknown server '$s' (preforkd, nginx, apache)" ;;
        esac
    done
}
