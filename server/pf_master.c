/* pf_master: the master process's loop. */
#include "pf_master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_log.h"
#include "pf_net.h"
#include "pf_pool.h"
#include "pf_proto.h"
#include "pf_signals.h"
#include "pf_time.h"

/* The supervision tick: how often the master wakes without a signal. */
#define MASTER_TICK_MS 1000
/* After SIGKILL, how long to wait for the last workers before exiting. */
#define MASTER_KILL_WAIT_MS 3000

enum master_stop { STOP_NONE = 0, STOP_GRACEFUL, STOP_FAST };

struct master {
    struct pf_config *cfg;
    const struct pf_proto *proto;
    struct pf_pool pool;
    sigset_t wait_mask;
    enum master_stop stopping;
    int64_t stop_deadline;  /* monotonic ms: escalate to SIGKILL then */
    bool killed;            /* SIGKILL already sent */
};

/* Print a start-up failure where the operator sees it: stderr always (the
 * terminal, or the init system's journal), and the log when it is a file. */
static int master_fail(const char *what)
{
    fprintf(stderr, "preforkd: %s\n", what);
    if (pf_log_fd() != 2)
        pf_log_error("%s", what);
    return 1;
}

/* Bind and listen before any fork: every worker inherits the one socket. */
static int master_listen(struct master *m)
{
    char err[PF_CONFIG_ERR_MAX], addr[PF_ADDR_STRLEN];
    struct pf_addr bound;
    int fd = pf_net_listen(&m->cfg->listen_addr, m->cfg->backlog, err, sizeof(err));

    if (fd < 0)
        return master_fail(err), -1;
    pf_net_local_addr(fd, &bound);
    pf_addr_format((struct sockaddr *)&bound.ss, addr, sizeof(addr));
    pf_log_notice("listening on %s (protocol %s, backlog %d)", addr, m->cfg->protocol,
                  m->cfg->backlog);
    if (m->proto->url_scheme)
        pf_log_notice("serving %s://%s/", m->proto->url_scheme, addr);
    return fd;
}

/* Start stopping: fast (SIGTERM now, SIGKILL after stop_timeout) or
 * graceful (stop accepting, let workers finish their client within
 * graceful_timeout). A fast stop overrides a graceful one in progress. */
static void master_begin_stop(struct master *m, enum master_stop how)
{
    int64_t now = pf_time_now_ms();

    if (how <= m->stopping)
        return;
    if (how == STOP_FAST) {
        pf_log_notice("fast stop: terminating %d workers", pf_pool_alive(&m->pool));
        pf_pool_signal_all(&m->pool, SIGTERM, true);
        int64_t d = now + m->cfg->workers.stop_timeout_ms;
        m->stop_deadline = m->stopping && m->stop_deadline < d ? m->stop_deadline : d;
    } else {
        pf_log_notice("graceful stop: %d workers finish their clients (at most %d ms)",
                      pf_pool_alive(&m->pool), m->cfg->workers.graceful_timeout_ms);
        pf_pool_close_listener(&m->pool);
        pf_pool_signal_all(&m->pool, SIGQUIT, true);
        m->stop_deadline = now + m->cfg->workers.graceful_timeout_ms;
    }
    m->stopping = how;
}

/* SIGTTIN / SIGTTOU: one worker more or fewer, within [1, workers.max].
 * Standard signals do not queue: several sent at once may count as one. */
static void master_scale(struct master *m)
{
    int delta = (int)pf_sig_incr - (int)pf_sig_decr;
    int target = m->pool.target + delta;

    pf_sig_incr = pf_sig_decr = 0;
    if (m->stopping || delta == 0)
        return;
    if (target < 1)
        target = 1;
    if (target > m->cfg->workers.max)
        target = m->cfg->workers.max;
    if (target != m->pool.target)
        pf_log_notice("scaling the pool from %d to %d workers", m->pool.target, target);
    m->pool.target = target;
    while (pf_pool_active(&m->pool) > target && pf_pool_retire_one(&m->pool) > 0) {
    }
}

