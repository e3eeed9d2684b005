/* pf_notify_sock: the master's notify socket for exec workers. */
#include "pf_notify_sock.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_handoff.h"

int pf_notify_sock_open(struct pf_notify_sock *n, char *err, size_t errlen)
{
    static unsigned opened;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int on = 1;
    size_t len;

    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    n->bad = 0;
    if (n->fd < 0) {
        snprintf(err, errlen, "notify socket: %s", strerror(errno));
        return -1;
    }
    snprintf(n->name, sizeof(n->name), "@preforkd/%ld/%u", (long)getpid(), opened++);
    len = strlen(n->name); /* sun_path[0] is the abstract namespace's NUL */
    memcpy(sa.sun_path + 1, n->name + 1, len - 1);
    if (setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
        bind(n->fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
        snprintf(err, errlen, "notify socket %s: %s", n->name, strerror(errno));
        pf_notify_sock_close(n);
        return -1;
    }
    return 0;
}

void pf_notify_sock_close(struct pf_notify_sock *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

static pid_t notify_sender(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred uc;

            memcpy(&uc, CMSG_DATA(c), sizeof(uc));
            return uc.pid;
        }
    return 0;
}

static int notify_drop(struct pf_notify_sock *n, char *err, size_t errlen, const char *why)
{
    n->bad++;
    snprintf(err, errlen, "%s", why);
    return -1;
}

int pf_notify_sock_recv(struct pf_notify_sock *n, pid_t *pid, struct pf_notify_msg *m, char *err,
                        size_t errlen)
{
    static char buf[PF_NOTIFY_MAX + 1];
    union {
        char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    char why[128];
    ssize_t got;
    bool fds;

    *pid = 0;
    do
        got = recvmsg(n->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK
                   ? 0
                   : notify_drop(n, err, errlen, strerror(errno));
    fds = pf_handoff_take_fds(&mh, NULL) > 0; /* FDSTORE=1 sends some: none kept */
    *pid = notify_sender(&mh);
    if ((size_t)got > PF_NOTIFY_MAX)
        return notify_drop(n, err, errlen, "longer than 4096 bytes");
    if (mh.msg_flags & MSG_CTRUNC)
        return notify_drop(n, err, errlen, "too many descriptors attached");
    if (*pid <= 0)
        return notify_drop(n, err, errlen, "no sender credentials");
    if (pf_notify_parse(buf, (size_t)got, m, why, sizeof(why)) < 0)
        return notify_drop(n, err, errlen, why);
    if (fds)
        snprintf(err, errlen, "descriptors attached were closed");
    else if (errlen > 0)
        err[0] = '\0';
    return 1;
}
