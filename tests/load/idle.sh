#!/usr/bin/env bash
# idle.sh: what idle keep-alive connections and slow request heads do to
# the next client, and what the keeper's parked connections cost (issue
# 14): preforkd with connection parking on (an idle connection waits in
# the keeper process, not in a worker) and off (the classic model: a
# worker holds its connection, idle or not), beside nginx and Apache
# httpd (prefork MPM).
#
# Usage: tests/load/idle.sh [options]
#   --servers LIST    comma-separated, in the order run (default
#                     preforkd-on,preforkd-off,nginx,apache): preforkd with
#                     parking on (keeper = { parking = true; }) and off
#                     (keeper = { parking = false; })
#   --parts LIST      comma-separated (default all, in this order): idle
#                     (A), slowloris (B), memory (C); letters work too
#   --idle LIST       idle keep-alive connections held in A (default
#                     0,10,100,1000,10000; --quick 0,10,100)
#   --slow N          slowloris clients in B (default 1000; --quick 100)
#   --parked N        connections parked in the keeper in C (default
#                     10000; --quick 1000)
#   --probes N        fresh requests timed per measurement (default 20)
#   --quick           the smaller counts above (a smoke test); does not
#                     write docs/ unless --write-doc is given
#   --build DIR       the CMake build dir with server/preforkd and
#                     tools/preforkctl/preforkctl (default build)
#   --preforkd PATH   the server (default DIR/server/preforkd, or $PREFORKD)
#   --preforkctl PATH (default DIR/tools/preforkctl/preforkctl, or
#                     $PREFORKCTL)
#   --tsv FILE        the latency figures as TSV (default docs/data/idle.tsv
#                     when the doc is written)
#   --plot FILE       the PNG plot of A (default docs/img/idle-latency.png
#                     when the doc is written)
#   --replot          measure nothing: draw the plot again from the TSV
#                     (default docs/data/idle.tsv, into
#                     docs/img/idle-latency.png)
#   --write-doc       write the idle block of docs/benchmarks.md, the TSV
#                     and the plot (default unless --quick)
#   --no-doc          do not touch docs/ (no TSV or plot unless --tsv or
#                     --plot names one)
#   --no-install      fail instead of running apt-get for what is missing
#   --keep            keep the temp dir (configs, logs, raw JSON)
#   -h, --help        this text
#
# Every measurement starts a fresh server on 127.0.0.1 (a port the kernel
# picked) with 4 workers (preforkd workers.start = max = 4, Apache prefork
# 4 processes; nginx its 2 worker processes, as everywhere in the suite,
# with worker_connections raised to hold every connection), header timeout
# 10 s everywhere (preforkd http.header_timeout, nginx
# client_header_timeout, Apache RequestReadTimeout header=10), and stops
# it after. The clients are tests/load/idle_clients.py.
#   A. idle: N connections each send one GET /1k.bin, read the response
#      and stay open and silent (keep-alive timeout 60 s on every server,
#      so that they are still open during the probes); meanwhile the probe
#      times fresh connections, one after another, each a GET /1k.bin,
#      from connect to the whole response; 10 s without it is a failure,
#      and after 3 such timeouts in a row the rest count as failed too.
#   B. slowloris: K connections each send a request head one byte a
#      second (keep-alive timeout 5 s); the same probe meanwhile; then
#      what the slow clients got (408, a close, a reset, nothing) and when.
#   C. memory: preforkd with parking on holding N idle connections: the
#      keeper's Pss (/proc/PID/smaps_rollup) and descriptors before and
#      after, KiB per parked connection. The keeper is the master's child
#      that `preforkctl workers` does not list (n/a when there is none).
# preforkd's parking-off variant is n/a, with the reason, when the binary
# refuses a keeper group (`preforkd -t`). The descriptor limit is raised
# to the hard limit (ulimit -n) for the servers and the clients. Prints
# markdown tables, targets met or not; writes them between marker comments
# in docs/benchmarks.md, the figures to the TSV and the plot. Exits
# non-zero if a server fails to start or dies, or a client cannot run.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
# shellcheck source=tests/load/lib_ops.sh
. "$here/lib_ops.sh"

servers=preforkd-on,preforkd-off,nginx,apache
parts=idle,slowloris,memory
quick=0
idle_counts=""
slow=""
parked=""
probes=20
build=""
tsv=""
plot=""
replot=0
write_doc=""
install=1
BENCH_KEEP=0
default_preforkd=$OPS_PREFORKD
default_preforkctl=$OPS_PREFORKCTL

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --parts) parts=${2:?--parts needs a list}; shift ;;
    --parts=*) parts=${1#*=} ;;
    --idle) idle_counts=${2:?--idle needs a list}; shift ;;
    --idle=*) idle_counts=${1#*=} ;;
    --slow) slow=${2:?--slow needs a number}; shift ;;
    --slow=*) slow=${1#*=} ;;
    --parked) parked=${2:?--parked needs a number}; shift ;;
    --parked=*) parked=${1#*=} ;;
    --probes) probes=${2:?--probes needs a number}; shift ;;
    --probes=*) probes=${1#*=} ;;
    --build) build=${2:?--build needs a dir}; shift ;;
    --build=*) build=${1#*=} ;;
    --tsv) tsv=${2:?--tsv needs a file}; shift ;;
    --tsv=*) tsv=${1#*=} ;;
    --plot) plot=${2:?--plot needs a file}; shift ;;
    --plot=*) plot=${1#*=} ;;
    --replot) replot=1 ;;
    *) ops_common_arg "$@"; shift $((OPS_SHIFT - 1)) ;;
    esac
    shift
