/* pf_pool: fork, reap, refill and retire workers (master side). */
#include "pf_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_crash_policy.h"
#include "pf_log.h"
#include "pf_signals.h"
#include "pf_time.h"
#include "pf_worker.h"

int pf_pool_init(struct pf_pool *p, const struct pf_config *cfg, const struct pf_proto *proto,
                 int listen_fd, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->proto = proto;
    p->listen_fd = listen_fd;
    p->lifeline[0] = p->lifeline[1] = -1;
    p->generation = 1;
    if (pf_scoreboard_create(&p->sb, (size_t)cfg->workers.max, err, errlen) < 0)
        return -1;
    p->children = calloc(p->sb.nslots, sizeof(*p->children));
    pf_rng_seed(&p->rng, pf_rng_entropy());
    if (p->children == NULL || pipe2(p->lifeline, O_CLOEXEC) < 0 ||
        pf_backoff_policy_init(&p->backoff, cfg->workers.crash_limit, cfg->workers.crash_window_ms,
                               cfg->workers.backoff_max_ms) < 0) {
        snprintf(err, errlen, "cannot set up the worker table: %s", strerror(errno));
        pf_pool_destroy(p);
        return -1;
    }
    return 0;
}

void pf_pool_destroy(struct pf_pool *p)
{
    for (int i = 0; i < 2; i++)
        if (p->lifeline[i] >= 0)
            close(p->lifeline[i]);
    pf_pool_close_listener(p);
    free(p->children);
    p->children = NULL;
    pf_backoff_policy_free(&p->backoff);
    pf_scoreboard_destroy(&p->sb);
}

void pf_pool_close_listener(struct pf_pool *p)
{
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    p->listen_fd = -1;
}

/* In the child after fork(): become a worker with its own request limit
 * (drawn by the master); never returns. */
static void pool_child(struct pf_pool *p, int slot, long max_requests, int output_fd)
{
    bool parking = p->parking && p->parking->on;
    struct pf_worker_args a = {
        .cfg = p->cfg,
        .proto = p->proto,
        .listen_fd = p->listen_fd,
        .lifeline_fd = p->lifeline[0],
        .park_fd = parking ? p->parking->park[1] : -1,
        .ready_fd = parking ? p->parking->ready[1] : -1,
        .yield_fd = parking ? p->parking->ready[0] : -1,
        .keeper_closing = parking ? &p->parking->counts->closing : NULL,
        .keeper_up = parking ? &p->parking->counts->up : NULL,
        .keeper_queued = parking ? &p->parking->counts->queued : NULL,
        .ready_waiting = parking ? &p->parking->counts->ready_waiting : NULL,
        .slots = p->sb.slots,
        .nslots = p->sb.nslots,
        .slot = &p->sb.slots[slot],
        .slot_index = slot,
        .generation = p->generation,
        .max_requests = max_requests,
        .privs = &p->privs,
        .notify_socket = p->notify_socket,
        .output_fd = output_fd,
    };

    /* The write end must live in the master alone, or its death would not
     * be seen as EOF. */
    close(p->lifeline[1]);
    if (parking)
        pf_parking_in_worker(p->parking);
    if (p->child_cleanup)
        p->child_cleanup(p->child_ctx);
    free(p->children);
    pf_backoff_policy_free(&p->backoff);
    pf_worker_run(&a);
}

/* fork() failed with err: no new try for PF_POOL_FORK_RETRY_MS, and a
 * line when it begins or its reason changes, then once a minute. */
static void pool_fork_failed(struct pf_pool *p, int err)
{
    int64_t now = pf_time_now_ms();
    struct pf_episode *e = &p->fork_fail;

    p->fork_retry_ms = now + PF_POOL_FORK_RETRY_MS;
    switch (pf_episode_fail(e, err, now, PF_EPISODE_PERIOD_MS)) {
    case PF_EPISODE_BEGAN:
    case PF_EPISODE_CHANGED:
        pf_log_error("cannot start a worker: fork failed: %s; %d of %d workers running; "
                     "retrying every %d ms (logged again once a minute while it lasts)",
                     strerror(err), pf_pool_active(p), p->target, PF_POOL_FORK_RETRY_MS);
        break;
    case PF_EPISODE_LASTS:
        pf_log_error("still cannot start workers: fork failed: %s; %llu failures in %lld s; "
                     "%d of %d workers running",
                     strerror(err), (unsigned long long)e->failures,
                     (long long)((now - e->since_ms) / 1000), pf_pool_active(p), p->target);
        break;
    default: break;
    }
}

