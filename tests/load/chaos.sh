#!/usr/bin/env bash
# chaos.sh: what clients see when a server is disturbed under load: reloads,
# workers killed with SIGKILL (idle ones, busy ones), the pool scaled up and
# down, a graceful stop with a full listen queue, slowloris clients, and
# binary upgrades.
# preforkd beside nginx (2 worker processes) and Apache httpd (prefork MPM)
# wherever the same action exists; "n/a" with the reason otherwise.
#
# Usage: tests/load/chaos.sh [options]
#   --servers LIST     comma-separated, in the order run (default
#                      preforkd,nginx,apache)
#   --scenarios LIST   comma-separated (default all, in this order):
#                      reload (a), kill-idle (b), kill-busy (c), scale (d),
#                      quit-queue (e), slowloris (f), upgrade (g); letters
#                      work too
#   --quick            5 s per run, 3 actions, keep-alive load only, 32
#                      queued connections instead of 64, slowloris with
#                      twice the pool only (smoke test); does not write
#                      docs/benchmarks.md unless --write-doc is given
#   --duration SEC     seconds of load per run (default 12)
#   --actions N        actions per run in reload/kill-idle/kill-busy, one a
#                      second (default 10), upgrades (one every 2 s, at most
#                      half as many), and signals each way in scale
#                      (default 8)
#   --idle N           in reload and upgrade, N more keep-alive clients
#                      beside the load, each sending a request every 2 s
#                      (a second preforkbench, open loop): idle between
#                      requests, parked by preforkd's keeper; counted on
#                      their own (default 200, --quick 50; 0: none)
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
# Every run: a fresh server instance on 127.0.0.1 (kernel-picked port),
# preforkbench in a closed loop (4 connections, GET /1k.bin, 5 s request
# timeout, --json) counting every request, the action done meanwhile by
# this script, then the counts: requests ok, failed by kind, the actions
# done. preforkd and Apache run 8 workers (preforkd up to 16 in scale),
# nginx 2. Exits non-zero if a server fails to start or preforkbench fails
# to run; failed requests are results, not errors.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
# shellcheck source=tests/load/lib_ops.sh
. "$here/lib_ops.sh"

servers=preforkd,nginx,apache
scenarios=reload,kill-idle,kill-busy,scale,quit-queue,slowloris,upgrade
quick=0
duration=""
actions=""
idle_n=""
write_doc=""
install=1
BENCH_KEEP=0

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --scenarios) scenarios=${2:?--scenarios needs a list}; shift ;;
    --scenarios=*) scenarios=${1#*=} ;;
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --duration=*) duration=${1#*=} ;;
    --actions) actions=${2:?--actions needs a number}; shift ;;
    --actions=*) actions=${1#*=} ;;
    --idle) idle_n=${2:?--idle needs a number}; shift ;;
    --idle=*) idle_n=${1#*=} ;;
    *) ops_common_arg "$@"; shift $((OPS_SHIFT - 1)) ;;
    esac
    shift
done
[[ -z $duration ]] && duration=$((quick ? 5 : 12))
[[ -z $actions ]] && actions=$((quick ? 3 : 10))
[[ -z $idle_n ]] && idle_n=$((quick ? 50 : 200))
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))
bench_check_count --duration "$duration" "a whole number of seconds"
bench_check_count --actions "$actions"
[[ $idle_n =~ ^[0-9]+$ ]] || bench_die "--idle: a whole number of clients"
((duration >= 3)) || bench_die "--duration: at least 3 s"

bench_server_list "$servers"
IFS=, read -r -a scen_in <<<"$scenarios"
scen_list=()
for x in "${scen_in[@]}"; do
    case $x in
    a | reload) scen_list+=(reload) ;;
    b | kill-idle) scen_list+=(kill-idle) ;;
    c | kill-busy) scen_list+=(kill-busy) ;;
    d | scale) scen_list+=(scale) ;;
    e | quit-queue) scen_list+=(quit-queue) ;;
    f | slowloris) scen_list+=(slowloris) ;;
    g | upgrade) scen_list+=(upgrade) ;;
    *) bench_die "--scenarios: unknown scenario '$x' (reload, kill-idle, kill-busy, scale, quit-queue, slowloris, upgrade or a-g)" ;;
    esac
