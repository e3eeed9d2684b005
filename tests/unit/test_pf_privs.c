/* Unit tests for pf_privs: the plan decided from the configuration and
 * the master's euid (a table), the start-up description, and, in forked
 * children that report by their exit status (cmocka's asserts do not work
 * across fork), RLIMIT_NOFILE and the real drop of root. The drops need
 * root and are skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_config.h"
#include "pf_privs.h"

#define NOBODY 65534 /* uid of "nobody" and gid of "nogroup" on Linux */

/* ------------------------------------------------------------ the plan */

/* One row: the daemon settings (names and what loading resolved them to),
 * the euid, and what the plan must say. */
struct plan_case {
    const char *what;
    const char *user, *group, *chroot;
    uid_t uid;
    gid_t user_gid, group_gid;
    uid_t euid;
    int rc;
    bool switch_ids;
    uid_t want_uid;
    gid_t want_gid;
    bool want_chroot;
    const char *needles[4]; /* in err (rc -1) or ignored; NULL-ended */
    const char *absent;     /* must not be in ignored */
};

static const struct plan_case plan_cases[] = {
    {"root, no user",
     "",
     "",
     "",
     0,
     0,
     0,
     0,
     -1,
     false,
     0,
     0,
     false,
     {"daemon.user is not set", "daemon.user = \"root\"", NULL},
     NULL},
    {"root, no user but a group",
     "",
     "www",
     "",
     0,
     0,
     33,
     0,
     -1,
     false,
     0,
     0,
     false,
     {"daemon.user is not set", NULL},
     NULL},
    {"root as root", "root", "", "", 0, 0, 0, 0, 0, false, 0, 0, false, {NULL}, NULL},
    {"root as root, another group",
     "root",
     "www",
     "",
     0,
     0,
     33,
     0,
     0,
     true,
     0,
     33,
     false,
     {NULL},
     NULL},
    {"nobody, primary group",
     "nobody",
     "",
     "",
     NOBODY,
     65533,
     0,
     0,
     0,
     true,
     NOBODY,
     65533,
     false,
     {NULL},
     NULL},
    {"nobody and nogroup",
     "nobody",
     "nogroup",
     "",
     NOBODY,
     65533,
     NOBODY,
     0,
     0,
     true,
     NOBODY,
     NOBODY,
     false,
     {NULL},
     NULL},
    {"nobody, chroot",
     "nobody",
     "",
     "/srv/www",
     NOBODY,
     NOBODY,
     0,
     0,
     0,
     true,
     NOBODY,
     NOBODY,
     true,
     {NULL},
     NULL},
    {"root as root, chroot",
     "root",
     "",
     "/srv/www",
     0,
     0,
     0,
     0,
     0,
     false,
     0,
     0,
     true,
     {NULL},
     NULL},
    {"not root, nothing set", "", "", "", 0, 0, 0, 1000, 0, false, 0, 0, false, {NULL}, NULL},
    {"not root, own user",
     "alice",
     "",
     "",
     1000,
     1000,
     0,
     1000,
     0,
     false,
     0,
     0,
     false,
     {NULL},
     "daemon.user"},
    {"not root, another user",
     "www-data",
     "",
     "",
     33,
     33,
     0,
     1000,
     0,
     false,
     0,
     0,
     false,
     {"daemon.user \"www-data\" ignored", "only root", "uid 1000", NULL},
     NULL},
    {"not root, a group",
     "",
     "www",
     "",
     0,
     0,
     33,
     1000,
     0,
     false,
     0,
     0,
     false,
     {"daemon.group \"www\" ignored", NULL},
     "daemon.user"},
    {"not root, chroot",
     "",
     "",
     "/srv/www",
     0,
     0,
     0,
     1000,
     0,
     false,
     0,
     0,
     false,
     {"daemon.chroot \"/srv/www\" ignored", "chroot", NULL},
     NULL},
    {"not root, everything",
     "www-data",
     "www",
     "/srv",
     33,
     33,
     34,
     1000,
     0,
     false,
     0,
     0,
     false,
     {"daemon.user \"www-data\", daemon.group \"www\" and daemon.chroot \"/srv\" ignored", NULL},
     NULL},
};

