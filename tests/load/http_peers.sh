#!/usr/bin/env bash
# http_peers.sh: preforkd, nginx and Apache httpd (prefork MPM) side by side,
# serving the same two static files on 127.0.0.1, measured with wrk.
#
# Usage: tests/load/http_peers.sh [options]
#   --servers LIST   comma-separated, in the order run (default
#                    nginx,apache,preforkd)
#   --quick          2 s per run and no warm-up (smoke test); does not write
#                    docs/benchmarks.md unless --write-doc is given
#   --duration SEC   seconds per wrk run (default 10, or $BENCH_DURATION)
#   --repeat N       rounds (default 1, or $BENCH_REPEAT): each round runs
#                    every server in turn; the table gives the median
#                    requests/s and p99 over the rounds, min-max when N > 1,
#                    and the errors summed
#   --pin MODE       split (default): server on CPU 1, wrk on CPU 0 with one
#                    thread; none: no pinning, wrk with 2 threads
#   --preforkd PATH  the binary (default build/server/preforkd, or $PREFORKD)
#   --workers N      preforkd workers and Apache prefork processes (default 64)
#   --write-doc      write the results into docs/benchmarks.md (default
#                    unless --quick)
#   --no-doc         do not touch docs/benchmarks.md
#   --no-install     fail instead of running apt-get for what is missing
#   --keep           keep the temp dir (configs, logs, raw wrk output)
#   -h, --help       this text
#
# For every server in turn (one running at a time): start it with a config
# generated in a temp dir, check that it serves both files byte for byte,
# warm up, then run wrk --latency for 1k.bin and 1m.bin, each with
# keep-alive and 8 connections, keep-alive and 64 connections, and
# "Connection: close" and 16 connections; stop it. Prints a markdown table
# (requests/s, p99, the server's CPU time as % of a CPU and µs/request,
# non-2xx and socket errors per run, preforkd/nginx and preforkd/Apache
# ratios) and writes it between marker comments in docs/benchmarks.md.
# Exits non-zero if a server fails to start or dies during its runs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/load/lib.sh
. "$here/lib.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

servers=nginx,apache,preforkd
duration=${BENCH_DURATION:-10}
repeat=${BENCH_REPEAT:-1}
quick=0
pin=${BENCH_PIN:-split}
preforkd=${PREFORKD:-$BENCH_REPO/build/server/preforkd}
workers=64
write_doc=""
install=1
BENCH_KEEP=0
orig_args=("$@")

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --quick) quick=1 ;;
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --duration=*) duration=${1#*=} ;;
    --repeat) repeat=${2:?--repeat needs a number}; shift ;;
    --repeat=*) repeat=${1#*=} ;;
    --pin) pin=${2:?--pin needs split or none}; shift ;;
    --pin=*) pin=${1#*=} ;;
    --preforkd) preforkd=${2:?--preforkd needs a path}; shift ;;
    --preforkd=*) preforkd=${1#*=} ;;
    --workers) workers=${2:?--workers needs a number}; shift ;;
    --workers=*) workers=${1#*=} ;;
    --write-doc) write_doc=1 ;;
    --no-doc) write_doc=0 ;;
    --no-install) install=0 ;;
    --keep) BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; bench_die "unknown argument: $1" ;;
    esac
    shift
done
((quick)) && duration=2
[[ $duration =~ ^[1-9][0-9]*$ ]] || bench_die "--duration: a whole number of seconds, not '$duration'"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || bench_die "--repeat: a positive number, not '$repeat'"
[[ $workers =~ ^[1-9][0-9]*$ ]] || bench_die "--workers: a positive number, not '$workers'"
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))
case $pin in
split) srv_cpus=1 wrk_cpus=0 wrk_threads=1 ;;
none) srv_cpus="" wrk_cpus="" wrk_threads=2 ;;
*) bench_die "--pin: split or none, not '$pin'" ;;
esac
if [[ $pin == split ]] && (($(nproc) < 2)); then
    bench_die "--pin split needs 2 CPUs (this machine has $(nproc)); use --pin none"
fi

