/* Unit tests for pf_pidfile: creating, probing, replacing a stale file,
 * refusing links, renaming and removing.
 *
 * fcntl locks belong to a process and F_GETLK never reports the caller's
 * own, so whatever must see the test's lock from outside (a probe, a
 * second master) runs in a forked child. A child never calls cmocka's
 * asserts (they longjmp): it sends a report through a pipe, and the test
 * checks it. Children are ordered with pipes (a gate they wait on, a
 * release that lets a child holding a lock exit), never by sleeping, and
 * each dies by alarm() if a wait never ends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_pidfile.h"

#define WAIT_MS 10000 /* the longest a child's report may take */
#define RACERS 4      /* children creating the same pidfile at once */

struct fixture {
    char dir[64];
    char path[128];       /* the pidfile under test, in dir */
    char arg[PATH_MAX];   /* the path a child acts on */
    struct pf_pidfile pf; /* the test's own pidfile */
    int gate[2];          /* children wait for its end of file to start */
    int release[2];       /* holding children wait for its end of file */
};

/* What a child saw, sent back through a pipe. */
struct report {
    int rc;
    pid_t pid; /* probe: the pid found; create: *stale */
    int fd;    /* forget: the descriptor afterwards */
    char err[512];
};

/* A child's side: what it does, into its report. */
typedef void child_fn(struct fixture *f, struct report *r);

struct child {
    pid_t pid;
    int result; /* read end of the child's report pipe */
};

/* Fixture: an empty temp dir; path names a pidfile in it. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/pf_pidfile.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/preforkd.pid", f->dir);
    snprintf(f->arg, sizeof(f->arg), "%s", f->path);
    pf_pidfile_init(&f->pf);
    f->gate[0] = f->gate[1] = f->release[0] = f->release[1] = -1;
    *state = f;
    return 0;
}

static void close_pipe(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0)
            close(p[i]);
        p[i] = -1;
    }
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    pf_pidfile_remove(&f->pf);
    close_pipe(f->gate);
    close_pipe(f->release);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* In a child: block until every copy of fd's pipe's write end is closed. */
