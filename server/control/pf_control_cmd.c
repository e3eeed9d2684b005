/* pf_control_cmd: control channel command lines, parsed (pure, no I/O).
 *
 * The line is never read past len and never needs a terminating NUL: words
 * are (pointer, length) slices of it, and only validated bytes are copied
 * into the command.
 */
#include "pf_control_cmd.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pf_config.h"
#include "pf_err.h"

#define CTL_PID_MAX 2147483647L /* 2^31 - 1 */
#define CTL_SHOWN_MAX 32        /* bytes of an unknown verb quoted back */

/* One word of the line: a slice, not a string. */
struct ctl_word {
    const char *p;
    size_t len;
};

/* The verb's arguments (at most CTL_ARGS_MAX are kept; nargs says how
 * many there were, capped at CTL_ARGS_MAX + 1 so "too many" is visible). */
#define CTL_ARGS_MAX 1

typedef int (*ctl_args_fn)(const char *name, const struct ctl_word *args, size_t nargs,
                           struct pf_control_cmd *cmd, char *err, size_t errlen);

struct ctl_verb_def {
    const char *name;
    enum pf_control_cmd_verb verb;
    ctl_args_fn args;
};

/* Outcome of reading a decimal number. */
enum ctl_num { CTL_NUM_OK, CTL_NUM_SYNTAX, CTL_NUM_RANGE };

/* Space or tab: the only word separators the protocol knows. */
static int ctl_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split s[0..len) into words; fills at most max of them and returns how
 * many there were, counting no further than max + 1. */
static size_t ctl_split(const char *s, size_t len, struct ctl_word *w, size_t max)
{
    size_t n = 0, i = 0;

    while (i < len && n <= max) {
        size_t start;

        while (i < len && ctl_is_blank(s[i]))
            i++;
        if (i == len)
            break;
        start = i;
        while (i < len && !ctl_is_blank(s[i]))
            i++;
        if (n < max) {
            w[n].p = s + start;
            w[n].len = i - start;
        }
        n++;
    }
    return n;
}

/* Whether word w is exactly the string s. */
static int ctl_word_is(const struct ctl_word *w, const char *s)
{
    return strlen(s) == w->len && memcmp(w->p, s, w->len) == 0;
}

/* Read w as a decimal number in 1..max: digits only, no sign, no leading
 * zero (so "01" is a syntax error but "0" a range one). Digits beyond what
 * max allows saturate instead of overflowing. */
static enum ctl_num ctl_number(const struct ctl_word *w, long max, long *out)
{
    long long v = 0;

    if (w->len == 0 || (w->p[0] == '0' && w->len > 1))
        return CTL_NUM_SYNTAX;
    for (size_t i = 0; i < w->len; i++) {
        if (w->p[i] < '0' || w->p[i] > '9')
            return CTL_NUM_SYNTAX;
        if (v <= max)
            v = v * 10 + (w->p[i] - '0');
    }
    if (v < 1 || v > max)
        return CTL_NUM_RANGE;
    *out = v;
    return CTL_NUM_OK;
}

/* The verbs that take nothing (status, workers, config, ...). */
static int ctl_args_none(const char *name, const struct ctl_word *args, size_t nargs,
                         struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    (void)args;
    (void)cmd;
    if (nargs)
        return pf_err_format(err, errlen, "%s: takes no argument", name);
    return 0;
}

/* auth TOKEN: 1..PF_TOKEN_MAX printable bytes; a second word means the
 * token had a space in it. */
static int ctl_args_auth(const char *name, const struct ctl_word *args, size_t nargs,
                         struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    if (nargs == 0)
        return pf_err_format(err, errlen, "%s: expected a token", name);
    if (nargs > 1)
        return pf_err_format(err, errlen, "%s: token must not contain spaces", name);
    if (args[0].len > PF_TOKEN_MAX)
        return pf_err_format(err, errlen, "%s: token longer than %d bytes", name, PF_TOKEN_MAX);
    for (size_t i = 0; i < args[0].len; i++)
        if (args[0].p[i] < 0x21 || args[0].p[i] > 0x7e)
            return pf_err_format(err, errlen, "%s: token must be printable ASCII", name);
    memcpy(cmd->token, args[0].p, args[0].len);
    cmd->token[args[0].len] = '\0';
    return 0;
}

