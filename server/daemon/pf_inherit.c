/* pf_inherit: listening sockets handed over by systemd or an old master. */
#include "pf_inherit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_err.h"

/* A decimal number spelt by the len characters at s: digits only (no
 * sign, no space, nothing after), at most max. 0 or -1. */
static int inherit_number(const char *s, size_t len, long max, long *out)
{
    long value = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int digit = s[i] - '0';

        if (s[i] < '0' || s[i] > '9' || value > (max - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}

int pf_inherit_fd_number(const char *s, size_t len, int *fd)
{
    long v;

    if (inherit_number(s, len, INT_MAX, &v) < 0 || v < 3)
        return -1;
    *fd = (int)v;
    return 0;
}

/* sd_listen_fds(3)'s rules, strictly: LISTEN_PID unset or naming another
 * process means the variables are not ours (a parent's, leaked); when
 * they are, LISTEN_FDS must be a count of at least one. */
int pf_inherit_parse_systemd(const char *listen_pid, const char *listen_fds, pid_t self, int *count,
                             char *err, size_t errlen)
{
    long pid, n;

    *count = 0;
    if (listen_pid == NULL)
        return 0;
    if (inherit_number(listen_pid, strlen(listen_pid), INT_MAX, &pid) < 0 || pid == 0) {
        snprintf(err, errlen, "socket activation: LISTEN_PID=\"%.32s\" is not a process id",
                 listen_pid);
        return -1;
    }
    if (pid != (long)self)
        return 0;
    if (listen_fds == NULL) {
        snprintf(err, errlen,
                 "socket activation: LISTEN_PID names this process but "
                 "LISTEN_FDS is not set");
        return -1;
    }
    if (inherit_number(listen_fds, strlen(listen_fds), INT_MAX - PF_INHERIT_SD_FIRST_FD, &n) < 0 ||
        n == 0) {
        snprintf(err, errlen,
                 "socket activation: LISTEN_FDS=\"%.32s\" is not a number of "
                 "descriptors (1 or more)",
                 listen_fds);
        return -1;
    }
    *count = (int)n;
    return 1;
}

/* PREFORKD_FDS's keys, in the order they are written. */
static const struct {
    const char *key;
    size_t off;
} inherit_keys[] = {
    {"listen", offsetof(struct pf_inherit_fds, listen)},
    {"control", offsetof(struct pf_inherit_fds, control)},
    {"status", offsetof(struct pf_inherit_fds, status)},
};

#define INHERIT_NKEYS (sizeof(inherit_keys) / sizeof(inherit_keys[0]))

static int *inherit_slot(struct pf_inherit_fds *fds, size_t k)
{
    return (int *)((char *)fds + inherit_keys[k].off);
}

/* One "key=N" item of PREFORKD_FDS (len characters at item) into its
 * slot, which must still be -1. 0 or -1 with the reason in err. */
static int inherit_item(const char *value, const char *item, size_t len, struct pf_inherit_fds *fds,
                        char *err, size_t errlen)
{
    const char *eq = memchr(item, '=', len);
    int klen = eq ? (int)(eq - item) : 0;
    int *slot = NULL;

    for (size_t k = 0; eq && k < INHERIT_NKEYS && !slot; k++)
        if ((size_t)klen == strlen(inherit_keys[k].key) &&
            memcmp(item, inherit_keys[k].key, (size_t)klen) == 0)
            slot = inherit_slot(fds, k);
    if (eq == NULL)
        snprintf(err, errlen, PF_INHERIT_ENV "=\"%.64s\": \"%.*s\" is not KEY=N", value, (int)len,
                 item);
    else if (slot == NULL)
        snprintf(err, errlen,
                 PF_INHERIT_ENV "=\"%.64s\": unknown key \"%.*s\" (listen, control and "
                                "status are known)",
                 value, klen, item);
    else if (*slot >= 0)
        snprintf(err, errlen, PF_INHERIT_ENV "=\"%.64s\": %.*s is given twice", value, klen, item);
    else if (pf_inherit_fd_number(eq + 1, len - (size_t)klen - 1, slot) == 0)
        return 0;
    else
        snprintf(err, errlen,
                 PF_INHERIT_ENV "=\"%.64s\": %.*s must be a descriptor number "
                                "of 3 or more",
                 value, klen, item);
    return -1;
}

/* Every ';'-separated item of value, in turn. 0 or -1. */
static int inherit_items(const char *value, struct pf_inherit_fds *fds, char *err, size_t errlen)
{
    const char *p = value;

    for (;;) {
        size_t len = strcspn(p, ";");

        if (inherit_item(value, p, len, fds, err, errlen) < 0)
            return -1;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Two keys naming one descriptor: NULL, or why. */
static const char *inherit_shared(struct pf_inherit_fds *fds)
{
    for (size_t a = 0; a < INHERIT_NKEYS; a++)
        for (size_t b = a + 1; b < INHERIT_NKEYS; b++)
            if (*inherit_slot(fds, a) >= 0 && *inherit_slot(fds, a) == *inherit_slot(fds, b))
                return "two keys name the same descriptor";
    return NULL;
}

int pf_inherit_parse_fds(const char *value, struct pf_inherit_fds *fds, char *err, size_t errlen)
{
    const char *v = value ? value : "";
    const char *why = NULL;

    *fds = (struct pf_inherit_fds){-1, -1, -1};
    if (v[0] == '\0' || inherit_items(v, fds, err, errlen) == 0) {
        if (fds->listen < 0)
            why = "listen=N is missing";
        else if ((why = inherit_shared(fds)) == NULL)
            return 0;
        snprintf(err, errlen, PF_INHERIT_ENV "=\"%.64s\": %s", v, why);
    }
    *fds = (struct pf_inherit_fds){-1, -1, -1};
    return -1;
}

int pf_inherit_format_fds(char *buf, size_t size, const struct pf_inherit_fds *fds)
{
    size_t len = 0;

    for (size_t k = 0; k < INHERIT_NKEYS; k++) {
        int fd = *inherit_slot((struct pf_inherit_fds *)fds, k);
        int n;

        if (fd < 0)
            continue;
        n = snprintf(buf + len, size > len ? size - len : 0, "%s%s=%d", len ? ";" : "",
                     inherit_keys[k].key, fd);
        if (n < 0 || len + (size_t)n >= size)
            return -1;
        len += (size_t)n;
    }
    return (int)len;
}

/* What a worker accepts on must be a listening stream socket. It is made
 * close-on-exec (a program we exec must not keep the port) and
 * non-blocking like pf_net_listen's sockets (workers accept only after
 * readiness, and a worker another one beat to a connection must get
 * EAGAIN, not sleep inside accept()); systemd hands sockets over
 * without either flag. */
int pf_inherit_check_listener(int fd, char *err, size_t errlen)
{
    int fdflags = fcntl(fd, F_GETFD), flflags, type = 0, listening = 0;
    socklen_t len = sizeof(type);

    if (fdflags < 0) {
        snprintf(err, errlen, "descriptor %d: not open", fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        snprintf(err, errlen, "descriptor %d: %s", fd,
                 errno == ENOTSOCK ? "not a socket" : strerror(errno));
        return -1;
    }
    len = sizeof(listening);
    if (type != SOCK_STREAM) {
        snprintf(err, errlen, "descriptor %d: not a stream socket", fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening != 1) {
        snprintf(err, errlen, "descriptor %d: not listening", fd);
        return -1;
    }
    flflags = fcntl(fd, F_GETFL);
    if (fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) < 0 || flflags < 0 ||
        fcntl(fd, F_SETFL, flflags | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "descriptor %d: cannot set close-on-exec and non-blocking: %s", fd,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* Check fd as a listener; the reason, if not, prefixed with where fd
 * came from. */
static int inherit_check(int fd, const char *from, char *err, size_t errlen)
{
    char why[PF_ERR_MAX];

    if (pf_inherit_check_listener(fd, why, sizeof(why)) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", from, why);
    return -1;
}

/* A binary upgrade's descriptors, from PREFORKD_FDS's value. */
static int inherit_take_upgrade(struct pf_inherited *in, const char *value, char *err,
                                size_t errlen)
{
    struct pf_inherit_fds fds;

    if (pf_inherit_parse_fds(value, &fds, err, errlen) < 0)
        return -1;
    if (inherit_check(fds.listen, PF_INHERIT_ENV " listen", err, errlen) < 0 ||
        (fds.control >= 0 &&
         inherit_check(fds.control, PF_INHERIT_ENV " control", err, errlen) < 0) ||
        (fds.status >= 0 && inherit_check(fds.status, PF_INHERIT_ENV " status", err, errlen) < 0))
        return -1;
    in->listen_fd = fds.listen;
    in->control_fd = fds.control;
    in->status_fd = fds.status;
    return 0;
}

/* Socket activation's descriptor, when the variables are meant for us. */
static int inherit_take_systemd(struct pf_inherited *in, char *err, size_t errlen)
{
    int count;
    int rc = pf_inherit_parse_systemd(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid(), &count,
                                      err, errlen);

    if (rc <= 0)
        return rc;
    if (count != 1) {
        snprintf(err, errlen,
                 "socket activation: preforkd takes one listening socket, "
                 "LISTEN_FDS gives %d",
                 count);
        return -1;
    }
    if (inherit_check(PF_INHERIT_SD_FIRST_FD, "socket activation", err, errlen) < 0)
        return -1;
    in->listen_fd = PF_INHERIT_SD_FIRST_FD;
    in->from_systemd = true;
    return 0;
}

int pf_inherit_take(struct pf_inherited *in, char *err, size_t errlen)
{
    const char *value = getenv(PF_INHERIT_ENV);
    int rc;

    in->listen_fd = -1;
    in->control_fd = -1;
    in->status_fd = -1;
    in->from_systemd = false;
    if (value != NULL)
        rc = inherit_take_upgrade(in, value, err, errlen);
    else
        rc = inherit_take_systemd(in, err, errlen);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    unsetenv(PF_INHERIT_ENV);
    return rc;
}
