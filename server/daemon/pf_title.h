/* pf_title: what ps shows for each process of preforkd.
 *
 *   preforkd: master -c /etc/preforkd/preforkd.conf
 *   preforkd: worker (gen 2, slot 3)
 *   preforkd: keeper
 *
 * `ps -ef`, `ps aux` and `pgrep -f` read /proc/PID/cmdline: the kernel
 * reads it from the process's own memory each time, the block at the top
 * of the stack where exec placed the argv strings, with the environment's
 * strings right after them. A process names itself by writing over that
 * block; a title longer than the arguments runs on over the environment's
 * strings (the kernel follows it there once the last byte of the
 * arguments is no longer a NUL). So pf_title_init, first thing in main(),
 * copies those environment strings to the heap and points environ at the
 * copies, and copies argv for everything that still reads it (the command
 * line parsed, argv[0] for a binary upgrade). A title never grows past the
 * block: a long one is cut.
 *
 * `ps -o comm`, `top` and `pgrep` without -f show /proc/PID/comm instead,
 * 15 bytes set with PR_SET_NAME: the master keeps the binary's name,
 * workers are "preforkd-worker", the keeper "preforkd-keeper".
 *
 * Under valgrind the block is one valgrind laid out for its guest, not
 * the one the kernel reads: the title is written there harmlessly and ps
 * shows valgrind's command line. The block is found from the strings
 * themselves (pf_title_area_find), never assumed, so no write can leave it.
 */
#ifndef PF_TITLE_H
#define PF_TITLE_H

#include <stddef.h>

/* The longest title formatted; the block is usually the smaller bound. */
#define PF_TITLE_MAX 512

/* The block a title may use. */
struct pf_title_area {
    char *start; /* argv[0]'s first byte; NULL: no block (no argv) */
    size_t size; /* bytes, its last NUL included */
    size_t nenv; /* the environment's first nenv strings lie in it */
};

/* Find the block: argv[0], then each argv string and each environment
 * string (envp may be NULL) that begins right where the one before ended;
 * the first that does not ends it. Reads the strings, writes nothing. */
void pf_title_area_find(char *const *argv, char *const *envp, struct pf_title_area *a);

/* Write title into area (size bytes): as much of it as fits before a
 * final NUL, then NULs to the end, so that nothing of a longer title
 * before it shows. Returns the bytes of title written. */
size_t pf_title_fill(char *area, size_t size, const char *title);

/* The n strings of args joined with single spaces into out (size bytes,
 * cut to fit, terminated when size > 0). Returns the length written. */
size_t pf_title_join(char *out, size_t size, char *const *args, int n);

/* First thing in main(): copy argv and the environment's strings, and
 * remember the block. Returns the copy of argv, which main() uses from
 * then on (the original's strings are overwritten by the first title);
 * when no copy can be made, argv itself, and titles stay off. */
char **pf_title_init(int argc, char **argv);

/* Set this process's title (printf format; cut at PF_TITLE_MAX and at
 * the block's end) and, when comm is not NULL, its name in
 * /proc/PID/comm (the kernel keeps 15 bytes). Before pf_title_init, or
 * without a block, only the name is set. */
void pf_title_set(const char *comm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
