/* pf_parking: the keeper's sockets and process (master side). */
#include "pf_parking.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_crash_policy.h"
#include "pf_log.h"
#include "pf_pool.h"
#include "pf_privs.h"
#include "pf_signals.h"
#include "pf_time.h"
#include "pf_title.h"

/* Descriptors the keeper keeps for itself below its limit (its sockets,
 * epoll, the log, a spare): max_parked is the limit less these. */
#define PARKING_FD_RESERVE 32
/* After a failed fork, the pause before the next try. */
#define PARKING_FORK_RETRY_MS 1000

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

int pf_parking_init(struct pf_parking *pk, const struct pf_config *cfg, char *err, size_t errlen)
{
    memset(pk, 0, sizeof(*pk));
    pk->park[0] = pk->park[1] = pk->ready[0] = pk->ready[1] = -1;
    if (!cfg->keeper.parking)
        return 0;
    pk->on = true;
    pk->max_parked = (size_t)cfg->keeper.max_parked;
    pk->counts = mmap(NULL, sizeof(*pk->counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                      -1, 0);
    if (pk->counts == MAP_FAILED) {
        pk->counts = NULL;
        snprintf(err, errlen, "keeper: cannot map its counters: %s", strerror(errno));
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pk->park) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pk->ready) < 0 ||
        pf_backoff_policy_init(&pk->backoff, cfg->workers.crash_limit, cfg->workers.crash_window_ms,
                               cfg->workers.backoff_max_ms) < 0) {
        snprintf(err, errlen, "keeper: cannot make its sockets: %s", strerror(errno));
        pf_parking_destroy(pk);
        return -1;
    }
    return 0;
}

void pf_parking_destroy(struct pf_parking *pk)
{
    if (!pk->on) /* never set up (or parking off): nothing to undo */
        return;
    close_pair(pk->park);
    close_pair(pk->ready);
    if (pk->counts)
        munmap(pk->counts, sizeof(*pk->counts));
    pk->counts = NULL;
    pf_backoff_policy_free(&pk->backoff);
    pk->on = false;
}

void pf_parking_in_worker(struct pf_parking *pk)
{
    if (pk->park[0] >= 0) /* the ready queue's sending end stays: workers yield there */
        close(pk->park[0]);
}

/* How many connections the keeper may hold: as many as its descriptor
 * limit allows (the soft limit raised to the hard one: the keeper only
 * uses epoll), or keeper.max_parked if lower. */
static size_t parking_capacity(size_t wanted)
{
    struct rlimit rl;
    size_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t cur = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            rl.rlim_cur = cur;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 16777216)
        rl.rlim_cur = 16777216;
    room = rl.rlim_cur > PARKING_FD_RESERVE * 2 ? (size_t)rl.rlim_cur - PARKING_FD_RESERVE
                                                : (size_t)rl.rlim_cur / 2;
    if (wanted > room)
        pf_log_warn("keeper.max_parked %zu is above what the descriptor limit allows; "
                    "holding at most %zu",
                    wanted, room);
    return wanted > 0 && wanted < room ? wanted : room;
}

/* In the child after fork(): become the keeper; never returns. */
static void parking_child(struct pf_parking *pk, struct pf_pool *p)
{
    char err[PF_ERR_MAX];
    sigset_t mask;
    struct pf_keeper_args a = {.park_fd = pk->park[0],
                               .ready_fd = pk->ready[0],
                               .lifeline_fd = p->lifeline[0],
                               .wait_mask = &mask,
                               .stop = &pf_signals_worker_stop,
                               .reopen = &pf_signals_reopen};

    /* its title; its name it has had since the fork (pf_parking_spawn) */
    pf_title_set(NULL, "preforkd: keeper");
    close(p->lifeline[1]); /* the master's alone: its death is EOF */
    if (p->child_cleanup)
        p->child_cleanup(p->child_ctx);
    pf_pool_close_listener(p);
    close(pk->park[1]);
    close(pk->ready[1]);
    pf_log_set_role("keeper");
    if (pf_signals_worker(&mask) < 0) {
        pf_log_error("keeper: signal set-up failed: %s", strerror(errno));
        exit(PF_KEEPER_EXIT_INIT);
    }
    a.max_parked = parking_capacity(pk->max_parked);
    if (pf_privs_drop(&p->privs, p->cfg->daemon.chroot, err, sizeof(err)) < 0) {
        pf_log_error("keeper: cannot start: %s", err);
        exit(PF_KEEPER_EXIT_INIT);
    }
    pf_log_info("keeper %ld holds at most %zu connections", (long)getpid(), a.max_parked);
    exit(pf_keeper_run(&a, pk->counts));
}