done
# --build names the binaries that --preforkd / --preforkctl did not.
if [[ -n $build ]]; then
    [[ $OPS_PREFORKD == "$default_preforkd" ]] && OPS_PREFORKD=$build/server/preforkd
    [[ $OPS_PREFORKCTL == "$default_preforkctl" ]] && OPS_PREFORKCTL=$build/tools/preforkctl/preforkctl
fi
[[ -z $idle_counts ]] && idle_counts=$( ((quick)) && echo 0,10,100 || echo 0,10,100,1000,10000)
[[ -z $slow ]] && slow=$((quick ? 100 : 1000))
[[ -z $parked ]] && parked=$((quick ? 1000 : 10000))
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))
bench_check_count --slow "$slow"
bench_check_count --parked "$parked"
bench_check_count --probes "$probes"
IFS=, read -r -a idle_list <<<"$idle_counts"
((${#idle_list[@]})) || bench_die "--idle: empty list"
for n in "${idle_list[@]}"; do
    [[ $n =~ ^(0|[1-9][0-9]*)$ ]] || bench_die "--idle: whole numbers, not '$n'"
done
if ((write_doc)); then
    [[ -z $tsv ]] && tsv=$BENCH_REPO/docs/data/idle.tsv
    [[ -z $plot ]] && plot=$BENCH_REPO/docs/img/idle-latency.png
fi

IFS=, read -r -a server_list <<<"$servers"
((${#server_list[@]})) || bench_die "--servers: empty list"
for s in "${server_list[@]}"; do
    case $s in
    preforkd-on | preforkd-off | nginx | apache) ;;
    *) bench_die "--servers: unknown server '$s' (preforkd-on, preforkd-off, nginx, apache)" ;;
    esac
done
IFS=, read -r -a part_in <<<"$parts"
part_list=()
for p in "${part_in[@]}"; do
    case $p in
    a | idle) part_list+=(idle) ;;
    b | slowloris) part_list+=(slowloris) ;;
    c | memory) part_list+=(memory) ;;
    *) bench_die "--parts: unknown part '$p' (idle, slowloris, memory or a-c)" ;;
    esac
