/* pf_config_dump: a loaded configuration written back as a configuration
 * file (preforkd -T): every setting, defaults included, in the order of
 * pf_config's own table (pf_config_setting_at), so that a setting added
 * there is written with no change here. The text is libconfig syntax that
 * pf_config_load reads back into the same values: durations in seconds
 * (0.05 for 50 ms), paths as loaded (resolved), strings quoted with
 * their quotes, backslashes and control bytes escaped, lists as arrays,
 * signals and log levels by name. A value a file cannot write (an empty
 * exec.directory or exec.command, which mean "not given") is written as
 * a comment.
 */
#ifndef PF_CONFIG_DUMP_H
#define PF_CONFIG_DUMP_H

#include <stdio.h>

#include "pf_config.h"

/* Write c to out, after a comment naming the file it was loaded from
 * (c->path; the command line when empty). 0, or -1 when out failed. */
int pf_config_dump(FILE *out, const struct pf_config *c);

/* Write text to out as a libconfig string literal, quotes included. */
void pf_config_dump_string(FILE *out, const char *text);

#endif
