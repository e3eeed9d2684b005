/* pf_conn_probe: the service's client connections and who holds them. */
#include "pf_conn_probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_addr.h"

#define PROBE_BUF 32768 /* one recv of the dump: many messages at once */

/* Every state a connection accepted from a listener can be in while a
 * process may hold it: not LISTEN, and not TIME_WAIT or CLOSE, whose
 * sockets no process holds any more. */
#define PROBE_STATES \
    ((1u << TCP_ESTABLISHED) | (1u << TCP_SYN_RECV) | (1u << TCP_FIN_WAIT1) | \
     (1u << TCP_FIN_WAIT2) | (1u << TCP_CLOSE_WAIT) | (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

/* A dump request for the family, with a bytecode filter the kernel runs
 * on each socket: local port == port. S_EQ's jump on success (8) ends
 * the program exactly (accept); on failure (12) it runs past its end
 * (reject), as inet_diag_bc_run counts. */
struct probe_req {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
    struct nlattr bc_attr;
    struct inet_diag_bc_op bc[2];
};

static void probe_request(struct probe_req *q, int family, unsigned port)
{
    memset(q, 0, sizeof(*q));
    q->nlh.nlmsg_len = sizeof(*q);
    q->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    q->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    q->nlh.nlmsg_seq = 1;
    q->r.sdiag_family = (uint8_t)family;
    q->r.sdiag_protocol = IPPROTO_TCP;
    q->r.idiag_states = PROBE_STATES;
    q->bc_attr.nla_len = (uint16_t)(NLA_HDRLEN + sizeof(q->bc));
    q->bc_attr.nla_type = INET_DIAG_REQ_BYTECODE;
    q->bc[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_EQ, sizeof(q->bc), sizeof(q->bc) + 4};
    q->bc[1] = (struct inet_diag_bc_op){0, 0, (unsigned short)port};
}

/* Room for one more connection. */
static int probe_grow(struct pf_conn_list *l)
{
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct pf_conn_seen *v;

    if (l->n < l->cap)
        return 0;
    v = realloc(l->v, cap * sizeof(*v));
    if (v == NULL)
        return -1;
    l->v = v;
    l->cap = cap;
    return 0;
}

/* A socket of the dump into l (those without an inode left out). */
static int probe_add(struct pf_conn_list *l, const struct inet_diag_msg *m)
{
    struct pf_conn_seen *c;

    if (m->idiag_inode == 0)
        return 0;
    if (probe_grow(l) < 0)
        return -1;
    c = &l->v[l->n++];
    memset(c, 0, sizeof(*c));
    c->inode = m->idiag_inode;
    if (m->idiag_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&c->peer;

        a->sin_family = AF_INET;
        a->sin_port = m->id.idiag_dport;
        memcpy(&a->sin_addr, m->id.idiag_dst, sizeof(a->sin_addr));
        c->peer_len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&c->peer;

        a->sin6_family = AF_INET6;
        a->sin6_port = m->id.idiag_dport;
        memcpy(&a->sin6_addr, m->id.idiag_dst, sizeof(a->sin6_addr));
        c->peer_len = sizeof(*a);
    }
    return 0;
}

/* The messages of one recv: 1 when the dump is done, 0 for more, -1 on
 * an error (err). */
static int probe_parse(struct pf_conn_list *l, const char *buf, size_t len, char *err,
                       size_t errlen)
{
    for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type == NLMSG_DONE)
            return 1;
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);

            snprintf(err, errlen, "socket table: %s",
                     strerror(h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0 ? -e->error
                                                                                       : EPROTO));
            return -1;
        }
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
            continue;
        if (probe_add(l, NLMSG_DATA(h)) < 0) {
            snprintf(err, errlen, "socket table: %s", strerror(ENOMEM));
            return -1;
        }
    }
    return 0;
}

static int probe_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct pf_conn_seen *)a)->inode,
             y = ((const struct pf_conn_seen *)b)->inode;

    return x < y ? -1 : x > y;
}

/* Send the request and read the dump to its end into l. */
static int probe_dump(int fd, const struct probe_req *q, struct pf_conn_list *l, char *err,
                      size_t errlen)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    char *buf;
    int rc = 0;

    if (sendto(fd, q, sizeof(*q), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        snprintf(err, errlen, "socket table: %s", strerror(errno));
        return -1;
    }
    buf = malloc(PROBE_BUF);
    if (buf == NULL) {
        snprintf(err, errlen, "socket table: %s", strerror(ENOMEM));
        return -1;
    }
    while (rc == 0) {
        /* the kernel fills the next part of a dump before the previous
         * recv returns: waiting here would mean a kernel gone wrong */
        ssize_t n = recv(fd, buf, PROBE_BUF, MSG_DONTWAIT);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "socket table: %s", n < 0 ? strerror(errno) : "dump cut short");
            rc = -1;
            break;
        }
        rc = probe_parse(l, buf, (size_t)n, err, errlen);
    }
    free(buf);
    return rc < 0 ? -1 : 0;
}

int pf_conn_probe_list(const struct sockaddr *listen, struct pf_conn_list *l, char *err,
                       size_t errlen)
{
    struct probe_req q;
    int fd, rc;

    l->n = 0;
    if (listen->sa_family != AF_INET && listen->sa_family != AF_INET6) {
        snprintf(err, errlen, "socket table: not a TCP/IP address");
        return -1;
    }
    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        snprintf(err, errlen, "socket table: netlink: %s", strerror(errno));
        return -1;
    }
    probe_request(&q, listen->sa_family, pf_addr_port(listen));
    rc = probe_dump(fd, &q, l, err, errlen);
    close(fd);
    if (rc < 0) {
        l->n = 0;
        return -1;
    }
    if (l->n > 1) /* (qsort wants an array, even of nothing) */
        qsort(l->v, l->n, sizeof(*l->v), probe_cmp);
    return 0;
}

uint64_t pf_conn_probe_socket_inode(const char *link)
{
    static const char prefix[] = "socket:[";
    const char *p = link + sizeof(prefix) - 1;
    uint64_t v = 0;

    if (strncmp(link, prefix, sizeof(prefix) - 1) != 0 || *p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');

        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return p[0] == ']' && p[1] == '\0' ? v : 0;
}

const struct pf_conn_seen *pf_conn_probe_find(const struct pf_conn_list *l, uint64_t inode)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (l->v[mid].inode == inode)
            return &l->v[mid];
        if (l->v[mid].inode < inode)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int pf_conn_probe_held(pid_t pid, const struct pf_conn_list *l, const struct pf_conn_seen **first,
                       char *err, size_t errlen)
{
    char path[64], link[64];
    struct dirent *e;
    DIR *d;
    int held = 0, fd;

    *first = NULL;
    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        int saved = errno;

        snprintf(err, errlen, "cannot read %s: %s", path, strerror(saved));
        if (fd >= 0)
            close(fd);
        errno = saved;
        return -1;
    }
    while (l->n > 0 && (e = readdir(d)) != NULL) {
        ssize_t n = readlinkat(fd, e->d_name, link, sizeof(link) - 1);
        const struct pf_conn_seen *c;

        if (n <= 0)
            continue; /* ".", "..", or closed since */
        link[n] = '\0';
        c = pf_conn_probe_find(l, pf_conn_probe_socket_inode(link));
        if (c == NULL)
            continue;
        if (held++ == 0)
            *first = c;
    }
    closedir(d);
    return held;
}

void pf_conn_list_free(struct pf_conn_list *l)
{
    free(l->v);
    *l = (struct pf_conn_list){NULL, 0, 0};
}
