/* A preforkd exec worker in C, written with libsystemd's own calls
 * exactly as it would be for systemd socket activation: it runs unchanged
 * under systemd (a .socket unit with Accept=no) and as a preforkd pool.
 *
 *   exec = { command = ["/usr/local/bin/echo_worker_c"]; ready = "notify"; watchdog = 10; };
 *
 * It takes its one listening socket from sd_listen_fds(), says READY=1
 * with a STATUS line, pings the watchdog when WATCHDOG_USEC asks for it
 * (sd_watchdog_enabled), and serves one client at a time: every byte it
 * receives is sent back, which answers line-echo clients line by line.
 * SIGTERM ends it between clients (STOPPING=1 first). Build: cc
 * echo_worker.c $(pkg-config --cflags --libs libsystemd). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Send back every byte the client sends, until it closes. */
static void serve(int conn)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(conn, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR && !stopping)) {
        for (ssize_t off = 0; n > 0 && off < n;) {
            ssize_t w = write(conn, buf + off, (size_t)(n - off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return;
            off += w;
        }
    }
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: poll() returns */
    uint64_t watchdog_usec = 0;
    int fd, ping_ms = -1;

    if (sd_listen_fds(1) != 1) {
        fprintf(stderr, "echo_worker_c: expected one socket from LISTEN_FDS\n");
        return 1;
    }
    fd = SD_LISTEN_FDS_START;
    /* poll() then accept(): another worker may take the client between
     * the two, so accept must not block (or the watchdog would starve).
     * The socket is shared by every worker, and they all run this. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
        ping_ms = (int)(watchdog_usec / 2000);
    sd_notifyf(0, "READY=1\nSTATUS=serving on fd %d, pid %ld", fd, (long)getpid());
    while (!stopping) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int conn;

        if (poll(&p, 1, ping_ms) <= 0) { /* the watchdog's turn, or a signal */
            if (ping_ms >= 0)
                sd_notify(0, "WATCHDOG=1");
            continue;
        }
        if (ping_ms >= 0)
            sd_notify(0, "WATCHDOG=1");
        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC); /* the client's socket: blocking */
        if (conn < 0)
            continue; /* EAGAIN: another worker took it */
        serve(conn);
        close(conn);
    }
    sd_notify(0, "STOPPING=1");
    return 0;
}
