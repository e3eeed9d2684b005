/* pf_http_file: openat2 beneath the root, and the per-worker file cache. */
#include "pf_http_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pf_http_mime.h"
#include "pf_http_response.h"
#include "pf_log.h"
#include "pf_time.h"

/* Open one component below dirfd, refusing to follow a symbolic link.
 * With O_DIRECTORY the kernel reports a link as ENOTDIR; say ELOOP, so a
 * link is a refusal (403) wherever it stands in the name. */
static int file_open_component(int dirfd, const char *comp, int flags)
{
    struct stat st;
    int fd = openat(dirfd, comp, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

    if (fd < 0 && errno == ENOTDIR && fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        errno = ELOOP;
    return fd;
}

/* Where openat2 is missing (kernels before 5.6, valgrind): walk the name
 * one component at a time with O_NOFOLLOW. The name is already normalised
 * (no "." or ".." segments), so the walk can only descend; symbolic links
 * are refused altogether (ELOOP, answered 403), stricter than openat2's
 * "links that stay inside the root". */
static int file_open_walk(int rootfd, const char *name, int flags)
{
    char comp[256];
    int dirfd = rootfd;

    for (;;) {
        const char *slash = strchr(name, '/');
        size_t len = slash ? (size_t)(slash - name) : strlen(name);
        int fd;

        if (len >= sizeof(comp)) {
            errno = ENAMETOOLONG;
            fd = -1;
        } else {
            memcpy(comp, name, len);
            comp[len] = '\0';
            fd = file_open_component(dirfd, comp, slash ? O_RDONLY | O_DIRECTORY : flags);
        }
        if (dirfd != rootfd) {
            int e = errno;
            close(dirfd);
            errno = e;
        }
        if (fd < 0 || !slash)
            return fd;
        dirfd = fd;
        name = slash + 1;
    }
}

/* Open name strictly beneath dirfd. openat2 has no glibc wrapper in
 * Debian 12's glibc 2.36; if the kernel lacks it, fall back to the walk
 * (remembered, so the failing call is made once). */
static int file_openat2(int dirfd, const char *name, int flags)
{
    static bool no_openat2;
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd;

    if (!no_openat2) {
        fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0 || errno != ENOSYS)
            return fd;
        no_openat2 = true;
        pf_log_warn("openat2 is not available: symbolic links under http.root are refused");
    }
    return strcmp(name, ".") == 0 ? openat(dirfd, ".", flags | O_CLOEXEC)
                                  : file_open_walk(dirfd, name, flags);
}

/* Slots in the cache: cap, or the one scratch slot of a disabled cache. */
static int files_nslots(const struct pf_http_files *f)
{
    return f->cap > 0 ? f->cap : 1;
}

int pf_http_file_init(struct pf_http_files *f, const char *root, const char *index, int cap,
                      int valid_ms, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f->root_fd < 0) {
        snprintf(err, errlen, "http.root %s: %s", root, strerror(errno));
        return -1;
    }
    snprintf(f->index, sizeof(f->index), "%s", index);
    f->cap = cap;
    f->valid_ms = valid_ms;
    f->slots = calloc(files_nslots(f), sizeof(*f->slots));
    if (f->slots == NULL) {
        snprintf(err, errlen, "http file cache: %s", strerror(ENOMEM));
        close(f->root_fd);
        return -1;
    }
    return 0;
}

static void file_drop(struct pf_http_file *e)
{
    if (e->fd >= 0)
        close(e->fd);
    free(e->body);
    e->body = NULL;
    e->fd = -1;
    e->key[0] = '\0';
}

void pf_http_file_free(struct pf_http_files *f)
{
    for (int i = 0; i < files_nslots(f) && f->slots; i++) {
        if (f->slots[i]) {
            file_drop(f->slots[i]);
            free(f->slots[i]);
        }
    }
    free(f->slots);
    f->slots = NULL;
    if (f->root_fd >= 0)
        close(f->root_fd);
    f->root_fd = -1;
}

/* What an open failure means to the client. Leaving the root (EXDEV from
 * RESOLVE_BENEATH) and symlink games (ELOOP) are refusals, not absences. */
static int file_errno_status(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG: return 404;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
    case ENXIO: /* a socket file */
    case ENODEV: return 403;
    case EMFILE:
    case ENFILE: return 503;
    default: return 500;
    }
}

/* The constant lines of every response for this file, built once. */
static void file_build_tail(struct pf_http_file *e, const char *name)
{
    struct pf_http_response b;

    pf_http_response_init(&b, e->head_tail, sizeof(e->head_tail));
    pf_http_response_str(&b, "Content-Type: ");
    pf_http_response_str(&b, pf_http_mime_type(name));
    pf_http_response_str(&b, "\r\nLast-Modified: ");
    pf_http_response_str(&b, e->last_modified);
    pf_http_response_str(&b, "\r\nETag: ");
    pf_http_response_str(&b, e->etag);
    pf_http_response_str(&b, "\r\nAccept-Ranges: bytes\r\n");
    e->head_tail_len = b.overflow ? 0 : b.len;
}

/* Keep a small file's content with its entry (one pread, now, instead of
 * one per request). A short read means the file changed under us: 500. */
