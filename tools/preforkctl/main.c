/* preforkctl: command line, then one command (or top) over the control
 * channel of a running preforkd. See preforkctl(8). */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_commands.h"
#include "ctl_common.h"
#include "ctl_conn.h"
#include "ctl_target.h"
#include "ctl_top.h"
#include "pf_err.h"
#include "pf_opt.h"
#include "pf_paths.h"
#include "pf_version.h"

#define OPT_TIMEOUT 256 /* --timeout and --wait have no short form */
#define OPT_WAIT 257
#define OPT_TIMEOUT_MAX_S 3600.0
#define OPT_WAIT_DEFAULT_MS 120000

struct ctl_options {
    const char *config;     /* -c; the compiled default when NULL */
    const char *address;    /* -a; NULL: from the configuration */
    const char *token_file; /* -t; NULL: from the configuration */
    bool json;
    int timeout_ms;
    int wait_ms;  /* reload: how long to wait for its workers; 0 not */
    char **words; /* the command and its arguments */
    int nwords;
};

static const struct option opt_long[] = {
    {"config", required_argument, NULL, 'c'},
    {"address", required_argument, NULL, 'a'},
    {"token-file", required_argument, NULL, 't'},
    {"json", no_argument, NULL, 'j'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* "+": stop at the command word, so "scale -1" keeps its argument; ":":
 * getopt says nothing itself (pf_opt_complaint words it). -v is -V's
 * spelling before, kept. */
static const char opt_short[] = "+:c:a:t:jhVv";

/* The configuration read when -c is not given: the installation's, found
 * from where this program is (common/pf_paths.h). */
static const char *default_config(void)
{
    static char path[PATH_MAX];

    if (path[0] == '\0')
        pf_paths_default_config(PF_INSTALL_SBINDIR, PF_INSTALL_SYSCONFDIR, PF_DEFAULT_CONFIG, path,
                                sizeof(path));
    return path;
}

/* --help: options, commands, exit statuses. */
static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: preforkctl [-c FILE | -a ADDR -t TOKENFILE] [--json] [--timeout SECONDS]\n"
        "                  [--wait SECONDS] COMMAND [ARGS]\n"
        "Control a running preforkd through its control channel (control.listen).\n"
        "\n"
        "Options (before or after the command):\n"
        "  -c, --config FILE      take control.listen and control.token_file from FILE\n"
        "                         (default %s)\n"
        "  -a, --address ADDR     the control channel's address, e.g. 127.0.0.1:8099\n"
        "  -t, --token-file FILE  the file whose first line is the token\n"
        "  -j, --json             print the server's JSON reply as is, one line\n"
        "      --timeout SECONDS  bound on connecting and on each reply (default %d)\n"
        "      --wait SECONDS     reload: wait this long for the new workers to serve\n"
        "                         (default %d; 0: return once the file is applied)\n"
        "  -h, --help             print this help and exit\n"
        "  -V, --version          print the version and exit\n"
        "-a and -t override the configuration file; with both it is not read. Only\n"
        "those two settings are read from it: an error elsewhere does not matter here.\n"
        "\n"
        "Commands:\n%s"
        "\n"
        "Exit status: 0 done; 1 the server refused (its error on stderr) or replied\n"
        "nonsense, or a reload was rolled back or not done within --wait; 2 bad command line; 3 the server cannot be reached or stopped\n"
        "answering, or the configuration or token file cannot be read;\n"
        "4 authentication failed (wrong token).\n",
        default_config(), CTL_TIMEOUT_DEFAULT_MS / 1000, OPT_WAIT_DEFAULT_MS / 1000,
        ctl_command_help());
}

/* A usage error: the reason, a hint, CTL_EXIT_USAGE. */
static int opt_usage_error(const char *why)
{
    pf_opt_usage_error(stderr, "preforkctl", why);
    return CTL_EXIT_USAGE;
}

/* --timeout SECONDS (above 0) or --wait SECONDS (0 too): decimal, at
 * most an hour. */
static int opt_timeout(const char *text, bool zero, int *ms)
{
    char *end;
    double s = strtod(text, &end);

    if (end == text || *end != '\0' || !isfinite(s) || s < 0 || (s == 0 && !zero) ||
        s > OPT_TIMEOUT_MAX_S)
        return -1;
    if (s == 0) {
        *ms = 0;
        return 0;
    }
    *ms = (int)(s * 1000.0 + 0.5);
    if (*ms < 1)
        *ms = 1;
    return 0;
}

/* One getopt pass over argv[0..argc) (argv[0] is skipped). -1 to go on,
 * or the exit status (help, version, bad option). */
