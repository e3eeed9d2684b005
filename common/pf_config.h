/* pf_config: the configuration file, loaded with libconfig into one typed
 * struct, with defaults and validation.
 *
 * Rules (see docs/configuration.md):
 *  - every setting has a default; a file may set any subset;
 *  - an unknown setting or group is an error, not silence;
 *  - every error names the file, the line and the setting:
 *        /etc/preforkd/preforkd.conf:12: workers.start: must be between 1 and 64
 *  - relative paths resolve against the folder of the config file;
 *  - durations are seconds, integer or decimal (0.5), stored as milliseconds.
 * Loading never touches the live configuration: it fills a new struct, so
 * a failed reload leaves the running one intact.
 */
#ifndef PF_CONFIG_H
#define PF_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_addr.h"
#include "pf_cidr.h"
#include "pf_err.h"

#define PF_PROTO_NAME_MAX 16

/* Settings named "group.name" (or "name" at the top level), in the order
 * of the settings table: what a reload changed, for the log and the
 * control reply. */
#define PF_CONFIG_NAMES_MAX 128 /* more than the settings there are (68) */
#define PF_CONFIG_NAME_LEN 40   /* "group.name" */
struct pf_config_names {
    size_t n;
    char name[PF_CONFIG_NAMES_MAX][PF_CONFIG_NAME_LEN];
};

/* Bounds used by validation (and quoted in its messages). */
#define PF_WORKERS_HARD_MAX 4096
#define PF_BACKLOG_MAX 65535

/* exec.command and exec.env: at most this many entries, and this many
 * bytes of text each (every entry with its NUL). Every list setting
 * (http.error_pages too) has at most PF_EXEC_LIST_MAX entries. */
#define PF_EXEC_LIST_MAX 64
#define PF_EXEC_LIST_BYTES 8192

/* http.error_pages: its bytes of text (every "STATUS /path" entry with
 * its NUL), and the largest page file, read whole by every worker. */
#define PF_HTTP_ERROR_PAGES_BYTES 8192
#define PF_HTTP_ERROR_PAGE_FILE_MAX 65536

/* proxy.trusted: its bytes of text (every entry with its NUL); at most
 * PF_EXEC_LIST_MAX entries, like every list. */
#define PF_PROXY_TRUSTED_BYTES 4096

struct pf_config {
    char path[PATH_MAX]; /* absolute path of the file loaded ("" = defaults only) */
    char dir[PATH_MAX];  /* its folder: base for relative paths */

    char listen[PF_ADDR_STRLEN + 64]; /* as written, for messages */
    struct pf_addr listen_addr;       /* parsed */
    int backlog;                      /* listen(2) backlog, 1..65535; default 511 */
    int defer_accept_ms;              /* TCP_DEFER_ACCEPT: hand a connection to a
                                         worker only once it has data; 0 = off;
                                         default 1 s */
    char protocol[PF_PROTO_NAME_MAX]; /* "http" | "echo" | "msg" | "exec"; default "http" */

    struct {
        int start;                /* workers forked at start (pool target); default 4 */
        int max;                  /* scoreboard slots, cap for scale up; default 64 */
        long max_requests;        /* recycle a worker after N requests, 0 = never; default 0 */
        int graceful_timeout_ms;  /* SIGQUIT: bound on finishing clients; default 30 s */
        int stop_timeout_ms;      /* SIGTERM: wait before SIGKILL; default 5 s */
        char mode[16];            /* "static" (keep start, scaled by signals) or
                                    "dynamic" (keep min..max_spare idle); default static */
        int min_spare;            /* dynamic: fewest idle workers; default 2 */
        int max_spare;            /* dynamic: most idle workers; default 8 */
        int max_spawn_rate;       /* dynamic: cap on forks per tick (doubling); default 32 */
        long max_requests_jitter; /* each worker's limit is max_requests + 0..this; default 0 */
        int max_lifetime_ms;      /* recycle a worker this old (+0..10 %); 0 = never; default 0 */
        int request_timeout_ms;   /* kill a worker busy on one request this long; 0 = off;
                                    default 0 */
        long max_memory_mib;      /* recycle a worker whose private memory is above
                                     this many MiB (checked every tick); 0 = never */
        int crash_limit;          /* this many abnormal exits within crash_window... */
        int crash_window_ms;      /* ...start the respawn backoff; defaults 5 in 10 s */
        int backoff_max_ms;       /* cap of the exponential respawn delay; default 30 s */
    } workers;

    struct {
        int read_timeout_ms;  /* receiving one message once it started; default 30 s */
        int write_timeout_ms; /* sending one reply; default 30 s */
        int idle_timeout_ms;  /* waiting for the first byte of a message; default 60 s */
    } client;

    struct {
        size_t max_line; /* bytes, '\n' included; default 8192, 2..16 MiB */
    } echo;

    struct {
        size_t max_message; /* payload bytes; default 1 MiB, 0..256 MiB */
    } msg;