/* A default configuration with row c's daemon settings. */
static void plan_config(struct pf_config *cfg, const struct plan_case *c)
{
    pf_config_defaults(cfg);
    snprintf(cfg->daemon.user, sizeof(cfg->daemon.user), "%s", c->user);
    snprintf(cfg->daemon.group, sizeof(cfg->daemon.group), "%s", c->group);
    snprintf(cfg->daemon.chroot, sizeof(cfg->daemon.chroot), "%s", c->chroot);
    cfg->daemon.uid = c->uid;
    cfg->daemon.user_gid = c->user_gid;
    cfg->daemon.group_gid = c->group_gid;
}

/* Check one row's plan (or error) against what it wants. */
static void plan_check(const struct plan_case *c)
{
    static struct pf_config cfg;
    struct pf_privs_plan plan;
    char err[512] = "";
    int rc;

    plan_config(&cfg, c);
    rc = pf_privs_plan(&cfg, c->euid, &plan, err, sizeof(err));
    if (rc != c->rc)
        fail_msg("%s: returned %d, want %d (err \"%s\")", c->what, rc, c->rc, err);
    for (int i = 0; c->needles[i]; i++) {
        const char *text = rc < 0 ? err : plan.ignored;

        if (strstr(text, c->needles[i]) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", c->what, text, c->needles[i]);
    }
    if (rc < 0)
        return;
    if (c->needles[0] == NULL && plan.ignored[0])
        fail_msg("%s: unexpected warning \"%s\"", c->what, plan.ignored);
    if (c->absent && strstr(plan.ignored, c->absent))
        fail_msg("%s: \"%s\" names %s", c->what, plan.ignored, c->absent);
    if (plan.switch_ids != c->switch_ids || plan.chroot != c->want_chroot)
        fail_msg("%s: switch_ids %d chroot %d, want %d %d", c->what, plan.switch_ids, plan.chroot,
                 c->switch_ids, c->want_chroot);
    if (plan.switch_ids && (plan.uid != c->want_uid || plan.gid != c->want_gid))
        fail_msg("%s: %lu:%lu, want %lu:%lu", c->what, (unsigned long)plan.uid,
                 (unsigned long)plan.gid, (unsigned long)c->want_uid, (unsigned long)c->want_gid);
    assert_int_equal(pf_privs_dropped(&plan), c->switch_ids || c->want_chroot);
}

static void test_plan_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(plan_cases) / sizeof(plan_cases[0]); i++)
        plan_check(&plan_cases[i]);
}

/* The notice the master logs at start, for each kind of plan. */
static void test_describe(void **state)
{
    static struct pf_config cfg;
    struct pf_privs_plan plan;
    char err[512], text[512];

    (void)state;
    plan_config(&cfg, &plan_cases[5]); /* nobody and nogroup */
    assert_int_equal(pf_privs_plan(&cfg, 0, &plan, err, sizeof(err)), 0);
    pf_privs_describe(&plan, &cfg, 0, text, sizeof(text));
    assert_string_equal(text, "workers run as user nobody (uid 65534), group nogroup (gid 65534)");

    plan_config(&cfg, &plan_cases[6]); /* nobody, chroot */
    assert_int_equal(pf_privs_plan(&cfg, 0, &plan, err, sizeof(err)), 0);
    pf_privs_describe(&plan, &cfg, 0, text, sizeof(text));
    assert_string_equal(text, "workers run as user nobody (uid 65534), its primary group "
                              "(gid 65534), chrooted to /srv/www");

    plan_config(&cfg, &plan_cases[2]); /* root as root */
    assert_int_equal(pf_privs_plan(&cfg, 0, &plan, err, sizeof(err)), 0);
    pf_privs_describe(&plan, &cfg, 0, text, sizeof(text));
    assert_string_equal(text, "workers run as root: daemon.user = \"root\"");

    plan_config(&cfg, &plan_cases[10]); /* not root */
    assert_int_equal(pf_privs_plan(&cfg, 1000, &plan, err, sizeof(err)), 0);
    pf_privs_describe(&plan, &cfg, 1000, text, sizeof(text));
    assert_string_equal(text, "workers run as uid 1000, the master's own (not started as root)");
}

/* ------------------------------------------------------ in a child */

/* Run fn in a child; its exit status is the test's verdict (0: passed,
 * else the number of the check that failed), within 10 s. _exit: what
 * the child changed for good is not checked again at exit. */
static void in_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        _exit(fn());
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("check %d failed in the child", WEXITSTATUS(status));
}

/* True if RLIMIT_NOFILE's soft and hard limits are both n. */
static bool nofile_is(rlim_t n)
{
    struct rlimit rl;

    return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == n && rl.rlim_max == n;
}

