/* pf_episode: a repeating failure told once per change (pure). */
#include "pf_episode.h"

/* The first failure starts an episode; a new reason is told at once; the
 * same reason again only a period after it was last told. */
enum pf_episode_news pf_episode_fail(struct pf_episode *e, int err, int64_t now_ms,
                                     int64_t period_ms)
{
    int before = e->err;

    e->total++;
    e->err = err;
    if (before == 0) {
        e->since_ms = e->told_ms = now_ms;
        e->failures = 1;
        return PF_EPISODE_BEGAN;
    }
    e->failures++;
    if (err != before) {
        e->told_ms = now_ms;
        return PF_EPISODE_CHANGED;
    }
    if (now_ms - e->told_ms < period_ms)
        return PF_EPISODE_QUIET;
    e->told_ms = now_ms;
    return PF_EPISODE_LASTS;
}

enum pf_episode_news pf_episode_ok(struct pf_episode *e)
{
    if (e->err == 0)
        return PF_EPISODE_QUIET;
    e->err = 0;
    return PF_EPISODE_ENDED;
}

bool pf_episode_on(const struct pf_episode *e)
{
    return e->err != 0;
}
