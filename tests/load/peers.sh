#!/usr/bin/env bash
# peers.sh: preforkd beside nginx (2 workers), Apache httpd (prefork MPM)
# and the classic fork-per-connection server (pf_fork_server), serving the
# same two files on 127.0.0.1, measured with wrk and with preforkbench; echo
# and msg for preforkd (echo also for pf_fork_server); and what each client
# drives against a server that costs nothing (pf_fixed_server).
#
# Usage: tests/load/peers.sh [options]
#   --servers LIST    comma-separated, in the order run (default
#                     preforkd,nginx,apache,fork,fixed)
#   --clients LIST    wrk,preforkbench (default both)
#   --conc LIST       concurrencies: connections open at once (default
#                     1,8,64,256, or $BENCH_CONC)
#   --files LIST      1k,1m (default both)
#   --modes LIST      keep-alive,close (default both)
#   --protocols LIST  http,echo,msg (default all three; echo and msg need
#                     preforkbench)
#   --duration SEC    seconds per cell (default 5, or $BENCH_DURATION)
#   --quick           1 s per cell and no warm-up (smoke test); does not
#                     write docs/benchmarks.md unless --write-doc is given
#   --repeat N        rounds (default 1, or $BENCH_REPEAT): each round runs
#                     every server in turn; the tables give medians over the
#                     rounds (requests/s with min-max when N > 1), failures
#                     summed
#   --pin MODE        split (default): servers on CPU 1, the client on CPU 0
#                     with one thread; none: no pinning, clients with 2
#                     threads
#   --server-cpu PCT  cap each server (all its processes) to PCT % of one
#                     CPU with a cgroup CPU limit, so that the server's own
#                     cost per request, not the client, sets the rate (for
#                     close mode, where one client CPU is the limit); the
#                     tables then go to the peers-capped block and
#                     docs/data/peers-capped.tsv. Needs root.
#   --workers N       the fewest preforkd workers and Apache processes
#                     (default 64); each instance gets max(N, concurrency)
#   --preforkd-workers N
#                     exactly N preforkd workers whatever the concurrency
#                     (its keeper holds the connections no worker serves);
#                     BENCH_PF_KEEPER="parking = false;" in the environment
#                     gives the classic model
#   --build DIR       the CMake build dir with the binaries (default build,
#                     or $BENCH_BUILD): server/preforkd,
#                     tools/preforkbench/preforkbench, tests/pf_fork_server,
#                     tests/pf_fixed_server
#   --preforkd PATH   preforkd binary (default DIR/server/preforkd, or
#                     $PREFORKD)
#   --tsv FILE        write the figures as TSV (default docs/data/peers.tsv
#                     when the doc is written; tests/load/plots.sh draws it)
#   --write-doc       write the tables into docs/benchmarks.md and the TSV
#                     (default unless --quick)
#   --no-doc          do not touch docs/ (no TSV unless --tsv)
#   --estimate        print the estimated run time (seconds) and exit
#   --no-install      fail instead of running apt-get for what is missing
#   --keep            keep the temp dir (configs, logs, raw client output)
#   -h, --help        this text
#
# A cell is one bounded client run: server, client, file, mode
# (keep-alive, or close: one connection per request), concurrency. For each
# server in turn (one running at a time): start it with a generated config,
# check both files byte for byte, warm up, run its cells, stop it. preforkd
# and Apache prefork hold one connection per process, so they run with
# max(64, C) processes: one instance for the concurrencies up to 64 and one
# more per larger concurrency. Prints markdown tables (requests/s, p50/p99
# latency, failed requests, the server's CPU, preforkd's ratios to nginx,
# Apache and the fork server, the share of the client's ceiling), writes
# them between marker comments in docs/benchmarks.md and the figures to the
# TSV. The estimated run time is printed first. Exits non-zero if a server
# fails to start or dies, or a client fails to run.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"

