#!/usr/bin/env python3
"""ops_client.py: the small clients and probes of tests/load/chaos.sh and
tests/load/costs.sh, where the shell is too coarse (sub-millisecond timing,
many sockets at once, JSON).

Subcommands (every one bounded in time; results as JSON on stdout):

  slowloris HOST PORT      K connections that send a request head one byte
                           per interval, reconnecting when the server drops
                           them, for a fixed duration
  drain HOST PORT          graceful stop with a full listen queue: holders
                           occupy the workers, queued connections wait behind
                           them, a signal is sent to the server, and every
                           queued connection is classified (reply or not)
  replace HOST PORT        time from kill -9 of the only worker to the reply
                           of a request sent right after the kill
  startup -- CMD...        spawn a server, time from exec to all workers ready
  jget FILE KEY...         print fields of a JSON file (a.b.c) on one line
  pick idle|busy           choose a worker (preforkctl's `workers` JSON on
                           stdin, or a master's children by the connections
                           they hold), count its connections, kill it
  ctl ADDR TOKENFILE CMD   one control-channel command, its JSON reply
  workers MASTERPID        the worker pids of a master, with what each waits in
  ctlflood ADDR TOKENFILE  N status requests to the control channel (half on
                           one connection, half on a new one each), the
                           master's memory before and after
  respawns HOST PORT       N echo clients of a server with max_requests = 1
                           (each worker replaced after one), the master's
                           memory before and after

Times come from time.monotonic() (CLOCK_MONOTONIC, nanosecond resolution
on Linux); the figures are printed in milliseconds with 3 decimals.
"""

import argparse
import json
import os
import platform
import re
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time


class Stop(Exception):
    """SIGTERM/SIGINT: unwind and clean up."""


def _on_signal(signum, _frame):
    raise Stop(signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def now():
    return time.monotonic()


def ms(seconds):
    return round(seconds * 1000.0, 3)


def pct(values, p):
    """The p-th percentile (nearest rank) of values; None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def out(obj):
    json.dump(obj, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    sys.stdout.flush()


# --------------------------------------------------------------- processes

def children(ppid):
    """Pids whose parent is ppid (from /proc/PID/stat), zombies excluded."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                st = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces; split after ')'.
        rest = st[st.rfind(")") + 2:].split()
        if len(rest) >= 2 and rest[1] == str(ppid) and rest[0] != "Z":
            kids.append(int(name))
    return sorted(kids)


# System calls a worker sleeps in while it waits for a connection.
_WAIT_SYSCALLS = {
    # x86_64: poll, accept, futex, epoll_wait, ppoll, epoll_pwait,
    # accept4, semtimedop, semop, epoll_pwait2, fcntl (F_SETLKW),
    # select, pselect6, nanosleep, clock_nanosleep
    "x86_64": {7, 43, 202, 232, 271, 281, 288, 220, 65, 441, 72, 23, 270},
    # aarch64 (generic table): ppoll, accept, futex, epoll_pwait, accept4,
    # semtimedop, semop, epoll_pwait2, fcntl, pselect6
    "aarch64": {73, 202, 98, 22, 242, 192, 193, 441, 25, 72},
}.get(platform.machine(), set())


def waiting(pid):
    """True when pid sleeps in one of the calls a worker waits in."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            first = f.read().split()
    except OSError:
        return False
    if not first or first[0] in ("running", "-1"):
        return False
    try:
        return int(first[0]) in _WAIT_SYSCALLS
    except ValueError:
        return False


def cmd_workers(a):
    kids = children(a.master)
    out({"workers": kids, "waiting": [p for p in kids if waiting(p)]})


# ------------------------------------------------------------------- http

def parse_reply(buf):
    """(status, complete) of an HTTP/1.x reply in buf; status None when the
    head is not complete; complete when the body announced arrived."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, False
    head = buf[:end].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", head)
    if not m:
        return -1, True
    status = int(m.group(1))
    cl = re.search(r"(?im)^content-length:\s*(\d+)\s*$", head)
    if cl:
        return status, len(buf) - (end + 4) >= int(cl.group(1))
    return status, False  # body until close


def request_bytes(path, close=True):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
            % (path, "Connection: close\r\n" if close else "")).encode()


