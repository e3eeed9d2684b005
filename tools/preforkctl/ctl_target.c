/* ctl_target: the address and token, from the configuration or options. */
#include "ctl_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_config.h"
#include "pf_err.h"

/* The first line of buf[0..n) without its leading and trailing blanks:
 * its offset in *start, its length returned. */
static size_t target_first_line(const char *buf, size_t n, size_t *start)
{
    size_t i = 0, len = 0;

    while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    while (i + len < n && buf[i + len] != '\n' && buf[i + len] != '\r')
        len++;
    while (len > 0 && (buf[i + len - 1] == ' ' || buf[i + len - 1] == '\t'))
        len--;
    *start = i;
    return len;
}

int ctl_token_read(const char *path, char *token, size_t size, char *err, size_t errlen)
{
    char buf[CTL_TOKEN_MAX + 64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    size_t start, len;

    if (fd < 0) {
        snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
        return -1;
    }
    do
        n = read(fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    len = target_first_line(buf, (size_t)n, &start);
    if (len == 0 || len > CTL_TOKEN_MAX || len >= size || memchr(buf + start, ' ', len) ||
        memchr(buf + start, '\t', len)) {
        snprintf(err, errlen,
                 "cannot read token file %s: its first line must be one token of 1 to %d "
                 "characters, without spaces",
                 path, CTL_TOKEN_MAX);
        return -1;
    }
    memcpy(token, buf + start, len);
    token[len] = '\0';
    explicit_bzero(buf, sizeof(buf));
    return 0;
}

/* control.listen and control.token_file from the configuration file,
 * where the corresponding override is NULL. Only those two are read: a
 * file being edited (an unknown setting, a bad value elsewhere) still
 * names the server, which then judges the file itself on reload. */
static int target_from_config(struct ctl_target *t, const char *config, bool need_addr,
                              bool need_token, char *err, size_t errlen)
{
    struct pf_config *cfg = malloc(sizeof(*cfg));
    char why[PF_ERR_MAX];
    int rc = CTL_EXIT_UNREACHABLE;

    if (cfg == NULL) {
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return rc;
    }
    if (pf_config_load_control(cfg, config, why, sizeof(why)) < 0)
        snprintf(err, errlen,
                 "cannot read the control settings: %s (give -c FILE, or -a ADDR and -t "
                 "TOKENFILE)",
                 why);
    else if (need_addr && cfg->control.listen[0] == '\0')
        snprintf(err, errlen, "%s: control.listen is not set: the control channel is off",
                 cfg->path);
    else if (need_addr && pf_addr_port((const struct sockaddr *)&cfg->control.listen_addr.ss) == 0)
        snprintf(err, errlen,
                 "%s: control.listen \"%s\" has port 0 (chosen at start): give the address "
                 "with -a ADDR",
                 cfg->path, cfg->control.listen);
    else
        rc = CTL_EXIT_OK;
    if (rc == CTL_EXIT_OK && need_addr)
        t->addr = cfg->control.listen_addr;
    if (rc == CTL_EXIT_OK && need_token)
        snprintf(t->token_file, sizeof(t->token_file), "%s", cfg->control.token_file);
    free(cfg);
    return rc;
}

int ctl_target_resolve(struct ctl_target *t, const char *config, const char *address,
                       const char *token_file, char *err, size_t errlen)
{
    char why[PF_ERR_MAX];
    int rc;

    memset(t, 0, sizeof(*t));
    if (address && pf_addr_parse(address, &t->addr, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "bad address \"%s\": %s", address, why);
        return CTL_EXIT_USAGE;
    }
    if (address && pf_addr_port((const struct sockaddr *)&t->addr.ss) == 0) {
        snprintf(err, errlen, "bad address \"%s\": the port must not be 0", address);
        return CTL_EXIT_USAGE;
    }
    if (token_file)
        snprintf(t->token_file, sizeof(t->token_file), "%s", token_file);
    if (!address || !token_file) {
        rc = target_from_config(t, config, !address, !token_file, err, errlen);
        if (rc != CTL_EXIT_OK)
            return rc;
    }
    pf_addr_format((const struct sockaddr *)&t->addr.ss, t->addr_text, sizeof(t->addr_text));
    if (ctl_token_read(t->token_file, t->token, sizeof(t->token), err, errlen) < 0)
        return CTL_EXIT_UNREACHABLE;
    return CTL_EXIT_OK;
}