done
((${#scen_list[@]})) || bench_die "--scenarios: empty list"

need=(python3:python3 curl:curl setsid:util-linux pgrep:procps ss:iproute2 timeout:coreutils)
bench_server_tools need "${server_list[@]}"
bench_check_tools "$install" "${need[@]}"
((EUID == 0)) || bench_log "warning: not root: nginx's and Apache's workers (other users') cannot be inspected or killed"

commit=$(bench_commit)
ops_start chaos
root=$BENCH_TMP/www
bins=()
[[ ,${scen_list[*]}, == ,quit-queue, ]] || bins+=(preforkbench)
[[ ,$servers, == *,preforkd,* ]] && bins+=(preforkd preforkctl)
ops_copy_bins "${bins[@]}"
raw=$BENCH_TMP/raw
mkdir -p "$raw"

# The load: closed loop, CONNS connections, 1 KiB file, 5 s timeout.
CONNS=4
WORKERS=8        # preforkd and Apache (nginx: 2)
SCALE_MAX=16     # preforkd's workers.max (room for scale's SIGTTINs)
QUEUED=$((quick ? 32 : 64))
# Slow connections: half the pool (the other half keeps serving) and twice
# the pool (every worker taken); --quick: twice only.
if ((quick)); then slow_counts=($((2 * WORKERS))); else slow_counts=($((WORKERS / 2)) $((2 * WORKERS))); fi
scale_n=$actions
((scale_n > SCALE_MAX - WORKERS)) && scale_n=$((SCALE_MAX - WORKERS))
if ((quick)); then modes=(keep-alive); else modes=(keep-alive close); fi
# slowloris: long enough to see preforkd's header timeout end the slow
# connections (except with --quick).
slow_duration=$duration
((!quick && slow_duration < OPS_PF_HEADER_TIMEOUT + 5)) && slow_duration=$((OPS_PF_HEADER_TIMEOUT + 5))

# Results, by "scenario|server|mode": the counts and notes of one run.
declare -A R_ok R_failed R_kinds R_unf R_p99 R_actions R_note R_na
R_keys=()

# record KEY JSON ACTIONS NOTE: one preforkbench run's figures.
record() {
    local key=$1 json=$2 act=$3 note=$4 ok failed unf p99 k v kinds=""
    read -r ok failed unf p99 < <(ops_jget "$json" ok failed unfinished latency_us.p99)
    for k in connect reset closed short timeout malformed status; do
        v=$(ops_jget "$json" "errors.$k")
        [[ $v != - && $v != 0 ]] && kinds+="${kinds:+, }$k $v"
    done
    [[ $unf == - ]] && unf=0
    R_ok[$key]=$ok R_failed[$key]=$failed R_unf[$key]=$unf
    R_kinds[$key]=$kinds R_actions[$key]=$act R_note[$key]=$note
    R_p99[$key]=$(awk -v u="$p99" -v n="$ok" 'BEGIN { if (u == "-" || n == 0) print "—"; else printf "%.2f", u / 1000 }')
    R_keys+=("$key")
    bench_log "$(printf '  %-10s %-9s %-10s ok %-7s failed %-5s %s | %s | %s' "${key%%|*}" \
        "$(cut -d'|' -f2 <<<"$key")" "${key##*|}" "$ok" "$failed" "${kinds:--}" "$act" "$note")"
}

na() { # na SCENARIO SERVER REASON
    R_na[$1|$2]=$3
    R_keys+=("$1|$2|n/a")
    bench_log "  $1 $2: n/a ($3)"
}

# load_args MODE: preforkbench's arguments for the run.
load_args() {
    local a=(-c "$CONNS" -t 1 -d "${2:-$duration}" -T 5 -u /1k.bin -q)
    [[ $1 == close ]] && a+=(--close)
    printf '%s\n' "${a[@]}"
}

# idle_start JSON: the idle mix (--idle), in the background: idle_n
# keep-alive connections, a request every 2 s each, for the run's
# duration. Sets IDLE_PID (empty with --idle 0).
IDLE_PID=""
idle_start() {
    IDLE_PID=""
    ((idle_n > 0)) || return 0
    local rate=$(((idle_n + 1) / 2)) keep=$OPS_BENCH_PID
    ops_bench_bg "$1" -c "$idle_n" -t 1 -R "$rate" -d "$duration" -T 5 -u /1k.bin -q
    IDLE_PID=$OPS_BENCH_PID OPS_BENCH_PID=$keep
}

# idle_note JSON: wait for the idle mix; set IDLE_NOTE to what its
# clients saw, for the run's note (empty with --idle 0). Not in a
# subshell: the idle preforkbench is a child of this one.
IDLE_NOTE=""
idle_note() {
    IDLE_NOTE=""
    [[ -n $IDLE_PID ]] || return 0
    local keep=$OPS_BENCH_PID ok failed k v kinds=""
    OPS_BENCH_PID=$IDLE_PID
    ops_bench_wait "$1"
    OPS_BENCH_PID=$keep IDLE_PID=""
    read -r ok failed < <(ops_jget "$1" ok failed)
    for k in connect reset closed short timeout malformed status; do
        v=$(ops_jget "$1" "errors.$k")
        [[ $v != - && $v != 0 ]] && kinds+="${kinds:+, }$k $v"
    done
    IDLE_NOTE=$(printf '; idle mix (%d keep-alive clients, a request every 2 s each): ok %s, failed %s%s' \
        "$idle_n" "$ok" "$failed" "${kinds:+ ($kinds)}")
}

# server_up KIND [WORKERS]: a fresh instance of the server for one run.
server_up() {
    local kind=$1 w=${2:-}
    if [[ -z $w ]]; then
        w=$WORKERS
        [[ $kind == nginx ]] && w=2
    fi
    ops_start_server "$kind" "$root" "$w"
    sleep 0.5 # every worker up and waiting
}

# server_down: stop the instance; die if it had died during the run.
server_down() {
    local what=$1
    if ! ops_alive "$SRV_PID"; then
        tail -n 20 "$SRV_LOG" >&2 || true
        bench_die "the server exited during $what (log: $SRV_LOG)"
    fi
    bench_stop "$SRV_PID"
}

# worker_pids: the running server's worker processes, sorted.
worker_pids() { ops_workers "$SRV_PID" | sort -n | tr '\n' ' '; }

# pf_status EXPR: print EXPR, a Python expression of d (preforkd's `status`
# reply, through preforkctl); dies when the control channel does not answer.
pf_status() {
    local reply
    reply=$(ops_ctl status) || bench_die "preforkctl status failed (control channel $OPS_CTL_ADDR); log: $SRV_LOG"
    python3 -c 'import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(*(v if isinstance(v, tuple) else (v,)))' "$1" "$reply"
}

# kill_worker KIND idle|busy: choose a worker, kill it with SIGKILL, print
# "PID HELD" (HELD: the established connections it had open, from /proc,
# just before the kill), or nothing when no worker fits. preforkd's worker
# is chosen by its scoreboard state (`preforkctl --json workers`); the
# others' by the connections they hold (/proc). One process chooses, counts
# and kills, a few ms apart.
kill_worker() {
    local kind=$1 want=$2
    if [[ $kind == preforkd ]]; then
        ops_ctl workers 2>/dev/null |
            python3 "$OPS_CLIENT" pick "$want" --port "$SRV_PORT" --kill || true
    else
        python3 "$OPS_CLIENT" pick "$want" --master "$SRV_PID" --port "$SRV_PORT" --kill || true
    fi
}

# --------------------------------------------------------------- scenarios

# a. reload: one reload signal a second under load.
scen_reload() {
    local kind=$1 mode=$2 sig key json i before after note="" r0 r1 nsup done_n
    case $kind in
    preforkd) sig=HUP ;;
    nginx) sig=HUP ;;     # what `nginx -s reload` sends
    apache) sig=USR1 ;;   # graceful restart: what `apache2 -k graceful` sends
    esac
    server_up "$kind"
    key="reload|$kind|$mode" json=$raw/reload-$kind-$mode.json
    before=$(worker_pids)
    [[ $kind == preforkd ]] && r0=$(pf_status 'd["totals"]["reloads"], d["generation"]')
    mapfile -t args < <(load_args "$mode")
    idle_start "$json.idle.json"
    ops_bench_bg "$json" "${args[@]}"
    ops_clock_start $((duration * 1000))
    done_n=0
    for ((i = 0; i < actions; i++)); do
        ops_at $((1000 + i * 1000)) || break
        kill "-$sig" "$SRV_PID"
        done_n=$((done_n + 1))
    done
    ops_bench_wait "$json"
    idle_note "$json.idle.json"
    after=$(worker_pids)
    local changed=0 p
    for p in $before; do [[ " $after " == *" $p "* ]] || changed=$((changed + 1)); done
    case $kind in
    preforkd)
        r1=$(pf_status 'd["totals"]["reloads"], d["generation"]')
        nsup=$(ops_log_count "$SRV_LOG" 'reload is not supported')
        note="reloads applied (status totals.reloads): $((${r1% *} - ${r0% *})), generation ${r0#* } → ${r1#* }"
        ((nsup > 0)) && note="**reload not implemented**: the master logged \"reload is not supported yet\" ×$nsup and kept serving; $note"
        ;;
    nginx) note="$(ops_log_count "$SRV_LOG" 'SIGHUP.*reconfiguring') reloads logged (\"SIGHUP received, reconfiguring\")" ;;
    apache) note="$(ops_log_count "$SRV_LOG" 'Graceful restart requested') graceful restarts logged" ;;
    esac
    note+="; workers replaced: $changed of $(wc -w <<<"$before")$IDLE_NOTE"
    record "$key" "$json" "SIG$sig ×$done_n" "$note"
    server_down "reload"
}

