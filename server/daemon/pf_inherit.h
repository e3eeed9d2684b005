/* pf_inherit: listening sockets a new master is handed instead of binding.
 *
 * Two ways in, both through the environment:
 *  - systemd socket activation: LISTEN_PID equals our pid and LISTEN_FDS
 *    = n hands descriptors 3 .. 3+n-1 over (sd_listen_fds(3)); preforkd
 *    takes exactly one, the service socket (preforkd.socket);
 *  - binary upgrade: the old master sets PREFORKD_FDS="listen=N", with
 *    ";control=M" and ";status=S" for the control channel and the status
 *    listener when it has them, before it execs the new binary
 *    (pf_upgrade.c).
 * The variables are removed once read, so neither the workers nor a
 * later upgrade see stale ones. The parsing is pure (unit-tested); the
 * checks look at the descriptors themselves.
 */
#ifndef PF_INHERIT_H
#define PF_INHERIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PF_INHERIT_ENV "PREFORKD_FDS"
#define PF_INHERIT_SD_FIRST_FD 3 /* SD_LISTEN_FDS_START */

/* The listening sockets PREFORKD_FDS names (-1: none). */
struct pf_inherit_fds {
    int listen;  /* the service's */
    int control; /* the control channel's */
    int status;  /* the status listener's (status.listen) */
};

struct pf_inherited {
    int listen_fd;     /* the service's listening socket, or -1 */
    int control_fd;    /* the control channel's (upgrade only), or -1 */
    int status_fd;     /* the status listener's (upgrade only), or -1 */
    bool from_systemd; /* listen_fd came from socket activation */
};

/* Socket activation's variables (either may be NULL: unset). 1 with
 * *count sockets from PF_INHERIT_SD_FIRST_FD when they are meant for self;
 * 0 when unset or meant for another process (LISTEN_PID differs: a
 * parent's variables leaked to us); -1 malformed, reason in err. */
int pf_inherit_parse_systemd(const char *listen_pid, const char *listen_fds, pid_t self, int *count,
                             char *err, size_t errlen);

/* PREFORKD_FDS's value: "listen=N" with optional "control=M" and
 * "status=S", ';'-separated in any order, fds >= 3, each key at most once,
 * no descriptor twice, nothing else. 0 (absent ones -1) or -1 (all -1),
 * reason in err. */
int pf_inherit_parse_fds(const char *value, struct pf_inherit_fds *fds, char *err, size_t errlen);

/* A descriptor number handed over in the environment (PREFORKD_FDS's
 * values, PREFORKD_READY_FD), the len characters at s: decimal digits
 * only (no sign, no space, nothing after), 3 or more (0 to 2 are stdio),
 * at most INT_MAX. 0 with *fd set, or -1. */
int pf_inherit_fd_number(const char *s, size_t len, int *fd);

/* Format PREFORKD_FDS's value (-1 fields left out). Returns the length,
 * or -1 if size is too small. */
int pf_inherit_format_fds(char *buf, size_t size, const struct pf_inherit_fds *fds);

/* Is fd an open, listening stream socket? 0 (and FD_CLOEXEC and
 * O_NONBLOCK set on it, as on pf_net_listen's sockets: workers must not
 * sleep in accept()), or -1 with "descriptor N: REASON" in err. */
int pf_inherit_check_listener(int fd, char *err, size_t errlen);

/* Read (and unset) the variables, check the descriptors. 0 with in
 * filled (-1 fields: nothing inherited), or -1 with the reason in err:
 * a malformed variable, a descriptor that is not a listening socket,
 * socket activation handing over other than one socket. Upgrade
 * variables win over systemd's when both are set (a new master under
 * systemd after an upgrade), and systemd's are unset anyway. */
int pf_inherit_take(struct pf_inherited *in, char *err, size_t errlen);

#endif
