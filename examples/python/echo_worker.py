#!/usr/bin/env python3
"""A preforkd exec worker in plain Python (standard library only).

preforkd starts this program in each worker with the listening socket on
file descriptor 3, as systemd's socket activation does (LISTEN_FDS=1,
LISTEN_PID). It is the blocking accept loop every socket tutorial teaches:
one client at a time, each line echoed back (the `echo` protocol) or, with
--msg, each length-prefixed message (a 4-byte big-endian length, then that
many bytes) sent back whole. When NOTIFY_SOCKET is set (exec.ready =
"notify"), it says READY=1 once it can serve, and pings the watchdog
when WATCHDOG_USEC asks for it. SIGTERM ends it once the client being
served, if any, is done: a stop never cuts a client.

    exec = { command = ["python3", "echo_worker.py"]; ready = "notify"; };

See docs/exec.md for the whole contract.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

LISTEN_FD = 3


def sd_notify(message):
    """Send one sd_notify datagram (READY=1, STATUS=..., WATCHDOG=1)."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]  # an abstract socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(path)
        s.sendall(message.encode())


def listening_socket():
    """The socket preforkd passed: fd 3 when LISTEN_FDS says so, else fd 0."""
    if os.environ.get("LISTEN_PID") == str(os.getpid()) and os.environ.get("LISTEN_FDS") == "1":
        return socket.socket(fileno=LISTEN_FD)
    return socket.socket(fileno=0)


class Watchdog:
    """WATCHDOG=1 at half the period preforkd asked for (WATCHDOG_USEC):
    from the accept loop, and while a client is quiet, so that only a
    program that is really stuck misses it."""

    def __init__(self):
        self.period = int(os.environ.get("WATCHDOG_USEC", "0")) / 1e6 / 2 or None
        self.last = time.monotonic()

    def ping_if_due(self):
        if self.period and time.monotonic() - self.last >= self.period:
            sd_notify("WATCHDOG=1")
            self.last = time.monotonic()


def recv(conn, n, watchdog):
    """conn.recv(n), pinging the watchdog while the client says nothing."""
    while True:
        try:
            return conn.recv(n)
        except socket.timeout:
            watchdog.ping_if_due()


def recv_exact(conn, n, watchdog):
    data = b""
    while len(data) < n:
        chunk = recv(conn, n - len(data), watchdog)
        if not chunk:
            return None
        data += chunk
    return data


def serve_lines(conn, watchdog):
    pending = b""
    while True:
        chunk = recv(conn, 65536, watchdog)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            conn.sendall(line + b"\n")


def serve_messages(conn, watchdog):
    while True:
        header = recv_exact(conn, 4, watchdog)
        if header is None:
            return
        (length,) = struct.unpack(">I", header)
        payload = recv_exact(conn, length, watchdog)
        if payload is None:
            return
        conn.sendall(header + payload)


def main():
    serve = serve_messages if "--msg" in sys.argv[1:] else serve_lines
    stopping = []
    # SIGTERM (preforkd's stop) wakes the wait below through this pipe;
    # a client being served is finished first, never cut
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    listener = listening_socket()
    # another worker may take a client between select() and accept():
    # accept must not block (this sets the socket, shared by every worker,
    # non-blocking: they all run this same program)
    listener.setblocking(False)
    watchdog = Watchdog()
    sd_notify("READY=1\nSTATUS=serving, pid %d" % os.getpid())
    while not stopping:
        watchdog.ping_if_due()
        readable, _, _ = select.select([listener, wake_r], [], [], watchdog.period)
        if wake_r in readable:
            os.read(wake_r, 512)
            continue
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            continue  # another worker took it
        with conn:
            conn.settimeout(watchdog.period)  # None: blocking
            try:
                serve(conn, watchdog)
            except ConnectionError:
                pass
    sd_notify("STOPPING=1")


if __name__ == "__main__":
    main()
