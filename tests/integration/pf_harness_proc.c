/* pf_harness_proc: the processes under test as /proc and the kernel show
 * them: the state and pending signals of one process, the master's
 * children (workers, zombies) and ours (orphans a dead master left), and
 * the server's sockets (its accept queue, bytes it has not read yet, the
 * worker holding a client's connection). Public functions are documented
 * in pf_harness_proc.h; static helpers here. */
#include "pf_harness_proc.h"

#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_harness_internal.h"
#include "pf_net.h"
#include "pf_time.h"

int pf_h_proc_stat(pid_t pid, struct pf_h_stat *out)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    int pp, sid, tty;
    char *p;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name may hold spaces and ')': parse after the last;
     * then state, ppid, pgrp, session, tty_nr, tpgid, flags, four fault
     * counts, utime, stime */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 1, " %c %d %*d %d %d %*d %*u %*u %*u %*u %*u %llu %llu",
                            &out->state, &pp, &sid, &tty, &out->utime, &out->stime) != 6)
        return -1;
    out->ppid = pp;
    out->session = sid;
    out->tty_nr = tty;
    return 0;
}

/* State letter and parent of pid. 0 or -1 (no such process). */
int h_proc_stat(pid_t pid, char *state, pid_t *ppid)
{
    struct pf_h_stat st;

    if (pf_h_proc_stat(pid, &st) < 0)
        return -1;
    *state = st.state;
    *ppid = st.ppid;
    return 0;
}

bool pf_h_pid_alive(pid_t pid)
{
    char st;
    pid_t pp;

    return h_proc_stat(pid, &st, &pp) == 0 && st != 'Z' && st != 'X';
}

char pf_h_pid_state(pid_t pid)
{
    char st;
    pid_t pp;

    return h_proc_stat(pid, &st, &pp) == 0 ? st : 0;
}

int pf_h_wait_pid_state(pid_t pid, char st, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;

    while (pf_h_pid_state(pid) != st) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("process %ld not in state %c after %d ms", (long)pid, st, timeout_ms);
            return -1;
        }
        h_pause();
    }
    return 0;
}

int pf_h_wait_pid_gone(pid_t pid, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;

    while (pf_h_pid_alive(pid)) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("process %ld still alive after %d ms", (long)pid, timeout_ms);
            return -1;
        }
        h_pause();
    }
    return 0;
}

/* Pending-signal masks of pid (thread and process-wide) from /proc. */
static uint64_t h_pending_mask(pid_t pid)
{
    char path[64], line[256];
    uint64_t mask = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "SigPnd:", 7) == 0 || strncmp(line, "ShdPnd:", 7) == 0)
            mask |= strtoull(line + 7, NULL, 16);
    fclose(f);
    return mask;
}

bool pf_h_signal_pending(pid_t pid, int sig)
{
    return (h_pending_mask(pid) >> (sig - 1)) & 1u;
}

int pf_h_wait_signal_pending(pid_t pid, int sig, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;

    while (!pf_h_signal_pending(pid, sig)) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("signal %d never became pending for %ld", sig, (long)pid);
            return -1;
        }
        h_pause();
    }
    return 0;
}

/* Call fn(pid, state, arg) for every process whose parent is ppid. */
static void h_each_child(pid_t ppid, void (*fn)(pid_t, char, void *), void *arg)
{
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end, st;
        pid_t pp;
        long pid = strtol(e->d_name, &end, 10);

        if (*end != '\0' || pid <= 0 || h_proc_stat((pid_t)pid, &st, &pp) < 0)
            continue;
        if (pp == ppid)
            fn((pid_t)pid, st, arg);
    }
    closedir(d);
}

/* Add pid to the server's set of workers seen (teardown checks them all). */
static void h_remember(struct pf_server *s, pid_t pid)
{
    for (int i = 0; i < s->nseen; i++)
        if (s->seen[i] == pid)
            return;
    if (s->nseen < PF_H_MAX_PIDS)
        s->seen[s->nseen++] = pid;
}

/* What h_collect_one gathers: pids (up to max), their count, and whether
 * zombies count. */
struct h_collect {
    struct pf_server *s;
    pid_t *pids;
    int max, n;
    bool zombies;  /* count zombies too */
    bool remember; /* they are the master's children: remember them as workers */
};

/* The first size - 1 bytes of /proc/PID/name into out, terminated; the
 * bytes read, or -1 when there is no such process. */
static ssize_t h_proc_read(pid_t pid, const char *name, char *out, size_t size)
{
    char path[64];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = '\0';
    return (ssize_t)n;
}

