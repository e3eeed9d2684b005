#!/usr/bin/env bash
# syscalls.sh: system calls per HTTP request made by a server's workers,
# counted with `strace -c -f` attached to every worker process while curl
# sends a fixed number of requests on 127.0.0.1.
#
# Usage: tests/load/syscalls.sh [options]
#   --servers LIST   comma-separated: preforkd (default), nginx, apache
#   --requests N     requests per measurement (default 1000)
#   --preforkd PATH  the binary (default build/server/preforkd, or $PREFORKD)
#   --write-doc      write the results into docs/benchmarks.md (default)
#   --no-doc         do not touch docs/benchmarks.md
#   --no-install     fail instead of running apt-get for what is missing
#   --keep           keep the temp dir (configs, logs, strace output)
#   -h, --help       this text
#
# Four measurements per server, N requests each: GET /1k.bin and /1m.bin,
# with keep-alive (one connection for all N requests) and with
# "Connection: close" (N connections, one after the other). Every call by
# the workers while the requests run is counted (the master is not traced:
# it takes no part in a request); the table gives calls / N per system call.
# Servers run with 2 workers (Apache: 2 prefork processes), not pinned.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"

servers=preforkd
requests=1000
preforkd=${PREFORKD:-$BENCH_REPO/build/server/preforkd}
write_doc=1
install=1
BENCH_KEEP=0

while (($#)); do
    case $1 in
    --servers) servers=${2:?--servers needs a list}; shift ;;
    --servers=*) servers=${1#*=} ;;
    --requests) requests=${2:?--requests needs a number}; shift ;;
    --requests=*) requests=${1#*=} ;;
    --preforkd) preforkd=${2:?--preforkd needs a path}; shift ;;
    --preforkd=*) preforkd=${1#*=} ;;
    *) bench_common_arg "$1" || bench_bad_arg "$1" ;;
    esac
    shift
done
bench_check_count --requests "$requests"
bench_server_list "$servers"
need=(strace:strace curl:curl setsid:util-linux pgrep:procps)
bench_server_tools need "${server_list[@]}"
bench_check_tools "$install" "${need[@]}"

BENCH_CLIENT_SIG=INT # strace detaches and prints its counts on SIGINT
bench_start syscalls
root=$BENCH_TMP/www
commit=$(bench_commit)

measures=("1k.bin keep-alive" "1k.bin close" "1m.bin keep-alive" "1m.bin close")
# counts[server|measure|syscall] = calls; names[server] = the syscalls seen.
declare -A counts errors names

