/* pf_exec_watch: exec workers' notifications, acted on by the master. */
#include "pf_exec_watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pf_err.h"
#include "pf_log.h"
#include "pf_net.h"
#include "pf_time.h"

/* Datagrams taken per call: a flood cannot hold the loop. */
#define WATCH_READ_MAX 64

int pf_exec_watch_init(struct pf_exec_watch *w, const struct pf_config *cfg, char *err,
                       size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->sock.fd = -1;
    if (!pf_config_exec(cfg))
        return 0;
    return pf_notify_sock_open(&w->sock, err, errlen);
}

void pf_exec_watch_destroy(struct pf_exec_watch *w)
{
    pf_notify_sock_close(&w->sock);
    pf_conn_list_free(&w->conns);
}

const char *pf_exec_watch_name(const struct pf_exec_watch *w)
{
    return w->sock.fd >= 0 ? w->sock.name : NULL;
}

int pf_exec_watch_fd(const struct pf_exec_watch *w)
{
    return w->sock.fd;
}

/* A datagram that is not a current worker's, or that was dropped:
 * logged when such datagrams begin, then once a minute while they go on. */
static void watch_stranger(struct pf_exec_watch *w, pid_t pid, const char *why)
{
    if (pf_episode_fail(&w->strangers, EPERM, pf_time_now_ms(), PF_EPISODE_PERIOD_MS) !=
        PF_EPISODE_QUIET)
        pf_log_warn("notify socket: a datagram from pid %ld ignored: %s (%llu ignored, %llu "
                    "dropped so far; logged again once a minute while they come)",
                    (long)pid, why, (unsigned long long)w->foreign,
                    (unsigned long long)w->sock.bad);
}

static void watch_act(struct pf_exec_watch *w, struct pf_pool *p, int slot,
                      const struct pf_notify_msg *m)
{
    struct pf_slot *s = &p->sb.slots[slot];
    struct pf_child *c = &p->children[slot];

    w->messages++;
    if (m->said & PF_NOTIFY_MAINPID) {
        w->refused++;
        pf_log_warn("worker %ld: MAINPID= refused: a worker is the process preforkd started",
                    (long)c->pid);
    }
    if (m->said & PF_NOTIFY_STATUS) {
        char before[PF_SLOT_SUMMARY_MAX];

        pf_slot_read_summary(s, before);
        if (strncmp(before, m->status, sizeof(before) - 1) != 0)
            pf_log_info("worker %ld: STATUS=%s", (long)c->pid, m->status);
        pf_slot_set_summary(s, m->status);
    }
    if (m->said & PF_NOTIFY_WATCHDOG)
        c->watchdog_ms = pf_time_now_ms();
    if (m->said & PF_NOTIFY_ERRNO)
        pf_log_warn("worker %ld: ERRNO=%d (%s)", (long)c->pid, m->errno_value,
                    strerror(m->errno_value));
    if (m->said & PF_NOTIFY_RELOADING)
        pf_log_info("worker %ld reloads its own configuration (RELOADING=1)", (long)c->pid);
    if (m->said & PF_NOTIFY_STOPPING)
        pf_log_info("worker %ld is stopping (STOPPING=1)", (long)c->pid);
    if ((m->said & PF_NOTIFY_READY) && pf_slot_get_state(s) == PF_SLOT_STARTING) {
        pf_slot_set_state(s, PF_SLOT_IDLE);
        pf_log_info("worker %ld ready (READY=1) after %lld ms", (long)c->pid,
                    (long long)(pf_time_now_ms() - c->started_ms));
    }
}

void pf_exec_watch_read(struct pf_exec_watch *w, struct pf_pool *p)
{
    for (int i = 0; w->sock.fd >= 0 && i < WATCH_READ_MAX; i++) {
        struct pf_notify_msg m;
        char err[PF_ERR_MAX];
        pid_t pid;
        int rc = pf_notify_sock_recv(&w->sock, &pid, &m, err, sizeof(err));
        int slot;

        if (rc == 0)
            return;
        if (rc < 0) {
            watch_stranger(w, pid, err);
            continue;
        }
        slot = pf_pool_find(p, pid);
        if (slot < 0) {
            w->foreign++;
            watch_stranger(w, pid, "not a worker of this master");
            continue;
        }
        watch_act(w, p, slot, &m);
    }
}

