#!/usr/bin/env python3
"""keeper_kill.py: kill -9 of the keeper, as clients see it.

Starts preforkd (http, 2 workers, keepalive_timeout 30 s) on 127.0.0.1
with a port the kernel picks, in a temporary folder, and:
  curl      two requests on one curl command, 5 s apart (--rate 12/m);
            the keeper is killed once the first one's connection is
            parked: does curl reuse the connection, retry, or fail?
  python    http.client.HTTPConnection: a request, the connection
            parked, the keeper killed, then the next request on the same
            object (and one more after that)
  bench     preforkbench in the open loop (4 connections, 2 requests/s
            in all: each connection is silent 2 s between requests, so
            parked), the keeper killed 3 s into an 8 s run
  respawn   --kills kills, --gap seconds apart: the time from the kill to
            the new keeper's pid among the master's children named
            preforkd-keeper in /proc (polled every millisecond)
Every wait is bounded; the server is stopped at the end. Reported as
plain lines on standard output.

Usage: tests/load/keeper_kill.py [--build DIR] [--what curl,python,bench,respawn]
                                 [--runs N] [--kills N] [--gap S]
"""
import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser(description="kill -9 of the keeper, as clients see it")
ap.add_argument("--build", default="build", help="build folder (default build)")
ap.add_argument("--what", default="curl,python,bench,respawn")
ap.add_argument("--runs", type=int, default=3, help="runs of each client (default 3)")
ap.add_argument("--kills", type=int, default=20, help="kills timed (default 20)")
ap.add_argument("--gap", type=float, default=2.5, help="seconds between timed kills (default 2.5)")
o = ap.parse_args()
preforkd = os.path.abspath(o.build + "/server/preforkd")
bench = os.path.abspath(o.build + "/tools/preforkbench/preforkbench")

d = tempfile.mkdtemp(prefix="keeper-kill.")
os.mkdir(d + "/www")
with open(d + "/www/hello.txt", "w") as f:
    f.write("hello\n")
with open(d + "/pf.conf", "w") as f:
    f.write('listen = "127.0.0.1:0";\n'
            'protocol = "http";\n'
            'workers = { start = 2; max = 8; };\n'
            'http = { root = "www"; keepalive_timeout = 30; access_log = ""; };\n'
            'daemon = { error_log = "error.log"; pidfile = "preforkd.pid"; '
            'user = "nobody"; group = "nogroup"; };\n')
log = d + "/error.log"
srv = subprocess.Popen(["timeout", "900", preforkd, "-c", d + "/pf.conf"], cwd=d)


def wait(cond, limit=5.0):
    """cond() polled every millisecond until true, for at most limit s."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.001)
    raise SystemExit(f"timed out after {limit} s (folder {d})")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


PORT = int(wait(lambda: re.search(r"listening on 127\.0\.0\.1:(\d+)", read(log)))[1])
wait(lambda: "ready:" in read(log))
MASTER = int(read(d + "/preforkd.pid"))
URL = f"http://127.0.0.1:{PORT}/hello.txt"


def keeper():
    """The keeper's pid (the master's child named preforkd-keeper), or 0."""
    for k in read(f"/proc/{MASTER}/task/{MASTER}/children").split():
        if read(f"/proc/{k}/comm").strip() == "preforkd-keeper":
            return int(k)
    return 0


def tcp_rows():
    """(local port, remote port, state, inode) of each IPv4 TCP socket."""
    rows = []
    for line in read("/proc/net/tcp").splitlines()[1:]:
        f = line.split()
        rows.append((int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16), f[3], f[9]))
    return rows


def held_by_keeper(client_port):
    """Does the keeper hold the server's end of the connection from client_port?"""
    k = keeper()
    inodes = [i for lp, rp, _, i in tcp_rows() if lp == PORT and rp == client_port]
    if not k or not inodes:
        return False
    want = f"socket:[{inodes[0]}]"
    for fd in os.listdir(f"/proc/{k}/fd"):
        try:
            if os.readlink(f"/proc/{k}/fd/{fd}") == want:
                return True
        except OSError:
            pass
    return False


