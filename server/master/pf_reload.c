/* pf_reload: reload the configuration and roll the pool over (master). */
#include "pf_reload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_listener.h"
#include "pf_log.h"
#include "pf_proto_table.h"
#include "pf_scoreboard.h"
#include "pf_time.h"
#include "pf_wake_policy.h"

/* What a reload has opened before it knows it will succeed. */
struct reload_prep {
    const struct pf_proto *proto;
    int listen_fd; /* -1: the socket in use stays */
    int log_fd;    /* -1: no new error log file */
    char listen_text[PF_ADDR_STRLEN];
};

/* Close what the preparation opened (the reload failed). */
static void reload_unprepare(struct reload_prep *p)
{
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->log_fd >= 0)
        close(p->log_fd);
    p->listen_fd = p->log_fd = -1;
}

/* Open what next needs that can fail: the new listen address, the new
 * error log; then the protocol's master_init, last, since it changes the
 * master's tables once it has checked everything. 0, or -1 with err
 * (everything opened is closed again). */
static int reload_open(struct pf_reloader *r, const struct pf_config *next,
                       const struct pf_reload_policy_diff *d, struct reload_prep *p, char *err,
                       size_t errlen)
{
    p->proto = pf_proto_table_find(next->protocol);
    if (p->proto == NULL) {
        snprintf(err, errlen, "unknown protocol \"%s\"", next->protocol);
        return -1;
    }
    if (d->listen_moved && r->nold == PF_RELOAD_OLD_LISTENERS) {
        snprintf(err, errlen,
                 "listen: %d older listening sockets still serve their last "
                 "clients; reload again once their workers are gone",
                 r->nold);
        return -1;
    }
    if (d->listen_moved && (p->listen_fd = pf_listener_open(next, p->listen_text, err, errlen)) < 0)
        return -1;
    if (d->error_log_moved && next->daemon.error_log[0] &&
        (p->log_fd = pf_log_open_append("log file", next->daemon.error_log, err, errlen)) < 0) {
        reload_unprepare(p);
        return -1;
    }
    if (p->proto->master_init && p->proto->master_init(next, err, errlen) < 0) {
        reload_unprepare(p);
        return -1;
    }
    return 0;
}

/* Load the file into next and prepare it. 0, or -1 with err. */
static int reload_prepare(struct pf_reloader *r, struct pf_config *next, struct reload_prep *p,
                          struct pf_reload_policy_diff *d, char *err, size_t errlen)
{
    if (pf_config_load(next, r->path, err, errlen) < 0)
        return -1;
    if (pf_config_exec(r->cfg) != pf_config_exec(next)) {
        /* the keeper and the notify socket are set up at start */
        snprintf(err, errlen, "%s: protocol: from \"%s\" to \"%s\" needs a restart", r->path,
                 r->cfg->protocol, next->protocol);
        return -1;
    }
    pf_reload_policy_diff(r->cfg, next, d);
    pf_reload_policy_keep_restart_only(r->cfg, next);
    if (pf_reload_policy_check(next, r->path, err, errlen) < 0)
        return -1;
    return reload_open(r, next, d, p, err, errlen);
}

/* Switch to the new listening socket; the old one waits in r->old for
 * the last worker that uses it. */
static void reload_move_listener(struct pf_reloader *r, struct reload_prep *p)
{
    struct pf_pool *pool = r->pool;

    r->old[r->nold] = (struct pf_old_listener){pool->listen_fd, pool->generation, ""};
    memcpy(r->old[r->nold++].text, r->listen_text, PF_ADDR_STRLEN);
    pool->listen_fd = p->listen_fd;
    p->listen_fd = -1;
    memcpy(r->listen_text, p->listen_text, PF_ADDR_STRLEN);
    pf_listener_announce(r->cfg, (*r->proto)->url_scheme, r->listen_text);
}

/* Log what the reload did: the generation, the settings applied, and
 * (as a warning) those that wait for a restart. */
static void reload_log(const struct pf_status_reload *rep)
{
    char list[PF_CONFIG_NAMES_MAX * PF_CONFIG_NAME_LEN];

    pf_log_notice("reload: generation %u (%s%s)", rep->generation,
                  rep->applied.n ? "changed: " : "no setting changed",
                  pf_reload_policy_join(&rep->applied, list, sizeof(list)));
    if (rep->restart.n)
        pf_log_warn("reload: not applied until restart: %s",
                    pf_reload_policy_join(&rep->restart, list, sizeof(list)));
}

