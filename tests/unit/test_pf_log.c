/* Unit tests for pf_log: level names, the line formatter (layout,
 * truncation, bounds), and the file destination (open, level filter,
 * symlink refusal, reopen after logrotate, close back to stderr). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_log.h"

/* 1700000000.123456789 is 2023-11-14T22:13:20.123 UTC. */
#define KNOWN_SEC 1700000000
#define KNOWN_NSEC 123456789L
#define KNOWN_STAMP "2023-11-14T22:13:20.123+0000"
/* Length of "YYYY-MM-DDTHH:MM:SS.mmm+ZZZZ". */
#define STAMP_LEN 28
#define GUARD_LEN 16
#define GUARD_BYTE 0xA5
#define HUGE_LEN 100000
/* Room for a PF_LOG_LINE_MAX buffer and its guard. */
#define AREA_LEN (PF_LOG_LINE_MAX + GUARD_LEN)
/* Buffer size of the exact-fit boundary tests. */
#define FIT_SIZE 128

/* Per-test state of the file tests: a private temporary folder. */
struct log_fixture {
    char dir[PATH_MAX];
};

/* Group setup: UTC makes every formatted timestamp deterministic. */
static int group_setup(void **state)
{
    (void)state;
    if (setenv("TZ", "UTC", 1) != 0)
        return -1;
    tzset();
    return 0;
}

/* Fixture: a fresh temporary folder, logging to stderr at info as "test". */
static int setup_tmpdir(void **state)
{
    struct log_fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/pf_log_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    pf_log_close();
    pf_log_set_level(PF_LOG_INFO);
    pf_log_set_role("test");
    *state = fx;
    return 0;
}

/* Teardown: back to stderr, then remove every entry of the folder and it. */
static int teardown_tmpdir(void **state)
{
    struct log_fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char path[PATH_MAX + 256];

    pf_log_close();
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* dir/name into out. */
static void tmp_path(const struct log_fixture *fx, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", fx->dir, name);

    assert_true(n > 0 && (size_t)n < size);
}

/* The whole content of path into buf (NUL-terminated); its length, or -1
 * when the file cannot be opened. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    return n;
}

/* pf_log_format through a variadic wrapper, the way pf_log calls it. */
__attribute__((format(printf, 7, 8))) static size_t format_line(char *buf, size_t size,
                                                                const struct timespec *ts,
                                                                int level, const char *role,
                                                                pid_t pid, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = pf_log_format(buf, size, ts, level, role, pid, fmt, ap);
    va_end(ap);
    return n;
}

/* Every guard byte after buf[size) is intact: nothing was written past it. */
static void assert_guard_intact(const char *buf, size_t size)
{
    for (size_t i = 0; i < GUARD_LEN; i++)
        assert_int_equal((unsigned char)buf[size + i], GUARD_BYTE);
}

/* A string of n copies of c (caller frees). */
static char *repeat_char(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Length of the prefix "STAMP [info] master[1234]: " for the known time. */
static size_t known_prefix_len(void)
{
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    char buf[256];

    /* An empty message: the line is the prefix and its '\n'. */
    return format_line(buf, sizeof(buf), &ts, PF_LOG_INFO, "master", 1234, "%s", "") - 1;
}

/* Format an msg_len-byte message into the first size bytes of area
 * (AREA_LEN bytes, the rest a guard); asserts the result is a bounded,
 * NUL-terminated line ending in '\n' and returns its length. */
static size_t format_bounded(char *area, size_t size, size_t msg_len)
{
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    char *msg = repeat_char('x', msg_len);
    size_t len;

    assert_true(size + GUARD_LEN <= AREA_LEN);
    memset(area, GUARD_BYTE, AREA_LEN);
    len = format_line(area, size, &ts, PF_LOG_INFO, "master", 1234, "%s", msg);
    free(msg);
    assert_guard_intact(area, size);
    assert_true(len < size);
    assert_int_equal(strlen(area), len);
    assert_int_equal(area[len - 1], '\n');
    return len;
}

/* Format into a FIT_SIZE-byte buffer a message sized so the whole line
 * (prefix, message, '\n', NUL) needs FIT_SIZE + over bytes. */
static size_t format_fit(char *area, size_t over)
{
    return format_bounded(area, FIT_SIZE, FIT_SIZE - known_prefix_len() - 2 + over);
}

/* Every name parses to its level and back. */
static void test_level_round_trip(void **state)
{
    static const char *const names[] = {"debug", "info", "notice", "warn", "error"};

    (void)state;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pf_log_level_parse(names[i]), i);
        assert_string_equal(pf_log_level_name(i), names[i]);
    }
    assert_int_equal(PF_LOG_DEBUG, 0);
    assert_int_equal(PF_LOG_ERROR, 4);
}

