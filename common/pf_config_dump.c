/* pf_config_dump: the effective configuration as a file (see pf_config_dump.h). */
#include "pf_config_dump.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "pf_log.h"

void pf_config_dump_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\x%02x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* Milliseconds as seconds: "30", "0.05", "1.5". */
static void dump_seconds(FILE *out, int ms)
{
    char frac[8];
    size_t n;

    if (ms % 1000 == 0) {
        fprintf(out, "%d", ms / 1000);
        return;
    }
    snprintf(frac, sizeof frac, "%03d", ms % 1000);
    for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
        frac[n - 1] = '\0';
    fprintf(out, "%d.%s", ms / 1000, frac);
}

/* The strings of a PF_CONFIG_STRINGS field of size bytes, as an array. */
static void dump_strings(FILE *out, const char *p, size_t size)
{
    fputc('[', out);
    for (size_t at = 0; at < size && p[at] != '\0'; at += strlen(p + at) + 1) {
        fputs(at ? ", " : "", out);
        pf_config_dump_string(out, p + at);
    }
    fputc(']', out);
}

/* Is the value of f in c one a file cannot write (see
 * pf_config_setting.empty_unset)? */
static bool dump_unwritable(const struct pf_config *c, const struct pf_config_setting *f)
{
    return f->empty_unset && ((const char *)c + f->offset)[0] == '\0';
}

/* The value of setting f in c, as a file writes it. */
static void dump_value(FILE *out, const struct pf_config *c, const struct pf_config_setting *f)
{
    const char *p = (const char *)c + f->offset;

    switch (f->type) {
    case PF_CONFIG_INT: fprintf(out, "%d", *(const int *)(const void *)p); break;
    case PF_CONFIG_LONG: fprintf(out, "%ld", *(const long *)(const void *)p); break;
    case PF_CONFIG_SIZE: fprintf(out, "%zu", *(const size_t *)(const void *)p); break;
    case PF_CONFIG_MS: dump_seconds(out, *(const int *)(const void *)p); break;
    case PF_CONFIG_STRING: pf_config_dump_string(out, p); break;
    case PF_CONFIG_LOG_LEVEL:
        pf_config_dump_string(out, pf_log_level_name(*(const int *)(const void *)p));
        break;
    case PF_CONFIG_BOOL: fputs(*(const bool *)(const void *)p ? "true" : "false", out); break;
    case PF_CONFIG_STRINGS: dump_strings(out, p, f->size); break;
    case PF_CONFIG_SIGNAL: {
        const char *name = sigabbrev_np(*(const int *)(const void *)p);

        pf_config_dump_string(out, name ? name : "");
        break;
    }
    }
}

/* One line: "name = value;" indented inside a group, commented out when
 * the file cannot write the value. */
static void dump_setting(FILE *out, const struct pf_config *c, const struct pf_config_setting *f)
{
    bool unwritable = dump_unwritable(c, f);

    fprintf(out, "%s%s%s = ", f->group ? "  " : "", unwritable ? "# " : "", f->name);
    dump_value(out, c, f);
    fputs(unwritable ? ";  (not set: the default)\n" : ";\n", out);
}

/* Was group already written: does a setting before the i-th have it? */
static bool dump_group_seen(size_t i, const char *group)
{
    struct pf_config_setting f;

    for (size_t k = 0; k < i && pf_config_setting_at(k, &f); k++)
        if (f.group && strcmp(f.group, group) == 0)
            return true;
    return false;
}

int pf_config_dump(FILE *out, const struct pf_config *c)
{
    struct pf_config_setting f, g;

    fputs("# preforkd -T: the effective configuration", out);
    if (c->path[0]) {
        fputs(" of ", out);
        pf_config_dump_string(out, c->path);
    } else {
        fputs(" of the command line (its program gets preforkd's whole environment)", out);
    }
    fputs("\n# Every setting, defaults included, as loaded: durations in seconds,\n"
          "# paths resolved. preforkd -t -c FILE loads this text as it stands.\n\n",
          out);
    /* the top level first, then each group where the table first has it,
     * with every setting of that group wherever the table lists it */
    for (size_t i = 0; pf_config_setting_at(i, &f); i++)
        if (!f.group)
            dump_setting(out, c, &f);
    for (size_t i = 0; pf_config_setting_at(i, &f); i++) {
        if (!f.group || dump_group_seen(i, f.group))
            continue;
        fprintf(out, "\n%s = {\n", f.group);
        for (size_t k = i; pf_config_setting_at(k, &g); k++)
            if (g.group && strcmp(g.group, f.group) == 0)
                dump_setting(out, c, &g);
        fputs("};\n", out);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