def one_request(host, port, path, timeout):
    """Connect, GET path with Connection: close, read the whole reply.
    Returns (outcome, status): outcome ok|reset|closed|short|timeout|connect."""
    deadline = now() + timeout
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return "connect", None
    buf = b""
    try:
        s.settimeout(max(0.001, deadline - now()))
        s.sendall(request_bytes(path))
        while True:
            s.settimeout(max(0.001, deadline - now()))
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            st, done = parse_reply(buf)
            if done:
                break
    except socket.timeout:
        return "timeout", None
    except (ConnectionResetError, BrokenPipeError):
        return "reset", None
    finally:
        s.close()
    st, done = parse_reply(buf)
    if not buf:
        return "closed", None
    if st is None or not done and st != -1:
        return "short", st
    return "ok", st


# -------------------------------------------------------------- slowloris

def cmd_slowloris(a):
    """K connections, each sending a request head one byte per interval,
    endlessly (a header line every 20 bytes, so no line or head limit is
    reached within the run); a connection the server closes is counted and
    replaced at once. Bounded by --duration."""
    head = b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    pad = b"X-Slow: aaaaaaaaaaaa\r\n"

    def stream(i):
        n = 0
        while True:
            data = head if n == 0 else pad
            for b in data:
                yield bytes([b])
            n += 1

    sel = selectors.DefaultSelector()
    conns = {}  # sock -> [stream, opened_at, next_send]
    stats = {"opened": 0, "dropped": 0, "connect_failed": 0, "replies": {},
             "held_ms": [], "bytes_sent": 0}
    t_end = now() + a.duration

    def open_one():
        try:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((a.host, a.port))
        except OSError:
            stats["connect_failed"] += 1
            return
        conns[s] = [stream(0), now(), now()]
        sel.register(s, selectors.EVENT_READ)
        stats["opened"] += 1

    def drop(s, reply=None):
        st = conns.pop(s)
        sel.unregister(s)
        s.close()
        stats["dropped"] += 1
        stats["held_ms"].append(ms(now() - st[1]))
        if reply:
            stats["replies"][reply] = stats["replies"].get(reply, 0) + 1

    for _ in range(a.conns):
        open_one()
    try:
        while now() < t_end:
            t = now()
            for s, st in list(conns.items()):
                if st[2] <= t:
                    try:
                        stats["bytes_sent"] += s.send(next(st[0]))
                    except BlockingIOError:
                        pass
                    except OSError:
                        drop(s)
                        continue
                    st[2] = t + a.interval
            wait = min([st[2] for st in conns.values()] + [t_end]) - now()
            for key, _ in sel.select(timeout=max(0.0, min(wait, 0.2))):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                m = re.match(rb"HTTP/1\.[01] (\d{3})", data or b"")
                drop(s, m.group(1).decode() if m else None)
            while len(conns) < a.conns and now() < t_end:
                open_one()
    except Stop:
        pass
    finally:
        for s in list(conns):
            sel.unregister(s)
            s.close()
    held = stats.pop("held_ms")
    stats["held_ms_median"] = statistics.median(held) if held else None
    stats["held_ms_max"] = max(held) if held else None
    stats["conns"] = a.conns
    stats["interval_s"] = a.interval
    out(stats)


# ------------------------------------------------------------------ drain

