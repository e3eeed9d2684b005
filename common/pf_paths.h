/* pf_paths: where an installed program finds its default configuration.
 *
 * `cmake --install build --prefix DIR` runs after the build, so a path
 * compiled into the programs names the prefix configured, not DIR. The
 * programs therefore work their default out at run time from where they
 * are (/proc/self/exe), as a relocatable installation does: a program in
 * PREFIX/BINDIR (BINDIR as configured: sbin) reads
 * SYSCONFDIR/preforkd/preforkd.conf, SYSCONFDIR made absolute for PREFIX
 * by GNUInstallDirs' rules, which the installation itself follows
 * (cmake/PreforkdPaths.cmake): /etc for the prefixes / and /usr,
 * /etc/opt/P for /opt/P, PREFIX/etc otherwise. A program anywhere else
 * (the build tree) keeps the path compiled in, that of the configured
 * prefix.
 */
#ifndef PF_PATHS_H
#define PF_PATHS_H

#include <stddef.h>

/* The default configuration of the program at exe (an absolute path) into
 * out: derived from exe when exe is in a folder ending in bindir (relative
 * to the prefix), sysconfdir relative or absolute; else fallback. Pure.
 * Returns out. */
const char *pf_paths_config(const char *exe, const char *bindir, const char *sysconfdir,
                            const char *fallback, char *out, size_t size);

/* The same for this process, from /proc/self/exe (fallback when it cannot
 * be read). Returns out. */
const char *pf_paths_default_config(const char *bindir, const char *sysconfdir,
                                    const char *fallback, char *out, size_t size);

#endif
