/* pf_harness_internal: helpers that several parts of the harness share,
 * for the harness's own files only (the tests include pf_harness.h). Each
 * is documented where it is defined. */
#ifndef PF_HARNESS_INTERNAL_H
#define PF_HARNESS_INTERNAL_H

#include "pf_harness.h"

/* pf_harness.c */
void h_pause(void);

/* pf_harness_files.c */
char *h_read_file(const char *path);

/* pf_harness_log.c */
int h_count(const char *text, const char *needle);

#endif