static void wait_eof(int fd)
{
    char c;

    for (;;) {
        ssize_t n = read(fd, &c, 1);

        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

/* Fork a child that waits for the gate (if open), runs fn, reports, then
 * waits for the release (if open) so that what it locked stays locked. */
static void child_start(struct fixture *f, child_fn *fn, struct child *c)
{
    int p[2];

    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        struct report r;
        bool hold = f->release[0] >= 0;

        alarm(WAIT_MS / 1000);
        memset(&r, 0, sizeof(r));
        close(p[0]);
        if (f->gate[1] >= 0)
            close(f->gate[1]);
        if (f->release[1] >= 0)
            close(f->release[1]);
        if (f->gate[0] >= 0)
            wait_eof(f->gate[0]);
        fn(f, &r);
        if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
            _exit(2);
        if (hold)
            wait_eof(f->release[0]);
        _exit(0);
    }
    close(p[1]);
    c->result = p[0];
}

/* The child's report, within WAIT_MS. */
static void child_report(struct child *c, struct report *r)
{
    struct pollfd p = {.fd = c->result, .events = POLLIN};

    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_int_equal(read(c->result, r, sizeof(*r)), sizeof(*r));
    r->err[sizeof(r->err) - 1] = '\0';
    close(c->result);
}

/* Reap the child (bounded: its alarm kills it); it must have exited 0. */
static void child_finish(struct child *c)
{
    int status;

    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Run fn in a child to the end; its pid is returned, its report in r. */
static pid_t in_child(struct fixture *f, child_fn *fn, struct report *r)
{
    struct child c;

    child_start(f, fn, &c);
    child_report(&c, r);
    child_finish(&c);
    return c.pid;
}

static void child_probe(struct fixture *f, struct report *r)
{
    r->rc = pf_pidfile_probe(f->arg, &r->pid, r->err, sizeof(r->err));
}

/* Create a pidfile and keep it (it goes stale when the child exits). */
static void child_create(struct fixture *f, struct report *r)
{
    struct pf_pidfile pf;

    r->rc = pf_pidfile_create(&pf, f->arg, getpid(), &r->pid, r->err, sizeof(r->err));
}

static void child_forget(struct fixture *f, struct report *r)
{
    pf_pidfile_forget(&f->pf);
    r->fd = f->pf.fd;
}

/* The first bytes of a file, as a string ("" if it cannot be read).
 * Opening and closing the test's own pidfile drops the test's lock on it
 * (the fcntl rule pf_pidfile.h warns about): only after its last check. */
static void read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

    buf[n > 0 ? n : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* How many entries dir holds (besides . and ..). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void expect_content_pid(const char *path, pid_t pid)
{
    char text[64], want[32];

    read_text(path, text, sizeof(text));
    snprintf(want, sizeof(want), "%ld\n", (long)pid);
    assert_string_equal(text, want);
}

static void expect_err(const char *err, const char *want)
{
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* "PID\n", a regular file of mode 0644 whatever the umask, locked, and
 * nothing else left in the folder. */
static void test_create_in_empty_folder(void **state)
{
    struct fixture *f = *state;
    char err[512];
    pid_t stale = -1;
    struct stat st;
    mode_t old = umask(077);
    int rc = pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err));

    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(stale, 0);
    assert_true(f->pf.fd >= 0);
    assert_string_equal(f->pf.path, f->path);
    expect_content_pid(f->path, getpid());
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_true(st.st_dev == f->pf.dev && st.st_ino == f->pf.ino);
    assert_int_equal(count_entries(f->dir), 1);
    assert_true(fcntl(f->pf.fd, F_GETFD) & FD_CLOEXEC);
}

/* Another process sees the master running, with the lock holder's pid. */
static void test_probe_from_child_sees_running(void **state)
{
    struct fixture *f = *state;
    struct report r;
    char err[512];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    in_child(f, child_probe, &r);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.pid, getpid());
}

/* A second master is refused, names the first, and leaves no temporary. */
static void test_second_create_refused(void **state)
{
    struct fixture *f = *state;
    struct report r;
    char err[512], want[256];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    in_child(f, child_create, &r);
    assert_int_equal(r.rc, -1);
    snprintf(want, sizeof(want), "%s: preforkd is already running as pid %ld", f->path,
             (long)getpid());
    assert_string_equal(r.err, want);
    expect_content_pid(f->path, getpid());
    assert_int_equal(count_entries(f->dir), 1);
}

/* A master that died leaves a stale file: probed as such, then replaced
 * by the next one, who learns the dead master's pid. */
static void test_stale_replaced(void **state)
{
    struct fixture *f = *state;
    struct report r;
    char err[512], want[256];
    pid_t dead, pid = -1, stale = -1;

    dead = in_child(f, child_create, &r);
    assert_int_equal(r.rc, 0);
    expect_content_pid(f->path, dead);
    assert_int_equal(pf_pidfile_probe(f->path, &pid, err, sizeof(err)), 0);
    assert_int_equal(pid, dead);
    snprintf(want, sizeof(want),
             "%s: stale pidfile: pid %ld is not running (no process "
             "holds its lock)",
             f->path, (long)dead);
    assert_string_equal(err, want);
    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    assert_int_equal(stale, dead);
    assert_int_equal(count_entries(f->dir), 1);
    in_child(f, child_probe, &r);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.pid, getpid());
    expect_content_pid(f->path, getpid());
}

/* No file, and files nobody locks: the pid written in them (0 if it is
 * not one) and the lock, not the text, decides; a file that holds no pid
 * says what it holds (never "pid 0 is not running"). */
static void test_probe_missing_and_unlocked(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text;
        pid_t pid;
        const char *says; /* after "PATH: " */
    } cases[] = {
        {"4321\n", 4321, "stale pidfile: pid 4321 is not running (no process holds its lock)"},
        {"4321", 4321, "stale pidfile: pid 4321 is not running"},
        {"", 0, "holds no pid (empty): preforkd is not running (no process holds its lock)"},
        {"garbage\n", 0, "holds no pid (\"garbage\"): preforkd is not running"},
        {"12 34\n", 0, "holds no pid (\"12 34\")"},
        {"-5\n", 0, "holds no pid (\"-5\")"},
        {"0\n", 0, "holds no pid (\"0\")"},
        {"99999999999\n", 0, "holds no pid (\"99999999999\")"},
        {"\x1b[2J\tx\n\n", 0, "holds no pid (\"\\x1b[2J\\x09x\\x0a\")"},
        {"0123456789012345678901234567890\n", 0, "holds no pid (\"012345678901234567890123...\")"},
    };
    char err[512], want[PATH_MAX + 128];
    pid_t pid = -1;

    assert_int_equal(pf_pidfile_probe(f->path, &pid, err, sizeof(err)), 0);
    assert_int_equal(pid, 0);
    snprintf(want, sizeof(want), "%s: no such file: preforkd is not running", f->path);
    assert_string_equal(err, want);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_text(f->path, cases[i].text);
        pid = -1;
        assert_int_equal(pf_pidfile_probe(f->path, &pid, err, sizeof(err)), 0);
        if (pid != cases[i].pid)
            fail_msg("\"%s\": pid %ld, expected %ld", cases[i].text, (long)pid, (long)cases[i].pid);
        snprintf(want, sizeof(want), "%s: %s", f->path, cases[i].says);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("\"%s\": error \"%s\", expected \"%s...\"", cases[i].text, err, want);
    }
}

