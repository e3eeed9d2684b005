/* pf_upgrade: binary upgrade, the old master's side (SIGUSR2, preforkd -s
 * upgrade, preforkctl upgrade).
 *
 *  1. The pidfile is renamed to PIDFILE.oldbin (its lock goes with it),
 *     so the new master can write its own at PIDFILE.
 *  2. A socket pair is made and the master forks; the child execs the
 *     binary again (its path as the master started: a package upgrade
 *     replaces the file there) as "preforkd -f -c CONFIG", with the
 *     listening sockets left open and named in PREFORKD_FDS
 *     ("listen=N;control=M"), and its end of the pair in
 *     PREFORKD_READY_FD.
 *  3. The new master uses those sockets instead of binding (so nothing
 *     queued on them is lost: both pools accept from the same socket),
 *     starts its workers, and reports "OK ..." once they accept.
 *  4. Then the old master stops gracefully: its workers finish their
 *     clients, and it exits, removing PIDFILE.oldbin.
 *  5. If the new master reports a failure, exits, or says nothing within
 *     PF_UPGRADE_TIMEOUT_MS, the old master renames PIDFILE.oldbin back
 *     and keeps serving; it stops a silent new master with SIGTERM.
 */
#ifndef PF_UPGRADE_H
#define PF_UPGRADE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_daemon.h"
#include "pf_pidfile.h"

#define PF_UPGRADE_TIMEOUT_MS 60000

struct pf_upgrade {
    pid_t pid;           /* the new master while it starts; 0: none */
    int fd;              /* our end of its report channel; -1: none */
    int64_t deadline_ms; /* monotonic: give up waiting then */
    char buf[PF_DAEMON_REPORT_MAX];
    size_t len;
    bool done;              /* the new master took over: we retire */
    bool exited;            /* the new master was reaped while pending */
    int status;             /* ...with this wait status */
    char pidfile[PATH_MAX]; /* where the pidfile goes back on a roll-back
                                ("" when the master has none) */
};

/* What the new master is started with. */
struct pf_upgrade_exec {
    const char *exe;    /* the binary (as the master started) */
    const char *config; /* absolute path of the configuration */
    int listen_fd;
    int control_fd; /* -1: no control channel */
    int status_fd;  /* -1: no status listener */
    struct pf_pidfile *pidfile;
};

void pf_upgrade_init(struct pf_upgrade *u);

/* Is a new master starting (the report not in yet)? */
bool pf_upgrade_pending(const struct pf_upgrade *u);

/* Steps 1 and 2. 0 (the new master's pid in u->pid), or -1 with the
 * reason in err and everything as it was (pidfile name included). */
int pf_upgrade_start(struct pf_upgrade *u, const struct pf_upgrade_exec *x, char *err,
                     size_t errlen);

/* Read what the new master reported so far (when u->fd polled readable,
 * or on a timer). PF_DAEMON_READY: it took over (u->done set; the caller
 * stops gracefully). PF_DAEMON_FAILED: rolled back (pidfile renamed back,
 * the reason in text). PENDING: still waiting. */
enum pf_daemon_outcome pf_upgrade_check(struct pf_upgrade *u, struct pf_pidfile *pidfile,
                                        int64_t now_ms, char *text, size_t textlen);

/* A child other than a worker was reaped: if it is the new master, note
 * it (a pending upgrade then fails at the next pf_upgrade_check). */
void pf_upgrade_reaped(struct pf_upgrade *u, pid_t pid, int status);

/* How soon the master must look again (until the deadline), or -1. */
int pf_upgrade_wait_ms(const struct pf_upgrade *u, int64_t now_ms);

/* The path to exec for a later upgrade, decided at start-up from argv[0]
 * as the operator started it: absolute as is, relative joined to the
 * current folder (before a -d moves to "/"), a bare name looked up in
 * PATH. Not /proc/self/exe: that would pin a symbolic link's old target
 * (/usr/sbin/preforkd pointing at a versioned file), and name valgrind
 * under valgrind. 0 or -1 with the reason. */
int pf_upgrade_self_exe(const char *argv0, char *out, size_t size, char *err, size_t errlen);

#endif
