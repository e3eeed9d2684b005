/* Integration: who the processes run as (docs/configuration.md, daemon):
 * started as root, workers switch to daemon.user and daemon.group (all
 * of real, effective, saved and filesystem ids, and no other group),
 * chroot to daemon.chroot, and still serve; the master stays root; root
 * workers need saying so; daemon.max_files is the limit of every process.
 * What needs root is skipped when the tests do not run as root. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_harness.h"
#include "pf_time.h"

#define NOBODY 65534 /* uid of "nobody" and gid of "nogroup" on Linux */
#define HELLO_BODY "hello from a worker without privileges\n"
#define NOBODY_IDS "user = \"nobody\"; group = \"nogroup\";"

/* The value of the field "name:" in /proc/pid/status into out, blanks
 * squeezed to one space ("65534 65534 65534 65534"). 0 or -1. */
static int proc_status_field(pid_t pid, const char *name, char *out, size_t size)
{
    char path[64], line[512];
    size_t nlen = strlen(name), n = 0;
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        if (strncmp(line, name, nlen) != 0 || line[nlen] != ':')
            continue;
        for (const char *p = line + nlen + 1; *p && n + 1 < size; p++)
            if (*p != ' ' && *p != '\t' && *p != '\n')
                out[n++] = *p;
            else if (n > 0 && out[n - 1] != ' ' && p[1] != '\0' && p[1] != '\n')
                out[n++] = ' ';
        out[n] = '\0';
        rc = 0;
    }
    fclose(f);
    return rc;
}

/* Assert field of pid's status reads want. */
static void assert_status(pid_t pid, const char *field, const char *want)
{
    char got[256] = "";

    if (proc_status_field(pid, field, got, sizeof(got)) < 0)
        fail_msg("no %s in /proc/%ld/status", field, (long)pid);
    if (strcmp(got, want) != 0)
        fail_msg("process %ld: %s \"%s\", want \"%s\"", (long)pid, field, got, want);
}

/* Wait (bounded) until field of pid's status reads want: a worker drops
 * its privileges once set up, a moment after it appeared. Then assert. */
static void wait_status(pid_t pid, const char *field, const char *want)
{
    int64_t deadline = pf_time_now_ms() + PF_H_WAIT_MS;
    char got[256] = "";

    while (pf_time_now_ms() < deadline &&
           (proc_status_field(pid, field, got, sizeof(got)) < 0 || strcmp(got, want) != 0))
        usleep(PF_H_POLL_MS * 1000);
    assert_status(pid, field, want);
}

/* RLIMIT_NOFILE of pid as /proc/pid/limits shows it (soft, hard). 0 or -1. */
static int proc_nofile(pid_t pid, long *soft, long *hard)
{
    char path[64], line[256];
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "/proc/%ld/limits", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (rc < 0 && fgets(line, sizeof(line), f))
        if (sscanf(line, "Max open files %ld %ld", soft, hard) == 2)
            rc = 0;
    fclose(f);
    return rc;
}

/* A document root nobody may read: the test folder (made 0700 by
 * mkdtemp) opened to all, www and a file in it. */
static void world_readable_site(struct pf_server *s)
{
    char path[PATH_MAX];

    assert_int_equal(chmod(s->dir, 0755), 0);
    assert_int_equal(pf_h_mkdir(s, "www"), 0);
    assert_int_equal(pf_h_write_file(s, "www/hello.txt", HELLO_BODY, path), 0);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(pf_h_write_file(s, "secret.txt", "outside the root\n", path), 0);
    assert_int_equal(chmod(path, 0644), 0);
}

/* GET path on a new connection: its status (the body must be HELLO_BODY
 * when it is 200). */
static int get_status(struct pf_server *s, const char *path)
{
    char req[512];
    struct pf_h_http r;
    int status;

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(pf_h_http_once(s, req, &r), 0);
    status = r.status;
    if (status == 200)
        assert_string_equal(r.body, HELLO_BODY);
    pf_h_http_free(&r);
    return status;
}

/* Every worker: uid and gid nobody/nogroup in all four places (real,
 * effective, saved, filesystem) and no other group. The uid switches
 * last (after chroot, groups and gid): once it did, the worker is done. */