/* Set 512, read back; 0 leaves it; as a non-root process (root first
 * becomes nobody) a value above the hard limit fails and says why. */
static int nofile_child(void)
{
    char err[256] = "";

    if (pf_privs_set_nofile(512, err, sizeof(err)) < 0 || !nofile_is(512))
        return 1;
    if (pf_privs_set_nofile(0, err, sizeof(err)) < 0 || !nofile_is(512))
        return 2;
    if (pf_privs_set_nofile(256, err, sizeof(err)) < 0 || !nofile_is(256))
        return 3;
    if (geteuid() == 0 && setresuid(NOBODY, NOBODY, NOBODY) < 0)
        return 4;
    if (pf_privs_set_nofile(1000, err, sizeof(err)) != -1 || !nofile_is(256))
        return 5;
    if (strcmp(err, "daemon.max_files: 1000 is above the hard limit 256 (only root may raise "
                    "it)") != 0) {
        fprintf(stderr, "err: %s\n", err);
        return 6;
    }
    return 0;
}

static void test_set_nofile(void **state)
{
    struct rlimit rl;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (geteuid() != 0 && rl.rlim_max < 512)
        skip(); /* a non-root process cannot raise it to 512 */
    in_child(nofile_child);
}

/* Nothing planned: nothing changes. A chroot that cannot be done names
 * the step and the folder (no root needed: it fails either way). */
static void test_drop_nothing_and_failure(void **state)
{
    struct pf_privs_plan none = {0}, bad = {.chroot = true};
    char err[256] = "";
    uid_t uid = geteuid();

    (void)state;
    assert_int_equal(pf_privs_drop(&none, "", err, sizeof(err)), 0);
    assert_int_equal(geteuid(), uid);
    assert_int_equal(pf_privs_drop(&bad, "/no/such/folder", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "chroot /no/such/folder: "));
}

/* Root to nobody/nogroup: every id reads back, nogroup is the only
 * group, and root cannot be taken back. */
static int drop_ids_child(void)
{
    struct pf_privs_plan plan = {.switch_ids = true, .uid = NOBODY, .gid = NOBODY};
    char err[256] = "";
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[4];

    if (pf_privs_drop(&plan, "", err, sizeof(err)) < 0) {
        fprintf(stderr, "drop: %s\n", err);
        return 1;
    }
    if (getresuid(&ru, &eu, &su) < 0 || ru != NOBODY || eu != NOBODY || su != NOBODY)
        return 2;
    if (getresgid(&rg, &eg, &sg) < 0 || rg != NOBODY || eg != NOBODY || sg != NOBODY)
        return 3;
    if (getgroups(4, groups) != 1 || groups[0] != NOBODY)
        return 4;
    if (setuid(0) != -1 || errno != EPERM || setgid(0) != -1)
        return 5;
    if (pf_privs_dropped(&plan) != true)
        return 6;
    return 0;
}

static void test_drop_ids(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    in_child(drop_ids_child);
}

/* user "root" with another group: the gids switch, the uid stays 0 by
 * configuration (so no "could regain root" check refuses it). */
static int drop_group_only_child(void)
{
    struct pf_privs_plan plan = {.switch_ids = true, .uid = 0, .gid = NOBODY};
    char err[256] = "";
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (pf_privs_drop(&plan, "", err, sizeof(err)) < 0) {
        fprintf(stderr, "drop: %s\n", err);
        return 1;
    }
    if (getresuid(&ru, &eu, &su) < 0 || ru != 0 || eu != 0 || su != 0)
        return 2;
    if (getresgid(&rg, &eg, &sg) < 0 || rg != NOBODY || eg != NOBODY || sg != NOBODY)
        return 3;
    return 0;
}

static void test_drop_group_only(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    in_child(drop_group_only_child);
}

static char chroot_dir[PATH_MAX]; /* the temp folder drop_chroot_child enters */

/* chroot: the marker file made inside the folder is now "/marker", and
 * the working directory is the new root. */
static int drop_chroot_child(void)
{
    struct pf_privs_plan plan = {.chroot = true};
    char err[256] = "", cwd[PATH_MAX];

    if (pf_privs_drop(&plan, chroot_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "drop: %s\n", err);
        return 1;
    }
    if (access("/marker", F_OK) < 0)
        return 2;
    if (getcwd(cwd, sizeof(cwd)) == NULL || strcmp(cwd, "/") != 0)
        return 3;
    return 0;
}

