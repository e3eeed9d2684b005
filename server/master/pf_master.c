/* pf_master: the master process's loop. */
#include "pf_master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_control.h"
#include "pf_daemon.h"
#include "pf_episode.h"
#include "pf_err.h"
#include "pf_events.h"
#include "pf_hung.h"
#include "pf_listener.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_notify.h"
#include "pf_parking.h"
#include "pf_pidfile.h"
#include "pf_pool.h"
#include "pf_pool_policy.h"
#include "pf_privs.h"
#include "pf_proto.h"
#include "pf_proto_table.h"
#include "pf_reload.h"
#include "pf_signals.h"
#include "pf_stats.h"
#include "pf_stop_policy.h"
#include "pf_supervise.h"
#include "pf_time.h"
#include "pf_title.h"
#include "pf_exec_watch.h"
#include "pf_upgrade.h"
#include "pf_version.h"
#include "pf_wake_policy.h"

/* After SIGKILL, how long to wait for the last workers before exiting. */
#define MASTER_KILL_WAIT_MS 3000

enum master_stop { STOP_NONE = 0, STOP_GRACEFUL, STOP_FAST };

struct master {
    struct pf_config *cfg;
    const struct pf_master_opts *opts;
    const struct pf_proto *proto;
    struct pf_pool pool;
    struct pf_parking parking;    /* the keeper and its sockets */
    struct pf_exec_watch exec;    /* exec workers' notify socket */
    struct pf_exec_output output; /* exec workers' output pipes */
    int64_t exec_due_ms;          /* monotonic: the next readiness deadline; -1 none */
    struct pf_episode keeper_mem; /* status could not read the keeper's memory */
    struct pf_supervise sv;       /* the tick: pool size, lifetimes, crash backoff */
    struct pf_control ctl;
    struct pf_control health; /* the status listener (status.listen) */
    struct pollfd *fds;       /* control descriptors, the status listener's, then
                                 the upgrade's report channel, rebuilt before each wait */
    int nfds;
    int nctl;    /* how many of fds are the control channel's */
    int nhealth; /* ...then how many the status listener's */
    sigset_t wait_mask;
    enum master_stop stopping;
    int64_t stop_deadline; /* monotonic ms: escalate to SIGKILL then */
    bool killed;           /* SIGKILL already sent */
    bool workers_told;     /* graceful stop: the workers were sent SIGQUIT (after
                              the keeper handed back what it held) */
    bool draining;         /* graceful stop, status.drain_delay: /health says
                              503 while the pool still serves, until
                              stop_deadline; then the stop proper */
    int64_t started_s;     /* wall clock */
    int64_t started_ms;    /* monotonic */
    char listen_text[PF_ADDR_STRLEN];
    int queue_max; /* longest accept queue seen */
    uint64_t reloads;
    struct pf_reloader reload;
    struct pf_pidfile pidfile;
    struct pf_upgrade upgrade;
    bool starting;           /* not yet reported ready */
    bool upgraded;           /* a new master took over: this one retires */
    int exit_status;         /* 1 when start-up failed */
    struct pf_events events; /* recent log messages at notice and above */
};

/* Tell a start-up failure to the operator (pf_daemon_fail_start), and to
 * the log when it is a file. */
static int master_fail(const char *what)
{
    pf_daemon_fail_start(what);
    if (pf_log_fd() != 2)
        pf_log_error("%s", what);
    return 1;
}

/* Use the listening socket handed over (socket activation, or an old
 * master's during an upgrade) with this configuration's backlog and
 * defer_accept. A listen address that differs is said, not obeyed: the
 * socket is what the operator's systemd unit or the old master chose. */
static int master_adopt(struct master *m, int fd)
{
    const char *from = m->opts->inherited.from_systemd ? "systemd (socket activation)"
                                                       : "the old master (binary upgrade)";
    struct pf_addr bound;
    char want[PF_ADDR_STRLEN];

    pf_net_local_addr(fd, &bound);
    pf_addr_format((const struct sockaddr *)&bound.ss, m->listen_text, PF_ADDR_STRLEN);
    pf_addr_format((const struct sockaddr *)&m->cfg->listen_addr.ss, want, sizeof(want));
    pf_listener_tune(fd, m->cfg);
    if (pf_addr_port((const struct sockaddr *)&m->cfg->listen_addr.ss) != 0 &&
        strcmp(want, m->listen_text) != 0)
        pf_log_warn("listen = \"%s\", but the socket handed over by %s is bound to %s: "
                    "serving there",
                    m->cfg->listen, from, m->listen_text);
    else
        pf_log_notice("using the listening socket handed over by %s", from);
    return fd;
}

