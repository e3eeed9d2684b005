/* pf_err: the size of an error buffer.
 *
 * A function that can fail writes its reason into a buffer its caller
 * passes with its size (char *err, size_t errlen), never into a global and
 * never by returning a pointer to its own storage; every caller declares
 * that buffer the same way, char err[PF_ERR_MAX]. It is sized for the
 * longest message there is: a configuration error naming a file, its line,
 * the setting, a quoted value and the reason.
 */
#ifndef PF_ERR_H
#define PF_ERR_H

#include <stddef.h>

#define PF_ERR_MAX 1024

/* Format the reason into err (errlen bytes; nothing when err is NULL or
 * errlen 0) and return -1, so that a failure path is one
 * "return pf_err_format(...)" statement. */
__attribute__((format(printf, 3, 4))) int pf_err_format(char *err, size_t errlen, const char *fmt,
                                                        ...);

#endif
