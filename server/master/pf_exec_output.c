/* pf_exec_output: exec workers' output into the error log. */
#include "pf_exec_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pf_log.h"

#define OUTPUT_EVENTS 64

int pf_exec_output_init(struct pf_exec_output *o, size_t nslots, char *err, size_t errlen)
{
    o->slots = calloc(nslots, sizeof(*o->slots));
    o->nslots = nslots;
    o->ep = epoll_create1(EPOLL_CLOEXEC);
    if (o->slots == NULL || o->ep < 0) {
        snprintf(err, errlen, "exec workers' output: %s", strerror(errno));
        pf_exec_output_destroy(o);
        return -1;
    }
    for (size_t i = 0; i < nslots; i++)
        o->slots[i].fd = -1;
    return 0;
}

void pf_exec_output_destroy(struct pf_exec_output *o)
{
    for (size_t i = 0; o->slots && i < o->nslots; i++)
        pf_exec_output_drain(o, (int)i);
    free(o->slots);
    o->slots = NULL;
    if (o->ep >= 0)
        close(o->ep);
    o->ep = -1;
}

int pf_exec_output_fd(const struct pf_exec_output *o)
{
    return o->ep;
}

void pf_exec_output_add(struct pf_exec_output *o, int slot, pid_t pid, int rd)
{
    struct pf_exec_output_slot *s = &o->slots[slot];
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)slot};

    pf_exec_output_drain(o, slot); /* a previous worker's, if left */
    fcntl(rd, F_SETFL, fcntl(rd, F_GETFL) | O_NONBLOCK);
    s->fd = rd;
    s->pid = pid;
    s->len = 0;
    s->last[0] = '\0';
    if (epoll_ctl(o->ep, EPOLL_CTL_ADD, rd, &ev) < 0) {
        pf_log_error("worker %ld: its output cannot be watched: %s", (long)pid, strerror(errno));
        close(rd);
        s->fd = -1;
    }
}

static void output_line(struct pf_exec_output_slot *s, int slot, size_t n, bool cut)
{
    if (n > 0) { /* kept cut to its field */
        size_t k = n < sizeof(s->last) - 1 ? n : sizeof(s->last) - 1;

        memcpy(s->last, s->line, k);
        s->last[k] = '\0';
    }
    pf_log_notice("worker %ld (slot %d): %.*s%s", (long)s->pid, slot, (int)n, s->line,
                  cut ? " [line cut]" : "");
}

/* Add n bytes to the slot's line buffer, logging each line finished (and
 * a full buffer as a piece). */
static void output_take(struct pf_exec_output_slot *s, int slot, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            output_line(s, slot, s->len > 0 && s->line[s->len - 1] == '\r' ? s->len - 1 : s->len,
                        false);
            s->len = 0;
            continue;
        }
        s->line[s->len++] = buf[i];
        if (s->len == PF_EXEC_OUTPUT_LINE) {
            output_line(s, slot, s->len, true);
            s->len = 0;
        }
    }
}

/* Read up to max bytes from slot's pipe. True when it is at its end
 * (EOF or an error): the caller closes it. */
static bool output_pull(struct pf_exec_output *o, int slot, size_t max)
{
    struct pf_exec_output_slot *s = &o->slots[slot];
    char buf[4096];

    if (s->line == NULL && (s->line = malloc(PF_EXEC_OUTPUT_LINE)) == NULL)
        return true;
    for (size_t got = 0; got < max;) {
        ssize_t n = read(s->fd, buf, sizeof(buf));

        if (n > 0) {
            output_take(s, slot, buf, (size_t)n);
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
    return false;
}

static void output_close(struct pf_exec_output *o, int slot)
{
    struct pf_exec_output_slot *s = &o->slots[slot];

    if (s->line && s->len > 0)
        output_line(s, slot, s->len, false); /* the last line, unfinished */
    epoll_ctl(o->ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    free(s->line);
    s->fd = -1;
    s->line = NULL;
    s->len = 0; /* last stays, for the reason of the worker's end */
}

const char *pf_exec_output_last(const struct pf_exec_output *o, int slot)
{
    return o->slots ? o->slots[slot].last : "";
}

void pf_exec_output_read(struct pf_exec_output *o)
{
    struct epoll_event ev[OUTPUT_EVENTS];
    int n;

    if (o->ep < 0)
        return;
    n = epoll_wait(o->ep, ev, OUTPUT_EVENTS, 0);
    for (int i = 0; i < n; i++) {
        int slot = (int)ev[i].data.u32;

        if ((size_t)slot < o->nslots && o->slots[slot].fd >= 0 &&
            output_pull(o, slot, PF_EXEC_OUTPUT_READ))
            output_close(o, slot);
    }
}

void pf_exec_output_drain(struct pf_exec_output *o, int slot)
{
    if (o->slots == NULL || o->slots[slot].fd < 0)
        return;
    output_pull(o, slot, PF_EXEC_OUTPUT_READ); /* at most a pipe's worth is left */
    output_close(o, slot);
}