def listen_queue(port):
    """Connections in the accept queue of the socket listening on port
    (rx_queue of its /proc/net/tcp line), or None."""
    try:
        with open("/proc/net/tcp") as f:
            lines = f.readlines()[1:]
    except OSError:
        return None
    for line in lines:
        p = line.split()
        local, state, queues = p[1], p[3], p[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            return int(queues.split(":")[1], 16)
    return None


def cmd_drain(a):
    """Holders occupy the workers with an unfinished request head; queued
    connections, each with a complete request, wait behind them; then the
    stop signal; the holders finish their request --hold seconds later;
    every connection's outcome is collected until --timeout."""
    sel = selectors.DefaultSelector()
    conns = []  # dicts: sock, role, buf, outcome

    def connect(role):
        s = socket.socket()
        s.setblocking(False)
        r = s.connect_ex((a.host, a.port))
        c = {"sock": s, "role": role, "buf": b"", "outcome": None}
        if r not in (0, 115):  # EINPROGRESS
            c["outcome"] = "connect"
            s.close()
        else:
            sel.register(s, selectors.EVENT_READ, c)
        conns.append(c)
        return c

    def send(c, data):
        if c["outcome"]:
            return
        try:
            c["sock"].sendall(data)
        except BlockingIOError:
            pass
        except OSError:
            finish(c, "reset")

    def finish(c, outcome):
        if c["outcome"]:
            return
        c["outcome"] = outcome
        try:
            sel.unregister(c["sock"])
        except (KeyError, ValueError):
            pass
        c["sock"].close()

    def poll(until):
        while now() < until and any(not c["outcome"] for c in conns):
            for key, _ in sel.select(timeout=max(0.0, min(0.05, until - now()))):
                c = key.data
                try:
                    data = c["sock"].recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    finish(c, "reset")
                    continue
                except BlockingIOError:
                    continue
                except OSError:
                    finish(c, "reset")
                    continue
                if not data:
                    st, done = parse_reply(c["buf"])
                    if not c["buf"]:
                        finish(c, "closed")
                    elif st is None or not done:
                        finish(c, "short")
                    else:
                        finish(c, "ok" if 200 <= st < 400 else "status")
                    continue
                c["buf"] += data
                st, done = parse_reply(c["buf"])
                if done:
                    finish(c, "ok" if 200 <= st < 400 else "status")

    holders = [connect("holder") for _ in range(a.holders)]
    time.sleep(0.05)
    for c in holders:
        send(c, b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.3)  # let the workers accept the holders
    queued = [connect("queued") for _ in range(a.queued)]
    time.sleep(0.1)
    for c in queued:
        send(c, request_bytes("/1k.bin"))
    poll(now() + 0.5)  # an event server answers these now; a pool does not
    q_before = listen_queue(a.port)
    answered_before = sum(1 for c in queued if c["outcome"] == "ok")
    t_sig = now()
    try:
        os.kill(a.pid, getattr(signal, "SIG" + a.signal))
    except OSError as e:
        out({"error": "cannot signal %d: %s" % (a.pid, e)})
        return
    poll(now() + a.hold)
    for c in holders:
        send(c, b"Connection: close\r\n\r\n")
    poll(t_sig + a.timeout)
    for c in conns:
        if not c["outcome"]:
            finish(c, "timeout")
    res = {"holders": a.holders, "queued": a.queued,
           "listen_queue_at_signal": q_before,
           "queued_answered_before_signal": answered_before,
           "signal": a.signal, "hold_s": a.hold}
    for role in ("holder", "queued"):
        counts = {}
        for c in conns:
            if c["role"] == role:
                counts[c["outcome"]] = counts.get(c["outcome"], 0) + 1
        res[role + "_outcomes"] = counts
    res["elapsed_ms"] = ms(now() - t_sig)
    out(res)


# ---------------------------------------------------------------- replace

def cmd_replace(a):
    """Repeat: wait until the server has exactly one worker, older than
    --settle seconds, answering; kill -9 it and at once send a request
    (Connection: close) that waits in the listen queue; the time from the
    kill to the whole reply is the replacement time."""
    samples, base, errors = [], [], []
    for _ in range(a.runs):
        t_wait = now() + 10
        while True:
            kids = children(a.master)
            if len(kids) == 1 or now() > t_wait:
                break
            time.sleep(0.01)
        if len(kids) != 1:
            errors.append("expected one worker, found %d" % len(kids))
            break
        old = kids[0]
        t0 = now()
        outcome, st = one_request(a.host, a.port, a.path, a.timeout)
        if outcome == "ok":
            base.append(ms(now() - t0))
        time.sleep(a.settle)
        if children(a.master) != [old]:
            errors.append("the worker changed on its own")
            continue
        t0 = now()
        os.kill(old, signal.SIGKILL)
        outcome, st = one_request(a.host, a.port, a.path, a.timeout)
        t1 = now()
        if outcome != "ok" or st != 200:
            errors.append("%s %s" % (outcome, st))
            continue
        samples.append(ms(t1 - t0))
        # The reply must have come from a new worker: the old one is dead.
        try:
            with open("/proc/%d/stat" % old) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X"):
                errors.append("the killed worker still runs")
        except OSError:
            pass
    res = {"runs": a.runs, "samples_ms": samples, "baseline_ms": base,
           "errors": errors}
    if samples:
        res.update(median_ms=statistics.median(samples), p90_ms=pct(samples, 90),
                   max_ms=max(samples), min_ms=min(samples))
    if base:
        res["baseline_median_ms"] = statistics.median(base)
    out(res)


# ---------------------------------------------------------------- startup

def ctl_connect(addr, token, timeout=5.0):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    f = s.makefile("rwb")
    f.write(b"auth " + token.encode() + b"\n")
    f.flush()
    rep = json.loads(f.readline() or b"{}")
    if not rep.get("ok"):
        raise RuntimeError("control channel: authentication failed: %r" % rep)
    return s, f


def ctl_cmd(f, line):
    f.write(line.encode() + b"\n")
    f.flush()
    return json.loads(f.readline() or b"{}")


def cmd_ctl(a):
    with open(a.token_file) as t:
        token = t.readline().strip()
    s, f = ctl_connect(a.addr, token)
    try:
        out(ctl_cmd(f, " ".join(a.command)))
    finally:
        s.close()


# ------------------------------------------------------------- exhaustion

def proc_mem(pid):
    """The master's memory as an operator reads it, in KiB: VmRSS
    (/proc/PID/status) and Private_Dirty (/proc/PID/smaps_rollup)."""
    m = {}
    for path, key, name in (("/proc/%d/status" % pid, "VmRSS:", "rss_kib"),
                            ("/proc/%d/smaps_rollup" % pid, "Private_Dirty:",
                             "private_dirty_kib")):
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    m[name] = int(line.split()[1])
    return m


def reset_close(s, f=None):
    """Close with a reset: many thousand clients leave no TIME_WAIT."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if f is not None:
        f.close()
    s.close()


def growth(before, after):
    return {k: after[k] - before[k] for k in before}


def cmd_ctlflood(a):
    with open(a.token_file) as t:
        token = t.readline().strip()
    deadline = now() + a.timeout

    def status(f):
        f.write(b"status\n")
        f.flush()
        if not f.readline().startswith(b'{"ok":true'):
            raise RuntimeError("status refused")

    def run(n):
        s, f = ctl_connect(a.addr, token)
        for i in range(n // 2):
            status(f)
            if i % 1000 == 0 and now() > deadline:
                raise RuntimeError("control requests: past --timeout")
        reset_close(s, f)
        for i in range(n - n // 2):
            s, f = ctl_connect(a.addr, token)
            status(f)
            reset_close(s, f)
            if i % 1000 == 0 and now() > deadline:
                raise RuntimeError("control requests: past --timeout")

    warm = max(2, a.requests // 10)
    run(warm)
    m0 = proc_mem(a.master)
    t0 = now()
    run(a.requests)
    t1 = now()
    m1 = proc_mem(a.master)
    out({"requests": a.requests, "persistent": a.requests // 2,
         "new_connections": a.requests - a.requests // 2, "warmup": warm,
         "seconds": round(t1 - t0, 3), "rate_per_s": round(a.requests / (t1 - t0)),
         "before": m0, "after": m1, "growth": growth(m0, m1)})


def cmd_respawns(a):
    with open(a.token_file) as t:
        token = t.readline().strip()
    cs, cf = ctl_connect(a.ctl, token)
    deadline = now() + a.timeout

    def totals():
        return ctl_cmd(cf, "status")

    def run(n):
        want = totals()["totals"]["respawns"] + n
        for i in range(n):
            c = socket.create_connection((a.host, a.port), timeout=10)
            c.sendall(b"x\n")
            got = b""
            while not got.endswith(b"\n"):
                chunk = c.recv(16)
                if not chunk:
                    raise RuntimeError("respawns: connection closed without the echo")
                got += chunk
            reset_close(c)
            if i % 500 == 0 and now() > deadline:
                raise RuntimeError("respawns: past --timeout")
        while totals()["totals"]["respawns"] < want:
            if now() > deadline:
                raise RuntimeError("respawns: status never counted them")
            time.sleep(0.01)

    warm = max(1, a.count // 10)
    run(warm)
    before = totals()
    m0 = proc_mem(a.master)
    t0 = now()
    run(a.count)
    t1 = now()
    m1 = proc_mem(a.master)
    after = totals()
    cf.close()
    cs.close()
    out({"count": a.count, "warmup": warm,
         "respawns": after["totals"]["respawns"] - before["totals"]["respawns"],
         "abnormal_exits": after["totals"]["abnormal_exits"],
         "respawn_backoff_ms": after["respawn_backoff_ms"],
         "seconds": round(t1 - t0, 3), "rate_per_s": round(a.count / (t1 - t0)),
         "before": m0, "after": m1, "growth": growth(m0, m1)})


def http_get_text(port, path, timeout=1.0):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return None
    buf = b""
    try:
        s.sendall(request_bytes(path))
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except OSError:
        return None
    finally:
        s.close()
    return buf.decode("latin-1")


def cmd_startup(a):
    """Spawn the command in its own session; poll until every worker is
    ready by the server's own account (preforkd: idle count on the control
    channel; apache: IdleWorkers + BusyWorkers of mod_status) and by /proc
    (exactly N children, each asleep in a call that waits for a
    connection). Prints both times from just before exec. Stops the server
    (SIGTERM to its group, SIGKILL after 10 s) before returning."""
    n = a.workers
    log = open(a.log, "wb")
    t0 = now()
    p = subprocess.Popen(a.argv, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % p.pid)
    res = {"workers": n, "kind": a.kind}
    times = {}
    ctl = []
    stop = threading.Event()
    deadline = t0 + a.timeout

    # Each way of telling is polled by its own thread, every millisecond,
    # so that neither waits for the other's polls.
    def poll_proc():
        while not stop.is_set() and now() < deadline:
            kids = children(p.pid)
            if len(kids) == n and all(waiting(k) for k in kids):
                times["proc"] = now()
                return
            time.sleep(0.001)

    def own_ready():
        if a.kind == "preforkd":
            if not ctl:
                with open(a.log, "rb") as f:
                    m = re.search(rb"control channel listening on (\S+:\d+)", f.read())
                if not m or not os.path.exists(a.token_file):
                    return False
                with open(a.token_file) as t:
                    token = t.readline().strip()
                if not token:
                    return False
                ctl.extend(ctl_connect(m.group(1).decode(), token))
            w = ctl_cmd(ctl[1], "status").get("workers", {})
            return w.get("idle", 0) >= n
        txt = http_get_text(a.port, "/server-status?auto")
        idle = re.search(r"IdleWorkers: (\d+)", txt or "")
        busy = re.search(r"BusyWorkers: (\d+)", txt or "")
        return bool(idle and busy and int(idle.group(1)) + int(busy.group(1)) >= n)

    def poll_own():
        while not stop.is_set() and now() < deadline:
            try:
                if own_ready():
                    times["own"] = now()
                    return
            except (OSError, ValueError, RuntimeError) as e:
                times["own_error"] = str(e)
                return
            time.sleep(0.001)

    threads = [threading.Thread(target=poll_proc, daemon=True)]
    if a.kind in ("preforkd", "apache"):
        threads.append(threading.Thread(target=poll_own, daemon=True))
    try:
        for th in threads:
            th.start()
        while any(th.is_alive() for th in threads):
            if p.poll() is not None:
                res["error"] = "exited with status %s" % p.returncode
                break
            time.sleep(0.01)
        stop.set()
        for th in threads:
            th.join(5)
        if "own" in times:
            res["ready_own_ms"] = ms(times["own"] - t0)
        if "proc" in times:
            res["ready_proc_ms"] = ms(times["proc"] - t0)
        if "own_error" in times:
            res["error"] = "own count: " + times["own_error"]
        elif "proc" not in times and "error" not in res:
            res["error"] = "not ready within %g s" % a.timeout
    except Stop:
        stop.set()
        res["error"] = "interrupted"
    finally:
        stop.set()
        if ctl:
            ctl[0].close()
        t_stop = now()
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        # Stragglers of the group (workers still exiting).
        for _ in range(100):
            try:
                os.killpg(p.pid, 0)
            except OSError:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        res["stop_ms"] = ms(now() - t_stop)
        log.close()
        # Stopped: the caller's clean-up must not signal this pid again
        # (it could be another process's by then).
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except OSError:
                pass
    out(res)


# ------------------------------------------------------------------- pick

def established_inodes(port):
    """Socket inodes of the established TCP connections whose local port
    is port, from `ss -e` (the kernel filters by port: fast however many
    other sockets the machine has; /proc/net/tcp lists them all, which
    with tens of thousands of TIME_WAIT entries takes longer than a
    keep-alive connection lasts here)."""
    try:
        r = subprocess.run(["ss", "-Htne", "state", "established",
                            "( sport = :%d )" % port],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return set(re.findall(r"\bino:(\d+)", r.stdout.decode("latin-1")))


def held(pid, inodes):
    """How many of the sockets in inodes pid has open."""
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            n += 1
    return n


def start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def cmd_pick(a):
    """Choose a worker, count the connections it holds, kill it (with
    --kill), print "PID HELD" (nothing when no worker fits).

    With --master PID the candidates are its children, a child holding an
    established connection on --port (ss -e) being busy, one holding none idle.
    Without it, the candidates come from preforkctl's `workers` reply on
    stdin, by their scoreboard state (idle: waiting in accept; busy:
    reading, writing, keepalive or closing). Oldest first; with --port each
    candidate is checked against the connections it holds right before
    the kill (ss -e, /proc/PID/fd), and skipped when they disagree."""
    cands = []
    if a.master:
        socks = established_inodes(a.port)
        for pid in children(a.master):
            h = held(pid, socks)
            if (h == 0) == (a.state == "idle"):
                cands.append((start_time(pid), pid))
    else:
        busy = {"reading", "writing", "keepalive", "closing"}
        try:
            ws = json.load(sys.stdin).get("workers", [])
        except ValueError:
            ws = []
        for w in ws:
            st = w.get("state")
            if (st == "idle") if a.state == "idle" else (st in busy):
                cands.append((-(w.get("age") or 0), w["pid"]))
    cands.sort()
    # Verify each candidate in turn just before the kill: an idle one must
    # hold no connection, a busy one at least one (a keep-alive connection
    # here lasts tens of milliseconds before its 1000th request ends it, so
    # a choice made from a snapshot can be stale).
    for _, pid in cands:
        h = held(pid, established_inodes(a.port)) if a.port else 0
        if a.port and (h == 0) != (a.state == "idle"):
            continue
        if a.kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        print(pid, h)
        return


# ------------------------------------------------------------------- jget

def cmd_jget(a):
    """The values of KEYs (a.b.c paths) on one line, separated by spaces;
    "-" for a missing one."""
    with open(a.file) as f:
        doc = json.load(f)
    vals = []
    for key in a.keys:
        v = doc
        for part in key.split("."):
            if isinstance(v, dict) and part in v:
                v = v[part]
            else:
                v = None
                break
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if v is None:
            vals.append("-")
        elif isinstance(v, (dict, list)):
            vals.append(json.dumps(v, separators=(",", ":")))
        else:
            vals.append(str(v).replace(" ", "_") or "-")
    print(" ".join(vals))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="sub", required=True)

    p = sub.add_parser("slowloris")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.set_defaults(fn=cmd_slowloris)

    p = sub.add_parser("drain")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--signal", default="QUIT")
    p.add_argument("--holders", type=int, default=2)
    p.add_argument("--queued", type=int, default=64)
    p.add_argument("--hold", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=15.0)
    p.set_defaults(fn=cmd_drain)

    p = sub.add_parser("replace")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--master", type=int, required=True)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--settle", type=float, default=1.2)
    p.add_argument("--path", default="/1k.bin")
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(fn=cmd_replace)

    p = sub.add_parser("startup")
    p.add_argument("--kind", choices=("preforkd", "apache", "nginx"), required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--pidfile")
    p.add_argument("--token-file")
    p.add_argument("--port", type=int)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("argv", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_startup)

    p = sub.add_parser("jget")
    p.add_argument("file")
    p.add_argument("keys", nargs="+")
    p.set_defaults(fn=cmd_jget)

    p = sub.add_parser("pick")
    p.add_argument("state", choices=("idle", "busy"))
    p.add_argument("--master", type=int)
    p.add_argument("--port", type=int)
    p.add_argument("--kill", action="store_true")
    p.set_defaults(fn=cmd_pick)

    p = sub.add_parser("ctl")
    p.add_argument("addr")
    p.add_argument("token_file")
    p.add_argument("command", nargs="+")
    p.set_defaults(fn=cmd_ctl)

    p = sub.add_parser("workers")
    p.add_argument("master", type=int)
    p.set_defaults(fn=cmd_workers)

    p = sub.add_parser("ctlflood")
    p.add_argument("addr")
    p.add_argument("token_file")
    p.add_argument("--master", type=int, required=True)
    p.add_argument("--requests", type=int, default=100000)
    p.add_argument("--timeout", type=float, default=600.0)
    p.set_defaults(fn=cmd_ctlflood)

    p = sub.add_parser("respawns")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--ctl", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--master", type=int, required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--timeout", type=float, default=600.0)
    p.set_defaults(fn=cmd_respawns)

    a = ap.parse_args()
    if a.sub == "startup":
        a.argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
        if not a.argv:
            ap.error("startup: the server's command line is missing")
    try:
        a.fn(a)
    except Stop:
        sys.exit(130)


if __name__ == "__main__":
    main()
