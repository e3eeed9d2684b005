/* pf_harness_cmd: programs run to completion (or beside the test) as
 * children of the test process, in the temp dir, with their outputs
 * captured in files: preforkd as a command, and other programs. Part of
 * pf_harness.h, which includes it. */
#ifndef PF_HARNESS_CMD_H
#define PF_HARNESS_CMD_H

#include "pf_harness.h"

struct pf_h_output {
    int status; /* waitpid status; -1 if it had to be killed */
    char *out;  /* everything on stdout (NUL-terminated, never NULL after run) */
    char *err;  /* everything on stderr */
};

/* True if a waitpid status says "exited with code". */
bool pf_h_exited_with(int status, int code);

/* Run `preforkd ARGS...` (NULL-terminated) to completion within
 * PF_H_WAIT_MS, in s->dir (relative paths name files there), stdout and
 * stderr captured in files of s->dir. 0 or -1. */
int pf_h_run(struct pf_server *s, struct pf_h_output *o, ...) __attribute__((sentinel));

void pf_h_output_free(struct pf_h_output *o);

/* Number of '\n'-terminated lines in text (a last unterminated one counts). */
int pf_h_count_lines(const char *text);

/* Run argv (argv[0] looked up in PATH) to completion within PF_H_WAIT_MS,
 * in s->dir, stdout and stderr captured like pf_h_run. 0 or -1. */
int pf_h_run_cmd(struct pf_server *s, struct pf_h_output *o, char *const argv[]);

/* Start argv (argv[0] looked up in PATH) in s->dir without waiting, its
 * stdout and stderr going to s->dir/NAME.out and NAME.err (a command that
 * runs beside others, e.g. a load generator). The pid, or -1. */
pid_t pf_h_spawn_cmd(struct pf_server *s, const char *name, char *const argv[]);

/* Wait up to timeout_ms for the command pf_h_spawn_cmd(s, name, ...)
 * started as pid (SIGKILL after), then capture its outputs. 0 or -1. */
int pf_h_finish_cmd(struct pf_server *s, const char *name, pid_t pid, int timeout_ms,
                    struct pf_h_output *o);

/* True if an executable called name is found in PATH. */
bool pf_h_have_program(const char *name);

#endif