/* Bind and listen before any fork: every worker inherits the one socket. */
static int master_listen(struct master *m)
{
    char err[PF_ERR_MAX];
    int fd = m->opts->inherited.listen_fd;

    if (fd >= 0)
        fd = master_adopt(m, fd);
    else if ((fd = pf_listener_open(m->cfg, m->listen_text, err, sizeof(err))) < 0)
        return master_fail(err), -1;
    pf_listener_announce(m->cfg, m->proto->url_scheme, m->listen_text);
    return fd;
}

/* Write and lock the pidfile (before anything listens, so that a second
 * instance says "already running" rather than "address in use"). */
static int master_pidfile(struct master *m)
{
    char err[PATH_MAX + 256];
    pid_t stale = 0;

    pf_pidfile_init(&m->pidfile);
    if (m->cfg->daemon.pidfile[0] == '\0')
        return 0;
    if (pf_pidfile_create(&m->pidfile, m->cfg->daemon.pidfile, getpid(), &stale, err, sizeof(err)) <
        0)
        return master_fail(err), -1;
    if (stale > 0)
        pf_log_warn("%s was stale (pid %ld was not running): replaced", m->cfg->daemon.pidfile,
                    (long)stale);
    return 0;
}

/* At start, before anything is bound: decide who the workers become
 * (refusing root workers unless configured) and set RLIMIT_NOFILE for
 * the master and its workers. 0, or -1 after master_fail. */
static int master_privs_init(const struct pf_config *cfg, struct pf_privs_plan *plan)
{
    char err[PF_ERR_MAX];

    if (pf_privs_plan(cfg, geteuid(), plan, err, sizeof(err)) < 0 ||
        pf_privs_set_nofile(cfg->daemon.max_files, err, sizeof(err)) < 0)
        return master_fail(err), -1;
    return 0;
}

/* Once start-up succeeded: hand the plan to the pool (each worker applies
 * it), warn about settings ignored for want of root, and say who the
 * workers run as. */
static void master_privs_use(struct master *m, const struct pf_privs_plan *plan)
{
    char who[PF_ERR_MAX];

    m->pool.privs = *plan;
    if (plan->ignored[0])
        pf_log_warn("%s", plan->ignored);
    pf_privs_describe(plan, m->cfg, geteuid(), who, sizeof(who));
    pf_log_notice("%s", who);
}

/* The title ps shows: "preforkd: master", what it is doing when it is
 * leaving (a master a new one replaced retires), then the arguments it
 * was started with, as ps showed them before (pgrep -f CONFIG finds it). */
static void master_title(const struct master *m)
{
    const char *args = m->opts->args ? m->opts->args : "";

    pf_title_set(NULL, "preforkd: master%s%s%s",
                 m->upgraded   ? " (retiring)"
                 : m->stopping ? " (stopping)"
                               : "",
                 args[0] ? " " : "", args);
}

/* The graceful stop proper: stop accepting, stop the keeper first (the
 * workers are told once it is done), and give the workers
 * graceful_timeout to finish their clients. */
static void master_stop_accepting(struct master *m, int64_t now)
{
    m->draining = false;
    pf_log_notice("graceful stop: %d workers finish their clients (at most %d ms)",
                  pf_pool_alive(&m->pool), m->cfg->workers.graceful_timeout_ms);
    pf_pool_close_listener(&m->pool);
    pf_parking_stop(&m->parking, SIGQUIT);
    m->stop_deadline = now + m->cfg->workers.graceful_timeout_ms;
}

/* Start stopping: fast (SIGTERM now, SIGKILL after stop_timeout) or
 * graceful (stop accepting, let workers finish their client within
 * graceful_timeout), after status.drain_delay of draining when set: the
 * server is "stopping" for /health at once, so that load balancers take
 * it out, while it still accepts and serves whatever they send until they
 * have. (Not for a master retiring after an upgrade, whose socket the new
 * master serves, nor one still starting, which no balancer uses yet.) A
 * fast stop overrides a graceful one in progress, or a drain. */
static void master_begin_stop(struct master *m, enum master_stop how)
{
    int64_t now = pf_time_now_ms();
    int drain_ms = pf_stop_policy_drain_ms(m->cfg->status.drain_delay_ms, m->upgraded, m->starting);

    if (how <= m->stopping)
        return;
    if (!m->upgraded)
        pf_notify("STOPPING=1");
    if (how == STOP_FAST) {
        pf_log_notice("fast stop: terminating %d workers", pf_pool_alive(&m->pool));
        pf_parking_stop(&m->parking, SIGTERM);
        pf_pool_signal_all(&m->pool, SIGTERM, true);
        m->workers_told = true;
        m->stop_deadline = pf_stop_policy_fast_deadline(m->stopping != STOP_NONE, m->draining,
                                                        m->stop_deadline, now,
                                                        m->cfg->workers.stop_timeout_ms);
        m->draining = false;
    } else if (drain_ms > 0) {
        pf_log_notice("graceful stop: draining for %d ms first (status.drain_delay): /health "
                      "answers 503 while the workers still accept",
                      drain_ms);
        m->draining = true;
        m->stop_deadline = now + drain_ms;
    } else {
        master_stop_accepting(m, now);
    }
    m->stopping = how;
    master_title(m);
}