static int opt_getopt(int argc, char **argv, struct ctl_options *o)
{
    char why[PF_ERR_MAX];
    int c;

    optind = 0; /* glibc: full reset, a second pass starts afresh */
    opterr = 0;
    while ((c = getopt_long(argc, argv, opt_short, opt_long, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'a': o->address = optarg; break;
        case 't': o->token_file = optarg; break;
        case 'j': o->json = true; break;
        case OPT_TIMEOUT:
        case OPT_WAIT:
            if (opt_timeout(optarg, c == OPT_WAIT, c == OPT_WAIT ? &o->wait_ms : &o->timeout_ms) <
                0) {
                snprintf(why, sizeof(why), "--%s: expected seconds in %s, %g], not \"%.32s\"",
                         c == OPT_WAIT ? "wait" : "timeout", c == OPT_WAIT ? "[0" : "(0",
                         OPT_TIMEOUT_MAX_S, optarg);
                return opt_usage_error(why);
            }
            break;
        case 'h': usage(stdout); return CTL_EXIT_OK;
        case 'V':
        case 'v': printf("preforkctl %s\n", PF_VERSION); return CTL_EXIT_OK;
        default: pf_opt_complaint(c, argv, why, sizeof(why)); return opt_usage_error(why);
        }
    }
    return -1;
}

/* "-1", "+3": an argument of scale, not an option. */
static bool opt_is_number(const char *s)
{
    s += *s == '-' || *s == '+';
    return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* Whether the option word arg takes the next word as its value. */
static bool opt_needs_value(const char *arg)
{
    if (arg[1] == '-') {
        size_t n = strlen(arg + 2);

        if (strchr(arg, '=') != NULL || n == 0)
            return false;
        for (const struct option *l = opt_long; l->name; l++)
            if (l->has_arg == required_argument && strncmp(arg + 2, l->name, n) == 0)
                return true;
        return false;
    }
    for (const char *p = arg + 1; *p; p++)
        if (*p != ':' && strchr("cat", *p) != NULL)
            return p[1] == '\0';
    return false;
}

/* The words after the command: options go to opts (after opts[0]), the
 * rest to o->words; "--" ends the options. Returns how many opts. */
static int opt_split(int n, char **rest, char **opts, struct ctl_options *o)
{
    int nopts = 1;
    bool dashdash = false;

    for (int i = 0; i < n; i++) {
        const char *a = rest[i];

        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = true;
        } else if (!dashdash && a[0] == '-' && a[1] != '\0' && !opt_is_number(a)) {
            opts[nopts++] = rest[i];
            if (opt_needs_value(a) && i + 1 < n)
                opts[nopts++] = rest[++i];
        } else {
            o->words[o->nwords++] = rest[i];
        }
    }
    return nopts;
}

/* Options before the command, the command word, then the words after it
 * sorted into options and arguments. -1 to go on, or the exit status. */
static int opt_parse(int argc, char **argv, struct ctl_options *o, char **opts)
{
    int rc = opt_getopt(argc, argv, o), nopts;

    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return opt_usage_error("no command given");
    o->words[o->nwords++] = argv[optind];
    opts[0] = argv[0];
    nopts = opt_split(argc - optind - 1, argv + optind + 1, opts, o);
    if (nopts > 1 && (rc = opt_getopt(nopts, opts, o)) >= 0)
        return rc;
    if (nopts > 1 && optind < nopts)
        return opt_usage_error("an option lacks its value");
    return -1;
}

/* Connect, authenticate, run the command. The exit status. */
static int run(const struct ctl_options *o, const struct ctl_command *cmd)
{
    struct ctl_target t;
    struct ctl_conn c = {.fd = -1};
    char err[PF_ERR_MAX];
    int rc = ctl_target_resolve(&t, o->config ? o->config : default_config(), o->address,
                                o->token_file, err, sizeof(err));

    if (rc == CTL_EXIT_OK)
        rc = ctl_conn_open(&c, &t, o->timeout_ms, err, sizeof(err));
    explicit_bzero(t.token, sizeof(t.token));
    if (rc == CTL_EXIT_OK && strcmp(cmd->verb, "top") == 0)
        rc = ctl_top_run(&c, o->json, err, sizeof(err));
    else if (rc == CTL_EXIT_OK)
        rc = ctl_command_run(&c, cmd, o->json, o->wait_ms, err, sizeof(err));
    ctl_conn_close(&c);
    fflush(stdout);
    if (rc != CTL_EXIT_OK)
        fprintf(stderr, "preforkctl: %s\n", err);
    return rc;
}

int main(int argc, char **argv)
{
    struct ctl_options o = {.timeout_ms = CTL_TIMEOUT_DEFAULT_MS, .wait_ms = OPT_WAIT_DEFAULT_MS};
    struct ctl_command cmd;
    char **opts = calloc((size_t)argc + 1, sizeof(*opts));
    char err[PF_ERR_MAX];
    int rc;

    o.words = calloc((size_t)argc + 1, sizeof(*o.words));
    if (opts == NULL || o.words == NULL) {
        fprintf(stderr, "preforkctl: out of memory\n");
        return CTL_EXIT_FAILED;
    }
    rc = opt_parse(argc, argv, &o, opts);
    if (rc < 0 && ctl_command_parse(o.nwords, o.words, &cmd, err, sizeof(err)) != CTL_EXIT_OK)
        rc = opt_usage_error(err);
    if (rc < 0)
        rc = run(&o, &cmd);
    free(opts);
    free(o.words);
    return rc;
}