done
((${#part_list[@]})) || bench_die "--parts: empty list"
has_part() { [[ " ${part_list[*]} " == *" $1 "* ]]; }
has() { [[ ,$servers, == *,$1,* ]]; }

# The settings of every run.
WORKERS=4            # preforkd and Apache prefork (nginx: 2, as in lib.sh)
NGINX_WORKERS=2
HEADER_TIMEOUT=10    # every server's request-head timeout, seconds
IDLE_KEEPALIVE=60    # A and C: the idle clients must outlast the probes
SLOW_KEEPALIVE=5     # B: the suite's usual keep-alive timeout
PROBE_TIMEOUT=10     # seconds a probe may take before it counts as failed
GIVE_UP=3            # timeouts in a row after which the rest are not tried
TARGET_MS=10         # the issue's goal for a new request
TARGET_PSS_KIB=2     # the issue's goal for a parked connection
BENCH_HEADER_TIMEOUT=$HEADER_TIMEOUT
OPS_PF_HEADER_TIMEOUT=$HEADER_TIMEOUT
most=$parked
((slow > most)) && most=$slow
for n in "${idle_list[@]}"; do ((n > most)) && most=$n; done
BENCH_NGINX_CONNECTIONS=$((most + 1024))

# Descriptors: the clients hold `most` sockets in one process, and so may
# one nginx worker or preforkd's keeper. Raise the soft limit to the hard
# one for this script and everything it starts.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[[ $nofile == unlimited ]] || ((nofile >= most + 256)) ||
    bench_die "$most connections need about $((most + 256)) open files per process; the limit is $nofile (ulimit -Hn)"
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
((port_hi - port_lo >= most + probes + 256)) ||
    bench_die "$most connections need as many local ports; net.ipv4.ip_local_port_range gives $((port_hi - port_lo))"

# Each server's name in the tables and the plot.
declare -A label=([preforkd-on]="preforkd, parking on" [preforkd-off]="preforkd, parking off"
    [nginx]="nginx" [apache]="Apache prefork")

# draw_plot TSV PNG: A's p99 by idle clients (the counts the TSV has), one
# line per server, a failed p99 drawn on the timeout line; preforkd's
# label says so when the TSV's header records that it had no keeper.
draw_plot() {
    local t=$1 png=$2 v i n gp=$BENCH_TMP/idle-latency.gp plots=() xt="" np counts=()
    local -A color=([preforkd-on]="#1f4e9c" [preforkd-off]="#7aa6e0" [nginx]="#2a9d3a" [apache]="#c0392b")
    # Apache dashed with open points: where it and preforkd coincide
    # (both fail), both stay visible.
    local -A style=([preforkd-on]="dt 1 pt 7 ps 0.9" [preforkd-off]="dt 2 pt 7 ps 0.9"
        [nginx]="dt 1 pt 7 ps 0.9" [apache]="dt 2 pt 6 ps 1.6")
    local -A lab
    for v in "${!label[@]}"; do lab[$v]=${label[$v]}; done
    grep -q '^# preforkd-on: no keeper' "$t" && lab[preforkd-on]="preforkd (no keeper: classic model)"
    np=$(sed -n '1s/.* over \([0-9]*\) fresh requests.*/\1/p' "$t")
    mapfile -t counts < <(awk -F'\t' '!/^#/ && $1 == "idle" { print $3 }' "$t" | sort -n -u)
    ((${#counts[@]})) || { bench_log "no figures of A to plot in $t"; return 0; }
    for i in "${!counts[@]}"; do xt+="${xt:+, }\"${counts[$i]}\" $i"; done
    # preforkd last: drawn on top.
    for v in nginx apache preforkd-off preforkd-on; do
        # "index p99": the x position of the count, the timeout for "fail".
        awk -F'\t' -v v="$v" -v to=$((PROBE_TIMEOUT * 1000)) -v list="${counts[*]}" '
            BEGIN { n = split(list, c, " "); for (i = 1; i <= n; i++) pos[c[i]] = i - 1 }
            !/^#/ && $1 == "idle" && $2 == v && ($3 in pos) {
                print pos[$3], ($9 == "fail" ? to : $9), ($9 == "fail") }' "$t" >"$BENCH_TMP/plot-$v.dat"
        [[ -s $BENCH_TMP/plot-$v.dat ]] || continue
        plots+=("\"$BENCH_TMP/plot-$v.dat\" using 1:2 with linespoints lw 2 ${style[$v]} lc rgb \"${color[$v]}\" title \"${lab[$v]}\"")
    done
    {
        bench_gnuplot_head "A new request beside idle keep-alive clients: p99 of ${np:-$probes} probes (log scale)" "p99 latency (ms)"
        echo "set key inside right center vertical box opaque"
        echo "set output \"$png\""
        echo "set xlabel \"idle keep-alive clients\""
        echo "set xtics ($xt)"
        echo "set xrange [-0.3:$((${#counts[@]} - 1)).3]"
        echo "set logscale y 10"
        echo "set format y \"%g\""
        echo "set yrange [*:$((PROBE_TIMEOUT * 3000))]"
        echo "set arrow from graph 0, first $TARGET_MS to graph 1, first $TARGET_MS nohead dt 3 lc rgb \"#808080\""
        echo "set label \"target $TARGET_MS ms\" at graph 0.99, first $((TARGET_MS * 13 / 10)) right tc rgb \"#606060\""
        echo "set arrow from graph 0, first $((PROBE_TIMEOUT * 1000)) to graph 1, first $((PROBE_TIMEOUT * 1000)) nohead dt 3 lc rgb \"#c0392b\""
        echo "set label \"failed (> $PROBE_TIMEOUT s)\" at graph 0.01, first $((PROBE_TIMEOUT * 1300)) tc rgb \"#c0392b\""
        local IFS=,
        echo "plot ${plots[*]}"
    } >"$gp"
    mkdir -p "$(dirname "$png")"
    gnuplot "$gp" || bench_die "gnuplot failed on $gp"
    bench_log "drew ${png#"$BENCH_REPO"/}"
}

# --replot: the plot again from the TSV, nothing measured.
if ((replot)); then
    [[ -z $tsv ]] && tsv=$BENCH_REPO/docs/data/idle.tsv
    [[ -z $plot ]] && plot=$BENCH_REPO/docs/img/idle-latency.png
    [[ -r $tsv ]] || bench_die "no figures in $tsv: run tests/load/idle.sh first (or give --tsv)"
    bench_check_tools "$install" gnuplot:gnuplot-nox
    bench_start idle
    draw_plot "$tsv" "$plot"
    exit 0
fi

need=(python3:python3 curl:curl setsid:util-linux pgrep:procps timeout:coreutils)
has nginx && need+=(nginx:nginx)
has apache && need+=(apache2:apache2 /usr/lib/apache2/modules/mod_mpm_prefork.so:apache2)
[[ -n $plot ]] && need+=(gnuplot:gnuplot-nox)
bench_check_tools "$install" "${need[@]}"

commit=$(bench_commit)
ops_start idle
root=$BENCH_TMP/www
if has preforkd-on || has preforkd-off; then
    ops_copy_bins preforkd preforkctl
fi
raw=$BENCH_TMP/raw
mkdir -p "$raw"
IDLE_CLIENTS=$here/idle_clients.py

# ---------------------------------------------------------------- keeper

# Does this preforkd know the keeper group? (Until the keeper's settings
# land, the configuration refuses it as an unknown setting.)
keeper_known=0
keeper_refused=""
if has preforkd-on || has preforkd-off; then
    d=$BENCH_TMP/keeper-check
    mkdir -p "$d"
    cat >"$d/preforkd.conf" <<EOF
listen = "127.0.0.1:0";
http = { root = "$root"; };
daemon = { $(bench_pf_daemon_user) };
keeper = { parking = false; };
EOF
    if "$OPS_PREFORKD" -t -c "$d/preforkd.conf" >"$d/check.log" 2>&1; then
        keeper_known=1
    else
        keeper_refused=$(grep -m1 . "$d/check.log" || echo "preforkd -t failed")
        keeper_refused=${keeper_refused//"$d/"/}
        bench_log "note: this preforkd refuses a keeper group ($keeper_refused): parking off is n/a, parking on is the classic model"
    fi
fi

# Per variant: the lines that turn parking on or off.
declare -A pf_extra=([preforkd-on]="" [preforkd-off]="keeper = { parking = false; };")
if ((keeper_known)); then
    pf_extra[preforkd-on]="keeper = { parking = true; };"
else
    label[preforkd-on]="preforkd (no keeper: classic model)"
fi

# variant_na VARIANT: why the variant cannot run here ("" when it can).
variant_na() {
    if [[ $1 == preforkd-off ]] && ((!keeper_known)); then
        echo "this preforkd refuses the keeper group (\`$keeper_refused\`): there is no parking to turn off"
    fi
}

# ------------------------------------------------------------ the runs

# Results, by "part|variant|count": the client's JSON file.
declare -A R_json R_keeper R_keeper_why
R_keys=()

# server_up VARIANT KEEPALIVE: a fresh instance for one measurement; for
# preforkd, finds its keeper (OPS_KEEPER_PID, or OPS_KEEPER_WHY).
server_up() {
    local v=$1
    BENCH_KEEPALIVE=$2
    OPS_KEEPER_PID="" OPS_KEEPER_WHY=""
    case $v in
    preforkd-*)
        OPS_PF_EXTRA=${pf_extra[$v]}
        ops_start_server preforkd "$root" "$WORKERS"
        ops_pf_keeper_pid
        ;;
    nginx) ops_start_server nginx "$root" "$NGINX_WORKERS" ;;
    apache) ops_start_server apache "$root" "$WORKERS" ;;
    esac
}

# server_down WHAT: stop the instance; die if it died during WHAT.
server_down() {
    if ! ops_alive "$SRV_PID"; then
        tail -n 20 "$SRV_LOG" >&2 || true
        bench_die "the server exited during $1 (log: $SRV_LOG)"
    fi
    bench_stop "$SRV_PID"
}

# client BOUND OUT ARGS...: idle_clients.py ARGS, its JSON into OUT, at
# most BOUND seconds (a guard: the client bounds itself).
client() {
    local bound=$1 out=$2 pid rc=0
    shift 2
    timeout -k 5 "$bound" python3 "$IDLE_CLIENTS" "$@" >"$out" 2>"$out.err" &
    pid=$!
    OPS_BG_PIDS+=("$pid")
    wait "$pid" || rc=$?
    ops_forget_bg "$pid"
    if ((rc != 0)) || [[ ! -s $out ]]; then
        cat "$out.err" >&2 || true
        bench_die "idle_clients.py $1 failed (status $rc)"
    fi
}

# measure_idle VARIANT N PROBES MEMORY: N idle connections and the probe
# (A), and with MEMORY=1 the keeper's memory around them (C).
measure_idle() {
    local v=$1 n=$2 np=$3 mem=$4 key json args=()
    key="idle|$v|$n" json=$raw/idle-$v-$n.json
    ((np == 0)) && key="memory|$v|$n" json=$raw/memory-$v-$n.json
    server_up "$v" "$IDLE_KEEPALIVE"
    ((mem)) && [[ -n $OPS_KEEPER_PID ]] && args+=(--pss-pid "$OPS_KEEPER_PID")
    client $((60 + np * (PROBE_TIMEOUT + 1) + 60)) "$json" idle 127.0.0.1 "$SRV_PORT" \
        --conns "$n" --probes "$np" --timeout "$PROBE_TIMEOUT" --give-up "$GIVE_UP" "${args[@]}"
    server_down "$n idle connections"
    R_json[$key]=$json R_keeper[$key]=$OPS_KEEPER_PID R_keeper_why[$key]=$OPS_KEEPER_WHY
    R_keys+=("$key")
    ((mem)) && R_json[memory|$v|$n]=$json R_keeper[memory|$v|$n]=$OPS_KEEPER_PID \
        R_keeper_why[memory|$v|$n]=$OPS_KEEPER_WHY
    local f
    f=$(ops_jget "$json" at_probe.served at_probe.waiting probe.ok probe.failed probe.p50_ms probe.p99_ms)
    bench_log "$(printf '  %-13s %6s idle: served/waiting %s, probes ok/failed %s, p50/p99 %s ms' "$v" "$n" \
        "$(cut -d' ' -f1-2 <<<"$f" | tr ' ' /)" "$(cut -d' ' -f3-4 <<<"$f" | tr ' ' /)" \
        "$(cut -d' ' -f5-6 <<<"$f" | tr ' ' /)")"
}

# measure_slow VARIANT: K slowloris clients and the probe (B).
measure_slow() {
    local v=$1 dur=$((HEADER_TIMEOUT + 10))
    local key="slowloris|$v|$slow" json=$raw/slowloris-$v.json
    server_up "$v" "$SLOW_KEEPALIVE"
    client $((dur + probes * (PROBE_TIMEOUT + 1) + 60)) "$json" slowloris 127.0.0.1 "$SRV_PORT" \
        --conns "$slow" --duration "$dur" --probe-after 2 --probes "$probes" \
        --timeout "$PROBE_TIMEOUT" --give-up "$GIVE_UP"
    server_down "$slow slowloris connections"
    R_json[$key]=$json R_keeper[$key]=$OPS_KEEPER_PID R_keeper_why[$key]=$OPS_KEEPER_WHY
    R_keys+=("$key")
    bench_log "  $v: $(ops_jget "$json" outcomes still_open probe.ok probe.failed probe.p99_ms)"
}

declare -A version
for s in "${server_list[@]}"; do
    case $s in
    preforkd-*) version[$s]=$(ops_version preforkd) ;;
    *) version[$s]=$(ops_version "$s") ;;
    esac
done
mem_done=0
# How busy other programs keep the machine (the figures suffer with it).
other_busy=$(bench_busy_pct)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_begin=$(date +%s)
for part in "${part_list[@]}"; do
    bench_log "== $part"
    for v in "${server_list[@]}"; do
        why=$(variant_na "$v")
        if [[ -n $why ]]; then
            bench_log "  $v: n/a ($why)"
            continue
        fi
        case $part in
        idle)
            for n in "${idle_list[@]}"; do
                mem=0
                [[ $v == preforkd-on && $n == "$parked" ]] && has_part memory && mem=1
                measure_idle "$v" "$n" "$probes" "$mem"
                ((mem)) && mem_done=1
            done
            ;;
        slowloris) measure_slow "$v" ;;
        memory)
            [[ $v == preforkd-on ]] || continue
            ((mem_done)) && continue
            # Only when A did not hold that many already (--quick); not
            # worth a run when A's runs found no keeper.
            if has_part idle && [[ -n ${R_keeper_why[idle|$v|${idle_list[0]}]:-} ]]; then
                R_keeper_why[memory|$v|$parked]=${R_keeper_why[idle|$v|${idle_list[0]}]}
                continue
            fi
            measure_idle "$v" "$parked" 0 1
            ;;
        esac
    done