int64_t pf_pool_fork_wait_ms(const struct pf_pool *p, int64_t now_ms)
{
    if (!pf_episode_on(&p->fork_fail) || now_ms >= p->fork_retry_ms)
        return -1;
    return p->fork_retry_ms - now_ms;
}

/* fork() with every signal blocked: a signal arriving in between is then
 * neither run by the master's handler in the child nor lost; the child
 * resets dispositions before it lets signals in (pf_signals_worker). */
int pf_pool_spawn(struct pf_pool *p)
{
    sigset_t saved;
    pid_t pid;
    int slot, out[2] = {-1, -1};
    int err;
    long max_requests;
    int64_t lifetime_ms;

    if (pf_pool_fork_wait_ms(p, pf_time_now_ms()) >= 0)
        return -1;
    slot = pf_scoreboard_claim(&p->sb);
    if (slot < 0) {
        pf_log_warn("cannot start a worker: all %zu slots (workers.max) in use", p->sb.nslots);
        return -1;
    }
    max_requests = pf_recycle_policy_max_requests(p->cfg, &p->rng);
    lifetime_ms = pf_recycle_policy_lifetime_ms(p->cfg, &p->rng);
    if (p->output && pipe2(out, O_CLOEXEC) < 0) {
        pf_scoreboard_release(&p->sb, slot);
        pool_fork_failed(p, errno);
        return -1;
    }
    pf_signals_block_all(&saved);
    pid = fork();
    if (pid == 0)
        pool_child(p, slot, max_requests, out[1]);
    err = errno;
    pf_signals_restore(&saved);
    if (out[1] >= 0)
        close(out[1]);
    if (pid < 0) {
        if (out[0] >= 0)
            close(out[0]);
        pf_scoreboard_release(&p->sb, slot);
        pool_fork_failed(p, err);
        return -1;
    }
    if (out[0] >= 0)
        pf_exec_output_add(p->output, slot, pid, out[0]);
    p->children[slot] = (struct pf_child){.pid = pid,
                                          .generation = p->generation,
                                          .started_ms = pf_time_now_ms(),
                                          .lifetime_ms = lifetime_ms};
    atomic_store_explicit(&p->sb.slots[slot].pid, pid, memory_order_relaxed);
    p->spawned++;
    pf_log_info("worker %ld started (slot %d)", (long)pid, slot);
    if (pf_episode_ok(&p->fork_fail) == PF_EPISODE_ENDED)
        pf_log_notice("fork works again: worker %ld started after %llu failed forks in %.1f s",
                      (long)pid, (unsigned long long)p->fork_fail.failures,
                      (double)(pf_time_now_ms() - p->fork_fail.since_ms) / 1000.0);
    return 0;
}

int pf_pool_find(const struct pf_pool *p, pid_t pid)
{
    for (size_t i = 0; i < p->sb.nslots; i++)
        if (p->children[i].pid == pid)
            return (int)i;
    return -1;
}

void pf_pool_describe_exit(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else
        snprintf(buf, size, "ended with wait status %#x", (unsigned)status);
}

/* Log one reaped worker and let supervision know how it ended. */
static void pool_account_exit(struct pf_pool *p, int slot, int status)
{
    const struct pf_child *c = &p->children[slot];
    char how[128];
    bool abnormal = pf_crash_policy_abnormal(status);

    pf_pool_describe_exit(status, how, sizeof(how));
    if (abnormal)
        p->exits_abnormal++;
    if (WIFSIGNALED(status) && WTERMSIG(status) < PF_SIGNALS_MAX)
        p->exits_by_signal[WTERMSIG(status)]++;
    if (c->hung_term_ms > 0)
        pf_log_info("worker %ld killed as hung (%s)", (long)c->pid, how);
    else if (abnormal && !c->retiring)
        pf_log_warn("worker %ld %s", (long)c->pid, how);
    else
        pf_log_info("worker %ld %s", (long)c->pid, how);
    if (p->on_exit)
        p->on_exit(p, slot, status, how, pf_time_now_ms());
}

/* An exec worker's end: what is left of its output is logged, and when it
 * ended badly without a reason of its own, its last line becomes the
 * reason quoted by the crash backoff ("last output: Traceback..."). */
static void pool_last_words(struct pf_pool *p, int slot, int status)
{
    struct pf_slot *s = &p->sb.slots[slot];
    char reason[PF_SLOT_REASON_MAX], text[PF_SLOT_REASON_MAX];
    const char *last;

    pf_exec_output_drain(p->output, slot);
    last = pf_exec_output_last(p->output, slot);
    pf_slot_read_exit_reason(s, reason);
    if (!pf_crash_policy_abnormal(status) || reason[0] || !last[0])
        return;
    snprintf(text, sizeof(text), "last output: %s", last);
    pf_slot_set_exit_reason(s, text);
}

