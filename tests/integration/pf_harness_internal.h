/* pf_harness_internal: helpers that several parts of the harness share,
 * for the harness's own files only (the tests include pf_harness.h). Each
 * is documented where it is defined. */
#ifndef PF_HARNESS_INTERNAL_H
#define PF_HARNESS_INTERNAL_H

#include "pf_harness.h"

#define H_MAX_ARGS 32 /* most words of an argv the harness builds */

/* pf_harness.c */
void h_pause(void);

/* pf_harness_files.c */
char *h_read_file(const char *path);

/* pf_harness_log.c */
int h_count(const char *text, const char *needle);

/* pf_harness_cmd.c */
pid_t h_spawn(char *const argv[], const char *cwd, const char *out_path, const char *err_path);
int h_wait_child(pid_t pid, int timeout_ms, int *status);

/* pf_harness_proc.c */
int h_proc_stat(pid_t pid, char *state, pid_t *ppid);
int h_our_children(struct pf_server *s, pid_t *pids, int max);

#endif