/* Unknown, differently cased, empty or NULL names are -1; unknown levels "?". */
static void test_level_unknown(void **state)
{
    (void)state;
    assert_int_equal(pf_log_level_parse("verbose"), -1);
    assert_int_equal(pf_log_level_parse("INFO"), -1);
    assert_int_equal(pf_log_level_parse("warning"), -1);
    assert_int_equal(pf_log_level_parse(""), -1);
    assert_int_equal(pf_log_level_parse(NULL), -1);
    assert_string_equal(pf_log_level_name(-1), "?");
    assert_string_equal(pf_log_level_name(5), "?");
    assert_string_equal(pf_log_level_name(INT_MAX), "?");
}

/* set_level / get_level store the threshold. */
static void test_level_set_get(void **state)
{
    (void)state;
    pf_log_set_level(PF_LOG_WARN);
    assert_int_equal(pf_log_get_level(), PF_LOG_WARN);
    pf_log_set_level(PF_LOG_INFO);
    assert_int_equal(pf_log_get_level(), PF_LOG_INFO);
}

/* The exact documented layout for a known instant. */
static void test_format_layout(void **state)
{
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    const char *want = KNOWN_STAMP " [info] master[1234]: listening on 127.0.0.1:8080\n";
    char buf[PF_LOG_LINE_MAX];
    size_t n;

    (void)state;
    n = format_line(buf, sizeof(buf), &ts, PF_LOG_INFO, "master", 1234, "listening on %s:%d",
                    "127.0.0.1", 8080);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

/* Each level's name is in brackets; an unknown level prints "[?]". */
static void test_format_levels(void **state)
{
    static const char *const want[] = {
        KNOWN_STAMP " [debug] worker[7]: m\n",  KNOWN_STAMP " [info] worker[7]: m\n",
        KNOWN_STAMP " [notice] worker[7]: m\n", KNOWN_STAMP " [warn] worker[7]: m\n",
        KNOWN_STAMP " [error] worker[7]: m\n",  KNOWN_STAMP " [?] worker[7]: m\n",
    };
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    char buf[256];

    (void)state;
    for (int level = 0; level < 6; level++) {
        format_line(buf, sizeof(buf), &ts, level, "worker", 7, "%c", 'm');
        assert_string_equal(buf, want[level]);
    }
}

/* Milliseconds are truncated, not rounded, and zero-padded. */
static void test_format_milliseconds(void **state)
{
    struct timespec zero = {0, 0};
    struct timespec last = {KNOWN_SEC, 999999999L};
    struct timespec small = {KNOWN_SEC, 7000000L};
    char buf[256];

    (void)state;
    format_line(buf, sizeof(buf), &zero, PF_LOG_ERROR, "master", 1, "%s", "epoch");
    assert_string_equal(buf, "1970-01-01T00:00:00.000+0000 [error] master[1]: epoch\n");
    format_line(buf, sizeof(buf), &last, PF_LOG_INFO, "master", 1, "%s", "x");
    assert_string_equal(buf, "2023-11-14T22:13:20.999+0000 [info] master[1]: x\n");
    format_line(buf, sizeof(buf), &small, PF_LOG_INFO, "master", 1, "%s", "x");
    assert_string_equal(buf, "2023-11-14T22:13:20.007+0000 [info] master[1]: x\n");
}

/* A huge message in a small, exactly-sized buffer: the line is cut to fit
 * and ends in "...\n" (the sanitizer build checks no byte lands past it). */
static void test_format_truncates_small_buffer(void **state)
{
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    char *msg = repeat_char('x', HUGE_LEN);
    char *buf = malloc(64);
    size_t n;

    (void)state;
    assert_non_null(buf);
    n = format_line(buf, 64, &ts, PF_LOG_INFO, "master", 1234, "%s", msg);
    assert_int_equal(n, 63);
    assert_int_equal(strlen(buf), 63);
    assert_memory_equal(buf, KNOWN_STAMP " [info] master[1234]: xx", 50);
    assert_string_equal(buf + 59, "...\n");
    free(buf);
    free(msg);
}

/* The same at the real line size pf_log uses. */
static void test_format_truncates_line_max(void **state)
{
    char area[AREA_LEN];
    size_t n;

    (void)state;
    n = format_bounded(area, PF_LOG_LINE_MAX, HUGE_LEN);
    assert_int_equal(n, PF_LOG_LINE_MAX - 1);
    assert_string_equal(area + n - 4, "...\n");
    assert_int_equal(area[n - 5], 'x');
}

/* The longest message that fits whole: prefix + message + '\n' + NUL
 * fill the buffer exactly, nothing is cut. */
static void test_format_longest_whole(void **state)
{
    char area[AREA_LEN];
    size_t n;

    (void)state;
    n = format_fit(area, 0);
    assert_int_equal(n, FIT_SIZE - 1);
    assert_int_equal(area[n - 2], 'x');
    assert_null(strstr(area, "..."));
}

/* One byte more than fits: the message itself fits vsnprintf's room, but
 * there is no room left for the '\n'. Must be truncated, not overflow. */
static void test_format_one_over(void **state)
{
    char area[AREA_LEN];
    size_t n;

    (void)state;
    n = format_fit(area, 1);
    assert_int_equal(n, FIT_SIZE - 1);
    assert_string_equal(area + n - 4, "...\n");
}

/* A buffer smaller than the prefix, with an empty message: still bounded. */
static void test_format_prefix_longer_than_buffer(void **state)
{
    char area[AREA_LEN];

    (void)state;
    assert_int_equal(format_bounded(area, 16, 0), 15);
}

/* A buffer too small for any line gives 0 and is not touched. */
static void test_format_tiny_buffer(void **state)
{
    struct timespec ts = {KNOWN_SEC, KNOWN_NSEC};
    char buf[8] = "abcdefg";

    (void)state;
    assert_int_equal(format_line(buf, 7, &ts, PF_LOG_INFO, "master", 1, "%s", "x"), 0);
    assert_string_equal(buf, "abcdefg");
}

/* Open path as the log file, failing the test on error. */
static void open_log(const char *path)
{
    char err[512] = "";

    assert_int_equal(pf_log_open(path, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_not_equal(pf_log_fd(), STDERR_FILENO);
}

/* content is exactly one pf_log line "STAMP [level] test[PID]: text\n". */
static void assert_one_line(const char *content, const char *level, const char *text)
{
    char want[512];

    snprintf(want, sizeof(want), " [%s] test[%ld]: %s\n", level, (long)getpid(), text);
    assert_int_equal(strlen(content), STAMP_LEN + strlen(want));
    assert_string_equal(content + STAMP_LEN, want);
    assert_memory_equal(content + 19, ".", 1);
    assert_memory_equal(content + 23, "+0000", 5);
}

/* Log to dir/name (full path into path), failing the test on error. */
static void open_tmp_log(const struct log_fixture *fx, const char *name, char *path, size_t size)
{
    tmp_path(fx, name, path, size);
    open_log(path);
}

/* The file at path holds, from offset skip on, exactly one line. */
static void assert_file_line(const char *path, size_t skip, const char *level, const char *text)
{
    char content[4096];

    assert_true(slurp(path, content, sizeof(content)) > (ssize_t)skip);
    assert_one_line(content + skip, level, text);
}

/* Lines reach the file; a debug line is dropped at level info. */
static void test_file_level_filter(void **state)
{
    char path[PATH_MAX + 32];

    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    pf_log_debug("dropped %d", 1);
    pf_log_info("kept %d", 2);
    assert_file_line(path, 0, "info", "kept 2");
}

/* Raising the threshold to error drops warn and info lines. */
static void test_file_level_change(void **state)
{
    char path[PATH_MAX + 32];

    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    pf_log_set_level(PF_LOG_ERROR);
    pf_log_warn("dropped");
    pf_log_info("dropped");
    pf_log_error("kept");
    assert_file_line(path, 0, "error", "kept");
}

/* A new file is created with mode 0640 (umask 022 takes nothing away). */
static void test_file_created_mode(void **state)
{
    char path[PATH_MAX + 32];
    struct stat st;
    mode_t old = umask(022);

    open_tmp_log(*state, "new.log", path, sizeof(path));
    umask(old);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
}

/* An existing file is appended to, never truncated. */
static void test_file_appends(void **state)
{
    char path[PATH_MAX + 32];
    char content[8];
    int fd;

    tmp_path(*state, "old.log", path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "old\n", 4), 4);
    close(fd);
    open_log(path);
    pf_log_notice("new");
    assert_true(slurp(path, content, sizeof(content)) > 4);
    assert_memory_equal(content, "old\n", 4);
    assert_file_line(path, 4, "notice", "new");
}

/* A symlink where the log file should be is refused (O_NOFOLLOW): the
 * error names the path, the target is not created, and the previous
 * destination stays in use. */
static void test_file_refuses_symlink(void **state)
{
    char good[PATH_MAX + 32], link[PATH_MAX + 32], target[PATH_MAX + 32];
    char err[PATH_MAX + 256] = "";
    int fd;

    tmp_path(*state, "evil.log", link, sizeof(link));
    tmp_path(*state, "target", target, sizeof(target));
    assert_int_equal(symlink(target, link), 0);
    open_tmp_log(*state, "good.log", good, sizeof(good));
    fd = pf_log_fd();
    assert_int_equal(pf_log_open(link, err, sizeof(err)), -1);
    assert_non_null(strstr(err, link));
    assert_non_null(strstr(err, strerror(ELOOP)));
    assert_int_equal(access(target, F_OK), -1);
    assert_int_equal(pf_log_fd(), fd);
    pf_log_info("still here");
    assert_file_line(good, 0, "info", "still here");
}

/* A path that cannot be opened leaves stderr in place and says why. */
static void test_file_open_failure_keeps_stderr(void **state)
{
    char path[PATH_MAX + 32];
    char err[PATH_MAX + 256] = "";

    tmp_path(*state, "missing/dir/x.log", path, sizeof(path));
    assert_int_equal(pf_log_open(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, strerror(ENOENT)));
    assert_int_equal(pf_log_fd(), STDERR_FILENO);
}

/* logrotate: rename the file, reopen; new lines go to a fresh file at the
 * original path, the renamed file keeps only the old lines. */
static void test_file_reopen_after_rename(void **state)
{
    char path[PATH_MAX + 32], rotated[PATH_MAX + 32];
    char err[512] = "";
    char content[4096];

    tmp_path(*state, "preforkd.log.1", rotated, sizeof(rotated));
    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    pf_log_info("before");
    assert_int_equal(rename(path, rotated), 0);
    pf_log_info("between");
    assert_int_equal(pf_log_reopen(err, sizeof(err)), 0);
    assert_string_equal(err, "");
    pf_log_info("after");
    assert_file_line(path, 0, "info", "after");
    assert_true(slurp(rotated, content, sizeof(content)) > 0);
    assert_non_null(strstr(content, "]: before\n"));
    assert_non_null(strstr(content, "]: between\n"));
    assert_null(strstr(content, "after"));
}

/* Reopen while logging to stderr is a no-op that succeeds. */
static void test_reopen_stderr_noop(void **state)
{
    char err[64] = "";

    (void)state;
    pf_log_close();
    assert_int_equal(pf_log_reopen(err, sizeof(err)), 0);
    assert_int_equal(pf_log_fd(), STDERR_FILENO);
    assert_string_equal(err, "");
}

/* Close (and open of NULL or "") fall back to stderr, descriptor 2. */
static void test_close_falls_back_to_stderr(void **state)
{
    char path[PATH_MAX + 32];
    char err[64] = "";

    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    pf_log_close();
    assert_int_equal(pf_log_fd(), STDERR_FILENO);
    open_log(path);
    assert_int_equal(pf_log_open("", err, sizeof(err)), 0);
    assert_int_equal(pf_log_fd(), STDERR_FILENO);
    open_log(path);
    assert_int_equal(pf_log_open(NULL, err, sizeof(err)), 0);
    assert_int_equal(pf_log_fd(), STDERR_FILENO);
}

/* pf_log keeps errno: logging in an error path must not clobber it. */
static void test_log_preserves_errno(void **state)
{
    char path[PATH_MAX + 32];

    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    errno = EPIPE;
    pf_log_info("keeps errno");
    assert_int_equal(errno, EPIPE);
}

/* A line of n bytes: n - 1 times ch, then '\n'. */
static void make_line(char *buf, size_t n, char ch)
{
    memset(buf, ch, n - 1);
    buf[n - 1] = '\n';
}

/* Open path (in the fixture's folder) as every log is opened. */
static int open_append(void **state, const char *name)
{
    char path[PATH_MAX + 32], err[PATH_MAX + 256];
    int fd;

    tmp_path(*state, name, path, sizeof(path));
    fd = pf_log_open_append("test log", path, err, sizeof(err));
    assert_true(fd >= 0);
    return fd;
}

/* The file fills up in the middle of a line (RLIMIT_FSIZE stands for a
 * full disk: writes past it are cut short, then fail). The fragment is
 * ended by the next line written once there is room again, whoever
 * writes it (fd2 stands for another process appending to the same file,
 * which also saw a write fail meanwhile); a line that could not be
 * written at all is dropped; once a line ends the file again, nothing is
 * added. */
static void test_write_line_cut(void **state)
{
    char path[PATH_MAX + 32], a[100], b[100], c[100], d[100], e[100], want[500], got[500];
    struct rlimit saved, small;
    bool failed = false, failed2 = false;
    void (*old)(int);
    int fd = open_append(state, "full.log"), fd2 = open_append(state, "full.log");

    tmp_path(*state, "full.log", path, sizeof(path));
    make_line(a, sizeof(a), 'a');
    make_line(b, sizeof(b), 'b');
    make_line(c, sizeof(c), 'c');
    make_line(d, sizeof(d), 'd');
    make_line(e, sizeof(e), 'e');
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = (struct rlimit){150, saved.rlim_max};
    old = signal(SIGXFSZ, SIG_IGN); /* past the limit: EFBIG rather than the signal */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    pf_log_write_line(fd, a, sizeof(a), &failed); /* whole */
    assert_false(failed);
    pf_log_write_line(fd, b, sizeof(b), &failed); /* 50 bytes of it */
    assert_true(failed);
    pf_log_write_line(fd2, c, sizeof(c), &failed2); /* none: dropped */
    assert_true(failed2);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old);
    pf_log_write_line(fd2, d, sizeof(d), &failed2); /* "\n" ends b's fragment, then d */
    assert_false(failed2);
    pf_log_write_line(fd, e, sizeof(e), &failed); /* the file ends a line: e alone */
    assert_false(failed);
    close(fd);
    close(fd2);
    memcpy(want, a, 100);
    memcpy(want + 100, b, 50);
    want[150] = '\n';
    memcpy(want + 151, d, 100);
    memcpy(want + 251, e, 100);
    assert_int_equal(slurp(path, got, sizeof(got)), 351);
    assert_memory_equal(got, want, 351);
}

/* Nothing can be written at all (/dev/full: ENOSPC): every line is
 * dropped, and the caller goes on. */
static void test_write_line_full_device(void **state)
{
    bool failed = false;
    int fd = open("/dev/full", O_RDWR | O_APPEND | O_CLOEXEC);

    (void)state;
    if (fd < 0)
        skip(); /* no /dev/full here */
    for (int i = 0; i < 100; i++)
        pf_log_write_line(fd, "dropped\n", 8, &failed);
    assert_true(failed);
    close(fd);
}

/* What the tap of the tests below saw. */
struct tap_seen {
    int calls, level;
    char msg[64];
};

static void tap_record(void *ctx, int level, const struct timespec *when, const char *msg)
{
    struct tap_seen *seen = ctx;

    assert_true(when->tv_sec > 0);
    seen->calls++;
    seen->level = level;
    snprintf(seen->msg, sizeof(seen->msg), "%s", msg);
}

/* The tap gets the message alone, from its level up, even below the
 * log's own level; lines under its level pass it by. */
static void test_tap_levels(void **state)
{
    char path[PATH_MAX + 32];
    struct tap_seen seen = {0};
    char content[256];

    open_tmp_log(*state, "preforkd.log", path, sizeof(path));
    pf_log_set_level(PF_LOG_ERROR);
    pf_log_set_tap(PF_LOG_NOTICE, tap_record, &seen);
    pf_log_info("not an event");
    assert_int_equal(seen.calls, 0);
    pf_log_notice("reload: generation %d", 2);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.level, PF_LOG_NOTICE);
    assert_string_equal(seen.msg, "reload: generation 2");
    assert_int_equal(slurp(path, content, sizeof(content)), 0); /* below the log's level */
    pf_log_error("worker %d failed", 7);
    assert_int_equal(seen.calls, 2);
    assert_string_equal(seen.msg, "worker 7 failed");
    assert_file_line(path, 0, "error", "worker 7 failed");
    pf_log_set_tap(PF_LOG_NOTICE, NULL, NULL);
    pf_log_error("no tap");
    assert_int_equal(seen.calls, 2);
}

