/* pf_privs: who the processes run as, and what they may open.
 *
 * The sequence (docs/security.md, docs/operations.md):
 *  1. master, at start, as root if started so: raise RLIMIT_NOFILE to
 *     daemon.max_files (pf_privs_set_nofile), bind the listening sockets
 *     (privileged ports included), open logs, the pidfile and the token;
 *  2. master forks a worker; the worker sets itself up as root (the
 *     document root's descriptor, the access log, the MIME table), then
 *     pf_privs_drop: chroot to daemon.chroot (then chdir "/"), setgroups
 *     to the one group, setgid, setuid, and verifies the switch by trying
 *     to regain root (setuid(0), setgid(0) must fail) and reading the ids
 *     back; any failure exits the worker with the reason (it never serves
 *     with more privilege than configured);
 *  3. the master keeps root: a reload may bind a new privileged port and
 *     reopen root-owned logs, and an upgrade execs the binary again. It
 *     never touches client bytes.
 * Started as root, preforkd refuses to leave workers root unless the
 * configuration says daemon.user = "root" (pf_privs_plan). Started as
 * another user, there is nothing to switch: user/group/chroot that would
 * need root are ignored with a warning.
 * The plan is decided once, at start: user, group and chroot are
 * restart-only settings (a reload keeps them).
 */
#ifndef PF_PRIVS_H
#define PF_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pf_config.h"

#define PF_PRIVS_MSG_MAX 512

/* The identity workers switch to, decided from the configuration and the
 * master's effective uid (pure). A plain value: the pool keeps a copy. */
struct pf_privs_plan {
    bool switch_ids; /* setgroups/setgid/setuid in each worker; false for
                          user "root" without a group (uid 0, gid 0: nothing
                          to switch) */
    uid_t uid;
    gid_t gid;
    bool chroot;                    /* chroot to cfg->daemon.chroot first */
    char ignored[PF_PRIVS_MSG_MAX]; /* "" or a warning to log: settings that
                                       need root, set while not root */
};

/* Decide (pure): -1 with the reason in err when started as root and
 * daemon.user is "" ("daemon.user is not set: preforkd will not run its
 * workers as root unless daemon.user = \"root\" says so"). */
int pf_privs_plan(const struct pf_config *cfg, uid_t euid, struct pf_privs_plan *plan, char *err,
                  size_t errlen);

/* Master, before binding: set RLIMIT_NOFILE's soft and hard limits to
 * max_files (0: leave them). Only root may raise the hard limit: a value
 * above it otherwise fails with "daemon.max_files: N is above the hard
 * limit H (only root may raise it)". 0 or -1. */
int pf_privs_set_nofile(long max_files, char *err, size_t errlen);

/* Worker, once set up: apply plan (chroot, setgroups, setgid, setuid,
 * verify). Calls tzset() first so that log timestamps keep the local
 * time zone inside a chroot. 0 or -1 with the step that failed in err. */
int pf_privs_drop(const struct pf_privs_plan *plan, const char *chroot_dir, char *err,
                  size_t errlen);

/* Do workers run with dropped privileges (they then cannot reopen
 * root-owned logs by path: the master replaces them instead)? */
bool pf_privs_dropped(const struct pf_privs_plan *plan);

/* The identity workers take, for the master's start-up notice (pure):
 * "workers run as user www-data (uid 33), group www-data (gid 33),
 * chrooted to /srv", or "workers run as root: daemon.user = \"root\"". */
void pf_privs_describe(const struct pf_privs_plan *plan, const struct pf_config *cfg, uid_t euid,
                       char *buf, size_t len);

/* Do the permission bits of mode (owner, group) give uid and gid (the
 * one group: workers have no supplementary groups) every access of want,
 * R_OK | W_OK | X_OK? Pure: no ACL, no capability; uid 0 is not special
 * (the caller knows whether its workers are root). */
bool pf_privs_mode_allows(mode_t mode, uid_t owner, gid_t group, uid_t uid, gid_t gid, int want);

/* Can the workers of plan (the master's effective uid euid) open files
 * beneath the folder path, which each opens before it drops its
 * privileges? It must exist, be a folder, and be searchable by them:
 * not root, by what they will be; the same user as the master, by the
 * kernel (faccessat, which also weighs their groups and ACLs). A folder
 * with an ACL, judged for another user, is taken as searchable: the mode
 * bits alone cannot say. 0, or -1 with "\"PATH\": REASON" in err. */
int pf_privs_check_folder(const struct pf_privs_plan *plan, uid_t euid, const char *path, char *err,
                          size_t errlen);

#endif
