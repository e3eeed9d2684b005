/* pf_log: leveled log lines to stderr or a file, one write() per line. */
#include "pf_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "notice", "warn", "error"};
#define LEVEL_COUNT ((int)(sizeof(level_names) / sizeof(level_names[0])))

static struct {
    int fd; /* -1: stderr */
    int level;
    const char *role;
    bool failed; /* the last line could not be written whole */
    char path[4096];
} log_state = {-1, PF_LOG_INFO, "master", false, ""};

static struct {
    pf_log_tap_fn fn; /* NULL: none */
    void *ctx;
    int min_level;
    pid_t pid; /* the process that set it */
} log_tap;

void pf_log_set_tap(int min_level, pf_log_tap_fn fn, void *ctx)
{
    log_tap.fn = fn;
    log_tap.ctx = ctx;
    log_tap.min_level = min_level;
    log_tap.pid = getpid();
}

/* Hand the message alone to the tap, when one wants it. */
static void log_to_tap(int level, const struct timespec *now, const char *fmt, va_list ap)
{
    char msg[PF_LOG_LINE_MAX];

    if (log_tap.fn == NULL || level < log_tap.min_level || getpid() != log_tap.pid)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_tap.fn(log_tap.ctx, level, now, msg);
}

/* Name -> level, so the config and the CLI share one spelling. */
int pf_log_level_parse(const char *name)
{
    for (int i = 0; i < LEVEL_COUNT; i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *pf_log_level_name(int level)
{
    return level >= 0 && level < LEVEL_COUNT ? level_names[level] : "?";
}

void pf_log_set_role(const char *role)
{
    log_state.role = role;
}
void pf_log_set_level(int level)
{
    log_state.level = level;
}
int pf_log_get_level(void)
{
    return log_state.level;
}
int pf_log_fd(void)
{
    return log_state.fd >= 0 ? log_state.fd : STDERR_FILENO;
}

/* Open path for appending without following a symlink an attacker could
 * have planted where the log file should be. */
int pf_log_open_append(const char *what, const char *path, char *err, size_t errlen)
{
    /* Readable too where allowed: after a failed write, pf_log_write_line
     * reads the file's last byte. */
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

    if (fd < 0 && errno == EACCES)
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
    return fd;
}

int pf_log_open(const char *path, char *err, size_t errlen)
{
    int fd;

    if (path == NULL || path[0] == '\0') {
        pf_log_close();
        return 0;
    }
    if (strlen(path) >= sizeof(log_state.path)) {
        snprintf(err, errlen, "log file path too long");
        return -1;
    }
    fd = pf_log_open_append("log file", path, err, errlen);
    if (fd < 0)
        return -1;
    pf_log_use(fd, path);
    return 0;
}

/* The second half of pf_log_open, for a caller that opened the file
 * earlier (a reload opens it before anything else can fail). */
void pf_log_use(int fd, const char *path)
{
    pf_log_close();
    log_state.fd = fd;
    snprintf(log_state.path, sizeof(log_state.path), "%s", path);
}

/* Reopen by name: after logrotate renamed the file, new lines go to a new
 * file at the configured path. The old descriptor is kept on failure. */
int pf_log_reopen(char *err, size_t errlen)
{
    int fd;

    if (log_state.fd < 0)
        return 0;
    fd = pf_log_open_append("log file", log_state.path, err, errlen);
    if (fd < 0)
        return -1;
    dup2(fd, log_state.fd);
    close(fd);
    log_state.failed = false; /* a new file */
    return 0;
}

void pf_log_close(void)
{
    if (log_state.fd >= 0)
        close(log_state.fd);
    log_state.fd = -1;
    log_state.path[0] = '\0';
    log_state.failed = false;
}

/* "2026-11-21T08:54:45.123+0000 [info] master[1234]: text\n" */
size_t pf_log_format(char *buf, size_t size, const struct timespec *now, int level,
                     const char *role, pid_t pid, const char *fmt, va_list ap)
{
    struct tm tm;
    char stamp[40];
    size_t n;
    int w;

    if (size < 8)
        return 0;
    localtime_r(&now->tv_sec, &tm);
    n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(stamp + n, sizeof(stamp) - n, ".%03ld", now->tv_nsec / 1000000L);
    if (w > 0)
        n += (size_t)w;
    strftime(stamp + n, sizeof(stamp) - n, "%z", &tm);
    /* Keep two bytes back for "\n\0": prefix and text get size - 2 at most. */
    w = snprintf(buf, size - 1, "%s [%s] %s[%ld]: ", stamp, pf_log_level_name(level), role,
                 (long)pid);
    n = w < 0 ? 0 : (size_t)w > size - 2 ? size - 2 : (size_t)w;
    w = vsnprintf(buf + n, size - 1 - n, fmt, ap);
    if (w >= 0 && (size_t)w >= size - 1 - n) {
        /* Truncated: end in "..." so a reader knows the line was cut. */
        memcpy(buf + size - 5, "...", 3);
        n = size - 2;
    } else if (w > 0) {
        n += (size_t)w;
    }
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

/* Whether the regular file fd appends to ends in the middle of a line: a
 * write cut short, by this process or another one appending to the same
 * file, left a fragment there. False when it cannot be told (not a
 * regular file, or fd not open for reading). */
static bool log_ends_mid_line(int fd)
{
    struct stat st;
    char last;

    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
           pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

void pf_log_write_line(int fd, const char *line, size_t len, bool *failed)
{
    static char newline[] = "\n";
    struct iovec iov[2] = {{.iov_base = newline, .iov_len = 1},
                           {.iov_base = (void *)(uintptr_t)line, .iov_len = len}};
    int skip = *failed && log_ends_mid_line(fd) ? 0 : 1;
    ssize_t n = writev(fd, iov + skip, 2 - skip);

    *failed = n < 0 || (size_t)n < len + (size_t)(1 - skip);
}

void pf_log_v(int level, const char *fmt, va_list ap)
{
    char line[PF_LOG_LINE_MAX];
    struct timespec now;
    size_t n;
    int saved = errno;
    va_list copy;

    if (level < log_state.level && (log_tap.fn == NULL || level < log_tap.min_level))
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    va_copy(copy, ap);
    log_to_tap(level, &now, fmt, copy);
    va_end(copy);
    if (level >= log_state.level) {
        n = pf_log_format(line, sizeof(line), &now, level, log_state.role, getpid(), fmt, ap);
        pf_log_write_line(pf_log_fd(), line, n, &log_state.failed);
    }
    errno = saved;
}

void pf_log(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pf_log_v(level, fmt, ap);
    va_end(ap);
}
