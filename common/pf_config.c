/* pf_config: the configuration file (see pf_config.h, docs/configuration.md).
 *
 * One table (cfg_items) lists every setting with its group, its handler,
 * where it lands in struct pf_config and its bounds. Loading walks the
 * file's settings in file order and looks each one up in that table, so the
 * same table drives both validation and unknown-setting detection, and the
 * first error reported is the first one in the file.
 */
#include "pf_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_config_text.h"
#include "pf_exec_env.h"
#include "pf_log.h"

#define CFG_DURATION_MAX_S 86400 /* one day */

/* What one load works on: the struct being filled, the path as the caller
 * gave it (what messages print) and where the error goes. */
struct cfg_ctx {
    struct pf_config *c;
    const char *path;
    char *err;
    size_t errlen;
    const config_t *cfg; /* the file parsed, once it is (bounds read other settings) */
    const struct pf_config_text *text; /* what libconfig parsed, includes expanded */
};

/* C type of the struct field an integer setting is stored into. */
enum cfg_store { CFG_C_INT, CFG_C_LONG, CFG_C_SIZE };

struct cfg_item;
typedef int (*cfg_handler)(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);

/* One setting: group (NULL = top level) and name, the handler that checks
 * and stores it, the field's offset and C type, and its bounds. */
struct cfg_item {
    const char *group;
    const char *name;
    cfg_handler set;
    size_t offset;
    enum cfg_store store;
    long long min, max;
};

