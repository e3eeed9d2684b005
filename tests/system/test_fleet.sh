#!/bin/sh
# test_fleet: three preforkd instances behind HAProxy on loopback, as a
# fleet runs them: HAProxy checks each instance's status listener
# (GET /health) every 200 ms, and preforkbench sends requests through
# HAProxy the whole time, over keep-alive connections and over a new
# connection per request, while each instance in turn is restarted (a
# graceful stop with SIGQUIT, then a new start) and upgraded in place
# (SIGUSR2). Every request must succeed. The figures are printed, for
# docs/operations.md ("More than one machine").
#
# Choices: HAProxy retries only what it retries by default (a connection
# refused or not made: retries 3, option redispatch), no retry-on of
# requests already sent, so that a request preforkd drops fails here
# instead of being hidden by the balancer. The load is an open loop at
# fixed rates (what a fleet sees: clients that do not slow down while an
# instance restarts), low enough to leave CPU to the health checks on a
# two-CPU machine. Each instance sets status.drain_delay above what
# HAProxy needs to see it down (fall x inter); PF_FLEET_NO_DRAIN=1 leaves
# it out, to see what it is for (requests refused and reset while HAProxy
# still sends to a stopping instance).
#
#   sh test_fleet.sh PREFORKD PREFORKBENCH
#
# Exits 77 (skipped) when haproxy is not installed (tools/deps.sh
# installs it) or cannot run here.
set -u
. "${0%/*}/lib.sh"

