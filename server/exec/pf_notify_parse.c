/* pf_notify_parse: one sd_notify datagram, parsed (pure). */
#include "pf_notify_parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int notify_fail(struct pf_notify_msg *m, char *err, size_t errlen, const char *why,
                       size_t line)
{
    memset(m, 0, sizeof(*m));
    if (line > 0)
        snprintf(err, errlen, "line %zu: %s", line, why);
    else
        snprintf(err, errlen, "%s", why);
    return -1;
}

static bool value_is(const char *v, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* A variable name: capitals, digits and '_', not starting with a digit. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* A decimal in 0..max, n digits at v; -1 if it is not one. */
static long decimal(const char *v, size_t n, long max)
{
    long x = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x <= max ? x : -1;
}

static void keep_status(struct pf_notify_msg *m, const char *v, size_t n)
{
    size_t k = n < sizeof(m->status) - 1 ? n : sizeof(m->status) - 1;

    for (size_t i = 0; i < k; i++)
        m->status[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
    m->status[k] = '\0';
}

/* One NAME=value line (no newline). 0, or -1 with why set. */
static int notify_line(struct pf_notify_msg *m, const char *s, size_t n, const char **why)
{
    const char *eq = memchr(s, '=', n);
    size_t nn, vn;
    const char *v;
    long x;

    if (eq == NULL || !name_ok(s, (size_t)(eq - s))) {
        *why = "not NAME=value";
        return -1;
    }
    nn = (size_t)(eq - s);
    v = eq + 1;
    vn = n - nn - 1;
    if (value_is(s, nn, "READY")) {
        if (!value_is(v, vn, "1"))
            return *why = "READY takes 1", -1;
        m->said |= PF_NOTIFY_READY;
    } else if (value_is(s, nn, "STATUS")) {
        m->said |= PF_NOTIFY_STATUS;
        keep_status(m, v, vn);
    } else if (value_is(s, nn, "WATCHDOG")) {
        if (value_is(v, vn, "1"))
            m->said |= PF_NOTIFY_WATCHDOG;
        else if (value_is(v, vn, "trigger"))
            m->said |= PF_NOTIFY_WATCHDOG_TRIGGER;
        else
            return *why = "WATCHDOG takes 1 or trigger", -1;
    } else if (value_is(s, nn, "STOPPING")) {
        if (!value_is(v, vn, "1"))
            return *why = "STOPPING takes 1", -1;
        m->said |= PF_NOTIFY_STOPPING;
    } else if (value_is(s, nn, "RELOADING")) {
        if (!value_is(v, vn, "1"))
            return *why = "RELOADING takes 1", -1;
        m->said |= PF_NOTIFY_RELOADING;
    } else if (value_is(s, nn, "ERRNO")) {
        if ((x = decimal(v, vn, 4095)) < 0)
            return *why = "ERRNO takes a number from 0 to 4095", -1;
        m->said |= PF_NOTIFY_ERRNO;
        m->errno_value = (int)x;
    } else if (value_is(s, nn, "MAINPID")) {
        m->said |= PF_NOTIFY_MAINPID;
    } else {
        m->ignored++; /* EXTEND_TIMEOUT_USEC, FDSTORE, a later systemd's: harmless */
    }
    return 0;
}

int pf_notify_parse(const char *buf, size_t len, struct pf_notify_msg *m, char *err, size_t errlen)
{
    size_t at = 0, line = 0;

    memset(m, 0, sizeof(*m));
    if (len == 0)
        return notify_fail(m, err, errlen, "empty message", 0);
    if (len > PF_NOTIFY_MAX)
        return notify_fail(m, err, errlen, "message longer than 4096 bytes", 0);
    if (memchr(buf, '\0', len) != NULL)
        return notify_fail(m, err, errlen, "a NUL byte in the message", 0);
    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        const char *why = NULL;

        line++;
        if (n > 0 && notify_line(m, buf + at, n, &why) < 0)
            return notify_fail(m, err, errlen, why, line);
        at += n + (nl != NULL);
    }
    if (m->said == 0 && m->ignored == 0)
        return notify_fail(m, err, errlen, "no assignment in the message", 0);
    return 0;
}