/* The messages a verb's one numeric argument is refused with. */
struct ctl_num_msgs {
    const char *missing; /* no argument */
    const char *syntax;  /* not a decimal number */
    const char *what;    /* the number's name, in the range message */
};

/* The one numeric argument of a verb into *v (1..max), or -1 with the
 * message for what was wrong. unsigned_arg is that word, a sign removed. */
static int ctl_num_arg(const char *name, size_t nargs, const struct ctl_word *unsigned_arg,
                       long max, const struct ctl_num_msgs *m, long *v, char *err, size_t errlen)
{
    if (nargs > 1)
        return pf_err_format(err, errlen, "%s: takes one argument", name);
    if (nargs == 0)
        return pf_err_format(err, errlen, "%s: %s", name, m->missing);
    switch (ctl_number(unsigned_arg, max, v)) {
    case CTL_NUM_SYNTAX: return pf_err_format(err, errlen, "%s: %s", name, m->syntax);
    case CTL_NUM_RANGE:
        return pf_err_format(err, errlen, "%s: %s must be between 1 and %ld", name, m->what, max);
    case CTL_NUM_OK: break;
    }
    return 0;
}

/* scale N | +N | -N: an absolute pool target or a signed change to it. */
static int ctl_args_scale(const char *name, const struct ctl_word *args, size_t nargs,
                          struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    static const struct ctl_num_msgs msgs = {"expected N, +N or -N", "expected N, +N or -N", "N"};
    struct ctl_word num = nargs ? args[0] : (struct ctl_word){"", 0};
    char sign = num.len ? num.p[0] : '\0';
    long v;

    if (sign == '+' || sign == '-') {
        num.p++;
        num.len--;
    }
    if (ctl_num_arg(name, nargs, &num, PF_WORKERS_HARD_MAX, &msgs, &v, err, errlen) != 0)
        return -1;
    cmd->relative = sign == '+' || sign == '-';
    cmd->value = sign == '-' ? -v : v;
    return 0;
}

/* kill PID: a positive decimal process id that fits a pid_t. */
static int ctl_args_kill(const char *name, const struct ctl_word *args, size_t nargs,
                         struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    static const struct ctl_num_msgs msgs = {"expected a PID", "PID must be a decimal number",
                                             "PID"};
    long v;

    if (ctl_num_arg(name, nargs, args, CTL_PID_MAX, &msgs, &v, err, errlen) != 0)
        return -1;
    cmd->pid = (pid_t)v;
    return 0;
}

/* stop [fast]: graceful unless the one allowed argument says otherwise. */
static int ctl_args_stop(const char *name, const struct ctl_word *args, size_t nargs,
                         struct pf_control_cmd *cmd, char *err, size_t errlen)
{
    if (nargs > 1)
        return pf_err_format(err, errlen, "%s: takes at most one argument", name);
    if (nargs == 1 && !ctl_word_is(&args[0], "fast"))
        return pf_err_format(err, errlen, "%s: expected nothing or \"fast\"", name);
    if (nargs == 1)
        cmd->verb = PF_CONTROL_CMD_STOP_FAST;
    return 0;
}

/* Every verb, in the order "help" lists them. */
static const struct ctl_verb_def ctl_verbs[] = {
    {"auth", PF_CONTROL_CMD_AUTH, ctl_args_auth},
    {"status", PF_CONTROL_CMD_STATUS, ctl_args_none},
    {"workers", PF_CONTROL_CMD_WORKERS, ctl_args_none},
    {"events", PF_CONTROL_CMD_EVENTS, ctl_args_none},
    {"config", PF_CONTROL_CMD_CONFIG, ctl_args_none},
    {"scale", PF_CONTROL_CMD_SCALE, ctl_args_scale},
    {"reload", PF_CONTROL_CMD_RELOAD, ctl_args_none},
    {"reopen", PF_CONTROL_CMD_REOPEN, ctl_args_none},
    {"stop", PF_CONTROL_CMD_STOP, ctl_args_stop},
    {"kill", PF_CONTROL_CMD_KILL, ctl_args_kill},
    {"upgrade", PF_CONTROL_CMD_UPGRADE, ctl_args_none},
    {"help", PF_CONTROL_CMD_HELP, ctl_args_none},
};