# wait_new_master PIDFILE OLD: print the pid a new master wrote into
# PIDFILE (other than OLD), within 30 s; fail otherwise.
wait_new_master() {
    local pidf=$1 old=$2 i p
    for ((i = 0; i < 300; i++)); do
        p=$(cat "$pidf" 2>/dev/null) || p=""
        if [[ -n $p && $p != "$old" ]] && ops_alive "$p"; then
            echo "$p"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# g. binary upgrade under load, one every 2 s: SIGUSR2 to the master.
# preforkd's old master retires by itself once the new one is ready;
# nginx's is told to, as its documentation says: WINCH (its workers stop
# gracefully) and QUIT once the new master wrote nginx.pid. Each upgrade
# ends when the old master is gone.
scen_upgrade() {
    local kind=$1 mode=$2 key json i k old new pidf done_n=0 ms=0 t0 note
    OPS_NGINX_DAEMON=1 server_up "$kind"
    key="upgrade|$kind|$mode" json=$raw/upgrade-$kind-$mode.json
    case $kind in
    preforkd) pidf=$OPS_DIR/preforkd.pid ;;
    nginx) pidf=$OPS_DIR/nginx.pid ;;
    esac
    mapfile -t args < <(load_args "$mode")
    idle_start "$json.idle.json"
    ops_bench_bg "$json" "${args[@]}"
    ops_clock_start $((duration * 1000))
    for ((i = 0; i < (actions + 1) / 2; i++)); do
        ops_at $((1000 + i * 2000)) || break
        old=$SRV_PID t0=$(ops_now_us)
        kill -USR2 "$old"
        new=$(wait_new_master "$pidf" "$old") || bench_die "$kind: no new master after SIGUSR2 (log: $SRV_LOG)"
        [[ $kind == nginx ]] && kill -WINCH "$old" && kill -QUIT "$old"
        for ((k = 0; k < 300; k++)); do ops_alive "$old" || break; sleep 0.1; done
        ops_alive "$old" && bench_die "$kind: the old master $old did not exit after the upgrade"
        ms=$((ms + ($(ops_now_us) - t0) / 1000))
        SRV_PID=$new done_n=$((done_n + 1))
    done
    ops_bench_wait "$json"
    note="each upgrade until the old master was gone: $((done_n ? ms / done_n : 0)) ms on average"
    idle_note "$json.idle.json"
    note+=$IDLE_NOTE
    record "$key" "$json" "SIGUSR2 ×$done_n" "$note"
    server_down "upgrade"
}