static void test_drop_chroot(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char marker[PATH_MAX + 8];
    FILE *f;

    (void)state;
    if (geteuid() != 0)
        skip();
    snprintf(chroot_dir, sizeof(chroot_dir), "%s/pf_privs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(chroot_dir));
    snprintf(marker, sizeof(marker), "%s/marker", chroot_dir);
    f = fopen(marker, "w");
    assert_non_null(f);
    fclose(f);
    in_child(drop_chroot_child);
    assert_int_equal(unlink(marker), 0);
    assert_int_equal(rmdir(chroot_dir), 0);
}

/* The mode bits of a folder for the workers' uid and gid: the owner's
 * triple for its owner, the group's for its group (even when the
 * others' would give more), else the others'. */
static void test_mode_allows(void **state)
{
    static const struct {
        mode_t mode;
        uid_t owner;
        gid_t group;
        uid_t uid;
        gid_t gid;
        int want;
        bool allowed;
    } cases[] = {
        {0755, 0, 0, 33, 33, X_OK, true},         {0750, 0, 0, 33, 33, X_OK, false},
        {0750, 0, 33, 33, 33, X_OK, true},        {0700, 33, 0, 33, 33, X_OK, true},
        {0700, 0, 0, 33, 33, X_OK, false},        {0000, 33, 33, 33, 33, X_OK, false},
        {0007, 33, 0, 33, 0, X_OK, false},        {0070, 0, 33, 33, 33, X_OK, true},
        {0707, 0, 33, 34, 33, X_OK, false},       {0711, 0, 0, 33, 33, X_OK, true},
        {0744, 0, 0, 33, 33, X_OK, false},        {0755, 0, 0, 33, 33, R_OK | X_OK, true},
        {0751, 0, 0, 33, 33, R_OK | X_OK, false}, {0600, 33, 0, 33, 0, R_OK | W_OK, true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (pf_privs_mode_allows(cases[i].mode, cases[i].owner, cases[i].group, cases[i].uid,
                                 cases[i].gid, cases[i].want) != cases[i].allowed)
            fail_msg("case %zu: mode %04o owner %u:%u for %u:%u want %d: not %s", i,
                     (unsigned)cases[i].mode, (unsigned)cases[i].owner, (unsigned)cases[i].group,
                     (unsigned)cases[i].uid, (unsigned)cases[i].gid, cases[i].want,
                     cases[i].allowed ? "allowed" : "refused");
}

/* A folder checked for the workers: missing, a file, and (as root, for
 * other workers) a mode that keeps them out; the workers root or the
 * master's own user find their folder searchable. */
static void test_check_folder(void **state)
{
    struct pf_privs_plan self = {0}, nobody = {.switch_ids = true, .uid = 65534, .gid = 65534};
    char dir[] = "/tmp/pf_privs_dir.XXXXXX", file[PATH_MAX], err[512];

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/f", dir);
    assert_int_equal(close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
    assert_int_equal(pf_privs_check_folder(&self, geteuid(), dir, err, sizeof(err)), 0);
    assert_int_equal(pf_privs_check_folder(&self, geteuid(), file, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\": not a folder"));
    unlink(file);
    assert_int_equal(pf_privs_check_folder(&self, geteuid(), file, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOENT)));
    if (geteuid() == 0) {
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(pf_privs_check_folder(&nobody, 0, dir, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "the workers (uid 65534, gid 65534) cannot open any file"));
        assert_non_null(strstr(err, "(mode 0700, owner uid 0, group gid 0)"));
        assert_int_equal(chmod(dir, 0701), 0);
        assert_int_equal(pf_privs_check_folder(&nobody, 0, dir, err, sizeof(err)), 0);
    } else {
        assert_int_equal(chmod(dir, 0600), 0);
        assert_int_equal(pf_privs_check_folder(&self, geteuid(), dir, err, sizeof(err)), -1);
        assert_non_null(strstr(err, strerror(EACCES)));
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_table),   cmocka_unit_test(test_describe),
        cmocka_unit_test(test_set_nofile),   cmocka_unit_test(test_drop_nothing_and_failure),
        cmocka_unit_test(test_drop_ids),     cmocka_unit_test(test_drop_group_only),
        cmocka_unit_test(test_drop_chroot),  cmocka_unit_test(test_mode_allows),
        cmocka_unit_test(test_check_folder),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