/* A reload's roll-over begins, for the generation now in force. */
static void reload_began(struct pf_reloader *r)
{
    r->last = (struct pf_status_rollover){.state = PF_ROLLOVER_ROLLING,
                                          .generation = r->pool->generation};
}

/* Apply next: nothing here can fail. */
static void reload_commit(struct pf_reloader *r, const struct pf_config *next,
                          struct reload_prep *p, const struct pf_reload_policy_diff *d,
                          struct pf_status_reload *rep)
{
    struct pf_pool *pool = r->pool;

    if (d->error_log_moved && p->log_fd >= 0)
        pf_log_use(p->log_fd, next->daemon.error_log);
    else if (d->error_log_moved)
        pf_log_close(); /* back to stderr */
    p->log_fd = -1;
    pf_log_set_level(next->daemon.log_level);
    if (r->prev == NULL)
        r->prev = malloc(sizeof(*r->prev));
    if (r->prev && !d->listen_moved) { /* a moved listener is not moved back */
        *r->prev = *r->cfg;
        r->prev_proto = *r->proto;
    } else {
        free(r->prev);
        r->prev = NULL;
    }
    *r->cfg = *next;
    *r->proto = pool->proto = p->proto;
    if (d->listen_moved)
        reload_move_listener(r, p);
    else if (d->listen_tuned)
        pf_listener_tune(pool->listen_fd, r->cfg);
    if (d->start_changed && pool->target != r->cfg->workers.start) {
        pf_log_notice("reload: the pool's target follows workers.start: %d -> %d", pool->target,
                      r->cfg->workers.start);
        pool->target = r->cfg->workers.start;
    }
    rep->generation = ++pool->generation;
    pool->gen_start_failures = 0;
    reload_began(r);
    rep->applied = d->applied;
    rep->restart = d->restart;
    r->rolling = true;
    reload_log(rep);
}

void pf_reload_roll(struct pf_reloader *r, const char *why)
{
    r->pool->generation++;
    r->pool->gen_start_failures = 0;
    free(r->prev); /* the same configuration: nothing to go back to */
    r->prev = NULL;
    r->rolling = true;
    pf_log_notice("%s: replacing the workers with generation %u (same configuration)", why,
                  r->pool->generation);
}

int pf_reload_apply(struct pf_reloader *r, struct pf_status_reload *rep, char *err, size_t errlen)
{
    struct reload_prep p = {.listen_fd = -1, .log_fd = -1};
    struct pf_config *next = malloc(sizeof(*next)); /* tens of KiB: not on the stack */
    struct pf_reload_policy_diff d;
    int rc = -1;

    memset(rep, 0, sizeof(*rep));
    if (r->path == NULL || r->path[0] == '\0') { /* the command line's program form */
        free(next);
        pf_reload_roll(r, "reload (no configuration file to read)");
        reload_began(r);
        rep->generation = r->pool->generation;
        return 0;
    }
    if (next == NULL)
        snprintf(err, errlen, "reload: out of memory");
    else if (reload_prepare(r, next, &p, &d, err, errlen) == 0) {
        reload_commit(r, next, &p, &d, rep);
        rc = 0;
    }
    free(next);
    if (rc < 0)
        pf_log_error("reload failed, generation %u stays in force: %s", r->pool->generation, err);
    return rc;
}

/* The pool counted for pf_reload_policy_rollover. */
static void reload_count(const struct pf_pool *p, struct pf_reload_policy_rollover_counts *c)
{
    memset(c, 0, sizeof(*c));
    c->target = p->target;
    for (size_t i = 0; i < p->sb.nslots; i++) {
        const struct pf_child *ch = &p->children[i];
        int state = pf_slot_get_state(&p->sb.slots[i]);

        if (ch->pid <= 0)
            c->free_slots++;
        else if (ch->retiring)
            c->retiring++;
        else if (ch->generation != p->generation)
            c->old_active++;
        else {
            c->new_active++;
            c->new_ready += state >= PF_SLOT_IDLE && state < PF_SLOT_STOPPING;
        }
    }
}