int pf_h_proc_comm(pid_t pid, char *out, size_t size)
{
    if (h_proc_read(pid, "comm", out, size) < 0)
        return -1;
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

int pf_h_proc_title(pid_t pid, char *out, size_t size)
{
    return h_proc_read(pid, "cmdline", out, size) < 0 ? -1 : 0; /* out ends at its first NUL */
}

int pf_h_wait_named(pid_t pid, const char *comm, const char *title, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    char c[32] = "", t[1024] = "";

    for (;;) {
        if (pf_h_proc_comm(pid, c, sizeof(c)) < 0 || pf_h_proc_title(pid, t, sizeof(t)) < 0) {
            pf_h_note("process %ld is gone", (long)pid);
            return -1;
        }
        if ((comm == NULL || strcmp(c, comm) == 0) && (title == NULL || strcmp(t, title) == 0))
            return 0;
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("process %ld is named \"%s\", titled \"%s\"; expected \"%s\", \"%s\"",
                      (long)pid, c, t, comm ? comm : "(any)", title ? title : "(any)");
            return -1;
        }
        h_pause();
    }
}

bool pf_h_is_keeper(pid_t pid)
{
    char comm[32];

    return pf_h_proc_comm(pid, comm, sizeof(comm)) == 0 && strcmp(comm, PF_H_KEEPER_COMM) == 0;
}

/* h_each_child callback: remember and collect one child (the keeper is
 * not a worker). */
static void h_collect_one(pid_t pid, char st, void *arg)
{
    struct h_collect *c = arg;

    if (!c->zombies && (st == 'Z' || st == 'X'))
        return;
    if (c->remember && pf_h_is_keeper(pid))
        return;
    if (c->remember)
        h_remember(c->s, pid);
    if (c->n < c->max)
        c->pids[c->n] = pid;
    c->n++;
}

/* qsort order for pids: sorted lists compare with memcmp. */
static int h_cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

    return (x > y) - (x < y);
}

int pf_h_worker_pids(struct pf_server *s, pid_t *pids, int max)
{
    struct h_collect c = {.s = s, .pids = pids, .max = pids ? max : 0, .remember = true};

    if (s->pid <= 0 || s->reaped)
        return 0;
    h_each_child(s->pid, h_collect_one, &c);
    if (pids != NULL)
        qsort(pids, (size_t)(c.n < max ? c.n : max), sizeof(*pids), h_cmp_pid);
    return c.n;
}

/* h_each_child callback: count a zombie. */
static void h_count_zombie(pid_t pid, char st, void *arg)
{
    (void)pid;
    if (st == 'Z')
        ++*(int *)arg;
}

/* h_each_child callback: note the keeper. */
static void h_find_keeper(pid_t pid, char st, void *arg)
{
    if (st != 'Z' && st != 'X' && pf_h_is_keeper(pid))
        *(pid_t *)arg = pid;
}

pid_t pf_h_keeper_pid(struct pf_server *s)
{
    pid_t pid = 0;

    if (s->pid > 0 && !s->reaped)
        h_each_child(s->pid, h_find_keeper, &pid);
    return pid;
}

int pf_h_zombies(struct pf_server *s)
{
    int n = 0;

    if (s->pid > 0 && !s->reaped)
        h_each_child(s->pid, h_count_zombie, &n);
    return n;
}

int pf_h_wait_workers(struct pf_server *s, int n, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    int have;

    while ((have = pf_h_worker_pids(s, NULL, 0)) != n) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("expected %d workers, found %d after %d ms", n, have, timeout_ms);
            return -1;
        }
        h_pause();
    }
    return 0;
}

/* Our children other than a master still running (workers a dead master
 * left to us as subreaper), into pids; returns how many. */
int h_our_children(struct pf_server *s, pid_t *pids, int max)
{
    struct h_collect c = {.s = s, .pids = pids, .max = max, .zombies = true};
    pid_t master = s->reaped ? 0 : s->pid;
    int n = 0;

    h_each_child(getpid(), h_collect_one, &c);
    for (int i = 0; i < c.n && i < max; i++)
        if (pids[i] != master)
            pids[n++] = pids[i];
    return n;
}

/* True if pid was one of the server's workers: seen as the master's child,
 * or logged by the master as started. Other processes can come to us as
 * subreaper too (a sanitizer's helper task forked by a worker that was
 * killed mid-exit); they are reaped but are not workers left behind. */
static bool h_is_worker(const struct pf_server *s, pid_t pid)
{
    char started[64];

    for (int i = 0; i < s->nseen; i++)
        if (s->seen[i] == pid)
            return true;
    snprintf(started, sizeof(started), "worker %ld started", (long)pid);
    return pf_h_log_contains(s, started);
}

