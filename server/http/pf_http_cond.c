/* pf_http_cond: dates, validators, conditionals, ranges (see pf_http_cond.h).
 *
 * Everything reads (pointer, length) slices and never past them; nothing
 * allocates or depends on the locale (own day and month name tables, own
 * digit readers; timegm and gmtime_r for the calendar).
 *
 * Choices where the contract is silent:
 *  - dates: names are case-sensitive as in the RFC 9110 ABNF; the day name
 *    is not checked against the date; the day must exist in its month
 *    (no Feb 30); second 60 (leap second) is accepted and counts as the
 *    next minute's 00; no leading or trailing bytes are allowed;
 *  - RFC 850 two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999 (a
 *    fixed pivot, so the function stays pure; RFC 9110 asks for a window
 *    relative to the current year, which this matches only around 2020);
 *  - formatting clamps years to 0000-9999, the range IMF-fixdate can write;
 *  - the etag's mtime is seconds * 1e9 + nanoseconds in unsigned 64-bit
 *    arithmetic (wraps only for mtimes past the year 2554); a buffer too
 *    small for the tag gets "" and length 0;
 *  - If-None-Match: a list that is not valid syntax ("*" inside a list,
 *    an unquoted tag) matches nothing, and If-Modified-Since is still
 *    ignored since If-None-Match is present;
 *  - Range: the unit is case-insensitive ("Bytes=" is fine, RFC 9110
 *    14.1); numbers saturate at the largest off_t, which keeps every
 *    answer right (a huge first is past the end, a huge last is clamped,
 *    a huge suffix is the whole file) except "bytes=X-Y" with both X and Y
 *    past the largest off_t, which is UNSATISFIABLE even when X > Y;
 *  - *first and *last are written only for PF_HTTP_RANGE_OK.
 */
#include "pf_http_cond.h"

#include <stdint.h>
#include <string.h>

#define COND_OFF_MAX ((off_t)(((uint64_t)1 << (sizeof(off_t) * 8 - 1)) - 1))
#define COND_NSEC 1000000000ull

static const char cond_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const cond_days_long[7] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};
static const char cond_months[12][4] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* The fields of a date as read, before they become a time_t. */
struct cond_date {
    int year, month, day; /* month 0-11 */
    int hour, min, sec;
};

/* Write v (0 <= v < 10^width) as width decimal digits. */
static void cond_put_digits(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Broken-down UTC time of t with the year kept within 0000-9999. */
static void cond_gmtime(time_t t, struct tm *tm)
{
    static const struct tm lowest = {.tm_mday = 1, .tm_year = -1900, .tm_wday = 6};
    static const struct tm highest = {.tm_sec = 59,
                                      .tm_min = 59,
                                      .tm_hour = 23,
                                      .tm_mday = 31,
                                      .tm_mon = 11,
                                      .tm_year = 9999 - 1900,
                                      .tm_wday = 5};

    if (!gmtime_r(&t, tm))
        *tm = t < 0 ? lowest : highest;
    else if (tm->tm_year < -1900)
        *tm = lowest;
    else if (tm->tm_year > 9999 - 1900)
        *tm = highest;
}

void pf_http_cond_date_format(time_t t, char out[PF_HTTP_DATE_LEN + 1])
{
    struct tm tm;

    cond_gmtime(t, &tm);
    memcpy(out, cond_days[tm.tm_wday], 3);
    memcpy(out + 3, ", ", 2);
    cond_put_digits(out + 5, tm.tm_mday, 2);
    out[7] = ' ';
    memcpy(out + 8, cond_months[tm.tm_mon], 3);
    out[11] = ' ';
    cond_put_digits(out + 12, tm.tm_year + 1900, 4);
    out[16] = ' ';
    cond_put_digits(out + 17, tm.tm_hour, 2);
    out[19] = ':';
    cond_put_digits(out + 20, tm.tm_min, 2);
    out[22] = ':';
    cond_put_digits(out + 23, tm.tm_sec, 2);
    memcpy(out + 25, " GMT", 5);
}

/* Exactly n decimal digits at s into *v (n <= 4, so no overflow). */
static bool cond_digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* Index of the 3-letter month name at s, or -1. */
static int cond_month(const char *s)
{
    for (int i = 0; i < 12; i++) {
        if (memcmp(s, cond_months[i], 3) == 0)
            return i;
    }
    return -1;
}

/* True when the 3-letter day name at s is one of the seven. */
static bool cond_day_short(const char *s)
{
    for (int i = 0; i < 7; i++) {
        if (memcmp(s, cond_days[i], 3) == 0)
            return true;
    }
    return false;
}

/* True when s[0..n) is one of the seven full day names. */
static bool cond_day_long(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++) {
        if (strlen(cond_days_long[i]) == n && memcmp(s, cond_days_long[i], n) == 0)
            return true;
    }
    return false;
}

/* "HH:MM:SS" at s (8 bytes) into d. */
static bool cond_time_of_day(const char *s, struct cond_date *d)
{
    return cond_digits(s, 2, &d->hour) && s[2] == ':' && cond_digits(s + 3, 2, &d->min) &&
           s[5] == ':' && cond_digits(s + 6, 2, &d->sec);
}

