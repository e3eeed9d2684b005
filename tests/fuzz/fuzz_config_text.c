/* fuzz_config_text: which lines of a configuration are @include lines
 * (pf_config_text_scan, pure), over any bytes: the input is cut into
 * lines at '\n' and scanned one after the other, the lexical state
 * carried from line to line as the loader does.
 *
 * Invariants, abort() on any violation:
 *  - the result is -1, 0 or 1, and the state one of the three;
 *  - the name is NUL-terminated within its buffer whatever the result;
 *  - on 1 the line was scanned from code, starts with blanks then
 *    "@include", the name is not empty and holds no more bytes than the
 *    line, and the rest starts just after a '"' of the line;
 *  - on -1 the line starts with blanks then "@include", and the state is
 *    left as it was (nothing after a malformed include is read);
 *  - a line scanned from a string or a comment is never an include.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "pf_config_text.h"

/* Does line (len bytes) start with blanks then "@include"? */
static bool starts_include(const char *line, size_t len)
{
    size_t i = 0;

    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return len - i >= 8 && memcmp(line + i, "@include", 8) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum pf_config_lex lex = PF_CONFIG_LEX_CODE;
    char *text = fuzz_dup(data, size), name[64];
    size_t at = 0;

    while (at <= size) {
        const char *line = text + at, *nl = memchr(line, '\n', size - at);
        size_t len = nl ? (size_t)(nl - line) : size - at, rest = 0;
        enum pf_config_lex before = lex;
        int rc;

        memset(name, 'x', sizeof(name));
        rc = pf_config_text_scan(line, len, &lex, name, sizeof(name), &rest);
        FUZZ_CHECK(rc >= -1 && rc <= 1, "result out of range");
        FUZZ_CHECK(lex == PF_CONFIG_LEX_CODE || lex == PF_CONFIG_LEX_STRING ||
                       lex == PF_CONFIG_LEX_COMMENT,
                   "state out of range");
        FUZZ_CHECK(memchr(name, '\0', sizeof(name)) != NULL, "name not terminated");
        if (rc != 0)
            FUZZ_CHECK(before == PF_CONFIG_LEX_CODE && starts_include(line, len),
                       "an include not at the start of a line of code");
        if (rc == 1)
            FUZZ_CHECK(name[0] != '\0' && strlen(name) <= len && rest >= 1 && rest <= len &&
                           line[rest - 1] == '"',
                       "include name or rest out of the line");
        if (rc == -1)
            FUZZ_CHECK(lex == before, "state changed by a malformed include");
        at += len + 1;
    }
    free(text);
    return 0;
}