    struct {
        char root[PATH_MAX];          /* document root; absolute after loading; default "www" */
        char index[256];              /* file served for a directory; default "index.html" */
        char server_name[256];        /* host accepted in absolute-form targets; "" = any */
        int keepalive_timeout_ms;     /* idle wait for the next request; default 5 s */
        long keepalive_requests;      /* requests per connection; default 1000 */
        int header_timeout_ms;        /* whole request head must arrive in this; default 10 s */
        size_t max_request_line;      /* bytes; default 8192 (414 beyond) */
        size_t max_header_bytes;      /* bytes of the head; default 8192 (431 beyond) */
        int max_headers;              /* header fields; default 100 (431 beyond) */
        char access_log[PATH_MAX];    /* Combined Log Format file; "" = off */
        char access_log_format[16];   /* "combined" | "json"; default "combined" */
        char mime_types[PATH_MAX];    /* extra types; default "/etc/mime.types"; "" = none */
        int open_file_cache;          /* open files kept per worker; default 64, 0 = off */
        int open_file_cache_valid_ms; /* trust a cached file this long; default 1 s */
        /* pages replacing the built-in error page of a status: entries
         * "STATUS /path" (status 400..599, the file's absolute path once
         * loaded, checked to be a readable regular file of at most
         * PF_HTTP_ERROR_PAGE_FILE_MAX bytes), stored like exec.command;
         * default none */
        char error_pages[PF_HTTP_ERROR_PAGES_BYTES];
        int nerror_pages;
        /* Not a setting: "FILE:LINE" where root was set, for messages
         * about it once loaded (pf_config_root_fail); "" = the default */
        char root_origin[PATH_MAX + 16];
    } http;

    struct {
        bool parking;    /* idle connections wait in the keeper, not in a
                            worker; default true (restart) */
        int linger_ms;   /* a worker waits this long on a silent connection
                            before parking it (unless others wait for a
                            worker); 0 = park at once; 0..60 s; default 50 ms */
        long max_parked; /* connections the keeper holds at most, up to
                            16777216; 0 = from its descriptor limit;
                            default 0 (restart) */
    } keeper;

    /* protocol "exec": each worker is a program started with the listening
     * socket (docs/exec.md). */
    struct {
        /* the program and its arguments, one after the other, each ended
         * by its NUL; the program resolved to an absolute path when loaded
         * (from PATH when it has no '/'), checked to be executable */
        char command[PF_EXEC_LIST_BYTES];
        int argc;
        char env[PF_EXEC_LIST_BYTES]; /* NAME=value or NAME entries, the same way */
        int nenv;
        char directory[PATH_MAX]; /* the program's working folder; "" = the
                                     configuration's folder */
        int listen_fd;            /* the socket's number for the program: 3
                                     (systemd's) or 0 (FastCGI); default 3 */
        char ready[16];           /* "started" (exec succeeded) or "notify"
                                     (READY=1 received); default "started" */
        int ready_timeout_ms;     /* a worker not ready by then failed; default 30 s */
        int watchdog_ms;          /* WATCHDOG=1 expected this often; 0 = off */
        int stop_signal;          /* a graceful stop sends this; default SIGTERM */
        int hung_signal;          /* a hang sends this first; default SIGABRT */
        /* Not a setting: set when started from the command line (no
         * file), where the program gets the master's whole environment. */
        bool env_inherit;
    } exec;

    struct {
        char listen[PF_ADDR_STRLEN + 64]; /* loopback address; "" = no control channel */
        struct pf_addr listen_addr;
        char token_file[PATH_MAX]; /* default "preforkd.token" beside the config */
        int idle_timeout_ms;       /* an idle control client is closed; default 60 s */
        int max_clients;           /* simultaneous control clients; default 16 */
    } control;

    /* The status listener: read-only HTTP for load balancers and
     * monitoring (GET /health, GET /metrics), on any address. */
    struct {
        char listen[PF_ADDR_STRLEN + 64]; /* any address; "" = none (the default) */
        struct pf_addr listen_addr;
        bool metrics_token; /* /metrics there asks for the control token; default true */
        int max_clients;    /* simultaneous clients; default 64 */
        int drain_delay_ms; /* a graceful stop: /health says 503 and the
                               listener still accepts this long before
                               the stop proper; 0 = none (the default) */
    } status;

    /* Clients behind a balancer (docs/protocols.md, "Behind a proxy"). */
    struct {
        bool protocol;      /* a connection from a trusted address must begin
                               with a PROXY header (v1 or v2); default false */
        bool forwarded_for; /* http: a request from a trusted address names
                               its client in X-Forwarded-For; default false */
        /* addresses and CIDR blocks ("10.0.0.0/8", "::1"), stored like
         * exec.command; default none */
        char trusted[PF_PROXY_TRUSTED_BYTES];
        int ntrusted;
        /* Resolved while loading, not a setting: trusted, parsed. */
        struct pf_cidr trusted_nets[PF_EXEC_LIST_MAX];
    } proxy;

