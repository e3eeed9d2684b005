/* pf_notify: the sd_notify protocol, spoken to systemd (or to a test).
 *
 * A service of Type=notify tells systemd its state by sending datagrams
 * such as "READY=1" or "RELOADING=1\nMONOTONIC_USEC=..." to the AF_UNIX
 * datagram socket named in $NOTIFY_SOCKET ("@name" is Linux's abstract
 * namespace, a leading '/' a path). Without the variable every call does
 * nothing, so the master sends its states unconditionally. The protocol
 * is small enough to speak directly instead of linking libsystemd.
 *
 * What the master sends (docs/operations.md):
 *   READY=1 + STATUS=...     once listening with its first workers ready
 *   RELOADING=1 + MONOTONIC_USEC=...  then READY=1 when a reload is done
 *   STOPPING=1               when a stop begins
 *   MAINPID=N + READY=1      from a new master after a binary upgrade
 *   STATUS=...               free text shown by systemctl status
 */
#ifndef PF_NOTIFY_H
#define PF_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

/* Is there a notify socket ($NOTIFY_SOCKET set and not empty)? */
bool pf_notify_enabled(void);

/* Send state (newline-separated VAR=value lines) in one datagram.
 * 1 sent, 0 no notify socket, -1 failed (errno set; the address is
 * malformed or the send failed). Never blocks for long: the socket is
 * non-blocking. */
int pf_notify(const char *state);

/* pf_notify with a printf format; a state longer than 4 KiB is cut. */
int pf_notify_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants with it. */
unsigned long long pf_notify_monotonic_usec(void);

#endif