/* SIGUSR1: reopen our log file and tell the workers to do the same. */
static void master_reopen(struct master *m)
{
    char err[256];

    pf_sig_reopen = 0;
    if (pf_log_reopen(err, sizeof(err)) < 0)
        pf_log_error("%s", err);
    else
        pf_log_notice("log reopened");
    pf_pool_signal_all(&m->pool, SIGUSR1, false);
}

/* While stopping: past the deadline, kill what is left; once SIGKILL had
 * its own bound, stop waiting (the kernel reaps via init if we must go).
 * Returns true when the master may exit. */
static bool master_stop_progress(struct master *m)
{
    int64_t now = pf_time_now_ms();
    int alive = pf_pool_alive(&m->pool);

    if (alive == 0)
        return true;
    if (now < m->stop_deadline)
        return false;
    if (m->killed) {
        pf_log_error("%d workers survived SIGKILL for %d ms; exiting anyway", alive,
                     MASTER_KILL_WAIT_MS);
        return true;
    }
    pf_log_warn("%d workers still running at the stop deadline; sending SIGKILL", alive);
    pf_pool_signal_all(&m->pool, SIGKILL, true);
    m->killed = true;
    m->stop_deadline = now + MASTER_KILL_WAIT_MS;
    return false;
}

/* Sleep until a signal or the next tick (or the stop deadline). */
static void master_wait(struct master *m)
{
    int ms = MASTER_TICK_MS;
    struct timespec ts;

    if (m->stopping) {
        int left = pf_time_left_ms(m->stop_deadline);
        ms = left < ms ? left : ms;
    }
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    if (ppoll(NULL, 0, &ts, &m->wait_mask) < 0 && errno != EINTR)
        pf_log_error("ppoll failed: %s", strerror(errno));
}

/* One pass over what happened, always in this order: reap first (so the
 * counts below are true), then stop requests, then configuration and log
 * requests, then pool size. Returns true when the master should exit. */
static bool master_handle(struct master *m)
{
    if (pf_sig_child) {
        pf_sig_child = 0;
        pf_pool_reap(&m->pool);
    }
    if (pf_sig_terminate) {
        pf_sig_terminate = 0;
        master_begin_stop(m, STOP_FAST);
    }
    if (pf_sig_quit) {
        pf_sig_quit = 0;
        master_begin_stop(m, STOP_GRACEFUL);
    }
    if (pf_sig_reconfigure) {
        pf_sig_reconfigure = 0;
        pf_log_warn("SIGHUP: configuration reload is not implemented yet; ignored");
    }
    if (pf_sig_reopen)
        master_reopen(m);
    if (pf_sig_incr || pf_sig_decr)
        master_scale(m);
    if (m->stopping)
        return master_stop_progress(m);
    pf_pool_refill(&m->pool);
    return false;
}

int pf_master_run(struct pf_config *cfg)
{
    struct master m = {.cfg = cfg, .proto = pf_proto_find(cfg->protocol)};
    char err[PF_CONFIG_ERR_MAX];
    int fd;

    if (m.proto == NULL) {
        snprintf(err, sizeof(err), "unknown protocol \"%s\" (known: %s)", cfg->protocol,
                 pf_proto_names());
        return master_fail(err);
    }
    if (m.proto->master_init && m.proto->master_init(cfg, err, sizeof(err)) < 0)
        return master_fail(err);
    if (pf_signals_master(&m.wait_mask) < 0) {
        snprintf(err, sizeof(err), "cannot install signal handlers: %s", strerror(errno));
        return master_fail(err);
    }
    fd = master_listen(&m);
    if (fd < 0)
        return 1;
    if (pf_pool_init(&m.pool, cfg, m.proto, fd, err, sizeof(err)) < 0) {
        close(fd);
        return master_fail(err);
    }
    m.pool.target = cfg->workers.start;
    pf_log_notice("preforkd master %ld running %d workers", (long)getpid(), m.pool.target);
    pf_pool_refill(&m.pool);
    do
        master_wait(&m);
    while (!master_handle(&m));
    pf_log_notice("master exiting");
    pf_pool_destroy(&m.pool);
    return 0;
}