/* A worker of the current generation that ended badly before it served
 * (still starting, or young as the crash policy counts it): a start failure of that
 * generation, which a reload watches (pf_reload.c rolls back a reload
 * whose new generation keeps failing). */
static void pool_count_start_failure(struct pf_pool *p, int slot, int status)
{
    const struct pf_child *c = &p->children[slot];
    bool starting = pf_slot_get_state(&p->sb.slots[slot]) == PF_SLOT_STARTING;

    if (c->generation == p->generation && !c->retiring && pf_crash_policy_abnormal(status) &&
        (starting || pf_time_now_ms() - c->started_ms < PF_CRASH_POLICY_YOUNG_MS))
        p->gen_start_failures++;
}

/* A reaped worker's counters join the totals before its slot is reused. */
static void pool_keep_counters(struct pf_pool *p, const struct pf_slot *s)
{
    pf_slot_add_totals(s, &p->done);
}

int pf_pool_reap(struct pf_pool *p)
{
    int reaped = 0;

    for (;;) {
        struct rusage ru;
        int status;
        pid_t pid = wait4(-1, &status, WNOHANG, &ru);

        if (pid <= 0)
            return reaped;
        int slot = pf_pool_find(p, pid);
        if (slot >= 0) /* its CPU time, for the workers' total */
            p->done_cpu_us += (uint64_t)ru.ru_utime.tv_sec * 1000000u +
                              (uint64_t)ru.ru_utime.tv_usec +
                              (uint64_t)ru.ru_stime.tv_sec * 1000000u +
                              (uint64_t)ru.ru_stime.tv_usec;
        if (slot < 0) {
            if (p->other_exit) /* the new master of a binary upgrade */
                p->other_exit(p->child_ctx, pid, status);
            continue;
        }
        if (p->output) { /* did it reach its program? then its last words */
            char reason[PF_SLOT_REASON_MAX];

            pf_slot_read_exit_reason(&p->sb.slots[slot], reason);
            p->children[slot].program = reason[0] == '\0';
            pool_last_words(p, slot, status);
        }
        pool_count_start_failure(p, slot, status);
        pool_account_exit(p, slot, status);
        if (!p->children[slot].retiring)
            p->vacancies++;
        pool_keep_counters(p, &p->sb.slots[slot]);
        memset(&p->children[slot], 0, sizeof(p->children[slot]));
        pf_scoreboard_release(&p->sb, slot);
        reaped++;
    }
}

int pf_pool_spawn_paced(struct pf_pool *p)
{
    if (!pf_backoff_policy_may_fork(&p->backoff, pf_time_now_ms()) || pf_pool_spawn(p) < 0)
        return -1;
    pf_backoff_policy_forked(&p->backoff, pf_time_now_ms());
    return 0;
}

/* This is where a dead worker is replaced: fork until the pool holds
 * target active workers again (while the crash backoff runs, one fork
 * per delay at most). */
int pf_pool_refill(struct pf_pool *p)
{
    int forked = 0;

    while (pf_pool_active(p) < p->target && pf_pool_alive(p) < (int)p->sb.nslots) {
        if (pf_pool_spawn_paced(p) < 0)
            break;
        forked++;
        if (p->vacancies > 0) {
            p->vacancies--;
            p->respawns++;
        }
    }
    return forked;
}

/* The signal that says sig to this pool's workers: a program (exec
 * workers) stops gracefully on its exec.stop_signal, and knows nothing of
 * SIGUSR1 (reopen the logs: its output is the master's to write), whose
 * default action would end it. 0: none to send. */
static int pool_signal_for(const struct pf_pool *p, int sig)
{
    if (!pf_config_exec(p->cfg))
        return sig;
    return sig == SIGQUIT ? p->cfg->exec.stop_signal : sig == SIGUSR1 ? 0 : sig;
}

/* Signal one worker; a stop order is also written to its slot first, so
 * it is seen at once by a worker busy with a client (SIGQUIT stays blocked
 * there until the client is done). */
static void pool_send(struct pf_pool *p, int slot, int sig)
{
    if (sig == SIGQUIT)
        atomic_store_explicit(&p->sb.slots[slot].stop_requested, 1, memory_order_release);
    if ((sig = pool_signal_for(p, sig)) != 0)
        kill(p->children[slot].pid, sig);
}