/* The one place the pool's size changes (signals and control alike):
 * forks happen on the next refill, extra workers are retired now. */
static void master_set_target(struct master *m, int target)
{
    if (target != m->pool.target)
        pf_log_notice("scaling the pool from %d to %d workers", m->pool.target, target);
    m->pool.target = target;
    while (pf_pool_active(&m->pool) > target && pf_pool_retire_one(&m->pool) > 0) {
    }
}

/* SIGTTIN / SIGTTOU: one worker more or fewer, within [1, workers.max].
 * Standard signals do not queue: several sent at once may count as one.
 * A dynamic pool sizes itself: the signals are logged and ignored. */
static void master_scale(struct master *m)
{
    int delta = (int)pf_signals_incr - (int)pf_signals_decr;

    pf_signals_incr = pf_signals_decr = 0;
    if (m->stopping || delta == 0)
        return;
    if (pf_config_dynamic(m->cfg)) {
        pf_log_warn("SIGTTIN/SIGTTOU ignored: the pool is dynamic (workers.mode), its size "
                    "follows the load between workers.min_spare and max_spare idle workers");
        return;
    }
    master_set_target(m, pf_pool_policy_scale(m->pool.target, delta, m->cfg->workers.max));
}

/* SIGUSR1 and "reopen": reopen our log file, and tell the workers. A
 * worker that switched user or chroot cannot reopen root-owned files by
 * path (and should not be able to): it is replaced instead, the way a
 * reload replaces workers, and its successor opens the new files before
 * it drops its privileges. */
static void master_reopen(struct master *m)
{
    char err[PF_ERR_MAX];

    if (pf_log_reopen(err, sizeof(err)) < 0)
        pf_log_error("%s", err);
    else
        pf_log_notice("log reopened");
    if (pf_privs_dropped(&m->pool.privs) && !m->stopping)
        pf_reload_roll(&m->reload, "reopen: workers run without root");
    else
        pf_pool_signal_all(&m->pool, SIGUSR1, false);
    pf_parking_signal(&m->parking, SIGUSR1); /* the keeper reopens its own */
}

/* SIGHUP and "reload": read the file again and roll the pool over to it
 * (pf_reload.c); a failure leaves everything as it was. Either way
 * the outcome is logged, and told to a control client through rep/err. */
static int master_reload(struct master *m, struct pf_status_reload *rep, char *err, size_t errlen)
{
    int rc;

    if (m->stopping) {
        snprintf(err, errlen, "reload: the server is stopping");
        pf_log_warn("%s", err);
        return -1;
    }
    pf_notify_printf("RELOADING=1\nMONOTONIC_USEC=%llu", pf_notify_monotonic_usec());
    rc = pf_reload_apply(&m->reload, rep, err, errlen);
    if (rc == 0)
        m->reloads++;
    pf_notify_printf("READY=1\nSTATUS=%s", rc == 0 ? "reloaded" : "reload failed: see the log");
    return rc;
}

/* SIGUSR2 and "upgrade": start the binary again (pf_upgrade.c). Returns
 * the new master's pid, or -1 with the reason (logged too). */
static pid_t master_upgrade(struct master *m, char *err, size_t errlen)
{
    const struct pf_upgrade_exec x = {
        .exe = m->opts->exe,
        .config = m->opts->config,
        .listen_fd = m->pool.listen_fd,
        .control_fd = m->ctl.listen_fd,
        .status_fd = m->health.listen_fd,
        .pidfile = &m->pidfile,
    };

    if (m->stopping || m->starting || m->opts->exe[0] == '\0' || m->opts->config[0] == '\0')
        snprintf(err, errlen, "upgrade: %s",
                 m->stopping                  ? "the server is stopping"
                 : m->starting                ? "the server is still starting"
                 : m->opts->config[0] == '\0' ? "started without a configuration file (the "
                                                "command line's program form); restart it"
                                              : "the path of the running binary is unknown");
    else if (pf_upgrade_start(&m->upgrade, &x, err, errlen) == 0) {
        pf_log_notice("upgrade: started %s as the new master, pid %ld; this master retires "
                      "once it is ready",
                      x.exe, (long)m->upgrade.pid);
        return m->upgrade.pid;
    }
    pf_log_error("%s", err);
    return -1;
}

