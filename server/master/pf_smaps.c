/* pf_smaps: Rss, Pss and private memory from the text of
 * /proc/PID/smaps_rollup. */
#include "pf_smaps.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The figures read, by their line's name: added into the field (the two
 * Private_ lines make one figure). */
static const struct {
    const char *name; /* the line's, before its colon */
    size_t off;
    bool required;
} smaps_fields[] = {
    {"Rss", offsetof(struct pf_smaps, rss_kib), true},
    {"Pss", offsetof(struct pf_smaps, pss_kib), true},
    {"Private_Clean", offsetof(struct pf_smaps, private_kib), false},
    {"Private_Dirty", offsetof(struct pf_smaps, private_kib), false},
};

#define SMAPS_FIELDS (sizeof(smaps_fields) / sizeof(smaps_fields[0]))

/* The value of a line's rest, "   1696 kB": blanks, digits, one or more
 * blanks, "kB", trailing blanks. false when it is anything else. */
static bool smaps_kib(const char *p, const char *end, uint64_t *v)
{
    size_t digits = 0;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    for (*v = 0; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        uint64_t d = (uint64_t)(*p - '0');

        if (*v > (UINT64_MAX - d) / 10)
            return false;
        *v = *v * 10 + d;
    }
    if (digits == 0 || p == end || (*p != ' ' && *p != '\t'))
        return false;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 2 || memcmp(p, "kB", 2) != 0)
        return false;
    for (p += 2; p < end && (*p == ' ' || *p == '\t' || *p == '\r'); p++) {
    }
    return p == end;
}

int pf_smaps_parse(const char *text, size_t len, struct pf_smaps *out, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    bool seen[SMAPS_FIELDS] = {false};

    memset(out, 0, sizeof(*out));
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (eol == NULL)
            eol = end;
        for (size_t i = 0; i < SMAPS_FIELDS; i++) {
            size_t n = strlen(smaps_fields[i].name);
            uint64_t *v = (uint64_t *)(void *)((char *)out + smaps_fields[i].off), kib;

            if (seen[i] || (size_t)(eol - p) <= n || memcmp(p, smaps_fields[i].name, n) != 0 ||
                p[n] != ':')
                continue;
            if (!smaps_kib(p + n + 1, eol, &kib) || *v > UINT64_MAX - kib) {
                snprintf(err, errlen, "%s is not a number of kB", smaps_fields[i].name);
                memset(out, 0, sizeof(*out));
                return -1;
            }
            *v += kib;
            seen[i] = true;
        }
        p = eol + (eol < end);
    }
    for (size_t i = 0; i < SMAPS_FIELDS; i++)
        if (!seen[i] && smaps_fields[i].required) {
            snprintf(err, errlen, "no %s line", smaps_fields[i].name);
            memset(out, 0, sizeof(*out));
            return -1;
        }
    return 0;
}