servers=preforkd,nginx,apache,fork,fixed
clients=wrk,preforkbench
conc=${BENCH_CONC:-1,8,64,256}
files=1k,1m
modes=keep-alive,close
protocols=http,echo,msg
duration=${BENCH_DURATION:-5}
repeat=${BENCH_REPEAT:-1}
quick=0
pin=${BENCH_PIN:-split}
min_workers=64
pf_workers=""
build=${BENCH_BUILD:-$BENCH_REPO/build}
preforkd=${PREFORKD:-}
tsv=""
write_doc=""
server_cpu=""
estimate_only=0
install=1
BENCH_KEEP=0

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --clients) clients=${2:?--clients needs a list}; shift ;;
    --clients=*) clients=${1#*=} ;;
    --conc) conc=${2:?--conc needs a list}; shift ;;
    --conc=*) conc=${1#*=} ;;
    --files) files=${2:?--files needs a list}; shift ;;
    --files=*) files=${1#*=} ;;
    --modes) modes=${2:?--modes needs a list}; shift ;;
    --modes=*) modes=${1#*=} ;;
    --protocols) protocols=${2:?--protocols needs a list}; shift ;;
    --protocols=*) protocols=${1#*=} ;;
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --duration=*) duration=${1#*=} ;;
    --repeat) repeat=${2:?--repeat needs a number}; shift ;;
    --repeat=*) repeat=${1#*=} ;;
    --pin) pin=${2:?--pin needs split or none}; shift ;;
    --pin=*) pin=${1#*=} ;;
    --server-cpu) server_cpu=${2:?--server-cpu needs a percentage}; shift ;;
    --server-cpu=*) server_cpu=${1#*=} ;;
    --workers) min_workers=${2:?--workers needs a number}; shift ;;
    --workers=*) min_workers=${1#*=} ;;
    --preforkd-workers) pf_workers=${2:?--preforkd-workers needs a number}; shift ;;
    --preforkd-workers=*) pf_workers=${1#*=} ;;
    --build) build=${2:?--build needs a dir}; shift ;;
    --build=*) build=${1#*=} ;;
    --preforkd) preforkd=${2:?--preforkd needs a path}; shift ;;
    --preforkd=*) preforkd=${1#*=} ;;
    --tsv) tsv=${2:?--tsv needs a file}; shift ;;
    --tsv=*) tsv=${1#*=} ;;
    --estimate) estimate_only=1 ;;
    *) bench_common_arg "$1" || bench_bad_arg "$1" ;;
    esac
    shift
done
((quick)) && duration=1
bench_check_count --duration "$duration" "a whole number of seconds"
bench_check_count --repeat "$repeat"
bench_check_count --workers "$min_workers"
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))
block=peers
if [[ -n $server_cpu ]]; then
    [[ $server_cpu =~ ^[1-9][0-9]?$ ]] || bench_die "--server-cpu: a percentage from 1 to 99, not '$server_cpu'"
    block=peers-capped
fi
((write_doc)) && [[ -z $tsv ]] && tsv=$BENCH_REPO/docs/data/$block.tsv
[[ -z $preforkd ]] && preforkd=$build/server/preforkd
preforkbench=$build/tools/preforkbench/preforkbench
fork_server=$build/tests/pf_fork_server
fixed_server=$build/tests/pf_fixed_server
case $pin in
split) srv_cpus=1 cli_cpus=0 cli_threads=1 ;;
none) srv_cpus="" cli_cpus="" cli_threads=2 ;;
*) bench_die "--pin: split or none, not '$pin'" ;;
esac
if [[ $pin == split ]] && (($(nproc) < 2)); then
    bench_die "--pin split needs 2 CPUs (this machine has $(nproc)); use --pin none"
fi

