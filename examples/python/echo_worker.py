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


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_lines(conn):
    pending = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            conn.sendall(line + b"\n")


def serve_messages(conn):
    while True:
        header = recv_exact(conn, 4)
        if header is None:
            return
        (length,) = struct.unpack(">I", header)
        payload = recv_exact(conn, length)
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
    watchdog = int(os.environ.get("WATCHDOG_USEC", "0")) / 1e6
    sd_notify("READY=1\nSTATUS=serving, pid %d" % os.getpid())
    last_ping = time.monotonic()
    while not stopping:
        if watchdog and time.monotonic() - last_ping >= watchdog / 2:
            sd_notify("WATCHDOG=1")
            last_ping = time.monotonic()
        readable, _, _ = select.select([listener, wake_r], [], [], watchdog / 2 if watchdog else None)
        if wake_r in readable:
            os.read(wake_r, 512)
            continue
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            continue  # another worker took it
        with conn:
            conn.setblocking(True)
            try:
                serve(conn)
            except ConnectionError:
                pass
    sd_notify("STOPPING=1")


if __name__ == "__main__":
    main()
