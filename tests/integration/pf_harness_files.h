/* pf_harness_files: files in the test's temp dir (struct pf_server's
 * dir): paths, writing and reading them. Part of pf_harness.h, which
 * includes it. */
#ifndef PF_HARNESS_FILES_H
#define PF_HARNESS_FILES_H

#include "pf_harness.h"

/* out = s->dir/name (out has PATH_MAX bytes). 0, or -1 if too long. */
int pf_h_path(char out[PATH_MAX], const struct pf_server *s, const char *name);

/* Write body as dir/NAME; *path (PATH_MAX bytes, may be NULL) gets its path. */
int pf_h_write_file(struct pf_server *s, const char *name, const char *body, char *path);

/* Make the folder dir/name (mode 0755). 0 or -1. */
int pf_h_mkdir(struct pf_server *s, const char *name);

/* Write len bytes (any bytes, NULs included) as dir/NAME. 0 or -1. */
int pf_h_write_bytes(struct pf_server *s, const char *name, const void *buf, size_t len);

/* The whole file dir/name as a string (free it), or NULL. */
char *pf_h_read(const struct pf_server *s, const char *name);

/* The pid written in the file dir/name (a pidfile), or 0 when there is
 * no such file. */
pid_t pf_h_read_pid(const struct pf_server *s, const char *name);

#endif
