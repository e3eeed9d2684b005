/* pf_log: leveled logging for master and workers.
 *
 * One line per event:
 *   2026-11-21T08:54:45.123+0000 [info] master[1234]: listening on 127.0.0.1:8080
 * Each line is formatted into one buffer and written with a single call
 * on an O_APPEND descriptor, so lines from many processes never interleave
 * mid-line. Not async-signal-safe: preforkd never logs from a signal handler.
 */
#ifndef PF_LOG_H
#define PF_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

enum pf_log_level {
    PF_LOG_DEBUG = 0,
    PF_LOG_INFO,
    PF_LOG_NOTICE,
    PF_LOG_WARN,
    PF_LOG_ERROR,
};

/* Longest line written; longer messages are truncated and end in "...". */
#define PF_LOG_LINE_MAX 2048

/* "debug", "info", "notice", "warn", "error" -> level; -1 when unknown. */
int pf_log_level_parse(const char *name);
const char *pf_log_level_name(int level);

/* Process role printed in each line ("master", "worker"); pid is read at
 * each call, so a forked child only has to change the role. */
void pf_log_set_role(const char *role);
void pf_log_set_level(int level);
int pf_log_get_level(void);

/* Send lines to path (opened as pf_log_open_append opens it), or to stderr when path is NULL or "". On failure writes the
 * reason into err and keeps the previous destination. */
int pf_log_open(const char *path, char *err, size_t errlen);

/* Open a log file for appending (O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW,
 * mode 0640; read and write, or write only when reading is not allowed),
 * as every log of preforkd is: an fd, or -1 with "cannot open WHAT PATH:
 * REASON" in err. */
int pf_log_open_append(const char *what, const char *path, char *err, size_t errlen);

/* Send lines to fd from now on (an fd pf_log_open_append gave, now owned
 * by the log; path is remembered for pf_log_reopen), closing the
 * previous file. */
void pf_log_use(int fd, const char *path);

/* Reopen the current file (after logrotate moved it); no-op for stderr. */
int pf_log_reopen(char *err, size_t errlen);

/* The descriptor lines go to (stderr's 2 when no file is open). */
int pf_log_fd(void);

/* Close the log file (if any) and fall back to stderr. */
void pf_log_close(void);

/* Append one line (len bytes ending in '\n') to fd with a single call, as
 * every log of preforkd does; nothing is reported, since a full disk must
 * never stop serving: a line that cannot be written is dropped. A line
 * cut short (the disk filled up in its middle) leaves a fragment without
 * its newline. *failed (the caller's, per file, false at first) says the
 * last write there was not whole; the next one then looks at the file's
 * last byte and, if a fragment ends it (this process's or another's),
 * starts with a newline, so that the line is not glued onto it. */
void pf_log_write_line(int fd, const char *line, size_t len, bool *failed);

/* An observer of the log: called with each message (the text alone,
 * without time, level and role) at min_level or above, whatever the log
 * level, in the process that set it only (a forked child's lines do not
 * reach it). The master keeps its recent events this way (pf_events).
 * fn NULL removes it. */
typedef void (*pf_log_tap_fn)(void *ctx, int level, const struct timespec *when, const char *msg);
void pf_log_set_tap(int min_level, pf_log_tap_fn fn, void *ctx);

void pf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pf_log_v(int level, const char *fmt, va_list ap);

/* Pure formatter behind pf_log, exposed for tests: formats one line
 * (terminated by '\n') into buf and returns its length (< size). */
size_t pf_log_format(char *buf, size_t size, const struct timespec *now, int level,
                     const char *role, pid_t pid, const char *fmt, va_list ap);

#define pf_log_debug(...) pf_log(PF_LOG_DEBUG, __VA_ARGS__)
#define pf_log_info(...) pf_log(PF_LOG_INFO, __VA_ARGS__)
#define pf_log_notice(...) pf_log(PF_LOG_NOTICE, __VA_ARGS__)
#define pf_log_warn(...) pf_log(PF_LOG_WARN, __VA_ARGS__)
#define pf_log_error(...) pf_log(PF_LOG_ERROR, __VA_ARGS__)

#endif
