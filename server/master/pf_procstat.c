/* pf_procstat: figures from the text of /proc/PID/stat. */
#include "pf_procstat.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The fields kept, by their number in proc(5). */
static const struct {
    int field;
    size_t off;
} procstat_fields[] = {
    {14, offsetof(struct pf_procstat, utime_ticks)},
    {15, offsetof(struct pf_procstat, stime_ticks)},
    {22, offsetof(struct pf_procstat, start_ticks)},
    {24, offsetof(struct pf_procstat, rss_pages)},
};

#define PROCSTAT_LAST 24

/* The decimal number at text[*i..len) (then *i past it); -1 when none or
 * too large. */
static int procstat_number(const char *text, size_t len, size_t *i, uint64_t *v)
{
    size_t start = *i;

    *v = 0;
    for (; *i < len && text[*i] >= '0' && text[*i] <= '9'; (*i)++) {
        uint64_t d = (uint64_t)(text[*i] - '0');

        if (*v > (UINT64_MAX - d) / 10)
            return -1;
        *v = *v * 10 + d;
    }
    return *i > start ? 0 : -1;
}

int pf_procstat_parse(const char *text, size_t len, struct pf_procstat *out, char *err,
                      size_t errlen)
{
    size_t i = len, k = 0;
    int field = 2; /* the field that ends at the last ')' */

    memset(out, 0, sizeof(*out));
    while (i > 0 && text[i - 1] != ')')
        i--;
    if (i == 0) {
        snprintf(err, errlen, "no ')' after the command");
        return -1;
    }
    while (field < PROCSTAT_LAST && k < sizeof(procstat_fields) / sizeof(procstat_fields[0])) {
        uint64_t v;
        size_t at;

        if (i >= len || text[i] != ' ') {
            snprintf(err, errlen, "field %d is missing", field + 1);
            memset(out, 0, sizeof(*out));
            return -1;
        }
        at = ++i;
        field++;
        if (field != procstat_fields[k].field) { /* skip it (it may be "-1", or a letter) */
            while (i < len && text[i] != ' ' && text[i] != '\n')
                i++;
            continue;
        }
        if (procstat_number(text, len, &at, &v) < 0 ||
            (at < len && text[at] != ' ' && text[at] != '\n')) {
            snprintf(err, errlen, "field %d is not a number", field);
            memset(out, 0, sizeof(*out));
            return -1;
        }
        *(uint64_t *)((char *)out + procstat_fields[k++].off) = v;
        i = at;
    }
    return 0;
}