done
t_end=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------- report

# jf KEY FIELD...: fields of a result's JSON ("-" when missing).
jf() {
    local k=$1
    shift
    ops_jget "${R_json[$k]}" "$@"
}

# lat VALUE: a probe latency for the tables: ms with 3 significant digits,
# "> 10 s" for a failed rank, "—" when none.
lat() {
    case $1 in
    fail) echo "> $PROBE_TIMEOUT s" ;;
    - | null | None) echo "—" ;;
    *) awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f",
        v; else if (v >= 1) printf "%.2f", v; else printf "%.3f", v }' ;;
    esac
}

# failed_kinds KEY: "timeout 3, not tried 17" from the probe's kinds.
failed_kinds() {
    python3 - "${R_json[$1]}" <<'PY'
import json, sys
k = (json.load(open(sys.argv[1])).get("probe") or {}).get("kinds") or {}
print(", ".join("%s %d" % (n.replace("_", " "), v) for n, v in sorted(k.items())))
PY
}

# under_target KEY: the probe met the latency goal (none failed, p99 under
# TARGET_MS).
under_target() {
    local f p99
    read -r f p99 < <(jf "$1" probe.failed probe.p99_ms)
    [[ $f == 0 && $p99 != fail && $p99 != - ]] &&
        awk -v v="$p99" -v t="$TARGET_MS" 'BEGIN { exit !(v < t) }'
}

