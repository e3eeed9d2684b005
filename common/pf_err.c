/* pf_err: an error written into the caller's buffer (see pf_err.h). */
#include "pf_err.h"

#include <stdarg.h>
#include <stdio.h>

int pf_err_format(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
