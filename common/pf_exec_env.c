/* pf_exec_env: the environment of an exec worker's program (pure). */
#include "pf_exec_env.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Variables preforkd sets itself: exec.env may not. */
static const char *const reserved[] = {
    "LISTEN_FDS",    "LISTEN_PID",       "LISTEN_FDNAMES",      "NOTIFY_SOCKET",
    "WATCHDOG_USEC", "WATCHDOG_PID",     "PREFORKD_SLOT",       "PREFORKD_GENERATION",
    "EINHORN_FD_0",  "EINHORN_FD_COUNT", "SERVER_STARTER_PORT",
};

static size_t name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');

    return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* s[0..n) into out for a message: control bytes written as \\xNN (a
 * quoted value cannot break its line), cut to fit. */
static const char *env_quote(const char *s, size_t n, char *out, size_t size)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f)
            k += (size_t)snprintf(out + k, size - k, "\\x%02x", c);
        else
            out[k++] = (char)c;
    }
    out[k] = '\0';
    return out;
}

int pf_exec_env_check(const char *entry, char *err, size_t errlen)
{
    size_t n = name_len(entry);
    char q[128];

    if (n == 0 || (entry[0] >= '0' && entry[0] <= '9')) {
        snprintf(err, errlen, "\"%s\" is not NAME=value or NAME",
                 env_quote(entry, strlen(entry), q, sizeof(q)));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = entry[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            snprintf(err, errlen, "\"%s\" is not a variable name (letters, digits and _)",
                     env_quote(entry, n, q, sizeof(q)));
            return -1;
        }
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == n && memcmp(reserved[i], entry, n) == 0) {
            snprintf(err, errlen, "%s is set by preforkd itself (docs/exec.md)", reserved[i]);
            return -1;
        }
    return 0;
}

/* Where the variables are written. */
struct env_out {
    char *buf;
    size_t size, used;
    char **envp;
    size_t max, n;
    bool full;
};

/* Add one variable, printf-style ("NAME=value"). */
__attribute__((format(printf, 2, 3))) static void env_add(struct env_out *o, const char *fmt, ...)
{
    va_list ap;
    int len;

    if (o->full)
        return;
    va_start(ap, fmt);
    len = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= o->size - o->used || o->n + 1 >= o->max) {
        o->full = true;
        return;
    }
    o->envp[o->n++] = o->buf + o->used;
    o->used += (size_t)len + 1;
}

/* The master's "NAME=value" for the entry "NAME", or NULL. */
static const char *parent_value(const char *const *parent, const char *name)
{
    size_t n = strlen(name);

    for (; parent && *parent; parent++)
        if (strncmp(*parent, name, n) == 0 && (*parent)[n] == '=')
            return *parent;
    return NULL;
}

static bool sets_path(const struct pf_exec_env_in *in)
{
    for (size_t i = 0; i < in->nenv; i++)
        if (name_len(in->env[i]) == 4 && strncmp(in->env[i], "PATH", 4) == 0)
            return strchr(in->env[i], '=') || parent_value(in->parent, "PATH");
    return false;
}

int pf_exec_env_build(const struct pf_exec_env_in *in, char *buf, size_t size, char **envp,
                      size_t max, char *err, size_t errlen)
{
    struct env_out o = {.buf = buf, .size = size, .envp = envp, .max = max};

    if (max == 0 || size == 0) {
        snprintf(err, errlen, "no room for the environment");
        return -1;
    }
    for (const char *const *p = in->env_all ? in->parent : NULL; p && *p; p++) {
        char why[8];

        if (strchr(*p, '=') && pf_exec_env_check(*p, why, sizeof(why)) == 0)
            env_add(&o, "%s", *p);
    }
    for (size_t i = 0; i < in->nenv; i++) {
        const char *e = in->env[i];

        if (strchr(e, '=') == NULL && (e = parent_value(in->parent, e)) == NULL)
            continue;
        env_add(&o, "%s", e);
    }
    if (!sets_path(in) && !(in->env_all && parent_value(in->parent, "PATH")))
        env_add(&o, "PATH=%s", PF_EXEC_ENV_PATH);
    if (in->listen_fd == 3) {
        env_add(&o, "LISTEN_FDS=1");
        env_add(&o, "LISTEN_PID=%ld", in->pid);
        env_add(&o, "LISTEN_FDNAMES=%s", in->fd_name);
    }
    if (in->notify_socket)
        env_add(&o, "NOTIFY_SOCKET=%s", in->notify_socket);
    if (in->watchdog_usec > 0) {
        env_add(&o, "WATCHDOG_USEC=%lld", in->watchdog_usec);
        env_add(&o, "WATCHDOG_PID=%ld", in->pid);
    }
    env_add(&o, "PREFORKD_SLOT=%d", in->slot);
    env_add(&o, "PREFORKD_GENERATION=%d", in->generation);
    env_add(&o, "EINHORN_FD_0=%d", in->listen_fd);
    env_add(&o, "EINHORN_FD_COUNT=1");
    env_add(&o, "SERVER_STARTER_PORT=%s=%d", in->listen_text, in->listen_fd);
    if (o.full) {
        snprintf(err, errlen, "the environment is longer than %zu bytes or %zu variables", size,
                 max - 1);
        return -1;
    }
    envp[o.n] = NULL;
    return (int)o.n;
}