static int cfg_set_int(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_duration(struct cfg_ctx *x, const config_setting_t *s,
                            const struct cfg_item *it);
static int cfg_set_duration_or_off(struct cfg_ctx *x, const config_setting_t *s,
                                   const struct cfg_item *it);
static int cfg_set_duration_upto(struct cfg_ctx *x, const config_setting_t *s,
                                 const struct cfg_item *it);
static int cfg_set_bool(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_listen(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_protocol(struct cfg_ctx *x, const config_setting_t *s,
                            const struct cfg_item *it);
static int cfg_set_mode(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_path(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_level(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_string(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_dir(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_control_listen(struct cfg_ctx *x, const config_setting_t *s,
                                  const struct cfg_item *it);
static int cfg_set_status_listen(struct cfg_ctx *x, const config_setting_t *s,
                                 const struct cfg_item *it);
static int cfg_set_filename(struct cfg_ctx *x, const config_setting_t *s,
                            const struct cfg_item *it);
static int cfg_set_user(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_group(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_chroot(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_command(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_env(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_error_pages(struct cfg_ctx *x, const config_setting_t *s,
                               const struct cfg_item *it);
static int cfg_set_ready(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_signal(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_trusted(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);
static int cfg_set_log_format(struct cfg_ctx *x, const config_setting_t *s,
                              const struct cfg_item *it);
static int cfg_set_root(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it);

#define CFG_AT(field) offsetof(struct pf_config, field)
/* Longest string a char array field holds (its size less the NUL). */
#define CFG_LEN(field) ((long long)sizeof(((struct pf_config *)0)->field) - 1)

/* Every setting there is; anything not listed here is an unknown setting.
 * min and max bound integers; for strings max is the longest length; for
 * durations the bounds are fixed (CFG_DURATION_MAX_S), except that
 * cfg_set_duration_upto takes max, in seconds; booleans have none. */
static const struct cfg_item cfg_items[] = {
    {NULL, "listen", cfg_set_listen, CFG_AT(listen), CFG_C_INT, 0, CFG_LEN(listen)},
    {NULL, "backlog", cfg_set_int, CFG_AT(backlog), CFG_C_INT, 1, PF_BACKLOG_MAX},
    {NULL, "defer_accept", cfg_set_duration_or_off, CFG_AT(defer_accept_ms), CFG_C_INT, 0, 0},
    {NULL, "protocol", cfg_set_protocol, CFG_AT(protocol), CFG_C_INT, 0, CFG_LEN(protocol)},
    {"workers", "start", cfg_set_int, CFG_AT(workers.start), CFG_C_INT, 1, PF_WORKERS_HARD_MAX},
    {"workers", "max", cfg_set_int, CFG_AT(workers.max), CFG_C_INT, 1, PF_WORKERS_HARD_MAX},
    {"workers", "max_requests", cfg_set_int, CFG_AT(workers.max_requests), CFG_C_LONG, 0, LONG_MAX},
    {"workers", "graceful_timeout", cfg_set_duration, CFG_AT(workers.graceful_timeout_ms),
     CFG_C_INT, 0, 0},
    {"workers", "stop_timeout", cfg_set_duration, CFG_AT(workers.stop_timeout_ms), CFG_C_INT, 0, 0},
    {"workers", "mode", cfg_set_mode, CFG_AT(workers.mode), CFG_C_INT, 0, CFG_LEN(workers.mode)},
    {"workers", "min_spare", cfg_set_int, CFG_AT(workers.min_spare), CFG_C_INT, 0,
     PF_WORKERS_HARD_MAX},
    {"workers", "max_spare", cfg_set_int, CFG_AT(workers.max_spare), CFG_C_INT, 1,
     PF_WORKERS_HARD_MAX},
    {"workers", "max_spawn_rate", cfg_set_int, CFG_AT(workers.max_spawn_rate), CFG_C_INT, 1,
     PF_WORKERS_HARD_MAX},
    {"workers", "max_requests_jitter", cfg_set_int, CFG_AT(workers.max_requests_jitter), CFG_C_LONG,
     0, LONG_MAX},
    {"workers", "max_lifetime", cfg_set_duration_or_off, CFG_AT(workers.max_lifetime_ms), CFG_C_INT,
     0, 0},
    {"workers", "request_timeout", cfg_set_duration_or_off, CFG_AT(workers.request_timeout_ms),
     CFG_C_INT, 0, 0},
    {"workers", "max_memory", cfg_set_int, CFG_AT(workers.max_memory_mib), CFG_C_LONG, 0, 16777216},
    {"workers", "crash_limit", cfg_set_int, CFG_AT(workers.crash_limit), CFG_C_INT, 1, 1000000},
    {"workers", "crash_window", cfg_set_duration, CFG_AT(workers.crash_window_ms), CFG_C_INT, 0, 0},
    {"workers", "backoff_max", cfg_set_duration, CFG_AT(workers.backoff_max_ms), CFG_C_INT, 0, 0},
    {"client", "read_timeout", cfg_set_duration, CFG_AT(client.read_timeout_ms), CFG_C_INT, 0, 0},
    {"client", "write_timeout", cfg_set_duration, CFG_AT(client.write_timeout_ms), CFG_C_INT, 0, 0},
    {"client", "idle_timeout", cfg_set_duration, CFG_AT(client.idle_timeout_ms), CFG_C_INT, 0, 0},
    {"echo", "max_line", cfg_set_int, CFG_AT(echo.max_line), CFG_C_SIZE, 2, 16777216},
    {"msg", "max_message", cfg_set_int, CFG_AT(msg.max_message), CFG_C_SIZE, 0, 268435456},
    {"http", "root", cfg_set_root, CFG_AT(http.root), CFG_C_INT, 0, CFG_LEN(http.root)},
    {"http", "index", cfg_set_filename, CFG_AT(http.index), CFG_C_INT, 0, CFG_LEN(http.index)},
    {"http", "server_name", cfg_set_string, CFG_AT(http.server_name), CFG_C_INT, 0,
     CFG_LEN(http.server_name)},
    {"http", "keepalive_timeout", cfg_set_duration, CFG_AT(http.keepalive_timeout_ms), CFG_C_INT, 0,
     0},
    {"http", "keepalive_requests", cfg_set_int, CFG_AT(http.keepalive_requests), CFG_C_LONG, 1,
     LONG_MAX},
    {"http", "header_timeout", cfg_set_duration, CFG_AT(http.header_timeout_ms), CFG_C_INT, 0, 0},
    {"http", "max_request_line", cfg_set_int, CFG_AT(http.max_request_line), CFG_C_SIZE, 64, 65536},
    {"http", "max_header_bytes", cfg_set_int, CFG_AT(http.max_header_bytes), CFG_C_SIZE, 256,
     1048576},
    {"http", "max_headers", cfg_set_int, CFG_AT(http.max_headers), CFG_C_INT, 1, 10000},
    {"http", "access_log", cfg_set_path, CFG_AT(http.access_log), CFG_C_INT, 0,
     CFG_LEN(http.access_log)},
    {"http", "access_log_format", cfg_set_log_format, CFG_AT(http.access_log_format), CFG_C_INT, 0,
     CFG_LEN(http.access_log_format)},
    {"http", "mime_types", cfg_set_path, CFG_AT(http.mime_types), CFG_C_INT, 0,
     CFG_LEN(http.mime_types)},
    {"http", "open_file_cache", cfg_set_int, CFG_AT(http.open_file_cache), CFG_C_INT, 0, 4096},
    {"http", "open_file_cache_valid", cfg_set_duration, CFG_AT(http.open_file_cache_valid_ms),
     CFG_C_INT, 0, 0},
    {"http", "error_pages", cfg_set_error_pages, CFG_AT(http.error_pages), CFG_C_INT, 0,
     CFG_LEN(http.error_pages)},
    {"keeper", "parking", cfg_set_bool, CFG_AT(keeper.parking), CFG_C_INT, 0, 0},
    {"keeper", "linger", cfg_set_duration_upto, CFG_AT(keeper.linger_ms), CFG_C_INT, 0, 60},
    {"keeper", "max_parked", cfg_set_int, CFG_AT(keeper.max_parked), CFG_C_LONG, 0, 16777216},
    {"exec", "command", cfg_set_command, CFG_AT(exec.command), CFG_C_INT, 0, CFG_LEN(exec.command)},
    {"exec", "env", cfg_set_env, CFG_AT(exec.env), CFG_C_INT, 0, CFG_LEN(exec.env)},
    {"exec", "directory", cfg_set_dir, CFG_AT(exec.directory), CFG_C_INT, 0,
     CFG_LEN(exec.directory)},
    {"exec", "listen_fd", cfg_set_int, CFG_AT(exec.listen_fd), CFG_C_INT, 0, 3},
    {"exec", "ready", cfg_set_ready, CFG_AT(exec.ready), CFG_C_INT, 0, CFG_LEN(exec.ready)},
    {"exec", "ready_timeout", cfg_set_duration, CFG_AT(exec.ready_timeout_ms), CFG_C_INT, 0, 0},
    {"exec", "watchdog", cfg_set_duration_or_off, CFG_AT(exec.watchdog_ms), CFG_C_INT, 0, 0},
    {"exec", "stop_signal", cfg_set_signal, CFG_AT(exec.stop_signal), CFG_C_INT, 0, 0},
    {"exec", "hung_signal", cfg_set_signal, CFG_AT(exec.hung_signal), CFG_C_INT, 0, 0},
    {"control", "listen", cfg_set_control_listen, CFG_AT(control.listen), CFG_C_INT, 0,
     CFG_LEN(control.listen)},
    {"control", "token_file", cfg_set_dir, CFG_AT(control.token_file), CFG_C_INT, 0,
     CFG_LEN(control.token_file)},
    {"control", "idle_timeout", cfg_set_duration, CFG_AT(control.idle_timeout_ms), CFG_C_INT, 0, 0},
    {"control", "max_clients", cfg_set_int, CFG_AT(control.max_clients), CFG_C_INT, 1, 1024},
    {"status", "listen", cfg_set_status_listen, CFG_AT(status.listen), CFG_C_INT, 0,
     CFG_LEN(status.listen)},
    {"status", "metrics_token", cfg_set_bool, CFG_AT(status.metrics_token), CFG_C_INT, 0, 0},
    {"status", "max_clients", cfg_set_int, CFG_AT(status.max_clients), CFG_C_INT, 1, 1024},
    {"status", "drain_delay", cfg_set_duration_upto, CFG_AT(status.drain_delay_ms), CFG_C_INT, 0,
     3600},
    {"proxy", "protocol", cfg_set_bool, CFG_AT(proxy.protocol), CFG_C_INT, 0, 0},
    {"proxy", "trusted", cfg_set_trusted, CFG_AT(proxy.trusted), CFG_C_INT, 0,
     CFG_LEN(proxy.trusted)},
    {"proxy", "forwarded_for", cfg_set_bool, CFG_AT(proxy.forwarded_for), CFG_C_INT, 0, 0},
    {"daemon", "error_log", cfg_set_path, CFG_AT(daemon.error_log), CFG_C_INT, 0,
     CFG_LEN(daemon.error_log)},
    {"daemon", "log_level", cfg_set_level, CFG_AT(daemon.log_level), CFG_C_INT, 0, 0},
    {"daemon", "pidfile", cfg_set_path, CFG_AT(daemon.pidfile), CFG_C_INT, 0,
     CFG_LEN(daemon.pidfile)},
    {"daemon", "user", cfg_set_user, CFG_AT(daemon.user), CFG_C_INT, 0, CFG_LEN(daemon.user)},
    {"daemon", "group", cfg_set_group, CFG_AT(daemon.group), CFG_C_INT, 0, CFG_LEN(daemon.group)},
    {"daemon", "chroot", cfg_set_chroot, CFG_AT(daemon.chroot), CFG_C_INT, 0,
     CFG_LEN(daemon.chroot)},
    {"daemon", "max_files", cfg_set_int, CFG_AT(daemon.max_files), CFG_C_LONG, 0, 1048576},
};

#define CFG_NITEMS (sizeof cfg_items / sizeof cfg_items[0])

/* Protocols the server implements; adding one is adding its name here. */
static const char *const cfg_protocols[] = {"http", "echo", "msg", "exec"};

#define CFG_NPROTOCOLS (sizeof cfg_protocols / sizeof cfg_protocols[0])

/* The public description of cfg_items[i]: its C type follows from the
 * handler that checks it (and, for integers, the field it is stored in). */
bool pf_config_setting_at(size_t i, struct pf_config_setting *out)
{
    static const enum pf_config_type ints[] = {
        [CFG_C_INT] = PF_CONFIG_INT, [CFG_C_LONG] = PF_CONFIG_LONG, [CFG_C_SIZE] = PF_CONFIG_SIZE};
    const struct cfg_item *it;

    if (i >= CFG_NITEMS)
        return false;
    it = &cfg_items[i];
    out->group = it->group;
    out->name = it->name;
    out->offset = it->offset;
    out->size = (size_t)it->max + 1;
    out->empty_unset = it->set == cfg_set_dir || it->set == cfg_set_command;
    if (it->set == cfg_set_int)
        out->type = ints[it->store];
    else if (it->set == cfg_set_duration || it->set == cfg_set_duration_or_off ||
             it->set == cfg_set_duration_upto)
        out->type = PF_CONFIG_MS;
    else if (it->set == cfg_set_level)
        out->type = PF_CONFIG_LOG_LEVEL;
    else if (it->set == cfg_set_bool)
        out->type = PF_CONFIG_BOOL;
    else if (it->set == cfg_set_command || it->set == cfg_set_env ||
             it->set == cfg_set_error_pages || it->set == cfg_set_trusted)
        out->type = PF_CONFIG_STRINGS;
    else if (it->set == cfg_set_signal)
        out->type = PF_CONFIG_SIGNAL;
    else
        out->type = PF_CONFIG_STRING;
    return true;
}

/* The documented defaults; etc/preforkd.conf spells out the same values
 * (test_shipped_config checks that they agree). */
void pf_config_defaults(struct pf_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "%s", "127.0.0.1:8080");
    pf_addr_parse(c->listen, &c->listen_addr, NULL, 0);
    c->backlog = 511;
    c->defer_accept_ms = 1000;
    snprintf(c->protocol, sizeof c->protocol, "%s", "http");
    c->workers.start = 4;
    c->workers.max = 64;
    c->workers.max_requests = 0;
    c->workers.graceful_timeout_ms = 30000;
    c->workers.stop_timeout_ms = 5000;
    snprintf(c->workers.mode, sizeof c->workers.mode, "%s", "static");
    c->workers.min_spare = 2;
    c->workers.max_spare = 8;
    c->workers.max_spawn_rate = 32;
    c->workers.max_requests_jitter = 0;
    c->workers.max_lifetime_ms = 0;
    c->workers.request_timeout_ms = 0;
    c->workers.crash_limit = 5;
    c->workers.crash_window_ms = 10000;
    c->workers.backoff_max_ms = 30000;
    c->client.read_timeout_ms = 30000;
    c->client.write_timeout_ms = 30000;
    c->client.idle_timeout_ms = 60000;
    c->echo.max_line = 8192;
    c->msg.max_message = 1048576;
    snprintf(c->http.root, sizeof c->http.root, "%s", "www");
    snprintf(c->http.index, sizeof c->http.index, "%s", "index.html");
    c->http.keepalive_timeout_ms = 5000;
    c->http.keepalive_requests = 1000;
    c->http.header_timeout_ms = 10000;
    c->http.max_request_line = 8192;
    c->http.max_header_bytes = 8192;
    c->http.max_headers = 100;
    snprintf(c->http.access_log_format, sizeof c->http.access_log_format, "%s", "combined");
    snprintf(c->http.mime_types, sizeof c->http.mime_types, "%s", "/etc/mime.types");
    c->http.open_file_cache = 64;
    c->http.open_file_cache_valid_ms = 1000;
    c->keeper.parking = true;
    c->keeper.linger_ms = 50;
    c->keeper.max_parked = 0;
    c->exec.listen_fd = 3;
    snprintf(c->exec.ready, sizeof c->exec.ready, "%s", "started");
    c->exec.ready_timeout_ms = 30000;
    c->exec.stop_signal = SIGTERM;
    c->exec.hung_signal = SIGABRT;
    snprintf(c->control.token_file, sizeof c->control.token_file, "%s", "preforkd.token");
    c->control.idle_timeout_ms = 60000;
    c->control.max_clients = 16;
    c->status.metrics_token = true;
    c->status.max_clients = 64;
    c->status.drain_delay_ms = 0;
    c->daemon.log_level = PF_LOG_INFO;
}

/* Format the reason into the load's error buffer and return -1, so that
 * every failure path is one "return cfg_...(...)" statement. */
#define cfg_errorf(x, ...) pf_err_format((x)->err, (x)->errlen, __VA_ARGS__)

/* The file a setting was written in, and its line there into *line: the
 * text libconfig parsed maps each of its lines back (an @include'd file
 * differs from the main one). */
static const char *cfg_where(const struct cfg_ctx *x, const config_setting_t *s, unsigned *line)
{
    *line = (unsigned)config_setting_source_line(s);
    return x->text ? pf_config_text_where(x->text, *line, line) : x->path;
}

/* "FILE:LINE: group.name: REASON" for setting s, then return -1. */
__attribute__((format(printf, 3, 4))) static int cfg_fail(struct cfg_ctx *x,
                                                          const config_setting_t *s,
                                                          const char *fmt, ...)
{
    const config_setting_t *parent = config_setting_parent(s);
    char reason[PF_ERR_MAX];
    unsigned line;
    const char *file = cfg_where(x, s, &line);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (parent && !config_setting_is_root(parent))
        return cfg_errorf(x, "%s:%u: %s.%s: %s", file, line, config_setting_name(parent),
                          config_setting_name(s), reason);
    return cfg_errorf(x, "%s:%u: %s: %s", file, line, config_setting_name(s), reason);
}

/* Article and name of a libconfig type, for "(got a string)" messages. */
static const char *cfg_type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a decimal number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "an unknown type";
    }
}

/* text between double quotes into buf, control bytes written as \xNN, so
 * that a value quoted in a message cannot break its one line. */
static const char *cfg_quote(const char *text, char *buf, size_t size)
{
    size_t n = 0;

    for (buf[n++] = '"'; *text && n + 6 < size; text++) {
        unsigned char ch = (unsigned char)*text;

        if (ch < 0x20 || ch == 0x7f)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        else
            buf[n++] = (char)ch;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

/* name resolved against dir into buf: an absolute name is kept, a relative
 * one is joined ("/" + "x" gives "/x", not "//x"). Returns buf. */
static const char *cfg_join_path(const char *dir, const char *name, char *buf, size_t size)
{
    if (name[0] == '/')
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
    return buf;
}

/* True when an integer literal ends where it should: anything else after
 * the digits (0b101, 0o17, a suffix) is a form we do not second-guess. */
static bool cfg_literal_end(const char *end)
{
    return *end == '\0' || strchr(" \t\r\n;,}#/", *end) != NULL;
}

/* Read the integer literal assigned to name on this source line into v.
 * Returns 1 when read, 0 when not found or in a form not handled here
 * (only decimal and 0x hex are), -1 when it does not fit 64 bits. */
static int cfg_literal(const char *line, const char *name, long long *v)
{
    size_t len = strlen(name);

    for (const char *p = strstr(line, name); p; p = strstr(p + 1, name)) {
        const char *q = p + len + strspn(p + len, " \t");
        char *end;

        if ((p > line && (isalnum((unsigned char)p[-1]) || strchr("_-*", p[-1]))) ||
            (*q != '=' && *q != ':'))
            continue;
        q += 1 + strspn(q + 1, " \t");
        errno = 0;
        *v = strtoll(q, &end, strncasecmp(q + (*q == '-' || *q == '+'), "0x", 2) ? 10 : 16);
        if (end == q || !cfg_literal_end(end))
            return 0;
        return errno == ERANGE ? -1 : 1;
    }
    return 0;
}

/* The value of an integer setting into v; -1 when it does not fit 64 bits.
 * libconfig 1.5 reads a decimal literal beyond the int range by silent
 * wrap-around (4294967297 becomes 1) and types it int, so a plain int is
 * re-read from its source line. Newer libconfig types such literals as
 * 64-bit, and the re-read finds the value libconfig has. */
static int cfg_int64(const struct cfg_ctx *x, const config_setting_t *s, long long *v)
{
    char line[4096];
    long long read;
    int rc;

    *v = config_setting_get_int64(s);
    if (config_setting_type(s) != CONFIG_TYPE_INT || !x->text)
        return 0;
    pf_config_text_line(x->text, (unsigned)config_setting_source_line(s), line, sizeof line);
    rc = cfg_literal(line, config_setting_name(s), &read);
    *v = rc == 1 ? read : *v;
    return rc < 0 ? -1 : 0;
}

/* Store an integer already checked against its bounds into its field. */
static void cfg_store_int(struct pf_config *c, const struct cfg_item *it, long long v)
{
    char *field = (char *)c + it->offset;

    switch (it->store) {
    case CFG_C_INT: *(int *)(void *)field = (int)v; break;
    case CFG_C_LONG: *(long *)(void *)field = (long)v; break;
    case CFG_C_SIZE: *(size_t *)(void *)field = (size_t)v; break;
    }
}

/* Read a number from s: integers always, decimals when floats is set.
 * got receives what was found, for the "(got ...)" part of a message: the
 * value, or the wrong type, or "a number out of range". Returns 0 or -1. */
static int cfg_number(const struct cfg_ctx *x, const config_setting_t *s, bool floats,
                      long double *v, char *got, size_t size)
{
    int type = config_setting_type(s);
    long long i;

    if (type == CONFIG_TYPE_FLOAT && floats) {
        *v = config_setting_get_float(s);
        snprintf(got, size, "%g", config_setting_get_float(s));
        return 0;
    }
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        snprintf(got, size, "%s", cfg_type_name(s));
        return -1;
    }
    if (cfg_int64(x, s, &i) != 0) {
        snprintf(got, size, "a number out of range");
        return -1;
    }
    *v = (long double)i;
    snprintf(got, size, "%lld", i);
    return 0;
}

/* Bounds one setting takes from another: the value of other is the
 * lowest (upper false) or highest (upper true) value of setting, when
 * that is narrower than setting's own range; dynamic: only when
 * workers.mode is "dynamic". A pair checked this way needs no check of
 * its own after the walk: whichever of the two the file sets first is
 * checked against the other's value, from the file or by default. */
static const struct {
    const char *setting, *other;
    bool upper, dynamic;
} cfg_links[] = {
    {"workers.start", "workers.max", true, false},
    {"workers.max", "workers.start", false, false},
    {"workers.min_spare", "workers.max_spare", true, false},
    {"workers.max_spare", "workers.min_spare", false, false},
    {"workers.max_spare", "workers.max", true, true},
    {"workers.max", "workers.max_spare", false, true},
};

/* The range that applies to an integer setting: its own bounds, each
 * narrowed by a linked setting, named when it is (by_default: that
 * setting is not in the file). */
struct cfg_range {
    long long lo, hi;
    const char *lo_from, *hi_from;
    bool lo_default, hi_default;
};

/* "group.name" of it into buf. */
static const char *cfg_item_name(const struct cfg_item *it, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", it->group ? it->group : "", it->group ? "." : "", it->name);
    return buf;
}

/* Is the pool dynamic, as the file being loaded says (or by default)? */
static bool cfg_file_dynamic(const struct cfg_ctx *x)
{
    const config_setting_t *s = x->cfg ? config_lookup(x->cfg, "workers.mode") : NULL;
    const char *mode = s ? config_setting_get_string(s) : NULL;

    return s ? mode && strcmp(mode, "dynamic") == 0 : pf_config_dynamic(x->c);
}

static const struct cfg_item *cfg_find(const char *group, const char *name);
static int cfg_number(const struct cfg_ctx *x, const config_setting_t *s, bool floats,
                      long double *v, char *got, size_t size);

/* The value the integer setting "group.name" has for this load: the
 * file's, when the file sets it within its own bounds, else its default
 * (x->c holds it: nothing else sets it). -1 when the file's is wrong: its
 * own message comes when it is checked. */
static int cfg_other(const struct cfg_ctx *x, const char *full, long long *v, bool *set)
{
    char group[PF_CONFIG_NAME_LEN], got[64];
    const char *dot = strchr(full, '.');
    const config_setting_t *s = x->cfg ? config_lookup(x->cfg, full) : NULL;
    const struct cfg_item *it;
    long double ld;

    snprintf(group, sizeof group, "%.*s", dot ? (int)(dot - full) : 0, full);
    it = cfg_find(dot ? group : NULL, dot ? dot + 1 : full);
    if (!it)
        return -1;
    *set = s != NULL;
    if (!s) {
        const char *field = (const char *)x->c + it->offset;

        *v = it->store == CFG_C_INT    ? *(const int *)(const void *)field
             : it->store == CFG_C_LONG ? *(const long *)(const void *)field
                                       : (long long)*(const size_t *)(const void *)field;
        return 0;
    }
    if (cfg_number(x, s, false, &ld, got, sizeof got) != 0 || ld < it->min || ld > it->max)
        return -1;
    *v = (long long)ld;
    return 0;
}

/* The range of it for this load (cfg_links). */
static void cfg_range_of(const struct cfg_ctx *x, const struct cfg_item *it, struct cfg_range *r)
{
    char name[PF_CONFIG_NAME_LEN];

    *r = (struct cfg_range){.lo = it->min, .hi = it->max};
    cfg_item_name(it, name, sizeof name);
    for (size_t i = 0; i < sizeof cfg_links / sizeof cfg_links[0]; i++) {
        long long v;
        bool set;

        if (strcmp(cfg_links[i].setting, name) != 0 ||
            (cfg_links[i].dynamic && !cfg_file_dynamic(x)) ||
            cfg_other(x, cfg_links[i].other, &v, &set) != 0)
            continue;
        if (cfg_links[i].upper && v < r->hi) {
            r->hi = v;
            r->hi_from = cfg_links[i].other;
            r->hi_default = !set;
        } else if (!cfg_links[i].upper && v > r->lo) {
            r->lo = v;
            r->lo_from = cfg_links[i].other;
            r->lo_default = !set;
        }
    }
}

/* One bound for a message: "64", or "64 (workers.max)", or "4
 * (workers.start, by default)". */
static const char *cfg_bound_text(long long v, const char *from, bool by_default, char *buf,
                                  size_t size)
{
    if (from)
        snprintf(buf, size, "%lld (%s%s)", v, from, by_default ? ", by default" : "");
    else
        snprintf(buf, size, "%lld", v);
    return buf;
}

/* "an integer between LO and HI", or "an integer of at least LO" when
 * nothing but the type bounds it above, each bound named when another
 * setting sets it: the one message for every value out of the range. */
static const char *cfg_range_text(const struct cfg_range *r, char *buf, size_t size)
{
    char lo[PF_CONFIG_NAME_LEN + 48], hi[PF_CONFIG_NAME_LEN + 48];

    cfg_bound_text(r->lo, r->lo_from, r->lo_default, lo, sizeof lo);
    if (r->hi == LONG_MAX && !r->hi_from)
        snprintf(buf, size, "an integer of at least %s", lo);
    else
        snprintf(buf, size, "an integer between %s and %s", lo,
                 cfg_bound_text(r->hi, r->hi_from, r->hi_default, hi, sizeof hi));
    return buf;
}

/* An integer setting (int or 64-bit literal) within the range that
 * applies (cfg_range_of). A long double holds every 64-bit integer
 * exactly on x86-64 and arm64 Linux. */
static int cfg_set_int(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    char want[2 * PF_CONFIG_NAME_LEN + 160], got[64];
    struct cfg_range r;
    long double v;

    cfg_range_of(x, it, &r);
    if (cfg_number(x, s, false, &v, got, sizeof got) != 0 || v < r.lo || v > r.hi)
        return cfg_fail(x, s, "must be %s (got %s)", cfg_range_text(&r, want, sizeof want), got);
    cfg_store_int(x->c, it, (long long)v);
    return 0;
}

/* A duration: seconds as an integer or a decimal, 0 < d <= one day,
 * stored as milliseconds rounded to nearest (at least 1 ms). */
static int cfg_set_duration(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    char got[64];
    long double sec;
    long long ms;

    if (cfg_number(x, s, true, &sec, got, sizeof got) != 0 || !(sec > 0) ||
        sec > CFG_DURATION_MAX_S)
        return cfg_fail(x, s, "must be a number of seconds above 0 and at most %d (got %s)",
                        CFG_DURATION_MAX_S, got);
    ms = (long long)(sec * 1000 + 0.5L); /* sec > 0: rounds to nearest, no libm */
    cfg_store_int(x->c, it, ms < 1 ? 1 : ms);
    return 0;
}

/* A duration that may be 0, meaning "off" (defer_accept = 0). */
static int cfg_set_duration_or_off(struct cfg_ctx *x, const config_setting_t *s,
                                   const struct cfg_item *it)
{
    char got[64];
    long double sec;

    if (cfg_number(x, s, true, &sec, got, sizeof got) != 0 || sec < 0 || sec > CFG_DURATION_MAX_S)
        return cfg_fail(x, s, "must be 0 (off) or a number of seconds up to %d (got %s)",
                        CFG_DURATION_MAX_S, got);
    if (sec == 0) {
        cfg_store_int(x->c, it, 0);
        return 0;
    }
    return cfg_set_duration(x, s, it);
}

/* A duration from 0 to it->max seconds (at most CFG_DURATION_MAX_S), where
 * 0 is a value of its own, not "off" (keeper.linger = 0: park at once). */
static int cfg_set_duration_upto(struct cfg_ctx *x, const config_setting_t *s,
                                 const struct cfg_item *it)
{
    char got[64];
    long double sec;

    if (cfg_number(x, s, true, &sec, got, sizeof got) != 0 || !(sec >= 0 && sec <= it->max))
        return cfg_fail(x, s, "must be a number of seconds between 0 and %lld (got %s)", it->max,
                        got);
    if (sec == 0) {
        cfg_store_int(x->c, it, 0);
        return 0;
    }
    return cfg_set_duration(x, s, it);
}

/* A boolean: libconfig's true or false (any case), nothing else (not 0 or
 * 1, not "yes"), stored into a bool field. */
static int cfg_set_bool(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return cfg_fail(x, s, "must be true or false (got %s)", cfg_type_name(s));
    *(bool *)(void *)((char *)x->c + it->offset) = config_setting_get_bool(s) != 0;
    return 0;
}

/* The string held by s, or NULL after reporting that s is not a string. */
static const char *cfg_string(struct cfg_ctx *x, const config_setting_t *s)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING)
        return config_setting_get_string(s);
    cfg_fail(x, s, "must be a string (got %s)", cfg_type_name(s));
    return NULL;
}

/* Copy text into the char array field of it, whose capacity is
 * it->max + 1 bytes. */
static int cfg_store_string(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it,
                            const char *text)
{
    size_t len = strlen(text);

    if (len > (size_t)it->max)
        return cfg_fail(x, s, "too long (at most %lld bytes)", it->max);
    memcpy((char *)x->c + it->offset, text, len + 1);
    return 0;
}

/* listen: an address pf_addr_parse accepts (port 0 included). */
static int cfg_set_listen(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    char why[PF_ERR_MAX], quoted[128];

    if (!text)
        return -1;
    if (pf_addr_parse(text, &x->c->listen_addr, why, sizeof why) != 0)
        return cfg_fail(x, s, "invalid address %s: %s", cfg_quote(text, quoted, sizeof quoted),
                        why);
    return cfg_store_string(x, s, it, text);
}

/* "a, b or c" from n names into buf, for "expected ..." messages. */
static const char *cfg_join(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, names[i]);

        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* A string that must be one of names[0..n), what naming it in the error:
 * unknown protocol "ftp" (expected http, echo, msg or exec). */
static int cfg_set_one_of(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it,
                          const char *what, const char *const *names, size_t n)
{
    const char *text = cfg_string(x, s);
    char list[128], quoted[128];

    if (!text)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(text, names[i]) == 0)
            return cfg_store_string(x, s, it, text);
    }
    return cfg_fail(x, s, "unknown %s %s (expected %s)", what,
                    cfg_quote(text, quoted, sizeof quoted), cfg_join(names, n, list, sizeof list));
}

/* protocol: one of cfg_protocols. */
static int cfg_set_protocol(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    return cfg_set_one_of(x, s, it, "protocol", cfg_protocols, CFG_NPROTOCOLS);
}

/* workers.mode: "static" or "dynamic". */
static int cfg_set_mode(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    char quoted[128];

    if (!text)
        return -1;
    if (strcmp(text, "static") != 0 && strcmp(text, "dynamic") != 0)
        return cfg_fail(x, s, "unknown mode %s (expected \"static\" or \"dynamic\")",
                        cfg_quote(text, quoted, sizeof quoted));
    return cfg_store_string(x, s, it, text);
}

bool pf_config_dynamic(const struct pf_config *c)
{
    return strcmp(c->workers.mode, "dynamic") == 0;
}

bool pf_config_exec(const struct pf_config *c)
{
    return strcmp(c->protocol, "exec") == 0;
}

const char *pf_config_string_at(const char *strings, int n, int i)
{
    if (i < 0 || i >= n)
        return NULL;
    while (i-- > 0)
        strings += strlen(strings) + 1;
    return strings;
}

/* ----------------------------------------------------------------- exec */

/* A list of strings (a libconfig list or array) into the field of it:
 * each checked by check (may be NULL), then stored with its NUL; the
 * count into *n. At least min entries, at most PF_EXEC_LIST_MAX. */
static int cfg_store_strings(struct cfg_ctx *x, const config_setting_t *s,
                             const struct cfg_item *it, int *n, int min,
                             int (*check)(struct cfg_ctx *x, const config_setting_t *s, int i,
                                          const char *text, char *out, size_t size))
{
    char *field = (char *)x->c + it->offset, one[PATH_MAX];
    size_t used = 0;
    int count;

    if (!config_setting_is_list(s) && !config_setting_is_array(s))
        return cfg_fail(x, s, "must be a list of strings, [\"a\", \"b\"] (got %s)",
                        cfg_type_name(s));
    count = config_setting_length(s);
    if (count < min || count > PF_EXEC_LIST_MAX)
        return cfg_fail(x, s, "must have %d to %d entries (got %d)", min, PF_EXEC_LIST_MAX, count);
    for (int i = 0; i < count; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *text;
        size_t len;

        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return cfg_fail(x, s, "entry %d must be a string (got %s)", i + 1, cfg_type_name(e));
        text = config_setting_get_string(e);
        if (text[0] == '\0') /* the list ends at an empty string (PF_CONFIG_STRINGS) */
            return cfg_fail(x, s, "entry %d must not be empty", i + 1);
        if (check) {
            if (check(x, s, i, text, one, sizeof one) < 0)
                return -1;
            text = one;
        }
        len = strlen(text);
        if (used + len + 1 > (size_t)it->max + 1)
            return cfg_fail(x, s, "too long (at most %lld bytes in all)", it->max + 1);
        memcpy(field + used, text, len + 1);
        used += len + 1;
    }
    memset(field + used, 0, (size_t)it->max + 1 - used);
    *n = count;
    return 0;
}

/* A program's name resolved into out: with a '/', a path (relative to
 * dir); without, looked for in PATH as a shell would. It must be a
 * regular file this process may execute. 0, or -1 with the reason in why
 * (to follow the quoted name). */
static int cfg_program_path(const char *dir, const char *text, char *out, size_t size, char *why,
                            size_t whylen)
{
    struct stat st;

    if (strchr(text, '/') == NULL) {
        const char *path = getenv("PATH");
        char folder[PATH_MAX];

        path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = path; *p;) {
            size_t n = strcspn(p, ":");

            snprintf(folder, sizeof folder, "%.*s", (int)n, n ? p : ".");
            cfg_join_path(folder, text, out, size);
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
                return 0;
            p += n + (p[n] == ':');
        }
        snprintf(why, whylen, "not found in PATH (%s)", path);
        return -1;
    }
    cfg_join_path(dir, text, out, size);
    if (stat(out, &st) < 0)
        snprintf(why, whylen, "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(why, whylen, "not a file");
    else if (access(out, X_OK) < 0)
        snprintf(why, whylen, "not executable: %s", strerror(errno));
    else
        return 0;
    return -1;
}

/* exec.command's entries: the first is the program (cfg_program_path). */
static int cfg_check_program(struct cfg_ctx *x, const config_setting_t *s, int i, const char *text,
                             char *out, size_t size)
{
    char quoted[PATH_MAX + 8], why[PATH_MAX + 64];

    if (i > 0) {
        snprintf(out, size, "%s", text);
        return 0;
    }
    if (cfg_program_path(x->c->dir, text, out, size, why, sizeof why) < 0)
        return cfg_fail(x, s, "program %s: %s", cfg_quote(text, quoted, sizeof quoted), why);
    return 0;
}

static int cfg_set_command(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    return cfg_store_strings(x, s, it, &x->c->exec.argc, 1, cfg_check_program);
}

static int cfg_check_env(struct cfg_ctx *x, const config_setting_t *s, int i, const char *text,
                         char *out, size_t size)
{
    char why[PF_ERR_MAX];

    if (pf_exec_env_check(text, why, sizeof why) < 0)
        return cfg_fail(x, s, "entry %d: %s", i + 1, why);
    snprintf(out, size, "%s", text);
    return 0;
}

static int cfg_set_env(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    return cfg_store_strings(x, s, it, &x->c->exec.nenv, 0, cfg_check_env);
}

static int cfg_set_ready(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    char quoted[128];

    if (!text)
        return -1;
    if (strcmp(text, "started") != 0 && strcmp(text, "notify") != 0)
        return cfg_fail(x, s, "unknown readiness %s (expected \"started\" or \"notify\")",
                        cfg_quote(text, quoted, sizeof quoted));
    return cfg_store_string(x, s, it, text);
}

/* http.access_log_format: "combined" or "json". */
static int cfg_set_log_format(struct cfg_ctx *x, const config_setting_t *s,
                              const struct cfg_item *it)
{
    static const char *const formats[] = {"combined", "json"};

    return cfg_set_one_of(x, s, it, "format", formats, sizeof formats / sizeof formats[0]);
}

/* ------------------------------------------------------ http.error_pages */

int pf_config_error_page(const char *entry, const char **file)
{
    int status;
    size_t n;

    for (n = 0; n < 3; n++)
        if (entry[n] < '0' || entry[n] > '9')
            return -1;
    status = (entry[0] - '0') * 100 + (entry[1] - '0') * 10 + (entry[2] - '0');
    n = strspn(entry + 3, " \t");
    if (status < 400 || status > 599 || n == 0 || entry[3 + n] == '\0')
        return -1;
    *file = entry + 3 + n;
    return status;
}

/* The page file of an entry, resolved against dir into out: a regular
 * file this process can read, of at most PF_HTTP_ERROR_PAGE_FILE_MAX
 * bytes. 0, or -1 with the reason in why. */
static int cfg_page_file(const char *dir, const char *file, char *out, size_t size, char *why,
                         size_t whylen)
{
    struct stat st;
    int fd;

    if (strlen(cfg_join_path(dir, file, out, size)) >= PATH_MAX) {
        snprintf(why, whylen, "path too long once joined to %s", dir);
        return -1;
    }
    fd = open(out, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) < 0)
        snprintf(why, whylen, "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(why, whylen, "not a regular file");
    else if (st.st_size > PF_HTTP_ERROR_PAGE_FILE_MAX)
        snprintf(why, whylen, "%lld bytes, more than the %d a page may have", (long long)st.st_size,
                 PF_HTTP_ERROR_PAGE_FILE_MAX);
    else
        why[0] = '\0';
    if (fd >= 0)
        close(fd);
    return why[0] ? -1 : 0;
}

/* One http.error_pages entry (the i-th, entries before it already
 * stored): "STATUS FILE", a status not given before, a page file; stored
 * as "STATUS /absolute/path". */
static int cfg_check_error_page(struct cfg_ctx *x, const config_setting_t *s, int i,
                                const char *text, char *out, size_t size)
{
    char quoted[PATH_MAX + 8], path[2 * PATH_MAX], why[PATH_MAX + 64];
    const char *file, *prev;
    int status = pf_config_error_page(text, &file);

    if (status < 0)
        return cfg_fail(x, s,
                        "entry %d: must be \"STATUS FILE\", a status from 400 to 599, "
                        "a blank and a file (got %s)",
                        i + 1, cfg_quote(text, quoted, sizeof quoted));
    for (int k = 0; k < i; k++)
        if (pf_config_error_page(pf_config_string_at(x->c->http.error_pages, i, k), &prev) ==
            status)
            return cfg_fail(x, s, "entry %d: status %d has a page already (entry %d)", i + 1,
                            status, k + 1);
    if (cfg_page_file(x->c->dir, file, path, sizeof path, why, sizeof why) < 0)
        return cfg_fail(x, s, "entry %d: %s: %s", i + 1, cfg_quote(file, quoted, sizeof quoted),
                        why);
    if ((size_t)snprintf(out, size, "%d %s", status, path) >= size)
        return cfg_fail(x, s, "entry %d: %s: path too long", i + 1,
                        cfg_quote(file, quoted, sizeof quoted));
    return 0;
}

static int cfg_set_error_pages(struct cfg_ctx *x, const config_setting_t *s,
                               const struct cfg_item *it)
{
    return cfg_store_strings(x, s, it, &x->c->http.nerror_pages, 0, cfg_check_error_page);
}

/* ---------------------------------------------------------------- proxy */

/* One proxy.trusted entry (the i-th): an address or a CIDR block,
 * parsed into trusted_nets as well. */
static int cfg_check_trusted(struct cfg_ctx *x, const config_setting_t *s, int i, const char *text,
                             char *out, size_t size)
{
    char why[PF_ERR_MAX];

    if (pf_cidr_parse(text, &x->c->proxy.trusted_nets[i], why, sizeof why) < 0)
        return cfg_fail(x, s, "entry %d: %s", i + 1, why);
    snprintf(out, size, "%s", text);
    return 0;
}

static int cfg_set_trusted(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    return cfg_store_strings(x, s, it, &x->c->proxy.ntrusted, 0, cfg_check_trusted);
}

/* Rules of the proxy group, once every setting is in: what is switched
 * on trusts someone; the PROXY header is read by preforkd's own workers
 * (an exec worker's program reads its clients' bytes itself), and
 * X-Forwarded-For is an http header. */
static int cfg_check_proxy(struct cfg_ctx *x, const config_t *cfg)
{
    const config_setting_t *protocol = config_lookup(cfg, "proxy.protocol");
    const config_setting_t *forwarded = config_lookup(cfg, "proxy.forwarded_for");
    const struct pf_config *c = x->c;

    if (c->proxy.protocol && pf_config_exec(c))
        return cfg_fail(x, protocol,
                        "cannot apply to protocol \"exec\": the program reads its clients' "
                        "bytes itself, the PROXY header with them");
    if (c->proxy.forwarded_for && strcmp(c->protocol, "http") != 0)
        return cfg_fail(x, forwarded, "applies to protocol \"http\" only (protocol is \"%s\")",
                        c->protocol);
    if (c->proxy.protocol && c->proxy.ntrusted == 0)
        return cfg_fail(x, protocol, "trusts no address: list the balancers in proxy.trusted");
    if (c->proxy.forwarded_for && c->proxy.ntrusted == 0)
        return cfg_fail(x, forwarded, "trusts no address: list the proxies in proxy.trusted");
    return 0;
}

/* A signal by name: "TERM" or "SIGTERM", any case, as kill -l lists them. */
static int cfg_set_signal(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    char quoted[128];

    if (!text)
        return -1;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *name = sigabbrev_np(sig);

        if (name && (strcasecmp(text, name) == 0 ||
                     (strncasecmp(text, "SIG", 3) == 0 && strcasecmp(text + 3, name) == 0))) {
            cfg_store_int(x->c, it, sig);
            return 0;
        }
    }
    return cfg_fail(x, s, "unknown signal %s (a name such as \"TERM\" or \"SIGQUIT\")",
                    cfg_quote(text, quoted, sizeof quoted));
}

int pf_config_from_line(struct pf_config *c, const struct pf_config_line *l, char *err,
                        size_t errlen)
{
    char why[PATH_MAX + 64], *end;
    size_t used = 0;
    long n = 4;

    pf_config_defaults(c);
    if (!getcwd(c->dir, sizeof c->dir))
        return pf_err_format(err, errlen, "cannot read the current folder: %s", strerror(errno));
    snprintf(c->protocol, sizeof c->protocol, "%s", "exec");
    c->keeper.parking = false;
    c->exec.env_inherit = true;
    if (l->notify)
        snprintf(c->exec.ready, sizeof c->exec.ready, "%s", "notify");
    if (l->listen) {
        if (strlen(l->listen) >= sizeof c->listen ||
            pf_addr_parse(l->listen, &c->listen_addr, why, sizeof why) < 0) {
            snprintf(err, errlen, "-l: invalid address \"%.200s\": %s", l->listen,
                     strlen(l->listen) >= sizeof c->listen ? "too long" : why);
            return -1;
        }
        snprintf(c->listen, sizeof c->listen, "%s", l->listen);
    }
    if (l->workers) {
        errno = 0;
        n = strtol(l->workers, &end, 10);
        if (errno || end == l->workers || *end || n < 1 || n > PF_WORKERS_HARD_MAX) {
            snprintf(err, errlen, "-w: must be an integer between 1 and %d (got \"%.64s\")",
                     PF_WORKERS_HARD_MAX, l->workers);
            return -1;
        }
    }
    c->workers.start = (int)n;
    c->workers.max = n > c->workers.max ? (int)n : c->workers.max;
    if (l->user) {
        struct passwd *pw = getpwnam(l->user);

        if (pw == NULL) {
            snprintf(err, errlen, "-u: no such user \"%.64s\"", l->user);
            return -1;
        }
        snprintf(c->daemon.user, sizeof c->daemon.user, "%s", l->user);
        c->daemon.uid = pw->pw_uid;
        c->daemon.user_gid = pw->pw_gid;
    }
    if (l->nprogram < 1 || l->nprogram > PF_EXEC_LIST_MAX) {
        snprintf(err, errlen, "a program and at most %d arguments", PF_EXEC_LIST_MAX - 1);
        return -1;
    }
    for (int i = 0; i < l->nprogram; i++) {
        char one[PATH_MAX];
        const char *text = l->program[i];
        size_t len;

        if (text[0] == '\0') {
            snprintf(err, errlen, "argument %d of the program is empty", i);
            return -1;
        }
        if (i == 0 && cfg_program_path(c->dir, text, one, sizeof one, why, sizeof why) < 0) {
            snprintf(err, errlen, "program \"%.200s\": %s", text, why);
            return -1;
        }
        text = i == 0 ? one : text;
        len = strlen(text);
        if (used + len + 1 > sizeof c->exec.command) {
            snprintf(err, errlen, "the program's arguments are longer than %zu bytes",
                     sizeof c->exec.command);
            return -1;
        }
        memcpy(c->exec.command + used, text, len + 1);
        used += len + 1;
    }
    c->exec.argc = l->nprogram;
    return 0;
}

/* Rules of the exec group, once every setting is in: the program is
 * given when the workers are programs; its socket is fd 3 or 0. Exec
 * workers accept on their own, so nothing is parked. */
static int cfg_check_exec(struct cfg_ctx *x, const config_t *cfg)
{
    const config_setting_t *fd = config_lookup(cfg, "exec.listen_fd");
    struct pf_config *c = x->c;

    if (fd && c->exec.listen_fd != 0 && c->exec.listen_fd != 3)
        return cfg_fail(x, fd, "must be 3 (the systemd convention) or 0 (FastCGI), not %d",
                        c->exec.listen_fd);
    if (!pf_config_exec(c))
        return 0;
    if (c->exec.argc == 0)
        return cfg_fail(x, config_lookup(cfg, "protocol"),
                        "\"exec\" needs exec.command, the program to start");
    c->keeper.parking = false;
    return 0;
}

/* A file path: "" stays "", absolute is kept, relative is joined to the
 * folder of the configuration file (a too long result is refused by
 * cfg_store_string, since joined is larger than the field). */
static int cfg_set_path(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    char joined[2 * PATH_MAX];

    if (!text)
        return -1;
    if (text[0] == '\0')
        return cfg_store_string(x, s, it, text);
    return cfg_store_string(x, s, it, cfg_join_path(x->c->dir, text, joined, sizeof joined));
}

/* An optional listening address: "" (none), or one pf_addr_parse reads
 * into *at, on the loopback interface only when loopback is set. */
static int cfg_set_optional_addr(struct cfg_ctx *x, const config_setting_t *s,
                                 const struct cfg_item *it, struct pf_addr *at, bool loopback)
{
    const char *text = cfg_string(x, s);
    char why[PF_ERR_MAX], quoted[128];

    if (!text || cfg_store_string(x, s, it, text) < 0)
        return -1;
    if (text[0] == '\0')
        return 0;
    cfg_quote(text, quoted, sizeof quoted);
    if (pf_addr_parse(text, at, why, sizeof why) < 0)
        return cfg_fail(x, s, "invalid address %s: %s", quoted, why);
    if (loopback && !pf_addr_is_loopback((const struct sockaddr *)&at->ss))
        return cfg_fail(x, s, "must be a loopback address (127.0.0.0/8 or [::1]), not %s", quoted);
    return 0;
}

/* control.listen: "" (no control channel) or an address on the loopback
 * interface only: every local user can reach loopback, nobody else can. */
static int cfg_set_control_listen(struct cfg_ctx *x, const config_setting_t *s,
                                  const struct cfg_item *it)
{
    return cfg_set_optional_addr(x, s, it, &x->c->control.listen_addr, true);
}

/* status.listen: "" (none) or any address: it is read-only, for load
 * balancers and monitoring on other hosts. */
static int cfg_set_status_listen(struct cfg_ctx *x, const config_setting_t *s,
                                 const struct cfg_item *it)
{
    return cfg_set_optional_addr(x, s, it, &x->c->status.listen_addr, false);
}

/* A plain string (no path resolution), bounded by its field. */
static int cfg_set_string(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);

    return text ? cfg_store_string(x, s, it, text) : -1;
}

/* A folder that must be named: "" would silently mean the configuration's
 * own folder (publishing the configuration itself, for http.root). */
static int cfg_set_dir(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);

    if (text && text[0] == '\0')
        return cfg_fail(x, s, "must not be empty");
    return text ? cfg_set_path(x, s, it) : -1;
}

/* http.root: a folder, as cfg_set_dir; where it was set is kept for
 * the checks made once it is loaded (pf_config_root_fail). */
static int cfg_set_root(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    unsigned line;
    const char *file;

    if (cfg_set_dir(x, s, it) < 0)
        return -1;
    file = cfg_where(x, s, &line);
    snprintf(x->c->http.root_origin, sizeof x->c->http.root_origin, "%s:%u", file, line);
    return 0;
}

int pf_config_root_fail(const struct pf_config *c, const char *reason, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: http.root: %s",
             c->http.root_origin[0] ? c->http.root_origin : c->path, reason);
    return -1;
}

/* A single file name (http.index): no '/', not "." or "..", not empty. */
static int cfg_set_filename(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);

    if (!text)
        return -1;
    if (text[0] == '\0' || strchr(text, '/') || strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
        return cfg_fail(x, s, "must be a file name (no '/', not empty, not . or ..)");
    return cfg_store_string(x, s, it, text);
}

/* The default document root ("www") and token file are relative like any
 * path: resolve them against the configuration's folder when the file did
 * not set them (both fields are PATH_MAX bytes). */
static int cfg_resolve_defaults(struct cfg_ctx *x)
{
    char joined[2 * PATH_MAX];
    struct pf_config *c = x->c;

    char *const paths[] = {c->http.root, c->control.token_file};
    const char *const names[] = {"http.root", "control.token_file"};

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (paths[i][0] == '/')
            continue;
        cfg_join_path(c->dir, paths[i], joined, sizeof joined);
        if (strlen(joined) >= PATH_MAX)
            return cfg_errorf(x, "%s: %s: path too long once joined to %s", x->path, names[i],
                              c->dir);
        memcpy(paths[i], joined, strlen(joined) + 1);
    }
    return 0;
}

/* daemon.user: "" or a user the system knows; its uid and primary group
 * are looked up now, so that -t and a reload catch a typo, and so that a
 * worker switching to it needs no lookup (nor /etc/passwd in a chroot). */
static int cfg_set_user(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    struct passwd *pw;
    char quoted[128];

    if (!text || cfg_store_string(x, s, it, text) < 0)
        return -1;
    if (text[0] == '\0')
        return 0;
    errno = 0;
    pw = getpwnam(text);
    if (pw == NULL)
        return cfg_fail(x, s, "no such user %s%s%s", cfg_quote(text, quoted, sizeof quoted),
                        errno ? ": " : "", errno ? strerror(errno) : "");
    x->c->daemon.uid = pw->pw_uid;
    x->c->daemon.user_gid = pw->pw_gid;
    return 0;
}

/* daemon.group: "" (the user's primary group) or a group the system knows. */
static int cfg_set_group(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    struct group *gr;
    char quoted[128];

    if (!text || cfg_store_string(x, s, it, text) < 0)
        return -1;
    if (text[0] == '\0')
        return 0;
    errno = 0;
    gr = getgrnam(text);
    if (gr == NULL)
        return cfg_fail(x, s, "no such group %s%s%s", cfg_quote(text, quoted, sizeof quoted),
                        errno ? ": " : "", errno ? strerror(errno) : "");
    x->c->daemon.group_gid = gr->gr_gid;
    return 0;
}

/* daemon.chroot: "" or an existing folder (a path, resolved like any). */
static int cfg_set_chroot(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *dir = (const char *)x->c + it->offset;
    char quoted[PATH_MAX + 8];
    struct stat st;

    if (cfg_set_path(x, s, it) < 0)
        return -1;
    if (dir[0] == '\0')
        return 0;
    if (stat(dir, &st) < 0)
        return cfg_fail(x, s, "%s: %s", cfg_quote(dir, quoted, sizeof quoted), strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cfg_fail(x, s, "%s: not a folder", cfg_quote(dir, quoted, sizeof quoted));
    return 0;
}

/* log_level: a level name pf_log_level_parse knows. */
static int cfg_set_level(struct cfg_ctx *x, const config_setting_t *s, const struct cfg_item *it)
{
    const char *text = cfg_string(x, s);
    const char *names[PF_LOG_ERROR + 1];
    char list[128], quoted[128];
    int level;

    if (!text)
        return -1;
    level = pf_log_level_parse(text);
    if (level >= 0) {
        cfg_store_int(x->c, it, level);
        return 0;
    }
    for (int i = PF_LOG_DEBUG; i <= PF_LOG_ERROR; i++)
        names[i] = pf_log_level_name(i);
    return cfg_fail(x, s, "unknown level %s (expected %s)", cfg_quote(text, quoted, sizeof quoted),
                    cfg_join(names, PF_LOG_ERROR + 1, list, sizeof list));
}

/* The table entry for group.name (group NULL = top level), or NULL. */
static const struct cfg_item *cfg_find(const char *group, const char *name)
{
    for (size_t i = 0; i < CFG_NITEMS; i++) {
        const struct cfg_item *it = &cfg_items[i];

        if (strcmp(it->name, name) == 0 &&
            (group && it->group ? strcmp(group, it->group) == 0 : group == it->group))
            return it;
    }
    return NULL;
}

/* True when name is one of the groups of the table (workers, client...). */
static bool cfg_is_group(const char *name)
{
    for (size_t i = 0; i < CFG_NITEMS; i++) {
        if (cfg_items[i].group && strcmp(cfg_items[i].group, name) == 0)
            return true;
    }
    return false;
}

static int cfg_walk(struct cfg_ctx *x, const config_setting_t *group, const char *gname);

/* Check and store one setting found in group gname (NULL = top level):
 * a known group is walked, a known setting goes to its handler, anything
 * else is unknown. */
static int cfg_apply(struct cfg_ctx *x, const config_setting_t *s, const char *gname)
{
    const char *name = config_setting_name(s);
    const struct cfg_item *it;

    if (!gname && cfg_is_group(name)) {
        if (!config_setting_is_group(s))
            return cfg_fail(x, s, "must be a group (got %s)", cfg_type_name(s));
        return cfg_walk(x, s, name);
    }
    it = cfg_find(gname, name);
    if (!it)
        return cfg_fail(x, s, "unknown setting");
    return it->set(x, s, it);
}

/* Apply every setting of group in file order, stopping at the first error. */
static int cfg_walk(struct cfg_ctx *x, const config_setting_t *group, const char *gname)
{
    for (int i = 0; i < config_setting_length(group); i++) {
        if (cfg_apply(x, config_setting_get_elem(group, i), gname) != 0)
            return -1;
    }
    return 0;
}

/* Fill path and dir: the file's absolute path (symlinks resolved) and its
 * folder. The file must be readable: fopen tells why when it is not,
 * which libconfig's "file I/O error" does not. */
static int cfg_locate(struct cfg_ctx *x)
{
    struct pf_config *c = x->c;
    FILE *f = fopen(x->path, "r");
    struct stat st;
    char *slash;
    int e = 0;

    if (!f)
        return cfg_errorf(x, "%s: cannot read: %s", x->path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        e = EISDIR;
    else if (!realpath(x->path, c->path))
        e = errno;
    fclose(f);
    if (e != 0)
        return cfg_errorf(x, "%s: cannot read: %s", x->path, strerror(e));
    memcpy(c->dir, c->path, sizeof c->dir);
    slash = strrchr(c->dir, '/');
    slash[slash == c->dir ? 1 : 0] = '\0'; /* "/a.conf" -> "/" */
    return 0;
}

/* The next setting's name on a line from *p: a name as libconfig reads
 * one, followed by blanks and "=", ":" or "{", or by the end of the line
 * (the rest on the next). Into name; false when the line has no more. */
static bool cfg_next_name(const char **p, char *name, size_t size)
{
    static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*";

    for (const char *at = *p; *at; at++) {
        size_t len;
        const char *q;

        if (!strchr(first, *at) ||
            (at > *p && (isalnum((unsigned char)at[-1]) || strchr("-_*", at[-1]))))
            continue;
        for (len = 1; isalnum((unsigned char)at[len]) || strchr("-_*", at[len]); len++)
            if (at[len] == '\0')
                break;
        q = at + len + strspn(at + len, " \t\r");
        *p = at + len;
        if (*q == '\0' || *q == '=' || *q == ':' || *q == '{') {
            snprintf(name, size, "%.*s", (int)len, at);
            return true;
        }
        at += len - 1;
    }
    return false;
}

/* Is name the name of a setting on line text before end? */
static bool cfg_named_before(const char *text, const char *end, const char *name)
{
    char seen[PF_CONFIG_NAME_LEN];

    for (const char *p = text; cfg_next_name(&p, seen, sizeof seen) && p <= end;)
        if (p - strlen(seen) < end && strcmp(seen, name) == 0)
            return true;
    return false;
}

/* The member named name of the deepest group of chain (n groups) that has
 * one, written elsewhere than on line at of the text (elsewhere: false
 * takes any); its group's index into *k. */
static const config_setting_t *cfg_chain_member(const config_setting_t *const *chain, size_t n,
                                                const char *name, unsigned at, bool elsewhere,
                                                size_t *k)
{
    for (*k = n; (*k)-- > 0;) {
        const config_setting_t *m = config_setting_get_member(chain[*k], name);

        if (m && (!elsewhere || (unsigned)config_setting_source_line(m) != at))
            return m;
    }
    return NULL;
}

/* libconfig stops at a name given twice in one group with "duplicate
 * setting name" and the line of the second, without the name. The tree
 * it built so far holds the first: the group being filled is one of the
 * chain of last members from the root, and the name is the first on the
 * line that a group of that chain holds from another line (else, the
 * first given twice on that same line). Says "FILE:LINE: group.name: given twice
 * (first at ...)", or libconfig's words when the tree does not tell. */
static int cfg_duplicate(struct cfg_ctx *x, const config_t *cfg, unsigned at, const char *file,
                         unsigned line)
{
    const config_setting_t *chain[64], *m = NULL;
    char text[4096], name[PF_CONFIG_NAME_LEN], where[PATH_MAX + 32];
    const char *first_file;
    unsigned first;
    size_t n = 0, k = 0;

    pf_config_text_line(x->text, at, text, sizeof text);
    for (const config_setting_t *g = config_root_setting(cfg);
         g && config_setting_is_group(g) && n < sizeof chain / sizeof chain[0];) {
        int len = config_setting_length(g);

        chain[n++] = g;
        g = len > 0 ? config_setting_get_elem(g, (unsigned)len - 1) : NULL;
    }
    for (const char *p = text; !m && cfg_next_name(&p, name, sizeof name);)
        m = cfg_chain_member(chain, n, name, at, true, &k);
    for (const char *p = text; !m && cfg_next_name(&p, name, sizeof name);)
        if (cfg_named_before(text, p - strlen(name), name)) /* twice on the line */
            m = cfg_chain_member(chain, n, name, at, false, &k);
    if (!m)
        return cfg_errorf(x, "%s:%u: %s", file, line, config_error_text(cfg));
    first_file = cfg_where(x, m, &first);
    if (strcmp(first_file, file) == 0)
        snprintf(where, sizeof where, "line %u", first);
    else
        snprintf(where, sizeof where, "%s:%u", first_file, first);
    if (k == 0)
        return cfg_errorf(x, "%s:%u: %s: given twice (first at %s)", file, line, name, where);
    return cfg_errorf(x, "%s:%u: %s.%s: given twice (first at %s)", file, line,
                      config_setting_name(chain[k]), name, where);
}

/* Read the file, its @include lines expanded (pf_config_text), parse that
 * text with libconfig, and turn a parse error into "FILE:LINE: REASON",
 * the file and line where the text came from. */
static int cfg_parse(struct cfg_ctx *x, config_t *cfg, struct pf_config_text *text)
{
    const char *file;
    unsigned line;

    if (pf_config_text_read(text, x->path, x->c->dir, x->err, x->errlen) != 0)
        return -1;
    x->text = text;
    config_set_include_dir(cfg, x->c->dir);
    if (config_read_string(cfg, text->text))
        return 0;
    file = pf_config_text_where(text, (unsigned)config_error_line(cfg), &line);
    if (strcmp(config_error_text(cfg), "duplicate setting name") == 0)
        return cfg_duplicate(x, cfg, (unsigned)config_error_line(cfg), file, line);
    return cfg_errorf(x, "%s:%u: %s", file, line, config_error_text(cfg));
}

/* Every setting of the file, then the rules across settings. */
static int cfg_apply_all(struct cfg_ctx *x, const config_t *cfg)
{
    int rc = cfg_walk(x, config_root_setting(cfg), NULL);

    if (rc == 0)
        rc = cfg_check_exec(x, cfg);
    if (rc == 0)
        rc = cfg_check_proxy(x, cfg);
    return rc;
}

/* control.listen and control.token_file alone, by their own handlers;
 * whatever else the file holds, known or not, right or wrong, is not
 * looked at. */
static int cfg_apply_control(struct cfg_ctx *x, const config_t *cfg)
{
    static const char *const names[] = {"listen", "token_file"};
    const config_setting_t *group = config_lookup(cfg, "control");

    if (group == NULL)
        return 0;
    if (!config_setting_is_group(group))
        return cfg_fail(x, group, "must be a group (got %s)", cfg_type_name(group));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const config_setting_t *s = config_setting_get_member(group, names[i]);

        if (s != NULL && cfg_apply(x, s, "control") != 0)
            return -1;
    }
    return 0;
}

/* Defaults, the file located and parsed, apply's settings, then the
 * relative defaults resolved: what both loads share. */
static int cfg_load(struct pf_config *c, const char *path, char *err, size_t errlen,
                    int (*apply)(struct cfg_ctx *x, const config_t *cfg))
{
    struct cfg_ctx x = {.c = c, .path = path, .err = err, .errlen = errlen};
    struct pf_config_text text;
    config_t cfg;
    int rc;

    pf_config_defaults(c);
    if (cfg_locate(&x) != 0)
        return -1;
    config_init(&cfg);
    rc = cfg_parse(&x, &cfg, &text);
    x.cfg = &cfg;
    if (rc == 0)
        rc = apply(&x, &cfg);
    if (rc == 0)
        rc = cfg_resolve_defaults(&x);
    config_destroy(&cfg);
    pf_config_text_free(&text);
    return rc;
}

int pf_config_load(struct pf_config *c, const char *path, char *err, size_t errlen)
{
    return cfg_load(c, path, err, errlen, cfg_apply_all);
}

int pf_config_load_control(struct pf_config *c, const char *path, char *err, size_t errlen)
{
    return cfg_load(c, path, err, errlen, cfg_apply_control);
}