/* While an upgrade is pending: has the new master reported? Ready: this
 * master hands over (no more control clients, its workers finish their
 * clients, it exits). Failed: pf_upgrade rolled back; keep serving. */
static void master_upgrade_check(struct master *m)
{
    char text[PF_DAEMON_REPORT_MAX];
    pid_t pid = m->upgrade.pid;

    switch (pf_upgrade_check(&m->upgrade, &m->pidfile, pf_time_now_ms(), text, sizeof(text))) {
    case PF_DAEMON_READY:
        pf_log_notice("upgrade: the new master (%s) is ready; this master's workers finish "
                      "their clients and it exits",
                      text);
        m->upgraded = true;
        pf_control_close(&m->ctl);
        pf_control_close(&m->health); /* the new master answers on both */
        master_begin_stop(m, STOP_GRACEFUL);
        break;
    case PF_DAEMON_FAILED:
        pf_log_error("upgrade failed: new master %ld: %s; this master keeps serving", (long)pid,
                     text);
        break;
    case PF_DAEMON_PENDING: break;
    }
}

/* Start-up ends when every worker of the first pool accepts: report it
 * (launcher, old master, systemd). A worker that could not start (an exec
 * program that never said READY=1 included), or died of its own fault
 * (SIGSEGV...), before then fails the start-up with its reason (a -d
 * launcher exits 1 with it); so do exec programs that keep failing
 * before their READY=1 (exec.ready = "notify") until the crash backoff
 * begins (their last line of output is the reason). Workers ready at
 * their start (the built-in ones, exec.ready = "started") are ready, or
 * not, by a race with their crash: they are backed off instead, whatever
 * the race, so that the outcome does not depend on timing. One killed
 * from outside is only replaced. */
static void master_check_started(struct master *m)
{
    char text[PF_SLOT_REASON_MAX * 2 + 256];
    bool notify = pf_config_exec(m->cfg) && strcmp(m->cfg->exec.ready, "notify") == 0;

    if (m->pool.broken > 0 || (notify && pf_backoff_policy_running(&m->pool.backoff))) {
        if (m->pool.broken > 0)
            snprintf(text, sizeof(text), "start-up failed: %s", m->pool.last_broken);
        else
            snprintf(text, sizeof(text),
                     "start-up failed: workers keep failing (more than workers.crash_limit %d "
                     "abnormal exits before the pool was ready); last: %s",
                     m->cfg->workers.crash_limit, m->pool.last_failure);
        master_fail(text);
        m->starting = false;
        m->exit_status = 1;
        master_begin_stop(m, STOP_FAST);
        return;
    }
    if (pf_pool_ready(&m->pool) < m->pool.target)
        return;
    m->starting = false;
    pf_log_notice("ready: %d workers accepting on %s", m->pool.target, m->listen_text);
    snprintf(text, sizeof(text), "running as pid %ld, listening on %s", (long)getpid(),
             m->listen_text);
    pf_daemon_ready(text); /* after the log line: whoever hears it may read the log */
    pf_notify_printf("READY=1\nMAINPID=%ld\nSTATUS=serving on %s with %d workers", (long)getpid(),
                     m->listen_text, m->pool.target);
}

/* While stopping: while draining, keep the pool as it is until the drain
 * ends, then stop accepting; past the deadline, kill what is left; once
 * SIGKILL had its own bound, stop waiting (the kernel reaps via init if we
 * must go). Returns true when the master may exit. */
static bool master_stop_progress(struct master *m)
{
    int64_t now = pf_time_now_ms();
    int alive;

    if (m->draining) {
        if (now < m->stop_deadline) { /* serving as usual until then */
            pf_parking_spawn(&m->parking, &m->pool);
            pf_pool_refill(&m->pool);
            return false;
        }
        master_stop_accepting(m, now);
    }
    if (!m->workers_told && (!pf_parking_alive(&m->parking) || now >= m->stop_deadline)) {
        pf_pool_signal_all(&m->pool, SIGQUIT, true);
        m->workers_told = true;
    }
    alive = pf_pool_alive(&m->pool) + pf_parking_alive(&m->parking);
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
    pf_parking_signal(&m->parking, SIGKILL);
    m->killed = true;
    m->stop_deadline = now + MASTER_KILL_WAIT_MS;
    return false;
}

/* Sleep until a signal, a control client, or the soonest deadline of
 * every part (pf_wake_policy folds them). */
