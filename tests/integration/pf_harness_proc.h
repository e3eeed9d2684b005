/* pf_harness_proc: processes and sockets of the server under test, read
 * from /proc and the kernel: the master's workers (every pid seen is
 * remembered for teardown), one process's state and pending signals,
 * orphans, the accept queue, unread bytes of a connection. Part of
 * pf_harness.h, which includes it. */
#ifndef PF_HARNESS_PROC_H
#define PF_HARNESS_PROC_H

#include <sys/resource.h>

#include "pf_harness.h"

/* What /proc/PID/stat says of a process (the fields tests read). */
struct pf_h_stat {
    char state; /* 'R', 'S', 'Z', ... */
    pid_t ppid;
    pid_t session;            /* the session's id (its leader's pid) */
    int tty_nr;               /* controlling terminal; 0: none */
    unsigned long long utime; /* CPU time in clock ticks, user... */
    unsigned long long stime; /* ...and system */
};

/* Read it. 0, or -1 when there is no such process. */
int pf_h_proc_stat(pid_t pid, struct pf_h_stat *out);

/* True if pid is a live (non-zombie) process. */
bool pf_h_pid_alive(pid_t pid);

/* The state letter of pid in /proc ('S' sleeping, 'T' stopped, 'Z'...),
 * or 0 if there is no such process. */
char pf_h_pid_state(pid_t pid);

/* Wait until pid is in state st (e.g. 'T' after SIGSTOP). 0 or -1. */
int pf_h_wait_pid_state(pid_t pid, char st, int timeout_ms);

/* Wait until pid is no longer a live process (gone, or a zombie). 0 or -1. */
int pf_h_wait_pid_gone(pid_t pid, int timeout_ms);

/* True if sig is pending (blocked or not yet taken) for process pid. */
bool pf_h_signal_pending(pid_t pid, int sig);

/* Wait until sig is pending for pid (e.g. SIGQUIT held by a busy worker). */
int pf_h_wait_signal_pending(pid_t pid, int sig, int timeout_ms);

/* Open descriptors of pid, and into *lowest_free the lowest number not
 * in use (below 1024). -1 if /proc cannot be read. */
int pf_h_proc_fds(pid_t pid, int *lowest_free);

/* The value of "name:" (in kB) in the /proc file path
 * ("/proc/42/status", "VmRSS"), or -1. */
long pf_h_proc_kib(const char *path, const char *name);

/* Set pid's soft RLIMIT_NOFILE to soft (the hard limit stays). */
void pf_h_set_nofile(pid_t pid, rlim_t soft);

/* The name the keeper process gives itself (its /proc/PID/comm; see
 * PF_KEEPER_COMM in server/keeper/pf_keeper.h). */
#define PF_H_KEEPER_COMM "preforkd-keeper"

/* pid's name, /proc/PID/comm without its newline (what top shows), into
 * out. 0, or -1 when there is no such process. */
int pf_h_proc_comm(pid_t pid, char *out, size_t size);

/* pid's title: the first string of /proc/PID/cmdline (what ps -ef shows
 * up to the first NUL), into out. 0, or -1 when there is no such process. */
int pf_h_proc_title(pid_t pid, char *out, size_t size);

/* Wait until pid's name is comm and its title is title (either NULL: not
 * looked at). 0, or -1 (noted with what it shows). */
int pf_h_wait_named(pid_t pid, const char *comm, const char *title, int timeout_ms);

/* Is pid the keeper (by its name)? */
bool pf_h_is_keeper(pid_t pid);

/* The master's keeper process, or 0 when none runs. */
pid_t pf_h_keeper_pid(struct pf_server *s);

/* Wait until the server's side of client connection fd is held by the
 * keeper and by no worker (the connection is parked). 0, or -1 after
 * timeout_ms (noted). */
int pf_h_wait_parked(struct pf_server *s, int fd, int timeout_ms);

/* Live (non-zombie) children of the master into pids (sorted, at most max),
 * the keeper not counted; returns how many exist. Every pid found is
 * remembered for teardown. */
int pf_h_worker_pids(struct pf_server *s, pid_t *pids, int max);

/* Zombie children of the master now: workers that exited and were not
 * reaped (yet). */
int pf_h_zombies(struct pf_server *s);

/* Start a crash loop in an http pool of n workers whose access log is
 * logs/access.log: remove that folder and kill every worker, so that
 * their successors cannot open the log and exit at start. 0 or -1
 * (noted). The loop ends once the folder is made again. */
int pf_h_start_crash_loop(struct pf_server *s, int n);

/* Wait until exactly n live workers exist. 0 or -1. */
int pf_h_wait_workers(struct pf_server *s, int n, int timeout_ms);

/* Workers of this server that are now children of the test process (live
 * or zombie): left behind by a master that exited. Zombies found are
 * reaped (other children too: sanitizer helper tasks); live ones are left
 * alone. Returns how many workers were found. */
int pf_h_orphans(struct pf_server *s);

/* Wait until every child of ours but a running master has exited, reaping
 * them; *clean (may be NULL) is set to false if a worker among them did
 * not exit with status 0. 0, or -1 if
 * some are still alive at the bound. */
int pf_h_reap_orphans(struct pf_server *s, int timeout_ms, bool *clean);

/* The inode of the socket whose local port is sport and remote port
 * cport (0: a listener), from /proc/net/tcp{,6}; 0 if none (a connection
 * not yet accepted shows inode 0 too). */
unsigned long pf_h_socket_inode(unsigned sport, unsigned cport);

/* True if process pid holds socket:[inode] among its descriptors. */
bool pf_h_pid_has_socket(pid_t pid, unsigned long inode);

/* The worker that accepted the connection of the client socket fd (found
 * through /proc/net/tcp and the workers' fd tables); waits up to
 * timeout_ms for the accept. Returns the pid, or -1. */
pid_t pf_h_worker_of_client(struct pf_server *s, int fd, int timeout_ms);

/* Wait until the server has read every byte sent so far on the client
 * connection fd: its side of the connection (accepted; asked of the
 * kernel with sock_diag) has an empty receive queue, or is gone. Lets a test make the server see a request
 * in two reads (send a part, wait, send the rest) without sleeping. 0 or
 * -1. */
int pf_h_wait_consumed(const struct pf_server *s, int fd, int timeout_ms);

/* Connections waiting in the server's accept queue (what `ss -lnt`
 * shows as Recv-Q), from /proc/net/tcp{,6}; -1 if its listening socket
 * is not found. */
int pf_h_listen_queue(const struct pf_server *s);

/* Wait until exactly n connections wait in the accept queue. 0 or -1. */
int pf_h_wait_listen_queue(const struct pf_server *s, int n, int timeout_ms);

#endif
