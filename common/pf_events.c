/* pf_events: a ring of the master's recent events. */
#include "pf_events.h"

#include <string.h>

void pf_events_add(struct pf_events *e, int64_t time_ms, int level, const char *text)
{
    struct pf_event *ev = &e->ring[e->added % PF_EVENTS_MAX];
    size_t len = strlen(text);

    ev->seq = ++e->added;
    ev->time_ms = time_ms;
    ev->level = level;
    if (len >= sizeof(ev->text)) {
        len = sizeof(ev->text) - 1;
        memcpy(ev->text, text, len - 3);
        memcpy(ev->text + len - 3, "...", 3);
    } else {
        memcpy(ev->text, text, len);
    }
    ev->text[len] = '\0';
}

size_t pf_events_count(const struct pf_events *e)
{
    return e->added < PF_EVENTS_MAX ? (size_t)e->added : PF_EVENTS_MAX;
}

const struct pf_event *pf_events_get(const struct pf_events *e, size_t i)
{
    if (i >= pf_events_count(e))
        return NULL;
    return &e->ring[(e->added - 1 - i) % PF_EVENTS_MAX];
}