# na_row VARIANT COLUMNS: when VARIANT cannot run here, print its row of a
# table of COLUMNS cells ("n/a" and the reason in the last) and succeed.
na_row() {
    local why pad
    why=$(variant_na "$1")
    [[ -n $why ]] || return 1
    printf -v pad '%*s' $(($2 - 4)) ''
    echo "| ${label[$1]} | — | n/a |${pad// / |} $why |"
}

idle_table() {
    local v n k served waiting conn unopened cw ok failed p50 p99 max closed notes
    echo "| server | idle clients | served, held at the probe | not served: waiting / connecting / not opened | probes ok | failed | p50 (ms) | p99 (ms) | max (ms) | notes |"
    echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---|"
    for v in "${server_list[@]}"; do
        na_row "$v" 10 && continue
        for n in "${idle_list[@]}"; do
            k="idle|$v|$n"
            [[ -v R_json[$k] ]] || continue
            read -r served waiting conn unopened ok failed p50 p99 max closed < <(jf "$k" \
                at_probe.served at_probe.waiting at_probe.connecting not_opened probe.ok \
                probe.failed probe.p50_ms probe.p99_ms probe.max_ms at_end.closed_when_idle)
            cw="$(ds "$waiting") / $(ds "$conn") / $(ds "$unopened")"
            notes=""
            (($(ds "$failed") > 0)) && notes="probes failed: $(failed_kinds "$k")"
            [[ $closed != - ]] && notes+="${notes:+; }the server closed $closed idle connections during the probe"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${label[$v]}" "$n" \
                "$(ds "$served")" "$cw" "$ok" "$failed" "$(lat "$p50")" "$(lat "$p99")" "$(lat "$max")" "$notes"
        done
    done
}

