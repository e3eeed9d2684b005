/* pf_http_errpage: configured error pages, read once per worker (see
 * pf_http_errpage.h). */
#include "pf_http_errpage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read the whole regular file fd, at most PF_HTTP_ERROR_PAGE_FILE_MAX
 * bytes, into pg. 0, or -1 with the reason in why. A file that grows
 * while it is read is cut nowhere: one byte past the bound is an error. */
static int errpage_read(int fd, struct pf_http_errpage *pg, char *why, size_t whylen)
{
    struct stat st;
    size_t cap;
    ssize_t n;

    if (fstat(fd, &st) < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        return -1;
    }
    if (st.st_size > PF_HTTP_ERROR_PAGE_FILE_MAX) {
        snprintf(why, whylen, "more than %d bytes", PF_HTTP_ERROR_PAGE_FILE_MAX);
        return -1;
    }
    cap = (size_t)st.st_size + 1; /* the extra byte sees a file that grew */
    pg->body = malloc(cap);
    if (pg->body == NULL) {
        snprintf(why, whylen, "%s", strerror(ENOMEM));
        return -1;
    }
    while (pg->len < cap && (n = read(fd, pg->body + pg->len, cap - pg->len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "%s", strerror(errno));
            return -1;
        }
        pg->len += (size_t)n;
    }
    if (pg->len == cap) {
        snprintf(why, whylen, "grew while it was read");
        return -1;
    }
    return 0;
}

/* Open and read one page file. 0, or -1 with the reason in why. */
static int errpage_load_one(struct pf_http_errpage *pg, const char *file, char *why, size_t whylen)
{
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    int rc;

    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    rc = errpage_read(fd, pg, why, whylen);
    close(fd);
    return rc;
}

int pf_http_errpage_load(struct pf_http_errpages *p, const struct pf_config *cfg, char *err,
                         size_t errlen)
{
    int n = cfg->http.nerror_pages;

    memset(p, 0, sizeof(*p));
    for (int i = 0; i < n && i < PF_EXEC_LIST_MAX; i++) {
        const char *entry = pf_config_string_at(cfg->http.error_pages, n, i);
        struct pf_http_errpage *pg = &p->page[p->n++];
        const char *file;
        char why[256];

        pg->status = pf_config_error_page(entry, &file);
        if (pg->status < 0) {
            snprintf(err, errlen, "http.error_pages: entry %d is malformed", i + 1);
            pf_http_errpage_free(p);
            return -1;
        }
        if (errpage_load_one(pg, file, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "http.error_pages: %s: %s", file, why);
            pf_http_errpage_free(p);
            return -1;
        }
    }
    return 0;
}

const struct pf_http_errpage *pf_http_errpage_find(const struct pf_http_errpages *p, int status)
{
    for (int i = 0; i < p->n; i++)
        if (p->page[i].status == status)
            return &p->page[i];
    return NULL;
}

void pf_http_errpage_free(struct pf_http_errpages *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->page[i].body);
    memset(p, 0, sizeof(*p));
}
