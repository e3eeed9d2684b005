/* pf_harness_ctl: preforkctl against the server under test, as an
 * administrator runs it, for tests that assert what `preforkctl status`
 * or `preforkctl workers` shows.
 *
 * The server's configuration must hold PF_H_CTL_CONFIG (the control
 * channel on a loopback port chosen by the kernel, the token in the test's
 * folder); the address is read from the master's log line "control
 * channel listening on ADDR". Like the other client helpers these return
 * NULL or -1 and print why instead of asserting.
 */
#ifndef PF_HARNESS_CTL_H
#define PF_HARNESS_CTL_H

#include <jansson.h>

#include "pf_harness.h"

/* The control group to put in pf_h_config.extra. */
#define PF_H_CTL_CONFIG "control = { listen = \"127.0.0.1:0\"; token_file = \"ctl.token\"; };\n"

/* Run `preforkctl -a ADDR -t ctl.token [--json] WORDS...` (NULL-terminated,
 * at most 4 words) to completion in s->dir; o as pf_h_run_cmd fills it
 * (free it with pf_h_output_free). 0 or -1. */
int pf_h_ctl_run(struct pf_server *s, struct pf_h_output *o, bool json, ...)
    __attribute__((sentinel));

/* `preforkctl --json COMMAND [ARG]`: the reply object when the command
 * succeeded ("ok": true; json_decref it), else NULL. */
json_t *pf_h_ctl_json(struct pf_server *s, const char *command, const char *arg);

/* The integer j.group.key (j.key when group is NULL), or -1 when it is
 * missing or not an integer. */
long long pf_h_json_int(const json_t *j, const char *group, const char *key);

/* The integer at a dotted path of `preforkctl --json status`
 * ("totals.hung_killed", "workers.total"), or -1. */
long long pf_h_ctl_status_int(struct pf_server *s, const char *path);

/* ---- load ---- */

/* Start preforkbench on the server: GET path from 8 connections (a new
 * connection per request with close_mode) for up to 15 s, its summary
 * to s->dir/bench.json. The pid, or -1. */
pid_t pf_h_bench_start(struct pf_server *s, const char *path, bool close_mode);

/* End that run (SIGINT: it stops and reports; it must still be running,
 * having lasted through whatever the test did) and read its counts of
 * requests ok and failed. 0, or -1 (said why). */
int pf_h_bench_finish(struct pf_server *s, pid_t pid, long long *ok, long long *failed);

#endif
