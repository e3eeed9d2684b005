/* pf_supervise: the tick, the crash backoff's log, recycling by age. */
#include "pf_supervise.h"

#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_crash_policy.h"
#include "pf_err.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_stats.h"
#include "pf_worker.h"

/* Nothing counted or logged yet; the tick schedule starts now. */
void pf_supervise_init(struct pf_supervise *sv, const struct pf_config *cfg, int64_t now_ms)
{
    *sv = (struct pf_supervise){.cfg = cfg, .max_logged_ms = -1};
    pf_pool_policy_init(&sv->policy, now_ms);
}

/* The pool as the policy sees it: slots held, active workers, and those
 * of them idle or starting (ready for a client now or in a moment). */
static struct pf_pool_policy_counts supervise_counts(const struct pf_pool *p)
{
    struct pf_pool_policy_counts n = {0, 0, 0};

    for (size_t i = 0; i < p->sb.nslots; i++) {
        int state;

        if (p->children[i].pid <= 0)
            continue;
        n.alive++;
        if (p->children[i].retiring || p->children[i].replace)
            continue;
        n.active++;
        state = pf_slot_get_state(&p->sb.slots[i]);
        if (state == PF_SLOT_IDLE || state == PF_SLOT_STARTING)
            n.spare++;
    }
    return n;
}

/* Replace every active worker past its own lifetime, new one first (it
 * is retired once its successor is ready: pf_pool_replace). */
static void supervise_lifetimes(struct pf_pool *p, int64_t now_ms)
{
    for (size_t i = 0; i < p->sb.nslots; i++) {
        const struct pf_child *c = &p->children[i];

        if (c->pid <= 0 || c->retiring || c->replace ||
            !pf_recycle_policy_expired(c->started_ms, c->lifetime_ms, now_ms))
            continue;
        pf_log_info("recycling worker %ld: ran %lld ms, its lifetime %lld ms (max_lifetime %d "
                    "+ jitter %lld)",
                    (long)c->pid, (long long)(now_ms - c->started_ms), (long long)c->lifetime_ms,
                    p->cfg->workers.max_lifetime_ms,
                    (long long)(c->lifetime_ms - p->cfg->workers.max_lifetime_ms));
        pf_pool_mark_replace(p, (int)i);
    }
}

/* Every worker busy at workers.max: counted each time the pool comes to
 * it, logged at most once a PF_SUPERVISE_MAX_LOG_MS. */
static void supervise_max(struct pf_supervise *sv, const struct pf_pool *p, bool reached,
                          int64_t now_ms)
{
    if (reached && !sv->at_max)
        sv->max_reached++;
    sv->at_max = reached;
    if (!reached ||
        (sv->max_logged_ms >= 0 && now_ms - sv->max_logged_ms < PF_SUPERVISE_MAX_LOG_MS))
        return;
    sv->max_logged_ms = now_ms;
    pf_log_warn("all %d workers are busy and workers.max is reached: new clients wait in the "
                "listen queue (%d waiting now); logged at most once a minute",
                sv->cfg->workers.max,
                p->listen_fd >= 0 ? pf_net_accept_queue_len(p->listen_fd) : 0);
}

/* Apply the pool size policy: the target becomes the active workers plus
 * the forks minus the retirements (in static mode that is the operator's
 * target again). While the crash backoff runs, or the caller says hold (a
 * reload rolls the pool over; exec workers cannot be seen), a dynamic
 * pool holds its target: growing it then would only queue forks the
 * backoff refuses, race the roll-over, or size the pool blind. */