# b, c. kill -9 of an idle / a busy worker, one a second under load.
scen_kill() {
    local kind=$1 mode=$2 want=$3 key json i r killed=0 missed=0 held=0 note
    key="kill-$want|$kind|$mode" json=$raw/kill-$want-$kind-$mode.json
    server_up "$kind"
    mapfile -t args < <(load_args "$mode")
    ops_bench_bg "$json" "${args[@]}"
    ops_clock_start $((duration * 1000))
    for ((i = 0; i < actions; i++)); do
        ops_at $((1000 + i * 1000)) || break
        r=$(kill_worker "$kind" "$want")
        if [[ -n $r ]]; then
            killed=$((killed + 1))
            held=$((held + ${r#* }))
        else
            missed=$((missed + 1))
        fi
    done
    ops_bench_wait "$json"
    note="connections the killed workers held (/proc, at the kill): $held"
    ((missed)) && note+="; no $want worker found $missed time(s)"
    note+="; workers at the end: $(wc -w <<<"$(worker_pids)")"
    case $kind in
    preforkd) note+="; respawns (status): $(pf_status 'd["totals"]["respawns"]')" ;;
    esac
    record "$key" "$json" "SIGKILL ×$killed" "$note"
    server_down "kill-$want"
}

# d. scale: SIGTTIN ×N then SIGTTOU ×N, one signal every 0.5 s.
scen_scale() {
    local kind=$1 mode=$2 key json i t0 t1 t2 up down
    key="scale|$kind|$mode" json=$raw/scale-$kind-$mode.json
    OPS_PF_MAX=$SCALE_MAX
    server_up "$kind"
    OPS_PF_MAX=0
    target() { pf_status 'd["workers"]["target"], d["workers"]["total"]'; }
    t0=$(target)
    mapfile -t args < <(load_args "$mode")
    ops_bench_bg "$json" "${args[@]}"
    ops_clock_start $((duration * 1000))
    local nin=0 nout=0
    for ((i = 0; i < scale_n; i++)); do
        ops_at $((1000 + i * 500)) || break
        kill -TTIN "$SRV_PID"
        nin=$((nin + 1))
    done
    sleep 0.3
    t1=$(target)
    for ((i = 0; i < nin; i++)); do
        ops_at $((1000 + (scale_n + i) * 500)) || break
        kill -TTOU "$SRV_PID"
        nout=$((nout + 1))
    done
    ops_bench_wait "$json"
    sleep 0.5
    t2=$(target)
    # "scaling the pool from A to B workers", one line per step taken.
    read -r up down < <(awk '/scaling the pool from/ {
        for (i = 1; i < NF; i++) if ($i == "from") { a = $(i + 1); b = $(i + 3) }
        if (b > a) u++; else if (b < a) d++ } END { print u + 0, d + 0 }' "$SRV_LOG")
    record "$key" "$json" "SIGTTIN ×$nin, SIGTTOU ×$nout" \
        "target (workers running): ${t0% *} (${t0#* }) → ${t1% *} (${t1#* }) → ${t2% *} (${t2#* }); the master logged $up steps up, $down down"
    server_down "scale"
}

# e. graceful stop with a full listen queue (2 workers).
scen_quit() {
    local kind=$1 key json sig rc=0 i note pid
    case $kind in
    preforkd) sig=QUIT ;;
    nginx) sig=QUIT ;;   # what `nginx -s quit` sends
    apache) sig=WINCH ;; # graceful-stop: what `apache2 -k graceful-stop` sends
    esac
    key="quit-queue|$kind|queue" json=$raw/quit-$kind.json
    server_up "$kind" 2
    python3 "$OPS_CLIENT" drain 127.0.0.1 "$SRV_PORT" --pid "$SRV_PID" --signal "$sig" \
        --holders 2 --queued "$QUEUED" --hold 1 --timeout $((OPS_PF_GRACEFUL + 5)) >"$json" &
    pid=$!
    OPS_BG_PIDS+=("$pid")
    wait "$pid" || rc=$?
    ops_forget_bg "$pid"
    if ((rc != 0)) || [[ ! -s $json ]]; then
        bench_die "$kind: the drain client failed (status $rc)"
    fi
    grep -q '"error"' "$json" && bench_die "$kind: $(cat "$json")"
    # The server should be gone (or going) now; at most 5 s more.
    for ((i = 0; i < 50; i++)); do ops_alive "$SRV_PID" || break; sleep 0.1; done
    local exited="exited"
    if ops_alive "$SRV_PID"; then
        exited="still running 5 s after the last reply"
        bench_stop "$SRV_PID"
    else
        rc=0
        wait "$SRV_PID" 2>/dev/null || rc=$?
        exited+=" (status $rc)"
        # Its workers exit before it: nothing of the group is left.
        ops_forget_server "$SRV_PID"
    fi
    python3 - "$json" "$key" >"$json.rec" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
