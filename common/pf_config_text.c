/* pf_config_text: includes expanded, lines mapped (see pf_config_text.h). */
#include "pf_config_text.h"

#include "pf_err.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Length of the "@include" opening of line ([ \t]*@include[ \t]+"), or 0. */
static size_t text_include_open(const char *line, size_t len)
{
    static const char word[] = "@include";
    size_t i = 0, blanks;

    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (len - i < sizeof word - 1 || memcmp(line + i, word, sizeof word - 1) != 0)
        return 0;
    i += sizeof word - 1;
    for (blanks = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        blanks++;
    return blanks > 0 && i < len && line[i] == '"' ? i + 1 : 0;
}

/* The include's name from line[at], up to its closing quote, unescaped
 * into name. The offset after the quote, or 0 with the reason in name. */
static size_t text_include_name(const char *line, size_t len, size_t at, char *name, size_t size)
{
    size_t n = 0;

    for (; at < len && line[at] != '"'; at++) {
        if (line[at] == '\\' && at + 1 < len && (line[at + 1] == '"' || line[at + 1] == '\\'))
            at++;
        if (n + 1 >= size || line[at] == '\0') {
            snprintf(name, size, "%s",
                     line[at] ? "file name too long" : "a NUL byte in the file name");
            return 0;
        }
        name[n++] = line[at];
    }
    name[n] = '\0';
    if (at >= len)
        snprintf(name, size, "no closing quote on the line");
    else if (n == 0)
        snprintf(name, size, "empty file name");
    else
        return at + 1;
    return 0;
}

int pf_config_text_scan(const char *line, size_t len, enum pf_config_lex *lex, char *name,
                        size_t size, size_t *rest)
{
    size_t at = 0, open = *lex == PF_CONFIG_LEX_CODE ? text_include_open(line, len) : 0;
    int found = 0;

    name[0] = '\0';
    if (open) {
        at = text_include_name(line, len, open, name, size);
        if (at == 0)
            return -1;
        *rest = at;
        found = 1;
    }
    for (; at < len; at++) {
        char ch = line[at], next = at + 1 < len ? line[at + 1] : '\0';

        switch (*lex) {
        case PF_CONFIG_LEX_CODE:
            if (ch == '#' || (ch == '/' && next == '/'))
                return found; /* a comment to the end of the line */
            if (ch == '"')
                *lex = PF_CONFIG_LEX_STRING;
            else if (ch == '/' && next == '*')
                *lex = PF_CONFIG_LEX_COMMENT, at++;
            break;
        case PF_CONFIG_LEX_STRING:
            if (ch == '\\')
                at++;
            else if (ch == '"')
                *lex = PF_CONFIG_LEX_CODE;
            break;
        case PF_CONFIG_LEX_COMMENT:
            if (ch == '*' && next == '/')
                *lex = PF_CONFIG_LEX_CODE, at++;
            break;
        }
    }
    return found;
}

/* What one read works on. */
struct text_ctx {
    struct pf_config_text *t;
    const char *dir;    /* the main file's folder, absolute */
    const char *prefix; /* the main file's folder as given ("" or "x/") */
    char *err;
    size_t errlen;
    enum pf_config_lex lex;
};

/* The reason into the read's error buffer, then -1. */
#define text_fail(x, ...) pf_err_format((x)->err, (x)->errlen, __VA_ARGS__)

/* Append len bytes and a '\n' as one line from file, line; -1 when the
 * text would pass PF_CONFIG_TEXT_MAX or memory runs out. */
static int text_add_line(struct text_ctx *x, const char *bytes, size_t len, unsigned file,
                         unsigned line)
{
    struct pf_config_text *t = x->t;

    if (t->len + len + 2 > PF_CONFIG_TEXT_MAX)
        return text_fail(x, "%s:%u: the configuration is larger than %d bytes, includes included",
                         t->files[file], line, PF_CONFIG_TEXT_MAX);
    if (t->len + len + 2 > t->cap) {
        size_t cap = (t->len + len + 2) * 2;
        char *p = realloc(t->text, cap);

        if (!p)
            return text_fail(x, "%s:%u: out of memory", t->files[file], line);
        t->text = p;
        t->cap = cap;
    }
    if (t->nlines == t->fromcap) {
        size_t cap = t->fromcap ? t->fromcap * 2 : 256;
        struct pf_config_text_from *p = realloc(t->from, cap * sizeof *p);

        if (!p)
            return text_fail(x, "%s:%u: out of memory", t->files[file], line);
        t->from = p;
        t->fromcap = cap;
    }
    memcpy(t->text + t->len, bytes, len);
    t->len += len;
    t->text[t->len++] = '\n';
    t->text[t->len] = '\0';
    t->from[t->nlines++] = (struct pf_config_text_from){file, line};
    return 0;
}

/* Add name to the files; its index, or -1. */
static int text_add_file(struct text_ctx *x, const char *name)
{
    struct pf_config_text *t = x->t;
    char **p = realloc(t->files, (t->nfiles + 1) * sizeof *p);

    if (!p)
        return text_fail(x, "%s: out of memory", name);
    t->files = p;
    t->files[t->nfiles] = strdup(name);
    if (!t->files[t->nfiles])
        return text_fail(x, "%s: out of memory", name);
    return (int)t->nfiles++;
}

static int text_file(struct text_ctx *x, const char *open_as, const char *shown, int depth,
                     const char *by, unsigned by_line);

/* The include named on line by_line of file by: one file, or each match
 * of a glob in order. */
static int text_include(struct text_ctx *x, const char *name, unsigned by, unsigned by_line,
                        int depth)
{
    char open_as[2 * PATH_MAX], shown[2 * PATH_MAX];
    const char *file = x->t->files[by];
    bool relative = name[0] != '/';
    glob_t g;
    int rc;

    if (depth >= PF_CONFIG_TEXT_DEPTH)
        return text_fail(x,
                         "%s:%u: @include \"%s\": included files nested more than %d deep "
                         "(does a file include itself?)",
                         file, by_line, name, PF_CONFIG_TEXT_DEPTH);
    snprintf(open_as, sizeof open_as, "%s%s%s", relative ? x->dir : "",
             relative && strcmp(x->dir, "/") != 0 ? "/" : "", name);
    if (strpbrk(name, "*?[") == NULL) {
        snprintf(shown, sizeof shown, "%s%s", relative ? x->prefix : "", name);
        return text_file(x, open_as, shown, depth + 1, file, by_line);
    }
    rc = glob(open_as, 0, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return 0;
    if (rc != 0) {
        globfree(&g);
        return text_fail(x, "%s:%u: @include \"%s\": %s", file, by_line, name,
                         rc == GLOB_NOSPACE ? "out of memory" : "cannot read a folder");
    }
    rc = 0;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
        const char *match = g.gl_pathv[i];
        size_t skip = relative ? strlen(open_as) - strlen(name) : 0;

        snprintf(shown, sizeof shown, "%s%s", relative ? x->prefix : "", match + skip);
        rc = text_file(x, match, shown, depth + 1, file, by_line);
    }
    globfree(&g);
    return rc;
}

/* Read one line of f (at most PF_CONFIG_TEXT_MAX bytes) into *buf; its
 * length without '\n', or -1 at the end. */
static ssize_t text_getline(FILE *f, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, f);

    if (n > 0 && (*buf)[n - 1] == '\n')
        n--;
    return n;
}