static void master_wait(struct master *m)
{
    int64_t now = pf_time_now_ms();
    const struct pf_wake_policy_waits waits = {
        .stopping = m->stopping != STOP_NONE,
        .starting = m->starting,
        .supervise_ms =
            m->stopping
                ? -1
                : pf_time_sooner_ms(pf_time_sooner_ms(pf_supervise_wait_ms(&m->sv, &m->pool, now),
                                                      pf_parking_wait_ms(&m->parking, now)),
                                    pf_time_left_ms(m->exec_due_ms)),
        .stop_ms = m->stopping ? pf_time_left_ms(m->stop_deadline) : -1,
        .control_ms = pf_time_sooner_ms(pf_control_timeout_ms(&m->ctl),
                                        pf_control_timeout_ms(&m->health)),
        .reload_ms = pf_reload_wait_ms(&m->reload),
        .upgrade_ms = pf_upgrade_wait_ms(&m->upgrade, now),
        .hung_ms = pf_time_left_ms(pf_hung_due(&m->pool)),
    };
    struct timespec ts = pf_time_timespec(pf_wake_policy_ms(&waits));

    m->nctl = m->nfds = pf_control_pollfds(&m->ctl, m->fds, m->cfg->control.max_clients + 1);
    m->nhealth = pf_control_pollfds(&m->health, m->fds + m->nfds, m->cfg->status.max_clients + 1);
    m->nfds += m->nhealth;
    if (m->upgrade.fd >= 0)
        m->fds[m->nfds++] = (struct pollfd){.fd = m->upgrade.fd, .events = POLLIN};
    if (pf_exec_watch_fd(&m->exec) >= 0)
        m->fds[m->nfds++] = (struct pollfd){.fd = pf_exec_watch_fd(&m->exec), .events = POLLIN};
    if (pf_exec_output_fd(&m->output) >= 0)
        m->fds[m->nfds++] = (struct pollfd){.fd = pf_exec_output_fd(&m->output), .events = POLLIN};
    if (ppoll(m->fds, (nfds_t)m->nfds, &ts, &m->wait_mask) < 0) {
        if (errno != EINTR)
            pf_log_error("ppoll failed: %s", strerror(errno));
        for (int i = 0; i < m->nfds; i++)
            m->fds[i].revents = 0;
    }
}

/* The accept queue's length now, and the longest seen (for status). */
static int master_queue_len(struct master *m)
{
    int q = m->pool.listen_fd >= 0 ? pf_net_accept_queue_len(m->pool.listen_fd) : 0;

    if (q > m->queue_max)
        m->queue_max = q;
    return q < 0 ? 0 : q;
}

/* ------------------------------------------------ control operations */

/* The keeper's part of a status. Its memory, when it cannot be read, is
 * reported as 0 and logged when that begins and once a minute while it
 * lasts (at info level: it happens for a moment when a keeper dies). */
static void master_keeper_status(struct master *m, struct pf_status_keeper *k)
{
    char err[PF_ERR_MAX];

    if (pf_stats_keeper(&m->parking, k, err, sizeof(err)) == 0) {
        pf_episode_ok(&m->keeper_mem);
        return;
    }
    switch (pf_episode_fail(&m->keeper_mem, errno, pf_time_now_ms(), PF_EPISODE_PERIOD_MS)) {
    case PF_EPISODE_BEGAN:
    case PF_EPISODE_CHANGED:
    case PF_EPISODE_LASTS: pf_log_info("keeper's memory not reported: %s", err); break;
    case PF_EPISODE_QUIET:
    case PF_EPISODE_ENDED: break;
    }
}

static void master_op_status(void *ctx, struct pf_status *st)
{
    struct master *m = ctx;

    memset(st, 0, sizeof(*st));
    pf_exec_watch_probe(&m->exec, &m->pool, pf_time_now_ms()); /* who serves, if stale */
    pf_stats_pool(&m->pool, st);
    st->pid = getpid();
    st->version = PF_VERSION;
    st->start_time_s = m->started_s;
    st->uptime_s = (pf_time_now_ms() - m->started_ms) / 1000;
    st->protocol = m->cfg->protocol;
    st->listen = m->listen_text;
    st->starting = m->starting;
    st->stopping = m->stopping != STOP_NONE;
    st->reloads = m->reloads;
    st->listen_queue = master_queue_len(m);
    st->listen_queue_max = m->queue_max;
    st->backlog = m->cfg->backlog;
    pf_supervise_status(&m->sv, &m->pool, st, pf_time_now_ms());
    master_keeper_status(m, &st->keeper);
    st->exec = (struct pf_status_exec){.enabled = pf_exec_watch_fd(&m->exec) >= 0,
                                       .messages = m->exec.messages,
                                       .foreign = m->exec.foreign,
                                       .bad = m->exec.sock.bad,
                                       .refused = m->exec.refused,
                                       .not_ready = m->exec.not_ready};
    if (st->exec.enabled) /* an exec worker is hung when its watchdog is silent */
        st->exec.watchdog_kills = st->hung_killed;
    st->reload_rollbacks = m->reload.rollbacks;
    st->last_reload = m->reload.last;
    if (st->last_reload.state == PF_ROLLOVER_ROLLING) {
        st->last_reload.failed = m->pool.gen_start_failures;
        if (m->pool.gen_start_failures > 0)
            snprintf(st->last_reload.reason, sizeof(st->last_reload.reason), "%s",
                     m->pool.last_failure);
    }
}

