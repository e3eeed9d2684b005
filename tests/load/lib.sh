# shellcheck shell=bash
# Helpers shared by tests/load/http_peers.sh and tests/load/syscalls.sh:
# installing what is missing, the document root, free ports, and starting,
# checking and stopping nginx, Apache httpd (prefork MPM) and preforkd, each
# as a self-contained instance (own config, pid file and logs under the
# bench's temp dir, loopback only, never the system service).
#
# Sourced, not run. The caller sets `set -euo pipefail`, BENCH_TMP (the temp
# dir), and calls bench_cleanup from its EXIT trap.

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
    local pincmd=()
    [[ -n $cpus ]] && pincmd=(taskset -c "$cpus")
    "${pincmd[@]}" setsid "$@" </dev/null >"$log" 2>&1 &
    SRV_PID=$!
    BENCH_PGIDS+=("$SRV_PID")
}

# bench_wait_http NAME URL: wait (at most 10 s) for URL to answer 200 while
# the server's process lives; on failure print the reason and its log, exit 1.
bench_wait_http() {
    local name=$1 url=$2 i code
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$SRV_PID" 2>/dev/null || [[ $(ps -o stat= -p "$SRV_PID" 2>/dev/null) == Z* ]]; then
            bench_log "--- $SRV_LOG"
            tail -n 20 "$SRV_LOG" >&2 || true
            bench_die "$name failed to start (exited; its log is above)"
        fi
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null) || code=000
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    bench_log "--- $SRV_LOG"
    tail -n 20 "$SRV_LOG" >&2 || true
    bench_die "$name did not answer 200 on $url within 10 s (last status $code)"
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
    if [[ -n ${BENCH_TMP:-} && -d $BENCH_TMP ]]; then
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
            bench_log "kept $BENCH_TMP"
        else
            rm -rf -- "$BENCH_TMP"
        fi
    fi
}

# bench_start_nginx ROOT CPUS: nginx with 2 worker processes, sendfile on,
# access_log off, keep-alive 5 s / 1000 requests, open_file_cache like
# preforkd's default (64 files, 1 s). Sets SRV_PID, SRV_PORT, SRV_LOG.
bench_start_nginx() {
    local root=$1 cpus=$2 d=$BENCH_TMP/nginx
    mkdir -p "$d/logs"
    SRV_PORT=$(bench_free_port)
    SRV_LOG=$d/logs/error.log
    cat >"$d/nginx.conf" <<EOF
# Generated by tests/load: a self-contained nginx on 127.0.0.1:$SRV_PORT.
worker_processes 2;
pid $d/nginx.pid;
error_log $SRV_LOG warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    sendfile on;
    keepalive_timeout 5s;
    keepalive_requests 1000;
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
        listen 127.0.0.1:$SRV_PORT;
        server_name localhost;
        root $root;
    }
}
EOF
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

# bench_start_apache ROOT CPUS WORKERS: Apache httpd with the prefork MPM,
# WORKERS processes started and at most, no access log, KeepAlive On
# (5 s / 1000 requests), EnableSendfile On, in the foreground.
bench_start_apache() {
    local root=$1 cpus=$2 workers=$3 d=$BENCH_TMP/apache mods user=""
    mods=$(bench_apache_modules)
    mkdir -p "$d/logs" "$d/run"
    SRV_PORT=$(bench_free_port)
    SRV_LOG=$d/logs/error.log
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
# on 127.0.0.1:$SRV_PORT.
ServerRoot $d
DefaultRuntimeDir $d/run
PidFile $d/run/httpd.pid
ServerName 127.0.0.1
Listen 127.0.0.1:$SRV_PORT
ListenBacklog 511
$user

LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so

StartServers $workers
MinSpareServers 1
MaxSpareServers $workers
ServerLimit $workers
MaxRequestWorkers $workers
MaxConnectionsPerChild 0

KeepAlive On
KeepAliveTimeout 5
MaxKeepAliveRequests 1000
Timeout 30
EnableSendfile On
EnableMMAP On
HostnameLookups Off

ErrorLog $SRV_LOG
LogLevel warn
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
EOF
    apache2 -t -f "$d/httpd.conf" >"$d/logs/check.log" 2>&1 || {
        cat "$d/logs/check.log" >&2
        bench_die "apache: its generated configuration is rejected ($d/httpd.conf)"
    }
    bench_spawn "$d/logs/stderr.log" "$cpus" apache2 -f "$d/httpd.conf" -DFOREGROUND
    bench_wait_http apache "http://127.0.0.1:$SRV_PORT/1k.bin"
}

# bench_start_preforkd BINARY ROOT CPUS WORKERS: preforkd speaking HTTP on
# 127.0.0.1 with a port it picks (read back from its log), WORKERS workers
# (start = max), access log off, keep-alive 5 s / 1000 requests.
bench_start_preforkd() {
    local bin=$1 root=$2 cpus=$3 workers=$4 d=$BENCH_TMP/preforkd i line
    [[ -x $bin ]] || bench_die "preforkd: $bin is not an executable (build it first)"
    mkdir -p "$d"
    SRV_LOG=$d/preforkd.log
    cat >"$d/preforkd.conf" <<EOF
# Generated by tests/load: preforkd serving HTTP on 127.0.0.1, any free port.
listen = "127.0.0.1:0";
backlog = 511;
protocol = "http";
workers = {
  start = $workers;
  max = $workers;
  max_requests = 0;
};
http = {
  root = "$root";
  access_log = "";
  keepalive_timeout = 5;
  keepalive_requests = 1000;
};
daemon = {
  error_log = "";
  log_level = "notice";
};
EOF
    "$bin" -t -c "$d/preforkd.conf" >"$d/check.log" 2>&1 || {
        cat "$d/check.log" >&2
        bench_die "preforkd: its generated configuration is rejected ($d/preforkd.conf)"
    }
    bench_spawn "$SRV_LOG" "$cpus" "$bin" -c "$d/preforkd.conf"
    SRV_PORT=""
    for ((i = 0; i < 100; i++)); do
        line=$(grep -m1 -o 'listening on 127\.0\.0\.1:[0-9]*' "$SRV_LOG" 2>/dev/null) || true
        if [[ -n $line ]]; then
            SRV_PORT=${line##*:}
            break
        fi
        if ! kill -0 "$SRV_PID" 2>/dev/null || [[ $(ps -o stat= -p "$SRV_PID" 2>/dev/null) == Z* ]]; then
            break
        fi
        sleep 0.1
    done
    if [[ -z $SRV_PORT ]]; then
        bench_log "--- $SRV_LOG"
        tail -n 20 "$SRV_LOG" >&2 || true
        bench_die "preforkd failed to start: no 'listening on 127.0.0.1:PORT' in its log"
    fi
    bench_wait_http preforkd "http://127.0.0.1:$SRV_PORT/1k.bin"
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

# bench_write_doc NAME REPORT: put REPORT (a markdown file) into
# docs/benchmarks.md between the markers of block NAME, replacing what was
# there (or appending the block with its markers the first time).
bench_write_doc() {
    local name=$1 report=$2 doc=$BENCH_REPO/docs/benchmarks.md
    local begin="<!-- BEGIN $name results (written by tests/load/$name.sh) -->"
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
