/* pf_harness_ctl: run preforkctl against the server under test. */
#include "pf_harness_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_LOG_LINE "control channel listening on "
#define CTL_MAX_ARGS 8

/* The control address from the server's log into addr. 0, or -1. */
static int ctl_addr(const struct pf_server *s, char *addr, size_t size)
{
    char *log = pf_h_log_read(s);
    const char *p = log ? strstr(log, CTL_LOG_LINE) : NULL;
    size_t n = p ? strcspn(p + strlen(CTL_LOG_LINE), " \r\n") : 0;
    int rc = -1;

    if (n > 0 && n < size) {
        memcpy(addr, p + strlen(CTL_LOG_LINE), n);
        addr[n] = '\0';
        rc = 0;
    } else {
        pf_h_note("no \"%s\" line in the log (is PF_H_CTL_CONF in the config?)", CTL_LOG_LINE);
    }
    free(log);
    return rc;
}

/* The address is read from the log at each call: cheap, and always the
 * server's current one. */
int pf_h_ctl(struct pf_server *s, struct pf_h_output *o, ...)
{
    char addr[PF_ADDR_STRLEN];
    char *argv[CTL_MAX_ARGS + 6] = {PF_CTL_BINARY, "-a", addr, "-t", "tok"};
    int n = 5;
    va_list ap;

    if (ctl_addr(s, addr, sizeof(addr)) < 0)
        return -1;
    va_start(ap, o);
    for (char *a; n < CTL_MAX_ARGS + 5 && (a = va_arg(ap, char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (pf_h_run_cmd(s, o, argv) < 0) {
        pf_h_note("preforkctl did not finish: %s", o->err ? o->err : "");
        pf_h_output_free(o);
        return -1;
    }
    return 0;
}

/* A reply that is not an ok JSON object is printed and gives NULL, so a
 * test asserts on one value. */
json_t *pf_h_ctl_json(struct pf_server *s, const char *command)
{
    struct pf_h_output o;
    json_error_t err;
    json_t *j;

    if (pf_h_ctl(s, &o, "--json", command, (char *)NULL) < 0)
        return NULL;
    j = json_loads(o.out, 0, &err);
    if (!json_is_object(j) || !json_is_true(json_object_get(j, "ok"))) {
        pf_h_note("preforkctl --json %s: status %#x, stdout %s, stderr %s", command,
                  (unsigned)o.status, o.out, o.err);
        json_decref(j);
        j = NULL;
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

/* One status per call: values read together come from one reply only
 * through pf_h_ctl_json. */
long long pf_h_ctl_status_int(struct pf_server *s, const char *group, const char *key)
{
    json_t *j = pf_h_ctl_json(s, "status");
    long long v = pf_h_json_int(j, group, key);

    json_decref(j);
    return v;
}
