#!/usr/bin/env bash
# plots.sh: draw the figures of tests/load/peers.sh (its TSV file) as PNG
# plots with gnuplot, and link them from docs/benchmarks.md.
#
# Usage: tests/load/plots.sh [options]
#   --tsv FILE      the figures (default docs/data/peers.tsv)
#   --out DIR       where the PNGs go (default docs/img)
#   --client NAME   the client whose figures are drawn: preforkbench
#                   (default, when the TSV has it) or wrk
#   --conc N        the concurrency of the latency bars (default 64 when
#                   measured, else the largest measured)
#   --write-doc     write the plots block of docs/benchmarks.md (default
#                   when --out is docs/img)
#   --no-doc        do not touch docs/benchmarks.md
#   --no-install    fail instead of installing gnuplot-nox with apt-get
#   -h, --help      this text
#
# The plots (800x450 PNG), when the TSV has their figures:
#   throughput-1k-keepalive.png, throughput-1k-close.png: requests/s by
#     concurrency, 1 KiB, one line per server, pf_fixed_server (the
#     client's ceiling) dashed
#   throughput-1m.png: the same for 1 MiB, keep-alive solid, close dashed
#   latency-1k.png: p50 and p99 per server at one concurrency, 1 KiB,
#     keep-alive and close (bars, log scale)
#   latency-p99-1k.png: p99 by concurrency, 1 KiB, keep-alive solid,
#     close dashed
#   echo-msg.png: echo and msg requests/s by concurrency (preforkd,
#     pf_fork_server)
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"

tsv=$BENCH_REPO/docs/data/peers.tsv
out=$BENCH_REPO/docs/img
client=""
lat_conc=""
write_doc=""
install=1

while (($#)); do
    case $1 in
    --tsv) tsv=${2:?--tsv needs a file}; shift ;;
    --tsv=*) tsv=${1#*=} ;;
    --out) out=${2:?--out needs a dir}; shift ;;
    --out=*) out=${1#*=} ;;
    --client) client=${2:?--client needs wrk or preforkbench}; shift ;;
    --client=*) client=${1#*=} ;;
    --conc) lat_conc=${2:?--conc needs a number}; shift ;;
    --conc=*) lat_conc=${1#*=} ;;
    *) bench_common_arg "$1" || bench_bad_arg "$1" ;;
    esac
    shift
done
[[ -r $tsv ]] || bench_die "no figures in $tsv: run tests/load/peers.sh first (or give --tsv)"
tsv=$(cd "$(dirname "$tsv")" && pwd)/$(basename "$tsv")
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -z $write_doc ]]; then
    write_doc=0
    [[ $out == "$BENCH_REPO/docs/img" ]] && write_doc=1
fi
((write_doc)) && [[ $out != "$BENCH_REPO/docs/img" ]] &&
    bench_die "--write-doc: the doc links img/*.png, so --out must be docs/img"
bench_check_tools "$install" gnuplot:gnuplot-nox

# The client drawn: preforkbench when measured, else wrk.
if [[ -z $client ]]; then
    client=wrk
    awk -F'\t' '!/^#/ && $2 == "preforkbench" && $3 == "http" { f = 1 } END { exit !f }' "$tsv" &&
        client=preforkbench
fi
[[ $client == wrk || $client == preforkbench ]] || bench_die "--client: wrk or preforkbench, not '$client'"

bench_start plots
dat=$BENCH_TMP
concs=$(awk -F'\t' '!/^#/ { print $6 }' "$tsv" | sort -n -u | tr '\n' ' ')
[[ -n $concs ]] || bench_die "$tsv has no figures"
if [[ -z $lat_conc ]]; then
    lat_conc=$(awk '{ print $NF }' <<<"$concs")
    [[ " $concs " == *" 64 "* ]] && lat_conc=64
fi
bench_check_count --conc "$lat_conc"
# The x axis: one tic per concurrency measured, log scale.
xtics=$(awk '{ for (i = 1; i <= NF; i++) printf "%s\"%s\" %s", (i > 1 ? ", " : ""), $i, $i }' <<<"$concs")
measured=$(sed -n '1s/^# tests\/load\/peers.sh, \(measured [^,]*\),.*/\1/p' "$tsv")

servers=(preforkd nginx apache fork fixed)
declare -A label color
label=([preforkd]="preforkd" [nginx]="nginx" [apache]="Apache prefork"
    [fork]="fork per conn." [fixed]="ceiling (pf_fixed_server)")