# measure NAME PORT FILE MODE OUT: strace every worker of the running server
# while curl sends $requests requests; strace -c's summary goes to OUT.
measure() {
    local name=$1 port=$2 file=$3 mode=$4 out=$5 pids=() p i args=() k
    mapfile -t pids < <(pgrep -P "$SRV_PID")
    ((${#pids[@]})) || bench_die "$name: no worker process found under pid $SRV_PID"
    for p in "${pids[@]}"; do args+=(-p "$p"); done
    strace -c -f -o "$out" "${args[@]}" 2>"$out.attach" &
    BENCH_CLIENT_PID=$!
    # Wait until strace has attached to every worker.
    for ((i = 0; i < 100; i++)); do
        k=$(grep -c 'attached' "$out.attach" 2>/dev/null) || k=0
        ((k >= ${#pids[@]})) && break
        kill -0 "$BENCH_CLIENT_PID" 2>/dev/null || {
            cat "$out.attach" >&2
            bench_die "strace could not attach to $name's workers (${pids[*]})"
        }
        sleep 0.05
    done
    ((k >= ${#pids[@]})) || bench_die "strace did not attach to $name's workers within 5 s"
    # One curl, $requests URLs: keep-alive reuses one connection for all,
    # Connection: close makes curl connect once per request.
    local cfg=$BENCH_TMP/curl.cfg
    {
        [[ $mode == close ]] && echo 'header = "Connection: close"'
        for ((i = 0; i < requests; i++)); do
            echo "url = \"http://127.0.0.1:$port/$file\""
            echo 'output = "/dev/null"'
        done
    } >"$cfg"
    curl -s -m 120 -K "$cfg" -w '%{http_code} %{num_connects}\n' >"$out.curl" ||
        bench_die "$name: curl failed during the $file $mode measurement"
    kill -INT "$BENCH_CLIENT_PID"
    wait "$BENCH_CLIENT_PID" || true
    BENCH_CLIENT_PID=""
    local ok conns
    ok=$(grep -c '^200 ' "$out.curl") || ok=0
    conns=$(awk '{ s += $2 } END { print s + 0 }' "$out.curl")
    ((ok == requests)) || bench_die "$name: only $ok of $requests requests answered 200 ($file $mode)"
    bench_log "$(printf '%-9s %-7s %-10s %d requests, %d connections' "$name" "$file" "$mode" "$requests" "$conns")"
    connections[$name|$file $mode]=$conns
}

# parse NAME MEASURE OUT: strace -c's table into counts[].
parse() {
    local name=$1 m=$2 out=$3 sc calls errs
    while read -r sc calls errs; do
        counts[$name|$m|$sc]=$calls
        errors[$name|$m|$sc]=$errs
        [[ " ${names[$name]:-} " == *" $sc "* ]] || names[$name]+=" $sc"
    done < <(awk '/^-----/ { n++; next }
        n >= 1 && NF == 5 { print $NF, $4, 0 }
        n >= 1 && NF == 6 { print $NF, $4, $5 }' "$out")
}

declare -A connections version
for s in "${server_list[@]}"; do
    bench_log "== $s"
    case $s in
    preforkd)
        bench_start_preforkd "$preforkd" "$root" "" 2
        version[$s]="$("$preforkd" -v 2>&1 | head -n1), ${preforkd#"$BENCH_REPO"/} built $(date -u -r "$preforkd" '+%Y-%m-%d %H:%M:%S UTC'), tree at commit $commit"
        ;;
    nginx)
        bench_start_nginx "$root" ""
        version[$s]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
        ;;
    apache)
        bench_start_apache "$root" "" 2
        version[$s]=$(apache2 -v 2>&1 | sed -n 's/^Server version: //p')
        ;;
    esac
    bench_check_files "$s" "$SRV_PORT" "$root"
    # Let every worker start (Apache, preforkd fork them after the first answer may come).
    sleep 1
    for m in "${measures[@]}"; do
        read -r file mode <<<"$m"
        out=$BENCH_TMP/$s-$file-$mode.strace
        measure "$s" "$SRV_PORT" "$file" "$mode" "$out"
        parse "$s" "$m" "$out"
    done
    bench_stop "$SRV_PID"
done

# per CALLS [FAILED]: calls per request, and the failed ones when any.
per() {
    awk -v c="${1:-0}" -v e="${2:-0}" -v n="$requests" 'BEGIN {
        printf "%.2f", c / n
        if (e > 0 && e / n < 0.005) printf " (<0.01 failed)"
        else if (e > 0) printf " (%.2f failed)", e / n }'
}

report() {
    local s m sc line total
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`tests/load/syscalls.sh${orig_args[*]:+ ${orig_args[*]}}\`: calls per request, $requests requests per column, strace -c -f attached to the workers; Linux $(uname -r)."
    for s in "${server_list[@]}"; do
        echo
        local conns=""
        for m in "${measures[@]}"; do conns+="${conns:+ / }${connections[$s|$m]}"; done
        echo "**$s** (${version[$s]}, 2 workers); connections opened, column by column: $conns."
        echo
        echo "| system call | 1 KiB keep-alive | 1 KiB close | 1 MiB keep-alive | 1 MiB close |"
        echo "|---|---:|---:|---:|---:|"
        # Most frequent first (1 KiB keep-alive, then 1 KiB close).
        for sc in ${names[$s]}; do
            [[ $sc == total ]] && continue
            printf '%s %s %s\n' "${counts[$s|1k.bin keep-alive|$sc]:-0}" \
                "${counts[$s|1k.bin close|$sc]:-0}" "$sc"
        done | sort -k1,1nr -k2,2nr -k3 | while read -r _ _ sc; do
            line="| $sc"
            for m in "${measures[@]}"; do
                line+=" | $(per "${counts[$s|$m|$sc]:-}" "${errors[$s|$m|$sc]:-}")"
            done
            echo "$line |"
        done
        line="| **total**"
        for m in "${measures[@]}"; do
            total=${counts[$s|$m|total]:-0}
            line+=" | **$(per "$total" "${errors[$s|$m|total]:-}")**"
        done
        echo "$line |"
    done
}

echo
report | tee "$BENCH_TMP/report.md"

if ((write_doc)); then
    bench_write_doc syscalls "$BENCH_TMP/report.md"
fi