/* A forked child's lines do not reach the tap its parent set. */
static void test_tap_not_in_child(void **state)
{
    struct tap_seen seen = {0};
    int status;
    pid_t pid;

    (void)state;
    pf_log_set_tap(PF_LOG_DEBUG, tap_record, &seen);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pf_log_set_level(PF_LOG_ERROR + 1); /* nothing written */
        pf_log_error("from the child");
        _exit(seen.calls == 0 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pf_log_set_tap(PF_LOG_NOTICE, NULL, NULL);
}

#define TMP_TEST(f) cmocka_unit_test_setup_teardown(f, setup_tmpdir, teardown_tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_round_trip),
        cmocka_unit_test(test_level_unknown),
        cmocka_unit_test(test_level_set_get),
        cmocka_unit_test(test_format_layout),
        cmocka_unit_test(test_format_levels),
        cmocka_unit_test(test_format_milliseconds),
        cmocka_unit_test(test_format_truncates_small_buffer),
        cmocka_unit_test(test_format_truncates_line_max),
        cmocka_unit_test(test_format_longest_whole),
        cmocka_unit_test(test_format_one_over),
        cmocka_unit_test(test_format_prefix_longer_than_buffer),
        cmocka_unit_test(test_format_tiny_buffer),
        TMP_TEST(test_file_level_filter),
        TMP_TEST(test_file_level_change),
        TMP_TEST(test_file_created_mode),
        TMP_TEST(test_file_appends),
        TMP_TEST(test_file_refuses_symlink),
        TMP_TEST(test_file_open_failure_keeps_stderr),
        TMP_TEST(test_file_reopen_after_rename),
        TMP_TEST(test_reopen_stderr_noop),
        TMP_TEST(test_close_falls_back_to_stderr),
        TMP_TEST(test_log_preserves_errno),
        TMP_TEST(test_write_line_cut),
        cmocka_unit_test(test_write_line_full_device),
        TMP_TEST(test_tap_levels),
        cmocka_unit_test(test_tap_not_in_child),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