/* A symbolic link at the path, to a file elsewhere or to nothing, is
 * refused by create and probe, and the target is left as it was. */
static void test_symlink_refused(void **state)
{
    struct fixture *f = *state;
    char target[160], err[512], text[64];
    struct stat st;
    pid_t pid, stale;

    snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
    write_text(target, "keep me\n");
    assert_int_equal(symlink(target, f->path), 0);
    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), -1);
    assert_int_equal(f->pf.fd, -1);
    expect_err(err, f->path);
    expect_err(err, "symbolic link");
    assert_int_equal(pf_pidfile_probe(f->path, &pid, err, sizeof(err)), -1);
    expect_err(err, "symbolic link");
    read_text(target, text, sizeof(text));
    assert_string_equal(text, "keep me\n");
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(unlink(target), 0);
    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), -1);
    expect_err(err, "symbolic link");
    assert_int_equal(lstat(target, &st), -1);
    assert_int_equal(count_entries(f->dir), 1);
}

/* A directory or a FIFO at the path: refused, without hanging on the FIFO. */
static void test_not_regular_refused(void **state)
{
    struct fixture *f = *state;
    char err[512];
    pid_t pid, stale;

    assert_int_equal(mkdir(f->path, 0700), 0);
    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), -1);
    expect_err(err, "not a regular file");
    assert_int_equal(rmdir(f->path), 0);
    assert_int_equal(mkfifo(f->path, 0600), 0);
    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), -1);
    expect_err(err, f->path);
    expect_err(err, "not a regular file");
    assert_int_equal(pf_pidfile_probe(f->path, &pid, err, sizeof(err)), -1);
    expect_err(err, "not a regular file");
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_missing_folder(void **state)
{
    struct fixture *f = *state;
    char path[192], err[512];
    pid_t stale;

    snprintf(path, sizeof(path), "%s/missing/preforkd.pid", f->dir);
    assert_int_equal(pf_pidfile_create(&f->pf, path, getpid(), &stale, err, sizeof(err)), -1);
    assert_int_equal(f->pf.fd, -1);
    assert_true(strncmp(err, path, strlen(path)) == 0);
    expect_err(err, strerror(ENOENT));
}

/* The lock follows the file to PATH.oldbin; PATH is gone. */
static void test_rename_keeps_lock(void **state)
{
    struct fixture *f = *state;
    struct report r;
    char err[512], want[256];
    struct stat st;
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    snprintf(f->arg, sizeof(f->arg), "%s.oldbin", f->path);
    assert_int_equal(pf_pidfile_rename(&f->pf, f->arg, err, sizeof(err)), 0);
    assert_string_equal(f->pf.path, f->arg);
    assert_int_equal(lstat(f->path, &st), -1);
    assert_int_equal(errno, ENOENT);
    in_child(f, child_probe, &r);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.pid, getpid());
    snprintf(f->arg, sizeof(f->arg), "%s", f->path);
    in_child(f, child_probe, &r);
    assert_int_equal(r.rc, 0);
    snprintf(want, sizeof(want), "%s: no such file: preforkd is not running", f->path);
    assert_string_equal(r.err, want);
    pf_pidfile_remove(&f->pf);
    assert_int_equal(count_entries(f->dir), 0);
}

/* Renaming onto a live master's pidfile is refused; onto its stale file
 * (that master gone) it replaces it. */