ds() { [[ $1 == - ]] && echo 0 || echo "$1"; } # a missing count is 0

# ended KEY: "408 at 10.0–10.1 s (median 10.0); closed at ..." from the
# slowloris result.
ended() {
    python3 - "${R_json[$1]}" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])).get("ended_s") or {}
name = lambda k: {"closed": "closed", "reset": "reset", "other": "other bytes"}.get(k, k)
print("; ".join("%s at %.1f–%.1f s (median %.1f)" % (name(k), v["min"], v["max"], v["median"])
                for k, v in sorted(e.items())) or "—")
PY
}

# slow_counts KEY: "OK408 OTHER CLOSED RESET STILL CONNECTING" for the table.
slow_counts() {
    python3 - "${R_json[$1]}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d.get("outcomes") or {}
other = sum(v for k, v in o.items() if k not in ("408", "closed", "reset"))
print(o.get("408", 0), other, o.get("closed", 0), o.get("reset", 0), d.get("still_open", 0),
      d.get("still_connecting", 0))
PY
}

# slow_ok KEY: every slow client got 408, between the header timeout and
# 2 s after it (from its connect).
slow_ok() {
    local got lo hi
    read -r got lo hi < <(jf "$1" outcomes.408 ended_s.408.min ended_s.408.max)
    [[ $got == "$slow" ]] && awk -v lo="$lo" -v hi="$hi" -v t="$HEADER_TIMEOUT" \
        'BEGIN { exit !(lo >= t - 0.5 && hi <= t + 2) }'
}

slow_table() {
    local v k ok failed p50 p99 max c408 other closed reset still conn notes
    echo "| server | slow clients | probes ok | failed | p50 (ms) | p99 (ms) | max (ms) | got 408 | closed, no response | still open | ended (s after connect) | notes |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for v in "${server_list[@]}"; do
        na_row "$v" 12 && continue
        k="slowloris|$v|$slow"
        [[ -v R_json[$k] ]] || continue
        read -r ok failed p50 p99 max < <(jf "$k" probe.ok probe.failed probe.p50_ms probe.p99_ms probe.max_ms)
        read -r c408 other closed reset still conn < <(slow_counts "$k")
        notes=""
        ((other > 0)) && notes+="${notes:+; }$other got another status"
        ((reset > 0)) && notes+="${notes:+; }$reset reset"
        ((conn > 0)) && notes+="${notes:+; }$conn never connected"
        (($(ds "$failed") > 0)) && notes+="${notes:+; }probes failed: $(failed_kinds "$k")"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "${label[$v]}" "$slow" "$ok" "$failed" "$(lat "$p50")" "$(lat "$p99")" "$(lat "$max")" \
            "$c408" "$closed" "$still" "$(ended "$k")" "$notes"
    done
}

# pss_per KEY: KiB of Pss the keeper gained per descriptor it gained ("-"
# when it gained none).
pss_per() {
    local b a fb fa
    read -r b a fb fa < <(jf "$1" before.pss_kib after.pss_kib before.fds after.fds)
    [[ $b == - || $a == - || $fb == - || $fa == - ]] && { echo -; return; }
    awk -v b="$b" -v a="$a" -v fb="$fb" -v fa="$fa" \
        'BEGIN { if (fa > fb) printf "%.2f", (a - b) / (fa - fb); else print "-" }'
}

memory_table() {
    local k="memory|preforkd-on|$parked" served b a fb fa per goal
    echo "| server | idle clients | served, held | keeper pid | keeper descriptors before → after | keeper Pss before → after (KiB) | Pss per parked connection (KiB) | target (≤ $TARGET_PSS_KIB KiB) |"
    echo "|---|---:|---:|---:|---|---|---:|---|"
    if ! has preforkd-on; then
        return
    fi
    if [[ -z ${R_keeper[$k]:-} ]]; then
        echo "| ${label[preforkd-on]} | $parked | | n/a | | | | not measured: ${R_keeper_why[$k]:-no run} |"
        return
    fi
    read -r served b a fb fa < <(jf "$k" at_probe.served before.pss_kib after.pss_kib before.fds after.fds)
    per=$(pss_per "$k")
    goal="not measured"
    if [[ $per != - ]]; then
        if awk -v p="$per" -v t="$TARGET_PSS_KIB" 'BEGIN { exit !(p <= t) }'; then goal=met; else goal="not met"; fi
    fi
    echo "| ${label[preforkd-on]} | $parked | $(ds "$served") | ${R_keeper[$k]} | $fb → $fa | $b → $a | $per | $goal |"
}

