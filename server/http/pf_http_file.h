/* pf_http_file: files under the document root, opened safely and cached.
 *
 * Every open goes through openat2(root, name, RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS): the kernel refuses any resolution that leaves
 * the root, whether by "..", an absolute symlink or a relative one
 * climbing out. That, not a string check, is what keeps clients inside.
 *
 * Each worker keeps a small cache of open files (http.open_file_cache
 * entries, least recently used evicted) with what a response needs ready:
 * size, validators, Content-Type, the constant part of the head, and for
 * small files the content itself, so a cached small file costs one send.
 * Validation rule: an entry is trusted for http.open_file_cache_valid
 * after it was opened; then it is dropped and the name resolved again. A
 * file replaced (rename over it, or edited in place) is therefore served
 * in its old form for at most that long.
 */
#ifndef PF_HTTP_FILE_H
#define PF_HTTP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "pf_http_cond.h"

/* Files up to this size are kept in memory with their entry. */
#define PF_HTTP_SMALL_FILE 16384
/* Longest name (relative to the root) an entry can hold. */
#define PF_HTTP_NAME_MAX 1024

struct pf_http_file {
    char key[PF_HTTP_NAME_MAX + 2]; /* name as asked ("about/" for a directory) */
    int fd;                         /* -1: entry unused */
    off_t size;
    time_t mtime;
    char etag[PF_HTTP_ETAG_MAX];
    char last_modified[PF_HTTP_DATE_LEN + 1];
    char head_tail[512]; /* Content-Type, Last-Modified, ETag, Accept-Ranges lines */
    size_t head_tail_len;
    unsigned char *body; /* whole content when size <= PF_HTTP_SMALL_FILE */
    int64_t opened_ms;
    uint64_t used;
};

struct pf_http_files {
    int root_fd;
    char index[256];
    /* cap slots (one scratch slot when cap is 0); an entry is allocated
     * when a slot is first filled, so a worker's memory grows with the
     * files it really serves, not with the cache's capacity. */
    struct pf_http_file **slots;
    int cap;
    int valid_ms;
    uint64_t tick;
    int open_errno; /* errno of the last open that failed (a 403's EACCES
                       for the error log), 0 after one that worked */
};

/* Open the root (a directory) and allocate the cache. 0, or -1 with
 * "http.root PATH: REASON" in err. */
int pf_http_file_init(struct pf_http_files *f, const char *root, const char *index, int cap,
                      int valid_ms, char *err, size_t errlen);
void pf_http_file_free(struct pf_http_files *f);

/* The file for a normalised name (pf_http_path_normalize's output; "" is
 * the root). A directory asked with a trailing slash yields its index
 * file. Returns 0 with *out (owned by the cache, valid until the next
 * call), or the status to answer: 301 (a directory asked without the
 * slash), 403 (outside the root, unreadable, not a regular file), 404,
 * 500, 503 (out of file descriptors). */
int pf_http_file_get(struct pf_http_files *f, const char *name, bool dir_slash,
                     const struct pf_http_file **out);

#endif