static int file_load_body(struct pf_http_file *e)
{
    ssize_t n;

    if (e->size > PF_HTTP_SMALL_FILE)
        return 0;
    e->body = malloc(e->size > 0 ? (size_t)e->size : 1);
    if (e->body == NULL)
        return 500;
    n = pread(e->fd, e->body, (size_t)e->size, 0);
    return n == e->size ? 0 : 500;
}

/* Fill e from an open regular file: validators, head tail, small body. */
static int file_fill(struct pf_http_file *e, int fd, const struct stat *st, const char *name)
{
    e->fd = fd;
    e->size = st->st_size;
    e->mtime = st->st_mtim.tv_sec;
    pf_http_cond_etag(e->etag, sizeof(e->etag), st->st_size, &st->st_mtim);
    pf_http_cond_date_format(e->mtime, e->last_modified);
    file_build_tail(e, name);
    e->opened_ms = pf_time_now_ms();
    return file_load_body(e);
}

/* Open name beneath the root and fstat it: an fd, or -status. */
static int file_open_stat(struct pf_http_files *f, const char *name, struct stat *st)
{
    int fd = file_openat2(f->root_fd, name[0] ? name : ".", O_RDONLY | O_NONBLOCK);

    f->open_errno = fd < 0 ? errno : 0;
    if (fd < 0)
        return -file_errno_status(errno);
    if (fstat(fd, st) < 0) {
        close(fd);
        return -500;
    }
    return fd;
}

/* Only regular files are served (O_NONBLOCK above keeps a FIFO from
 * blocking the open); and a file nobody may read is not published, even
 * by a worker that could read it (running as root). */
static int file_check_regular(int fd, const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || (st->st_mode & 0444) == 0) {
        close(fd);
        return -403;
    }
    return fd;
}

/* Open name beneath the root; a directory asked with a slash becomes its
 * index file (whose name goes to final, for its Content-Type). Returns the
 * fd of a readable regular file, or -status. */
static int file_resolve(struct pf_http_files *f, const char *name, bool dir_slash, struct stat *st,
                        char *final, size_t size)
{
    int fd = file_open_stat(f, name, st);

    if (fd >= 0 && !S_ISDIR(st->st_mode) && dir_slash) {
        close(fd); /* "/notes.txt/": a file is not a directory */
        return -404;
    }
    if (fd < 0 || !S_ISDIR(st->st_mode)) {
        snprintf(final, size, "%s", name);
        return fd < 0 ? fd : file_check_regular(fd, st);
    }
    close(fd);
    if (!dir_slash)
        return -301;
    if ((size_t)snprintf(final, size, "%s%s%s", name, name[0] ? "/" : "", f->index) >= size)
        return -404;
    fd = file_open_stat(f, final, st);
    return fd < 0 ? fd : file_check_regular(fd, st);
}

/* A cached entry for key still within its validity, or NULL (an expired
 * one is dropped so the name is resolved afresh). */
static struct pf_http_file *file_lookup(struct pf_http_files *f, const char *key)
{
    int64_t now = pf_time_now_ms();

    for (int i = 0; i < f->cap; i++) {
        struct pf_http_file *e = f->slots[i];

        if (e == NULL || e->fd < 0 || strcmp(e->key, key) != 0)
            continue;
        if (now - e->opened_ms >= f->valid_ms) {
            file_drop(e);
            return NULL;
        }
        e->used = ++f->tick;
        return e;
    }
    return NULL;
}

/* The entry to fill next: a free one (allocated on first use), else the
 * least recently used. NULL when out of memory. */
static struct pf_http_file *file_victim(struct pf_http_files *f)
{
    struct pf_http_file **v = &f->slots[0];

    for (int i = 0; i < files_nslots(f); i++) {
        struct pf_http_file **s = &f->slots[i];

        if (*s == NULL || (*s)->fd < 0) {
            v = s;
            break;
        }
        if ((*s)->used < (*v)->used)
            v = s;
    }
    if (*v == NULL) {
        *v = malloc(sizeof(**v));
        if (*v == NULL)
            return NULL;
        (*v)->key[0] = '\0'; /* the rest is set by file_fill */
        (*v)->fd = -1;
        (*v)->body = NULL;
    }
    file_drop(*v);
    return *v;
}

int pf_http_file_get(struct pf_http_files *f, const char *name, bool dir_slash,
                     const struct pf_http_file **out)
{
    char key[PF_HTTP_NAME_MAX + 2], final[PF_HTTP_NAME_MAX + 256];
    struct pf_http_file *e;
    struct stat st;
    int fd, status;

    if ((size_t)snprintf(key, sizeof(key), "%s%s", name, dir_slash ? "/" : "") >= sizeof(key))
        return 404;
    e = file_lookup(f, key);
    if (e) {
        *out = e;
        return 0;
    }
    fd = file_resolve(f, name, dir_slash, &st, final, sizeof(final));
    if (fd < 0)
        return -fd;
    e = file_victim(f);
    if (e == NULL) {
        close(fd);
        return 500;
    }
    status = file_fill(e, fd, &st, final);
    if (status != 0) {
        file_drop(e);
        return status;
    }
    memcpy(e->key, key, strlen(key) + 1);
    e->used = ++f->tick;
    *out = e;
    return 0;
}