static void supervise_size(struct pf_supervise *sv, struct pf_pool *p, int64_t now_ms, bool hold)
{
    struct pf_pool_policy_counts n = supervise_counts(p);
    bool dynamic = pf_config_dynamic(sv->cfg);
    struct pf_pool_policy_decision d;

    if (dynamic && (pf_backoff_policy_running(&p->backoff) || hold)) {
        sv->policy.spawn_rate = 1;
        return;
    }
    d = pf_pool_policy_decide(sv->cfg, p->target, &n, &sv->policy);
    if (dynamic && d.spawn > 0)
        pf_log_info("pool growing from %d to %d workers: %d spare (min_spare %d)", n.active,
                    n.active + d.spawn, n.spare, sv->cfg->workers.min_spare);
    for (int i = 0; i < d.retire; i++) {
        pid_t pid = pf_pool_retire_one(p);

        if (pid > 0 && dynamic)
            pf_log_info("pool shrinking from %d to %d workers: %d spare (max_spare %d); "
                        "retiring worker %ld",
                        n.active, n.active - d.retire, n.spare, sv->cfg->workers.max_spare,
                        (long)pid);
    }
    /* a dynamic pool keeps a place for the successors of those being
     * replaced (a static one's target already has them) */
    p->target = n.active + (dynamic ? pf_pool_replacing(p) : 0) + d.spawn - d.retire;
    supervise_max(sv, p, d.max_reached, now_ms);
}

/* The backoff's end, logged once. */
static void supervise_recovery(const struct pf_supervise *sv, struct pf_pool *p, int64_t now_ms)
{
    if (pf_backoff_policy_tick(&p->backoff, now_ms) == PF_BACKOFF_POLICY_RECOVERED)
        pf_log_notice("workers stopped failing: those forked since the last abnormal exit "
                      "ran %g s (crash_window) without one; respawn backoff over",
                      sv->cfg->workers.crash_window_ms / 1000.0);
}

/* Workers whose private memory is above workers.max_memory: each is
 * replaced, new one first, as for a lifetime (refill forks its successor;
 * it is told to stop, and finishes its client, once that one is ready);
 * logged with the figure. A worker whose memory cannot be read now (it
 * is exiting) is looked at again on the next tick. */
static void supervise_memory(struct pf_pool *p)
{
    uint64_t limit_kib = (uint64_t)p->cfg->workers.max_memory_mib * 1024;

    for (size_t i = 0; limit_kib > 0 && i < p->sb.nslots; i++) {
        struct pf_child *c = &p->children[i];
        struct pf_smaps m;
        char err[PF_ERR_MAX];

        if (c->pid <= 0 || c->retiring || c->replace ||
            pf_stats_memory(c->pid, &m, err, sizeof(err)) < 0 || m.private_kib <= limit_kib)
            continue;
        pf_log_notice("recycling worker %ld: private memory %llu KiB is above workers.max_memory "
                      "(%ld MiB)",
                      (long)c->pid, (unsigned long long)m.private_kib,
                      p->cfg->workers.max_memory_mib);
        pf_pool_mark_replace(p, (int)i);
        p->memory_recycled++;
    }
}

/* Size before lifetimes: a worker retired for its age is then replaced
 * (its place stays in the target), not taken as the pool shrinking. */
void pf_supervise_tick(struct pf_supervise *sv, struct pf_pool *p, int64_t now_ms, bool hold)
{
    if (!pf_pool_policy_tick_due(&sv->policy, now_ms))
        return;
    supervise_recovery(sv, p, now_ms);
    supervise_size(sv, p, now_ms, hold);
    supervise_lifetimes(p, now_ms);
    supervise_memory(p);
    pf_pool_refill(p);
    pf_pool_replace(p);
}

/* The backoff's deadline, and the retry after a failed fork, count only
 * when the pool is short: otherwise there is no fork to wait for, and the
 * tick bounds the sleep. */
int pf_supervise_wait_ms(const struct pf_supervise *sv, const struct pf_pool *p, int64_t now_ms)
{
    int ms = pf_pool_policy_tick_left_ms(&sv->policy, now_ms);
    int64_t fork_ms = pf_backoff_policy_wait_ms(&p->backoff, now_ms);
    int64_t retry_ms = pf_pool_fork_wait_ms(p, now_ms);

    if (retry_ms > fork_ms)
        fork_ms = retry_ms;
    if (fork_ms >= 0 && fork_ms < ms && pf_pool_active(p) < p->target)
        ms = (int)fork_ms;
    return ms;
}

