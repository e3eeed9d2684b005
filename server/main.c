/* preforkd: the command line, then the master (or a signal to it). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_cli.h"
#include "pf_config.h"
#include "pf_config_dump.h"
#include "pf_daemon.h"
#include "pf_err.h"
#include "pf_inherit.h"
#include "pf_log.h"
#include "pf_master.h"
#include "pf_notify.h"
#include "pf_opt.h"
#include "pf_paths.h"
#include "pf_pidfile.h"
#include "pf_privs.h"
#include "pf_proto_table.h"
#include "pf_title.h"
#include "pf_upgrade.h"
#include "pf_version.h"

/* A failure before the master runs (pf_daemon_fail_start says it).
 * Returns the exit status. */
static int main_fail(const char *what)
{
    pf_daemon_fail_start(what);
    return PF_EXIT_FAILURE;
}

/* -t: the file loaded; what a start would refuse before binding (root
 * workers not asked for, what the protocol's check refuses: a document
 * root the workers cannot use) is refused here too. -T (dump): the same,
 * its verdict on stderr, then the whole configuration on stdout, so that
 * `preforkd -T > FILE` gives a file preforkd loads. */
static int main_test(const struct pf_config *cfg, bool dump)
{
    FILE *verdict = dump ? stderr : stdout;
    const struct pf_proto *proto = pf_proto_table_find(cfg->protocol);
    struct pf_privs_plan plan;
    char err[PF_ERR_MAX];

    if (pf_privs_plan(cfg, geteuid(), &plan, err, sizeof(err)) < 0) {
        fprintf(stderr, "preforkd: %s: %s\n", cfg->path, err);
        return PF_EXIT_FAILURE;
    }
    if (proto && proto->check && proto->check(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "preforkd: %s\n", err);
        return PF_EXIT_FAILURE;
    }
    if (cfg->path[0] == '\0')
        fprintf(verdict, "preforkd: command line ok: %s, %d workers on %s\n", cfg->exec.command,
                cfg->workers.start, cfg->listen);
    else
        fprintf(verdict, "preforkd: %s: syntax ok\n", cfg->path);
    if (dump && pf_config_dump(stdout, cfg) < 0) {
        fprintf(stderr, "preforkd: -T: cannot write the configuration: %s\n", strerror(errno));
        return PF_EXIT_FAILURE;
    }
    return PF_EXIT_OK;
}

/* -s: signal the master that holds the pidfile's lock. */
static int main_signal(const struct pf_config *cfg, const struct pf_cli *cli)
{
    char err[PATH_MAX + 256];
    pid_t pid = 0;
    int rc;

    if (cfg->daemon.pidfile[0] == '\0') {
        fprintf(stderr,
                "preforkd: -s %s: %s sets no daemon.pidfile, so the master cannot be "
                "found\n",
                cli->signame, cfg->path);
        return PF_EXIT_FAILURE;
    }
    rc = pf_pidfile_probe(cfg->daemon.pidfile, &pid, err, sizeof(err));
    if (rc <= 0) {
        fprintf(stderr, "preforkd: -s %s: %s\n", cli->signame, err);
        return PF_EXIT_FAILURE;
    }
    if (kill(pid, cli->signo) < 0) {
        fprintf(stderr, "preforkd: -s %s: cannot signal the master, pid %ld: %s\n", cli->signame,
                (long)pid, strerror(errno));
        return PF_EXIT_FAILURE;
    }
    printf("preforkd: %s: sent SIG%s to the master, pid %ld\n", cli->signame,
           sigabbrev_np(cli->signo), (long)pid);
    return PF_EXIT_OK;
}

/* Whether to detach: -d, unless the process is already someone's managed
 * child (systemd's notify socket, or an old master's upgrade). */
static bool main_detach(const struct pf_cli *cli, const struct pf_master_opts *o)
{
    if (!cli->daemon)
        return false;
    if (pf_notify_enabled()) {
        fprintf(stderr, "preforkd: -d ignored: systemd supervises this process "
                        "(NOTIFY_SOCKET is set)\n");
        return false;
    }
    return !(o->inherited.listen_fd >= 0 && !o->inherited.from_systemd);
}