/* Whether slot i holds an active worker of a generation below `below`. */
static bool pool_retirable(const struct pf_pool *p, size_t i, unsigned below)
{
    return p->children[i].pid > 0 && !p->children[i].retiring && p->children[i].generation < below;
}

/* Pick the worker to let go among the active ones of a generation below
 * `below`: an idle one if any (nobody waits on it),
 * else one between keep-alive requests, else one still starting, else a
 * busy one (it finishes its client). From
 * the top slot down, so the pool stays packed at the low slots. */
static int pool_pick_retiree(const struct pf_pool *p, unsigned below)
{
    static const int preference[] = {PF_SLOT_IDLE, PF_SLOT_KEEPALIVE, PF_SLOT_STARTING};

    for (size_t k = 0; k < sizeof(preference) / sizeof(preference[0]); k++)
        for (size_t i = p->sb.nslots; i-- > 0;)
            if (pool_retirable(p, i, below) && pf_slot_get_state(&p->sb.slots[i]) == preference[k])
                return (int)i;
    for (size_t i = p->sb.nslots; i-- > 0;)
        if (pool_retirable(p, i, below))
            return (int)i;
    return -1;
}

void pf_pool_retire_slot(struct pf_pool *p, int slot)
{
    p->children[slot].retiring = true;
    pool_send(p, slot, SIGQUIT);
}

pid_t pf_pool_retire_older(struct pf_pool *p, unsigned generation)
{
    int i = pool_pick_retiree(p, generation);

    if (i < 0)
        return 0;
    pf_pool_retire_slot(p, i);
    return p->children[i].pid;
}

/* Workers of an older generation go first: a reload retires them anyway. */
pid_t pf_pool_retire_one(struct pf_pool *p)
{
    pid_t pid = pf_pool_retire_older(p, p->generation);

    return pid > 0 ? pid : pf_pool_retire_older(p, UINT_MAX);
}

int pf_pool_retire_generation(struct pf_pool *p, unsigned generation)
{
    int n = 0;

    for (size_t i = 0; i < p->sb.nslots; i++)
        if (p->children[i].pid > 0 && !p->children[i].retiring &&
            p->children[i].generation == generation) {
            pf_pool_retire_slot(p, (int)i);
            n++;
        }
    return n;
}

void pf_pool_signal_all(struct pf_pool *p, int sig, bool retire)
{
    for (size_t i = 0; i < p->sb.nslots; i++) {
        if (p->children[i].pid <= 0)
            continue;
        if (retire)
            p->children[i].retiring = true;
        pool_send(p, (int)i, sig);
    }
}

static int pool_count(const struct pf_pool *p, bool only_active)
{
    int n = 0;

    for (size_t i = 0; i < p->sb.nslots; i++)
        if (p->children[i].pid > 0 &&
            !(only_active && (p->children[i].retiring || p->children[i].replace)))
            n++;
    return n;
}

void pf_pool_mark_replace(struct pf_pool *p, int slot)
{
    p->children[slot].replace = true;
    p->vacancies++; /* its successor is a respawn */
}

/* Is slot i's worker marked for replacement and not yet told to stop? */
static bool pool_marked(const struct pf_pool *p, size_t i)
{
    return p->children[i].pid > 0 && p->children[i].replace && !p->children[i].retiring;
}

int pf_pool_replacing(const struct pf_pool *p)
{
    int n = 0;

    for (size_t i = 0; i < p->sb.nslots; i++)
        n += pool_marked(p, i);
    return n;
}

void pf_pool_replace(struct pf_pool *p)
{
    int marked = pf_pool_replacing(p), go;

    if (marked == 0)
        return;
    go = pf_pool_ready(p) + marked - p->target;
    if (pf_pool_alive(p) >= (int)p->sb.nslots) /* no slot for a successor */
        go = marked;
    for (size_t i = 0; i < p->sb.nslots && go > 0; i++)
        if (pool_marked(p, i)) {
            pf_pool_retire_slot(p, (int)i);
            go--;
        }
}

int pf_pool_alive(const struct pf_pool *p)
{
    return pool_count(p, false);
}
int pf_pool_active(const struct pf_pool *p)
{
    return pool_count(p, true);
}

int pf_pool_ready(const struct pf_pool *p)
{
    int n = 0;

    for (size_t i = 0; i < p->sb.nslots; i++) {
        int st = pf_slot_get_state(&p->sb.slots[i]);

        if (p->children[i].pid > 0 && !p->children[i].retiring && !p->children[i].replace &&
            st != PF_SLOT_STARTING && st != PF_SLOT_FREE && st != PF_SLOT_STOPPING)
            n++;
    }
    return n;
}
