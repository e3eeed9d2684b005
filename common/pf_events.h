/* pf_events: the master's recent events, kept in a fixed ring (pure).
 *
 * What an operator looks for after "what just happened?": reloads,
 * crashes and their backoff, hung kills, upgrades, scaling, stops. The
 * master feeds it every log message at notice or above (pf_log_set_tap),
 * whatever the log level, and the status page and `preforkctl events`
 * show it. Fixed size: the oldest event makes room for a new one, so a
 * crash loop costs no memory; each event has a sequence number, so a
 * reader polling it sees what is new and how many it missed.
 */
#ifndef PF_EVENTS_H
#define PF_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define PF_EVENTS_MAX 64
#define PF_EVENT_TEXT_MAX 320 /* bytes kept of a message, NUL included */

struct pf_event {
    uint64_t seq;    /* 1 for the first event ever added */
    int64_t time_ms; /* wall clock, ms since the epoch */
    int level;       /* enum pf_log_level */
    char text[PF_EVENT_TEXT_MAX];
};

struct pf_events {
    struct pf_event ring[PF_EVENTS_MAX];
    uint64_t added; /* events ever added: the last one's seq */
};

/* Keep an event, the oldest dropped once PF_EVENTS_MAX are kept. A text
 * longer than PF_EVENT_TEXT_MAX - 1 bytes is cut and ends in "...". */
void pf_events_add(struct pf_events *e, int64_t time_ms, int level, const char *text);

/* How many are kept (at most PF_EVENTS_MAX). */
size_t pf_events_count(const struct pf_events *e);

/* The i-th kept event, 0 the newest; NULL past pf_events_count. */
const struct pf_event *pf_events_get(const struct pf_events *e, size_t i);

#endif
