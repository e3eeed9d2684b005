#!/usr/bin/env python3
"""idle_clients.py: the clients of tests/load/idle.sh: many connections
held open and silent, slow request heads, and a probe that times fresh
requests meanwhile. One process, non-blocking sockets in one epoll set
(selectors), so that 10 000 connections need no thread; its descriptor
limit is raised to the hard limit first.

Subcommands (every one bounded in time; results as JSON on stdout):

  probe HOST PORT      PROBES fresh connections, one after another: connect,
                       GET PATH with Connection: close, read the whole
                       response, timed from just before connect() to its
                       last byte (time.perf_counter). A probe not done within
                       TIMEOUT s fails (timeout); after GIVE_UP timeouts in a
                       row the rest are not tried and count as failed
                       (not_tried)
  idle HOST PORT       N connections (at most WINDOW connecting at once),
                       each sends one GET PATH (keep-alive) and reads the
                       response, then stays open and silent. Once every one
                       is served, or nothing progressed for STALL s (a server
                       that serves a connection at a time stops there), or
                       SETUP s passed: SETTLE s more, then the probe, run as
                       a child process (probe above) while the connections
                       stay held. With --pss-pid PID, that process's Pss
                       (/proc/PID/smaps_rollup) and open descriptors are read
                       before the first connection and after SETTLE
  slowloris HOST PORT  K connections, each sending a request head one byte
                       every INTERVAL s and never finishing it; PROBE_AFTER s
                       after the start, the probe (as above). Each
                       connection ends when the server answers (its status
                       is counted: 408...) or closes or resets it; the
                       run ends when every connection ended and the probe is
                       done, or DURATION s after the start (once the probe
                       is done). Reports each outcome's count and when (seconds
                       after the connection's connect) the connections ended

Percentiles are nearest-rank over every probe, a failed one counting as
slower than any success: when the rank falls on a failed probe the value
is the string "fail" (the report prints "> TIMEOUT").
"""

import argparse
import collections
import errno
import json
import os
import re
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time

# The helpers chaos.sh's clients already have: Stop (raised on SIGTERM
# and SIGINT, whose handlers importing it installs), JSON out, the HTTP
# request and the reply's parse.
from ops_client import Stop, out, parse_reply, request_bytes

now = time.perf_counter


def raise_nofile():
    """The descriptor limit raised to the hard limit; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def rst_close(s):
    """Close with a reset (SO_LINGER 0): no TIME_WAIT left behind."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    s.close()


# ------------------------------------------------------------------ probe

