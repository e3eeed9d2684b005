#!/usr/bin/env bash
# Run the libFuzzer harnesses for a bounded time each.
#
#   tests/fuzz/run.sh SECONDS [HARNESS...]
#
# Runs each harness (all of them by default) for SECONDS seconds of
# fuzzing on a fresh copy of its seed corpus in a temporary folder, so the
# repository is never modified, with its dictionary, a 5 s limit per input,
# a 1024 MiB memory limit and leak detection. Prints one summary line per
# harness and exits non-zero when any of them crashed, leaked, timed out,
# ran out of memory or broke an invariant. The harnesses are looked for in
# build-fuzz/tests/fuzz (PF_FUZZ_BUILD=DIR for another build folder; see
# docs/reliability.md, "Fuzzing"). A failing harness's folder is kept: it
# holds the log and the input that failed (crash-*, leak-*, timeout-*,
# oom-*), which is what to add to the seed corpus once the bug is fixed.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
all="fuzz_http_parse fuzz_frame fuzz_control_cmd fuzz_config fuzz_http_path fuzz_handoff fuzz_notify_parse fuzz_config_text fuzz_proxy_parse fuzz_http_xff fuzz_http_log"

usage() {
    echo "usage: $0 SECONDS [HARNESS...]  (harnesses: $all)" >&2
    exit 2
}

# The value of "stat::NAME: VALUE" in a libFuzzer log, or "?".
final_stat() {
    local v
    v="$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)"
    echo "${v:-?}"
}

# The "cov: N" figure of the last log line with the given tag (INITED, DONE).
cov_at() {
    local v
    v="$(grep -E "#[0-9]+[[:space:]]+$1 " "$2" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
    echo "${v:-?}"
}

# What went wrong, read from the log and the exit status (0: nothing).
verdict() {
    local rc="$1" log="$2"
    if grep -q "invariant broken" "$log"; then echo "invariant"
    elif grep -q "ERROR: LeakSanitizer" "$log"; then echo "leak"
    elif grep -q "ERROR: libFuzzer: timeout" "$log"; then echo "timeout"
    elif grep -q "ERROR: libFuzzer: out-of-memory\|ERROR: libFuzzer: malloc" "$log"; then echo "oom"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "hang"
    elif grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: libFuzzer: deadly signal" "$log"; then echo "crash"
    elif [ "$rc" -ne 0 ]; then echo "failed (exit $rc)"
    else echo "ok"
    fi
}

# Fuzz one harness for $seconds; print its summary line; 0 when ok.
run_one() {
    local h="$1" bin="$2" tmp rc result dict=() log
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/pf_fuzz_${h}_XXXXXX")" || return 1
    mkdir "$tmp/corpus" "$tmp/artifacts"
    cp -R "$here/corpus/$h/." "$tmp/corpus/"
    [ -f "$here/dict/$h.dict" ] && dict=(-dict="$here/dict/$h.dict")
    log="$tmp/fuzz.log"
    # The outer timeout only guards against the fuzzer itself hanging
    # (-max_total_time is checked between inputs, -timeout bounds one).
    # TMPDIR: what a harness makes there (fuzz_config's folder) goes with
    # this run's folder, even when the harness dies without cleaning up.
    TMPDIR="$tmp" ASAN_OPTIONS="detect_leaks=1" \
    LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        timeout --kill-after=10 $((seconds + 120)) "$bin" \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$tmp/artifacts/" "${dict[@]}" "$tmp/corpus" >"$log" 2>&1
    rc=$?
    result="$(verdict "$rc" "$log")"
    printf '%-17s %5ss  execs %-10s exec/s %-7s corpus %-5s new units %-5s cov %s->%s  %s\n' \
        "$h" "$seconds" "$(final_stat number_of_executed_units "$log")" \
        "$(final_stat average_exec_per_sec "$log")" "$(find "$tmp/corpus" -type f | wc -l)" \
        "$(final_stat new_units_added "$log")" "$(cov_at INITED "$log")" \
        "$(cov_at DONE "$log")" "$result"
    if [ "$result" != "ok" ]; then
        echo "  $h: log and failing input kept in $tmp; the log ends with:" >&2
        tail -n 30 "$log" | sed 's/^/    /' >&2
        return 1
    fi
    rm -rf "$tmp"
}

[ $# -ge 1 ] || usage
seconds="$1"
shift
case "$seconds" in '' | *[!0-9]*) usage ;; esac
[ "$seconds" -ge 1 ] || usage
harnesses="${*:-$all}"
bindir="${PF_FUZZ_BUILD:-$root/build-fuzz}/tests/fuzz"

failed=0
for h in $harnesses; do
    case " $all " in *" $h "*) ;; *) echo "$0: unknown harness $h (have: $all)" >&2; exit 2 ;; esac
    if [ ! -x "$bindir/$h" ]; then
        echo "$0: $bindir/$h not built (CC=clang cmake -S . -B build-fuzz -DPF_FUZZ=ON && cmake --build build-fuzz --target fuzz)" >&2
        exit 2
    fi
done
total=0
for h in $harnesses; do
    total=$((total + 1))
    run_one "$h" "$bindir/$h" || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: $failed of $total harness(es) failed" >&2
    exit 1
fi
echo "fuzz: all $total harness(es) ok"
