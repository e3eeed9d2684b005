/* pf_stats: status and worker snapshots from the pool and scoreboard. */
#include "pf_stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_err.h"
#include "pf_procstat.h"
#include "pf_smaps.h"
#include "pf_time.h"

/* Room for the whole of smaps_rollup (about 900 bytes on Linux 6). */
#define STATS_SMAPS_MAX 4096

#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

void pf_stats_pool(const struct pf_pool *p, struct pf_status *st)
{
    st->target = p->target;
    st->max = (int)p->sb.nslots;
    st->generation = p->generation;
    memset(st->by_state, 0, sizeof(st->by_state));
    struct pf_slot_totals t = p->done;

    for (size_t i = 0; i < p->sb.nslots; i++) {
        const struct pf_slot *s = &p->sb.slots[i];
        int state = pf_slot_get_state(s);

        if (p->children[i].pid <= 0)
            continue;
        if (p->children[i].retiring)
            state = PF_SLOT_STOPPING; /* as the workers list says */
        if (state > PF_SLOT_FREE && state < PF_SLOT_STATE_COUNT)
            st->by_state[state]++;
        pf_slot_add_totals(s, &t);
    }
    st->connections = t.connections;
    st->requests = t.requests;
    st->bytes_in = t.bytes_in;
    st->bytes_out = t.bytes_out;
    st->parked = t.parked;
    st->resumed = t.resumed;
    st->proxy_refused = t.proxy_refused;
    memcpy(st->durations, t.durations, sizeof(st->durations));
    st->duration_sum_us = t.duration_sum_us;
    memcpy(st->by_class, t.by_class, sizeof(st->by_class));
    st->spawned = p->spawned;
    st->respawns = p->respawns;
    st->exits_abnormal = p->exits_abnormal;
    st->hung_killed = p->hung_killed;
    st->memory_recycled = p->memory_recycled;
    st->fork_failures = p->fork_fail.total;
    memcpy(st->exits_by_signal, p->exits_by_signal, sizeof(st->exits_by_signal));
}

/* One live slot into a worker entry. A worker told to stop is reported
 * "stopping" whatever its slot says: it finishes its client first. */
static void stats_worker(const struct pf_pool *p, size_t i, struct pf_status_worker *w,
                         int64_t now_s, int64_t now_ms)
{
    const struct pf_slot *s = &p->sb.slots[i];
    int64_t req = LOAD(s->request_ms);

    w->slot = (int)i;
    w->pid = p->children[i].pid;
    w->generation = p->children[i].generation;
    w->state = p->children[i].retiring ? PF_SLOT_STOPPING : pf_slot_get_state(s);
    w->age_s = now_s - LOAD(s->started_ms) / 1000;
    if (LOAD(s->started_ms) == 0)
        w->age_s = 0;
    w->connections = LOAD(s->connections);
    w->requests = LOAD(s->requests);
    w->bytes_in = LOAD(s->bytes_in);
    w->bytes_out = LOAD(s->bytes_out);
    w->parked = LOAD(s->parked);
    w->resumed = LOAD(s->resumed);
    pf_slot_read_client(s, w->client, sizeof(w->client));
    pf_slot_read_summary(s, w->request);
    w->request_ms = req ? now_ms - req : -1;
    w->last_status = LOAD(s->last_status);
    w->watchdog_ms = p->children[i].watchdog_ms > 0 ? now_ms - p->children[i].watchdog_ms : -1;
    w->exec = pf_config_exec(p->cfg);
    w->ready = pf_slot_get_state(s) != PF_SLOT_STARTING;
    w->private_kib = -1; /* read from /proc by pf_stats_workers_memory */
}

void pf_stats_workers_memory(struct pf_status_worker *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct pf_smaps m;
        char err[PF_ERR_MAX];

        /* a worker that exited since is no error: its figure stays unknown */
        if (pf_stats_memory(w[i].pid, &m, err, sizeof(err)) == 0)
            w[i].private_kib = (int64_t)m.private_kib;
    }
}

size_t pf_stats_workers(const struct pf_pool *p, struct pf_status_worker *out, size_t max)
{
    int64_t now_s = (int64_t)time(NULL), now_ms = pf_time_now_ms();
    size_t n = 0;

    for (size_t i = 0; i < p->sb.nslots && n < max; i++)
        if (p->children[i].pid > 0)
            stats_worker(p, i, &out[n++], now_s, now_ms);
    return n;
}