# verdict_idle VARIANT / verdict_slow VARIANT: a targets table cell.
verdict_latency() {
    local k=$1 p99 f
    [[ -v R_json[$k] ]] || { echo "—"; return; }
    read -r f p99 < <(jf "$k" probe.failed probe.p99_ms)
    if under_target "$k"; then
        echo "met (p99 $(lat "$p99") ms)"
    else
        echo "not met (p99 $(lat "$p99")$([[ $p99 == fail ]] || echo " ms"), $f of $probes failed)"
    fi
}

# measured_with N GOAL_N: " (measured with N)" when a target set for
# GOAL_N clients was measured with another count.
measured_with() {
    if (($1 != $2)); then echo " (measured with $1)"; fi
}

# latency_row LETTER WHAT PART N GOAL_N: the targets row of a new
# request's latency beside GOAL_N clients (WHAT), measured with N.
latency_row() {
    local row v
    row="| $1 a new request under $TARGET_MS ms (p99, none failed) with $2$(measured_with "$4" "$5") |"
    for v in "${server_list[@]}"; do
        if [[ -n $(variant_na "$v") ]]; then row+=" n/a |"; else row+=" $(verdict_latency "$3|$v|$4") |"; fi
    done
    echo "$row"
}

targets_table() {
    local v row n_max=0 n c408
    for n in "${idle_list[@]}"; do ((n > n_max)) && n_max=$n; done
    local hdr="| target |" sep="|---|"
    for v in "${server_list[@]}"; do hdr+=" ${label[$v]} |"; sep+="---|"; done
    echo "$hdr"
    echo "$sep"
    has_part idle && latency_row "A." "10,000 idle keep-alive clients" idle "$n_max" 10000
    if has_part slowloris; then
        latency_row "B." "1,000 slowloris clients" slowloris "$slow" 1000
        row="| B. every slowloris client gets 408 at the header timeout ($HEADER_TIMEOUT s, within 2 s) |"
        for v in "${server_list[@]}"; do
            if [[ -n $(variant_na "$v") ]]; then row+=" n/a |"; continue; fi
            read -r c408 _ < <(slow_counts "slowloris|$v|$slow")
            if slow_ok "slowloris|$v|$slow"; then row+=" met |"; else row+=" not met ($c408 of $slow got 408) |"; fi
        done
        echo "$row"
    fi
    if has_part memory; then
        row="| C. the keeper's Pss ≤ $TARGET_PSS_KIB KiB per parked connection$(measured_with "$parked" 10000) |"
        for v in "${server_list[@]}"; do
            if [[ $v != preforkd-on ]]; then row+=" — |"; continue; fi
            local k="memory|$v|$parked" per
            if [[ -z ${R_keeper[$k]:-} ]]; then row+=" n/a (no keeper) |"; continue; fi
            per=$(pss_per "$k")
            if [[ $per == - ]]; then
                row+=" not measured (the keeper's descriptors did not grow) |"
            elif awk -v p="$per" -v t="$TARGET_PSS_KIB" 'BEGIN { exit !(p <= t) }'; then
                row+=" met ($per KiB) |"
            else
                row+=" not met ($per KiB) |"
            fi
        done
        echo "$row"
    fi
}

# servers_text: how each server measured was set up.
servers_text() {
    local v t=""
    for v in "${server_list[@]}"; do
        [[ -n $(variant_na "$v") ]] && continue
        case $v in
        preforkd-on)
            t+="${t:+; }preforkd with parking on: $WORKERS workers (\`workers.start = max = $WORKERS\`), \`http.header_timeout = $HEADER_TIMEOUT\`, "
            if [[ -n ${pf_extra[$v]} ]]; then t+="\`${pf_extra[$v]}\`"; else t+="no keeper group"; fi
            ;;
        preforkd-off) t+="${t:+; }preforkd with parking off: the same with \`${pf_extra[$v]}\`" ;;
        nginx) t+="${t:+; }nginx: $NGINX_WORKERS worker processes (as elsewhere in this file), \`worker_connections $BENCH_NGINX_CONNECTIONS\` (raised from 1024 to hold every client), \`client_header_timeout ${HEADER_TIMEOUT}s\`" ;;
        apache) t+="${t:+; }Apache prefork: $WORKERS processes (StartServers = MaxSpareServers = MaxRequestWorkers), mod_reqtimeout with \`RequestReadTimeout header=$HEADER_TIMEOUT\`" ;;
        esac
    done
    echo "$t"
}