q = d["queued_outcomes"]
ok = q.get("ok", 0)
failed = sum(v for k, v in q.items() if k != "ok")
kinds = ", ".join("%s %d" % (k, v) for k, v in sorted(q.items()) if k != "ok")
h = ", ".join("%s %d" % (k, v) for k, v in sorted(d["holder_outcomes"].items()))
print(ok, failed, sep="\t")
print(kinds)
print("%d connections sent a complete request while 2 holders kept 2 workers busy (in the listen queue at the signal: %s; answered before it: %d); the holders: %s"
      % (d["queued"], d["listen_queue_at_signal"], d["queued_answered_before_signal"], h))
PY
    local ok failed kinds
    {
        IFS=$'\t' read -r ok failed
        IFS= read -r kinds
        IFS= read -r note
    } <"$json.rec"
    R_ok[$key]=$ok R_failed[$key]=$failed R_kinds[$key]=$kinds
    R_unf[$key]=0 R_p99[$key]="—" R_actions[$key]="SIG$sig ×1"
    R_note[$key]="$note; server $exited"
    R_keys+=("$key")
    bench_log "  quit-queue $kind: answered ${R_ok[$key]}, not ${R_failed[$key]} (${R_kinds[$key]:-}) | ${R_note[$key]}"
}

# f. slowloris: K connections trickling a header byte a second while the
# normal load runs.
scen_slowloris() {
    local kind=$1 mode=$2 k=$3 key json sl note tmo pid rc=0
    key="slowloris-$k|$kind|$mode" json=$raw/slowloris-$k-$kind-$mode.json sl=$raw/slowloris-$k-$kind-$mode.slow.json
    case $kind in
    preforkd) tmo="http.header_timeout $OPS_PF_HEADER_TIMEOUT s" ;;
    nginx) tmo="client_header_timeout 60 s (default)" ;;
    apache) tmo="Timeout 30 s; mod_reqtimeout not loaded (no RequestReadTimeout)" ;;
    esac
    server_up "$kind"
    python3 "$OPS_CLIENT" slowloris 127.0.0.1 "$SRV_PORT" --conns "$k" --interval 1 \
        --duration $((slow_duration + 2)) >"$sl" &
    pid=$!
    OPS_BG_PIDS+=("$pid")
    sleep 1.5
    mapfile -t args < <(load_args "$mode" "$slow_duration")
    ops_bench_bg "$json" "${args[@]}"
    ops_bench_wait "$json"
    wait "$pid" || rc=$?
    ops_forget_bg "$pid"
    if ((rc != 0)) || [[ ! -s $sl ]]; then
        bench_die "$kind: the slowloris client failed (status $rc)"
    fi
    note=$(python3 - "$sl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
held = d.get("held_ms_median")
print("slowloris: %d connections opened, %d dropped by the server%s"
      % (d["opened"], d["dropped"],
         (", held %.1f s (median) before the drop" % (held / 1000.0)) if held else ""))
PY
)
    record "$key" "$json" "$k slow connections" "$tmo; $note"
    server_down "slowloris"
}