/* Days in month m (0-11) of year y, Gregorian. */
static int cond_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 1 && leap ? 29 : days[m];
}

/* Check the fields' ranges and turn them into a time_t. */
static int cond_date_make(const struct cond_date *d, time_t *t)
{
    struct tm tm = {0};

    if (d->month < 0 || d->day < 1 || d->day > cond_month_days(d->year, d->month) || d->hour > 23 ||
        d->min > 59 || d->sec > 60)
        return -1;
    tm.tm_year = d->year - 1900;
    tm.tm_mon = d->month;
    tm.tm_mday = d->day;
    tm.tm_hour = d->hour;
    tm.tm_min = d->min;
    tm.tm_sec = d->sec;
    *t = timegm(&tm);
    return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 bytes). */
static int cond_parse_imf(const char *s, time_t *t)
{
    struct cond_date d;

    if (!cond_day_short(s) || memcmp(s + 3, ", ", 2) != 0 || !cond_digits(s + 5, 2, &d.day) ||
        s[7] != ' ' || (d.month = cond_month(s + 8)) < 0 || s[11] != ' ' ||
        !cond_digits(s + 12, 4, &d.year) || s[16] != ' ' || !cond_time_of_day(s + 17, &d) ||
        memcmp(s + 25, " GMT", 4) != 0)
        return -1;
    return cond_date_make(&d, t);
}

/* asctime: "Sun Nov  6 08:49:37 1994" (exactly 24 bytes; the day is
 * 2DIGIT or SP DIGIT). */
