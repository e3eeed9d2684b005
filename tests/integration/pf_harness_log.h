/* pf_harness_log: the daemon's log (its stdout and stderr, s->log_path),
 * read while it runs: the tests wait for lines in it instead of sleeping.
 * Part of pf_harness.h, which includes it. */
#ifndef PF_HARNESS_LOG_H
#define PF_HARNESS_LOG_H

#include "pf_harness.h"

/* The whole log as a string (free it), or NULL. */
char *pf_h_log_read(const struct pf_server *s);

/* Occurrences of needle in the log. */
int pf_h_log_count(const struct pf_server *s, const char *needle);

bool pf_h_log_contains(const struct pf_server *s, const char *needle);

/* Wait until the log holds needle at least n times. 0 or -1. */
int pf_h_wait_log_count(const struct pf_server *s, const char *needle, int n, int timeout_ms);

int pf_h_wait_log(const struct pf_server *s, const char *needle, int timeout_ms);

/* The word (up to a blank or the line's end) after the first, or with
 * last the last, occurrence of needle in the log, into out (size bytes).
 * 0, or -1 when there is none yet. */
int pf_h_log_word_after(const struct pf_server *s, const char *needle, bool last, char *out,
                        size_t size);

/* Log lines saying a worker ended abnormally: "killed by signal" or
 * "exited with status N" with N != 0. */
int pf_h_log_abnormal_exits(const struct pf_server *s);

/* Print the last nlines lines of the log on stderr (for failures). */
void pf_h_log_dump(const struct pf_server *s, int nlines);

#endif
