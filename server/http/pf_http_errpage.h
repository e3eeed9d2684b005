/* pf_http_errpage: the pages that replace the built-in error page of a
 * status (http.error_pages, docs/http.md "Error pages").
 *
 * Each worker reads the configured files once, when it starts (before it
 * drops privileges or enters a chroot), and keeps them in memory: a
 * request never touches the file system for an error page, and a page
 * edited on disk is served by the workers a reload starts. */
#ifndef PF_HTTP_ERRPAGE_H
#define PF_HTTP_ERRPAGE_H

#include <stddef.h>

#include "pf_config.h"

struct pf_http_errpage {
    int status;
    char *body; /* the file's bytes (malloc'd) */
    size_t len;
};

struct pf_http_errpages {
    int n;
    struct pf_http_errpage page[PF_EXEC_LIST_MAX];
};

/* Read every page of cfg->http.error_pages into p. 0, or -1 with
 * "http.error_pages: FILE: REASON" in err (a file gone, unreadable, no
 * longer a regular file or grown past PF_HTTP_ERROR_PAGE_FILE_MAX since
 * the configuration was loaded); p is then empty. */
int pf_http_errpage_load(struct pf_http_errpages *p, const struct pf_config *cfg, char *err,
                         size_t errlen);

/* The page configured for status, or NULL (the built-in one applies). */
const struct pf_http_errpage *pf_http_errpage_find(const struct pf_http_errpages *p, int status);

/* Free what pf_http_errpage_load read; p is empty after (and may be freed
 * again, as may a zeroed one). */
void pf_http_errpage_free(struct pf_http_errpages *p);

#endif
