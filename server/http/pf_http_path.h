/* pf_http_path: from a request path to a file name under the root (pure).
 *
 * Percent-decoding first, then dot-segment removal on the decoded path, so
 * "%2e%2e" is as much ".." as ".." is. Refused (the handler answers 400):
 * a malformed escape ("%4", "%zz"), a decoded NUL ("%00"), a path not
 * starting with '/', and any ".." that would climb above the root. Hidden
 * segments (starting with '.') are refused with 404 except ".well-known",
 * so a checked-out .git or an .htpasswd in the root is never served.
 * Empty segments ("//") collapse. The result has no leading '/' ("" for
 * the root itself): a name relative to the root directory, ready for
 * openat2(rootfd, name, RESOLVE_BENEATH), which is the real guarantee
 * against symlinks leading out; this function is the first line.
 */
#ifndef PF_HTTP_PATH_H
#define PF_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Decode and normalise path[0..len) into out (NUL-terminated, at most
 * size-1 bytes). *dir_slash is set when the path ends in '/' (a directory
 * was asked for). Returns 0, or the HTTP status to answer (400, 404, or
 * 414 when out is too small). */
int pf_http_path_normalize(const char *path, size_t len, char *out, size_t size, bool *dir_slash);

/* Percent-decode src[0..len) into dst (at most len bytes written, no NUL
 * added); *out_len gets the length. -1 on a malformed escape or a decoded
 * NUL. dst may equal src. */
int pf_http_path_percent_decode(const char *src, size_t len, char *dst, size_t *out_len);

#endif
