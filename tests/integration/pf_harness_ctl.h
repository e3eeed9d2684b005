/* pf_harness_ctl: preforkctl, the admin client, against the server under
 * test, as an operator would run it.
 *
 * The server's configuration must turn the control channel on with
 * control = { listen = "127.0.0.1:0"; token_file = "tok"; } (PF_H_CTL_CONF):
 * the address is read from the server's log ("control channel listening
 * on ADDR"), the token file is "tok" in the server's folder, where the
 * commands run. Like the harness's other helpers, these return an error
 * value and print why rather than asserting.
 */
#ifndef PF_HARNESS_CTL_H
#define PF_HARNESS_CTL_H

#include <jansson.h>

#include "pf_harness.h"

/* The control group the helpers below expect in the configuration. */
#define PF_H_CTL_CONF "control = { listen = \"127.0.0.1:0\"; token_file = \"tok\"; };\n"

/* Run `preforkctl -a ADDR -t tok ARGS...` (NULL-terminated, at most 8)
 * to completion in s->dir. 0 once it ran (whatever its exit status, in
 * o->status), -1 if it could not (no control address in the log...). */
int pf_h_ctl(struct pf_server *s, struct pf_h_output *o, ...) __attribute__((sentinel));

/* `preforkctl --json COMMAND` (one word) and its reply parsed: a JSON
 * object whose "ok" is true (json_decref it), or NULL (printed why). */
json_t *pf_h_ctl_json(struct pf_server *s, const char *command);

/* The integer j.group.key (j.key when group is NULL), or -1 when it is
 * missing or not an integer. */
long long pf_h_json_int(const json_t *j, const char *group, const char *key);

/* `status` and the integer group.key in its reply; -1 on any failure. */
long long pf_h_ctl_status_int(struct pf_server *s, const char *group, const char *key);

#endif
