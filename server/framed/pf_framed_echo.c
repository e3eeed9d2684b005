/* pf_framed_echo: line-delimited echo. Each line, '\n' included, is sent
 * back unchanged (docs/protocols.md). */
#include "pf_framed.h"
#include "pf_proto.h"

static int echo_init(void **state, const struct pf_config *cfg, char *err, size_t errlen)
{
    return pf_framed_init(state, PF_FRAME_LINE, cfg->echo.max_line, err, errlen);
}

const struct pf_proto pf_framed_echo = {
    .name = "echo",
    .worker_init = echo_init,
    .serve = pf_framed_serve,
    .worker_exit = pf_framed_exit,
};
