#!/usr/bin/env bash
# costs.sh: what a worker costs: memory per worker process, the time to
# replace a worker killed with SIGKILL, the time to start 1, 64 and 512
# workers, and (from tests/load/syscalls.sh) system calls per request;
# preforkd beside nginx and Apache httpd (prefork MPM).
#
# Usage: tests/load/costs.sh [options]
#   --servers LIST     comma-separated (default preforkd,nginx,apache)
#   --parts LIST       comma-separated (default all): memory, replace,
#                      startup, syscalls
#   --quick            shorter: 1 s warm-up steps, 5 replacements, start-up
#                      with 1 and 64 workers once each, 200 requests for
#                      the syscall counts; does not write docs/benchmarks.md
#                      unless --write-doc is given
#   --runs N           replacements timed per server (default 20)
#   --preforkd PATH    the server (default build/server/preforkd, or $PREFORKD)
#   --preforkctl PATH  (default build/tools/preforkctl/preforkctl, or $PREFORKCTL)
#   --preforkbench PATH (default build/tools/preforkbench/preforkbench, or
#                      $PREFORKBENCH)
#   --write-doc        write the results into docs/benchmarks.md (default
#                      unless --quick)
#   --no-doc           do not touch docs/benchmarks.md
#   --no-install       fail instead of running apt-get for what is missing
#   --keep             keep the temp dir (configs, logs, raw JSON)
#   -h, --help         this text
#
# memory: each server started (preforkd and Apache 4 workers, nginx 2),
# Pss, Private_Dirty and Private_Clean of every process read from
# /proc/PID/smaps_rollup when idle and again after a warm-up load
# (preforkbench). replace: one worker; repeatedly kill -9 it and time, from
# the kill, the reply to a request sent right after it (ops_client.py
# replace). startup: from exec to every worker ready, by the server's own
# count and by /proc (ops_client.py startup). syscalls: runs
# tests/load/syscalls.sh --no-doc and takes its totals.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
# shellcheck source=tests/load/lib_ops.sh
. "$here/lib_ops.sh"

servers=preforkd,nginx,apache
parts=memory,replace,startup,syscalls
quick=0
runs=""
write_doc=""
install=1
BENCH_KEEP=0

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --parts) parts=${2:?--parts needs a list}; shift ;;
    --parts=*) parts=${1#*=} ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --runs=*) runs=${1#*=} ;;
    *) ops_common_arg "$@"; shift $((OPS_SHIFT - 1)) ;;
    esac
    shift
done
[[ -z $runs ]] && runs=$((quick ? 5 : 20))
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))
bench_check_count --runs "$runs"

bench_server_list "$servers"
IFS=, read -r -a part_list <<<"$parts"
for p in "${part_list[@]}"; do
    case $p in
    memory | replace | startup | syscalls) ;;
    *) bench_die "--parts: unknown part '$p' (memory, replace, startup, syscalls)" ;;
    esac
done
has_part() { [[ ,$parts, == *,$1,* ]]; }
has() { [[ ,$servers, == *,$1,* ]]; }

need=(python3:python3 curl:curl setsid:util-linux pgrep:procps timeout:coreutils)
has apache && need+=(apache2:apache2 /usr/lib/apache2/modules/mod_mpm_prefork.so:apache2)
has nginx && need+=(nginx:nginx)
bench_check_tools "$install" "${need[@]}"

