/* pf_handoff: a client connection handed from one process to another,
 * with the state that travels with it (docs/architecture.md, the keeper).
 *
 * A worker whose connection goes idle parks it with the keeper; the keeper
 * hands it back to a worker when it is readable, or when its deadline
 * passed with a request begun (the worker then answers 408 and logs it).
 * Each hand-over is one SOCK_SEQPACKET message: the descriptor in an
 * SCM_RIGHTS control message, and the state below in the data, encoded
 * field by field (never a struct copied as it lies in memory), so that
 * what a process receives is checked before it is used: a worker, which
 * serves untrusted clients, cannot crash the keeper with a bad message.
 *
 * The encoding and decoding are pure; pf_handoff_send and _recv move one
 * message over a socket, without blocking.
 */
#ifndef PF_HANDOFF_H
#define PF_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PF_HANDOFF_VERSION 1
#define PF_HANDOFF_PROTO_MAX 16    /* a protocol's name, its NUL included */
#define PF_HANDOFF_BYTES_MAX 65536 /* bytes of a request begun (a head, a frame) */
#define PF_HANDOFF_HEAD_MAX 128    /* the encoded fields before the bytes, at most */
#define PF_HANDOFF_MSG_MAX (PF_HANDOFF_HEAD_MAX + PF_HANDOFF_BYTES_MAX)

/* flags */
#define PF_HANDOFF_BEGUN 0x1u   /* bytes hold a request begun, not finished */
#define PF_HANDOFF_EXPIRED 0x2u /* its deadline passed while it was parked */
#define PF_HANDOFF_CLOSE 0x4u   /* the server stops: answer what came, then close */
#define PF_HANDOFF_FLAGS (PF_HANDOFF_BEGUN | PF_HANDOFF_EXPIRED | PF_HANDOFF_CLOSE)

struct pf_handoff {
    unsigned flags;
    char protocol[PF_HANDOFF_PROTO_MAX]; /* the handler that served it: "http" */
    uint32_t requests;                   /* requests served on the connection */
    /* Deadlines on CLOCK_MONOTONIC, in ms, which every process of the
     * machine reads alike; -1 none. */
    int64_t idle_deadline_ms;     /* the next request must begin by then */
    int64_t head_deadline_ms;     /* the request begun must be whole by then */
    struct sockaddr_storage peer; /* the client: AF_INET or AF_INET6 */
    socklen_t peer_len;
    const uint8_t *bytes; /* what was read of the request begun */
    size_t nbytes;        /* at most PF_HANDOFF_BYTES_MAX */
};

/* Encode h into out (size bytes): the length written, or 0 when h is not
 * valid (an unknown flag, a protocol name without its NUL, a peer that is
 * not an internet address, too many bytes) or out is too small. */
size_t pf_handoff_encode(const struct pf_handoff *h, uint8_t *out, size_t size);

/* Decode the message msg (len bytes) into h, whose bytes then point into
 * msg. 0, or -1 with the reason in err: every field is checked (version,
 * flags, lengths, address family, deadlines >= -1, nothing left over). */
int pf_handoff_decode(const uint8_t *msg, size_t len, struct pf_handoff *h, char *err,
                      size_t errlen);

/* Send the descriptor fd and the state h as one message on sock without
 * blocking. 0, or -1 with errno: EAGAIN or EWOULDBLOCK when sock's buffer
 * is full (the sender keeps the connection), EINVAL when h is not valid.
 * The caller still owns fd and closes its copy once this succeeded. */
int pf_handoff_send(int sock, int fd, const struct pf_handoff *h);

/* Receive one message from sock without blocking: the descriptor into
 * *fd (close-on-exec) and the state into h, whose bytes point into buf
 * (size bytes, PF_HANDOFF_MSG_MAX to take any message). 1 for a message;
 * 0 when the other end is closed; -1 with errno EAGAIN when none is
 * waiting, or EBADMSG with the reason in err for a message that is cut,
 * carries no descriptor or more than one, or does not decode (any
 * descriptor it carried is closed), or another errno from recvmsg. */
int pf_handoff_recv(int sock, int *fd, struct pf_handoff *h, uint8_t *buf, size_t size, char *err,
                    size_t errlen);

/* The descriptors a message received with recvmsg carried (SCM_RIGHTS):
 * the first into *first (-1 if none), unless first is NULL, and every
 * other closed. How many there were. */
size_t pf_handoff_take_fds(struct msghdr *m, int *first);

/* pf_handoff_recv with room made for the descriptor first. A message
 * taken into a full descriptor table loses the descriptor it carried (the
 * kernel closes it and sets MSG_CTRUNC): the client would be cut. So a
 * receiver keeps one descriptor spare, *spare (a duplicate of like_fd),
 * closes it just before the message is taken and makes it again after.
 * When no spare can be made (the process is at its descriptor limit)
 * nothing is received: -1 with errno from the dup (EMFILE) and the reason
 * in err; the message stays queued.
 * After a message *spare is -1 if it could not be made again: the caller
 * gives a descriptor back (the one received, refused) before the next. */
int pf_handoff_recv_spared(int sock, int *spare, int like_fd, int *fd, struct pf_handoff *h,
                           uint8_t *buf, size_t size, char *err, size_t errlen);

#endif