report() {
    local cmd="tests/load/idle.sh" v vs=""
    ((${#orig_args[@]})) && cmd+=" ${orig_args[*]//"$BENCH_REPO"\//}"
    for v in "${server_list[@]}"; do
        case $v in
        preforkd-off) ;;
        *) vs+="${vs:+; }${version[$v]}" ;;
        esac
    done
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmd\` ($((t_end - t_begin)) s)."
    echo
    echo "- machine: $(nproc) CPUs, $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r); open files per process: $nofile (servers and clients)"
    echo "- versions: $vs; tree at commit $commit"
    echo "- other programs took $other_busy % of the CPUs in the second before the first run; load average (1, 5, 15 min) before: $load_start, after: $load_end"
    echo "- servers: $(servers_text)"
    if ((!keeper_known)) && has preforkd-on; then
        echo "- **this preforkd has no keeper**: it refuses the keeper group (\`$keeper_refused\`), so \"parking on\" ran without it and measured the classic model, a worker per connection"
    fi
    echo "- probe: $probes fresh connections one after another, each \`GET /1k.bin\` with \`Connection: close\`, timed from connect to the response's last byte (\`time.perf_counter\`); a probe not answered within $PROBE_TIMEOUT s failed (\"> $PROBE_TIMEOUT s\"), and after $GIVE_UP such timeouts in a row the remaining probes were not tried and count as failed; percentiles by nearest rank over all $probes, a failed probe ranking last (so p99 is the slowest)"
    if has_part idle; then
        echo
        echo "**A. A new request while idle keep-alive clients are connected.** Each idle client sent one \`GET /1k.bin\`, read the response and stayed open and silent (keep-alive timeout raised to $IDLE_KEEPALIVE s on every server, from the suite's 5 s, so that they were still connected during the probes); the probe ran 1 s after the last of them was served, or after 3 s in which none was (a server that serves one connection per worker stops there). \"not served\": clients that sent their request and got no response (waiting in the server's listen queue), that are still connecting (their SYN unanswered: the queue is full), or that were not opened (the client has at most 200 connects in flight)."
        echo
        idle_table
    fi
    if has_part slowloris; then
        echo
        echo "**B. Slowloris: $slow clients sending a request head one byte a second.** The probe started 2 s after them (keep-alive timeout ${SLOW_KEEPALIVE} s); each slow client ran until the server answered or closed it, or $((HEADER_TIMEOUT + 10)) s (longer while the probe ran). \"ended\": seconds from each client's connect to its end, by outcome."
        echo
        slow_table
    fi
    if has_part memory; then
        echo
        echo "**C. The keeper's memory with $parked parked connections** (A's measurement, parking on): the keeper's Pss from \`/proc/PID/smaps_rollup\` and its open descriptors, read before the first connection and 1 s after the last was served; Pss per parked connection = Pss gained / descriptors gained. The keeper is the master's child that \`preforkctl workers\` does not list. Kernel memory (socket buffers, epoll entries) is not in Pss."
        echo
        memory_table
    fi
    echo
    echo "**Targets** (issue 14):"
    echo
    targets_table
    if [[ -n $plot ]] && has_part idle; then
        echo
        local rel=${plot#"$BENCH_REPO"/docs/}
        # Linked when it is in docs/ (written with the doc).
        if [[ $rel != /* ]]; then
            echo "![A. new-request p99 latency against idle keep-alive clients]($rel)"
        fi
    fi
}

write_tsv() {
    local k part v n f
    {
        echo "# tests/load/idle.sh, measured $(date -u '+%Y-%m-%d %H:%M UTC'); probe latencies in ms over $probes fresh requests each; \"fail\": a failed probe (> $PROBE_TIMEOUT s) at that rank; held: idle clients served and open at the probe (idle), slow clients open (slowloris)"
        if has preforkd-on && ((!keeper_known)); then
            echo "# preforkd-on: no keeper (this preforkd refused the keeper group): the classic model"
        fi
        printf '# part\tserver\tclients\theld\tprobes\tok\tfailed\tp50_ms\tp99_ms\tmax_ms\tgot_408\tclosed\treset\tstill_open\n'
        for k in "${R_keys[@]}"; do
            IFS='|' read -r part v n <<<"$k"
            [[ $part == memory ]] && continue
            if [[ $part == idle ]]; then
                f=$(jf "$k" at_probe.served probe.count probe.ok probe.failed probe.p50_ms probe.p99_ms probe.max_ms)
                f+=" - - - -"
            else
                f=$(jf "$k" at_probe.trickling probe.count probe.ok probe.failed probe.p50_ms probe.p99_ms probe.max_ms \
                    outcomes.408 outcomes.closed outcomes.reset still_open)
            fi
            printf '%s\t%s\t%s\t%s\n' "$part" "$v" "$n" "${f// /$'\t'}"
        done
    } >"$1"
}

echo
report | tee "$BENCH_TMP/report.md"
if [[ -n $tsv ]]; then
    mkdir -p "$(dirname "$tsv")"
    write_tsv "$tsv"
    bench_log "wrote the figures into ${tsv#"$BENCH_REPO"/}"
    if [[ -n $plot ]] && has_part idle; then
        draw_plot "$tsv" "$plot"
    fi
elif [[ -n $plot ]] && has_part idle; then
    write_tsv "$BENCH_TMP/idle.tsv"
    draw_plot "$BENCH_TMP/idle.tsv" "$plot"
fi
if ((write_doc)); then
    bench_write_doc idle "$BENCH_TMP/report.md"
fi
