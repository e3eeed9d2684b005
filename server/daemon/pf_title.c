/* pf_title: the process title over the argv block (see pf_title.h). */
#include "pf_title.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

/* The block found at start-up; start NULL until then (titles off). */
static struct pf_title_area title_area;
/* The copies: argv's array, and one block for every string copied, kept
 * here so that they stay reachable (valgrind and LeakSanitizer see no
 * leak when unsetenv drops a variable from environ). */
static char **title_argv;
static char *title_strings;

/* Extend *end over s when s begins there; false when it does not (the
 * block ends before s). */
static bool area_take(char **end, char *s)
{
    if (s != *end)
        return false;
    *end = s + strlen(s) + 1;
    return true;
}

void pf_title_area_find(char *const *argv, char *const *envp, struct pf_title_area *a)
{
    char *end;
    int i = 0;

    *a = (struct pf_title_area){0};
    if (argv == NULL || argv[0] == NULL)
        return;
    end = argv[0];
    while (argv[i] != NULL && area_take(&end, argv[i]))
        i++;
    if (argv[i] == NULL) /* every argument in it: the environment may follow */
        while (envp != NULL && envp[a->nenv] != NULL && area_take(&end, envp[a->nenv]))
            a->nenv++;
    a->start = argv[0];
    a->size = (size_t)(end - argv[0]);
}

size_t pf_title_fill(char *area, size_t size, const char *title)
{
    size_t n;

    if (size == 0)
        return 0;
    n = strnlen(title, size - 1);
    memcpy(area, title, n);
    memset(area + n, '\0', size - n);
    return n;
}

size_t pf_title_join(char *out, size_t size, char *const *args, int n)
{
    size_t len = 0;

    if (size == 0)
        return 0;
    out[0] = '\0';
    for (int i = 0; i < n && len + 1 < size; i++) {
        int w = snprintf(out + len, size - len, "%s%s", i > 0 ? " " : "", args[i]);

        if (w < 0) {
            out[len] = '\0';
            break;
        }
        len += (size_t)w < size - len ? (size_t)w : size - len - 1; /* cut: full */
    }
    return len;
}

/* Copy s to *p and move *p past it; returns the copy. */
static char *title_copy(char **p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = *p;

    memcpy(copy, s, n);
    *p += n;
    return copy;
}

char **pf_title_init(int argc, char **argv)
{
    struct pf_title_area a;
    size_t bytes = 0;
    char *p;

    pf_title_area_find(argv, environ, &a);
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    for (size_t i = 0; i < a.nenv; i++)
        bytes += strlen(environ[i]) + 1;
    title_argv = malloc(((size_t)argc + 1) * sizeof(*title_argv));
    title_strings = malloc(bytes > 0 ? bytes : 1);
    if (title_argv == NULL || title_strings == NULL) {
        free(title_argv);
        free(title_strings);
        title_argv = NULL;
        title_strings = NULL;
        return argv;
    }
    p = title_strings;
    for (int i = 0; i < argc; i++)
        title_argv[i] = title_copy(&p, argv[i]);
    title_argv[argc] = NULL;
    /* environ's array is not in the block, only its strings are */
    for (size_t i = 0; i < a.nenv; i++)
        environ[i] = title_copy(&p, environ[i]);
    if (argc > 0) { /* for error() and assert(), which name the program */
        program_invocation_name = title_argv[0];
        p = strrchr(title_argv[0], '/');
        program_invocation_short_name = p ? p + 1 : title_argv[0];
    }
    title_area = a;
    return title_argv;
}

void pf_title_set(const char *comm, const char *fmt, ...)
{
    char title[PF_TITLE_MAX];
    va_list ap;

    if (comm != NULL)
        prctl(PR_SET_NAME, comm, 0, 0, 0);
    if (title_area.start == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(title, sizeof(title), fmt, ap);
    va_end(ap);
    pf_title_fill(title_area.start, title_area.size, title);
}
