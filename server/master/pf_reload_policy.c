/* pf_reload_policy: what a reload changes, and the steps of a roll-over (pure). */
#include "pf_reload_policy.h"

#include <stdio.h>
#include <string.h>

/* The settings only a restart applies (see pf_reload.h for why). */
static const struct {
    const char *group, *name;
} reload_restart_only[] = {
    {"workers", "max"},        {"keeper", "parking"},      {"keeper", "max_parked"},
    {"control", "listen"},     {"control", "max_clients"}, {"control", "token_file"},
    {"daemon", "pidfile"},     {"daemon", "user"},         {"daemon", "group"},
    {"daemon", "chroot"},      {"daemon", "max_files"},    {"status", "listen"},
    {"status", "max_clients"},
};

#define RELOAD_NRESTART (sizeof(reload_restart_only) / sizeof(reload_restart_only[0]))

bool pf_reload_policy_restart_only(const char *group, const char *name)
{
    for (size_t i = 0; i < RELOAD_NRESTART; i++)
        if (group && strcmp(group, reload_restart_only[i].group) == 0 &&
            strcmp(name, reload_restart_only[i].name) == 0)
            return true;
    return false;
}

/* The field of setting s in config c. */
static const void *reload_field(const struct pf_config *c, const struct pf_config_setting *s)
{
    return (const char *)c + s->offset;
}

/* Whether setting s holds the same value in a and b. */
static bool reload_same(const struct pf_config *a, const struct pf_config *b,
                        const struct pf_config_setting *s)
{
    const void *x = reload_field(a, s), *y = reload_field(b, s);

    switch (s->type) {
    case PF_CONFIG_STRING: return strncmp(x, y, s->size) == 0;
    case PF_CONFIG_STRINGS: return memcmp(x, y, s->size) == 0; /* zeroed after the last */
    case PF_CONFIG_LONG: return *(const long *)x == *(const long *)y;
    case PF_CONFIG_SIZE: return *(const size_t *)x == *(const size_t *)y;
    case PF_CONFIG_BOOL: return *(const bool *)x == *(const bool *)y;
    case PF_CONFIG_INT:
    case PF_CONFIG_MS:
    case PF_CONFIG_SIGNAL:
    case PF_CONFIG_LOG_LEVEL: return *(const int *)x == *(const int *)y;
    }
    return false;
}

/* Two parsed addresses name the same socket address. */
static bool reload_same_addr(const struct pf_addr *a, const struct pf_addr *b)
{
    return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* Append "group.name" of s to l. */
static void reload_add(struct pf_config_names *l, const struct pf_config_setting *s)
{
    if (l->n >= PF_CONFIG_NAMES_MAX)
        return;
    snprintf(l->name[l->n++], PF_CONFIG_NAME_LEN, "%s%s%s", s->group ? s->group : "",
             s->group ? "." : "", s->name);
}

/* Whether s is the setting group.name (group NULL: the top level). */
static bool reload_is(const struct pf_config_setting *s, const char *group, const char *name)
{
    return (group ? s->group && strcmp(s->group, group) == 0 : s->group == NULL) &&
           strcmp(s->name, name) == 0;
}

void pf_reload_policy_diff(const struct pf_config *cur, const struct pf_config *next,
                           struct pf_reload_policy_diff *d)
{
    struct pf_config_setting s;

    memset(d, 0, sizeof(*d));
    for (size_t i = 0; pf_config_setting_at(i, &s); i++) {
        bool same = reload_is(&s, NULL, "listen")
                        ? reload_same_addr(&cur->listen_addr, &next->listen_addr)
                        : reload_same(cur, next, &s);

        if (same)
            continue;
        reload_add(pf_reload_policy_restart_only(s.group, s.name) ? &d->restart : &d->applied, &s);
        if (reload_is(&s, NULL, "listen"))
            d->listen_moved = true;
        else if (reload_is(&s, NULL, "backlog") || reload_is(&s, NULL, "defer_accept"))
            d->listen_tuned = true;
        else if (reload_is(&s, "workers", "start"))
            d->start_changed = true;
        else if (reload_is(&s, "daemon", "error_log"))
            d->error_log_moved = true;
    }
    if (d->listen_moved)
        d->listen_tuned = false; /* the new socket gets them at once */
}

/* The size of the field that holds setting s. */
static size_t reload_field_size(const struct pf_config_setting *s)
{
    switch (s->type) {
    case PF_CONFIG_STRING:
    case PF_CONFIG_STRINGS: return s->size;
    case PF_CONFIG_LONG: return sizeof(long);
    case PF_CONFIG_SIZE: return sizeof(size_t);
    case PF_CONFIG_BOOL: return sizeof(bool);
    case PF_CONFIG_INT:
    case PF_CONFIG_MS:
    case PF_CONFIG_SIGNAL:
    case PF_CONFIG_LOG_LEVEL: break;
    }
    return sizeof(int);
}

void pf_reload_policy_keep_restart_only(const struct pf_config *cur, struct pf_config *next)
{
    struct pf_config_setting s;

    for (size_t i = 0; pf_config_setting_at(i, &s); i++)
        if (pf_reload_policy_restart_only(s.group, s.name))
            memcpy((char *)next + s.offset, reload_field(cur, &s), reload_field_size(&s));
    next->control.listen_addr = cur->control.listen_addr; /* parsed from control.listen */
    next->daemon.uid = cur->daemon.uid;                   /* looked up from user, group */
    next->daemon.user_gid = cur->daemon.user_gid;
    next->daemon.group_gid = cur->daemon.group_gid;
}

int pf_reload_policy_check(const struct pf_config *next, const char *file, char *err, size_t errlen)
{
    int max = next->workers.max;

    if (next->workers.start > max) {
        snprintf(err, errlen, "%s: workers.start: %d is above workers.max (%d until a restart)",
                 file, next->workers.start, max);
        return -1;
    }
    if (pf_config_dynamic(next) && next->workers.max_spare > max) {
        snprintf(err, errlen, "%s: workers.max_spare: %d is above workers.max (%d until a restart)",
                 file, next->workers.max_spare, max);
        return -1;
    }
    return 0;
}

const char *pf_reload_policy_join(const struct pf_config_names *l, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", l->name[i]);

        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

static int reload_max(int a, int b)
{
    return a > b ? a : b;
}
static int reload_min(int a, int b)
{
    return a < b ? a : b;
}

struct pf_reload_policy_rollover_step pf_reload_policy_rollover(
    const struct pf_reload_policy_rollover_counts *c)
{
    struct pf_reload_policy_rollover_step st;
    bool settling = c->new_active > c->new_ready || c->retiring > 0;

    st.spawn = reload_max(0, reload_min(c->target - c->new_active, c->free_slots));
    /* Old workers beyond what the ready new ones leave to cover. */
    st.retire = reload_max(0, c->old_active - reload_max(0, c->target - c->new_ready));
    /* No slot to fork into, none about to free, nothing starting: make room. */
    if (st.retire == 0 && st.spawn == 0 && c->old_active > 0 && c->new_active < c->target &&
        c->free_slots == 0 && !settling)
        st.retire = 1;
    return st;
}