static void master_op_processes(void *ctx, struct pf_status *st)
{
    pf_stats_processes(&((struct master *)ctx)->pool, st);
}

static const struct pf_events *master_op_events(void *ctx)
{
    return &((struct master *)ctx)->events;
}

/* The log's tap: keep each event for the status page and `preforkctl events`. */
static void master_event(void *ctx, int level, const struct timespec *when, const char *msg)
{
    struct master *m = ctx;

    pf_events_add(&m->events, (int64_t)when->tv_sec * 1000 + when->tv_nsec / 1000000, level, msg);
}

static size_t master_op_workers(void *ctx, struct pf_status_worker *out, size_t max)
{
    struct master *m = ctx;
    size_t n;

    pf_exec_watch_probe(&m->exec, &m->pool, pf_time_now_ms()); /* who serves, if stale */
    n = pf_stats_workers(&m->pool, out, max);
    pf_stats_workers_memory(out, n);
    return n;
}

/* "scale N|+N|-N": like SIGTTIN/SIGTTOU, but exact, and a target out of
 * [1, workers.max] is refused rather than clamped; so is any target for a
 * dynamic pool, which sizes itself. */
static int master_op_scale(void *ctx, bool relative, long value, int *from, int *to, char *err,
                           size_t errlen)
{
    struct master *m = ctx;
    long target = relative ? m->pool.target + value : value;

    *from = m->pool.target;
    if (m->stopping) {
        snprintf(err, errlen, "scale: the server is stopping");
        return -1;
    }
    if (pf_config_dynamic(m->cfg)) {
        snprintf(err, errlen,
                 "scale: the pool is dynamic (workers.mode): its size follows "
                 "the load; change workers.min_spare, max_spare or max instead");
        return -1;
    }
    if (target < 1 || target > m->cfg->workers.max) {
        snprintf(err, errlen, "scale: the target %ld is outside 1..%d (workers.max)", target,
                 m->cfg->workers.max);
        return -1;
    }
    master_set_target(m, (int)target);
    *to = (int)target;
    return 0;
}

static int master_op_reload(void *ctx, struct pf_status_reload *rep, char *err, size_t errlen)
{
    return master_reload(ctx, rep, err, errlen);
}

static void master_op_reopen(void *ctx)
{
    master_reopen(ctx);
}

static pid_t master_op_upgrade(void *ctx, char *err, size_t errlen)
{
    return master_upgrade(ctx, err, errlen);
}

static void master_op_stop(void *ctx, bool fast)
{
    master_begin_stop(ctx, fast ? STOP_FAST : STOP_GRACEFUL);
}

/* "kill PID": recycle one worker gracefully; the pool refills its place. */
static int master_op_kill(void *ctx, pid_t pid, char *err, size_t errlen)
{
    struct master *m = ctx;
    int slot = pf_pool_find(&m->pool, pid);

    if (slot < 0 || m->pool.children[slot].retiring) {
        snprintf(err, errlen, "kill: no active worker has pid %ld", (long)pid);
        return -1;
    }
    pf_log_notice("recycling worker %ld on request", (long)pid);
    pf_pool_retire_slot(&m->pool, slot);
    m->pool.vacancies++;
    return 0;
}

/* In each new worker: the control channel, the pidfile and an upgrade's
 * report channel are the master's alone, and an old listening socket
 * left open there would never be drained. */
static void master_child_cleanup(void *ctx)
{
    struct master *m = ctx;

    pf_control_close(&m->ctl);
    pf_control_close(&m->health);
    pf_reload_close(&m->reload);
    pf_pidfile_forget(&m->pidfile);
    if (m->upgrade.fd >= 0)
        close(m->upgrade.fd);
}

/* A reaped child that is not a worker: the keeper, or the new master of
 * an upgrade. */
static void master_other_exit(void *ctx, pid_t pid, int status)
{
    struct master *m = ctx;

    if (!pf_parking_reaped(&m->parking, pid, status))
        pf_upgrade_reaped(&m->upgrade, pid, status);
}

/* Bind the control channel and load its token before the service socket,
 * so a bad token file stops start-up before anything listens. */
