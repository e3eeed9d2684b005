# Helpers of the system tests (tests/system/test_*.sh), sourced by them.
# POSIX sh. Each test works in its own temporary folder ($T, removed when
# the test passes or is skipped, kept and named when it fails), uses
# ephemeral ports only (listen "127.0.0.1:0", the port read back from the
# error log), and waits only in poll loops with a deadline.

T_NAME=${0##*/}
T_NAME=${T_NAME%.sh}
T=

note() { printf '%s: %s\n' "$T_NAME" "$*"; }

# fail MESSAGE: print it and the logs of the temporary folder, exit 1.
fail() {
    printf '%s: FAIL: %s\n' "$T_NAME" "$*" >&2
    if [ -n "$T" ]; then
        for _log in "$T"/*.log "$T"/log/*.log; do
            [ -f "$_log" ] || continue
            printf -- '--- %s (last lines)\n' "$_log" >&2
            tail -n 30 "$_log" >&2
        done
    fi
    exit 1
}

# t_setup: make $T, and clean up at exit: every process whose command line
# names $T (servers started by the test; a master's title keeps its
# arguments) is killed, and their workers and keepers, titled otherwise,
# exit with their master.
t_setup() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/pf-$T_NAME.XXXXXX") || exit 1
    trap 't_cleanup $?' EXIT
    trap 'exit 130' INT TERM
}

t_cleanup() {
    _rc=$1
    _pids=$(t_pids_naming "$T")
    if [ -n "$_pids" ]; then
        # shellcheck disable=SC2086 # one pid per word
        kill -KILL $_pids 2>/dev/null
    fi
    if [ "$_rc" -eq 0 ] || [ "$_rc" -eq 77 ]; then
        rm -rf "$T"
    else
        note "kept $T"
    fi
}

# t_cmdline PID: the command line of PID, arguments separated by spaces.
t_cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }

# t_ppid PID: its parent's pid.
t_ppid() {
    read -r _stat 2>/dev/null <"/proc/$1/stat" || return 1
    _rest=${_stat##*) }
    _rest=${_rest#* }
    printf '%s\n' "${_rest%% *}"
}

# t_alive PID: PID is a process, and not a zombie.
t_alive() {
    read -r _stat 2>/dev/null <"/proc/$1/stat" || return 1
    _state=${_stat##*) }
    [ "${_state%% *}" != Z ]
}

# t_pids_naming TEXT: live processes whose command line contains TEXT
# (not this shell).
t_pids_naming() {
    for _d in /proc/[0-9]*; do
        _p=${_d#/proc/}
        [ "$_p" != $$ ] || continue
        case $(t_cmdline "$_p") in
        *"$1"*) t_alive "$_p" && printf '%s\n' "$_p" ;;
        esac
    done
}

# t_masters CONF: the preforkd masters running on CONF: processes whose
# command line names CONF (a master's title keeps its arguments), whose
# parent's does not (the new master of a binary upgrade, while the old
# one runs, is its child).
t_masters() {
    for _p in $(t_pids_naming "$1"); do
        _pp=$(t_ppid "$_p")
        case $(t_cmdline "$_pp") in
        *"$1"*) ;;
        *) printf '%s\n' "$_p" ;;
        esac
    done
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds;
# 1 when it still fails at the deadline.
wait_until() {
    _end=$(($(date +%s) + $1))
    shift
    while ! "$@"; do
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.1
    done
    return 0
}

# t_gone PID: PID is no longer running (for wait_until).
t_gone() { ! t_alive "$1"; }

# t_in_file FILE TEXT: FILE has a line containing TEXT (for wait_until).
t_in_file() { [ -f "$1" ] && grep -qF -- "$2" "$1"; }

# t_port_of LOG PHRASE: the port of the last "PHRASE ADDR" line of the
# error log ("control channel listening on", "status listener on").
t_port_of() { sed -n "s/.*]: $2 [^ ]*:\([0-9][0-9]*\)\( .*\)*\$/\1/p" "$1" | tail -n 1; }

# t_port LOG: the port of the service, from the last "listening on ADDR" line.
t_port() { t_port_of "$1" "listening on"; }

# t_get PORT PATH: the HTTP status of GET PATH (000 when there is none).
t_get() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2" 2>/dev/null
}

# t_need_curl: curl is a test dependency (tools/deps.sh installs it).
t_need_curl() {
    command -v curl >/dev/null 2>&1 || fail "curl is missing (sh tools/deps.sh installs it)"
}

# t_site DIR: a small document root.
t_site() {
    mkdir -p "$1" || fail "mkdir $1"
    printf 'hello\n' >"$1/hello.txt"
    printf '<!doctype html><title>t</title>\n' >"$1/index.html"
}

# The user workers run as: started as root, preforkd wants daemon.user set
# ("root" keeps them root, as a test wants); otherwise "" (stay).
if [ "$(id -u)" -eq 0 ]; then
    T_USER=root
else
    T_USER=
fi

# t_config FILE LOGDIR RUNDIR: a configuration on an ephemeral port serving
# $T/www, logging into LOGDIR (error.log, access.log), its pidfile in
# RUNDIR, without control channel.
t_config() {
    cat >"$1" <<EOF
listen = "127.0.0.1:0";
workers = { start = 2; graceful_timeout = 5; stop_timeout = 2; };
http = { root = "$T/www"; mime_types = ""; access_log = "$2/access.log"; };
control = { listen = ""; };
daemon = {
  error_log = "$2/error.log";
  log_level = "info";
  pidfile = "$3/preforkd.pid";
  user = "$T_USER";
};
EOF
}
