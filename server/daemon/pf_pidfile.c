/* pf_pidfile: the master's pidfile, written atomically and locked (see
 * pf_pidfile.h for the rules this file follows). */
#include "pf_pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIDFILE_TRIES 8      /* rounds lost to racing creators before giving up */
#define PIDFILE_QUOTE_MAX 24 /* bytes of a pidfile that is no pid shown in a message */
#define PIDFILE_AGAIN 1      /* pidfile_try: the file changed under us, start over */

/* What is at a pidfile's path (pidfile_inspect). */
enum pidfile_state { PIDFILE_ERROR = -1, PIDFILE_NONE, PIDFILE_STALE, PIDFILE_RUNNING };

struct pidfile_seen {
    pid_t holder;  /* the process holding the lock (PIDFILE_RUNNING) */
    pid_t written; /* the pid written in the file, 0 if none or garbage */
    dev_t dev;     /* the file's identity */
    ino_t ino;
    /* when written is 0: what the file holds instead, for messages:
     * "empty", or its first bytes quoted, control bytes as \xNN */
    char text[4 * PIDFILE_QUOTE_MAX + 8];
};

/* "PATH: why" into err; -1 for the caller to return. */
static int pidfile_fail(const char *path, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
}

/* "PATH: what NAME: strerror(errno)" into err; -1. */
static int pidfile_fail_errno(const char *path, const char *what, const char *name, char *err,
                              size_t errlen)
{
    snprintf(err, errlen, "%s: %s%s%s: %s", path, what, name ? " " : "", name ? name : "",
             strerror(errno));
    return -1;
}

void pf_pidfile_init(struct pf_pidfile *pf)
{
    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
}

/* A write lock over the whole file, without waiting (F_SETLK): the
 * creator's lock and the claim on a stale file both use it. */
static int pidfile_lock(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};

    return fcntl(fd, F_SETLK, &fl);
}

/* The process holding a lock that would stop a write lock on the whole
 * file, or 0 when there is none (F_GETLK never reports this process's own
 * locks, hence pf_pidfile_probe is for other processes). -1 on error. */
static int pidfile_holder(int fd, pid_t *holder)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};

    if (fcntl(fd, F_GETLK, &fl) < 0)
        return -1;
    *holder = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
    return 0;
}

/* buf[0..n) of a file that holds no pid, for a message: "empty", or
 * "\"TEXT\"" (its final newline left out) with control and non-ASCII
 * bytes as \xNN and "..." when the file is longer (more is true). */
static void pidfile_quote(const char *buf, ssize_t n, bool more, char *out, size_t size)
{
    size_t len = 0;

    if (n > 0 && !more && buf[n - 1] == '\n')
        n--;
    if (n <= 0 && !more) {
        snprintf(out, size, "empty");
        return;
    }
    out[len++] = '"';
    for (ssize_t i = 0; i < n && len + 8 < size; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            len += (size_t)snprintf(out + len, size - len, "\\x%02x", ch);
        else
            out[len++] = (char)ch;
    }
    snprintf(out + len, size - len, "%s\"", more ? "..." : "");
}

/* The pid written in the file: decimal digits and an optional newline;
 * anything else (empty, garbage, a huge number) gives 0, since the lock
 * and not the text decides whether a master runs, and text then says what
 * the file holds instead. */
static pid_t pidfile_read_pid(int fd, char *text, size_t size)
{
    char buf[PIDFILE_QUOTE_MAX + 1];
    ssize_t n = pread(fd, buf, sizeof(buf), 0), digits = n;
    long long value = 0;
    ssize_t i;

    if (digits > 0 && buf[digits - 1] == '\n')
        digits--;
    for (i = 0; i < digits && digits <= 10 && buf[i] >= '0' && buf[i] <= '9'; i++)
        value = value * 10 + (buf[i] - '0');
    if (digits > 0 && i == digits && value > 0 && value <= 0x7fffffff)
        return (pid_t)value;
    pidfile_quote(buf, n > PIDFILE_QUOTE_MAX ? PIDFILE_QUOTE_MAX : n, n > PIDFILE_QUOTE_MAX, text,
                  size);
    return 0;
}

/* Open what is at path, never through a symbolic link (O_NOFOLLOW) and
 * never waiting (O_NONBLOCK: a FIFO planted there must not hang us), then
 * say whether a process holds its lock. The descriptor is closed before
 * returning: it is never one of our own pidfile (see pf_pidfile.h). */
