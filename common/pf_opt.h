/* pf_opt: what the command lines of preforkd, preforkctl and preforkbench
 * share, so that the three speak alike:
 *
 *   -V, --version   print "PROGRAM VERSION" and exit 0 (preforkd and
 *                   preforkctl also take -v, their spelling before)
 *   -h, --help      print the usage on standard output and exit 0
 *   a bad line      "PROGRAM: REASON" and "Try 'PROGRAM --help' for more
 *                   information." on standard error, exit 2
 *
 * getopt_long is run with opterr = 0 and ':' leading the short options, so
 * it prints nothing itself and returns '?' (unknown option) or ':' (a value
 * missing); pf_opt_complaint words those.
 */
#ifndef PF_OPT_H
#define PF_OPT_H

#include <stddef.h>
#include <stdio.h>

/* The reason getopt_long returned c ('?' or ':') on argv, as it left
 * optind and optopt, into err: "unknown option -x", "unknown option
 * --colour", "--help: takes no value", "-c: a value is needed",
 * "--config: a value is needed". */
void pf_opt_complaint(int c, char *const argv[], char *err, size_t errlen);

/* "PROGRAM: why" then the hint to --help, on out (standard error). */
void pf_opt_usage_error(FILE *out, const char *program, const char *why);

#endif
