/* pf_status_page: the status page (pf_status_page.html), built into the
 * binary so that the master serves it with no file to install or find,
 * also after a chroot. Generated at build time (cmake/PreforkdEmbed.cmake).
 */
#ifndef PF_STATUS_PAGE_H
#define PF_STATUS_PAGE_H

#include <stddef.h>

extern const char pf_status_page[]; /* the bytes, then a NUL */
extern const size_t pf_status_page_len;

#endif