def one_probe(host, port, path, timeout):
    """(outcome, seconds): outcome ok, timeout, connect, reset, closed,
    short or status; seconds from just before connect() to the response's
    last byte (ok only)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    t0 = now()
    deadline = t0 + timeout
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(request_bytes(path))
        while True:
            left = deadline - now()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if parse_reply(buf)[1]:
                break
        t1 = now()
    except socket.timeout:
        return "timeout", None
    except ConnectionRefusedError:
        return "connect", None
    except (ConnectionResetError, BrokenPipeError):
        return "reset", None
    except OSError:
        return "connect" if not buf else "reset", None
    finally:
        s.close()
    st, done = parse_reply(buf)
    if not buf:
        return "closed", None
    if st is None or (not done and st != -1):
        return "short", None
    if st != 200:
        return "status", None
    return "ok", t1 - t0


def rank(values_ms, failed, p):
    """Nearest-rank p-th percentile of values_ms plus failed probes, the
    failed counting as the slowest; "fail" when the rank is one of them,
    None when there is nothing."""
    n = len(values_ms) + failed
    if n == 0:
        return None
    k = max(1, -(-p * n // 100))  # ceil(p * n / 100)
    v = sorted(values_ms)
    return round(v[k - 1], 3) if k <= len(v) else "fail"


def run_probe(host, port, path, count, timeout, give_up):
    samples, kinds, in_a_row = [], collections.Counter(), 0
    for i in range(count):
        if give_up and in_a_row >= give_up:
            kinds["not_tried"] += count - i
            break
        outcome, secs = one_probe(host, port, path, timeout)
        if outcome == "ok":
            samples.append(secs * 1000.0)
            in_a_row = 0
        else:
            kinds[outcome] += 1
            in_a_row = in_a_row + 1 if outcome == "timeout" else 0
    failed = sum(kinds.values())
    return {"count": count, "ok": len(samples), "failed": failed,
            "kinds": dict(kinds), "timeout_s": timeout, "give_up": give_up,
            "samples_ms": [round(x, 3) for x in samples],
            "p50_ms": rank(samples, failed, 50), "p99_ms": rank(samples, failed, 99),
            "max_ms": rank(samples, failed, 100),
            "min_ms": round(min(samples), 3) if samples else None}


def cmd_probe(a):
    out(run_probe(a.host, a.port, a.path, a.probes, a.timeout, a.give_up))


class Prober:
    """The probe as a child process (its own interpreter, so that this
    process's loop over thousands of sockets does not share a lock with
    the timing), started by start() and polled by done()."""

    def __init__(self, a):
        self.a = a
        self.p = None
        self.result = None
        self.t_end = None

    def start(self):
        a = self.a
        if a.probes <= 0:
            self.result = {"count": 0}
            return
        argv = [sys.executable, os.path.abspath(__file__), "probe", a.host, str(a.port),
                "--probes", str(a.probes), "--timeout", str(a.timeout),
                "--give-up", str(a.give_up), "--path", a.path]
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE)
        # Bounded: every probe within its timeout, and a margin.
        self.t_end = now() + a.probes * (a.timeout + 1) + 10

    def done(self):
        if self.result is not None:
            return True
        if self.p is None:
            return False
        if self.p.poll() is None:
            if now() < self.t_end:
                return False
            self.p.kill()
            self.p.wait()
            self.result = {"count": self.a.probes, "error": "the probe did not end in time"}
            return True
        data = self.p.stdout.read()
        try:
            self.result = json.loads(data)
        except ValueError:
            self.result = {"count": self.a.probes,
                           "error": "the probe exited %d without a result" % self.p.returncode}
        return True

    def stop(self):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()


# -------------------------------------------------------------- /proc

def proc_mem(pid):
    """{"pss_kib", "private_kib", "fds"} of pid, or {} when unreadable."""
    res = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k == "Pss":
                    res["pss_kib"] = int(v.split()[0])
                elif k in ("Private_Dirty", "Private_Clean"):
                    res["private_kib"] = res.get("private_kib", 0) + int(v.split()[0])
        res["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError, IndexError):
        return {}
    return res


# ------------------------------------------------------------------- idle

class Conn:
    __slots__ = ("sock", "state", "buf", "t_open", "t_end")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.buf = b""
        self.t_open = now()
        self.t_end = None


def open_conn(sel, host, port, conns):
    """A non-blocking connect, registered for writability; None when the
    socket could not even be made (counted by the caller)."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return None
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    err = s.connect_ex((host, port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        return None
    c = Conn(s)
    conns[s.fileno()] = c
    sel.register(s, selectors.EVENT_WRITE, c)
    return c


def connected(c):
    """Whether the connect that made c writable succeeded."""
    return c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


def cmd_idle(a):
    limit = raise_nofile()
    res = {"conns": a.conns, "nofile": limit}
    if a.pss_pid:
        res["before"] = proc_mem(a.pss_pid)
    sel = selectors.DefaultSelector()
    conns = {}
    count = collections.Counter()
    req = request_bytes(a.path, close=False)
    prober = Prober(a)
    t0 = now()
    to_open = a.conns
    connecting = 0
    last_progress = t0

    def finish(c, state):
        nonlocal connecting
        if c.state == "connecting":
            connecting -= 1
        count[c.state] -= 1
        c.state = state
        count[state] += 1
        if state in ("served", "waiting"):
            return
        c.t_end = now()
        sel.unregister(c.sock)
        del conns[c.sock.fileno()]
        c.sock.close()

    def on_event(c):
        """A connection became writable (connecting) or readable."""
        if c.state == "connecting":
            if not connected(c):
                finish(c, "connect_failed")
                return
            try:
                c.sock.send(req)  # some 50 bytes: one send
            except OSError:
                finish(c, "reset")
                return
            finish(c, "waiting")
            sel.modify(c.sock, selectors.EVENT_READ, c)
            return
        try:
            data = c.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = None
        except BlockingIOError:
            return
        if c.state == "waiting":
            if not data:
                finish(c, "reset" if data is None else "closed")
                return
            c.buf += data
            st, done = parse_reply(c.buf)
            if done:
                c.buf = b""
                finish(c, "served" if st == 200 else "bad_status")
        else:
            # Served and silent: the server closed it (or sent bytes).
            finish(c, "closed_when_idle")

    def pump(timeout):
        nonlocal last_progress
        for key, _ in sel.select(timeout=timeout):
            on_event(key.data)
            last_progress = now()

    try:
        # Setup: every connection served, or no progress for STALL s.
        while True:
            while to_open > 0 and connecting < a.window:
                to_open -= 1
                if open_conn(sel, a.host, a.port, conns) is None:
                    count["socket_failed"] += 1
                    continue
                connecting += 1
                count["connecting"] += 1
                last_progress = now()
            if to_open == 0 and count["connecting"] == 0 and count["waiting"] == 0:
                break
            t = now()
            if t - last_progress >= a.stall or t - t0 >= a.setup:
                break
            pump(0.1)
        res["setup_s"] = round(now() - t0, 3)
        res["not_opened"] = to_open
        # Settle: the server parks what it parks, then the reading.
        t_settle = now() + a.settle
        while now() < t_settle:
            pump(max(0.0, min(0.1, t_settle - now())))
        res["at_probe"] = dict((k, v) for k, v in count.items() if v)
        if a.pss_pid:
            res["after"] = proc_mem(a.pss_pid)
        prober.start()
        while not prober.done():
            pump(0.05)
        res["at_end"] = dict((k, v) for k, v in count.items() if v)
    except Stop:
        res["error"] = "interrupted"
    finally:
        prober.stop()
        for c in list(conns.values()):
            sel.unregister(c.sock)
            rst_close(c.sock)
    res["probe"] = prober.result
    out(res)


# -------------------------------------------------------------- slowloris

def slow_bytes():
    """A request head that never ends: the request line, Host, then
    X-Slow lines (20 bytes each, so no line or head limit is reached)."""
    head = b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for b in head:
        yield bytes([b])
    while True:
        for b in b"X-Slow: aaaaaaaaaaa\r\n":
            yield bytes([b])


def cmd_slowloris(a):
    raise_nofile()
    sel = selectors.DefaultSelector()
    conns = {}
    count = collections.Counter()
    ended = collections.defaultdict(list)  # outcome -> seconds after connect
    sends = collections.deque()  # (time, conn), in time order
    streams = {}
    prober = Prober(a)
    t0 = now()
    to_open = a.conns
    connecting = 0
    probe_at = t0 + a.probe_after
    res = {"conns": a.conns, "interval_s": a.interval}

    def end(c, outcome):
        nonlocal connecting
        if c.state == "connecting":
            connecting -= 1
        count[c.state] -= 1
        c.state = "ended"
        count[outcome] += 1
        ended[outcome].append(now() - c.t_open)
        sel.unregister(c.sock)
        del conns[c.sock.fileno()]
        streams.pop(c, None)
        c.sock.close()

    def send_one(c):
        try:
            c.sock.send(next(streams[c]))
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            end(c, "reset")
            return
        except OSError:
            end(c, "reset")
            return
        sends.append((now() + a.interval, c))

    try:
        while True:
            while to_open > 0 and connecting < a.window:
                to_open -= 1
                c = open_conn(sel, a.host, a.port, conns)
                if c is None:
                    count["socket_failed"] += 1
                    continue
                connecting += 1
                count["connecting"] += 1
            t = now()
            if prober.p is None and prober.result is None and t >= probe_at:
                res["at_probe"] = dict((k, v) for k, v in count.items() if v)
                prober.start()
            probe_done = prober.done()
            if probe_done and (not conns and to_open == 0 or t - t0 >= a.duration):
                break
            wait = 0.05
            if sends:
                wait = max(0.0, min(wait, sends[0][0] - t))
            for key, _ in sel.select(timeout=wait):
                c = key.data
                if c.state == "ended":
                    continue
                if c.state == "connecting":
                    if not connected(c):
                        end(c, "connect_failed")
                        continue
                    connecting -= 1
                    count["connecting"] -= 1
                    c.state = "trickling"
                    count["trickling"] += 1
                    streams[c] = slow_bytes()
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                    send_one(c)
                    continue
                try:
                    data = c.sock.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    end(c, "reset")
                    continue
                except BlockingIOError:
                    continue
                if not data:
                    end(c, "closed")
                    continue
                m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
                end(c, m.group(1).decode() if m else "other")
            t = now()
            while sends and sends[0][0] <= t:
                _, c = sends.popleft()
                if c.state == "trickling":
                    send_one(c)
        res["run_s"] = round(now() - t0, 3)
    except Stop:
        res["error"] = "interrupted"
    finally:
        prober.stop()
        res["still_open"] = count["trickling"]
        res["still_connecting"] = count["connecting"] + to_open
        for c in list(conns.values()):
            sel.unregister(c.sock)
            rst_close(c.sock)
    res["outcomes"] = dict((k, v) for k, v in count.items()
                           if v and k not in ("connecting", "trickling", "ended"))
    res["ended_s"] = {k: {"min": round(min(v), 2), "median": round(statistics.median(v), 2),
                          "max": round(max(v), 2)} for k, v in ended.items()}
    res["probe"] = prober.result
    out(res)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="sub", required=True)

    def target(p):
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("--path", default="/1k.bin")

    def probing(p):
        p.add_argument("--probes", type=int, default=20)
        p.add_argument("--timeout", type=float, default=10.0)
        p.add_argument("--give-up", type=int, default=3)

    def holding(p):
        """idle and slowloris: CONNS connections, WINDOW connecting at once,
        and the probe."""
        target(p)
        probing(p)
        p.add_argument("--conns", type=int, required=True)
        p.add_argument("--window", type=int, default=200)

    p = sub.add_parser("probe")
    target(p)
    probing(p)
    p.set_defaults(fn=cmd_probe)

    p = sub.add_parser("idle")
    holding(p)
    p.add_argument("--stall", type=float, default=3.0)
    p.add_argument("--setup", type=float, default=60.0)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--pss-pid", type=int)
    p.set_defaults(fn=cmd_idle)

    p = sub.add_parser("slowloris")
    holding(p)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--probe-after", type=float, default=2.0)
    p.set_defaults(fn=cmd_slowloris)

    a = ap.parse_args()
    try:
        a.fn(a)
    except Stop:
        sys.exit(130)


if __name__ == "__main__":
    main()