static void test_rename_onto_running_refused(void **state)
{
    struct fixture *f = *state;
    struct child c;
    struct report r;
    char other[160], err[512], want[256];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    snprintf(other, sizeof(other), "%s/other.pid", f->dir);
    snprintf(f->arg, sizeof(f->arg), "%s", other);
    assert_int_equal(pipe2(f->release, O_CLOEXEC), 0);
    child_start(f, child_create, &c);
    child_report(&c, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(pf_pidfile_rename(&f->pf, other, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: preforkd is already running as pid %ld", other, (long)c.pid);
    assert_string_equal(err, want);
    assert_string_equal(f->pf.path, f->path);
    close_pipe(f->release);
    child_finish(&c);
    assert_int_equal(pf_pidfile_rename(&f->pf, other, err, sizeof(err)), 0);
    expect_content_pid(other, getpid());
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_remove_unlinks(void **state)
{
    struct fixture *f = *state;
    char err[512];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    pf_pidfile_remove(&f->pf);
    assert_int_equal(f->pf.fd, -1);
    assert_int_equal(access(f->path, F_OK), -1);
    pf_pidfile_remove(&f->pf); /* again: nothing to do */
    assert_int_equal(count_entries(f->dir), 0);
}

/* Another process replaced the file at path (simulated: ours moved away,
 * a new one written): remove and rename leave the newcomer alone. */
static void test_replaced_file_left_alone(void **state)
{
    struct fixture *f = *state;
    char away[160], err[512], text[64];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    snprintf(away, sizeof(away), "%s/moved.pid", f->dir);
    assert_int_equal(rename(f->path, away), 0);
    write_text(f->path, "777\n");
    snprintf(f->arg, sizeof(f->arg), "%s.oldbin", f->path);
    assert_int_equal(pf_pidfile_rename(&f->pf, f->arg, err, sizeof(err)), -1);
    expect_err(err, f->path);
    expect_err(err, "no longer our pidfile");
    pf_pidfile_remove(&f->pf);
    assert_int_equal(f->pf.fd, -1);
    read_text(f->path, text, sizeof(text));
    assert_string_equal(text, "777\n");
    assert_int_equal(access(away, F_OK), 0);
    assert_int_equal(access(f->arg, F_OK), -1);
}

/* A worker closing its copy of the descriptor keeps the master's lock. */
static void test_forget_in_child_keeps_lock(void **state)
{
    struct fixture *f = *state;
    struct report r;
    char err[512];
    pid_t stale;

    assert_int_equal(pf_pidfile_create(&f->pf, f->path, getpid(), &stale, err, sizeof(err)), 0);
    in_child(f, child_forget, &r);
    assert_int_equal(r.fd, -1);
    assert_true(f->pf.fd >= 0);
    in_child(f, child_probe, &r);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.pid, getpid());
    expect_content_pid(f->path, getpid());
}

/* RACERS children create the pidfile at the same moment: exactly one
 * wins, the others name it as running, and no temporary is left. */
static void race(struct fixture *f)
{
    struct child c[RACERS];
    struct report r[RACERS];
    char want[256];
    int winner = -1;

    assert_int_equal(pipe2(f->gate, O_CLOEXEC), 0);
    assert_int_equal(pipe2(f->release, O_CLOEXEC), 0);
    for (int i = 0; i < RACERS; i++)
        child_start(f, child_create, &c[i]);
    close_pipe(f->gate);
    for (int i = 0; i < RACERS; i++) {
        child_report(&c[i], &r[i]);
        if (r[i].rc == 0) {
            assert_int_equal(winner, -1);
            winner = i;
        }
    }
    assert_true(winner >= 0);
    expect_content_pid(f->path, c[winner].pid);
    snprintf(want, sizeof(want), "%s: preforkd is already running as pid %ld", f->path,
             (long)c[winner].pid);
    for (int i = 0; i < RACERS; i++)
        if (i != winner)
            assert_string_equal(r[i].err, want);
    assert_int_equal(count_entries(f->dir), 1);
    close_pipe(f->release);
    for (int i = 0; i < RACERS; i++)
        child_finish(&c[i]);
}

static void test_race_on_empty_folder(void **state)
{
    race(*state);
}

static void test_race_on_stale_file(void **state)
{
    struct fixture *f = *state;

    write_text(f->path, "1\n");
    race(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_in_empty_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_from_child_sees_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_create_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_missing_and_unlocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_regular_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_keeps_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_onto_running_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_unlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_file_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_in_child_keeps_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_on_empty_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_on_stale_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
