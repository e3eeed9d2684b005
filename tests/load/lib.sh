# shellcheck shell=bash
# Helpers shared by the scripts of tests/load/ (peers.sh, syscalls.sh...):
# installing what is missing, the document root, free ports, and starting,
# checking and stopping nginx, Apache httpd (prefork MPM), preforkd and the
# suite's own servers (pf_fork_server, pf_fixed_server), each as a
# self-contained instance (own config, pid file and logs under the bench's
# temp dir, loopback only, never the system service); the servers' CPU
# time, how busy the machine is, medians.
#
# Sourced, not run: by preamble.sh, which every script sources first (and
# which sets `set -euo pipefail`). bench_start makes the temp dir BENCH_TMP
# and traps EXIT with bench_cleanup.

# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Servers are looked for in sbin too (nginx and apache2 live there).
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Process group ids of the servers started (each runs in its own session).
BENCH_PGIDS=()
# Set by bench_start_*: the server's master pid, port and log file.
SRV_PID=""
SRV_PORT=""
SRV_LOG=""

# Settings the config writers below share (here and in lib_ops.sh), which a
# script may change before it starts a server: the keep-alive idle timeout
# in seconds (nginx keepalive_timeout, Apache KeepAliveTimeout, preforkd
# http.keepalive_timeout); the request-head timeout in seconds for nginx
# (client_header_timeout) and Apache (mod_reqtimeout, RequestReadTimeout
# header=N), "" for their defaults (nginx 60 s; Apache without
# mod_reqtimeout: Timeout, 30 s); nginx's worker_connections (above 1024,
# worker_rlimit_nofile is raised to match).
BENCH_KEEPALIVE=5
BENCH_HEADER_TIMEOUT=""
BENCH_NGINX_CONNECTIONS=1024

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() {
    printf '%s: error: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# bench_ensure_tools CMD:PACKAGE... -- install with apt-get the packages
# whose command is missing; `apt-get update` once, before the first install.
BENCH_APT_UPDATED=0
bench_ensure_tools() {
    local spec cmd pkg missing=()
    for spec in "$@"; do
        cmd=${spec%%:*}
        pkg=${spec#*:}
        if [[ $cmd == /* ]]; then
            [[ -e $cmd ]] && continue
        elif command -v "$cmd" >/dev/null 2>&1; then
            continue
        fi
        missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null 2>&1 ||
        bench_die "missing ${missing[*]} and no apt-get to install them"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 ||
            bench_die "missing ${missing[*]}: run as root or install them"
        sudo=(sudo)
    fi
    if ((BENCH_APT_UPDATED == 0)); then
        bench_log "apt-get update"
        "${sudo[@]}" apt-get update -qq || bench_die "apt-get update failed"
        BENCH_APT_UPDATED=1
    fi
    bench_log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null ||
        bench_die "apt-get install ${missing[*]} failed"
}

# bench_check_tools INSTALL CMD:PACKAGE...: bench_ensure_tools, or (INSTALL
# = 0, --no-install) exit 1 naming the first command missing.
bench_check_tools() {
    local install=$1 spec c
    shift
    if ((install)); then
        bench_ensure_tools "$@"
        return
    fi
    for spec in "$@"; do
        c=${spec%%:*}
        if [[ $c == /* ]]; then [[ -e $c ]]; else command -v "$c" >/dev/null; fi ||
            bench_die "missing $c (package ${spec#*:}); run without --no-install"
    done
}

# bench_server_tools ARRAY SERVER...: append to ARRAY (a variable's name)
# the CMD:PACKAGE specs of what the SERVERs need: nginx, and Apache httpd
# with its prefork MPM (preforkd: nothing, it is built here).
bench_server_tools() {
    local -n specs=$1
    local s
    shift
    for s in "$@"; do
        case $s in
        nginx) specs+=(nginx:nginx) ;;
        apache) specs+=(apache2:apache2 /usr/lib/apache2/modules/mod_mpm_prefork.so:apache2) ;;
        esac
    done
}

# bench_free_port: print a TCP port free on 127.0.0.1 now (the kernel picks
# it: bind port 0, read it, close). Another program could take it before the
# server binds it; the start-up check then reports the bind failure.
bench_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
        return
    fi
    # Without python: a random high port below the ephemeral range that
    # nothing listens on.
    local p i
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 12000))
        if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
            echo "$p"
            return
        fi
    done
    bench_die "no free port found"
}

# bench_make_docroot DIR: the document root shared by every server:
# 1k.bin (1024 bytes) and 1m.bin (1048576 bytes), the same bytes every run.
bench_make_docroot() {
    local dir=$1
    mkdir -p "$dir"
    # A fixed 64-byte line repeated: deterministic, and plain bytes.
    yes 'preforkd bench: the same bytes for every server and every run.' |
        head -c 1024 >"$dir/1k.bin" || true
    yes 'preforkd bench: the same bytes for every server and every run.' |
        head -c 1048576 >"$dir/1m.bin" || true
    [[ $(stat -c %s "$dir/1k.bin") == 1024 && $(stat -c %s "$dir/1m.bin") == 1048576 ]] ||
        bench_die "could not write the document root in $dir"
    # nginx and Apache workers run as nobody/www-data when started by root.
    chmod 755 "$dir"
    chmod 644 "$dir"/*.bin
}

# bench_spawn LOG CPUS CMD...: start CMD in its own session (so a Ctrl-C at
# the terminal reaches this script, not the server, and the whole server can
# be stopped by process group), pinned to CPUS ("" = not pinned), stdout and
# stderr to LOG. Sets SRV_PID (= its process group id).
bench_spawn() {
    local log=$1 cpus=$2
    shift 2
    local pincmd=() capcmd=()
    [[ -n $cpus ]] && pincmd=(taskset -c "$cpus")
    # With a CPU cap, the server enters the cgroup before it execs, so
    # every process it forks is in it from the start.
    # shellcheck disable=SC2016 # expanded by that sh, not here
    [[ -n $BENCH_CGROUP ]] &&
        capcmd=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$BENCH_CGROUP")
    "${pincmd[@]}" setsid "${capcmd[@]}" "$@" </dev/null >"$log" 2>&1 &
    SRV_PID=$!
    BENCH_PGIDS+=("$SRV_PID")
}

# bench_cpu_cap PCT: from now on, servers started by bench_spawn share PCT %
# of one CPU (a cgroup's CPU bandwidth limit: cgroup v2 cpu.max, or v1
# cpu.cfs_quota_us). Used where the client, not the server, would be the
# limit (close mode on a 2-CPU machine): capping the server makes its own
# cost per request decide the request rate, the same cap for every server.
# Needs root and a writable cgroup file system; dies with the reason if not.
BENCH_CGROUP=""
bench_cpu_cap() {
    local pct=$1 period=100000 base
    if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
        base=/sys/fs/cgroup
        grep -qw cpu "$base/cgroup.controllers" ||
            bench_die "--server-cpu: the cgroup v2 cpu controller is not available"
        echo +cpu >"$base/cgroup.subtree_control" 2>/dev/null || true
        BENCH_CGROUP=$base/preforkd-bench-$$
        mkdir "$BENCH_CGROUP" || bench_die "--server-cpu: cannot create $BENCH_CGROUP"
        echo "$((period * pct / 100)) $period" >"$BENCH_CGROUP/cpu.max" ||
            bench_die "--server-cpu: cannot write cpu.max"
    elif [[ -d /sys/fs/cgroup/cpu ]]; then
        BENCH_CGROUP=/sys/fs/cgroup/cpu/preforkd-bench-$$
        mkdir "$BENCH_CGROUP" || bench_die "--server-cpu: cannot create $BENCH_CGROUP"
        # shellcheck disable=SC2015 # dies when either write fails
        echo "$period" >"$BENCH_CGROUP/cpu.cfs_period_us" &&
            echo "$((period * pct / 100))" >"$BENCH_CGROUP/cpu.cfs_quota_us" ||
            bench_die "--server-cpu: cannot set the CPU quota"
    else
        bench_die "--server-cpu: no cgroup cpu controller found"
    fi
}

# bench_alive: does the server started last (SRV_PID) still run?
bench_alive() {
    kill -0 "$SRV_PID" 2>/dev/null && [[ $(ps -o stat= -p "$SRV_PID" 2>/dev/null) != Z* ]]
}

# bench_server_failed NAME WHY: print the server's log and exit 1.
bench_server_failed() {
    bench_log "--- $SRV_LOG"
    tail -n 20 "$SRV_LOG" >&2 || true
    bench_die "$1 $2"
}

# bench_probe PROTO PORT: one request on 127.0.0.1:PORT gets its answer:
# http: GET /1k.bin answers 200 (the status in BENCH_PROBE_STATUS); echo: a
# line comes back; msg: a 4-byte message comes back. At most about 2 s.
BENCH_PROBE_STATUS=""
bench_probe() {
    local proto=$1 port=$2
    case $proto in
    http)
        BENCH_PROBE_STATUS=$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
            "http://127.0.0.1:$port/1k.bin" 2>/dev/null) || BENCH_PROBE_STATUS=000
        [[ $BENCH_PROBE_STATUS == 200 ]]
        ;;
    echo)
        (
            exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
            printf 'probe\n' >&3
            read -r -t 2 line <&3 && [[ $line == probe ]]
        ) 2>/dev/null
        ;;
    msg)
        (
            exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
            printf '\x00\x00\x00\x04ping' >&3
            [[ $(timeout 2 head -c 8 <&3 | od -An -tx1 | tr -d ' \n') == 0000000470696e67 ]]
        ) 2>/dev/null
        ;;
    *) bench_die "bench_probe: unknown protocol '$proto'" ;;
    esac
}

# bench_wait_ready NAME PROTO PORT: wait (at most 10 s) for the server to
# answer bench_probe while its process lives; on failure print the reason
# and its log, exit 1.
bench_wait_ready() {
    local name=$1 proto=$2 port=$3 i
    for ((i = 0; i < 100; i++)); do
        bench_alive || bench_server_failed "$name" "failed to start (exited; its log is above)"
        bench_probe "$proto" "$port" && return 0
        sleep 0.1
    done
    local why="did not answer a $proto request on 127.0.0.1:$port within 10 s"
    [[ $proto == http ]] && why+=" (last status $BENCH_PROBE_STATUS)"
    bench_server_failed "$name" "$why"
}

# bench_wait_http NAME URL: wait (at most 10 s) for URL to answer 200 while
# the server's process lives; on failure print the reason and its log, exit 1.
bench_wait_http() {
    local name=$1 url=$2 i code
    for ((i = 0; i < 100; i++)); do
        bench_alive || bench_server_failed "$name" "failed to start (exited; its log is above)"
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null) || code=000
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    bench_server_failed "$name" "did not answer 200 on $url within 10 s (last status $code)"
}

# bench_wait_listen NAME: wait (at most 10 s) for "listening on
# 127.0.0.1:PORT" in SRV_LOG (what preforkd, pf_fork_server and
# pf_fixed_server print once bound, PORT picked by the kernel) and set
# SRV_PORT; exit 1 with the log when it does not come.
bench_wait_listen() {
    local name=$1 i line
    SRV_PORT=""
    for ((i = 0; i < 100; i++)); do
        # "listening on" at the start or after "master[PID]: " (not the
        # "control channel listening on" line of a control channel).
        line=$(grep -m1 -oE '(^|: )listening on 127\.0\.0\.1:[0-9]+' "$SRV_LOG" 2>/dev/null) || true
        if [[ -n $line ]]; then
            SRV_PORT=${line##*:}
            return 0
        fi
        bench_alive || break
        sleep 0.1
    done
    bench_server_failed "$name" "failed to start: no 'listening on 127.0.0.1:PORT' in its log"
}

# bench_stop PGID: stop one server: SIGTERM to its process group, up to 10 s
# for the group leader to exit, then SIGKILL to whatever is left of the group.
bench_stop() {
    local pgid=$1 i
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 -- "-$pgid" 2>/dev/null; then
            break
        fi
        # Only a zombie leader left (reaped below): stopped.
        # shellcheck disable=SC2009 # pgrep cannot tell zombies apart
        if [[ $(ps -o stat= -g "$pgid" 2>/dev/null | grep -cv '^Z') == 0 ]]; then
            break
        fi
        sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    wait "$pgid" 2>/dev/null || true
    local kept=()
    for i in "${BENCH_PGIDS[@]}"; do
        [[ $i == "$pgid" ]] || kept+=("$i")
    done
    BENCH_PGIDS=("${kept[@]+"${kept[@]}"}")
}

# bench_cleanup: stop every server still running; remove BENCH_TMP unless
# BENCH_KEEP=1. For the caller's EXIT trap.
# A client process of the script's (wrk, strace) still running at exit is
# stopped first, with BENCH_CLIENT_SIG.
BENCH_CLIENT_PID=""
BENCH_CLIENT_SIG=TERM

bench_cleanup() {
    local pgid
    if [[ -n $BENCH_CLIENT_PID ]]; then
        kill "-$BENCH_CLIENT_SIG" "$BENCH_CLIENT_PID" 2>/dev/null || true
        wait "$BENCH_CLIENT_PID" 2>/dev/null || true
    fi
    for pgid in "${BENCH_PGIDS[@]+"${BENCH_PGIDS[@]}"}"; do
        bench_stop "$pgid"
    done
    if [[ -n $BENCH_CGROUP && -d $BENCH_CGROUP ]]; then
        rmdir "$BENCH_CGROUP" 2>/dev/null || bench_log "could not remove $BENCH_CGROUP"
    fi
    if [[ -n ${BENCH_TMP:-} && -d $BENCH_TMP ]]; then
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
            bench_log "kept $BENCH_TMP"
        else
            rm -rf -- "$BENCH_TMP"
        fi
    fi
}

# bench_nginx_conf DIR PORT ROOT WORKERS LEVEL: write DIR/nginx.conf, a
# self-contained nginx on 127.0.0.1:PORT serving ROOT with WORKERS worker
# processes, its error log DIR/logs/error.log at LEVEL: sendfile on,
# access_log off, keep-alive BENCH_KEEPALIVE s (5) / 1000 requests,
# BENCH_NGINX_CONNECTIONS worker_connections (1024), client_header_timeout
# BENCH_HEADER_TIMEOUT when set, open_file_cache like preforkd's default
# (64 files, 1 s), temp paths inside DIR.
bench_nginx_conf() {
    local d=$1 port=$2 root=$3 workers=$4 level=$5 rlimit="" header=""
    ((BENCH_NGINX_CONNECTIONS > 1024)) &&
        rlimit="worker_rlimit_nofile $((BENCH_NGINX_CONNECTIONS + 64));"
    [[ -n $BENCH_HEADER_TIMEOUT ]] && header="client_header_timeout ${BENCH_HEADER_TIMEOUT}s;"
    cat >"$d/nginx.conf" <<EOF
# Generated by tests/load: a self-contained nginx on 127.0.0.1:$port.
worker_processes $workers;
$rlimit
pid $d/nginx.pid;
error_log $d/logs/error.log $level;
events {
    worker_connections $BENCH_NGINX_CONNECTIONS;
}
http {
    access_log off;
    sendfile on;
    keepalive_timeout ${BENCH_KEEPALIVE}s;
    keepalive_requests 1000;
    $header
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 1s;
    types {
        application/octet-stream bin;
    }
    default_type application/octet-stream;
    client_body_temp_path $d/tmp-body;
    proxy_temp_path $d/tmp-proxy;
    fastcgi_temp_path $d/tmp-fastcgi;
    uwsgi_temp_path $d/tmp-uwsgi;
    scgi_temp_path $d/tmp-scgi;
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        root $root;
    }
}
EOF
}

# bench_start_nginx ROOT CPUS: nginx with 2 worker processes, sendfile on,
# access_log off, keep-alive BENCH_KEEPALIVE s (5) / 1000 requests,
# open_file_cache like preforkd's default (64 files, 1 s). Sets SRV_PID,
# SRV_PORT, SRV_LOG.
bench_start_nginx() {
    local root=$1 cpus=$2 d=$BENCH_TMP/nginx
    mkdir -p "$d/logs"
    SRV_PORT=$(bench_free_port)
    SRV_LOG=$d/logs/error.log
    bench_nginx_conf "$d" "$SRV_PORT" "$root" 2 warn
    nginx -t -q -p "$d" -e "$SRV_LOG" -c "$d/nginx.conf" 2>"$d/logs/check.log" || {
        cat "$d/logs/check.log" >&2
        bench_die "nginx: its generated configuration is rejected ($d/nginx.conf)"
    }
    bench_spawn "$d/logs/stderr.log" "$cpus" \
        nginx -p "$d" -e "$SRV_LOG" -c "$d/nginx.conf" -g 'daemon off;'
    bench_wait_http nginx "http://127.0.0.1:$SRV_PORT/1k.bin"
}

# bench_apache_modules: the folder holding mod_mpm_prefork.so.
bench_apache_modules() {
    local d
    for d in /usr/lib/apache2/modules /usr/lib64/httpd/modules /usr/lib/httpd/modules; do
        [[ -e $d/mod_mpm_prefork.so ]] && {
            echo "$d"
            return
        }
    done
    bench_die "apache: mod_mpm_prefork.so not found"
}

# bench_apache_conf DIR PORT ROOT WORKERS LEVEL [EXTRA]: write and check
# DIR/httpd.conf, a self-contained Apache httpd (prefork MPM) on
# 127.0.0.1:PORT serving ROOT: StartServers = MaxSpareServers =
# ServerLimit = MaxRequestWorkers = WORKERS, MinSpareServers 1, no access
# log, KeepAlive On (BENCH_KEEPALIVE s, 5, / 1000 requests), EnableSendfile
# On, mod_reqtimeout with RequestReadTimeout header=BENCH_HEADER_TIMEOUT
# when that is set, its error log DIR/logs/error.log at LEVEL; EXTRA
# (directives) appended. Dies with apache2 -t's complaint if the file is
# refused.
bench_apache_conf() {
    local d=$1 port=$2 root=$3 workers=$4 level=$5 extra=${6:-} mods user="" header=""
    mods=$(bench_apache_modules)
    [[ -n $BENCH_HEADER_TIMEOUT ]] &&
        header="LoadModule reqtimeout_module $mods/mod_reqtimeout.so
RequestReadTimeout header=$BENCH_HEADER_TIMEOUT"
    mkdir -p "$d/logs" "$d/run"
    # As root, httpd must switch its children to an unprivileged user.
    if ((EUID == 0)); then
        if getent passwd www-data >/dev/null; then
            user=$'User www-data\nGroup www-data'
        else
            user=$'User nobody\nGroup nogroup'
        fi
    fi
    cat >"$d/httpd.conf" <<EOF
# Generated by tests/load: a self-contained Apache httpd (prefork MPM)
# on 127.0.0.1:$port.
ServerRoot $d
DefaultRuntimeDir $d/run
PidFile $d/run/httpd.pid
ServerName 127.0.0.1
Listen 127.0.0.1:$port
ListenBacklog 511
$user

LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
$header

StartServers $workers
MinSpareServers 1
MaxSpareServers $workers
ServerLimit $workers
MaxRequestWorkers $workers
MaxConnectionsPerChild 0

KeepAlive On
KeepAliveTimeout $BENCH_KEEPALIVE
MaxKeepAliveRequests 1000
Timeout 30
EnableSendfile On
EnableMMAP On
HostnameLookups Off

ErrorLog $d/logs/error.log
LogLevel $level
# No CustomLog: no access log.

TypesConfig /dev/null
AddType application/octet-stream .bin

DocumentRoot $root
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $root>
    AllowOverride None
    Options None
    Require all granted
</Directory>
$extra
EOF
    apache2 -t -f "$d/httpd.conf" >"$d/logs/check.log" 2>&1 || {
        cat "$d/logs/check.log" >&2
        bench_die "apache: its generated configuration is rejected ($d/httpd.conf)"
    }
}

# bench_start_apache ROOT CPUS WORKERS: Apache httpd with the prefork MPM,
# WORKERS processes started and at most, no access log, KeepAlive On
# (BENCH_KEEPALIVE s, 5, / 1000 requests), EnableSendfile On, in the
# foreground.
bench_start_apache() {
    local root=$1 cpus=$2 workers=$3 d=$BENCH_TMP/apache mods user=""
    mods=$(bench_apache_modules)
    mkdir -p "$d/logs" "$d/run"
    SRV_PORT=$(bench_free_port)
    SRV_LOG=$d/logs/error.log
    bench_apache_conf "$d" "$SRV_PORT" "$root" "$workers" warn
    bench_spawn "$d/logs/stderr.log" "$cpus" apache2 -f "$d/httpd.conf" -DFOREGROUND
    bench_wait_http apache "http://127.0.0.1:$SRV_PORT/1k.bin"
}

# bench_pf_daemon_user: the daemon.user line preforkd needs when started
# as root (it refuses to leave its workers root unless told); none else.
bench_pf_daemon_user() {
    if [[ $(id -u) == 0 ]]; then printf 'user = "root";\n'; fi
}

# bench_start_preforkd BINARY ROOT CPUS WORKERS [PROTO]: preforkd serving
# PROTO (http, the default; echo; msg) on 127.0.0.1 with a port it picks
# (read back from its log), WORKERS workers (start = max), access log off,
# keep-alive BENCH_KEEPALIVE s (5) / 1000 requests; echo and msg with their
# defaults. $BENCH_PF_KEEPER, when set, goes inside its keeper = { } group
# ("parking = false;" for the classic model).
bench_start_preforkd() {
    local bin=$1 root=$2 cpus=$3 workers=$4 proto=${5:-http} d=$BENCH_TMP/preforkd
    [[ -x $bin ]] || bench_die "preforkd: $bin is not an executable (build it first)"
    mkdir -p "$d"
    SRV_LOG=$d/preforkd-$proto-$workers.log
    cat >"$d/preforkd.conf" <<EOF
# Generated by tests/load: preforkd serving $proto on 127.0.0.1, any free port.
listen = "127.0.0.1:0";
backlog = 511;
protocol = "$proto";
workers = {
  start = $workers;
  max = $workers;
  max_requests = 0;
};
http = {
  root = "$root";
  access_log = "";
  keepalive_timeout = $BENCH_KEEPALIVE;
  keepalive_requests = 1000;
};
daemon = {
  error_log = "";
  log_level = "notice";
  $(bench_pf_daemon_user)
};
keeper = { ${BENCH_PF_KEEPER:-} };
EOF
    "$bin" -t -c "$d/preforkd.conf" >"$d/check.log" 2>&1 || {
        cat "$d/check.log" >&2
        bench_die "preforkd: its generated configuration is rejected ($d/preforkd.conf)"
    }
    bench_spawn "$SRV_LOG" "$cpus" "$bin" -c "$d/preforkd.conf"
    bench_wait_listen preforkd
    bench_wait_ready preforkd "$proto" "$SRV_PORT"
}

# bench_start_fork BINARY ROOT CPUS [PROTO]: pf_fork_server, the
# fork-per-connection baseline (tests/load/servers/pf_fork_server.c),
# serving PROTO (http, the default, or echo) on 127.0.0.1, the port picked
# by the kernel and read back from its output.
bench_start_fork() {
    local bin=$1 root=$2 cpus=$3 proto=${4:-http} d=$BENCH_TMP/fork
    [[ -x $bin ]] || bench_die "pf_fork_server: $bin is not an executable (build it first)"
    mkdir -p "$d"
    SRV_LOG=$d/fork-$proto.log
    bench_spawn "$SRV_LOG" "$cpus" "$bin" -p "$proto" "$root" 127.0.0.1:0
    bench_wait_listen pf_fork_server
    bench_wait_ready pf_fork_server "$proto" "$SRV_PORT"
}

# bench_start_fixed BINARY CPUS: pf_fixed_server, one epoll process
# answering every HTTP request with the same 13-byte body
# (tests/load/servers/pf_fixed_server.c): what a client drives against a
# server that costs almost nothing.
bench_start_fixed() {
    local bin=$1 cpus=$2 d=$BENCH_TMP/fixed
    [[ -x $bin ]] || bench_die "pf_fixed_server: $bin is not an executable (build it first)"
    mkdir -p "$d"
    SRV_LOG=$d/fixed.log
    bench_spawn "$SRV_LOG" "$cpus" "$bin" - 127.0.0.1:0
    bench_wait_listen pf_fixed_server
    bench_wait_ready pf_fixed_server http "$SRV_PORT"
}

# bench_check_files NAME PORT ROOT: both files come back 200 and byte for
# byte; exit 1 otherwise.
bench_check_files() {
    local name=$1 port=$2 root=$3 f code
    for f in 1k.bin 1m.bin; do
        code=$(curl -s -m 10 -o "$BENCH_TMP/check.out" -w '%{http_code}' \
            "http://127.0.0.1:$port/$f") || code=000
        [[ $code == 200 ]] || bench_die "$name: GET /$f answered $code, not 200"
        cmp -s "$BENCH_TMP/check.out" "$root/$f" ||
            bench_die "$name: GET /$f did not return the file's bytes"
    done
    rm -f "$BENCH_TMP/check.out"
}

# bench_write_doc NAME REPORT [SCRIPT [DOC]]: (SCRIPT: the script named in
# the markers, default NAME.sh; DOC: the document, relative to the tree,
# default docs/benchmarks.md) put REPORT (a markdown file) into DOC between
# the markers of block NAME, replacing what was there (or appending the
# block with its markers the first time).
bench_write_doc() {
    local name=$1 report=$2 script=${3:-$1.sh} doc=$BENCH_REPO/${4:-docs/benchmarks.md}
    local begin="<!-- BEGIN $name results (written by tests/load/$script) -->"
    local end="<!-- END $name results -->"

    if [[ -f $doc ]] && grep -qF "$begin" "$doc" && grep -qF "$end" "$doc"; then
        awk -v b="$begin" -v e="$end" -v f="$report" '
            $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip' "$doc" >"$BENCH_TMP/doc.md"
        cat "$BENCH_TMP/doc.md" >"$doc"
    else
        { [[ -f $doc ]] && echo; echo "$begin"; cat "$report"; echo "$end"; } >>"$doc"
    fi
    bench_log "wrote the results into ${doc#"$BENCH_REPO"/}"
}

# bench_start NAME: a fresh temp dir in BENCH_TMP (removed at exit by
# bench_cleanup, whatever ends the script) and the document root in
# $BENCH_TMP/www.
bench_start() {
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/preforkd-$1.XXXXXX")
    chmod 755 "$BENCH_TMP"
    trap bench_cleanup EXIT
    trap 'bench_log "interrupted"; exit 130' INT
    trap 'bench_log "terminated"; exit 143' TERM
    bench_make_docroot "$BENCH_TMP/www"
}

# bench_gnuplot_head TITLE YLABEL: the gnuplot lines every plot of the
# suite starts with (800x450 PNG, the grid, the key outside on the right).
bench_gnuplot_head() {
    cat <<EOF
set terminal pngcairo size 800,450 font "sans,10" noenhanced
set title "$1"
set ylabel "$2"
set grid ytics lc rgb "#dddddd"
set key outside right top vertical box
set border 3
set tics nomirror
EOF
}

# bench_commit: the short commit of the tree measured, "with uncommitted
# changes" when files other than the benchmark and the docs (which do not
# change what is measured) differ from it.
bench_commit() {
    local commit
    commit=$(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git -C "$BENCH_REPO" status --porcelain --untracked-files=no -- . \
        ':!tests/load' ':!docs' 2>/dev/null) ]]; then
        commit+=" with uncommitted changes"
    fi
    echo "$commit"
}

# bench_server_cpu_us SID: CPU time used so far by every process of the
# server started with bench_spawn (its session SID), in microseconds: each
# live process's run time from /proc/PID/schedstat (nanoseconds, exact),
# plus the user + system time of the children they reaped (cutime +
# cstime in /proc/PID/stat: pf_fork_server's finished children).
# Not utime + stime: /proc/PID/stat gives each in whole clock ticks
# (10 ms), truncated per process, so 256 workers that ran 12 ms each read
# as 0. Without schedstat (an old kernel), utime + stime it is.
bench_server_cpu_us() {
    local p stats=() sched=() ns ticks hz
    for p in $(pgrep -s "$1"); do
        stats+=("/proc/$p/stat")
        sched+=("/proc/$p/schedstat")
    done
    ((${#stats[@]})) || { echo 0; return; }
    hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
    # cat, not awk, opens the files: it goes on past a process that exited
    # since pgrep listed it (whose time is then in its parent's cutime).
    # Fields after "pid (comm) ": $12 utime, $13 stime, $14 cutime, $15 cstime.
    if [[ -r /proc/self/schedstat ]]; then
        ticks=$({ cat "${stats[@]}" 2>/dev/null || true; } |
            awk '{ sub(/^.*\) /, ""); t += $14 + $15 } END { print t + 0 }')
        ns=$({ cat "${sched[@]}" 2>/dev/null || true; } |
            awk '{ t += $1 } END { printf "%.0f", t }')
    else
        ticks=$({ cat "${stats[@]}" 2>/dev/null || true; } |
            awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }')
        ns=0
    fi
    awk -v ns="$ns" -v t="$ticks" -v hz="$hz" 'BEGIN { printf "%.0f", ns / 1000 + t * 1e6 / hz }'
}

# bench_busy_pct: percent of all CPUs busy over the next second (run when
# nothing of the bench's runs: what other programs take).
bench_busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%.0f", ((busy + idle > 0) ? 100 * busy / (busy + idle) : 0) }'
}

# bench_median VALUES..., bench_sum VALUES..., bench_spread VALUES...
# (min-max, rounded to integers).
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bench_sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { print s + 0 }'; }
bench_spread() {
    printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
        printf "%.0f-%.0f", lo, hi }'
}