/* The oldest generation among live workers (UINT_MAX when none). */
static unsigned reload_oldest_alive(const struct pf_pool *p)
{
    unsigned oldest = UINT_MAX;

    for (size_t i = 0; i < p->sb.nslots; i++)
        if (p->children[i].pid > 0 && p->children[i].generation < oldest)
            oldest = p->children[i].generation;
    return oldest;
}

/* Close the old listening sockets whose generations have all exited. */
static void reload_close_drained(struct pf_reloader *r)
{
    unsigned oldest = reload_oldest_alive(r->pool);

    for (int i = 0; i < r->nold;) {
        if (r->old[i].generation < oldest) {
            close(r->old[i].fd);
            pf_log_notice("reload: closed %s, the listening socket of generation %u (its "
                          "last worker is gone)",
                          r->old[i].text, r->old[i].generation);
            r->old[i] = r->old[--r->nold];
        } else {
            i++;
        }
    }
}

/* The new generation keeps failing to start and none of it serves: back
 * to the configuration before the reload, as one more generation (so the
 * old workers are still retired only as its workers become ready); the
 * failed generation's workers are told to stop. */
static void reload_rollback(struct pf_reloader *r)
{
    struct pf_pool *pool = r->pool;
    unsigned failed = pool->generation;

    const char *last = pool->last_failure[0] ? pool->last_failure : "see the log above";

    pf_log_error("reload to generation %u rolled back: %u of its workers failed to start and "
                 "none became ready (last: %s); generation %u runs the previous configuration",
                 failed, pool->gen_start_failures, last, failed + 1);
    r->last = (struct pf_status_rollover){.state = PF_ROLLOVER_ROLLED_BACK,
                                          .generation = failed,
                                          .serving = failed + 1,
                                          .failed = pool->gen_start_failures};
    snprintf(r->last.reason, sizeof(r->last.reason), "%s", last);
    pf_pool_retire_generation(pool, failed);
    *r->cfg = *r->prev;
    *r->proto = pool->proto = r->prev_proto;
    free(r->prev);
    r->prev = NULL;
    r->rollbacks++;
    pool->generation++;
    pool->gen_start_failures = 0;
    pf_log_set_level(r->cfg->daemon.log_level);
}

/* Fork and retire as the plan says; true while older workers remain. */
static bool reload_roll(struct pf_reloader *r)
{
    struct pf_reload_policy_rollover_counts c;
    struct pf_reload_policy_rollover_step st;

    reload_count(r->pool, &c);
    if (r->prev && c.new_ready == 0 && r->pool->gen_start_failures >= PF_RELOAD_ROLLBACK_FAILURES) {
        reload_rollback(r);
        reload_count(r->pool, &c);
    }
    st = pf_reload_policy_rollover(&c);
    /* New workers failing at start: the crash backoff paces them. */
    for (int i = 0; i < st.spawn && pf_pool_spawn_paced(r->pool) == 0; i++) {
    }
    for (int i = 0; i < st.retire && pf_pool_retire_older(r->pool, r->pool->generation) > 0; i++) {
    }
    return c.old_active > st.retire;
}

void pf_reload_tick(struct pf_reloader *r, bool stopping)
{
    if (r->nold > 0)
        reload_close_drained(r);
    if (!r->rolling)
        return;
    if (stopping) {
        r->rolling = false;
        return;
    }
    if (!reload_roll(r)) {
        r->rolling = false;
        free(r->prev); /* the roll-over is done: no going back */
        r->prev = NULL;
        if (r->last.state == PF_ROLLOVER_ROLLING && r->last.generation == r->pool->generation)
            r->last.state = PF_ROLLOVER_SERVING;
        pf_log_notice("reload: generation %u is serving; older workers were told to stop",
                      r->pool->generation);
    }
}

int pf_reload_wait_ms(const struct pf_reloader *r)
{
    return r->rolling ? PF_WAKE_POLICY_SCOREBOARD_MS : -1;
}

void pf_reload_close(struct pf_reloader *r)
{
    for (int i = 0; i < r->nold; i++)
        close(r->old[i].fd);
    r->nold = 0;
    free(r->prev);
    r->prev = NULL;
}