static void assert_workers_nobody(struct pf_server *s, int n)
{
    pid_t pids[8];

    assert_int_equal(pf_h_worker_pids(s, pids, 8), n);
    for (int i = 0; i < n; i++) {
        wait_status(pids[i], "Uid", "65534 65534 65534 65534");
        assert_status(pids[i], "Gid", "65534 65534 65534 65534");
        assert_status(pids[i], "Groups", "65534");
    }
}

/* A graceful stop: workers without privileges still leave cleanly (exit
 * status 0; in sanitizer builds, no report from a leak check that could
 * not inspect them). */
static void stop_gracefully(struct pf_server *s, int workers)
{
    int status;

    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_STOP_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 0));
    assert_int_equal(pf_h_log_count(s, "exited with status 0"), workers);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* Workers become nobody/nogroup and serve; the master stays root. */
PF_H_TEST(test_workers_switch_user)
{
    struct pf_h_config c;

    pf_h_skip_unless_root(s);
    world_readable_site(s);
    pf_h_config_defaults(&c);
    c.daemon_extra = NOBODY_IDS;
    c.daemon_user_set = true;
    assert_int_equal(pf_h_start_http(s, &c, NULL), 0);
    assert_true(pf_h_log_contains(s, "workers run as user nobody (uid 65534), group nogroup "
                                     "(gid 65534)"));
    assert_workers_nobody(s, c.workers_start);
    assert_status(s->pid, "Uid", "0 0 0 0");
    assert_int_equal(get_status(s, "/hello.txt"), 200);
    stop_gracefully(s, c.workers_start);
}

/* logrotate moved the access log away and asked for a reopen: workers
 * that are nobody cannot reopen a root-owned file by path, so the master
 * replaces them; their successors open the new file (as root, before
 * switching) and requests land there. */
PF_H_TEST(test_reopen_replaces_workers_without_root)
{
    struct pf_h_config c;
    char path[PATH_MAX], moved[PATH_MAX + 8];
    pid_t before[2], after[2];
    char *text;

    pf_h_skip_unless_root(s);
    world_readable_site(s);
    pf_h_config_defaults(&c);
    c.workers_start = 2;
    c.daemon_extra = NOBODY_IDS;
    c.daemon_user_set = true;
    assert_int_equal(pf_h_start_http(s, &c, "access_log = \"access.log\";"), 0);
    assert_workers_nobody(s, 2);
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    assert_int_equal(get_status(s, "/hello.txt"), 200);
    assert_int_equal(pf_h_path(path, s, "access.log"), 0);
    snprintf(moved, sizeof(moved), "%s.1", path);
    assert_int_equal(rename(path, moved), 0);

    assert_int_equal(pf_h_signal(s, SIGUSR1), 0);
    assert_int_equal(pf_h_wait_log(s,
                                   "reopen: workers run without root: replacing the workers "
                                   "with generation 2",
                                   PF_H_WAIT_MS),
                     0);
    assert_int_equal(pf_h_wait_log(s, "generation 2 is serving", PF_H_WAIT_MS), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pf_h_wait_pid_gone(before[i], PF_H_WAIT_MS), 0);
    assert_workers_nobody(s, 2);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2);
    assert_int_equal(get_status(s, "/hello.txt?new"), 200);
    /* the worker logs the request once it has answered it */
    for (int64_t end = pf_time_now_ms() + PF_H_WAIT_MS;; usleep(PF_H_POLL_MS * 1000)) {
        text = pf_h_read(s, "access.log");
        if ((text && strstr(text, "GET /hello.txt?new")) || pf_time_now_ms() >= end)
            break;
        free(text);
    }
    assert_non_null(text);
    assert_non_null(strstr(text, "GET /hello.txt?new"));
    assert_null(strstr(text, "GET /hello.txt HTTP"));
    free(text);
    assert_false(pf_h_log_contains(s, "cannot reopen"));
    stop_gracefully(s, 4);
}

/* With daemon.chroot too: the workers' root is the folder, they still
 * serve the document root (opened before), and cannot be led out of it. */