/* Detach if asked, open the log, leave the terminal, run the master. */
static int main_run(struct pf_config *cfg, const struct pf_cli *cli, int argc, char **argv)
{
    static char exe[PATH_MAX], args[PF_TITLE_MAX];
    struct pf_master_opts o = {.config = cfg->path, .exe = exe, .args = args};
    char err[PF_ERR_MAX];
    bool detach;
    int rc;

    if (pf_inherit_take(&o.inherited, err, sizeof(err)) < 0)
        return main_fail(err);
    if (pf_upgrade_self_exe(argv[0], exe, sizeof(exe), err, sizeof(err)) < 0)
        exe[0] = '\0'; /* binary upgrade unavailable; said when asked */
    pf_title_join(args, sizeof(args), argv + 1, argc - 1);
    detach = main_detach(cli, &o);
    if (detach && cfg->daemon.error_log[0] == '\0')
        return main_fail("-d needs daemon.error_log: a detached daemon has no terminal to "
                         "log to");
    if (detach && pf_daemon_detach(err, sizeof(err)) < 0)
        return main_fail(err);
    pf_log_set_level(cfg->daemon.log_level);
    pf_log_set_role("master");
    if (pf_log_open(cfg->daemon.error_log, err, sizeof(err)) < 0)
        return main_fail(err);
    if (detach && pf_daemon_null_stdio(err, sizeof(err)) < 0) {
        pf_log_error("%s", err);
        return main_fail(err);
    }
    rc = pf_master_run(cfg, &o);
    pf_log_close();
    return rc;
}

int main(int argc, char **argv)
{
    static struct pf_config cfg;
    struct pf_cli cli;
    char err[PF_ERR_MAX], config[PATH_MAX];

    /* before anything reads argv or the environment: the master's title
     * is written over their strings, which are copied first */
    argv = pf_title_init(argc, argv);
    pf_cli_parse(&cli, argc, argv);
    pf_paths_default_config(PF_INSTALL_SBINDIR, PF_INSTALL_SYSCONFDIR, PF_DEFAULT_CONFIG, config,
                            sizeof(config));
    switch (cli.action) {
    case PF_CLI_HELP: pf_cli_usage(stdout, config); return PF_EXIT_OK;
    case PF_CLI_VERSION: printf("preforkd %s\n", PF_VERSION); return PF_EXIT_OK;
    case PF_CLI_USAGE: pf_opt_usage_error(stderr, "preforkd", cli.message); return PF_EXIT_USAGE;
    default: break;
    }
    /* An old master waiting for this one's report hears every failure,
     * a bad configuration file's included. */
    if (cli.action == PF_CLI_RUN && pf_daemon_take_ready_env(err, sizeof(err)) < 0)
        return main_fail(err);
    if (cli.nprogram > 0) {
        const struct pf_config_line line = {.listen = cli.listen,
                                            .workers = cli.workers,
                                            .user = cli.user,
                                            .notify = cli.notify,
                                            .program = cli.program,
                                            .nprogram = cli.nprogram};

        if (geteuid() == 0 && cli.user == NULL)
            return main_fail("running as root: -u USER says whom the workers run as "
                             "(-u root keeps them root)");
        if (pf_config_from_line(&cfg, &line, err, sizeof(err)) < 0)
            return main_fail(err);
    } else if (pf_config_load(&cfg, cli.config ? cli.config : config, err, sizeof(err)) < 0) {
        return main_fail(err);
    }
    if (cli.action == PF_CLI_TEST || cli.action == PF_CLI_DUMP)
        return main_test(&cfg, cli.action == PF_CLI_DUMP);
    if (cli.action == PF_CLI_SIGNAL)
        return main_signal(&cfg, &cli);
    return main_run(&cfg, &cli, argc, argv);
}
