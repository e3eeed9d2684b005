/* pf_pidfile: the master's pidfile, the way init scripts and preforkd -s
 * find the running master.
 *
 * The lock says whether a master runs, not the content: the master holds
 * an fcntl write lock on the file for as long as it lives, and the kernel
 * drops it when the master dies, however it dies. A file nobody locks is
 * stale (a master killed with SIGKILL) and is replaced at the next start.
 *
 *  - Written atomically: the pid goes into a temporary file in the same
 *    folder, which is locked, then linked (no file yet) or renamed (stale
 *    file) into place, so a reader never sees an empty or half-written
 *    pidfile. Before replacing a stale file the creator locks it too, so
 *    of two masters starting at once only one replaces it; the other
 *    finds it running.
 *  - Never through a symbolic link: O_NOFOLLOW on the last component, and
 *    O_EXCL for the temporary (a symlink planted at the pidfile's path by
 *    someone who can write the folder is refused, not followed).
 *  - fcntl locks belong to the process (fork does not pass them on, so a
 *    worker never holds it) and are dropped when that process closes ANY
 *    descriptor of the file: the master must never open its own pidfile
 *    again (pf_pidfile_probe is for other processes).
 *  - The descriptor is O_CLOEXEC: a binary upgrade's new master does not
 *    inherit it; it makes its own pidfile once the old one is renamed.
 */
#ifndef PF_PIDFILE_H
#define PF_PIDFILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct pf_pidfile {
    int fd;              /* locked descriptor; -1: no pidfile */
    char path[PATH_MAX]; /* where it is now (after pf_pidfile_rename too) */
    dev_t dev;           /* its identity, to never remove someone else's */
    ino_t ino;
};

/* A pidfile that is not there (fd -1), for a master without one. */
void pf_pidfile_init(struct pf_pidfile *pf);

/* Create path holding pid, locked. Refuses, with the reason in err, when
 * another process holds the lock ("PATH: preforkd is already running as
 * pid N"), when path is a symbolic link or not a regular file, or on any
 * I/O error (the folder missing, no permission: "PATH: REASON"). A stale
 * file is replaced; its pid goes to *stale (0 when there was none) so the
 * caller can log it. 0 or -1. */
int pf_pidfile_create(struct pf_pidfile *pf, const char *path, pid_t pid, pid_t *stale, char *err,
                      size_t errlen);

/* Rename the pidfile to newpath, keeping the lock (it follows the file).
 * Binary upgrade: PATH -> PATH.oldbin, and back if the new master fails.
 * Refuses when the file at pf->path is no longer ours, or when newpath
 * is the pidfile of a running master. 0 or -1. */
int pf_pidfile_rename(struct pf_pidfile *pf, const char *newpath, char *err, size_t errlen);

/* At exit: unlink the file if pf->path still names our file (never one a
 * newer master wrote there), then close (dropping the lock). Safe on an
 * fd of -1. */
void pf_pidfile_remove(struct pf_pidfile *pf);

/* In a new worker (or before exec): close the descriptor, leaving the
 * file and the master's lock alone. */
void pf_pidfile_forget(struct pf_pidfile *pf);

/* For another process (preforkd -s, tests): is a master running on path?
 *  1: yes, *pid = the process holding the lock (F_GETLK);
 *  0: no, with the reason in err: "PATH: no such file: preforkd is not
 *     running", "PATH: stale pidfile: pid N is not running (no process
 *     holds its lock)", or for a file whose content is not a pid "PATH:
 *     holds no pid (\"TEXT\"): preforkd is not running (no process holds
 *     its lock)" ("empty" for an empty file); *pid = the pid written in
 *     it, or 0;
 * -1: cannot tell (unreadable, a symbolic link, ...), reason in err. */
int pf_pidfile_probe(const char *path, pid_t *pid, char *err, size_t errlen);

#endif
