/* pf_cli: preforkd's command line, parsed without side effects.
 *
 *   preforkd [-c FILE] [-f | -d] [-t | -T] [-s SIGNAL] [-V] [-h]
 *   preforkd [-l ADDRESS] [-w N] [-u USER] [--notify] [-f | -d] [-t | -T] [--] PROGRAM [ARG...]
 *
 * The second form runs PROGRAM as exec workers without a configuration
 * file (docs/exec.md), as einhorn -n N -b ADDR -- PROGRAM does.
 * Parsing only decides what to do (run, test, signal, print help or the
 * version, or refuse the line); main.c does it. -s names map to the
 * signals operators know from nginx: stop = TERM (fast), quit = QUIT
 * (graceful), reload = HUP, reopen = USR1, upgrade = USR2.
 */
#ifndef PF_CLI_H
#define PF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit statuses of preforkd (documented in preforkd(8)). */
enum pf_cli_exit {
    PF_EXIT_OK = 0,      /* stopped as asked, config ok, signal sent */
    PF_EXIT_FAILURE = 1, /* start-up, configuration or signal failure */
    PF_EXIT_USAGE = 2,   /* bad command line */
};

enum pf_cli_action {
    PF_CLI_RUN,     /* start the server */
    PF_CLI_TEST,    /* -t: check the configuration */
    PF_CLI_SIGNAL,  /* -s: signal the running master */
    PF_CLI_HELP,    /* -h */
    PF_CLI_VERSION, /* -V (or -v, its spelling before) */
    PF_CLI_USAGE,   /* a bad line: message says why */
    PF_CLI_DUMP,    /* -T: check the configuration, then print it whole */
};

struct pf_cli {
    enum pf_cli_action action;
    const char *config;  /* -c; NULL: the built-in default */
    bool daemon;         /* -d (the last of -d and -f wins) */
    int signo;           /* -s: the signal */
    const char *signame; /* -s: its name as given (stop, quit, ...) */
    char message[160];   /* PF_CLI_USAGE: what is wrong */
    /* The second form: the program and its arguments (nprogram > 0), and
     * what the options set; NULL or 0: not given. */
    char *const *program;
    int nprogram;
    const char *listen;  /* -l */
    const char *workers; /* -w, as given (checked with the configuration) */
    const char *user;    /* -u */
    bool notify;         /* --notify: exec.ready = "notify" */
};

/* Parse argv (getopt_long, so it resets optind itself). */
void pf_cli_parse(struct pf_cli *cli, int argc, char **argv);

/* The signal an -s name stands for, or 0 for a name it does not know. */
int pf_cli_signal(const char *name);

/* "stop|quit|reload|reopen|upgrade", for messages. */
const char *pf_cli_signal_names(void);

/* The help text (default_config: where -c points when not given). */
void pf_cli_usage(FILE *out, const char *default_config);

#endif