static enum pidfile_state pidfile_inspect(const char *path, struct pidfile_seen *seen, char *err,
                                          size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    int rc = 0;

    memset(seen, 0, sizeof(*seen));
    if (fd < 0 && errno == ENOENT)
        return PIDFILE_NONE;
    if (fd < 0) {
        if (errno == ELOOP)
            pidfile_fail(path,
                         "is a symbolic link; a pidfile is never followed through one "
                         "(remove the link)",
                         err, errlen);
        else
            pidfile_fail_errno(path, "cannot open it", NULL, err, errlen);
        return PIDFILE_ERROR;
    }
    if (fstat(fd, &st) < 0)
        rc = pidfile_fail_errno(path, "cannot stat it", NULL, err, errlen);
    else if (!S_ISREG(st.st_mode))
        rc = pidfile_fail(path, "not a regular file", err, errlen);
    else if (pidfile_holder(fd, &seen->holder) < 0)
        rc = pidfile_fail_errno(path, "cannot test its lock", NULL, err, errlen);
    if (rc == 0) {
        seen->written = pidfile_read_pid(fd, seen->text, sizeof(seen->text));
        seen->dev = st.st_dev;
        seen->ino = st.st_ino;
    }
    close(fd);
    if (rc < 0)
        return PIDFILE_ERROR;
    return seen->holder != 0 ? PIDFILE_RUNNING : PIDFILE_STALE;
}

/* Does path name the file dev/ino (lstat: the link itself, not a target)? */
static int pidfile_same(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;

    return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* The temporary file tmp (created, never an existing one) holding "PID\n",
 * mode 0644 whatever the umask (init scripts read it), and locked. The
 * descriptor, or -1 with the temporary removed. */
static int pidfile_temp(const char *path, const char *tmp, pid_t pid, char *err, size_t errlen)
{
    char text[24];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)pid);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    ssize_t n;

    if (fd < 0)
        return pidfile_fail_errno(path, "cannot create the temporary file", tmp, err, errlen);
    if (fchmod(fd, 0644) < 0) {
        pidfile_fail_errno(path, "cannot chmod the temporary file", tmp, err, errlen);
    } else if ((n = write(fd, text, (size_t)len)) != len) {
        if (n >= 0)
            errno = ENOSPC;
        pidfile_fail_errno(path, "cannot write the pid to", tmp, err, errlen);
    } else if (pidfile_lock(fd) < 0) {
        pidfile_fail_errno(path, "cannot lock the temporary file", tmp, err, errlen);
    } else {
        return fd;
    }
    close(fd);
    unlink(tmp);
    return -1;
}

/* Before replacing a stale file, lock it ourselves: two masters starting
 * at once both find it stale, but only one gets its lock, and the other
 * starts over and finds that one running. The lock is taken, then path is
 * checked to still name the stale file (the winner only lets go of it
 * once its own file is in place). Returns the descriptor (to close once
 * the replacement is in place); -2: the file changed or another process
 * claimed it, start over; -1: no claim possible (a file we may not write,
 * no locks there), replace it anyway, the check after the rename stays. */
static int pidfile_claim(const char *path, const struct pidfile_seen *seen)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

    if (fd < 0)
        return errno == ENOENT || errno == ELOOP ? -2 : -1;
    if (pidfile_lock(fd) < 0) {
        int raced = errno == EAGAIN || errno == EACCES;

        close(fd);
        return raced ? -2 : -1;
    }
    if (!pidfile_same(path, seen->dev, seen->ino)) {
        close(fd);
        return -2;
    }
    return fd;
}

/* Put the locked temporary in place: link() when there is no file (EEXIST:
 * someone was faster, start over), rename() over a stale one. The
 * temporary is gone afterwards, whatever happened. 0, PIDFILE_AGAIN or -1. */
static int pidfile_place(const char *path, const char *tmp, enum pidfile_state state, char *err,
                         size_t errlen)
{
    if (state == PIDFILE_NONE) {
        int rc = link(tmp, path) < 0 ? -1 : 0;
        int saved = errno;

        unlink(tmp);
        if (rc == 0)
            return 0;
        if (saved == EEXIST)
            return PIDFILE_AGAIN;
        errno = saved;
        return pidfile_fail_errno(path, "cannot link the temporary file", tmp, err, errlen);
    }
    if (rename(tmp, path) == 0)
        return 0;
    pidfile_fail_errno(path, "cannot rename the temporary file", tmp, err, errlen);
    unlink(tmp);
    return -1;
}

/* One round of pf_pidfile_create: look at path, claim a stale file, write
 * and place the temporary, check that path names it. 0 (pf filled),
 * PIDFILE_AGAIN (the file changed under us) or -1. */
static int pidfile_try(struct pf_pidfile *pf, const char *path, const char *tmp, pid_t pid,
                       pid_t *stale, char *err, size_t errlen)
{
    struct pidfile_seen seen;
    enum pidfile_state state = pidfile_inspect(path, &seen, err, errlen);
    struct stat st;
    int claim = -1, fd, rc;

    if (state == PIDFILE_ERROR)
        return -1;
    if (state == PIDFILE_RUNNING) {
        snprintf(err, errlen, "%s: preforkd is already running as pid %ld", path,
                 (long)seen.holder);
        return -1;
    }
    if (state == PIDFILE_STALE && (claim = pidfile_claim(path, &seen)) == -2)
        return PIDFILE_AGAIN;
    fd = pidfile_temp(path, tmp, pid, err, errlen);
    rc = fd < 0 ? -1 : pidfile_place(path, tmp, state, err, errlen);
    if (claim >= 0)
        close(claim); /* the stale file's inode, not ours: our lock stays */
    if (rc != 0) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (fstat(fd, &st) < 0 || !pidfile_same(path, st.st_dev, st.st_ino)) {
        close(fd);
        return pidfile_fail(path,
                            "replaced by another process while being created "
                            "(another preforkd starting at the same time?)",
                            err, errlen);
    }
    if (stale && state == PIDFILE_STALE)
        *stale = seen.written;
    pf->fd = fd;
    pf->dev = st.st_dev;
    pf->ino = st.st_ino;
    return 0;
}

