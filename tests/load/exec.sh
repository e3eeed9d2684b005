#!/usr/bin/env bash
# exec.sh: what preforkd costs a program it runs as exec workers, and what
# its clients see through reloads (issue 15's load figures).
#
# Usage: tests/load/exec.sh [options]
#   --duration SEC   seconds per throughput run (default 8), and the
#                    reload runs last 22 s whatever it says
#   --build DIR      the CMake build dir (default build)
#   --keep           keep the temp dir (configs, logs, raw JSON)
#   -h, --help       this text
#
# The program is examples/python/echo_worker.py (Python's standard library,
# the blocking accept loop plus sd_notify). It serves one connection at a
# time until the client closes it, so the load opens as many connections
# as there are workers (one for the program alone): preforkbench in a
# closed loop, echo protocol, 64-byte messages, 1 thread, on 127.0.0.1;
# the servers on CPU 1, preforkbench on CPU 0. The reload runs use 4
# connections on 4 workers.
#  1. The same program alone (systemd-socket-activate passes it the socket
#     on fd 3, as preforkd does), then under preforkd with 1, 2, 4 and 8
#     workers: requests/s and p99, and the ratio to the program alone.
#  2. 22 s of load on 4 workers with 10 reloads (SIGHUP every 1.5 s):
#     requests failed.
#  3. 22 s of load on 4 workers and one reload to a broken program (it
#     exits at once): the reload is rolled back; requests failed.
# Prints a Markdown report. Needs python3, systemd-socket-activate
# (package systemd) and the built preforkd and preforkbench.
# shellcheck source=tests/load/preamble.sh
. "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"

duration=8
build=build
BENCH_KEEP=0
while (($#)); do
    case $1 in
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --build) build=${2:?--build needs a folder}; shift ;;
    --keep) BENCH_KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) bench_die "unknown option $1 (see --help)" ;;
    esac
    shift
done

pf=$BENCH_REPO/$build/server/preforkd
pb=$BENCH_REPO/$build/tools/preforkbench/preforkbench
prog=$BENCH_REPO/examples/python/echo_worker.py
py=/usr/bin/python3
for x in "$pf" "$pb" "$py" /usr/bin/systemd-socket-activate; do
    [[ -x $x ]] || bench_die "missing: $x"
done
tmp=$(mktemp -d /tmp/preforkd-exec.XXXXXX)
cleanup() {
    pkill -P $$ 2>/dev/null || true
    ((BENCH_KEEP)) || rm -rf "$tmp"
}
trap cleanup EXIT

# free_port: a port the kernel has just given and released (loopback).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: until something accepts there (10 s at most).
wait_port() {
    for _ in $(seq 200); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
        sleep 0.05
    done
    bench_die "nothing listens on port $1"
}

# bench PORT SECONDS OUT CONNS: preforkbench's JSON summary into OUT.
bench() {
    taskset -c 0 "$pb" -p echo -s 64 -c "$4" -t 1 -d "$2" -T 5 -q --no-progress --json "$3" \
        "127.0.0.1:$1" >/dev/null 2>&1 || true
}

# figures OUT: "requests/s p99-ms ok failed" from a summary.
figures() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("%.0f %.2f %d %d" % (d.get("rps", d.get("requests_per_s", 0)), d["latency_us"]["p99"] / 1000.0,
                           d["ok"], d["failed"]))
PY
}

# start_pf PORT WORKERS: preforkd from the command line, in the background.
start_pf() {
    taskset -c 1 "$pf" -w "$2" -l "127.0.0.1:$1" -u root --notify -- "$py" "$prog" \
        >"$tmp/pf-$2.log" 2>&1 &
    echo $!
}

echo "## exec workers: the Python example under preforkd"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`tests/load/exec.sh --duration $duration\`; $(nproc) CPUs; preforkbench echo, as many connections as workers, 64 B, closed loop."
echo
echo "| server | workers (= connections) | requests/s | p99 (ms) | failed | ratio to alone |"
echo "|---|---:|---:|---:|---:|---:|"
port=$(free_port)
taskset -c 1 systemd-socket-activate -l "127.0.0.1:$port" "$py" "$prog" >"$tmp/alone.log" 2>&1 &
alone_pid=$!
wait_port "$port"
bench "$port" "$duration" "$tmp/alone.json" 1
kill "$alone_pid" 2>/dev/null || true
wait "$alone_pid" 2>/dev/null || true
read -r alone_rps alone_p99 _ alone_failed < <(figures "$tmp/alone.json")
echo "| the program alone (systemd-socket-activate) | 1 | $alone_rps | $alone_p99 | $alone_failed | 1.00 |"
for w in 1 2 4 8; do
    port=$(free_port)
    pid=$(start_pf "$port" "$w")
    wait_port "$port"
    sleep 1 # every worker started (its READY=1 is logged)
    bench "$port" "$duration" "$tmp/pf-$w.json" "$w"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    read -r rps p99 _ failed < <(figures "$tmp/pf-$w.json")
    echo "| preforkd | $w | $rps | $p99 | $failed | $(awk -v a="$rps" -v b="$alone_rps" 'BEGIN { printf "%.2f", a / b }') |"
done

# reload runs: a configuration file (a reload reads one)
conf() { # conf PORT COMMAND-LIST
    cat >"$tmp/exec.conf" <<EOF
listen = "127.0.0.1:$1";
protocol = "exec";
workers = { start = 4; max = 16; };
exec = { command = [$2]; ready = "notify"; ready_timeout = 5; };
daemon = { user = "root"; };
EOF
}
echo
echo "| 22 s of load on 4 workers | actions | requests ok | failed | what the log says |"
echo "|---|---|---:|---:|---|"
for run in reloads broken; do
    port=$(free_port)
    conf "$port" "\"$py\", \"$prog\""
    taskset -c 1 "$pf" -c "$tmp/exec.conf" >"$tmp/$run.log" 2>&1 &
    pid=$!
    wait_port "$port"
    sleep 1
    bench "$port" 22 "$tmp/$run.json" 4 &
    bpid=$!
    sleep 2
    if [[ $run == reloads ]]; then
        for _ in $(seq 10); do kill -HUP "$pid"; sleep 1.5; done
        what="$(grep -c 'is serving; older workers were told to stop' "$tmp/$run.log") roll-overs completed"
        actions="SIGHUP ×10"
    else
        conf "$port" '"/bin/sh", "-c", "echo cannot start >&2; exit 3"'
        kill -HUP "$pid"
        actions="SIGHUP ×1 to a broken program"
        sleep 8
        what=$(grep -o 'reload to generation [0-9]* rolled back[^;]*' "$tmp/$run.log" | head -1)
    fi
    wait "$bpid" || true
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    read -r _ _ ok failed < <(figures "$tmp/$run.json")
    echo "| $run | $actions | $ok | $failed | ${what:-—} |"
done