int pf_h_orphans(struct pf_server *s)
{
    pid_t pids[PF_H_MAX_PIDS];
    int n = h_our_children(s, pids, PF_H_MAX_PIDS), workers = 0;

    for (int i = 0; i < n; i++) {
        if (!pf_h_pid_alive(pids[i]))
            waitpid(pids[i], NULL, WNOHANG);
        if (h_is_worker(s, pids[i])) {
            pf_h_note("worker %ld of master %ld left behind", (long)pids[i], (long)s->pid);
            workers++;
        }
    }
    return workers;
}

int pf_h_reap_orphans(struct pf_server *s, int timeout_ms, bool *clean)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    pid_t pids[PF_H_MAX_PIDS];
    int n;

    while ((n = h_our_children(s, pids, PF_H_MAX_PIDS)) > 0) {
        for (int i = 0; i < n; i++) {
            int st;
            if (waitpid(pids[i], &st, WNOHANG) == pids[i] && !pf_h_exited_with(st, 0) &&
                clean != NULL && h_is_worker(s, pids[i]))
                *clean = false;
        }
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("%d orphan worker(s) still alive after %d ms", n, timeout_ms);
            return -1;
        }
        h_pause();
    }
    return 0;
}

unsigned long pf_h_socket_inode(unsigned sport, unsigned cport)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    unsigned long found = 0;

    for (size_t i = 0; i < 2 && found == 0; i++) {
        FILE *f = fopen(files[i], "r");
        char line[512];

        if (f == NULL)
            continue;
        while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
            unsigned lp, rp;
            unsigned long inode;
            if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %*x %*s %*s %*s %*u %*u %lu",
                       &lp, &rp, &inode) == 3 &&
                lp == sport && rp == cport)
                found = inode;
        }
        fclose(f);
    }
    return found;
}

int pf_h_listen_queue(const struct pf_server *s)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int queued = -1;

    for (size_t i = 0; i < 2 && queued < 0; i++) {
        FILE *f = fopen(files[i], "r");
        char line[512];

        if (f == NULL)
            continue;
        while (queued < 0 && fgets(line, sizeof(line), f) != NULL) {
            unsigned lp, st, rxq;
            if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%x", &lp, &st,
                       &rxq) == 3 &&
                lp == s->port && st == 0x0A) /* TCP_LISTEN: rx_queue is the accept queue */
                queued = (int)rxq;
        }
        fclose(f);
    }
    return queued;
}

int pf_h_wait_listen_queue(const struct pf_server *s, int n, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    int have;

    while ((have = pf_h_listen_queue(s)) != n) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("expected %d connections in the listen queue, found %d", n, have);
            return -1;
        }
        h_pause();
    }
    return 0;
}

/* The state and receive queue of the server-side socket of the client
 * connection fd, asked of the kernel by its exact address pair with a
 * sock_diag (inet_diag) request: one socket looked up, where reading
 * /proc/net/tcp walks every socket of the machine (tens of ms with a few
 * thousand in TIME_WAIT). 0, 1 when there is no such socket, or -1 when
 * the request itself failed. */
static int h_diag_rx_queue(int fd, unsigned *state, unsigned *rxq)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req = {
        .nlh = {.nlmsg_len = sizeof(req),
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST},
        .r = {.sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u},
    };
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    union {
        struct nlmsghdr nlh;
        char buf[1024];
    } reply;
    int nl, rc = -1;
    ssize_t n;

    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
        return 1; /* no connection any more: nothing left to read */
    req.r.sdiag_family = (unsigned char)peer.ss_family;
    req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (peer.ss_family == AF_INET) { /* the server's side: source = the server */
        const struct sockaddr_in *p4 = (const void *)&peer, *l4 = (const void *)&local;
        req.r.id.idiag_sport = p4->sin_port;
        req.r.id.idiag_dport = l4->sin_port;
        memcpy(req.r.id.idiag_src, &p4->sin_addr, 4);
        memcpy(req.r.id.idiag_dst, &l4->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *p6 = (const void *)&peer, *l6 = (const void *)&local;
        req.r.id.idiag_sport = p6->sin6_port;
        req.r.id.idiag_dport = l6->sin6_port;
        memcpy(req.r.id.idiag_src, &p6->sin6_addr, 16);
        memcpy(req.r.id.idiag_dst, &l6->sin6_addr, 16);
    }
    nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -1;
    if (send(nl, &req, sizeof(req), 0) == (ssize_t)sizeof(req) &&
        (n = recv(nl, &reply, sizeof(reply), 0)) >= (ssize_t)sizeof(struct nlmsghdr)) {
        if (reply.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            (size_t)n >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
            const struct inet_diag_msg *m = NLMSG_DATA(&reply.nlh);
            *state = m->idiag_state;
            *rxq = m->idiag_rqueue;
            rc = 0;
        } else if (reply.nlh.nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(&reply.nlh);
            rc = e->error == -ENOENT ? 1 : -1;
        }
    }
    close(nl);
    return rc;
}