int pf_parking_spawn(struct pf_parking *pk, struct pf_pool *p)
{
    int64_t now = pf_time_now_ms();
    sigset_t saved;
    pid_t pid;
    int err;

    if (pk->on)
        pf_backoff_policy_tick(&pk->backoff, now); /* a window without a crash ends it */
    if (!pk->on || pk->pid > 0 || pk->stopping || now < pk->fork_retry_ms ||
        !pf_backoff_policy_may_fork(&pk->backoff, now))
        return 0;
    /* The keeper is born with its name (the master takes it for the
     * moment of the fork): ps, top and the tests never see it as a
     * worker, not even before its first instruction. */
    char name[17] = "";

    prctl(PR_GET_NAME, name, 0, 0, 0);
    pf_signals_block_all(&saved);
    prctl(PR_SET_NAME, PF_KEEPER_COMM, 0, 0, 0);
    pid = fork();
    if (pid == 0)
        parking_child(pk, p);
    err = errno;
    prctl(PR_SET_NAME, name, 0, 0, 0);
    pf_signals_restore(&saved);
    if (pid < 0) {
        pk->fork_retry_ms = now + PARKING_FORK_RETRY_MS;
        pf_log_error("cannot start the keeper: fork failed: %s; retrying in %d ms", strerror(err),
                     PARKING_FORK_RETRY_MS);
        return -1;
    }
    pf_backoff_policy_forked(&pk->backoff, now);
    if (pk->started_ms > 0)
        pk->restarts++;
    pk->pid = pid;
    pk->started_ms = now;
    atomic_store_explicit(&pk->counts->up, 1, memory_order_relaxed);
    pf_log_info("keeper %ld started", (long)pid);
    return 0;
}

bool pf_parking_reaped(struct pf_parking *pk, pid_t pid, int status)
{
    int64_t now = pf_time_now_ms();
    uint64_t held;
    char how[128];

    if (pid <= 0 || pid != pk->pid)
        return false;
    pk->pid = 0;
    atomic_store_explicit(&pk->counts->up, 0, memory_order_relaxed);
    held = atomic_exchange_explicit(&pk->counts->parked, 0, memory_order_relaxed);
    atomic_store_explicit(&pk->counts->queued, 0, memory_order_relaxed);
    pf_pool_describe_exit(status, how, sizeof(how));
    if (pk->stopping && WIFEXITED(status) && WEXITSTATUS(status) == PF_KEEPER_EXIT_OK) {
        pf_log_info("keeper %ld stopped", (long)pid);
        return true;
    }
    if (pk->stopping) {
        pf_log_info("keeper %ld %s", (long)pid, how);
        return true;
    }
    /* A crash loop is keepers that cannot stay up, as for workers: one
     * killed from outside after its first second is replaced at once. */
    struct pf_crash_policy_exit e = {.status = status, .age_ms = now - pk->started_ms};

    pf_log_warn("keeper %ld %s; the %llu idle connections it held are closed; starting another",
                (long)pid, how, (unsigned long long)held);
    if (pf_crash_policy_classify(&e) != PF_CRASH_POLICY_NONE) {
        pk->crashes++;
        switch (pf_backoff_policy_crash(&pk->backoff, now)) {
        case PF_BACKOFF_POLICY_STARTED:
        case PF_BACKOFF_POLICY_LONGER:
            pf_log_error("the keeper keeps dying: the next one starts in %lld ms (crash "
                         "backoff; meanwhile workers keep their connections)",
                         (long long)pf_backoff_policy_wait_ms(&pk->backoff, now));
            break;
        default: break;
        }
    }
    return true;
}

int pf_parking_wait_ms(const struct pf_parking *pk, int64_t now_ms)
{
    int64_t w;

    if (!pk->on || pk->pid > 0 || pk->stopping)
        return -1;
    w = pf_backoff_policy_wait_ms(&pk->backoff, now_ms);
    if (now_ms < pk->fork_retry_ms && pk->fork_retry_ms - now_ms > w)
        w = pk->fork_retry_ms - now_ms;
    return w < 0 ? 0 : (int)w;
}

void pf_parking_stop(struct pf_parking *pk, int sig)
{
    if (!pk->on)
        return;
    if (!pk->stopping) {
        pk->stopping = true;
        atomic_store_explicit(&pk->counts->closing, 1, memory_order_relaxed);
        close(pk->park[0]); /* the master no longer holds the keeper's ends */
        close(pk->ready[0]);
        pk->park[0] = pk->ready[0] = -1;
    }
    pf_parking_signal(pk, sig); /* a fast stop after a graceful one: SIGTERM too */
}

void pf_parking_signal(const struct pf_parking *pk, int sig)
{
    if (pk->pid > 0)
        kill(pk->pid, sig);
}

bool pf_parking_alive(const struct pf_parking *pk)
{
    return pk->pid > 0;
}
