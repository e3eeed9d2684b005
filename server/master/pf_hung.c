/* pf_hung: snapshot, log and signal hung workers (master side). */
#include "pf_hung.h"

#include <signal.h>
#include <string.h>

#include "pf_addr.h"
#include "pf_hung_policy.h"
#include "pf_log.h"

/* Exec workers are judged by their watchdog instead of a request: a
 * program that has said READY (or was started, ready = "started") is
 * taken as busy since its last WATCHDOG=1, with exec.watchdog as the
 * limit. Without a watchdog nothing can tell a program hung. */
static bool hung_by_watchdog(const struct pf_pool *p)
{
    return pf_config_exec(p->cfg);
}

/* The settings the decision needs, read on every pass (a reload may
 * change them). */
static struct pf_hung_policy_limits hung_limits(const struct pf_pool *p)
{
    return (struct pf_hung_policy_limits){
        .request_timeout_ms = hung_by_watchdog(p) ? p->cfg->exec.watchdog_ms
                                                  : p->cfg->workers.request_timeout_ms,
        .stop_timeout_ms = p->cfg->workers.stop_timeout_ms,
    };
}

/* What the decision needs about the worker in slot i. The worker writes
 * its slot without a lock, so request_ms is read before and after the
 * state and dropped when the two reads differ: the worker moved on to
 * another request meanwhile, and is judged on the next pass rather than
 * on a mix of two requests. */
static void hung_view(const struct pf_pool *p, size_t i, struct pf_hung_policy_view *v)
{
    const struct pf_slot *s = &p->sb.slots[i];
    const struct pf_child *c = &p->children[i];
    int64_t before = atomic_load_explicit(&s->request_ms, memory_order_acquire);

    v->state = pf_slot_get_state(s);
    v->request_ms = atomic_load_explicit(&s->request_ms, memory_order_acquire);
    if (v->request_ms != before)
        v->request_ms = 0;
    if (hung_by_watchdog(p)) { /* the last ping, or the start, is its "request" */
        v->request_ms = c->watchdog_ms > 0 ? c->watchdog_ms : c->started_ms;
        v->state = v->state == PF_SLOT_STARTING ? PF_SLOT_STARTING : PF_SLOT_READING;
    }
    v->stop_ordered = c->retiring ||
                      atomic_load_explicit(&s->stop_requested, memory_order_relaxed) != 0;
    v->term_ms = c->hung_term_ms;
    v->kill_sent = c->hung_kill_sent;
}

/* Busy past request_timeout: say who, on what and for how long (from the
 * scoreboard), count it, and send SIGTERM. */
static void hung_terminate(struct pf_pool *p, size_t i, const struct pf_hung_policy_view *v,
                           int64_t now_ms)
{
    const struct pf_slot *s = &p->sb.slots[i];
    struct pf_child *c = &p->children[i];
    char client[PF_ADDR_STRLEN], request[PF_SLOT_SUMMARY_MAX];

    c->hung_term_ms = now_ms;
    p->hung_killed++;
    if (hung_by_watchdog(p)) {
        int sig = p->cfg->exec.hung_signal;

        pf_log_warn("worker %ld hung: no WATCHDOG=1 for %lld ms (exec.watchdog %d ms); "
                    "sending SIG%s, SIGKILL after %d ms",
                    (long)c->pid, (long long)(now_ms - v->request_ms), p->cfg->exec.watchdog_ms,
                    sigabbrev_np(sig), p->cfg->workers.stop_timeout_ms);
        kill(c->pid, sig);
        return;
    }
    pf_slot_read_client(s, client, sizeof(client));
    pf_slot_read_summary(s, request);
    pf_log_warn("worker %ld hung: busy %lld ms on request \"%s\" from %s "
                "(workers.request_timeout %d ms); sending SIGTERM",
                (long)c->pid, (long long)(now_ms - v->request_ms), request,
                client[0] ? client : "?", p->cfg->workers.request_timeout_ms);
    kill(c->pid, SIGTERM);
}

/* Still there stop_timeout after SIGTERM (stopped, or stuck where the
 * signal cannot end it): SIGKILL. */
static void hung_kill(struct pf_pool *p, size_t i, int64_t now_ms)
{
    struct pf_child *c = &p->children[i];

    pf_log_warn("worker %ld (hung) still running %lld ms after SIG%s; sending SIGKILL",
                (long)c->pid, (long long)(now_ms - c->hung_term_ms),
                sigabbrev_np(hung_by_watchdog(p) ? p->cfg->exec.hung_signal : SIGTERM));
    c->hung_kill_sent = true;
    kill(c->pid, SIGKILL);
}

void pf_hung_check(struct pf_pool *p, int64_t now_ms)
{
    struct pf_hung_policy_limits lim = hung_limits(p);

    for (size_t i = 0; i < p->sb.nslots; i++) {
        struct pf_hung_policy_view v;

        if (p->children[i].pid <= 0)
            continue;
        hung_view(p, i, &v);
        switch (pf_hung_policy_decide(&v, now_ms, &lim)) {
        case PF_HUNG_POLICY_TERM: hung_terminate(p, i, &v, now_ms); break;
        case PF_HUNG_POLICY_KILL: hung_kill(p, i, now_ms); break;
        case PF_HUNG_POLICY_NONE: break;
        }
    }
}

int64_t pf_hung_due(const struct pf_pool *p)
{
    struct pf_hung_policy_limits lim = hung_limits(p);
    int64_t first = -1;

    for (size_t i = 0; i < p->sb.nslots; i++) {
        struct pf_hung_policy_view v;
        int64_t due;

        if (p->children[i].pid <= 0)
            continue;
        hung_view(p, i, &v);
        due = pf_hung_policy_due_ms(&v, &lim);
        if (due >= 0 && (first < 0 || due < first))
            first = due;
    }
    return first;
}
