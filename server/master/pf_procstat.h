/* pf_procstat: a process's CPU time, resident memory and start time, from
 * the text of /proc/PID/stat (pure: the caller reads the file,
 * pf_stats_process).
 *
 * The line is "PID (COMM) STATE PPID ..." with COMM free text (spaces and
 * parentheses allowed), so fields are counted from the last ')'. Field
 * numbers as proc(5) gives them: utime 14, stime 15 (clock ticks),
 * starttime 22 (ticks after boot), rss 24 (pages).
 */
#ifndef PF_PROCSTAT_H
#define PF_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct pf_procstat {
    uint64_t utime_ticks, stime_ticks; /* CPU time in user and kernel mode */
    uint64_t start_ticks;              /* when it started, ticks after boot */
    uint64_t rss_pages;                /* resident pages */
};

/* Parse text (len bytes, no NUL needed). 0, or -1 with out zeroed and
 * the reason in err ("no ')' after the command", "field 24 is missing",
 * "field 14 is not a number"). */
int pf_procstat_parse(const char *text, size_t len, struct pf_procstat *out, char *err,
                      size_t errlen);

#endif