/* The start of the file at path (at most size bytes) into text, its
 * length into *len. 0, or -1 with errno and "cannot read PATH: REASON". */
static int stats_read(const char *path, char *text, size_t size, size_t *len, char *err,
                      size_t errlen)
{
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), saved;

    *len = 0;
    while (fd >= 0 && *len < size) {
        n = read(fd, text + *len, size - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    saved = errno;
    if (fd >= 0)
        close(fd);
    if (fd >= 0 && n >= 0)
        return 0;
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(saved));
    errno = saved;
    return -1;
}

int pf_stats_memory(pid_t pid, struct pf_smaps *m, char *err, size_t errlen)
{
    char path[64], text[STATS_SMAPS_MAX], why[PF_ERR_MAX];
    size_t len = 0;

    memset(m, 0, sizeof(*m));
    snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
    if (stats_read(path, text, sizeof(text), &len, err, errlen) < 0)
        return -1;
    if (pf_smaps_parse(text, len, m, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Descriptors open in a process: the entries of /proc/PID/fd ("self" for
 * the master); -1 when it cannot be read. */
static int stats_open_fds(const char *pid)
{
    char path[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - (strcmp(pid, "self") == 0); /* the one opendir holds */
}

/* One process's figures from /proc/PID/stat and /proc/PID/fd into p
 * (added to what it holds). 0, or -1 when it cannot be read (gone). */
static int stats_process_add(const char *pid, struct pf_status_process *p)
{
    static long ticks, page;
    char path[64], text[1024], err[PF_ERR_MAX];
    struct pf_procstat ps;
    size_t len;
    int fds;

    if (ticks <= 0)
        ticks = sysconf(_SC_CLK_TCK);
    if (page <= 0)
        page = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if (stats_read(path, text, sizeof(text), &len, err, sizeof(err)) < 0 ||
        pf_procstat_parse(text, len, &ps, err, sizeof(err)) < 0 || ticks <= 0 || page <= 0)
        return -1;
    fds = stats_open_fds(pid);
    p->cpu_us += (ps.utime_ticks + ps.stime_ticks) * (uint64_t)(1000000 / ticks);
    p->rss_bytes += ps.rss_pages * (uint64_t)page;
    p->open_fds += fds > 0 ? (uint64_t)fds : 0;
    return 0;
}

void pf_stats_processes(const struct pf_pool *p, struct pf_status *st)
{
    struct rlimit rl;

    memset(&st->master_process, 0, sizeof(st->master_process));
    memset(&st->workers_process, 0, sizeof(st->workers_process));
    stats_process_add("self", &st->master_process);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        st->master_process.max_fds = (uint64_t)rl.rlim_cur;
    st->workers_process.cpu_us = p->done_cpu_us;
    for (size_t i = 0; i < p->sb.nslots; i++) {
        char pid[24];

        if (p->children[i].pid <= 0)
            continue;
        snprintf(pid, sizeof(pid), "%ld", (long)p->children[i].pid);
        stats_process_add(pid, &st->workers_process);
    }
}

/* A counter the keeper writes alone, read from the memory it shares. */
#define KLOAD(pk, field) atomic_load_explicit(&(pk)->counts->field, memory_order_relaxed)

int pf_stats_keeper(const struct pf_parking *pk, struct pf_status_keeper *k, char *err,
                    size_t errlen)
{
    memset(k, 0, sizeof(*k));
    k->enabled = pk->on;
    if (!pk->on || pk->counts == NULL)
        return 0;
    k->pid = pk->pid;
    k->restarts = pk->restarts;
    k->crashes = pk->crashes;
    k->parked = KLOAD(pk, parked);
    k->queued = KLOAD(pk, queued);
    k->taken = KLOAD(pk, taken);
    k->handed = KLOAD(pk, handed);
    k->expired = KLOAD(pk, expired);
    k->idle_closed = KLOAD(pk, idle_closed);
    k->client_closed = KLOAD(pk, client_closed);
    k->refused = KLOAD(pk, refused);
    k->bad = KLOAD(pk, bad);
    if (k->pid <= 0)
        return 0;
    {
        struct pf_smaps m;
        int rc = pf_stats_memory(k->pid, &m, err, errlen);

        k->rss_kib = m.rss_kib;
        k->pss_kib = m.pss_kib;
        return rc;
    }
}
