/* probe_cost: what one look at who serves costs the master
 * (pf_conn_probe, used for exec workers), as the number of TCP sockets on
 * the host grows.
 *
 *   probe_cost OURS OTHERS [ROUNDS]
 *
 * OURS connections are accepted from a loopback listener and held by
 * this process (as workers would hold clients); OTHERS connections of
 * another listener stand for the rest of the host (both their ends are
 * sockets: 2 x OTHERS). Prints the milliseconds per socket-table dump
 * and per read of a process's descriptors, the mean of ROUNDS (20). The
 * descriptor limit is raised to its hard limit first. Loopback only. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pf_conn_probe.h"
#include "pf_time.h"

/* A loopback listener; its address into a. */
static int cost_listener(struct sockaddr_in *a)
{
    socklen_t len = sizeof(*a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 || listen(fd, 4096) < 0 ||
        getsockname(fd, (struct sockaddr *)a, &len) < 0) {
        perror("probe_cost: listener");
        exit(1);
    }
    return fd;
}

/* n connections to a, accepted from lfd, both ends kept open. */
static void cost_connect(int lfd, const struct sockaddr_in *a, long n)
{
    for (long i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (c < 0 || connect(c, (const struct sockaddr *)a, sizeof(*a)) < 0 ||
            accept(lfd, NULL, NULL) < 0) {
            perror("probe_cost: connection (raise the descriptor limit?)");
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in ours, others;
    struct pf_conn_list l = {0};
    const struct pf_conn_seen *first;
    struct rlimit r;
    char err[256];
    long nours, nothers, rounds;
    int64_t t0, t1, t2;
    int held = 0;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: probe_cost OURS OTHERS [ROUNDS]\n");
        return 2;
    }
    nours = atol(argv[1]);
    nothers = atol(argv[2]);
    rounds = argc == 4 ? atol(argv[3]) : 20;
    if (nours < 0 || nothers < 0 || rounds < 1) {
        fprintf(stderr, "probe_cost: counts must be positive\n");
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    cost_connect(cost_listener(&ours), &ours, nours);
    cost_connect(cost_listener(&others), &others, nothers);
    t0 = pf_time_now_ms();
    for (long i = 0; i < rounds; i++)
        if (pf_conn_probe_list((struct sockaddr *)&ours, &l, err, sizeof(err)) < 0) {
            fprintf(stderr, "probe_cost: %s\n", err);
            return 1;
        }
    t1 = pf_time_now_ms();
    for (long i = 0; i < rounds; i++)
        held = pf_conn_probe_held(getpid(), &l, &first, err, sizeof(err));
    t2 = pf_time_now_ms();
    printf("%ld sockets of other connections, %zu of ours: %.2f ms per socket-table dump; "
           "%.3f ms to read a process of %ld descriptors (%d of ours held)\n",
           2 * nothers, l.n, (double)(t1 - t0) / (double)rounds, (double)(t2 - t1) / (double)rounds,
           2 * (nours + nothers) + 5, held);
    pf_conn_list_free(&l);
    return 0;
}
