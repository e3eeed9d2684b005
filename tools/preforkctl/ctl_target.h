/* ctl_target: which server to talk to and with which token.
 *
 * The address and the token file come from the server's own
 * configuration file (control.listen, control.token_file: those two
 * alone, with pf_config_load_control, checked and resolved as preforkd
 * does, so that an error elsewhere in a file being edited does not keep
 * the administrator from reloading it), or from the command line (-a
 * ADDR, -t FILE), which overrides the file setting by setting; when both
 * are given no configuration is read at all.
 */
#ifndef CTL_TARGET_H
#define CTL_TARGET_H

#include <limits.h>
#include <stddef.h>

#include "ctl_common.h"
#include "pf_addr.h"

struct ctl_target {
    struct pf_addr addr;            /* where the control channel listens */
    char addr_text[PF_ADDR_STRLEN]; /* it, formatted, for messages */
    char token_file[PATH_MAX];
    char token[CTL_TOKEN_MAX + 1];
};

/* Fill t from the configuration file config (read only when address or
 * token_file is NULL) and the overrides address and token_file (NULL:
 * take it from the file). Returns CTL_EXIT_OK, CTL_EXIT_USAGE (address
 * malformed) or CTL_EXIT_UNREACHABLE (configuration or token file
 * unusable), with the reason in err. */
int ctl_target_resolve(struct ctl_target *t, const char *config, const char *address,
                       const char *token_file, char *err, size_t errlen);

/* The token in path: its first line without leading and trailing blanks,
 * 1 to 128 bytes without spaces (the rule preforkd applies). 0, or -1 with
 * "cannot read token file PATH: REASON" in err. */
int ctl_token_read(const char *path, char *token, size_t size, char *err, size_t errlen);

#endif