PF_H_TEST(test_workers_chroot)
{
    struct pf_h_config c;
    char extra[PATH_MAX + 128], real[PATH_MAX], root_link[64], root[PATH_MAX];
    pid_t pids[8];
    ssize_t len;

    pf_h_skip_unless_root(s);
    world_readable_site(s);
    assert_non_null(realpath(s->dir, real));
    snprintf(extra, sizeof(extra), NOBODY_IDS " chroot = \"%s\";", real);
    pf_h_config_defaults(&c);
    c.daemon_extra = extra;
    c.daemon_user_set = true;
    assert_int_equal(pf_h_start_http(s, &c, NULL), 0);
    assert_workers_nobody(s, c.workers_start);
    assert_int_equal(pf_h_worker_pids(s, pids, 8), c.workers_start);
    for (int i = 0; i < c.workers_start; i++) {
        snprintf(root_link, sizeof(root_link), "/proc/%ld/root", (long)pids[i]);
        len = readlink(root_link, root, sizeof(root) - 1);
        assert_true(len > 0);
        root[len] = '\0';
        assert_string_equal(root, real);
    }
    assert_int_equal(get_status(s, "/hello.txt"), 200);
    assert_int_not_equal(get_status(s, "/../secret.txt"), 200);
    assert_int_not_equal(get_status(s, "/../../etc/passwd"), 200);
    assert_int_not_equal(get_status(s, "/%2e%2e/secret.txt"), 200);
    stop_gracefully(s, c.workers_start);
}

/* Started as root without daemon.user: start-up fails, and says why. */
PF_H_TEST(test_root_without_user_refused)
{
    struct pf_h_config c;
    struct pf_h_output o;
    char body[4096];

    pf_h_skip_unless_root(s);
    pf_h_config_defaults(&c);
    c.daemon_user_set = true; /* and none is set */
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    assert_int_equal(pf_h_run(s, &o, "-c", s->config_path, (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 1));
    if (strstr(o.err, "daemon.user is not set") == NULL)
        fail_msg("stderr \"%s\" lacks \"daemon.user is not set\"", o.err);
    assert_null(strstr(o.err, "listening on"));
    pf_h_output_free(&o);
}

/* daemon.max_files is the limit of the master and of its workers. */
PF_H_TEST(test_max_files)
{
    struct pf_h_config c;
    pid_t pids[8];
    long soft = 0, hard = 0;

    pf_h_skip_unless_root(s);
    /* valgrind keeps descriptors of its own above the limit and refuses
     * any change to RLIMIT_NOFILE (EPERM): nothing to check under it */
    if (pf_h_under_valgrind())
        pf_h_skip_because(s, "valgrind refuses a change of RLIMIT_NOFILE");
    pf_h_config_defaults(&c);
    c.daemon_extra = "max_files = 1000;";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(proc_nofile(s->pid, &soft, &hard), 0);
    assert_int_equal(soft, 1000);
    assert_int_equal(hard, 1000);
    assert_int_equal(pf_h_worker_pids(s, pids, 8), c.workers_start);
    assert_int_equal(proc_nofile(pids[0], &soft, &hard), 0);
    assert_int_equal(soft, 1000);
    assert_int_equal(hard, 1000);
    assert_true(pf_h_log_contains(s, "workers run as root: daemon.user = \"root\""));
}

/* A user the system does not know: -t names the setting and its line. */
PF_H_TEST(test_unknown_user)
{
    static const char body[] = "listen = \"127.0.0.1:0\";\n"
                               "protocol = \"echo\";\n"
                               "daemon = {\n"
                               "  user = \"no-such-user-x\"; };\n";
    struct pf_h_output o;
    char path[PATH_MAX], where[PATH_MAX + 8];

    assert_int_equal(pf_h_write_file(s, "user.conf", body, path), 0);
    snprintf(where, sizeof(where), "%s:4:", path);
    assert_int_equal(pf_h_run(s, &o, "-t", "-c", path, (char *)NULL), 0);
    assert_true(pf_h_exited_with(o.status, 1));
    if (strstr(o.err, where) == NULL || strstr(o.err, "daemon.user") == NULL ||
        strstr(o.err, "no-such-user-x") == NULL)
        fail_msg("stderr \"%s\" lacks \"%s\", daemon.user or the name", o.err, where);
    pf_h_output_free(&o);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_workers_switch_user),
        PF_H_CASE(test_workers_chroot),
        PF_H_CASE(test_reopen_replaces_workers_without_root),
        PF_H_CASE(test_root_without_user_refused),
        PF_H_CASE(test_max_files),
        PF_H_CASE(test_unknown_user),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
