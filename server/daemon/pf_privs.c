/* pf_privs: decide and apply the workers' identity (see pf_privs.h). */
#include "pf_privs.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define PRIVS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRIVS_LSAN 1
#endif
#endif
#ifdef PRIVS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* ------------------------------------------------------------ the plan */

/* Join n items into buf as "a", "a and b" or "a, b and c". */
static void privs_join(char *buf, size_t len, const char *const *items, int n)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " and " : ", ";
        int w = snprintf(buf + used, len - used, "%s%s", sep, items[i]);

        used += w > 0 ? (size_t)w : 0;
    }
}

/* Not started as root: nothing can be switched. Note in plan->ignored
 * which settings that need root are therefore ignored, if any. */
static void privs_plan_unprivileged(const struct pf_config *cfg, uid_t euid,
                                    struct pf_privs_plan *plan)
{
    /* the list leaves room in plan->ignored for the sentence around it */
    char text[3][PF_PRIVS_MSG_MAX / 2], list[PF_PRIVS_MSG_MAX - 128];
    const char *items[3];
    int n = 0;

    if (cfg->daemon.user[0] && cfg->daemon.uid != euid)
        snprintf(text[n++], sizeof(text[0]), "daemon.user \"%s\"", cfg->daemon.user);
    if (cfg->daemon.group[0])
        snprintf(text[n++], sizeof(text[0]), "daemon.group \"%s\"", cfg->daemon.group);
    if (cfg->daemon.chroot[0])
        snprintf(text[n++], sizeof(text[0]), "daemon.chroot \"%.200s\"", cfg->daemon.chroot);
    for (int i = 0; i < n; i++)
        items[i] = text[i];
    privs_join(list, sizeof(list), items, n);
    if (n > 0)
        snprintf(plan->ignored, sizeof(plan->ignored),
                 "%s ignored: only root may switch users or chroot, and preforkd was "
                 "started as uid %lu",
                 list, (unsigned long)euid);
}

int pf_privs_plan(const struct pf_config *cfg, uid_t euid, struct pf_privs_plan *plan, char *err,
                  size_t errlen)
{
    memset(plan, 0, sizeof(*plan));
    if (euid != 0) {
        privs_plan_unprivileged(cfg, euid, plan);
        return 0;
    }
    if (cfg->daemon.user[0] == '\0') {
        snprintf(err, errlen,
                 "daemon.user is not set: preforkd will not run its workers as "
                 "root unless daemon.user = \"root\" says so");
        return -1;
    }
    plan->uid = cfg->daemon.uid;
    plan->gid = cfg->daemon.group[0] ? cfg->daemon.group_gid : cfg->daemon.user_gid;
    /* uid 0 and gid 0: the workers stay what the master is, as configured. */
    plan->switch_ids = plan->uid != 0 || plan->gid != 0;
    plan->chroot = cfg->daemon.chroot[0] != '\0';
    return 0;
}

bool pf_privs_dropped(const struct pf_privs_plan *plan)
{
    return plan->switch_ids || plan->chroot;
}

void pf_privs_describe(const struct pf_privs_plan *plan, const struct pf_config *cfg, uid_t euid,
                       char *buf, size_t len)
{
    int n;

    if (euid != 0)
        n = snprintf(buf, len, "workers run as uid %lu, the master's own (not started as root)",
                     (unsigned long)euid);
    else if (!plan->switch_ids)
        n = snprintf(buf, len, "workers run as root: daemon.user = \"%s\"", cfg->daemon.user);
    else if (cfg->daemon.group[0])
        n = snprintf(buf, len, "workers run as user %s (uid %lu), group %s (gid %lu)",
                     cfg->daemon.user, (unsigned long)plan->uid, cfg->daemon.group,
                     (unsigned long)plan->gid);
    else
        n = snprintf(buf, len, "workers run as user %s (uid %lu), its primary group (gid %lu)",
                     cfg->daemon.user, (unsigned long)plan->uid, (unsigned long)plan->gid);
    if (plan->chroot && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", chrooted to %s", cfg->daemon.chroot);
}

/* ------------------------------------------------------ RLIMIT_NOFILE */

int pf_privs_set_nofile(long max_files, char *err, size_t errlen)
{
    struct rlimit rl;

    if (max_files <= 0)
        return 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        snprintf(err, errlen, "daemon.max_files: cannot read RLIMIT_NOFILE: %s", strerror(errno));
        return -1;
    }
    if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){(rlim_t)max_files, (rlim_t)max_files}) == 0)
        return 0;
    if (errno == EPERM && (rlim_t)max_files > rl.rlim_max)
        snprintf(err, errlen,
                 "daemon.max_files: %ld is above the hard limit %llu (only root may raise it)",
                 max_files, (unsigned long long)rl.rlim_max);
    else
        snprintf(err, errlen, "daemon.max_files: cannot set RLIMIT_NOFILE to %ld: %s", max_files,
                 strerror(errno));
    return -1;
}

/* ------------------------------------------------------ dropping root */