/* One file: each line copied, each @include line replaced by what it
 * includes, then the rest of that line. by: who includes it, for the
 * message when it cannot be read (NULL: the main file). */
static int text_file(struct text_ctx *x, const char *open_as, const char *shown, int depth,
                     const char *by, unsigned by_line)
{
    FILE *f = fopen(open_as, "r");
    char *buf = NULL, name[PATH_MAX];
    size_t cap = 0, rest;
    struct stat st;
    int file, rc = 0, e = errno;
    ssize_t n;

    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        e = EISDIR;
    if (!f || e == EISDIR) {
        if (f)
            fclose(f);
        if (by)
            return text_fail(x, "%s:%u: @include: %s: %s", by, by_line, shown, strerror(e));
        return text_fail(x, "%s: cannot read: %s", shown, strerror(e));
    }
    file = text_add_file(x, shown);
    for (unsigned line = 1; file >= 0 && rc == 0 && (n = text_getline(f, &buf, &cap)) >= 0;
         line++) {
        if (memchr(buf, '\0', (size_t)n)) {
            rc = text_fail(x, "%s:%u: a NUL byte (is this a text file?)", shown, line);
            break;
        }
        switch (pf_config_text_scan(buf, (size_t)n, &x->lex, name, sizeof name, &rest)) {
        case -1: rc = text_fail(x, "%s:%u: @include: %s", shown, line, name); break;
        case 0: rc = text_add_line(x, buf, (size_t)n, (unsigned)file, line); break;
        default:
            rc = text_include(x, name, (unsigned)file, line, depth);
            if (rc == 0)
                rc = text_add_line(x, buf + rest, (size_t)n - rest, (unsigned)file, line);
        }
    }
    if (file >= 0 && rc == 0 && ferror(f))
        rc = text_fail(x, "%s: cannot read: %s", shown, strerror(errno));
    free(buf);
    fclose(f);
    return file < 0 ? -1 : rc;
}

int pf_config_text_read(struct pf_config_text *t, const char *path, const char *dir, char *err,
                        size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char prefix[PATH_MAX];
    struct text_ctx x = {t, dir, prefix, err, errlen, PF_CONFIG_LEX_CODE};

    memset(t, 0, sizeof *t);
    snprintf(prefix, sizeof prefix, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
    if (text_file(&x, path, path, 0, NULL, 0) < 0)
        return -1;
    if (!t->text && text_add_line(&x, "", 0, 0, 1) < 0) /* an empty file */
        return -1;
    return 0;
}

const char *pf_config_text_where(const struct pf_config_text *t, unsigned n, unsigned *line)
{
    const struct pf_config_text_from *from;

    if (t->nlines == 0) {
        *line = n;
        return t->nfiles ? t->files[0] : "";
    }
    from = &t->from[n >= 1 && n <= t->nlines ? n - 1 : t->nlines - 1];
    *line = from->line;
    return t->files[from->file];
}

const char *pf_config_text_line(const struct pf_config_text *t, unsigned n, char *buf, size_t size)
{
    const char *p = t->text;

    buf[0] = '\0';
    if (!p || n < 1 || n > t->nlines)
        return buf;
    for (unsigned k = 1; k < n; k++)
        p = strchr(p, '\n') + 1;
    snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
    return buf;
}

void pf_config_text_free(struct pf_config_text *t)
{
    for (size_t i = 0; i < t->nfiles; i++)
        free(t->files[i]);
    free(t->files);
    free(t->from);
    free(t->text);
    memset(t, 0, sizeof *t);
}