# ------------------------------------------------------------------- runs

declare -A version
for s in "${server_list[@]}"; do version[$s]=$(ops_version "$s"); done
t_begin=$(date +%s)
for sc in "${scen_list[@]}"; do
    bench_log "== $sc"
    for s in "${server_list[@]}"; do
        case $sc in
        reload)
            for m in "${modes[@]}"; do scen_reload "$s" "$m"; done
            ;;
        kill-idle)
            if [[ $s == nginx ]]; then
                na "$sc" "$s" "no idle worker: nginx's 2 event-driven workers share every connection between them (each holds some); see kill-busy"
                continue
            fi
            for m in "${modes[@]}"; do scen_kill "$s" "$m" idle; done
            ;;
        kill-busy)
            # Keep-alive only: in close mode a connection lasts a fraction
            # of a millisecond, and a worker seen busy is idle again by the
            # time the kill arrives.
            scen_kill "$s" keep-alive busy
            ;;
        scale)
            case $s in
            nginx) na "$sc" "$s" "no such action: the worker count is worker_processes, changed only by editing it and reloading"; continue ;;
            apache) na "$sc" "$s" "no such action: the prefork parent sizes its pool itself, between MinSpareServers/MaxSpareServers and MaxRequestWorkers; no signal adds or removes one process" ; continue ;;
            esac
            for m in "${modes[@]}"; do scen_scale "$s" "$m"; done
            ;;
        quit-queue) scen_quit "$s" ;;
        upgrade)
            if [[ $s == apache ]]; then
                na "$sc" "$s" "no binary upgrade: a new httpd binary takes a restart (apache2ctl graceful re-reads the configuration, not the binary)"
                continue
            fi
            for m in "${modes[@]}"; do scen_upgrade "$s" "$m"; done
            ;;
        slowloris)
            for k in "${slow_counts[@]}"; do
                for m in "${modes[@]}"; do scen_slowloris "$s" "$m" "$k"; done
            done
            ;;
        esac
    done