int pf_pidfile_create(struct pf_pidfile *pf, const char *path, pid_t pid, pid_t *stale, char *err,
                      size_t errlen)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)pid);

    pf_pidfile_init(pf);
    if (stale)
        *stale = 0;
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return pidfile_fail(path, "path too long", err, errlen);
    for (int i = 0; i < PIDFILE_TRIES; i++) {
        int rc = pidfile_try(pf, path, tmp, pid, stale, err, errlen);

        if (rc == 0)
            memcpy(pf->path, path, strlen(path) + 1);
        if (rc != PIDFILE_AGAIN)
            return rc;
    }
    return pidfile_fail(path,
                        "kept changing while being created (other processes writing "
                        "it?); giving up",
                        err, errlen);
}

/* Before renaming onto newpath: refuse to replace a live master's pidfile
 * (binary upgrade: a new master that is still running keeps PATH). A
 * stale file or none is fine; rename() replaces it atomically. */
static int pidfile_rename_target(const struct pf_pidfile *pf, const char *newpath, char *err,
                                 size_t errlen)
{
    struct pidfile_seen seen;

    if (pidfile_same(newpath, pf->dev, pf->ino))
        return 0; /* never open our own file: that would drop our lock */
    switch (pidfile_inspect(newpath, &seen, err, errlen)) {
    case PIDFILE_ERROR: return -1;
    case PIDFILE_RUNNING:
        snprintf(err, errlen, "%s: preforkd is already running as pid %ld", newpath,
                 (long)seen.holder);
        return -1;
    default: return 0;
    }
}

int pf_pidfile_rename(struct pf_pidfile *pf, const char *newpath, char *err, size_t errlen)
{
    size_t len = strlen(newpath);

    if (pf->fd < 0)
        return pidfile_fail(newpath, "cannot rename the pidfile to it: there is none", err, errlen);
    if (len >= sizeof(pf->path))
        return pidfile_fail(newpath, "path too long", err, errlen);
    if (!pidfile_same(pf->path, pf->dev, pf->ino))
        return pidfile_fail(pf->path,
                            "no longer our pidfile (removed or replaced); not "
                            "renaming it",
                            err, errlen);
    if (pidfile_rename_target(pf, newpath, err, errlen) < 0)
        return -1;
    if (rename(pf->path, newpath) < 0) {
        snprintf(err, errlen, "%s: cannot rename it to %s: %s", pf->path, newpath, strerror(errno));
        return -1;
    }
    memcpy(pf->path, newpath, len + 1);
    return 0;
}

/* Unlink first, close after: while we unlink, the file is still locked,
 * so a master starting meanwhile sees us running rather than a stale file
 * it would replace and we would then remove. */
void pf_pidfile_remove(struct pf_pidfile *pf)
{
    if (pf->fd < 0)
        return;
    if (pidfile_same(pf->path, pf->dev, pf->ino))
        unlink(pf->path);
    close(pf->fd);
    pf->fd = -1;
}

/* fork() gives a child no fcntl lock, so closing its copy of the
 * descriptor leaves the master's lock alone. */
void pf_pidfile_forget(struct pf_pidfile *pf)
{
    if (pf->fd >= 0)
        close(pf->fd);
    pf->fd = -1;
}

int pf_pidfile_probe(const char *path, pid_t *pid, char *err, size_t errlen)
{
    struct pidfile_seen seen;
    enum pidfile_state state = pidfile_inspect(path, &seen, err, errlen);

    *pid = state == PIDFILE_RUNNING ? seen.holder : seen.written;
    if (state == PIDFILE_NONE)
        snprintf(err, errlen, "%s: no such file: preforkd is not running", path);
    else if (state == PIDFILE_STALE && seen.written == 0)
        snprintf(err, errlen,
                 "%s: holds no pid (%s): preforkd is not running (no process holds its "
                 "lock)",
                 path, seen.text);
    else if (state == PIDFILE_STALE)
        snprintf(err, errlen,
                 "%s: stale pidfile: pid %ld is not running (no process holds "
                 "its lock)",
                 path, (long)seen.written);
    if (state == PIDFILE_ERROR)
        return -1;
    return state == PIDFILE_RUNNING ? 1 : 0;
}