static int master_control_init(struct master *m, char *err, size_t errlen)
{
    const struct pf_control_ops ops = {
        .ctx = m,
        .status = master_op_status,
        .workers = master_op_workers,
        .processes = master_op_processes,
        .events = master_op_events,
        .scale = master_op_scale,
        .reload = master_op_reload,
        .reopen = master_op_reopen,
        .stop = master_op_stop,
        .kill_worker = master_op_kill,
        .upgrade = master_op_upgrade,
    };

    /* each listener and its clients, an upgrade's report channel, the
     * notify socket, the exec workers' output */
    m->fds = calloc((size_t)m->cfg->control.max_clients + (size_t)m->cfg->status.max_clients + 5,
                    sizeof(*m->fds));
    if (m->fds == NULL) {
        snprintf(err, errlen, "control: %s", strerror(ENOMEM));
        return -1;
    }
    if (pf_control_init(&m->ctl, m->cfg, &ops, m->opts->inherited.control_fd, err, errlen) < 0)
        return -1;
    return pf_control_init_status(&m->health, m->cfg, &ops, m->opts->inherited.status_fd, err,
                                  errlen);
}

/* One pass over what happened, always in this order:
 * 1. reap, so that everything after it (a control client's status, scale
 *    or kill included) sees the pool as it is;
 * 2. the control clients, whose poll results belong to the wait just
 *    ended: they are used before any step below can close the channel
 *    (a binary upgrade's success retires this master's channel);
 * 3. stop requests, then configuration and log requests, the upgrade,
 *    pool size, hung workers, the roll-over, and supervision.
 * Returns true when the master should exit. */
static bool master_handle(struct master *m)
{
    if (pf_signals_child) {
        pf_signals_child = 0;
        pf_pool_reap(&m->pool);
    }
    pf_control_handle(&m->ctl, m->fds, m->nctl);
    pf_control_handle(&m->health, m->fds + m->nctl, m->nhealth);
    pf_exec_watch_read(&m->exec, &m->pool);
    pf_exec_output_read(&m->output);
    if (pf_signals_terminate) {
        pf_signals_terminate = 0;
        master_begin_stop(m, STOP_FAST);
    }
    if (pf_signals_quit) {
        pf_signals_quit = 0;
        master_begin_stop(m, STOP_GRACEFUL);
    }
    if (pf_signals_reconfigure) {
        struct pf_status_reload rep; /* the log says it all */
        char err[PF_ERR_MAX];

        pf_signals_reconfigure = 0;
        master_reload(m, &rep, err, sizeof(err));
    }
    if (pf_signals_reopen) {
        pf_signals_reopen = 0;
        master_reopen(m);
    }
    if (pf_signals_upgrade && !m->starting) { /* asked during start-up: done once ready */
        char err[PF_ERR_MAX];                 /* logged */

        pf_signals_upgrade = 0;
        master_upgrade(m, err, sizeof(err));
    }
    if (pf_upgrade_pending(&m->upgrade))
        master_upgrade_check(m);
    if (pf_signals_incr || pf_signals_decr)
        master_scale(m);
    pf_hung_check(&m->pool, pf_time_now_ms()); /* while stopping too: escalations */
    {
        int64_t now = pf_time_now_ms(), left = pf_exec_watch_tick(&m->exec, &m->pool, now);

        m->exec_due_ms = left < 0 ? -1 : now + left;
    }
    master_queue_len(m);
    pf_reload_tick(&m->reload, m->stopping != STOP_NONE);
    if (m->stopping)
        return master_stop_progress(m);
    pf_parking_spawn(&m->parking, &m->pool);
    pf_pool_refill(&m->pool);
    pf_pool_replace(&m->pool); /* those being replaced go as successors are ready */
    if (pf_config_dynamic(m->cfg) &&
        pf_pool_policy_tick_left_ms(&m->sv.policy, pf_time_now_ms()) == 0) /* before sizing */
        pf_exec_watch_probe(&m->exec, &m->pool, pf_time_now_ms());
    pf_supervise_tick(&m->sv, &m->pool, pf_time_now_ms(),
                      m->reload.rolling || pf_exec_watch_blind(&m->exec));
    if (m->starting)
        master_check_started(m);
    return false;
}

/* Undo a start-up that failed half way (what was set up is closed;
 * the pidfile is removed). Returns the exit status, 1. */
static int master_abort(struct master *m)
{
    pf_exec_watch_destroy(&m->exec);
    pf_exec_output_destroy(&m->output);
    pf_parking_destroy(&m->parking);
    if (m->pool.children)
        pf_pool_destroy(&m->pool);
    pf_control_close(&m->ctl);
    pf_control_close(&m->health);
    free(m->fds);
    pf_pidfile_remove(&m->pidfile);
    pf_log_set_tap(PF_LOG_NOTICE, NULL, NULL);
    return 1;
}

