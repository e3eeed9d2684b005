/* preforkd: command line, configuration, then the master. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_config.h"
#include "pf_log.h"
#include "pf_master.h"

enum { EXIT_USAGE = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: preforkd [-c FILE] [-t] [-v] [-h]\n"
            "A pre-forking multi-process server (http, echo and msg protocols).\n"
            "\n"
            "  -c, --config FILE  configuration file (default %s)\n"
            "  -t, --test         check the configuration, print the result, exit 0 or 1\n"
            "  -v, --version      print the version and exit\n"
            "  -h, --help         print this help and exit\n"
            "\n"
            "Runs in the foreground. Signals to the master: TERM/INT fast stop,\n"
            "QUIT graceful stop, HUP reload the configuration, USR1 reopen logs,\n"
            "TTIN/TTOU one worker more/fewer.\n"
            "Exit status: 0 stopped as asked or config ok, 1 start-up or config error,\n"
            "2 bad command line.\n",
            PF_DEFAULT_CONFIG);
}

struct options {
    const char *config;
    int test;
};

/* Returns -1 to continue, or an exit status (help, version, bad usage). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"test", no_argument, NULL, 't'},
        {"version", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "c:tvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 't': o->test = 1; break;
        case 'v': printf("preforkd %s\n", PF_VERSION); return EXIT_SUCCESS;
        case 'h': usage(stdout); return EXIT_SUCCESS;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "preforkd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static struct pf_config cfg;
    struct options o = {.config = PF_DEFAULT_CONFIG};
    char err[PF_CONFIG_ERR_MAX];
    int rc = parse_options(argc, argv, &o);

    if (rc >= 0)
        return rc;
    if (pf_config_load(&cfg, o.config, err, sizeof(err)) < 0) {
        fprintf(stderr, "preforkd: %s\n", err);
        return EXIT_FAILURE;
    }
    if (o.test) {
        printf("preforkd: %s: syntax ok\n", cfg.path);
        return EXIT_SUCCESS;
    }
    pf_log_set_level(cfg.daemon.log_level);
    pf_log_set_role("master");
    if (pf_log_open(cfg.daemon.error_log, err, sizeof(err)) < 0) {
        fprintf(stderr, "preforkd: %s\n", err);
        return EXIT_FAILURE;
    }
    rc = pf_master_run(&cfg, o.config);
    pf_log_close();
    return rc;
}