/* A probe failed or worked again: logged when that changes, and once a
 * minute while it fails. */
static void watch_blind(struct pf_exec_watch *w, bool failed, int err_no, const char *why)
{
    w->sighted = !failed;
    if (!failed) {
        if (pf_episode_ok(&w->blind) == PF_EPISODE_ENDED)
            pf_log_notice("exec workers: who serves a client is seen again");
        return;
    }
    if (pf_episode_fail(&w->blind, err_no, pf_time_now_ms(), PF_EPISODE_PERIOD_MS) !=
        PF_EPISODE_QUIET)
        pf_log_warn("exec workers: cannot see who serves a client (%s); a dynamic pool keeps "
                    "its size meanwhile",
                    why);
}

void pf_exec_watch_probe(struct pf_exec_watch *w, struct pf_pool *p, int64_t now_ms)
{
    struct pf_addr at;
    char err[PF_ERR_MAX];

    if (w->sock.fd < 0 ||
        (w->probed_ms > 0 && now_ms - w->probed_ms < PF_EXEC_WATCH_PROBE_REUSE_MS))
        return;
    w->probed_ms = now_ms;
    if (pf_net_local_addr(p->listen_fd, &at) < 0) {
        watch_blind(w, true, errno, strerror(errno));
        return;
    }
    if (pf_conn_probe_list((struct sockaddr *)&at.ss, &w->conns, err, sizeof(err)) < 0) {
        watch_blind(w, true, errno ? errno : EIO, err);
        return;
    }
    for (size_t i = 0; i < p->sb.nslots; i++) {
        const struct pf_conn_seen *c;
        int held;

        if (p->children[i].pid <= 0 || p->children[i].retiring)
            continue;
        held = pf_conn_probe_held(p->children[i].pid, &w->conns, &c, err, sizeof(err));
        if (held < 0) { /* it is exiting; but a /proc we may not read blinds us */
            if (errno == EACCES || errno == EPERM) {
                watch_blind(w, true, errno, err);
                return;
            }
            continue;
        }
        pf_slot_observe_client(&p->sb.slots[i], held > 0 ? (const struct sockaddr *)&c->peer : NULL,
                               held > 0 ? c->peer_len : 0);
    }
    watch_blind(w, false, 0, NULL);
}

bool pf_exec_watch_blind(const struct pf_exec_watch *w)
{
    return w->sock.fd >= 0 && !w->sighted;
}

int64_t pf_exec_watch_tick(struct pf_exec_watch *w, struct pf_pool *p, int64_t now_ms)
{
    int64_t next = -1, limit = p->cfg->exec.ready_timeout_ms;

    if (w->sock.fd < 0 || strcmp(p->cfg->exec.ready, "notify") != 0)
        return -1;
    for (size_t i = 0; i < p->sb.nslots; i++) {
        struct pf_child *c = &p->children[i];
        int64_t due = c->started_ms + limit;
        char why[128];

        if (c->pid <= 0 || c->retiring || c->not_ready ||
            pf_slot_get_state(&p->sb.slots[i]) != PF_SLOT_STARTING)
            continue;
        if (now_ms < due) {
            next = next < 0 || due - now_ms < next ? due - now_ms : next;
            continue;
        }
        snprintf(why, sizeof(why), "no READY=1 within exec.ready_timeout (%lld ms)",
                 (long long)limit);
        pf_log_error("worker %ld: %s; killing it", (long)c->pid, why);
        pf_slot_set_exit_reason(&p->sb.slots[i], why);
        c->not_ready = true;
        w->not_ready++;
        kill(c->pid, SIGKILL);
    }
    return next;
}