/* Everything before the loop, in an order where each failure stops the
 * start-up with its reason: privileges, protocol, signals, pidfile,
 * control channel, listening socket, pool. 0 or -1 (reported). */
static int master_start(struct master *m)
{
    struct pf_privs_plan privs;
    char err[PF_ERR_MAX];
    int fd;

    if (m->proto == NULL) {
        snprintf(err, sizeof(err), "unknown protocol \"%s\" (known: %s)", m->cfg->protocol,
                 pf_proto_table_names());
        return master_fail(err), -1;
    }
    if (master_privs_init(m->cfg, &privs) < 0)
        return -1;
    if (m->proto->master_init && m->proto->master_init(m->cfg, err, sizeof(err)) < 0)
        return master_fail(err), -1;
    if (pf_signals_master(&m->wait_mask) < 0) {
        snprintf(err, sizeof(err), "cannot install signal handlers: %s", strerror(errno));
        return master_fail(err), -1;
    }
    if (master_pidfile(m) < 0)
        return -1;
    if (master_control_init(m, err, sizeof(err)) < 0)
        return master_fail(err), -1;
    fd = master_listen(m);
    if (fd < 0)
        return -1;
    if (pf_pool_init(&m->pool, m->cfg, m->proto, fd, err, sizeof(err)) < 0) {
        close(fd);
        return master_fail(err), -1;
    }
    if (pf_parking_init(&m->parking, m->cfg, err, sizeof(err)) < 0)
        return master_fail(err), -1;
    m->pool.parking = &m->parking;
    if (pf_exec_watch_init(&m->exec, m->cfg, err, sizeof(err)) < 0)
        return master_fail(err), -1;
    m->pool.notify_socket = pf_exec_watch_name(&m->exec);
    if (pf_config_exec(m->cfg)) {
        if (pf_exec_output_init(&m->output, m->pool.sb.nslots, err, sizeof(err)) < 0)
            return master_fail(err), -1;
        m->pool.output = &m->output;
    }
    master_privs_use(m, &privs);
    return 0;
}

int pf_master_run(struct pf_config *cfg, const struct pf_master_opts *opts)
{
    struct master m = {.cfg = cfg, .opts = opts, .proto = pf_proto_table_find(cfg->protocol)};

    m.ctl.listen_fd = -1;
    m.health.listen_fd = -1;
    m.exec.sock.fd = -1;
    m.output.ep = -1;
    m.exec_due_ms = -1;
    pf_log_set_tap(PF_LOG_NOTICE, master_event, &m);
    master_title(&m);
    pf_pidfile_init(&m.pidfile);
    pf_upgrade_init(&m.upgrade);
    if (master_start(&m) < 0)
        return master_abort(&m);
    m.pool.child_cleanup = master_child_cleanup;
    m.pool.other_exit = master_other_exit;
    m.pool.on_exit = pf_supervise_exit;
    m.pool.child_ctx = &m;
    m.reload = (struct pf_reloader){.cfg = cfg,
                                    .path = opts->config,
                                    .proto = &m.proto,
                                    .pool = &m.pool,
                                    .listen_text = m.listen_text};
    if (m.ctl.listen_fd >= 0)
        pf_log_notice("control channel listening on %s", m.ctl.bound);
    if (m.health.listen_fd >= 0)
        pf_log_notice("status listener on %s (GET /health, GET /metrics)", m.health.bound);
    m.started_s = (int64_t)time(NULL);
    m.started_ms = pf_time_now_ms();
    pf_supervise_init(&m.sv, cfg, m.started_ms);
    m.pool.target = cfg->workers.start;
    m.starting = true;
    pf_log_notice("preforkd master %ld running %d workers", (long)getpid(), m.pool.target);
    pf_parking_spawn(&m.parking, &m.pool);
    pf_pool_refill(&m.pool);
    do
        master_wait(&m);
    while (!master_handle(&m));
    if (m.starting)
        master_fail("stopped before it was ready");
    pf_log_notice("master exiting");
    pf_reload_close(&m.reload);
    pf_control_close(&m.ctl);
    pf_control_close(&m.health);
    free(m.fds);
    pf_parking_destroy(&m.parking);
    pf_exec_watch_destroy(&m.exec);
    pf_exec_output_destroy(&m.output);
    pf_pool_destroy(&m.pool);
    pf_pidfile_remove(&m.pidfile);
    pf_log_set_tap(PF_LOG_NOTICE, NULL, NULL);
    return m.exit_status;
}
