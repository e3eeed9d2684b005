/* pf_opt: the shared wording of command-line errors (see pf_opt.h). */
#include "pf_opt.h"

#include <getopt.h>
#include <string.h>

/* A long option is named by the word getopt took it from (argv[optind-1],
 * "--name" or "--name=value", shown without its value); a short one by its
 * letter (optopt), since its word may be a cluster ("-jX"). */
void pf_opt_complaint(int c, char *const argv[], char *err, size_t errlen)
{
    const char *word = optind > 0 ? argv[optind - 1] : "";
    char name[64];

    if (strncmp(word, "--", 2) == 0)
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
    else
        snprintf(name, sizeof(name), "-%c", optopt);
    if (c == ':')
        snprintf(err, errlen, "%s: a value is needed", name);
    else if (name[1] == '-' && optopt != 0) /* a known long option given a value */
        snprintf(err, errlen, "%s: takes no value", name);
    else
        snprintf(err, errlen, "unknown option %s", name);
}

void pf_opt_usage_error(FILE *out, const char *program, const char *why)
{
    fprintf(out, "%s: %s\nTry '%s --help' for more information.\n", program, why, program);
}
