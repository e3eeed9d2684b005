/* pf_config_text: the text of a configuration file as libconfig parses
 * it, with its @include lines expanded by preforkd rather than libconfig,
 * and where each line of that text came from.
 *
 * libconfig 1.5 (Debian 12's) includes one file by its exact name, has no
 * hook to do otherwise, and names an included file relative to the
 * include folder in its messages. Expanding the includes here gives:
 *  - a glob: @include "conf.d/" followed by "*.conf" (one string in the
 *    file) includes every match in sorted
 *    order (glob(3), in the C locale: byte order); a glob that matches
 *    nothing includes nothing, as in nginx. A name without *, ? or [ is
 *    one file, which must exist;
 *  - names relative to the folder of the main configuration file, for
 *    every include at every depth (as libconfig's include folder did);
 *  - a map from each line of the expanded text to its file, as messages
 *    print it, and its line there, so that every message names the file
 *    a setting is written in.
 * An @include line is what libconfig takes for one: at the start of a
 * line outside a string or a comment, `@include "NAME"` (NAME may hold \"
 * and \\), the rest of the line kept after the included text.
 */
#ifndef PF_CONFIG_TEXT_H
#define PF_CONFIG_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define PF_CONFIG_TEXT_DEPTH 10       /* includes within includes, at most */
#define PF_CONFIG_TEXT_MAX (16 << 20) /* bytes of the expanded text, at most */

/* Where the scan of a line starts or ends: in code, inside a string, or
 * inside a comment. */
enum pf_config_lex { PF_CONFIG_LEX_CODE, PF_CONFIG_LEX_STRING, PF_CONFIG_LEX_COMMENT };

/* Scan one line of len bytes (no '\n') that starts in *lex, leaving in
 * *lex the state at its end. Returns 1 when it is an @include line, with
 * its name (unescaped) in name and in *rest the offset just after its
 * closing quote; 0 when it is not; -1 when it is one that is malformed
 * (no closing quote on the line, an empty name, a NUL byte in it, a name
 * longer than size),
 * with the reason in name ("" in name on 0; size must be at least 1).
 * Pure. */
int pf_config_text_scan(const char *line, size_t len, enum pf_config_lex *lex, char *name,
                        size_t size, size_t *rest);

/* A line of the expanded text: the index of its file, its line there. */
struct pf_config_text_from {
    unsigned file;
    unsigned line;
};

struct pf_config_text {
    char *text; /* NUL-terminated; every line ends with '\n' */
    size_t len, cap;
    struct pf_config_text_from *from; /* of line n (from 1) at from[n - 1] */
    size_t nlines, fromcap;
    char **files; /* as messages print them: the main file as given, an
                     included one joined to the main file's folder as given */
    size_t nfiles;
};

/* Read path (as messages print it), whose folder, absolute, is dir, and
 * every file it includes, into t (zeroed first). 0, or -1 with
 * "FILE:LINE: REASON" (or "FILE: cannot read: REASON") in err; t is to be
 * freed either way. */
int pf_config_text_read(struct pf_config_text *t, const char *path, const char *dir, char *err,
                        size_t errlen);

/* The file line n of the text (from 1) came from, and its line there into
 * *line. A line past the end is the last one's. */
const char *pf_config_text_where(const struct pf_config_text *t, unsigned n, unsigned *line);

/* Line n of the text (from 1), without its '\n', into buf (cut to size);
 * "" past the end. Returns buf. */
const char *pf_config_text_line(const struct pf_config_text *t, unsigned n, char *buf, size_t size);

void pf_config_text_free(struct pf_config_text *t);

#endif
