/* pf_harness_ctl: run preforkctl against the server under test. */
#include "pf_harness_ctl.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CTL_ADDR_NEEDLE "control channel listening on "
#define CTL_MAX_WORDS 4

/* The control channel's address from the master's log (waiting for the
 * line up to PF_H_WAIT_MS) into addr. 0 or -1. */
static int ctl_addr(const struct pf_server *s, char *addr, size_t size)
{
    char *log, *p;
    size_t n;

    if (pf_h_wait_log(s, CTL_ADDR_NEEDLE, PF_H_WAIT_MS) < 0 || (log = pf_h_log_read(s)) == NULL)
        return -1;
    p = strstr(log, CTL_ADDR_NEEDLE) + strlen(CTL_ADDR_NEEDLE);
    n = strcspn(p, " \r\n");
    if (n == 0 || n >= size) {
        pf_h_note("no control address after \"%s\"", CTL_ADDR_NEEDLE);
        free(log);
        return -1;
    }
    memcpy(addr, p, n);
    addr[n] = '\0';
    free(log);
    return 0;
}

int pf_h_ctl_run(struct pf_server *s, struct pf_h_output *o, bool json, ...)
{
    char addr[PF_ADDR_STRLEN];
    char *argv[6 + CTL_MAX_WORDS + 1] = {PF_CTL_BINARY, "-a", addr, "-t", "ctl.token"};
    int n = 5;
    va_list ap;

    *o = (struct pf_h_output){.status = -1};
    if (ctl_addr(s, addr, sizeof(addr)) < 0)
        return -1;
    if (json)
        argv[n++] = "--json";
    va_start(ap, json);
    for (char *w; n < 6 + CTL_MAX_WORDS && (w = va_arg(ap, char *)) != NULL;)
        argv[n++] = w;
    va_end(ap);
    argv[n] = NULL;
    return pf_h_run_cmd(s, o, argv);
}

json_t *pf_h_ctl_json(struct pf_server *s, const char *command, const char *arg)
{
    struct pf_h_output o;
    json_error_t err;
    json_t *j = NULL;

    if (pf_h_ctl_run(s, &o, true, command, arg, (char *)NULL) == 0) {
        j = json_loads(o.out, 0, &err);
        if (!json_is_true(json_object_get(j, "ok"))) {
            pf_h_note("preforkctl %s: status %#x, stdout %s, stderr %s", command,
                      (unsigned)o.status, o.out, o.err);
            json_decref(j);
            j = NULL;
        }
    }
    pf_h_output_free(&o);
    return j;
}

/* json_object_get tolerates NULL, so a missing group reads as missing. */
long long pf_h_json_int(const json_t *j, const char *group, const char *key)
{
    const json_t *v = json_object_get(group ? json_object_get(j, group) : j, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

long long pf_h_ctl_status_int(struct pf_server *s, const char *path)
{
    json_t *st = pf_h_ctl_json(s, "status", NULL), *v = st;
    char key[64];
    long long value = -1;

    for (const char *p = path; v != NULL && *p != '\0';) {
        size_t n = strcspn(p, ".");

        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        v = json_object_get(v, key);
        p += n + (p[n] == '.');
    }
    if (json_is_integer(v))
        value = json_integer_value(v);
    else if (st != NULL)
        pf_h_note("status has no integer %s", path);
    json_decref(st);
    return value;
}

/* ---------------------------------------------------------------- load */

#define BENCH_RUN_MS 20000 /* bound on preforkbench's whole run */

pid_t pf_h_bench_start(struct pf_server *s, const char *path, bool close_mode)
{
#ifdef PF_BENCH_BINARY
    char *argv[] = {PF_BENCH_BINARY,
                    "--no-progress",
                    "-q",
                    "--json",
                    "bench.json",
                    "-c",
                    "8",
                    "-d",
                    "15",
                    "-T",
                    "5",
                    "-u",
                    (char *)path,
                    s->addr_text,
                    close_mode ? "--close" : NULL,
                    NULL};

    return pf_h_spawn_cmd(s, "bench", argv);
#else
    (void)s, (void)path, (void)close_mode;
    pf_h_note("preforkbench is not built");
    return -1;
#endif
}

int pf_h_bench_finish(struct pf_server *s, pid_t pid, long long *ok, long long *failed)
{
    struct pf_h_output o;
    char path[PATH_MAX];
    json_t *j;
    int rc = 0;

    if (waitpid(pid, NULL, WNOHANG) != 0) {
        pf_h_note("preforkbench ended before the test did");
        return -1;
    }
    kill(pid, SIGINT);
    if (pf_h_finish_cmd(s, "bench", pid, BENCH_RUN_MS, &o) < 0)
        return -1;
    if (!pf_h_exited_with(o.status, 0) && !pf_h_exited_with(o.status, 1)) {
        pf_h_note("preforkbench: status %#x: %s", (unsigned)o.status, o.err);
        rc = -1;
    }
    pf_h_output_free(&o);
    if (rc < 0 || pf_h_path(path, s, "bench.json") < 0 ||
        (j = json_load_file(path, 0, NULL)) == NULL)
        return -1;
    *ok = pf_h_json_int(j, NULL, "ok");
    *failed = pf_h_json_int(j, NULL, "failed");
    json_decref(j);
    return *ok >= 0 && *failed >= 0 ? 0 : -1;
}