def kill_keeper():
    """kill -9 the keeper; ms until another keeper runs, the old and new pids."""
    old = wait(keeper)
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    new = wait(lambda: (lambda k: k if k and k != old else 0)(keeper()), limit=120)
    return (time.monotonic() - t0) * 1000, old, new


print(f"preforkd {MASTER} on 127.0.0.1:{PORT}, folder {d}", flush=True)

if "curl" in o.what:
    for run in range(o.runs):
        p = subprocess.Popen(
            ["timeout", "30", "curl", "-sv", "--rate", "12/m", "-o", "/dev/null", "-o",
             "/dev/null", "-w", "http %{http_code}, new connections %{num_connects}, exit %{exitcode}\\n",
             URL, URL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # curl's connection (an established one to PORT) parked with the keeper
        wait(lambda: any(rp == PORT and st == "01" and held_by_keeper(lp)
                         for lp, rp, st, _ in tcp_rows()), limit=4)
        ms, old, new = kill_keeper()
        out, err = p.communicate(timeout=30)
        print(f"curl {run + 1}: keeper {old} killed while holding curl's connection "
              f"(another after {ms:.1f} ms); curl exit status {p.returncode}")
        for line in out.splitlines():
            print("  " + line)
        for line in err.splitlines():
            if re.search(r"Connected to|dead|Closing|retry|Empty reply|reset", line, re.I):
                print("  | " + line)

if "python" in o.what:
    for run in range(o.runs):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
        c.request("GET", "/hello.txt")
        c.getresponse().read()
        wait(lambda: held_by_keeper(c.sock.getsockname()[1]))
        ms, old, new = kill_keeper()
        time.sleep(0.2)
        seen = []
        for _ in range(2):
            try:
                c.request("GET", "/hello.txt")
                r = c.getresponse()
                r.read()
                seen.append(f"{r.status}")
            except Exception as e:  # what the caller of http.client sees
                seen.append(f"{type(e).__module__}.{type(e).__name__}: {e}")
        c.close()
        print(f"python {run + 1}: keeper killed while holding the connection (another after "
              f"{ms:.1f} ms); next request: {seen[0]}; the one after, same object: {seen[1]}",
              flush=True)

if "bench" in o.what:
    for run in range(o.runs):
        p = subprocess.Popen(
            ["timeout", "30", bench, "-p", "http", "-u", "/hello.txt", "-c", "4", "-R", "2",
             "-d", "8", "--json", "-", "-q", "--no-progress", f"127.0.0.1:{PORT}"],
            stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        ports = [lp for lp, rp, st, _ in tcp_rows() if rp == PORT and st == "01"]
        parked = sum(1 for lp in ports if held_by_keeper(lp))
        ms, old, new = kill_keeper()
        out, _ = p.communicate(timeout=30)
        j = json.loads(out)
        errors = {k: v for k, v in j["errors"].items() if v} or "none"
        print(f"preforkbench {run + 1}: keeper killed holding {parked} of its {len(ports)} "
              f"connections (another after {ms:.1f} ms); requests {j['requests']}, "
              f"ok {j['ok']}, failed {j['failed']} ({errors}), connects {j['connects']}",
              flush=True)

if "respawn" in o.what:
    times = []
    for i in range(o.kills):
        ms, old, new = kill_keeper()
        times.append(ms)
        print(f"kill {i + 1}: keeper {old}, then {new} after {ms:.1f} ms", flush=True)
        if i + 1 < o.kills:
            time.sleep(o.gap)
    print(f"{len(times)} kills, {o.gap} s apart: median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms")

os.kill(MASTER, signal.SIGQUIT)
srv.wait(timeout=60)
print("stopped; the log:", log)