[ $# -eq 2 ] || { echo "usage: sh $0 PREFORKD PREFORKBENCH" >&2; exit 2; }
PREFORKD=$1
BENCH=$2
N=3
# What HAProxy is told, and what preforkd must cover: a check every
# INTER, a server out after FALL failed checks. DRAIN, preforkd's
# status.drain_delay, is longer than FALL checks plus one check's time.
INTER_MS=200
FALL=2
DRAIN=1
DRAIN_SETTING="drain_delay = $DRAIN;"
[ "${PF_FLEET_NO_DRAIN:-}" = 1 ] && DRAIN_SETTING=
# Open-loop rates (requests/s): high enough that a stop without a drain
# loses requests in most runs (at 400 and 200, in one run of six), low
# enough that the health checks are not starved of CPU on two CPUs.
RATE_KA=1200
RATE_CLOSE=400

HAPROXY=$(command -v haproxy 2>/dev/null || true)
for _h in /usr/sbin/haproxy /usr/local/sbin/haproxy; do
    [ -n "$HAPROXY" ] || { [ -x "$_h" ] && HAPROXY=$_h; }
done
if [ -z "$HAPROXY" ]; then
    note "SKIP: haproxy is not installed (sh tools/deps.sh installs it)"
    exit 77
fi
if ! "$HAPROXY" -v >/dev/null 2>&1; then
    note "SKIP: $HAPROXY does not run here"
    exit 77
fi
t_need_curl
command -v python3 >/dev/null 2>&1 || fail "python3 is missing (sh tools/deps.sh installs it)"
t_setup
t_site "$T/www"

# inst_conf I PORT STATUS_PORT: instance I's configuration.
inst_conf() {
    _d=$T/i$1
    cat >"$_d/preforkd.conf" <<EOF
listen = "127.0.0.1:$2";
workers = { start = 3; graceful_timeout = 5; stop_timeout = 2; };
http = { root = "$T/www"; mime_types = ""; access_log = ""; };
control = { listen = ""; };
status = { listen = "127.0.0.1:$3"; metrics_token = false; $DRAIN_SETTING };
daemon = {
  error_log = "$_d/error.log";
  log_level = "info";
  pidfile = "$_d/preforkd.pid";
  user = "$T_USER";
};
EOF
}

# inst_start I: start instance I detached (preforkd -d returns once its
# workers accept) and wait until its /health says ok. While an instance
# is down its ports are free, and a connection HAProxy or preforkbench
# opens meanwhile may get one as its own (ephemeral) port: then the start
# says "Address already in use" and is tried again, for up to 10 s.
inst_start() {
    _d=$T/i$1
    _tries=0
    until "$PREFORKD" -d -c "$_d/preforkd.conf" >"$_d/start.out" 2>&1; do
        _tries=$((_tries + 1))
        if ! grep -q "Address already in use" "$_d/start.out" || [ "$_tries" -ge 50 ]; then
            fail "instance $1 did not start: $(cat "$_d/start.out")"
        fi
        sleep 0.2
    done
    _sp=$(t_port_of "$_d/error.log" "status listener on")
    [ -n "$_sp" ] || fail "instance $1: no \"status listener on\" line in its log"
    wait_until 10 health_ok "$_sp" || fail "instance $1: /health on port $_sp is not 200"
}

health_ok() { [ "$(t_get "$1" /health)" = 200 ]; }

inst_pid() { cat "$T/i$1/preforkd.pid" 2>/dev/null; }

# hap_state I: HAProxy's view of instance I ("UP", "DOWN", "UP 1/2"...),
# from its stats socket.
hap_state() {
    python3 - "$T/haproxy.sock" "web$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
try:
    s.connect(sys.argv[1])
    s.sendall(b"show stat\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    sys.exit(0)
for line in data.decode().splitlines():
    f = line.split(",")
    if len(f) > 17 and f[0] == "fleet" and f[1] == sys.argv[2]:
        print(f[17])
PY
}

hap_up() { [ "$(hap_state "$1")" = UP ]; }

# A free TCP port for HAProxy's frontend (HAProxy cannot report a port the
# kernel chose): picked by binding port 0, then released. Another program
# may take it meanwhile; the start is retried with another one.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

note "starting $N instances"
i=1
while [ "$i" -le "$N" ]; do
    mkdir "$T/i$i" || fail "mkdir"
    inst_conf "$i" 0 0
    inst_start "$i"
    # From now on the instance comes back on the ports it was given.
    _p=$(t_port "$T/i$i/error.log")
    _sp=$(t_port_of "$T/i$i/error.log" "status listener on")
    [ -n "$_p" ] || fail "instance $i: no \"listening on\" line"
    inst_conf "$i" "$_p" "$_sp"
    eval "PORT$i=\$_p STATUS$i=\$_sp"
    i=$((i + 1))
done

hap_conf() { # FRONTEND_PORT
    cat >"$T/haproxy.cfg" <<EOF
global
    stats socket $T/haproxy.sock mode 600 level admin
    log stderr format short local0 notice
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    option log-separate-errors
    timeout connect 1s
    timeout client 10s
    timeout server 5s
    timeout check 1s
    retries 3
    option redispatch 1
frontend fleet_in
    bind 127.0.0.1:$1
    default_backend fleet
backend fleet
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host preforkd
    http-check expect status 200
    default-server inter ${INTER_MS}ms fall $FALL rise 2
    server web1 127.0.0.1:$PORT1 check port $STATUS1
    server web2 127.0.0.1:$PORT2 check port $STATUS2
    server web3 127.0.0.1:$PORT3 check port $STATUS3
EOF
}

# hap_answers PORT: HAProxy answers there (200, or 503 before a check passed).
hap_answers() { [ "$(t_get "$1" /hello.txt)" != 000 ]; }

note "starting haproxy"
HPID=
for _try in 1 2 3 4 5; do
    FPORT=$(free_port)
    hap_conf "$FPORT"
    "$HAPROXY" -c -q -f "$T/haproxy.cfg" >"$T/haproxy-check.out" 2>&1 ||
        fail "haproxy -c: $(cat "$T/haproxy-check.out")"
    "$HAPROXY" -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
    HPID=$!
    wait_until 5 hap_answers "$FPORT" && break
    t_alive "$HPID" && fail "haproxy runs but does not answer on port $FPORT"
    note "haproxy could not start on port $FPORT, another try: $(tail -n 1 "$T/haproxy.log")"
    HPID=
done
[ -n "$HPID" ] || fail "haproxy did not start"

i=1
while [ "$i" -le "$N" ]; do
    wait_until 10 hap_up "$i" || fail "haproxy does not see web$i UP ($(hap_state "$i"))"
    i=$((i + 1))
done
[ "$(t_get "$FPORT" /hello.txt)" = 200 ] || fail "GET through haproxy failed"

note "load through haproxy: keep-alive at $RATE_KA req/s, a connection per request at $RATE_CLOSE req/s"
"$BENCH" -c 16 -R "$RATE_KA" -d 600 -T 5 -q --no-progress --csv "$T/bench-ka.csv" --json "$T/bench-ka.json" \
    -u /hello.txt "127.0.0.1:$FPORT" >"$T/bench-ka.out" 2>&1 &
BKA=$!
"$BENCH" -c 8 -R "$RATE_CLOSE" --close -d 600 -T 5 -q --no-progress --csv "$T/bench-close.csv" --json "$T/bench-close.json" \
    -u /hello.txt "127.0.0.1:$FPORT" >"$T/bench-close.out" 2>&1 &
BCL=$!
START=$(date +%s)
# step TEXT: a note with the seconds since the load began (the row of the
# --csv series where its failures, if any, would be).
step() { note "+$(($(date +%s) - START)) s: $*"; }

i=1
while [ "$i" -le "$N" ]; do
    OLD=$(inst_pid "$i")
    step "web$i: graceful stop (SIGQUIT to $OLD), then a new start"
    kill -QUIT "$OLD" || fail "kill -QUIT $OLD"
    wait_until 15 t_gone "$OLD" || fail "web$i: master $OLD still running 15 s after SIGQUIT"
    inst_start "$i"
    wait_until 10 hap_up "$i" || fail "haproxy does not see web$i UP again ($(hap_state "$i"))"

    OLD=$(inst_pid "$i")
    step "web$i: binary upgrade (SIGUSR2 to $OLD)"
    kill -USR2 "$OLD" || fail "kill -USR2 $OLD"
    wait_until 15 t_gone "$OLD" || fail "web$i: the old master $OLD is still running"
    NEW=$(inst_pid "$i")
    [ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && t_alive "$NEW" ||
        fail "web$i: no new master after the upgrade (pidfile: \"$NEW\")"
    health_ok "$(t_port_of "$T/i$i/error.log" "status listener on")" || fail "web$i: /health not ok after the upgrade"
    wait_until 10 hap_up "$i" || fail "haproxy does not see web$i UP after the upgrade"
    i=$((i + 1))
done
# A last moment of load with all three back.
sleep 1
SECS=$(($(date +%s) - START))

kill -INT "$BKA" "$BCL"
wait "$BKA"
wait "$BCL"

# report NAME FILE: print the figures; 1 unless every request was ok.
report() {
    python3 - "$1" "$2" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
lat = r["latency_us"]
print("test_fleet: %-10s requests %d  ok %d  failed %d  %.1f req/s  p50 %.2f ms  p99 %.2f ms  max %.2f ms  errors %s"
      % (name, r["requests"], r["ok"], r["failed"], r["rps"], lat["p50"] / 1000,
         lat["p99"] / 1000, lat["max"] / 1000,
         " ".join("%s=%d" % kv for kv in r["errors"].items())))
ok = r["requests"] > 0 and r["failed"] == 0
if not ok:  # the seconds where requests failed, against the steps' times
    import csv
    for row in csv.DictReader(open(path[:-len(".json")] + ".csv")):
        if int(row["failed"]) > 0:
            print("test_fleet: %s: second %s: %s failed" % (name, row["second"], row["failed"]))
sys.exit(0 if ok else 1)
PY
}
note "$N restarts and $N upgrades in ${SECS} s"
BAD=
report keep-alive "$T/bench-ka.json" || BAD="$BAD keep-alive"
report close "$T/bench-close.json" || BAD="$BAD close"
[ -z "$BAD" ] || fail "requests failed or none made:$BAD (see above)"

# No process of an instance ended abnormally meanwhile (a crash, or a
# sanitizer's abort in a sanitizer build, would be served around by the
# others and HAProxy, unseen by the load).
i=1
while [ "$i" -le "$N" ]; do
    if grep -E "killed by signal|exited with status [1-9]" "$T/i$i/error.log"; then
        fail "web$i: a process ended abnormally (above)"
    fi
    i=$((i + 1))
done

kill -TERM "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
note "ok"
exit 0