IFS=, read -r -a server_list <<<"$servers"
((${#server_list[@]})) || bench_die "--servers: empty list"
for s in "${server_list[@]}"; do
    case $s in
    nginx | apache | preforkd) ;;
    *) bench_die "--servers: unknown server '$s' (nginx, apache, preforkd)" ;;
    esac
done

# What is missing, by command: nginx, Apache (apache2 ships the prefork
# MPM module), wrk, and the tools this script itself uses.
need=(wrk:wrk curl:curl taskset:util-linux setsid:util-linux)
for s in "${server_list[@]}"; do
    case $s in
    nginx) need+=(nginx:nginx) ;;
    apache) need+=(apache2:apache2 /usr/lib/apache2/modules/mod_mpm_prefork.so:apache2) ;;
    esac
done
if ((install)); then
    bench_ensure_tools "${need[@]}"
else
    for spec in "${need[@]}"; do
        c=${spec%%:*}
        if [[ $c == /* ]]; then [[ -e $c ]]; else command -v "$c" >/dev/null; fi ||
            bench_die "missing $c (package ${spec#*:}); run without --no-install"
    done
fi

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The commit of the tree the run starts from, and the binary's checksum.
commit=$(bench_commit)
bench_start bench
root=$BENCH_TMP/www
# A copy of the binary taken now: every round runs the same build even if
# the tree is rebuilt meanwhile.
preforkd_copy=$BENCH_TMP/preforkd.bin
if [[ ,$servers, == *,preforkd,* ]]; then
    [[ -x $preforkd ]] || bench_die "preforkd: $preforkd is not an executable (build it first)"
    cp "$preforkd" "$preforkd_copy"
    preforkd_built=$(date -u -r "$preforkd" '+%Y-%m-%d %H:%M:%S UTC')
fi
mkdir -p "$BENCH_TMP/wrk"

# The runs: file, mode, connections.
runs=(
    "1k.bin keep-alive 8" "1k.bin keep-alive 64" "1k.bin close 16"
    "1m.bin keep-alive 8" "1m.bin keep-alive 64" "1m.bin close 16"
)
# Per "server|file mode conns": space-separated values, one per round.
declare -A rps p99 non2xx sockerr cpu_pct cpu_us

wrk_pin=()
[[ -n $wrk_cpus ]] && wrk_pin=(taskset -c "$wrk_cpus")

# run_wrk NAME PORT FILE MODE CONNS SECONDS OUT: one bounded wrk run.
run_wrk() {
    local name=$1 port=$2 file=$3 mode=$4 conns=$5 secs=$6 out=$7 hdr=()
    [[ $mode == close ]] && hdr=(-H "Connection: close")
    local threads=$wrk_threads
    ((threads > conns)) && threads=$conns
    # wrk stops by itself after SECONDS; timeout only guards against a hang.
    # In the background, so that a signal to this script is handled at once
    # (bash runs traps only between foreground commands).
    timeout -k 5 $((secs + 30)) "${wrk_pin[@]}" wrk --latency -t "$threads" \
        -c "$conns" -d "${secs}s" --timeout 5s "${hdr[@]}" \
        "http://127.0.0.1:$port/$file" >"$out" 2>&1 &
    BENCH_CLIENT_PID=$!
    local rc=0
    wait "$BENCH_CLIENT_PID" || rc=$?
    BENCH_CLIENT_PID=""
    if ((rc != 0)); then
        cat "$out" >&2
        bench_die "$name: wrk failed for $file $mode $conns connections"
    fi
}

# server_ticks SID: CPU time used so far by every process of the server
# (its session), in clock ticks: user + system, with the reaped children's.
server_ticks() {
    local files=() p
    for p in $(pgrep -s "$1"); do
        [[ -r /proc/$p/stat ]] && files+=("/proc/$p/stat")
    done
    ((${#files[@]})) || { echo 0; return; }
    # Fields after "pid (comm) ": $12 utime, $13 stime, $14 cutime, $15 cstime.
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }' \
        "${files[@]}" 2>/dev/null || echo 0
}
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# parse_wrk OUT KEY TICKS: add this round's figures from wrk's output to
# rps/p99/non2xx/sockerr/cpu_pct/cpu_us[KEY]; set last_* to them. p99 in
# milliseconds; socket errors summed over connect/read/write/timeout; the
# server's CPU (TICKS during the run) as % of one CPU and µs per request.
parse_wrk() {
    local out=$1 key=$2 ticks=$3 reqs secs
    last_rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    last_p99=$(awk '$1 == "99%" {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2f", v }' "$out")
    last_non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    last_sockerr=$(awk '/Socket errors:/ {
        gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
    [[ -n $last_rps && -n $last_p99 ]] || bench_die "cannot read wrk's output in $out"
    # "  369810 requests in 10.07s, 443.68MB read"
    read -r reqs secs < <(awk '$2 == "requests" && $3 == "in" {
        t = $4; sub(/,$/, "", t); u = t; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", t)
        if (u == "ms") t /= 1000; else if (u == "m") t *= 60
        print $1, t }' "$out")
    last_cpu_pct=$(awk -v k="$ticks" -v hz="$clk_tck" -v s="${secs:-0}" \
        'BEGIN { printf "%.0f", (s > 0 ? 100 * k / hz / s : 0) }')
    last_cpu_us=$(awk -v k="$ticks" -v hz="$clk_tck" -v n="${reqs:-0}" \
        'BEGIN { printf "%.1f", (n > 0 ? 1e6 * k / hz / n : 0) }')
    cpu_pct[$key]+=" $last_cpu_pct"
    cpu_us[$key]+=" $last_cpu_us"
    rps[$key]+=" $last_rps"
    p99[$key]+=" $last_p99"
    non2xx[$key]+=" ${last_non2xx:-0}"
    sockerr[$key]+=" ${last_sockerr:-0}"
}

# median VALUES..., sum VALUES..., spread VALUES... (min-max, integers)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { print s + 0 }'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
    printf "%.0f-%.0f", lo, hi }'; }

declare -A version
# busy_pct: percent of both CPUs busy over the next second (nothing of ours
# runs then: what other programs take).
busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%.0f", ((busy + idle > 0) ? 100 * busy / (busy + idle) : 0) }'
}
declare -A other_busy log_issues
# wrk -v prints its version and exits 1.
version[wrk]=$({ wrk -v 2>&1 || true; } | awk 'NR == 1 {print $1, $2}')

for ((round = 1; round <= repeat; round++)); do
for s in "${server_list[@]}"; do
    if ((repeat > 1)); then bench_log "== $s (round $round of $repeat)"; else bench_log "== $s"; fi
    b=$(busy_pct)
    other_busy[$s]+="${other_busy[$s]:+, }$b %"
    ((b > 20)) && bench_log "warning: the CPUs are $b % busy with other programs; the figures will suffer"
    case $s in
    nginx)
        bench_start_nginx "$root" "$srv_cpus"
        version[nginx]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
        ;;
    apache)
        bench_start_apache "$root" "$srv_cpus" "$workers"
        version[apache]=$(apache2 -v 2>&1 | sed -n 's/^Server version: //p')
        ;;
    preforkd)
        bench_start_preforkd "$preforkd_copy" "$root" "$srv_cpus" "$workers"
        version[preforkd]=$("$preforkd_copy" -v 2>&1 | head -n1)
        ;;
    esac
    bench_check_files "$s" "$SRV_PORT" "$root"
    # Warm-up: page cache, open-file caches, Apache's children.
    if ((!quick)); then
        run_wrk "$s" "$SRV_PORT" 1k.bin keep-alive 64 2 "$BENCH_TMP/wrk/$s-$round-warmup.txt"
        sleep 1
    fi
    for r in "${runs[@]}"; do
        read -r file mode conns <<<"$r"
        out=$BENCH_TMP/wrk/$s-$round-$file-$mode-$conns.txt
        c0=$(server_ticks "$SRV_PID")
        run_wrk "$s" "$SRV_PORT" "$file" "$mode" "$conns" "$duration" "$out"
        c1=$(server_ticks "$SRV_PID")
        parse_wrk "$out" "$s|$r" $((c1 - c0))
        bench_log "$(printf '%-9s %-7s %-10s %3s conns: %10s req/s  p99 %8s ms  server CPU %3s %% %6s us/req  non-2xx %s  socket errors %s' \
            "$s" "$file" "$mode" "$conns" "$last_rps" "$last_p99" "$last_cpu_pct" "$last_cpu_us" \
            "${last_non2xx:-0}" "${last_sockerr:-0}")"
        sleep 1 # let the previous run's connections close
    done
    # Still alive after the load? A crash shows up here, not as a number.
    if ! kill -0 "$SRV_PID" 2>/dev/null || [[ $(ps -o stat= -p "$SRV_PID" 2>/dev/null) == Z* ]]; then
        tail -n 20 "$SRV_LOG" >&2 || true
        bench_die "$s exited during the runs (log: $SRV_LOG)"
    fi
    # Warnings and errors in its log (a worker that died, a failed accept...).
    n=$(grep -cE '\[([a-z_]+:)?(warn|error|crit|alert|emerg)\]' "$SRV_LOG" || true)
    log_issues[$s]=$((${log_issues[$s]:-0} + n))
    if ((n > 0)); then
        bench_log "warning: $n warning/error lines in $s's log; the first ones:"
        grep -m5 -E '\[([a-z_]+:)?(warn|error|crit|alert|emerg)\]' "$SRV_LOG" >&2 || true
    fi
    bench_stop "$SRV_PID"
    sleep 1
done
done

# The figures reported: medians over the rounds (one round: the figure).
declare -A med_rps med_p99 rng_rps tot_non2xx tot_sockerr med_cpu_pct med_cpu_us
for s in "${server_list[@]}"; do
    for r in "${runs[@]}"; do
        k="$s|$r"
        # shellcheck disable=SC2086 # word splitting wanted: one value per round
        {
            med_rps[$k]=$(median ${rps[$k]})
            med_p99[$k]=$(median ${p99[$k]})
            rng_rps[$k]=$(spread ${rps[$k]})
            med_cpu_pct[$k]=$(median ${cpu_pct[$k]})
            med_cpu_us[$k]=$(median ${cpu_us[$k]})
            tot_non2xx[$k]=$(sum ${non2xx[$k]})
            tot_sockerr[$k]=$(sum ${sockerr[$k]})
        }
    done
done

has() { [[ ,$servers, == *,$1,* ]]; }
ratio() { # ratio A B: A/B with two decimals, "—" when either is missing
    if [[ -n ${1:-} && -n ${2:-} ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'
    else
        echo "—"
    fi
}
server_label() {
    case $1 in
    nginx) echo "nginx ${version[nginx]#nginx/}" ;;
    apache) echo "Apache prefork" ;;
    preforkd) echo "preforkd" ;;
    esac
}
file_label() { [[ $1 == 1k.bin ]] && echo "1 KiB" || echo "1 MiB"; }

table() {
    local what="requests/s" p="p99 (ms)"
    ((repeat > 1)) && what="requests/s, median (min-max)" p="p99 (ms), median"
    echo "| server | file | mode | connections | $what | $p | server CPU % | server CPU µs/request | non-2xx | socket errors | preforkd/nginx | preforkd/Apache |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local r s file mode conns rn ra k reqs
    for r in "${runs[@]}"; do
        read -r file mode conns <<<"$r"
        rn="—" ra="—"
        if has preforkd; then
            rn=$(ratio "${med_rps[preforkd|$r]:-}" "${med_rps[nginx|$r]:-}")
            ra=$(ratio "${med_rps[preforkd|$r]:-}" "${med_rps[apache|$r]:-}")
        fi
        for s in "${server_list[@]}"; do
            k="$s|$r"
            reqs=$(printf '%.0f' "${med_rps[$k]}")
            ((repeat > 1)) && reqs+=" (${rng_rps[$k]})"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
                "$s" "$(file_label "$file")" "$mode" "$conns" "$reqs" \
                "${med_p99[$k]}" "${med_cpu_pct[$k]}" "${med_cpu_us[$k]}" \
                "${tot_non2xx[$k]}" "${tot_sockerr[$k]}" \
                "$([[ $s == preforkd ]] && echo "$rn" || echo "")" \
                "$([[ $s == preforkd ]] && echo "$ra" || echo "")"
        done
    done
}

# targets: the issue's goals on the 1 KiB file, met or not, as measured.
targets() {
    has preforkd || return 0
    local r rn ra okn oka cn ca x
    echo "| 1 KiB run | requests/s preforkd/nginx (target ≥ 1.0) | requests/s preforkd/Apache (target ≥ 1.5) | server CPU per request, nginx/preforkd | server CPU per request, Apache/preforkd |"
    echo "|---|---:|---:|---:|---:|"
    for r in "1k.bin keep-alive 8" "1k.bin keep-alive 64" "1k.bin close 16"; do
        rn=$(ratio "${med_rps[preforkd|$r]:-}" "${med_rps[nginx|$r]:-}")
        ra=$(ratio "${med_rps[preforkd|$r]:-}" "${med_rps[apache|$r]:-}")
        # CPU the other server spends per request for each µs preforkd does:
        # > 1 means preforkd does the same work with less CPU.
        cn=$(ratio "${med_cpu_us[nginx|$r]:-}" "${med_cpu_us[preforkd|$r]:-}")
        ca=$(ratio "${med_cpu_us[apache|$r]:-}" "${med_cpu_us[preforkd|$r]:-}")
        okn="" oka=""
        if [[ $rn != "—" ]]; then
            okn=$(awk -v x="$rn" 'BEGIN { print ((x >= 1.0) ? " (met)" : " (not met)") }')
        fi
        if [[ $ra != "—" ]]; then
            oka=$(awk -v x="$ra" 'BEGIN { print ((x >= 1.5) ? " (met)" : " (not met)") }')
        fi
        read -r _ mode conns <<<"$r"
        x="| $mode, $conns connections | $rn$okn | $ra$oka | $cn | $ca |"
        echo "$x"
    done
}

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
cmd="tests/load/http_peers.sh"
((${#orig_args[@]})) && cmd+=" ${orig_args[*]}"
[[ -n ${BENCH_DURATION:-} ]] && ((!quick)) && cmd="BENCH_DURATION=$BENCH_DURATION $cmd"
[[ -n ${BENCH_PIN:-} ]] && cmd="BENCH_PIN=$BENCH_PIN $cmd"
[[ -n ${BENCH_REPEAT:-} ]] && cmd="BENCH_REPEAT=$BENCH_REPEAT $cmd"
case $pin in
split) pin_text="server pinned to CPU 1, wrk to CPU 0 with 1 thread (taskset)" ;;
none) pin_text="not pinned; wrk with 2 threads" ;;
esac

report() {
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmd\`."
    echo
    echo "- machine: $(nproc) CPUs (${cpu_model:-unknown CPU}), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
    local v=""
    has nginx && v+="${version[nginx]}, "
    has apache && v+="${version[apache]} (prefork MPM), "
    has preforkd && v+="${version[preforkd]} (${preforkd#"$BENCH_REPO"/} built $preforkd_built; tree at commit $commit when the run started), "
    echo "- versions: ${v}${version[wrk]}"
    local o="" x
    for x in "${server_list[@]}"; do o+="${o:+; }$x ${other_busy[$x]}"; done
    local l=""
    for x in "${server_list[@]}"; do l+="${l:+, }$x ${log_issues[$x]:-0}"; done
    echo "- warning or error lines in the servers' logs (all rounds): $l"
    echo "- CPU time taken by other programs in the second before each server started (per round): $o; load average (1, 5, 15 min) before the first run: $load_start, after the last: $load_end"
    echo "- ${duration} s per run, $repeat round(s) (servers in turn in each round; medians over the rounds), $pin_text; preforkd workers and Apache processes: $workers; nginx: 2 worker processes"
    echo
    table
    if has preforkd; then
        echo
        targets
    fi
}

echo
report | tee "$BENCH_TMP/report.md"

if ((write_doc)); then
    bench_write_doc http_peers "$BENCH_TMP/report.md"
fi
if ((BENCH_KEEP)); then
    bench_log "raw wrk output: $BENCH_TMP/wrk"
fi
