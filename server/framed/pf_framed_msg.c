/* pf_framed_msg: length-prefixed messages. Each message (4-byte length in
 * network byte order, then the payload) is sent back framed the same way
 * (docs/protocols.md). */
#include "pf_framed.h"
#include "pf_proto.h"

static int msg_init(void **state, const struct pf_config *cfg, char *err, size_t errlen)
{
    return pf_framed_init(state, PF_FRAME_LENGTH, cfg->msg.max_message, err, errlen);
}

const struct pf_proto pf_framed_msg = {
    .name = "msg",
    .worker_init = msg_init,
    .serve = pf_framed_serve,
    .worker_exit = pf_framed_exit,
};
