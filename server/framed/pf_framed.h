/* pf_framed: the serve loop shared by the echo and msg handlers.
 *
 * Both protocols read one frame and send it back unchanged, framing
 * included; they differ only in how a frame is delimited (pf_frame). */
#ifndef PF_FRAMED_H
#define PF_FRAMED_H

#include "pf_frame.h"
#include "pf_proto.h"

/* Allocate a frame reader of the given framing as the handler's state. */
int pf_framed_init(void **state, enum pf_frame_kind kind, size_t max, char *err, size_t errlen);

/* Echo frames back until the client closes, errs, stalls or oversteps max. */
void pf_framed_serve(void *state, struct pf_conn *conn);

void pf_framed_exit(void *state);

/* The handlers built on it. */
extern const struct pf_proto pf_framed_echo;
extern const struct pf_proto pf_framed_msg;

#endif
