/* pf_harness_log: the daemon's log (its stdout and stderr): read it, count
 * or wait for a needle, the word after one, abnormal worker exits, and
 * its end printed for failures. Public functions are documented in
 * pf_harness_log.h. */
#include "pf_harness_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_harness_internal.h"
#include "pf_time.h"

char *pf_h_log_read(const struct pf_server *s)
{
    return h_read_file(s->log_path);
}

/* Occurrences of needle in text. */
int h_count(const char *text, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);

    for (const char *p = text; len > 0 && (p = strstr(p, needle)) != NULL; p += len)
        n++;
    return n;
}

int pf_h_log_count(const struct pf_server *s, const char *needle)
{
    char *log = pf_h_log_read(s);
    int n = log != NULL ? h_count(log, needle) : 0;

    free(log);
    return n;
}

bool pf_h_log_contains(const struct pf_server *s, const char *needle)
{
    return pf_h_log_count(s, needle) > 0;
}

int pf_h_wait_log_count(const struct pf_server *s, const char *needle, int n, int timeout_ms)
{
    int64_t deadline = pf_time_now_ms() + timeout_ms;
    int have;

    while ((have = pf_h_log_count(s, needle)) < n) {
        if (pf_time_now_ms() >= deadline) {
            pf_h_note("log has \"%s\" %d time(s), wanted %d, after %d ms", needle, have, n,
                      timeout_ms);
            return -1;
        }
        h_pause();
    }
    return 0;
}

int pf_h_wait_log(const struct pf_server *s, const char *needle, int timeout_ms)
{
    return pf_h_wait_log_count(s, needle, 1, timeout_ms);
}

int pf_h_log_word_after(const struct pf_server *s, const char *needle, bool last, char *out,
                        size_t size)
{
    char *log = pf_h_log_read(s);
    const char *p = log ? strstr(log, needle) : NULL;
    size_t n;

    for (const char *q = p; last && q != NULL; q = strstr(q + 1, needle))
        p = q;
    if (p == NULL) {
        free(log);
        return -1;
    }
    p += strlen(needle);
    n = strcspn(p, " \n");
    if (n == 0 || n >= size || p[n] == '\0') { /* none, too long, or the line not complete */
        free(log);
        return -1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    free(log);
    return 0;
}

int pf_h_log_abnormal_exits(const struct pf_server *s)
{
    char *log = pf_h_log_read(s);
    int n = 0;

    if (log == NULL)
        return 0;
    for (char *line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        const char *ex = strstr(line, "exited with status ");
        if (strstr(line, "killed by signal") != NULL ||
            (ex != NULL && atoi(ex + strlen("exited with status ")) != 0))
            n++;
    }
    free(log);
    return n;
}

void pf_h_log_dump(const struct pf_server *s, int nlines)
{
    char *log = pf_h_log_read(s);
    const char *p;
    int seen = 0;

    if (log == NULL) {
        pf_h_note("(no log at %s)", s->log_path);
        return;
    }
    p = log + strlen(log);
    while (p > log && seen <= nlines)
        if (*--p == '\n')
            seen++;
    if (*p == '\n')
        p++;
    fprintf(stderr, "----- %s\n%s----- end of log\n", s->log_path, p);
    free(log);
}
