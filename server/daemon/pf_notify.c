/* pf_notify: the sd_notify datagram protocol over $NOTIFY_SOCKET. */
#include "pf_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_ENV "NOTIFY_SOCKET"
#define NOTIFY_MAX 4096 /* pf_notify_printf's longest state */

bool pf_notify_enabled(void)
{
    const char *name = getenv(NOTIFY_ENV);

    return name != NULL && name[0] != '\0';
}

/* The socket's address from the variable's value: an absolute path, or
 * "@name" in the abstract namespace (sun_path starts with a 0 byte and
 * the length counts the name's bytes only: an abstract name may contain
 * anything, a trailing 0 included, so none is implied). -1 and EINVAL
 * for anything else or a name too long for sun_path. */
static int notify_address(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
    size_t n = strlen(name);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sun->sun_path)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(sun->sun_path, name, n);
    if (name[0] == '@')
        sun->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    return 0;
}

/* One datagram on a socket made for it: non-blocking, so a notify socket
 * whose reader is stuck costs an error (EAGAIN), never a hang of the
 * master; close-on-exec, in case another thread execs meanwhile. */
static int notify_send(const struct sockaddr_un *sun, socklen_t len, const char *state)
{
    size_t size = strlen(state);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ssize_t n;
    int saved;

    if (fd < 0)
        return -1;
    do
        n = sendto(fd, state, size, MSG_NOSIGNAL, (const struct sockaddr *)sun, len);
    while (n < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    if (n >= 0 && (size_t)n != size)
        saved = EMSGSIZE;
    errno = saved;
    return n >= 0 && (size_t)n == size ? 1 : -1;
}

int pf_notify(const char *state)
{
    const char *name = getenv(NOTIFY_ENV);
    struct sockaddr_un sun;
    socklen_t len;

    if (name == NULL || name[0] == '\0')
        return 0;
    if (notify_address(name, &sun, &len) < 0)
        return -1;
    return notify_send(&sun, len, state);
}

/* Formatted only when there is somewhere to send it. */
int pf_notify_printf(const char *fmt, ...)
{
    char state[NOTIFY_MAX + 1];
    va_list ap;
    int n;

    if (!pf_notify_enabled())
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(state, sizeof(state), fmt, ap);
    va_end(ap);
    if (n < 0) {
        errno = EINVAL;
        return -1;
    }
    return pf_notify(state);
}

unsigned long long pf_notify_monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}
