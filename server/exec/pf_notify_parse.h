/* pf_notify_parse: one sd_notify datagram from an exec worker, parsed
 * (pure).
 *
 * A program tells its supervisor how it is with newline-separated
 * VARIABLE=value assignments in one datagram (sd_notify(3)). The master
 * reads them from its notify socket and acts on what this returns:
 *   READY=1         the worker serves (start-up and reload wait for it)
 *   STATUS=text     a line for `preforkctl workers`, status and the log
 *   WATCHDOG=1      a watchdog ping; WATCHDOG=trigger: "I am hung"
 *   STOPPING=1      the program is stopping on its own
 *   RELOADING=1     the program reloads its own configuration
 *   ERRNO=n         the program's last error, for the log
 *   MAINPID=n       refused: a worker is the process preforkd started
 * Any other well-formed assignment (systemd's EXTEND_TIMEOUT_USEC,
 * MONOTONIC_USEC, FDSTORE, BUSERROR..., or a later one) is accepted and
 * ignored, counted in `ignored`. A datagram is refused whole (-1) when it is empty or longer
 * than PF_NOTIFY_MAX, holds a NUL byte, has a line that is not NAME=value
 * (NAME: capitals, digits, '_'), or gives one of the variables above a
 * value it cannot take (READY=0, ERRNO=x): nothing of it is acted on.
 * No I/O, no allocation.
 */
#ifndef PF_NOTIFY_PARSE_H
#define PF_NOTIFY_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PF_NOTIFY_MAX 4096       /* the longest datagram taken (systemd's bound) */
#define PF_NOTIFY_STATUS_MAX 128 /* STATUS= text kept, its NUL included */

/* What a datagram said (flags in `said`). */
#define PF_NOTIFY_READY 0x01u
#define PF_NOTIFY_STATUS 0x02u
#define PF_NOTIFY_WATCHDOG 0x04u
#define PF_NOTIFY_WATCHDOG_TRIGGER 0x08u
#define PF_NOTIFY_STOPPING 0x10u
#define PF_NOTIFY_RELOADING 0x20u
#define PF_NOTIFY_ERRNO 0x40u
#define PF_NOTIFY_MAINPID 0x80u

struct pf_notify_msg {
    unsigned said;
    /* STATUS=: printable ASCII only (any other byte becomes '?'), cut to
     * fit; the last one wins when several are given */
    char status[PF_NOTIFY_STATUS_MAX];
    int errno_value;  /* ERRNO=: 0..4095 */
    unsigned ignored; /* well-formed assignments not acted on here */
};

/* Parse buf (len bytes) into m. 0, or -1 with the reason in err (m then
 * says nothing: said is 0). */
int pf_notify_parse(const char *buf, size_t len, struct pf_notify_msg *m, char *err, size_t errlen);

#endif