static int cond_parse_asctime(const char *s, time_t *t)
{
    struct cond_date d;
    bool day_ok = s[8] == ' ' ? cond_digits(s + 9, 1, &d.day) : cond_digits(s + 8, 2, &d.day);

    if (!cond_day_short(s) || s[3] != ' ' || (d.month = cond_month(s + 4)) < 0 || s[7] != ' ' ||
        !day_ok || s[10] != ' ' || !cond_time_of_day(s + 11, &d) || s[19] != ' ' ||
        !cond_digits(s + 20, 4, &d.year))
        return -1;
    return cond_date_make(&d, t);
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT": a full day name, then 24
 * fixed bytes. Two-digit years: 00-69 are 20xx, 70-99 are 19xx. */
static int cond_parse_rfc850(const char *s, size_t len, time_t *t)
{
    const char *comma = memchr(s, ',', len);
    struct cond_date d;
    const char *r;

    if (!comma || len - (size_t)(comma - s) != 24 || !cond_day_long(s, (size_t)(comma - s)))
        return -1;
    r = comma + 1;
    if (r[0] != ' ' || !cond_digits(r + 1, 2, &d.day) || r[3] != '-' ||
        (d.month = cond_month(r + 4)) < 0 || r[7] != '-' || !cond_digits(r + 8, 2, &d.year) ||
        r[10] != ' ' || !cond_time_of_day(r + 11, &d) || memcmp(r + 19, " GMT", 4) != 0)
        return -1;
    d.year += d.year < 70 ? 2000 : 1900;
    return cond_date_make(&d, t);
}

/* The three forms are told apart by length and by the byte after the day
 * name: IMF-fixdate is 29 bytes with ',' at 3, asctime 24 bytes with ' '
 * at 3; anything else can only be RFC 850. */
int pf_http_cond_date_parse(const char *s, size_t len, time_t *t)
{
    if (len == 0)
        return -1;
    if (len == PF_HTTP_DATE_LEN && s[3] == ',')
        return cond_parse_imf(s, t);
    if (len == 24 && s[3] == ' ')
        return cond_parse_asctime(s, t);
    return cond_parse_rfc850(s, len, t);
}

/* Lowercase hex of v without leading zeros ("0" for 0); returns length. */
static size_t cond_hex(char *out, uint64_t v)
{
    char tmp[16];
    size_t n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t pf_http_cond_etag(char *out, size_t size, off_t file_size, const struct timespec *mtime)
{
    char tag[PF_HTTP_ETAG_MAX];
    uint64_t ns = (uint64_t)mtime->tv_sec * COND_NSEC + (uint64_t)mtime->tv_nsec;
    size_t n = 0;

    tag[n++] = '"';
    n += cond_hex(tag + n, (uint64_t)file_size);
    tag[n++] = '-';
    n += cond_hex(tag + n, ns);
    tag[n++] = '"';
    if (n >= size) {
        if (size > 0)
            out[0] = '\0';
        return 0;
    }
    memcpy(out, tag, n);
    out[n] = '\0';
    return n;
}

/* etagc (RFC 9110 8.8.3): '!', '#'-'~', or obs-text. */
static bool cond_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* Length of the entity-tag at s[0..len) (W/ prefix included), 0 when
 * there is none; *opaque is set to its quoted part. */
static size_t cond_etag_span(const char *s, size_t len, const char **opaque)
{
    size_t i = len >= 2 && s[0] == 'W' && s[1] == '/' ? 2 : 0;
    size_t start = i;

    if (i >= len || s[i] != '"')
        return 0;
    for (i++; i < len && cond_etagc((unsigned char)s[i]); i++)
        ;
    if (i >= len || s[i] != '"')
        return 0;
    *opaque = s + start;
    return i + 1;
}

/* Skip optional white space (SP / HTAB) in s[i..len). */
static size_t cond_ows(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* Weak comparison of an If-None-Match list with our tag: true when one
 * member's opaque part equals it, or the value is "*". A syntax error
 * anywhere makes the whole list match nothing. */
static bool cond_inm_match(const char *s, size_t len, const char *etag, size_t etag_len)
{
    bool match = false;
    size_t i = 0;

    if (len == 1 && s[0] == '*')
        return true;
    while (i < len) {
        const char *opaque;
        size_t n;

        i = cond_ows(s, len, i);
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i == len)
            break;
        n = cond_etag_span(s + i, len - i, &opaque);
        if (n == 0)
            return false;
        if ((size_t)(s + i + n - opaque) == etag_len && memcmp(opaque, etag, etag_len) == 0)
            match = true;
        i = cond_ows(s, len, i + n);
        if (i < len && s[i] != ',')
            return false;
    }
    return match;
}

bool pf_http_cond_not_modified(const char *inm, size_t inm_len, const char *ims, size_t ims_len,
                               const char *etag, time_t mtime)
{
    time_t since;

    if (inm_len > 0)
        return cond_inm_match(inm, inm_len, etag, etag ? strlen(etag) : 0);
    if (ims_len == 0 || pf_http_cond_date_parse(ims, ims_len, &since) != 0)
        return false;
    return mtime <= since;
}

/* If-Range (len > 0): a strong tag equal to ours byte for byte, or an
 * HTTP-date equal to mtime. A weak tag never matches: it is not our tag
 * and not a date. */
static bool cond_if_range_match(const char *s, size_t len, const char *etag, time_t mtime)
{
    time_t date;

    if (s[0] == '"')
        return etag && strlen(etag) == len && memcmp(s, etag, len) == 0;
    return pf_http_cond_date_parse(s, len, &date) == 0 && date == mtime;
}

/* 1*DIGIT at s[*i..len) into *v, saturating at COND_OFF_MAX; false when
 * there is no digit. */
static bool cond_number(const char *s, size_t len, size_t *i, off_t *v)
{
    size_t start = *i;

    *v = 0;
    for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        int digit = s[*i] - '0';

        *v = *v > (COND_OFF_MAX - digit) / 10 ? COND_OFF_MAX : *v * 10 + digit;
    }
    return *i > start;
}

/* One range-spec filling the whole of s[0..len): "a-b", "a-" or "-n".
 * *a is -1 for a suffix range; *b is -1 when absent. */
static bool cond_range_spec(const char *s, size_t len, off_t *a, off_t *b)
{
    size_t i = 0;

    *a = -1;
    *b = -1;
    if (len > 0 && s[0] != '-' && !cond_number(s, len, &i, a))
        return false;
    if (i >= len || s[i] != '-')
        return false;
    i++;
    if (i < len && !cond_number(s, len, &i, b))
        return false;
    if (i != len || (*a < 0 && *b < 0))
        return false;
    return *a < 0 || *b < 0 || *b >= *a;
}

/* True when s starts with "bytes=" (unit compared case-insensitively). */
static bool cond_bytes_unit(const char *s, size_t len)
{
    static const char unit[] = "bytes=";

    if (len < sizeof(unit) - 1)
        return false;
    for (size_t i = 0; i < sizeof(unit) - 1; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];

        if (c != unit[i])
            return false;
    }
    return true;
}

/* Resolve a valid spec against size: UNSATISFIABLE or OK with bounds. */
static enum pf_http_range cond_range_resolve(off_t a, off_t b, off_t size, off_t *first,
                                             off_t *last)
{
    if (size <= 0)
        return PF_HTTP_RANGE_UNSATISFIABLE;
    if (a < 0) {
        if (b == 0)
            return PF_HTTP_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return PF_HTTP_RANGE_OK;
    }
    if (a >= size)
        return PF_HTTP_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b < 0 || b >= size ? size - 1 : b;
    return PF_HTTP_RANGE_OK;
}

enum pf_http_range pf_http_cond_range(const char *range, size_t range_len, const char *if_range,
                                      size_t if_range_len, const char *etag, time_t mtime,
                                      off_t size, off_t *first, off_t *last)
{
    const size_t skip = sizeof("bytes=") - 1;
    off_t a;
    off_t b;

    if (size < 0 || !cond_bytes_unit(range, range_len) ||
        !cond_range_spec(range + skip, range_len - skip, &a, &b))
        return PF_HTTP_RANGE_NONE;
    if (if_range_len > 0 && !cond_if_range_match(if_range, if_range_len, etag, mtime))
        return PF_HTTP_RANGE_NONE;
    return cond_range_resolve(a, b, size, first, last);
}
