/* pf_paths: the default configuration of an installed program (see pf_paths.h). */
#include "pf_paths.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PATHS_CONFIG "preforkd/preforkd.conf"

const char *pf_paths_config(const char *exe, const char *bindir, const char *sysconfdir,
                            const char *fallback, char *out, size_t size)
{
    const char *slash = strrchr(exe, '/');
    size_t dir, blen = strlen(bindir);
    char prefix[PATH_MAX];

    snprintf(out, size, "%s", fallback);
    if (exe[0] != '/' || !slash || bindir[0] == '/' || blen == 0)
        return out;
    if (sysconfdir[0] == '/') {
        snprintf(out, size, "%s/%s", sysconfdir, PATHS_CONFIG);
        return out;
    }
    dir = (size_t)(slash - exe); /* the folder: exe[0, dir) */
    if (dir < blen + 1 || exe[dir - blen - 1] != '/' ||
        strncmp(exe + dir - blen, bindir, blen) != 0)
        return out; /* not PREFIX/BINDIR/program: a build tree */
    snprintf(prefix, sizeof prefix, "%.*s", (int)(dir - blen - 1), exe);
    if (prefix[0] == '\0' || strcmp(prefix, "/usr") == 0)
        snprintf(out, size, "/%s/%s", sysconfdir, PATHS_CONFIG);
    else if (strncmp(prefix, "/opt/", 5) == 0 && strncmp(prefix, "/opt/homebrew/", 14) != 0)
        snprintf(out, size, "/%s%s/%s", sysconfdir, prefix, PATHS_CONFIG);
    else
        snprintf(out, size, "%s/%s/%s", prefix, sysconfdir, PATHS_CONFIG);
    return out;
}

const char *pf_paths_default_config(const char *bindir, const char *sysconfdir,
                                    const char *fallback, char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n <= 0) {
        snprintf(out, size, "%s", fallback);
        return out;
    }
    exe[n] = '\0';
    return pf_paths_config(exe, bindir, sysconfdir, fallback, out, size);
}