# check_list WHAT TEXT ALLOWED...: TEXT is a comma-separated list of items
# from ALLOWED (no ALLOWED: of positive numbers); else exit with the reason.
check_list() {
    local what=$1 text=$2 item items
    shift 2
    IFS=, read -r -a items <<<"$text"
    ((${#items[@]})) || bench_die "--$what: empty list"
    for item in "${items[@]}"; do
        if (($# == 0)); then
            bench_check_count "--$what" "$item"
        elif [[ " $* " != *" $item "* ]]; then
            bench_die "--$what: unknown '$item' (one of: $*)"
        fi
    done
}
check_list servers "$servers" preforkd nginx apache fork fixed
check_list clients "$clients" wrk preforkbench
check_list conc "$conc"
check_list files "$files" 1k 1m
check_list modes "$modes" keep-alive close
check_list protocols "$protocols" http echo msg
IFS=, read -r -a server_list <<<"$servers"
IFS=, read -r -a client_list <<<"$clients"
IFS=, read -r -a conc_list <<<"$conc"
IFS=, read -r -a file_list <<<"$files"
IFS=, read -r -a mode_list <<<"$modes"
IFS=, read -r -a proto_list <<<"$protocols"
in_list() { # in_list ITEM LIST...
    local x=$1
    shift
    [[ " $* " == *" $x "* ]]
}

# ---- the plan: server instances and their cells -------------------------
# An instance: "server protocol workers conc,conc..." (workers "-" when the
# server's process count does not depend on the concurrency).
plan=()
notes=()
n_cells=0
instance_cells() { # instance_cells SERVER PROTO NCONC: cells of an instance
    local s=$1 p=$2 nc=$3
    if [[ $p != http ]]; then
        echo "$nc"
    elif [[ $s == fixed ]]; then
        echo $((${#mode_list[@]} * nc * ${#client_list[@]}))
    else
        echo $((${#file_list[@]} * ${#mode_list[@]} * nc * ${#client_list[@]}))
    fi
}
for s in "${server_list[@]}"; do
    case $s in
    preforkd) sp=(http echo msg) ;;
    fork) sp=(http echo) ;;
    *) sp=(http) ;;
    esac
    for p in "${sp[@]}"; do
        in_list "$p" "${proto_list[@]}" || continue
        if [[ $p != http ]] && ! in_list preforkbench "${client_list[@]}"; then
            notes+=("$s $p skipped: it needs preforkbench in --clients")
            continue
        fi
        # Group the concurrencies by the process count they need.
        declare -A group=()
        order=()
        for c in "${conc_list[@]}"; do
            w=-
            if [[ $s == preforkd && -n $pf_workers ]]; then
                w=$pf_workers
            elif [[ $s == preforkd || $s == apache ]]; then
                w=$((c > min_workers ? c : min_workers))
            fi
            [[ -v group[$w] ]] || order+=("$w")
            group[$w]+="${group[$w]:+,}$c"
        done
        for w in "${order[@]}"; do
            plan+=("$s $p $w ${group[$w]}")
            IFS=, read -r -a cs <<<"${group[$w]}"
            n_cells=$((n_cells + $(instance_cells "$s" "$p" "${#cs[@]}")))
        done
        unset group
    done
done
((${#plan[@]})) || bench_die "nothing to run with these options"

# Estimate: each cell lasts the duration plus ~0.7 s (client start, pause);
# each instance ~3 s to start, check and stop, plus the 2 s warm-up; 1 s
# per server and round to measure what other programs take.
warmup=2
((quick)) && warmup=0
estimate=$(((n_cells * (duration * 10 + 7) / 10 + ${#plan[@]} * (3 + warmup) +
    ${#server_list[@]}) * repeat))
est_text="$n_cells cells of $duration s in ${#plan[@]} server instances, $repeat round(s): about $((estimate / 60)) min $((estimate % 60)) s"
if ((estimate_only)); then
    echo "$estimate"
    exit 0
fi
bench_log "peers.sh: $est_text"
for n in "${notes[@]+"${notes[@]}"}"; do bench_log "note: $n"; done

# ---- what is needed -----------------------------------------------------
need=(curl:curl taskset:util-linux setsid:util-linux pgrep:procps)
in_list wrk "${client_list[@]}" && need+=(wrk:wrk)
in_list preforkbench "${client_list[@]}" && need+=(jq:jq)
in_list nginx "${server_list[@]}" && need+=(nginx:nginx)
in_list apache "${server_list[@]}" &&
    need+=(apache2:apache2 /usr/lib/apache2/modules/mod_mpm_prefork.so:apache2)
bench_check_tools "$install" "${need[@]}"
need_bin() { # need_bin PATH: a binary of this project, built
    [[ -x $1 ]] || bench_die "$1 is not an executable: build the project first (cmake --build ${build#"$BENCH_REPO"/})"
}
in_list preforkd "${server_list[@]}" && need_bin "$preforkd"
in_list fork "${server_list[@]}" && need_bin "$fork_server"
in_list fixed "${server_list[@]}" && need_bin "$fixed_server"
in_list preforkbench "${client_list[@]}" && need_bin "$preforkbench"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(bench_commit)
bench_start peers
[[ -n $server_cpu ]] && bench_cpu_cap "$server_cpu"
root=$BENCH_TMP/www
# Copies of the binaries taken now: every round runs the same build even
# if the tree is rebuilt meanwhile.
mkdir -p "$BENCH_TMP/bin" "$BENCH_TMP/out"
declare -A bin built
for b in preforkd preforkbench fork_server fixed_server; do
    src=${!b}
    [[ -x $src ]] || continue
    cp "$src" "$BENCH_TMP/bin/$b"
    bin[$b]=$BENCH_TMP/bin/$b
    built[$b]=$(date -u -r "$src" '+%Y-%m-%d %H:%M:%S UTC')
done

# ---- one cell -----------------------------------------------------------
cli_pin=()
[[ -n $cli_cpus ]] && cli_pin=(taskset -c "$cli_cpus")

# run_client CLIENT PROTO PORT FILE MODE CONC SECONDS OUT: one bounded run
# of the client; its output (wrk's text, preforkbench's JSON) in OUT.
run_client() {
    local client=$1 proto=$2 port=$3 file=$4 mode=$5 c=$6 secs=$7 out=$8
    local threads=$cli_threads argv=()
    ((threads > c)) && threads=$c
    case $client in
    wrk)
        argv=(wrk --latency -t "$threads" -c "$c" -d "${secs}s" --timeout 5s)
        [[ $mode == close ]] && argv+=(-H "Connection: close")
        argv+=("http://127.0.0.1:$port/$file")
        ;;
    preforkbench)
        argv=("${bin[preforkbench]}" -p "$proto" -c "$c" -t "$threads" -d "$secs" -T 5
            --json "$out" --no-progress -q)
        [[ $proto == http ]] && argv+=(-u "/$file")
        [[ $proto != http ]] && argv+=(-s 64)
        [[ $mode == close ]] && argv+=(--close)
        argv+=("127.0.0.1:$port")
        ;;
    esac
    # The client stops by itself after SECONDS; timeout only guards against
    # a hang. In the background, so that a signal to this script is handled
    # at once (bash runs traps only between foreground commands).
    local log=$out
    [[ $client == preforkbench ]] && log=$out.log
    timeout -k 5 $((secs + 30)) "${cli_pin[@]}" "${argv[@]}" >"$log" 2>&1 &
    BENCH_CLIENT_PID=$!
    local rc=0
    wait "$BENCH_CLIENT_PID" || rc=$?
    BENCH_CLIENT_PID=""
    # preforkbench exits 1 when a request failed: counted, not an error.
    if ((rc != 0)) && ! [[ $client == preforkbench && $rc == 1 ]]; then
        cat "$log" >&2
        bench_die "$client failed (exit $rc): ${argv[*]}"
    fi
}

# An awk function: ms("62.00us") = 0.062, wrk's durations in milliseconds.
wrk_ms_awk='function ms(v,   u) { u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    if (u == "us") return v / 1000; if (u == "s") return v * 1000; if (u == "m") return v * 60000
    return v + 0 }'

# parse_client CLIENT OUT: set last_rps, last_p50, last_p99 (ms),
# last_failed, last_reqs (requests counted), last_secs (measured time).
parse_client() {
    local client=$1 out=$2
    case $client in
    wrk)
        read -r last_rps last_p50 last_p99 last_failed last_reqs last_secs < <(awk "$wrk_ms_awk"'
            /^Requests\/sec:/ { rps = $2 }
            $1 == "50%" { p50 = ms($2) }
            $1 == "99%" { p99 = ms($2) }
            /Non-2xx or 3xx responses:/ { bad += $NF }
            /Socket errors:/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
            $2 == "requests" && $3 == "in" { n = $1; t = $4; sub(/,$/, "", t)
                secs = ms(t) / 1000 }
            END { printf "%s %s %s %d %s %s\n", rps, p50, p99, bad, n, secs }' "$out")
        ;;
    preforkbench)
        read -r last_rps last_p50 last_p99 last_failed last_reqs last_secs < <(jq -r '
            def ms: ((. // 0) | round) / 1000;
            [.rps, (.latency_us.p50 | ms), (.latency_us.p99 | ms),
             .failed, .requests, .duration_s] | map(tostring) | join(" ")' "$out")
        ;;
    esac
    [[ -n ${last_rps:-} && -n ${last_p99:-} && -n ${last_secs:-} ]] ||
        bench_die "cannot read $client's output in $out"
}

# Per key "server|client|proto|file|mode|conc": space-separated values, one
# per round.
declare -A rps p50 p99 failed cpu_pct cpu_us

# run_cell SERVER CLIENT PROTO FILE MODE CONC ROUND
run_cell() {
    local s=$1 client=$2 proto=$3 file=$4 mode=$5 c=$6 round=$7
    local key="$s|$client|$proto|$file|$mode|$c" out t0 t1 used
    out=$BENCH_TMP/out/$s-$proto-$client-$file-$mode-$c-$round.txt
    t0=$(bench_server_cpu_us "$SRV_PID")
    run_client "$client" "$proto" "$SRV_PORT" "$file" "$mode" "$c" "$duration" "$out"
    t1=$(bench_server_cpu_us "$SRV_PID")
    used=$((t1 - t0))
    parse_client "$client" "$out"
    local pct us
    pct=$(awk -v u="$used" -v s="$last_secs" 'BEGIN { printf "%.0f", (s > 0 ? u / 1e4 / s : 0) }')
    us=$(awk -v u="$used" -v n="$last_reqs" 'BEGIN { printf "%.1f", (n > 0 ? u / n : 0) }')
    rps[$key]+=" $last_rps"
    p50[$key]+=" $last_p50"
    p99[$key]+=" $last_p99"
    failed[$key]+=" $last_failed"
    cpu_pct[$key]+=" $pct"
    cpu_us[$key]+=" $us"
    [[ -v seen_key[$key] ]] || keys+=("$key")
    seen_key[$key]=1
    local what=$file
    [[ $proto != http ]] && what="$proto 64 B"
    bench_log "$(printf '%-8s %-12s %-8s %-10s %4s conns: %9.0f req/s  p50 %8.3f ms  p99 %8.3f ms  failed %s  server CPU %3s %% %7s us/req' \
        "$s" "$client" "$what" "$mode" "$c" "$last_rps" "$last_p50" "$last_p99" \
        "$last_failed" "$pct" "$us")"
    sleep 0.5 # let the connections of the run close
}
declare -A seen_key
keys=()

# ---- the runs -----------------------------------------------------------
declare -A version other_busy log_issues log_seen
if in_list wrk "${client_list[@]}"; then
    version[wrk]=$({ wrk -v 2>&1 || true; } | awk 'NR == 1 {print $1, $2}')
fi
if [[ -v bin[preforkbench] ]]; then
    version[preforkbench]="$("${bin[preforkbench]}" -V 2>&1 | head -n1) (built ${built[preforkbench]})"
fi

# start_instance SERVER PROTO WORKERS: start the server (WORKERS processes
# for preforkd and Apache) and check that it serves both files.
start_instance() {
    local s=$1 p=$2 w=$3
    case $s in
    preforkd)
        bench_start_preforkd "${bin[preforkd]}" "$root" "$srv_cpus" "$w" "$p"
        version[preforkd]="$("${bin[preforkd]}" -v 2>&1 | head -n1) (built ${built[preforkd]})"
        ;;
    nginx)
        bench_start_nginx "$root" "$srv_cpus"
        version[nginx]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
        ;;
    apache)
        bench_start_apache "$root" "$srv_cpus" "$w"
        version[apache]=$(apache2 -v 2>&1 | sed -n 's/^Server version: //p')
        ;;
    fork) bench_start_fork "${bin[fork_server]}" "$root" "$srv_cpus" "$p" ;;
    fixed) bench_start_fixed "${bin[fixed_server]}" "$srv_cpus" ;;
    esac
    if [[ $p == http && $s != fixed ]]; then
        bench_check_files "$s" "$SRV_PORT" "$root"
    fi
}

# log_check SERVER: count the warning and error lines its log got since
# the last look (the suite's own servers print nothing but "listening on").
log_check() {
    local s=$1 total n new
    total=$(wc -l <"$SRV_LOG" 2>/dev/null || echo 0)
    new=$(tail -n +$((${log_seen[$SRV_LOG]:-0} + 1)) "$SRV_LOG" 2>/dev/null || true)
    log_seen[$SRV_LOG]=$total
    if [[ $s == fork || $s == fixed ]]; then
        n=$(grep -cv '^listening on' <<<"$new" || true)
        [[ -z $new ]] && n=0
    else
        n=$(grep -cE '\[([a-z_]+:)?(warn|error|crit|alert|emerg)\]' <<<"$new" || true)
    fi
    log_issues[$s]=$((${log_issues[$s]:-0} + n))
    if ((n > 0)); then
        bench_log "warning: $n warning/error lines in $s's log; the first ones:"
        grep -v '^listening on' <<<"$new" | grep -m5 -E 'warn|error|crit|alert|emerg|:' >&2 || true
    fi
}

start_s=$SECONDS
for ((round = 1; round <= repeat; round++)); do
    last_server=""
    for inst in "${plan[@]}"; do
        read -r s p w cs <<<"$inst"
        if [[ $s != "$last_server" ]]; then
            if ((repeat > 1)); then bench_log "== $s (round $round of $repeat)"; else bench_log "== $s"; fi
            b=$(bench_busy_pct)
            other_busy[$s]+="${other_busy[$s]:+, }$b %"
            ((b > 20)) && bench_log "warning: the CPUs are $b % busy with other programs; the figures will suffer"
            last_server=$s
        fi
        [[ $w != - ]] && bench_log "-- $s $p, $w processes"
        start_instance "$s" "$p" "$w"
        IFS=, read -r -a cs_list <<<"$cs"
        # Warm-up, not counted: page cache, caches, every process touched.
        if ((warmup)); then
            warm_c=${cs_list[-1]}
            warm_client=${client_list[0]}
            [[ $p != http ]] && warm_client=preforkbench
            run_client "$warm_client" "$p" "$SRV_PORT" 1k.bin keep-alive "$warm_c" "$warmup" \
                "$BENCH_TMP/out/$s-$p-$w-$round-warmup.txt"
            sleep 0.5
        fi
        for c in "${cs_list[@]}"; do
            if [[ $p != http ]]; then
                run_cell "$s" preforkbench "$p" - keep-alive "$c" "$round"
                continue
            fi
            for f in "${file_list[@]}"; do
                [[ $s == fixed && $f != "${file_list[0]}" ]] && continue
                file=$f.bin
                [[ $s == fixed ]] && file=1k.bin
                for m in "${mode_list[@]}"; do
                    for cl in "${client_list[@]}"; do
                        run_cell "$s" "$cl" http "$file" "$m" "$c" "$round"
                    done
                done
            done
        done
        # Still alive after the load? A crash shows up here, not as a number.
        bench_alive || bench_server_failed "$s" "exited during the runs"
        log_check "$s"
        bench_stop "$SRV_PID"
        sleep 0.5
    done
done
elapsed=$((SECONDS - start_s))
bench_log "peers.sh: the runs took $((elapsed / 60)) min $((elapsed % 60)) s (estimated $((estimate / 60)) min $((estimate % 60)) s)"

# ---- the figures --------------------------------------------------------
declare -A m_rps m_p50 m_p99 m_failed m_cpu_pct m_cpu_us r_rps
for k in "${keys[@]}"; do
    # shellcheck disable=SC2086 # word splitting wanted: one value per round
    {
        m_rps[$k]=$(bench_median ${rps[$k]})
        m_p50[$k]=$(bench_median ${p50[$k]})
        m_p99[$k]=$(bench_median ${p99[$k]})
        m_failed[$k]=$(bench_sum ${failed[$k]})
        m_cpu_pct[$k]=$(bench_median ${cpu_pct[$k]})
        m_cpu_us[$k]=$(bench_median ${cpu_us[$k]})
        r_rps[$k]=$(bench_spread ${rps[$k]})
    }
done

ratio() { # ratio A B: A/B with two decimals, "—" when either is missing
    if [[ -n ${1:-} && -n ${2:-} ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'
    else
        echo "—"
    fi
}
ms() { # ms VALUE: milliseconds with 3 significant digits or so
    awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v
        else if (v >= 1) printf "%.2f", v; else printf "%.3f", v }'
}
reqs() { # reqs KEY: median requests/s, with the range over the rounds
    local r
    r=$(printf '%.0f' "${m_rps[$1]}")
    ((repeat > 1)) && r+=" (${r_rps[$1]})"
    echo "$r"
}
file_label() {
    case $1 in
    1k.bin) echo "1 KiB" ;;
    1m.bin) echo "1 MiB" ;;
    *) echo "64 B messages" ;;
    esac
}
has() { in_list "$1" "${server_list[@]}"; }

http_table() {
    local f m c cl s k pk cell rn ra rf ceil fk
    echo "| server | client | file | mode | conc | requests/s | p50 (ms) | p99 (ms) | failed | server CPU % | server CPU µs/request | preforkd/nginx | preforkd/Apache | preforkd/fork | % of client ceiling |"
    echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for f in "${file_list[@]}"; do
        for m in "${mode_list[@]}"; do
            for c in "${conc_list[@]}"; do
                for cl in "${client_list[@]}"; do
                    cell="$cl|http|$f.bin|$m|$c"
                    pk="preforkd|$cell"
                    for s in "${server_list[@]}"; do
                        [[ $s == fixed ]] && continue
                        k="$s|$cell"
                        [[ -v m_rps[$k] ]] || continue
                        rn="" ra="" rf=""
                        if [[ $s == preforkd ]]; then
                            rn=$(ratio "${m_rps[$pk]}" "${m_rps[nginx|$cell]:-}")
                            ra=$(ratio "${m_rps[$pk]}" "${m_rps[apache|$cell]:-}")
                            rf=$(ratio "${m_rps[$pk]}" "${m_rps[fork|$cell]:-}")
                        fi
                        ceil="—" fk="fixed|$cl|http|1k.bin|$m|$c"
                        if [[ $f == 1k && -v m_rps[$fk] ]]; then
                            ceil=$(awk -v a="${m_rps[$k]}" -v b="${m_rps[$fk]}" \
                                'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "—" }')
                        fi
                        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
                            "$s" "$cl" "$(file_label "$f.bin")" "$m" "$c" "$(reqs "$k")" \
                            "$(ms "${m_p50[$k]}")" "$(ms "${m_p99[$k]}")" "${m_failed[$k]}" \
                            "${m_cpu_pct[$k]}" "${m_cpu_us[$k]}" "$rn" "$ra" "$rf" "$ceil"
                    done
                done
            done
        done
    done
}

framed_table() {
    local p c s k rf
    echo "| server | client | protocol | conc | requests/s | p50 (ms) | p99 (ms) | failed | server CPU % | server CPU µs/request | preforkd/fork |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for p in echo msg; do
        for c in "${conc_list[@]}"; do
            for s in preforkd fork; do
                k="$s|preforkbench|$p|-|keep-alive|$c"
                [[ -v m_rps[$k] ]] || continue
                rf=""
                [[ $s == preforkd ]] && rf=$(ratio "${m_rps[$k]}" "${m_rps[fork|preforkbench|$p|-|keep-alive|$c]:-}")
                printf '| %s | preforkbench | %s, 64 B | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
                    "$s" "$p" "$c" "$(reqs "$k")" "$(ms "${m_p50[$k]}")" "$(ms "${m_p99[$k]}")" \
                    "${m_failed[$k]}" "${m_cpu_pct[$k]}" "${m_cpu_us[$k]}" "$rf"
            done
        done
    done
}

# targets_table: the goals of the issue that asked for the HTTP
# comparison, on the 1 KiB file: preforkd/nginx >= 1.0 and preforkd/Apache
# >= 1.5 in requests/s, reported met or not as measured; and the CPU the
# other server spends per request for each µs preforkd does (> 1: preforkd
# does the same work with less CPU).
targets_table() {
    local m c cl k pk rn ra cn ca okn oka
    echo "| 1 KiB cell | requests/s preforkd/nginx (target ≥ 1.0) | requests/s preforkd/Apache (target ≥ 1.5) | server CPU per request, nginx/preforkd | server CPU per request, Apache/preforkd |"
    echo "|---|---:|---:|---:|---:|"
    for m in "${mode_list[@]}"; do
        for c in "${conc_list[@]}"; do
            for cl in "${client_list[@]}"; do
                k="$cl|http|1k.bin|$m|$c" pk="preforkd|$cl|http|1k.bin|$m|$c"
                [[ -v m_rps[$pk] ]] || continue
                rn=$(ratio "${m_rps[preforkd|$k]}" "${m_rps[nginx|$k]:-}")
                ra=$(ratio "${m_rps[preforkd|$k]}" "${m_rps[apache|$k]:-}")
                cn=$(ratio "${m_cpu_us[nginx|$k]:-}" "${m_cpu_us[preforkd|$k]}")
                ca=$(ratio "${m_cpu_us[apache|$k]:-}" "${m_cpu_us[preforkd|$k]}")
                okn="" oka=""
                [[ $rn != "—" ]] && okn=$(awk -v x="$rn" 'BEGIN { print ((x >= 1.0) ? " (met)" : " (not met)") }')
                [[ $ra != "—" ]] && oka=$(awk -v x="$ra" 'BEGIN { print ((x >= 1.5) ? " (met)" : " (not met)") }')
                echo "| $m, $c conns, $cl | $rn$okn | $ra$oka | $cn | $ca |"
            done
        done
    done
}

ceiling_table() {
    local m c cl k
    echo "| client | mode | conc | requests/s | p50 (ms) | p99 (ms) | failed | server CPU % |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for m in "${mode_list[@]}"; do
        for c in "${conc_list[@]}"; do
            for cl in "${client_list[@]}"; do
                k="fixed|$cl|http|1k.bin|$m|$c"
                [[ -v m_rps[$k] ]] || continue
                printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$cl" "$m" "$c" "$(reqs "$k")" \
                    "$(ms "${m_p50[$k]}")" "$(ms "${m_p99[$k]}")" "${m_failed[$k]}" "${m_cpu_pct[$k]}"
            done
        done
    done
}

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
cmd="tests/load/peers.sh"
# The command as run, paths inside the tree made relative to it.
((${#orig_args[@]})) && cmd+=" ${orig_args[*]//"$BENCH_REPO"\//}"
for v in BENCH_DURATION BENCH_CONC BENCH_PIN BENCH_REPEAT; do
    [[ -n ${!v:-} ]] && cmd="$v=${!v} $cmd"
done
case $pin in
split) pin_text="servers pinned to CPU 1, the client to CPU 0 with 1 thread (taskset)" ;;
none) pin_text="not pinned; clients with 2 threads" ;;
esac
[[ -n $server_cpu ]] &&
    pin_text+="; every server capped to $server_cpu % of one CPU (cgroup CPU limit, all its processes)"

report() {
    local v="" x o="" l=""
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmd\` (the runs took $((elapsed / 60)) min $((elapsed % 60)) s)."
    echo
    echo "- machine: $(nproc) CPUs (${cpu_model:-unknown CPU}), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
    for x in preforkd nginx apache; do
        [[ -n ${version[$x]:-} ]] && v+="${v:+, }${version[$x]}"
    done
    [[ -n ${version[apache]:-} ]] && v+=" (prefork MPM)"
    has fork && v+=", pf_fork_server (built ${built[fork_server]})"
    has fixed && v+=", pf_fixed_server (built ${built[fixed_server]})"
    for x in wrk preforkbench; do
        [[ -n ${version[$x]:-} ]] && v+=", ${version[$x]}"
    done
    echo "- versions: $v; tree at commit $commit when the run started"
    for x in "${server_list[@]}"; do o+="${o:+; }$x ${other_busy[$x]}"; done
    for x in "${server_list[@]}"; do l+="${l:+, }$x ${log_issues[$x]:-0}"; done
    echo "- warning or error lines in the servers' logs (all rounds): $l"
    echo "- CPU time taken by other programs in the second before each server started (per round): $o; load average (1, 5, 15 min) before the first run: $load_start, after the last: $load_end"
    if [[ -n $pf_workers ]]; then
        workers_text="preforkd workers: $pf_workers whatever the concurrency${BENCH_PF_KEEPER:+ (keeper: $BENCH_PF_KEEPER)}; Apache processes: max($min_workers, concurrency)"
    else
        workers_text="preforkd workers and Apache processes: max($min_workers, concurrency)${BENCH_PF_KEEPER:+ (preforkd keeper: $BENCH_PF_KEEPER)}"
    fi
    echo "- $duration s per cell, $repeat round(s) (servers in turn in each round; medians over the rounds, failures summed), $pin_text; $workers_text, one instance per count; nginx: 2 worker processes; pf_fork_server: one process per connection"
    for x in "${notes[@]+"${notes[@]}"}"; do echo "- $x"; done
    if has preforkd || has nginx || has apache || has fork; then
        if in_list http "${proto_list[@]}"; then
            echo
            echo "**HTTP, static files.**"
            echo
            http_table
        fi
    fi
    if (has preforkd || has fork) && { in_list echo "${proto_list[@]}" || in_list msg "${proto_list[@]}"; } &&
        in_list preforkbench "${client_list[@]}"; then
        echo
        echo "**echo and msg, keep-alive, 64-byte messages.**"
        echo
        framed_table
    fi
    if has preforkd && { has nginx || has apache; } && in_list 1k "${file_list[@]}" &&
        in_list http "${proto_list[@]}"; then
        echo
        echo "**Targets** (1 KiB; the issue's goals, as measured):"
        echo
        targets_table
    fi
    if has fixed; then
        echo
        echo "**The clients' ceiling: pf_fixed_server** (a fixed 13-byte response, almost no server work)."
        echo
        ceiling_table
    fi
}

write_tsv() {
    local k s cl p f m c
    {
        echo "# tests/load/peers.sh, measured $(date -u '+%Y-%m-%d %H:%M UTC'), medians over $repeat round(s) of $duration s per cell; p50_ms and p99_ms in milliseconds"
        printf '# server\tclient\tprotocol\tfile\tmode\tconc\trps\tp50_ms\tp99_ms\tfailed\tcpu_pct\tcpu_us_per_req\n'
        for k in "${keys[@]}"; do
            IFS='|' read -r s cl p f m c <<<"$k"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$cl" "$p" "$f" "$m" "$c" \
                "${m_rps[$k]}" "${m_p50[$k]}" "${m_p99[$k]}" "${m_failed[$k]}" \
                "${m_cpu_pct[$k]}" "${m_cpu_us[$k]}"
        done
    } >"$1"
}

echo
report | tee "$BENCH_TMP/report.md"

if [[ -n $tsv ]]; then
    mkdir -p "$(dirname "$tsv")"
    write_tsv "$tsv"
    bench_log "wrote the figures into ${tsv#"$BENCH_REPO"/}"
fi
if ((write_doc)); then
    bench_write_doc "$block" "$BENCH_TMP/report.md" peers.sh
fi
if ((BENCH_KEEP)); then
    bench_log "raw client output: $BENCH_TMP/out"
fi