    struct {
        char error_log[PATH_MAX]; /* "" = stderr; absolute after loading */
        int log_level;            /* enum pf_log_level; default info */
        char pidfile[PATH_MAX];   /* "" = none; locked for the master's life */
        char user[64];            /* workers switch to this user; "" = stay
                                     (refused when started as root) */
        char group[64];           /* ...and group; "" = the user's primary group */
        char chroot[PATH_MAX];    /* workers chroot here once set up; "" = no */
        long max_files;           /* RLIMIT_NOFILE for master and workers;
                                     0 = leave as inherited */
        /* Resolved while loading (getpwnam, getgrnam), not settings: */
        uid_t uid;       /* of user */
        gid_t user_gid;  /* user's primary group */
        gid_t group_gid; /* of group, when set */
    } daemon;
};

/* How a setting is stored in struct pf_config, for code that walks every
 * setting (the control channel's config reply) instead of listing them
 * again. */
enum pf_config_type {
    PF_CONFIG_INT,       /* int */
    PF_CONFIG_LONG,      /* long */
    PF_CONFIG_SIZE,      /* size_t */
    PF_CONFIG_MS,        /* int milliseconds, written in seconds in the file */
    PF_CONFIG_STRING,    /* char[size] */
    PF_CONFIG_LOG_LEVEL, /* int, enum pf_log_level */
    PF_CONFIG_BOOL,      /* bool, written true or false in the file */
    PF_CONFIG_STRINGS,   /* char[size]: non-empty strings one after the
                            other, each with its NUL, the rest zeroed; a
                            list in the file */
    PF_CONFIG_SIGNAL,    /* int, a signal number, written by name in the file */
};

struct pf_config_setting {
    const char *group; /* NULL: top level */
    const char *name;
    enum pf_config_type type;
    size_t offset;    /* of the field in struct pf_config */
    size_t size;      /* of the field, for PF_CONFIG_STRING */
    bool empty_unset; /* a file cannot give it empty ("" or []): empty is
                         its default, meaning "not given" (exec.directory,
                         exec.command) */
};

/* The i-th setting there is (i from 0), into out; false past the last. */
bool pf_config_setting_at(size_t i, struct pf_config_setting *out);

/* Is the pool dynamic (workers.mode = "dynamic")? */
bool pf_config_dynamic(const struct pf_config *c);

/* Are the workers programs (protocol = "exec")? */
bool pf_config_exec(const struct pf_config *c);

/* The i-th string of a PF_CONFIG_STRINGS field holding n (exec.command,
 * exec.env), or NULL past the last. */
const char *pf_config_string_at(const char *strings, int n, int i);

/* An http.error_pages entry, "STATUS FILE": three digits from 400 to 599,
 * blanks (spaces or tabs), then the file (the rest, not empty). Returns
 * the status with *file pointing into entry, or -1 if malformed. */
int pf_config_error_page(const char *entry, const char **file);

/* "FILE:LINE: http.root: REASON" into err, FILE and LINE where c's file
 * sets http.root ("FILE: http.root: REASON" when it does not): for a
 * root found wrong once loaded (preforkd -t, start, reload). Returns -1. */
int pf_config_root_fail(const struct pf_config *c, const char *reason, char *err, size_t errlen);

/* Fill c with every default (listen "127.0.0.1:8080", path and dir empty). */
void pf_config_defaults(struct pf_config *c);

/* The exec workers of the command line's second form (pf_cli.h): the
 * options as given, the program and its arguments. */
struct pf_config_line {
    const char *listen;  /* NULL: the default, 127.0.0.1:8080 */
    const char *workers; /* NULL: 4 */
    const char *user;    /* NULL: none */
    bool notify;         /* exec.ready = "notify" */
    char *const *program;
    int nprogram;
};

/* Fill c for l, with no file: defaults, then protocol "exec", the
 * program resolved like exec.command, the control channel off, the whole
 * environment passed on. 0, or -1 with "OPTION: REASON" in err. */
int pf_config_from_line(struct pf_config *c, const struct pf_config_line *l, char *err,
                        size_t errlen);

/* Load and validate path into c (defaults first, then the file's settings).
 * Returns 0, or -1 with "FILE:LINE: SETTING: REASON" (or "FILE: REASON"
 * when the file cannot be read) in err. c is unspecified on failure. */
int pf_config_load(struct pf_config *c, const char *path, char *err, size_t errlen);

/* Load only control.listen and control.token_file from path into c (the
 * rest of c keeps its defaults), checked and resolved exactly as
 * pf_config_load does; every other setting is left unread, so a file
 * being edited (an unknown setting, a value out of range elsewhere) still
 * names the control channel. A file libconfig cannot parse has no
 * settings at all: -1 with "FILE:LINE: REASON", as pf_config_load says
 * it; -1 too when one of the two settings is wrong. For preforkctl. */
int pf_config_load_control(struct pf_config *c, const char *path, char *err, size_t errlen);

#endif
