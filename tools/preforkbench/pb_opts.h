/*
 * pb_opts: preforkbench's command line, parsed and validated into a struct
 * (docs/preforkbench.md, "Options").
 *
 * Pure: argv in, a filled struct pb_opts or a one-line reason out (in the
 * caller's buffer, naming the option at fault). No I/O but pb_opts_usage,
 * which writes the help to the FILE it is given. Strings in the struct
 * point into argv, which must outlive it.
 */
#ifndef PB_OPTS_H
#define PB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pf_addr.h"

#define PB_OPTS_MAX_HEADERS 16
#define PB_OPTS_MAX_SIZE (16u << 20) /* --size: 16 MiB */
#define PB_OPTS_MAX_CONNECTIONS 100000
#define PB_OPTS_MAX_THREADS 1024
#define PB_OPTS_MAX_SECONDS 86400.0    /* --duration, --warmup */
#define PB_OPTS_MAX_CSV_SECONDS 3600.0 /* --duration with --csv */
#define PB_OPTS_MAX_TIMEOUT 3600.0     /* --timeout */
#define PB_OPTS_MAX_RATE 10000000.0    /* --rate, requests/s */
#define PB_OPTS_MAX_PATH 4096          /* --path, bytes */

/* What is sent and what reply is expected. */
typedef enum pb_proto {
    PB_PROTO_HTTP,
    PB_PROTO_ECHO,
    PB_PROTO_MSG,
} pb_proto_t;

/* --progress / --no-progress, or neither (on a terminal, runs over 3 s). */
typedef enum pb_progress_mode {
    PB_PROGRESS_AUTO,
    PB_PROGRESS_ON,
    PB_PROGRESS_OFF,
} pb_progress_mode_t;

/* What the command line asks for. */
typedef enum pb_opts_action {
    PB_OPTS_RUN,     /* run the benchmark */
    PB_OPTS_HELP,    /* -h: print the help, exit 0 */
    PB_OPTS_VERSION, /* -V: print the version, exit 0 */
    PB_OPTS_ERROR,   /* bad command line: the reason is in err, exit 2 */
} pb_opts_action_t;

struct pb_opts {
    struct pf_addr addr;                      /* HOST:PORT */
    char target[PF_ADDR_STRLEN];              /* addr formatted ("[::1]:8080") */
    pb_proto_t proto;                         /* -p */
    const char *path;                         /* -u, http */
    bool head;                                /* -m HEAD (else GET), http */
    const char *headers[PB_OPTS_MAX_HEADERS]; /* -H, http, "Name: value" */
    int nheaders;
    bool host_header;      /* one of headers is Host: */
    bool close;            /* --close */
    size_t size;           /* -s, echo/msg */
    int connections;       /* -c */
    int threads;           /* -t */
    double duration_s;     /* -d */
    uint64_t requests;     /* -n; 0 = no limit */
    double warmup_s;       /* -w */
    double rate;           /* -R; 0 = closed loop */
    double timeout_s;      /* -T */
    const char *json_path; /* --json; "-" = stdout; NULL = none */
    const char *csv_path;  /* --csv; "-" = stdout; NULL = none */
    pb_progress_mode_t progress;
    bool quiet; /* -q */
};

/* The defaults of docs/preforkbench.md, no target. */
void pb_opts_defaults(struct pb_opts *o);

/*
 * Parse argv[0..argc) (argv[0] is the program name) into o. PB_OPTS_RUN
 * with o filled and validated; PB_OPTS_HELP or PB_OPTS_VERSION; or
 * PB_OPTS_ERROR with a one-line reason in err ("--rate: expected a number
 * of requests per second above 0, not \"x\""). Uses getopt_long (resets
 * its state first, so it may be called more than once).
 */
pb_opts_action_t pb_opts_parse(int argc, char **argv, struct pb_opts *o, char *err, size_t errlen);

/* The name of a protocol as the command line spells it ("http"). */
const char *pb_opts_proto_name(pb_proto_t proto);

/* The --help text. */
void pb_opts_usage(FILE *out);

#endif