color=([preforkd]="#1f4e9c" [nginx]="#2a9d3a" [apache]="#c0392b" [fork]="#e08a00" [fixed]="#808080")

# series FILE SERVER CLIENT PROTO FILE MODE COL: "conc value" lines of the
# TSV rows matching (COL: the TSV column, 7 requests/s, 9 p99), by conc.
series() {
    awk -F'\t' -v s="$2" -v c="$3" -v p="$4" -v f="$5" -v m="$6" -v col="$7" \
        '!/^#/ && $1 == s && $2 == c && $3 == p && $4 == f && $5 == m { print $6, $col }' \
        "$tsv" | sort -n >"$1"
    [[ -s $1 ]]
}

# plot_lines NAME TITLE YLABEL lin|log SPEC...: a plot of one TSV column by
# concurrency, one line per SPEC that has figures. SPEC is
# "server|protocol|file|mode|column|dash|key" (column 7 requests/s, 9 p99;
# dash 1 solid, 2 dashed; key: the legend text, "" the server's label, "-"
# none), or "key|dash|text" for a legend line alone (what dashes mean).
# Returns 1 when no SPEC has figures.
plot_lines() {
    local name=$1 title=$2 ylabel=$3 logy=$4 spec s p f m col dash key n=0 plots=() keys=()
    shift 4
    for spec in "$@"; do
        IFS='|' read -r s p f m col dash key <<<"$spec"
        if [[ $s == key ]]; then
            keys+=("keyentry with lines lw 2 dt $p lc rgb \"black\" title \"$f\"")
            continue
        fi
        series "$dat/$name-$n.dat" "$s" "$client" "$p" "$f" "$m" "$col" || continue
        local lw=2 t
        [[ $s == fixed ]] && lw=1
        case $key in
        "") t="title \"${label[$s]}\"" ;;
        -) t=notitle ;;
        *) t="title \"$key\"" ;;
        esac
        plots+=("\"$dat/$name-$n.dat\" using 1:2 with linespoints lw $lw pt 7 ps 0.8 dt $dash lc rgb \"${color[$s]}\" $t")
        n=$((n + 1))
    done
    ((${#plots[@]})) || return 1
    {
        bench_gnuplot_head "$title" "$ylabel"
        echo "set output \"$out/$name.png\""
        echo "set xlabel \"concurrency (connections open at once)\""
        echo "set logscale x 2"
        echo "set xtics ($xtics)"
        echo "set offsets graph 0.03, graph 0.03, graph 0.05, 0"
        if [[ $logy == log ]]; then
            echo "set logscale y 10"
            echo "set format y \"%g\""
        else
            echo "set yrange [0:*]"
            echo "set format y \"%.0f\""
        fi
        local IFS=,
        echo "plot ${plots[*]}${keys[*]:+,${keys[*]}}"
    } >"$dat/$name.gp"
    gnuplot "$dat/$name.gp" || bench_die "gnuplot failed on $dat/$name.gp"
    made+=("$name")
}

# latency_bars NAME: p50 and p99 per server at lat_conc, 1 KiB, both modes.
latency_bars() {
    local name=$1 s row
    local -A short=([preforkd]=preforkd [nginx]=nginx [apache]=Apache [fork]="fork/conn."
        [fixed]="ceiling")
    {
        for s in preforkd nginx apache fork fixed; do
            row=$(awk -F'\t' -v s="$s" -v c="$client" -v n="$lat_conc" '
                !/^#/ && $1 == s && $2 == c && $3 == "http" && $4 == "1k.bin" && $6 == n {
                    v[$5 "50"] = $8; v[$5 "99"] = $9; f = 1 }
                END { if (f) printf "%s %s %s %s",
                    ("keep-alive50" in v) ? v["keep-alive50"] : "-",
                    ("keep-alive99" in v) ? v["keep-alive99"] : "-",
                    ("close50" in v) ? v["close50"] : "-", ("close99" in v) ? v["close99"] : "-" }' "$tsv")
            [[ -n $row ]] || continue
            printf '"%s" %s\n' "${short[$s]}" "$row"
        done
    } >"$dat/$name.dat"
    [[ -s $dat/$name.dat ]] || return 1
    {
        bench_gnuplot_head "1 KiB: latency at $lat_conc connections, by server (client: $client; log scale)" "latency (ms)"
        echo "set output \"$out/$name.png\""
        echo "set datafile missing \"-\""
        echo "set style data histograms"
        echo "set style histogram clustered gap 1"
        echo "set style fill solid 0.85 border -1"
        echo "set boxwidth 0.9"
        echo "set logscale y 10"
        echo "set format y \"%g\""
        echo "set xtics scale 0"
        echo "set key outside right top"
        echo "plot \"$dat/$name.dat\" using 2:xtic(1) title \"p50 keep-alive\" lc rgb \"#9ecae1\", \\"
        echo "  '' using 3 title \"p99 keep-alive\" lc rgb \"#1f4e9c\", \\"
        echo "  '' using 4 title \"p50 close\" lc rgb \"#fdd0a2\", \\"
        echo "  '' using 5 title \"p99 close\" lc rgb \"#d94801\""
    } >"$dat/$name.gp"
    gnuplot "$dat/$name.gp" || bench_die "gnuplot failed on $dat/$name.gp"
    made+=("$name")
}

# Plots of an earlier run that this TSV cannot draw would be left stale.
for n in throughput-1k-keepalive throughput-1k-close throughput-1m latency-1k latency-p99-1k echo-msg; do
    rm -f "$out/$n.png"
done
made=()
ka=() cl=() big=() p99=()
for s in "${servers[@]}"; do
    ka+=("$s|http|1k.bin|keep-alive|7|1|")
    cl+=("$s|http|1k.bin|close|7|1|")
    [[ $s == fixed ]] && continue
    big+=("$s|http|1m.bin|keep-alive|7|1|" "$s|http|1m.bin|close|7|2|-")
    p99+=("$s|http|1k.bin|keep-alive|9|1|" "$s|http|1k.bin|close|9|2|-")
done
modes_key=("key|1|keep-alive" "key|2|close")
plot_lines throughput-1k-keepalive "1 KiB, keep-alive: requests/s by concurrency (client: $client)" \
    "requests/s" lin "${ka[@]}" || true
plot_lines throughput-1k-close "1 KiB, close (a connection per request): requests/s by concurrency (client: $client)" \
    "requests/s" lin "${cl[@]}" || true
plot_lines throughput-1m "1 MiB: requests/s by concurrency (client: $client)" \
    "requests/s" lin "${big[@]}" "${modes_key[@]}" || true
latency_bars latency-1k || true
plot_lines latency-p99-1k "1 KiB: p99 latency by concurrency (client: $client; log scale)" \
    "p99 latency (ms)" log "${p99[@]}" "${modes_key[@]}" || true
# echo and msg are measured with preforkbench only.
saved_client=$client
client=preforkbench
plot_lines echo-msg "echo and msg, 64-byte messages, keep-alive: requests/s (client: preforkbench)" \
    "requests/s" lin "preforkd|echo|-|keep-alive|7|1|preforkd, echo" \
    "preforkd|msg|-|keep-alive|7|2|preforkd, msg" \
    "fork|echo|-|keep-alive|7|1|${label[fork]}, echo" || true
client=$saved_client

((${#made[@]})) || bench_die "nothing to plot in $tsv"
bench_log "plots: ${made[*]/%/.png} in ${out#"$BENCH_REPO"/}"

# The doc block: one link per plot, relative to docs/.
caption() {
    case $1 in
    throughput-1k-keepalive) echo "1 KiB, keep-alive: requests/s by concurrency" ;;
    throughput-1k-close) echo "1 KiB, a connection per request: requests/s by concurrency" ;;
    throughput-1m) echo "1 MiB: requests/s by concurrency (keep-alive solid, close dashed)" ;;
    latency-1k) echo "1 KiB: p50 and p99 latency at $lat_conc connections" ;;
    latency-p99-1k) echo "1 KiB: p99 latency by concurrency (keep-alive solid, close dashed)" ;;
    echo-msg) echo "echo and msg, 64-byte messages: requests/s by concurrency" ;;
    esac
}
if ((write_doc)); then
    {
        local_tsv=${tsv#"$BENCH_REPO"/docs/}
        [[ $local_tsv != /* ]] && local_tsv="[$local_tsv]($local_tsv)"
        clients="client: $client"
        [[ $client != preforkbench ]] && clients+=" (echo and msg: preforkbench)"
        echo "Drawn by \`tests/load/plots.sh\` from $local_tsv (${measured:-figures of tests/load/peers.sh}); $clients."
        for n in "${made[@]}"; do
            echo
            echo "![$(caption "$n")](img/$n.png)"
        done
    } >"$BENCH_TMP/plots.md"
    bench_write_doc plots "$BENCH_TMP/plots.md"
fi
