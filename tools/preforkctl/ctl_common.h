/* ctl_common: what every part of preforkctl shares: exit statuses and
 * bounds.
 *
 * The exit statuses are part of the interface (preforkctl(8), --help):
 * scripts tell "the server said no" from "no server" from "wrong token".
 */
#ifndef CTL_COMMON_H
#define CTL_COMMON_H

enum ctl_exit {
    CTL_EXIT_OK = 0,          /* the server replied {"ok":true} */
    CTL_EXIT_FAILED = 1,      /* the server replied ok:false, or an unusable reply */
    CTL_EXIT_USAGE = 2,       /* bad command line */
    CTL_EXIT_UNREACHABLE = 3, /* no server, no reply, unreadable token/config */
    CTL_EXIT_AUTH = 4,        /* the server refused the token */
};

#define CTL_REPLY_MAX (16u << 20)   /* longest reply line accepted, in bytes */
#define CTL_TIMEOUT_DEFAULT_MS 5000 /* connect and per-reply timeout */
#define CTL_AUTH_THROTTLE_MS 5000   /* the server may hold an auth this long */
#define CTL_TOKEN_MAX 128           /* as the server accepts (pf_control_cmd.h) */

#endif
