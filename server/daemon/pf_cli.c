/* pf_cli: preforkd's command line (see pf_cli.h). */
#include "pf_cli.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "pf_opt.h"

static const struct {
    const char *name;
    int signo;
} cli_signals[] = {
    {"stop", SIGTERM},   {"quit", SIGQUIT},    {"reload", SIGHUP},
    {"reopen", SIGUSR1}, {"upgrade", SIGUSR2},
};

int pf_cli_signal(const char *name)
{
    for (size_t i = 0; i < sizeof(cli_signals) / sizeof(cli_signals[0]); i++)
        if (strcmp(name, cli_signals[i].name) == 0)
            return cli_signals[i].signo;
    return 0;
}

const char *pf_cli_signal_names(void)
{
    return "stop|quit|reload|reopen|upgrade";
}

void pf_cli_usage(FILE *out, const char *default_config)
{
    fprintf(out,
            "Usage: preforkd [-c FILE] [-f | -d] [-t | -T] [-s SIGNAL] [-V] [-h]\n"
            "       preforkd [-l ADDRESS] [-w N] [-u USER] [--notify] [-f | -d] [-t | -T] [--]\n"
            "                PROGRAM [ARG...]\n"
            "A pre-forking multi-process server (http, echo and msg protocols, or any\n"
            "program as the worker: the second form, without a configuration file).\n"
            "\n"
            "  -c, --config FILE    configuration file (default %s)\n"
            "  -f, --foreground     stay in the foreground (the default; for systemd)\n"
            "  -d, --daemon         detach; exit 0 once the server is ready, or 1 with\n"
            "                       the reason start-up failed (for init scripts)\n"
            "  -t, --test           check the configuration, print the result, exit 0 or 1\n"
            "  -T, --test-print     check it as -t does, then print the whole effective\n"
            "                       configuration (defaults included) on stdout, in a\n"
            "                       form preforkd loads again\n"
            "  -s, --signal SIGNAL  signal the master found through daemon.pidfile:\n"
            "                       stop (fast), quit (graceful), reload, reopen (logs),\n"
            "                       upgrade (binary upgrade)\n"
            "  -V, --version        print the version and exit\n"
            "  -h, --help           print this help and exit\n"
            "With PROGRAM (exec workers, docs/exec.md; the control channel is off):\n"
            "  -l, --listen ADDRESS where to listen (default 127.0.0.1:8080)\n"
            "  -w, --workers N      how many workers (default 4)\n"
            "  -u, --user USER      the workers' user (needed when run as root)\n"
            "      --notify         a worker is ready at its READY=1, not at its start\n"
            "  The program gets the socket on fd 3 (LISTEN_FDS=1) and this environment.\n"
            "\n"
            "Signals to the master: TERM/INT fast stop, QUIT graceful stop, HUP reload\n"
            "the configuration, USR1 reopen logs, USR2 binary upgrade, TTIN/TTOU one\n"
            "worker more/fewer.\n"
            "Exit status: 0 stopped as asked, configuration ok or signal sent; 1 start-up,\n"
            "configuration or signal failure; 2 bad command line.\n",
            default_config);
}

/* A usage error: the action and the message. */
static void cli_refuse(struct pf_cli *cli, const char *what)
{
    cli->action = PF_CLI_USAGE;
    snprintf(cli->message, sizeof(cli->message), "%s", what);
}

/* -s NAME: the signal, or a usage error naming the known ones. */
static void cli_set_signal(struct pf_cli *cli, const char *name)
{
    cli->signo = pf_cli_signal(name);
    cli->signame = name;
    if (cli->signo == 0) {
        cli->action = PF_CLI_USAGE;
        snprintf(cli->message, sizeof(cli->message), "-s: unknown signal \"%s\" (expected %s)",
                 name, pf_cli_signal_names());
    }
}

/* The two forms do not mix: -c and -s belong to a configuration file,
 * -l, -w, -u and --notify to a program given on the line. */
static void cli_check_forms(struct pf_cli *cli)
{
    bool program_options = cli->listen || cli->workers || cli->user || cli->notify;

    if (cli->nprogram > 0 && cli->config)
        cli_refuse(cli, "-c and a program: give one or the other");
    else if (cli->nprogram > 0 && cli->signame)
        cli_refuse(cli, "-s and a program: -s signals a master started with -c");
    else if (cli->nprogram == 0 && program_options)
        cli_refuse(cli, "-l, -w, -u and --notify need a program to run");
}

/* The action the options add up to: help and version win, then the usage
 * errors, then -T, then -t (neither of which signals), then -s. */
static void cli_decide(struct pf_cli *cli, bool help, bool version, bool test, bool dump)
{
    if (help)
        cli->action = PF_CLI_HELP;
    else if (version)
        cli->action = PF_CLI_VERSION;
    else if (cli->action == PF_CLI_USAGE)
        return;
    else if ((test || dump) && cli->signame)
        cli_refuse(cli, dump ? "-T and -s cannot be combined" : "-t and -s cannot be combined");
    else if (dump)
        cli->action = PF_CLI_DUMP;
    else if (test)
        cli->action = PF_CLI_TEST;
    else if (cli->signame)
        cli->action = PF_CLI_SIGNAL;
}

void pf_cli_parse(struct pf_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'f'},
        {"daemon", no_argument, NULL, 'd'},
        {"test", no_argument, NULL, 't'},
        {"signal", required_argument, NULL, 's'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"listen", required_argument, NULL, 'l'},
        {"workers", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"notify", no_argument, NULL, 'N'},
        {"test-print", no_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    bool help = false, version = false, test = false, dump = false;
    int c;

    memset(cli, 0, sizeof(*cli));
    cli->action = PF_CLI_RUN;
    optind = 0; /* glibc: 0 also resets its internal state */
    opterr = 0; /* our own messages */
    /* '+': options end at the program's name, whose own options are its;
     * -v is -V's spelling before, kept */
    while ((c = getopt_long(argc, argv, "+:c:fdtTs:Vvhl:w:u:", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': cli->config = optarg; break;
        case 'f': cli->daemon = false; break;
        case 'd': cli->daemon = true; break;
        case 't': test = true; break;
        case 'T': dump = true; break;
        case 's': cli_set_signal(cli, optarg); break;
        case 'V':
        case 'v': version = true; break;
        case 'h': help = true; break;
        case 'l': cli->listen = optarg; break;
        case 'w': cli->workers = optarg; break;
        case 'u': cli->user = optarg; break;
        case 'N': cli->notify = true; break;
        default: /* the first bad option is the one named */
            if (cli->action != PF_CLI_USAGE)
                pf_opt_complaint(c, argv, cli->message, sizeof(cli->message));
            cli->action = PF_CLI_USAGE;
            break;
        }
    }
    if (optind < argc) {
        cli->program = argv + optind;
        cli->nprogram = argc - optind;
    }
    if (cli->action != PF_CLI_USAGE)
        cli_check_forms(cli);
    cli_decide(cli, help, version, test, dump);
}