const char *pf_control_cmd_help(void)
{
    return "auth status workers events config scale reload reopen stop kill upgrade help";
}

/* The definition of the verb word w, or NULL (case-sensitive). */
static const struct ctl_verb_def *ctl_find_verb(const struct ctl_word *w)
{
    for (size_t i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++)
        if (ctl_word_is(w, ctl_verbs[i].name))
            return &ctl_verbs[i];
    return NULL;
}

/* "unknown command" quoting what was sent, cut short and with anything
 * unprintable shown as '?', so the reply stays one short line of text. */
static int ctl_unknown(const struct ctl_word *w, char *err, size_t errlen)
{
    char shown[CTL_SHOWN_MAX + 1];
    size_t n = w->len < CTL_SHOWN_MAX ? w->len : CTL_SHOWN_MAX;

    for (size_t i = 0; i < n; i++)
        shown[i] = (w->p[i] >= 0x20 && w->p[i] < 0x7f && w->p[i] != '"') ? w->p[i] : '?';
    shown[n] = '\0';
    return pf_err_format(err, errlen, "unknown command \"%s%s\" (try help)", shown,
                         w->len > n ? "..." : "");
}

/* "GET <target> HTTP/1.x", minimally: the target runs to the next space,
 * starts with '/', holds no control byte and fits cmd->path; the version
 * is HTTP/1 with any minor digit. Anything else is one error. */
static int ctl_parse_get(const char *s, size_t len, struct pf_control_cmd *cmd, char *err,
                         size_t errlen)
{
    static const char version[] = " HTTP/1.";
    size_t t = 4, end = 4;

    while (end < len && s[end] > 0x20 && s[end] != 0x7f)
        end++;
    if (end == t || s[t] != '/' || end - t >= sizeof(cmd->path))
        return pf_err_format(err, errlen, "bad HTTP request line");
    if (len - end != sizeof(version) || memcmp(s + end, version, sizeof(version) - 1) != 0 ||
        s[len - 1] < '0' || s[len - 1] > '9')
        return pf_err_format(err, errlen, "bad HTTP request line");
    memcpy(cmd->path, s + t, end - t);
    cmd->path[end - t] = '\0';
    cmd->verb = PF_CONTROL_CMD_HTTP_GET;
    return 0;
}

/* The verb and its arguments of a line already checked for NUL bytes and
 * length: split, look the verb up, let its table entry read the rest. */
static int ctl_parse_words(const char *s, size_t len, struct pf_control_cmd *cmd, char *err,
                           size_t errlen)
{
    struct ctl_word w[1 + CTL_ARGS_MAX];
    size_t n = ctl_split(s, len, w, 1 + CTL_ARGS_MAX);
    const struct ctl_verb_def *d;

    if (n == 0)
        return pf_err_format(err, errlen, "empty command");
    d = ctl_find_verb(&w[0]);
    if (!d)
        return ctl_unknown(&w[0], err, errlen);
    cmd->verb = d->verb;
    return d->args(d->name, w + 1, n - 1, cmd, err, errlen);
}

int pf_control_cmd_parse(const char *line, size_t len, struct pf_control_cmd *cmd, char *err,
                         size_t errlen)
{
    memset(cmd, 0, sizeof(*cmd));
    if (len && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return pf_err_format(err, errlen, "empty command");
    if (len >= PF_CONTROL_CMD_LINE_MAX)
        return pf_err_format(err, errlen, "command longer than %d bytes",
                             PF_CONTROL_CMD_LINE_MAX - 1);
    if (memchr(line, '\0', len))
        return pf_err_format(err, errlen, "NUL byte in command");
    if (len >= 4 && memcmp(line, "GET ", 4) == 0)
        return ctl_parse_get(line, len, cmd, err, errlen);
    return ctl_parse_words(line, len, cmd, err, errlen);
}