int pf_h_wait_consumed(const struct pf_server *s, int fd, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    struct timespec step = {.tv_sec = 0, .tv_nsec = 100000}; /* fine: called per byte split */
    unsigned state = 0, rxq = 0;
    int rc;

    (void)s;
    for (;;) {
        rc = h_diag_rx_queue(fd, &state, &rxq);
        if (rc < 0) {
            pf_h_note("sock_diag request failed: %s", strerror(errno));
            return -1;
        }
        /* TCP_NEW_SYN_RECV (12): not accepted yet (defer_accept) */
        if (rc == 1 || (state != 12 && rxq == 0))
            return 0;
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("the server left %u byte(s) unread (state %u) for %d ms", rxq, state,
                      timeout_ms);
            return -1;
        }
        nanosleep(&step, NULL);
    }
}

bool pf_h_pid_has_socket(pid_t pid, unsigned long inode)
{
    char dir[64], want[64], path[320], link[64];
    DIR *d;
    struct dirent *e;
    bool has = false;

    snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
    snprintf(want, sizeof(want), "socket:[%lu]", inode);
    d = opendir(dir);
    if (d == NULL)
        return false;
    while (!has && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            has = strcmp(link, want) == 0;
        }
    }
    closedir(d);
    return has;
}

/* The inode of the server's side of client connection fd, or 0. */
static unsigned long h_client_inode(struct pf_server *s, int fd)
{
    struct pf_addr local;

    if (pf_net_local_addr(fd, &local) < 0)
        return 0;
    return pf_h_socket_inode(s->port, pf_addr_port((struct sockaddr *)&local.ss));
}

pid_t pf_h_worker_of_client(struct pf_server *s, int fd, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    struct pf_addr local;
    pid_t pids[PF_H_MAX_PIDS];

    if (pf_net_local_addr(fd, &local) < 0)
        return -1;
    for (;;) {
        unsigned long inode = h_client_inode(s, fd);
        int n = pf_h_worker_pids(s, pids, PF_H_MAX_PIDS);

        for (int i = 0; inode != 0 && i < n && i < PF_H_MAX_PIDS; i++)
            if (pf_h_pid_has_socket(pids[i], inode))
                return pids[i];
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("no worker holds the client connection after %d ms", timeout_ms);
            return -1;
        }
        h_pause();
    }
}

int pf_h_wait_parked(struct pf_server *s, int fd, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    pid_t pids[PF_H_MAX_PIDS];

    for (;;) {
        unsigned long inode = h_client_inode(s, fd);
        pid_t keeper = pf_h_keeper_pid(s);
        bool parked = inode != 0 && keeper > 0 && pf_h_pid_has_socket(keeper, inode);
        int n = parked ? pf_h_worker_pids(s, pids, PF_H_MAX_PIDS) : 0;

        for (int i = 0; parked && i < n && i < PF_H_MAX_PIDS; i++)
            if (pf_h_pid_has_socket(pids[i], inode))
                parked = false;
        if (parked)
            return 0;
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("the client connection is not parked with the keeper after %d ms",
                      timeout_ms);
            return -1;
        }
        h_pause();
    }
}

/* ------------------------------------------------------- descriptors */

int pf_h_proc_fds(pid_t pid, int *lowest_free)
{
    char path[64];
    bool used[1024] = {false};
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        int fd;

        if (e->d_name[0] == '.')
            continue;
        fd = atoi(e->d_name);
        if (fd >= 0 && fd < 1024)
            used[fd] = true;
        n++;
    }
    closedir(d);
    for (*lowest_free = 0; *lowest_free < 1024 && used[*lowest_free]; (*lowest_free)++)
        ;
    return n;
}

long pf_h_proc_kib(const char *path, const char *name)
{
    char line[256];
    size_t len = strlen(name);
    long v = -1;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return -1;
    while (v < 0 && fgets(line, sizeof(line), f))
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            v = strtol(line + len + 1, NULL, 10);
    fclose(f);
    return v;
}

void pf_h_set_nofile(pid_t pid, rlim_t soft)
{
    struct rlimit old, rl;

    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &old), 0);
    rl = (struct rlimit){soft, old.rlim_max};
    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, &rl, NULL), 0);
}

int pf_h_start_crash_loop(struct pf_server *s, int n)
{
    char logs[PATH_MAX], file[PATH_MAX];
    pid_t pids[64];

    if (n < 1 || n > 64 || pf_h_path(logs, s, "logs") < 0 ||
        pf_h_path(file, s, "logs/access.log") < 0 || unlink(file) < 0 || rmdir(logs) < 0 ||
        pf_h_worker_pids(s, pids, n) != n) {
        pf_h_note("cannot start a crash loop: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (kill(pids[i], SIGKILL) < 0)
            return -1;
    return 0;
}