done
t_end=$(date +%s)

# ----------------------------------------------------------------- report

scen_label() {
    case $1 in
    reload) echo "a. reload ×$actions" ;;
    kill-idle) echo "b. kill -9 idle worker" ;;
    kill-busy) echo "c. kill -9 busy worker" ;;
    scale) echo "d. scale up/down ×$scale_n" ;;
    quit-queue) echo "e. graceful stop, full queue" ;;
    slowloris-*) echo "f. slowloris, ${1#slowloris-} slow conns" ;;
    upgrade) echo "g. binary upgrade ×$(((actions + 1) / 2))" ;;
    esac
}
mode_label() {
    case $1 in
    keep-alive) echo "keep-alive, $CONNS conns" ;;
    close) echo "close, $CONNS conns" ;;
    queue) echo "$QUEUED queued + 2 holders" ;;
    n/a) echo "—" ;;
    esac
}

report() {
    local cmd="tests/load/chaos.sh" k sc s m v=""
    ((${#orig_args[@]})) && cmd+=" ${orig_args[*]}"
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`$cmd\` ($((t_end - t_begin)) s)."
    echo
    echo "- machine: $(nproc) CPUs, $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
    for s in "${server_list[@]}"; do v+="${v:+; }${version[$s]}"; done
    local pb="not used"
    [[ -x $OPS_PREFORKBENCH ]] && pb=$("$OPS_PREFORKBENCH" --version 2>&1 | head -n1)
    echo "- versions: $v; tree at commit $commit; load generator: $pb"
    echo "- load: preforkbench, closed loop, $CONNS connections, 1 thread, GET /1k.bin, 5 s timeout, $duration s per run (slowloris: $slow_duration s, from 1.5 s after the slow connections opened); actions one a second from 1 s into the run (scale: one signal every 0.5 s)"
    ((idle_n > 0)) && echo "- idle mix in reload and upgrade: $idle_n more keep-alive connections, a request every 2 s each (preforkbench, open loop at $(((idle_n + 1) / 2))/s), counted on their own in the notes"
    echo "- workers: preforkd $WORKERS (workers.max $WORKERS, $SCALE_MAX in scale), Apache prefork $WORKERS (StartServers = MaxSpareServers = MaxRequestWorkers, MinSpareServers $OPS_AP_MINSPARE), nginx 2; graceful stop: 2 each; preforkd workers.graceful_timeout $OPS_PF_GRACEFUL s"
    echo
    echo "| scenario | server | load | requests ok | failed | failed by kind | unfinished | p99 (ms) | action | notes |"
    echo "|---|---|---|---:|---:|---|---:|---:|---|---|"
    for k in "${R_keys[@]}"; do
        IFS='|' read -r sc s m <<<"$k"
        if [[ $m == n/a ]]; then
            printf '| %s | %s | — | n/a | | | | | | %s |\n' "$(scen_label "$sc")" "$s" "${R_na[$sc|$s]}"
            continue
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$(scen_label "$sc")" "$s" "$(mode_label "$m")" "${R_ok[$k]}" "${R_failed[$k]}" \
            "${R_kinds[$k]:-—}" "${R_unf[$k]}" "${R_p99[$k]}" "${R_actions[$k]}" "${R_note[$k]}"
    done
}

echo
report | tee "$BENCH_TMP/report.md"
if ((write_doc)); then
    bench_write_doc chaos "$BENCH_TMP/report.md"
fi
