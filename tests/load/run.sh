#!/usr/bin/env bash
# run.sh: the whole load-test suite in one command, on 127.0.0.1 only, every
# run bounded:
#   1. tests/load/peers.sh: preforkd, nginx, Apache prefork and the
#      fork-per-connection baseline, with wrk and preforkbench (HTTP, echo,
#      msg, the clients' ceiling); its tables and a TSV of the figures;
#   1b. peers.sh again for 1 KiB in close mode with every server capped to
#      40 % of one CPU (--server-cpu 40), where one client CPU would
#      otherwise be the limit (as root with a cgroup CPU controller only;
#      skipped otherwise, with the reason);
#   2. tests/load/chaos.sh, tests/load/costs.sh and tests/load/idle.sh,
#      when present (what clients see when a server is disturbed; what a
#      worker costs; new requests beside idle and slow clients, and the
#      keeper's memory);
#   3. tests/load/plots.sh: the PNG plots drawn from step 1's TSV.
# Each step writes its own block of docs/benchmarks.md (and the TSV in
# docs/data/, the plots in docs/img/; idle.sh draws its own).
#
# Usage: tests/load/run.sh [options] [peers.sh options]
#   --quick      smoke test: every step's --quick (1 s cells for peers.sh);
#                nothing written under docs/ unless --write-doc is given
#   --no-doc     write nothing under docs/: the TSV and the plots go to a
#                temp dir, kept and named at the end
#   --write-doc  write the results into docs/ even with --quick
#   -h, --help   this text
# Any other option goes to peers.sh (--servers, --clients, --conc, --files,
# --modes, --protocols, --duration, --repeat, --pin, --workers, --build...;
# see tests/load/peers.sh --help). chaos.sh, costs.sh and idle.sh get only
# --quick, --no-doc and --write-doc (and idle.sh, without the doc, where
# its TSV and plot go).
#
# Build first (cmake -S . -B build && cmake --build build). The default run
# prints peers.sh's estimate (about 16 minutes on 2 CPUs) before it starts;
# chaos.sh, costs.sh and idle.sh take their own time on top; each step's
# time is printed at the end. Exits non-zero when a step failed (the later
# steps still run; the plots only after peers.sh worked).
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"

quick=0
write_doc=""
peers_args=()
while (($#)); do
    case $1 in
    *) bench_common_arg "$1" || peers_args+=("$1") ;;
    esac
    shift
done
[[ -z $write_doc ]] && write_doc=$((quick ? 0 : 1))

common=()
((quick)) && common+=(--quick)
if ((write_doc)); then common+=(--write-doc); else common+=(--no-doc); fi

# Where the figures and plots go: docs/ when writing the doc (peers.sh's
# and plots.sh's defaults), else a temp dir that is kept.
tsv_arg=()
plot_args=(--write-doc)
if ((!write_doc)); then
    outdir=$(mktemp -d "${TMPDIR:-/tmp}/preforkd-run.XXXXXX")
    tsv_arg=(--tsv "$outdir/peers.tsv")
    plot_args=(--no-doc --tsv "$outdir/peers.tsv" --out "$outdir")
fi

est=$("$here/peers.sh" "${common[@]}" "${peers_args[@]+"${peers_args[@]}"}" --estimate) ||
    bench_die "peers.sh refused the options (see above)"
bench_log "run.sh: peers.sh will take about $((est / 60)) min $((est % 60)) s; chaos.sh, costs.sh and idle.sh more"

failed=()
declare -A took
# step NAME CMD...: run one step, note its time and whether it failed.
step() {
    local name=$1 t0=$SECONDS rc=0
    shift
    bench_log ""
    bench_log "=== run.sh: $name"
    "$@" || rc=$?
    took[$name]=$((SECONDS - t0))
    if ((rc != 0)); then
        bench_log "run.sh: $name failed (exit $rc)"
        failed+=("$name")
        return 1
    fi
}

peers_ok=1
step peers.sh "$here/peers.sh" "${common[@]}" "${tsv_arg[@]+"${tsv_arg[@]}"}" \
    "${peers_args[@]+"${peers_args[@]}"}" || peers_ok=0
# Close mode with the servers capped: only the peers that serve HTTP.
# shellcheck disable=SC2054 # the commas belong to peers.sh's lists
capped_args=(--servers preforkd,nginx,apache,fork --files 1k --modes close --protocols http
    --conc 16,64 --server-cpu 40)
((write_doc)) || capped_args+=(--tsv "$outdir/peers-capped.tsv")
if ((EUID == 0)) && [[ -d /sys/fs/cgroup/cpu || -f /sys/fs/cgroup/cgroup.controllers ]]; then
    step peers-capped "$here/peers.sh" "${common[@]}" "${capped_args[@]}" || true
else
    bench_log "run.sh: close mode with capped servers skipped (needs root and a cgroup CPU controller)"
fi
for s in chaos.sh costs.sh idle.sh; do
    if [[ -f $here/$s ]]; then
        extra=()
        # idle.sh's TSV and plot, without the doc: beside peers.sh's.
        [[ $s == idle.sh ]] && ((!write_doc)) &&
            extra=(--tsv "$outdir/idle.tsv" --plot "$outdir/idle-latency.png")
        step "$s" bash "$here/$s" "${common[@]}" "${extra[@]+"${extra[@]}"}" || true
    else
        bench_log "run.sh: $s not found: skipped"
    fi
done
if ((peers_ok)); then
    step plots.sh "$here/plots.sh" "${plot_args[@]}" || true
else
    bench_log "run.sh: no plots: peers.sh failed"
fi

bench_log ""
summary=""
for s in peers.sh peers-capped chaos.sh costs.sh idle.sh plots.sh; do
    [[ -v took[$s] ]] && summary+="${summary:+, }$s $((took[$s] / 60)) min $((took[$s] % 60)) s"
done
bench_log "run.sh: took $((SECONDS / 60)) min $((SECONDS % 60)) s ($summary)"
((write_doc)) || bench_log "run.sh: figures and plots in $outdir"
if ((${#failed[@]})); then
    bench_die "failed: ${failed[*]}"
fi