commit=$(bench_commit)
ops_start costs
root=$BENCH_TMP/www
bins=()
has_part memory && bins+=(preforkbench)
has preforkd && bins+=(preforkd preforkctl)
((${#bins[@]})) && ops_copy_bins "${bins[@]}"
raw=$BENCH_TMP/raw
mkdir -p "$raw"
declare -A version
for s in "${server_list[@]}"; do version[$s]=$(ops_version "$s"); done
t_begin=$(date +%s)
: >"$BENCH_TMP/report.md"

GOAL_PRIVATE_KIB=256
GOAL_REPLACE_MS=50

# ------------------------------------------------------------------ memory

# smaps PID: "Pss Private_Dirty Private_Clean" in KiB (smaps_rollup).
smaps() {
    awk '$1 == "Pss:" { p = $2 } $1 == "Private_Dirty:" { d = $2 }
        $1 == "Private_Clean:" { c = $2 } END { print p + 0, d + 0, c + 0 }' \
        "/proc/$1/smaps_rollup" 2>/dev/null || echo "- - -"
}

# mem_row SERVER WHAT STATE PIDS...: one table row: the count, and per
# column the median and the largest over PIDS.
mem_row() {
    local s=$1 what=$2 state=$3 p
    shift 3
    local pss=() dirty=() clean=() priv=()
    for p in "$@"; do
        read -r a b c < <(smaps "$p")
        [[ $a == - ]] && continue
        pss+=("$a") dirty+=("$b") clean+=("$c") priv+=($((b + c)))
    done
    ((${#pss[@]})) || return 0
    mm() { # median / max
        local med max
        med=$(ops_median "$@")
        max=$(printf '%s\n' "$@" | sort -n | tail -n1)
        if (($# == 1)); then echo "$med"; else echo "$med / $max"; fi
    }
    local maxpriv
    maxpriv=$(printf '%s\n' "${priv[@]}" | sort -n | tail -n1)
    local goal=""
    if [[ $s == preforkd && $what == worker ]]; then
        if ((maxpriv <= GOAL_PRIVATE_KIB)); then goal="pass (≤ $GOAL_PRIVATE_KIB)"; else goal="**fail** (> $GOAL_PRIVATE_KIB)"; fi
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$what" "$state" "${#pss[@]}" \
        "$(mm "${pss[@]}")" "$(mm "${dirty[@]}")" "$(mm "${clean[@]}")" "$(mm "${priv[@]}")" "$goal"
}

part_memory() {
    local s w rows=$BENCH_TMP/mem-rows.md st=2
    ((quick)) && st=1
    : >"$rows"
    for s in "${server_list[@]}"; do
        bench_log "== memory: $s"
        w=4
        [[ $s == nginx ]] && w=2
        ops_start_server "$s" "$root" "$w"
        sleep 1
        local workers
        mapfile -t workers < <(ops_workers "$SRV_PID")
        mem_row "$s" master idle "$SRV_PID" >>"$rows"
        mem_row "$s" worker idle "${workers[@]}" >>"$rows"
        # Warm-up: 1 KiB keep-alive, 1 MiB keep-alive, 1 KiB close.
        local j=$raw/mem-$s
        ops_bench_bg "$j-1k.json" -c 4 -d "$st" -u /1k.bin -q
        ops_bench_wait "$j-1k.json"
        ops_bench_bg "$j-1m.json" -c 4 -d "$st" -u /1m.bin -q
        ops_bench_wait "$j-1m.json"
        ops_bench_bg "$j-close.json" -c 4 -d "$st" -u /1k.bin --close -q
        ops_bench_wait "$j-close.json"
        local n=0 f
        for f in "$j-1k.json" "$j-1m.json" "$j-close.json"; do
            n=$((n + $(ops_jget "$f" ok | sed 's/^-$/0/')))
        done
        sleep 0.5
        mapfile -t workers < <(ops_workers "$SRV_PID")
        mem_row "$s" master "after $n requests" "$SRV_PID" >>"$rows"
        mem_row "$s" worker "after $n requests" "${workers[@]}" >>"$rows"
        bench_stop "$SRV_PID"
    done
    {
        echo "**Memory per process** (KiB, from \`/proc/PID/smaps_rollup\`; for several workers: median / largest). Workers: preforkd 4, Apache 4, nginx 2; idle = 1 s after start; then after a warm-up of ${st} s each of 1 KiB keep-alive, 1 MiB keep-alive and 1 KiB close (preforkbench, 4 connections). private = Private_Dirty + Private_Clean: the memory that goes away with the process. Goal for a preforkd worker: private ≤ $GOAL_PRIVATE_KIB KiB (the largest worker after the load is judged)."
        echo
        echo "| server | process | state | count | Pss | Private_Dirty | Private_Clean | private | goal |"
        echo "|---|---|---|---:|---:|---:|---:|---:|---|"
        cat "$rows"
        echo
    } >>"$BENCH_TMP/report.md"
}

# ----------------------------------------------------------------- replace

part_replace() {
    local s rows=$BENCH_TMP/rep-rows.md j
    : >"$rows"
    for s in "${server_list[@]}"; do
        bench_log "== replace: $s ($runs kills, about $((runs * 13 / 10)) s)"
        ops_start_server "$s" "$root" 1
        sleep 1
        j=$raw/replace-$s.json
        python3 "$OPS_CLIENT" replace 127.0.0.1 "$SRV_PORT" --master "$SRV_PID" \
            --runs "$runs" --settle 1.2 >"$j" &
        local pid=$!
        OPS_BG_PIDS+=("$pid")
        wait "$pid" || bench_die "$s: the replace client failed"
        ops_forget_bg "$pid"
        python3 - "$j" "$s" "$GOAL_REPLACE_MS" >>"$rows" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, goal = sys.argv[2], float(sys.argv[3])
f = lambda v: "—" if v is None else "%.2f" % v
n = len(d["samples_ms"])
g = ""
if s == "preforkd" and n:
    g = "median %s, max %s" % ("pass" if d["median_ms"] <= goal else "**fail**",
                               "pass" if d["max_ms"] <= goal else "**fail**")
err = "; ".join(sorted(set(d["errors"])))
print("| %s | %d of %d | %s | %s | %s | %s | %s | %s | %s |" % (
    s, n, d["runs"], f(d.get("median_ms")), f(d.get("p90_ms")), f(d.get("max_ms")),
    f(d.get("min_ms")), f(d.get("baseline_median_ms")), g, err or ""))
PY
        tail -n1 "$rows" >&2
        bench_stop "$SRV_PID"
    done
    {
        echo "**Time to replace a killed worker** (ms): one worker (preforkd \`workers.start = max = 1\`; Apache StartServers = MinSpareServers = MaxSpareServers = MaxRequestWorkers = 1; nginx \`worker_processes 1\`). Each run: SIGKILL to the worker, then at once a request (new connection, \`Connection: close\`), which waits in the listen queue; the time is from the kill to the whole reply, on CLOCK_MONOTONIC. $runs runs, 1.2 s apart (preforkd waits a second before replacing a worker that dies within a second of its start: the runs stay clear of that). baseline: the same request with the worker alive. Goal for preforkd: ≤ $GOAL_REPLACE_MS ms."
        echo
        echo "| server | runs timed | median | p90 | max | min | baseline (no kill), median | goal | errors |"
        echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
        cat "$rows"
        echo
    } >>"$BENCH_TMP/report.md"
}

# ----------------------------------------------------------------- startup

# fmt1 VALUES...: their median with one decimal, "—" when none.
fmt1() {
    (($#)) || { echo "—"; return; }
    printf '%.1f' "$(ops_median "$@")"
}

part_startup() {
    local sizes=(1 64 512) reps=3 s n r j rows=$BENCH_TMP/start-rows.md
    ((quick)) && sizes=(1 64) reps=1
    : >"$rows"
    for s in "${server_list[@]}"; do
        for n in "${sizes[@]}"; do
            local own=() proc=() errs="" port="" argv=()
            ops_newdir "$s-start$n"
            case $s in
            preforkd)
                ops_conf_preforkd "$OPS_DIR" "$root" "$n" "$n"
                argv=(--kind preforkd --token-file "$OPS_DIR/preforkd.token" -- "$OPS_PREFORKD" -c "$OPS_DIR/preforkd.conf")
                ;;
            apache)
                port=$(bench_free_port)
                ops_conf_apache "$OPS_DIR" "$port" "$root" "$n" 1
                argv=(--kind apache --port "$port" -- apache2 -f "$OPS_DIR/httpd.conf" -DFOREGROUND)
                ;;
            nginx)
                port=$(bench_free_port)
                ops_conf_nginx "$OPS_DIR" "$port" "$root" "$n"
                argv=(--kind nginx -- nginx -p "$OPS_DIR" -e "$OPS_DIR/logs/error.log" -c "$OPS_DIR/nginx.conf" -g 'daemon off;')
                ;;
            esac
            for ((r = 1; r <= reps; r++)); do
                j=$raw/startup-$s-$n-$r.json
                [[ " ${OPS_PIDFILES[*]-} " == *" $OPS_DIR/spawned.pid "* ]] ||
                    OPS_PIDFILES+=("$OPS_DIR/spawned.pid")
                local pid rc=0
                python3 "$OPS_CLIENT" startup --workers "$n" --log "$OPS_DIR/run$r.log" \
                    --pidfile "$OPS_DIR/spawned.pid" --timeout 60 "${argv[@]}" >"$j" &
                pid=$!
                OPS_BG_PIDS+=("$pid")
                wait "$pid" || rc=$?
                ops_forget_bg "$pid"
                ((rc == 0)) || bench_die "$s: the startup client failed (status $rc)"
                local o p e
                read -r o p e < <(ops_jget "$j" ready_own_ms ready_proc_ms error)
                [[ $o != - ]] && own+=("$o")
                [[ $p != - ]] && proc+=("$p")
                [[ $e != - ]] && errs+="${errs:+; }${e//_/ }"
                bench_log "$(printf '  startup %-8s %3d workers run %d: own %s ms, /proc %s ms %s' "$s" "$n" "$r" "$o" "$p" "${e/#-/}")"
                sleep 0.5
            done
            printf '| %s | %d | %s | %s | %d | %s |\n' "$s" "$n" \
                "$(fmt1 "${own[@]+"${own[@]}"}")" "$(fmt1 "${proc[@]+"${proc[@]}"}")" \
                "$reps" "$errs" >>"$rows"
        done
    done
    {
        echo "**Start-up time** (ms, median of $reps run(s)): from just before exec to every worker ready, told two ways, each polled every ms by its own thread. *own count*: preforkd's control channel (the \`status\` command that \`preforkctl status --json\` sends, on one authenticated connection: workers.idle = N), Apache's mod_status (\`/server-status?auto\`: IdleWorkers + BusyWorkers = N, the poll itself being one busy worker); nginx has none. */proc*: the master has exactly N children and every one sleeps in a call that waits for a connection (\`/proc/PID/syscall\`: epoll_wait, epoll_pwait, accept4, futex...); a poll reads N files, so with 512 workers its resolution is a few ms."
        echo
        echo "| server | workers | ready, own count | ready, /proc | runs | errors |"
        echo "|---|---:|---:|---:|---:|---|"
        cat "$rows"
        echo
    } >>"$BENCH_TMP/report.md"
}

# ---------------------------------------------------------------- syscalls

part_syscalls() {
    local n=1000 out=$BENCH_TMP/syscalls.out args=()
    ((quick)) && n=200
    bench_log "== syscalls: tests/load/syscalls.sh ($n requests per measurement)"
    args=(--servers "$servers" --no-doc --requests "$n")
    ((install)) || args+=(--no-install)
    has preforkd && args+=(--preforkd "$OPS_PREFORKD")
    "$here/syscalls.sh" "${args[@]}" >"$out" 2>"$out.err" || {
        cat "$out.err" >&2
        bench_die "tests/load/syscalls.sh failed"
    }
    {
        echo "**System calls per request** (from \`tests/load/syscalls.sh --no-doc --requests $n\`, run by this script; the full breakdown by call is in the Syscalls section). Totals per request, worker processes only:"
        echo
        echo "| server | 1 KiB keep-alive | 1 KiB close | 1 MiB keep-alive | 1 MiB close |"
        echo "|---|---:|---:|---:|---:|"
        awk '/^\*\*[a-z]+\*\* / { s = $1; gsub(/\*/, "", s) }
            /^\| \*\*total\*\*/ { line = $0; gsub(/\*\*/, "", line); sub(/^\| total/, "| " s, line); print line }' "$out"
        echo
    } >>"$BENCH_TMP/report.md"
}

for p in "${part_list[@]}"; do "part_$p"; done
t_end=$(date +%s)

{
    cmd="tests/load/costs.sh"
    ((${#orig_args[@]})) && cmd+=" ${orig_args[*]}"
    v=""
    for s in "${server_list[@]}"; do v+="${v:+; }${version[$s]}"; done
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmd\` ($((t_end - t_begin)) s)."
    echo
    echo "- machine: $(nproc) CPUs, $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
    echo "- versions: $v; tree at commit $commit"
    echo
    cat "$BENCH_TMP/report.md"
} >"$BENCH_TMP/final.md"
# No trailing blank line inside the block.
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$BENCH_TMP/final.md"

echo
cat "$BENCH_TMP/final.md"
if ((write_doc)); then
    bench_write_doc costs "$BENCH_TMP/final.md"
fi
