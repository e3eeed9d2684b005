/* ctl_commands: the command table. */
#include "ctl_commands.h"

#include <stdio.h>
#include <string.h>

#include "ctl_format.h"
#include "ctl_reload.h"

/* What the arguments of a command may be. */
enum cmd_args {
    CMD_NONE,  /* no argument */
    CMD_SCALE, /* N, +N or -N */
    CMD_PID,   /* a process id */
    CMD_FAST,  /* optionally the word "fast" */
};

struct cmd_spec {
    const char *verb;
    enum cmd_args args;
    void (*print)(FILE *out, const json_t *reply); /* NULL: a confirmation */
};

/* The workers table, not cut (a pipe or a terminal that scrolls). */
static void cmd_print_workers(FILE *out, const json_t *reply)
{
    ctl_print_workers(out, reply, 0, 0);
}

static const struct cmd_spec cmd_specs[] = {
    {"status", CMD_NONE, ctl_print_status},
    {"workers", CMD_NONE, cmd_print_workers},
    {"events", CMD_NONE, ctl_print_events},
    {"config", CMD_NONE, ctl_print_config},
    {"scale", CMD_SCALE, NULL},
    {"reload", CMD_NONE, NULL},
    {"reopen", CMD_NONE, NULL},
    {"stop", CMD_FAST, NULL},
    {"kill", CMD_PID, NULL},
    {"upgrade", CMD_NONE, NULL},
    {"help", CMD_NONE, NULL},
    {"top", CMD_NONE, NULL},
};

const char *ctl_command_help(void)
{
    return "  status            the server: pid, uptime, workers, totals, listen queue\n"
           "  workers           one line per worker (what it is doing now)\n"
           "  events            the server's recent events: reloads, crashes, kills...\n"
           "  config            the configuration in force\n"
           "  scale N|+N|-N     set the number of workers, or change it by N\n"
           "  reload            reload the configuration file (like SIGHUP), then wait\n"
           "                    until its workers serve or it is rolled back (--wait)\n"
           "  reopen            reopen the log files (like SIGUSR1)\n"
           "  stop [fast]       stop gracefully (like SIGQUIT), or fast (like SIGTERM)\n"
           "  kill PID          recycle the worker PID gracefully\n"
           "  upgrade           binary upgrade: start the binary again (like SIGUSR2)\n"
           "  help              the commands the server knows\n"
           "  top               the workers table, redrawn every second (q quits)\n";
}

/* 1..10 decimal digits. */
static bool cmd_digits(const char *s)
{
    size_t n = strspn(s, "0123456789");

    return n > 0 && n <= 10 && s[n] == '\0';
}

/* The arguments of spec in args[0..n). */
static int cmd_check(const struct cmd_spec *spec, int n, char *const args[], char *err,
                     size_t errlen)
{
    const char *a = n > 0 ? args[0] : NULL;
    bool ok;

    switch (spec->args) {
    case CMD_NONE: ok = n == 0; break;
    case CMD_SCALE: ok = n == 1 && cmd_digits(a + (a[0] == '+' || a[0] == '-')); break;
    case CMD_PID: ok = n == 1 && cmd_digits(a); break;
    case CMD_FAST: ok = n == 0 || (n == 1 && strcmp(a, "fast") == 0); break;
    default: ok = false; break;
    }
    if (ok)
        return CTL_EXIT_OK;
    snprintf(err, errlen, "%s: %s", spec->verb,
             spec->args == CMD_NONE    ? "takes no argument"
             : spec->args == CMD_SCALE ? "expected N, +N or -N"
             : spec->args == CMD_PID   ? "expected the pid of a worker"
                                       : "expected nothing or \"fast\"");
    return CTL_EXIT_USAGE;
}

int ctl_command_parse(int n, char *const args[], struct ctl_command *cmd, char *err, size_t errlen)
{
    const struct cmd_spec *spec = NULL;
    size_t len;
    int rc;

    for (size_t i = 0; n > 0 && i < sizeof(cmd_specs) / sizeof(cmd_specs[0]); i++)
        if (strcmp(args[0], cmd_specs[i].verb) == 0)
            spec = &cmd_specs[i];
    if (spec == NULL && n > 0)
        snprintf(err, errlen, "unknown command \"%.64s\"", args[0]);
    else if (spec == NULL)
        snprintf(err, errlen, "no command given");
    if (spec == NULL)
        return CTL_EXIT_USAGE;
    rc = cmd_check(spec, n - 1, args + 1, err, errlen);
    if (rc != CTL_EXIT_OK)
        return rc;
    cmd->verb = spec->verb;
    len = (size_t)snprintf(cmd->line, sizeof(cmd->line), "%s", spec->verb);
    for (int i = 1; i < n && len < sizeof(cmd->line); i++)
        len += (size_t)snprintf(cmd->line + len, sizeof(cmd->line) - len, " %s", args[i]);
    return CTL_EXIT_OK;
}

int ctl_command_run(struct ctl_conn *c, const struct ctl_command *cmd, bool json, int wait_ms,
                    char *err, size_t errlen)
{
    const struct cmd_spec *spec = NULL;
    const char *text;
    json_t *reply;
    int rc = ctl_conn_request(c, cmd->line, &text, &reply, err, errlen);

    for (size_t i = 0; i < sizeof(cmd_specs) / sizeof(cmd_specs[0]); i++)
        if (strcmp(cmd->verb, cmd_specs[i].verb) == 0)
            spec = &cmd_specs[i];
    if (rc == CTL_EXIT_OK && wait_ms > 0 && strcmp(cmd->verb, "reload") == 0) {
        /* the reply, then how the roll-over ended (with json, one line:
         * the reply with "last_reload" added) */
        if (!json) {
            ctl_print_confirmation(stdout, cmd->verb, reply);
            fflush(stdout);
        }
        rc = ctl_reload_wait(c, reply, json, wait_ms, err, errlen);
    } else if (json && reply != NULL) {
        printf("%s\n", text);
    } else if (rc == CTL_EXIT_OK && spec && spec->print) {
        spec->print(stdout, reply);
    } else if (rc == CTL_EXIT_OK) {
        ctl_print_confirmation(stdout, cmd->verb, reply);
    }
    json_decref(reply);
    return rc;
}