/* What ended the worker, for the backoff's log line: its own reason when
 * it could not start (from its slot), else how it ended, with an exec
 * program's last line of output when there is one ("worker 42 exited with
 * status 1; last output: ImportError: ..."). */
static void supervise_cause(const struct pf_pool *p, int slot, const struct pf_crash_policy_exit *e,
                            const char *how, char *out, size_t size)
{
    char reason[PF_SLOT_REASON_MAX];
    long pid = (long)p->children[slot].pid;
    bool init = (WIFEXITED(e->status) && WEXITSTATUS(e->status) == PF_WORKER_EXIT_INIT &&
                 !e->program) ||
                e->not_ready;

    pf_slot_read_exit_reason(&p->sb.slots[slot], reason);
    if (!init) {
        snprintf(out, size, "worker %ld %s%s%s", pid, how, reason[0] ? "; " : "", reason);
        return;
    }
    if (reason[0])
        snprintf(out, size, "worker %ld could not start: %s", pid, reason);
    else
        snprintf(out, size, "worker %ld could not start: see the reason logged above by worker %ld",
                 pid, pid);
}

/* One error line per change of the backoff (begun, or a longer delay). */
static void supervise_log_backoff(const struct pf_pool *p, enum pf_backoff_policy_change change,
                                  const char *cause)
{
    const struct pf_config *cfg = p->cfg;

    if (change == PF_BACKOFF_POLICY_STARTED)
        pf_log_error("workers keep failing (more than crash_limit %d abnormal exits within "
                     "%g s): respawn delay %lld ms, one fork per delay, doubling after each "
                     "failure up to %g s; last: %s",
                     cfg->workers.crash_limit, cfg->workers.crash_window_ms / 1000.0,
                     (long long)p->backoff.delay_ms, cfg->workers.backoff_max_ms / 1000.0, cause);
    else if (change == PF_BACKOFF_POLICY_LONGER)
        pf_log_error("workers still failing: respawn delay %lld ms; last: %s",
                     (long long)p->backoff.delay_ms, cause);
}

/* A crash (pf_crash_policy) feeds the backoff, and its changes are
 * logged with the cause; a broken worker is counted and remembered. */
void pf_supervise_exit(struct pf_pool *p, int slot, int status, const char *how, int64_t now_ms)
{
    const struct pf_child *c = &p->children[slot];
    const struct pf_crash_policy_exit e = {
        .status = status,
        .age_ms = now_ms - c->started_ms,
        .retiring = c->retiring,
        .hung_killed = c->hung_term_ms > 0,
        .program = c->program,
        .not_ready = c->not_ready,
    };
    enum pf_crash_policy_kind kind = pf_crash_policy_classify(&e);
    enum pf_backoff_policy_change change;
    char cause[PF_SLOT_REASON_MAX + 128];

    if (kind == PF_CRASH_POLICY_NONE)
        return;
    supervise_cause(p, slot, &e, how, cause, sizeof(cause));
    snprintf(p->last_failure, sizeof(p->last_failure), "%s", cause);
    if (kind == PF_CRASH_POLICY_BROKEN) {
        p->broken++;
        snprintf(p->last_broken, sizeof(p->last_broken), "%s", cause);
    }
    change = pf_backoff_policy_crash(&p->backoff, now_ms);
    if (change != PF_BACKOFF_POLICY_SAME)
        supervise_log_backoff(p, change, cause);
}

/* The fields pf_stats does not know: they live in the policy's state. */
void pf_supervise_status(const struct pf_supervise *sv, const struct pf_pool *p,
                         struct pf_status *st, int64_t now_ms)
{
    st->mode = sv->cfg->workers.mode;
    st->max_workers_reached = sv->max_reached;
    st->respawn_backoff_ms = p->backoff.delay_ms;
    st->crash_exits_recent = pf_backoff_policy_recent(&p->backoff, now_ms);
}
