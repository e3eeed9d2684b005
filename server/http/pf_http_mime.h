/* pf_http_mime: Content-Type from a file name's extension.
 *
 * A built-in table covers the common web types (html, css, js, json, svg,
 * png, jpg, gif, webp, ico, woff2, txt, pdf, wasm, mp4, ...); text types
 * carry "; charset=utf-8". A mime.types file (the /etc/mime.types format:
 * "type ext ext ...", '#' comments) may extend it; built-in entries win, so
 * a distribution's file cannot change what the tests expect. Lookups are
 * case-insensitive on the extension; unknown: application/octet-stream.
 */
#ifndef PF_HTTP_MIME_H
#define PF_HTTP_MIME_H

#include <stddef.h>

/* Content-Type for name (a path; the extension after the last '.' of the
 * last segment). Never NULL. */
const char *pf_http_mime_type(const char *name);

/* Add the entries of a mime.types file. Returns the number added, or -1
 * if the file cannot be read (the table is unchanged). Call before fork:
 * the table is then shared read-only by every worker. */
int pf_http_mime_load(const char *path);

/* Drop the entries pf_http_mime_load added (tests, reload). */
void pf_http_mime_reset(void);

#endif
