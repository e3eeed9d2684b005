/* pf_harness_files: files in the test's temp dir: their paths, writing
 * them (text or any bytes, folders), reading them back (a whole file, the
 * pid in a pidfile). Public functions are documented in
 * pf_harness_files.h. */
#include "pf_harness_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_harness_internal.h"

/* Whole file as a NUL-terminated string (free it), or NULL. */
char *h_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 65536);
            if (nb == NULL)
                break;
            buf = nb;
            cap += 65536;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

int pf_h_path(char out[PATH_MAX], const struct pf_server *s, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", s->dir, name);

    if (n < 0 || n >= PATH_MAX) {
        pf_h_note("path %s/%s too long", s->dir, name);
        return -1;
    }
    return 0;
}

int pf_h_write_file(struct pf_server *s, const char *name, const char *body, char *path)
{
    char full[PATH_MAX];
    FILE *f;
    int rc;

    if (pf_h_path(full, s, name) < 0)
        return -1;
    f = fopen(full, "w");
    if (f == NULL) {
        pf_h_note("cannot write %s: %s", full, strerror(errno));
        return -1;
    }
    rc = fputs(body, f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    if (path != NULL)
        memcpy(path, full, sizeof(full));
    return rc;
}

char *pf_h_read(const struct pf_server *s, const char *name)
{
    char path[PATH_MAX];

    return pf_h_path(path, s, name) == 0 ? h_read_file(path) : NULL;
}

pid_t pf_h_read_pid(const struct pf_server *s, const char *name)
{
    char *text = pf_h_read(s, name);
    long pid = text ? strtol(text, NULL, 10) : 0;

    free(text);
    return (pid_t)pid;
}

int pf_h_mkdir(struct pf_server *s, const char *name)
{
    char full[PATH_MAX];

    if (pf_h_path(full, s, name) < 0)
        return -1;
    if (mkdir(full, 0755) < 0 && errno != EEXIST) {
        pf_h_note("mkdir %s: %s", full, strerror(errno));
        return -1;
    }
    return 0;
}

int pf_h_write_bytes(struct pf_server *s, const char *name, const void *buf, size_t len)
{
    char full[PATH_MAX];
    FILE *f;
    int rc;

    if (pf_h_path(full, s, name) < 0)
        return -1;
    f = fopen(full, "wb");
    if (f == NULL) {
        pf_h_note("cannot write %s: %s", full, strerror(errno));
        return -1;
    }
    rc = len > 0 && fwrite(buf, 1, len, f) != len ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}
