/* ctl_reload: wait for a reload's roll-over and say how it ended. */
#include "ctl_reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_common.h"
#include "ctl_format.h"
#include "pf_time.h"

#define RELOAD_POLL_MS 100

/* o.key as an integer, or -1 when missing. */
static long long reload_int(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

enum ctl_reload_verdict ctl_reload_judge(const json_t *status, long long generation, char *msg,
                                         size_t msglen)
{
    const json_t *last = json_object_get(status, "last_reload");
    const char *state = json_string_value(json_object_get(last, "state"));
    const char *why = json_string_value(json_object_get(last, "reason"));
    long long gen = reload_int(last, "generation");
    long long now = reload_int(status, "generation");
    char reason[512];

    ctl_fmt_safe(why ? why : "no reason given", reason, sizeof(reason));
    if (state == NULL || gen < 0) {
        snprintf(msg, msglen, "the server does not report how its reloads end");
        return CTL_RELOAD_UNKNOWN;
    }
    if (gen != generation) {
        snprintf(msg, msglen,
                 "generation %lld was followed by generation %lld before its workers were all "
                 "ready",
                 generation, gen > now ? gen : now);
        return CTL_RELOAD_SUPERSEDED;
    }
    if (strcmp(state, "serving") == 0) {
        snprintf(msg, msglen, "generation %lld is serving", generation);
        return CTL_RELOAD_SERVING;
    }
    if (strcmp(state, "rolled_back") == 0) {
        snprintf(msg, msglen,
                 "reload rolled back: %lld of generation %lld's workers failed to start and none "
                 "became ready (last: %s); generation %lld runs the previous configuration",
                 reload_int(last, "failed_starts"), generation, reason,
                 reload_int(last, "serving_generation"));
        return CTL_RELOAD_ROLLED_BACK;
    }
    if (now > generation) { /* a roll without a reload (a log reopen) */
        snprintf(msg, msglen, "generation %lld was followed by generation %lld", generation, now);
        return CTL_RELOAD_SUPERSEDED;
    }
    msg[0] = '\0';
    return CTL_RELOAD_WAIT;
}

/* Print the verdict: its line, or with json the reply with status's
 * last_reload added, on one line. */
static void reload_print(json_t *reply, const json_t *status, const char *msg, bool json)
{
    json_t *last = json_object_get(status, "last_reload");
    char *text;

    if (!json) {
        printf("%s\n", msg);
        return;
    }
    json_object_set(reply, "last_reload", last ? last : json_null());
    text = json_dumps(reply, JSON_COMPACT);
    printf("%s\n", text ? text : "{\"ok\":false,\"error\":\"out of memory\"}");
    free(text);
}

int ctl_reload_wait(struct ctl_conn *c, json_t *reply, bool json, int wait_ms, char *err,
                    size_t errlen)
{
    long long gen = reload_int(reply, "generation");
    int64_t until = pf_time_now_ms() + wait_ms;
    char msg[1024];

    for (;;) {
        const char *text;
        json_t *st;
        int rc = ctl_conn_request(c, "status", &text, &st, err, errlen);
        enum ctl_reload_verdict v;

        if (rc != CTL_EXIT_OK)
            return rc;
        v = ctl_reload_judge(st, gen, msg, sizeof(msg));
        if (v != CTL_RELOAD_WAIT)
            reload_print(reply, st, msg, json);
        json_decref(st);
        if (v == CTL_RELOAD_ROLLED_BACK) {
            snprintf(err, errlen, "the reload to generation %lld was rolled back", gen);
            return CTL_EXIT_FAILED;
        }
        if (v != CTL_RELOAD_WAIT)
            return CTL_EXIT_OK;
        if (pf_time_now_ms() >= until) {
            if (json)
                reload_print(reply, NULL, msg, json);
            snprintf(err, errlen,
                     "generation %lld's workers are still starting after %d s (--wait); "
                     "preforkctl status tells how the reload ends",
                     gen, wait_ms / 1000);
            return CTL_EXIT_FAILED;
        }
        nanosleep(&(struct timespec){.tv_nsec = RELOAD_POLL_MS * 1000000L}, NULL);
    }
}
