/* pf_exec_output: exec workers' standard output and error, into the
 * error log line by line.
 *
 * Each program's fd 1 and 2 are one pipe; the master holds its read end,
 * non-blocking, in one epoll set that its loop polls (one descriptor
 * however many workers). What comes is cut into lines, each logged as
 * `worker PID (slot N): LINE` at notice level. Bounded: a line longer
 * than PF_EXEC_OUTPUT_LINE is logged in pieces, and at most
 * PF_EXEC_OUTPUT_READ bytes are taken from one worker per turn of the
 * loop, so a program that floods its output fills its pipe and waits on
 * its own writes: it cannot stall the master or grow its memory. Nothing
 * is lost at exit: the pipe of a reaped worker is read to its end (or to
 * what is there) before it is closed, and an unfinished last line is
 * logged too.
 */
#ifndef PF_EXEC_OUTPUT_H
#define PF_EXEC_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

#define PF_EXEC_OUTPUT_LINE 1024 /* with its prefix, one log line (PF_LOG_LINE_MAX) */
#define PF_EXEC_OUTPUT_READ 65536

struct pf_exec_output_slot {
    int fd;     /* read end; -1 none */
    pid_t pid;  /* the worker writing to it */
    char *line; /* PF_EXEC_OUTPUT_LINE bytes, allocated at first output */
    size_t len;
    char last[160]; /* the last line logged (cut), for the reason of its end */
};

struct pf_exec_output {
    int ep; /* -1: off */
    struct pf_exec_output_slot *slots;
    size_t nslots;
};

/* Set up for nslots workers. 0, or -1 with the reason in err. */
int pf_exec_output_init(struct pf_exec_output *o, size_t nslots, char *err, size_t errlen);

void pf_exec_output_destroy(struct pf_exec_output *o);

/* The descriptor for the master's poll (readable when some pipe is), or -1. */
int pf_exec_output_fd(const struct pf_exec_output *o);

/* After fork: the read end rd of worker pid in slot is watched (the
 * master closes the write end itself). */
void pf_exec_output_add(struct pf_exec_output *o, int slot, pid_t pid, int rd);

/* Log what came on every readable pipe. */
void pf_exec_output_read(struct pf_exec_output *o);

/* The worker of slot is gone: read what is left, log it, close. */
void pf_exec_output_drain(struct pf_exec_output *o, int slot);

/* The last line the worker of slot wrote ("" none), valid until its next
 * worker starts. */
const char *pf_exec_output_last(const struct pf_exec_output *o, int slot);

#endif