/* Lock the process into dir: afterwards "/" is dir. */
static int privs_chroot(const char *dir, char *err, size_t errlen)
{
    if (chroot(dir) < 0) {
        snprintf(err, errlen, "chroot %s: %s", dir, strerror(errno));
        return -1;
    }
    if (chdir("/") < 0) {
        snprintf(err, errlen, "chdir / after chroot %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Become uid:gid with gid as the only group: real, effective and saved
 * ids alike, so nothing is left to switch back to. Groups first, while
 * still allowed to change them. */
static int privs_switch(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    if (setgroups(1, &gid) < 0) {
        snprintf(err, errlen, "setgroups %lu: %s", (unsigned long)gid, strerror(errno));
        return -1;
    }
    if (setresgid(gid, gid, gid) < 0) {
        snprintf(err, errlen, "setgid %lu: %s", (unsigned long)gid, strerror(errno));
        return -1;
    }
    if (setresuid(uid, uid, uid) < 0) {
        snprintf(err, errlen, "setuid %lu: %s", (unsigned long)uid, strerror(errno));
        return -1;
    }
    return 0;
}

/* Read the ids back: all three uids and gids, and the group list, must
 * be what was asked. */
static int privs_verify_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[2];
    int ngroups;

    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
        (ngroups = getgroups(2, groups)) < 0) {
        snprintf(err, errlen, "cannot read the ids back after switching: %s", strerror(errno));
        return -1;
    }
    if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
        snprintf(err, errlen,
                 "ids after switching are uid %lu/%lu/%lu gid %lu/%lu/%lu (real/effective/"
                 "saved), not uid %lu gid %lu: refusing to serve",
                 (unsigned long)ru, (unsigned long)eu, (unsigned long)su, (unsigned long)rg,
                 (unsigned long)eg, (unsigned long)sg, (unsigned long)uid, (unsigned long)gid);
        return -1;
    }
    if (ngroups != 1 || groups[0] != gid) {
        snprintf(err, errlen,
                 "supplementary groups after switching are not just gid %lu: "
                 "refusing to serve",
                 (unsigned long)gid);
        return -1;
    }
    return 0;
}

/* The proof that root is gone: trying to take it back must fail. Skipped
 * for an id that is 0 by configuration (setgid(0) is then no change). */
static int privs_verify_no_root(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    if (uid != 0 && (setuid(0) == 0 || (gid != 0 && setgid(0) == 0))) {
        snprintf(err, errlen, "could regain root after switching to uid %lu: refusing to serve",
                 (unsigned long)uid);
        return -1;
    }
    return 0;
}

/* Sanitizer builds: LeakSanitizer's check at exit reads /proc and
 * attaches to the process, neither of which works once it chrooted or
 * switched ids (such a process is not dumpable). Check now instead, which
 * also turns the check at exit off. Nothing in a normal build. */
static void privs_leak_check_now(void)
{
#ifdef PRIVS_LSAN
    __lsan_do_leak_check();
#endif
}

int pf_privs_drop(const struct pf_privs_plan *plan, const char *chroot_dir, char *err,
                  size_t errlen)
{
    /* Load the time zone while /etc/localtime is still reachable. */
    tzset();
    if (pf_privs_dropped(plan))
        privs_leak_check_now();
    if (plan->chroot && privs_chroot(chroot_dir, err, errlen) < 0)
        return -1;
    if (!plan->switch_ids)
        return 0;
    if (privs_switch(plan->uid, plan->gid, err, errlen) < 0 ||
        privs_verify_ids(plan->uid, plan->gid, err, errlen) < 0 ||
        privs_verify_no_root(plan->uid, plan->gid, err, errlen) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------ folders to serve */

bool pf_privs_mode_allows(mode_t mode, uid_t owner, gid_t group, uid_t uid, gid_t gid, int want)
{
    unsigned bits = (unsigned)want & 7u;
    unsigned have = uid == owner ? (mode >> 6) & 7u : gid == group ? (mode >> 3) & 7u : mode & 7u;

    return (have & bits) == bits;
}

int pf_privs_check_folder(const struct pf_privs_plan *plan, uid_t euid, const char *path, char *err,
                          size_t errlen)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "\"%s\": %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "\"%s\": not a folder", path);
        return -1;
    }
    if (euid != 0) {
        if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
            return 0;
        snprintf(err, errlen, "\"%s\": %s: the workers (uid %lu) cannot open any file in it", path,
                 strerror(errno), (unsigned long)euid);
        return -1;
    }
    if (!plan->switch_ids || plan->uid == 0 ||
        getxattr(path, "system.posix_acl_access", NULL, 0) > 0 ||
        pf_privs_mode_allows(st.st_mode, st.st_uid, st.st_gid, plan->uid, plan->gid, X_OK))
        return 0;
    snprintf(err, errlen,
             "\"%s\": %s: the workers (uid %lu, gid %lu) cannot open any file in it "
             "(mode %04o, owner uid %lu, group gid %lu)",
             path, strerror(EACCES), (unsigned long)plan->uid, (unsigned long)plan->gid,
             (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid, (unsigned long)st.st_gid);
    return -1;
}
