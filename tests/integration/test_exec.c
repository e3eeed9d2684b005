/* Integration: exec workers (protocol = "exec"), against the real binary
 * and real programs: the Python example of examples/python serving the
 * echo and msg protocols from the socket preforkd passes on fd 3, a worker
 * killed and replaced, a graceful stop with the program's stop signal, and
 * what the program finds when it starts (its descriptors, environment,
 * signal mask, working folder, the socket's mode), reported by a small
 * Python program the test writes; readiness by READY=1 on the notify
 * socket, and a program that never says it. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_addr.h"
#include "pf_harness.h"
#include "pf_harness_ctl.h"
#include "pf_time.h"

#define PYTHON "/usr/bin/python3" /* Debian's: no wrapper adding variables */
#define EXAMPLE PF_TEST_SOURCE_DIR "/examples/python/echo_worker.py"

/* The harness's defaults for a pool of n exec workers (the exec group
 * itself goes in c->extra). */
static void exec_defaults(struct pf_h_config *c, int n)
{
    pf_h_config_defaults(c);
    c->protocol = "exec";
    c->workers_start = n;
}

/* Start an exec pool of n workers running command (a libconfig list
 * body), with more exec settings (may be ""), and the control channel
 * when ctl is set. */
static void start_exec_ctl(struct pf_server *s, int n, const char *command, const char *more,
                           bool ctl)
{
    struct pf_h_config c;
    char extra[2048];

    if (access(PYTHON, X_OK) != 0)
        pf_h_skip_because(s, PYTHON " is not installed");
    exec_defaults(&c, n);
    snprintf(extra, sizeof(extra), "exec = { command = [%s]; %s };\n%s", command, more,
             ctl ? PF_H_CTL_CONFIG : "");
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

static void start_exec(struct pf_server *s, int n, const char *command, const char *more)
{
    start_exec_ctl(s, n, command, more, false);
}

/* The example serves echo, a whole line and a line sent a byte at a
 * time, from each of its workers in turn. */
PF_H_TEST(test_exec_echo)
{
    static const char line[] = "one byte at a time\n";
    char back[sizeof(line)];

    start_exec(s, 2, "\"" PYTHON "\", \"" EXAMPLE "\"", "");
    for (int i = 0; i < 4; i++) {
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "hello from a program\n"), 0);
        for (size_t k = 0; k < sizeof(line) - 1; k++)
            assert_int_equal(pf_h_send(fd, line + k, 1), 0);
        assert_int_equal(pf_h_recv(fd, back, sizeof(line) - 1), 0);
        assert_memory_equal(back, line, sizeof(line) - 1);
        close(fd);
    }
}

/* The same program with --msg serves length-prefixed messages, a whole
 * frame at once or a byte at a time. */
PF_H_TEST(test_exec_msg)
{
    unsigned char *frame, back[64];
    size_t len;
    int fd;

    start_exec(s, 1, "\"" PYTHON "\", \"" EXAMPLE "\", \"--msg\"", "");
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_msg_roundtrip(fd, "a message", 9), 0);
    assert_int_equal(pf_h_msg_roundtrip(fd, "", 0), 0);
    assert_int_equal(pf_h_msg_frame("one byte at a time", 18, &frame, &len), 0);
    for (size_t k = 0; k < len; k++)
        assert_int_equal(pf_h_send(fd, frame + k, 1), 0);
    assert_int_equal(pf_h_recv(fd, back, len), 0);
    assert_memory_equal(back, frame, len);
    free(frame);
    close(fd);
}

/* kill -9 of a worker: a new one runs the program and serves; a graceful
 * stop sends the stop signal, and the programs exit with status 0. */
PF_H_TEST(test_exec_killed_replaced_and_stopped)
{
    pid_t before[2], after[2];
    int fd;

    start_exec(s, 2, "\"" PYTHON "\", \"" EXAMPLE "\"", "");
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    assert_int_equal(kill(before[0], SIGKILL), 0);
    assert_int_equal(pf_h_wait_log(s, "killed by signal 9", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2);
    assert_true(after[0] != before[0] && after[1] != before[0]);
    for (int i = 0; i < 4; i++) {
        fd = pf_h_connect(s);
        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "after the kill\n"), 0);
        close(fd);
    }
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, NULL), 0);
    /* a program that had not yet set its handler (the new one may be
     * that young) ends by the signal itself: a stop all the same */
    assert_int_equal(pf_h_log_count(s, "exited with status 0") +
                         pf_h_log_count(s, "killed by signal 15 (Terminated)"),
                     2);
    assert_true(pf_h_log_count(s, "exited with status 0") >= 1);
}

/* What the program finds, written by a Python program into REPORT. */
static const char reporter[] =
    "import fcntl, os, socket, sys\n"
    "fds = {}\n"
    "for name in os.listdir('/proc/self/fd'):\n"
    "    try:\n"
    "        fds[int(name)] = os.readlink('/proc/self/fd/' + name)\n"
    "    except OSError:\n"
    "        pass  # the folder's own descriptor, closed by now\n"
    "status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines())\n"
    "with open(os.environ['REPORT'] + '.' + os.environ['PREFORKD_SLOT'], 'w') as f:\n"
    "    for fd in sorted(fds):\n"
    "        print('fd %d %s' % (fd, fds[fd].split(':')[0]), file=f)\n"
    "    for k in sorted(os.environ):\n"
    "        print('env %s=%s' % (k, os.environ[k]), file=f)\n"
    "    print('sigblk %s' % status['SigBlk'].strip(), file=f)\n"
    "    print('cwd %s' % os.getcwd(), file=f)\n"
    "    print('nonblock %d' % bool(fcntl.fcntl(3, fcntl.F_GETFL) & os.O_NONBLOCK), file=f)\n"
    "    print('pid %d' % os.getpid(), file=f)\n"
    "listener = socket.socket(fileno=3)\n"
    "while True:\n"
    "    conn, _ = listener.accept()\n"
    "    conn.sendall(conn.recv(100))\n"
    "    conn.close()\n";

/* Descriptors 0 to 3 only (stdin /dev/null, the socket on 3, blocking),
 * the environment exactly what docs/exec.md lists (nothing of the
 * master's), no signal blocked, the working folder as configured. */
PF_H_TEST(test_exec_hygiene)
{
    char more[8400], want[4200], *report;
    int fd;

    assert_int_equal(pf_h_write_file(s, "reporter.py", reporter, NULL), 0);
    assert_int_equal(pf_h_mkdir(s, "work"), 0);
    snprintf(more, sizeof(more), "env = [\"REPORT=%s/report\", \"LANG\"]; directory = \"%s/work\";",
             s->dir, s->dir);
    setenv("PF_EXEC_SECRET", "must not reach the program", 1);
    snprintf(want, sizeof(want), "\"" PYTHON "\", \"%s/reporter.py\"", s->dir);
    start_exec(s, 1, want, more);
    unsetenv("PF_EXEC_SECRET");
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "x\n"), 0); /* it runs: the report is written */
    close(fd);
    report = pf_h_read(s, "report.0");
    assert_non_null(report);
    pf_h_note("the program's report:\n%s", report);
    assert_non_null(strstr(report, "fd 0 /dev/null\nfd 1 "));
    assert_non_null(strstr(report, "\nfd 3 socket\nenv "));
    assert_null(strstr(report, "fd 4"));
    assert_null(strstr(report, "PF_EXEC_SECRET"));
    assert_null(strstr(report, "env HOME="));
    assert_non_null(strstr(report, "env LISTEN_FDS=1\n"));
    assert_non_null(strstr(report, "env LISTEN_FDNAMES=preforkd\n"));
    assert_non_null(strstr(report, "env EINHORN_FD_0=3\nenv EINHORN_FD_COUNT=1\n"));
    assert_non_null(strstr(report, "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n"));
    assert_non_null(strstr(report, "env PREFORKD_GENERATION=1\nenv PREFORKD_SLOT=0\n"));
    snprintf(want, sizeof(want), "env REPORT=%s/report\n", s->dir);
    assert_non_null(strstr(report, want));
    snprintf(want, sizeof(want), "env SERVER_STARTER_PORT=127.0.0.1:%u=3\n", s->port);
    assert_non_null(strstr(report, want));
    {
        const char *p = strstr(report, "\npid "), *q = strstr(report, "env LISTEN_PID=");

        assert_non_null(p);
        assert_non_null(q);
        assert_int_equal(atol(p + 5), atol(q + 15)); /* LISTEN_PID is its own pid */
    }
    assert_non_null(strstr(report, "sigblk 0000000000000000\n"));
    snprintf(want, sizeof(want), "cwd %s/work\n", s->dir);
    assert_non_null(strstr(report, want));
    assert_non_null(strstr(report, "nonblock 0\n"));
    free(report);
}

/* The program of the two tests below: it exits 3 at once, saying why. */
#define EXITS_AT_ONCE "command = [\"/bin/sh\", \"-c\", \"echo cannot import app >&2; exit 3\"];"

/* ready = "started" and a program that exits at once: the pool counted
 * as ready at its execve, so its failures start the crash backoff, whose
 * log quotes its exit status (3 is its own, not preforkd's "could not
 * start") and its last line; the master keeps running and retrying. */
PF_H_TEST(test_exec_exits_at_once)
{
    struct pf_h_config c;

    exec_defaults(&c, 2);
    c.extra = "exec = { " EXITS_AT_ONCE " };\n";
    c.workers_extra = "crash_limit = 2; crash_window = 10;";
    assert_int_equal(pf_h_start_config(s, &c), 0);
    assert_int_equal(pf_h_wait_log(s,
                                   "workers keep failing (more than crash_limit 2 abnormal "
                                   "exits within 10 s)",
                                   PF_H_WAIT_MS),
                     0);
    assert_true(pf_h_log_contains(s, "; last: worker "));
    assert_true(pf_h_log_contains(s, " exited with status 3; last output: cannot import app"));
    assert_int_equal(pf_h_log_count(s, "could not start"), 0);
    assert_true(pf_h_running(s));
}

/* ready = "notify" and the same program, before the pool was ever ready:
 * once its failures start the crash backoff, start-up fails, the reason
 * quoting its exit status and its last line of output, and the master
 * exits 1 (a -d launcher would say the same). */
PF_H_TEST(test_exec_exits_at_once_notify)
{
    struct pf_h_config c;
    int status;

    exec_defaults(&c, 2);
    c.extra = "exec = { " EXITS_AT_ONCE " ready = \"notify\"; };\n";
    c.workers_extra = "crash_limit = 2; crash_window = 10;";
    assert_int_equal(pf_h_start_config(s, &c), 0); /* its workers do not stay */
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 1));
    assert_int_equal(pf_h_log_count(s, "workers keep failing (more than crash_limit"), 1);
    assert_int_equal(pf_h_log_count(s, "start-up failed: workers keep failing (more than "
                                       "workers.crash_limit 2 abnormal exits before the pool was "
                                       "ready); last: worker "),
                     1);
    assert_true(pf_h_log_contains(s, " exited with status 3; last output: cannot import app"));
    assert_int_equal(pf_h_log_count(s, "could not start"), 0);
}

/* Scaling a pool of programs: SIGTTIN adds one, `preforkctl scale` sets
 * the size, and the programs let go are sent exec.stop_signal (SIGUSR2
 * here), on which they leave by themselves (status 0), as a graceful
 * stop asks. */
PF_H_TEST(test_exec_scale_and_stop_signal)
{
    static const char waits[] = "import os, signal, socket, sys\n"
                                "def leave(*_):\n"
                                "    sys.stderr.write('got SIGUSR2, leaving\\n')\n"
                                "    sys.exit(0)\n"
                                "signal.signal(signal.SIGUSR2, leave)\n"
                                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                                "s.connect('\\0' + os.environ['NOTIFY_SOCKET'][1:])\n"
                                "s.send(b'READY=1')\n"
                                "while True:\n"
                                "    signal.pause()\n";
    char command[4200];
    struct pf_h_output o;

    assert_int_equal(pf_h_write_file(s, "waits.py", waits, NULL), 0);
    snprintf(command, sizeof(command), "\"" PYTHON "\", \"%s/waits.py\"", s->dir);
    start_exec_ctl(s, 2, command, "stop_signal = \"SIGUSR2\"; ready = \"notify\";", true);
    assert_int_equal(pf_h_signal(s, SIGTTIN), 0);
    assert_int_equal(pf_h_wait_workers(s, 3, PF_H_WAIT_MS), 0);
    /* ready once their handler is set */
    assert_int_equal(pf_h_wait_log_count(s, "ready (READY=1) after", 3, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "scale", "1", NULL), 0);
    if (!pf_h_exited_with(o.status, 0) || !strstr(o.out, "workers target: 3 -> 1"))
        fail_msg("preforkctl scale 1: status %#x\nstdout: %s\nstderr: %s", (unsigned)o.status,
                 o.out, o.err);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_workers(s, 1, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log_count(s, "got SIGUSR2, leaving", 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log_count(s, "exited with status 0", 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* -d waits for the programs' READY=1: the launcher exits 0 only once
 * they are ready (a second after their start here), and the pool then
 * serves at once. */
PF_H_TEST(test_exec_daemon_waits_for_ready)
{
    static const char slow[] = "import os, sys, time\n"
                               "time.sleep(1)\n"
                               "os.execv(sys.executable, [sys.executable, sys.argv[1]])\n";
    struct pf_h_config c;
    struct pf_h_output o;
    char body[16384], extra[8192];
    int64_t t0, took;
    pid_t pid;
    int fd;

    if (access(PYTHON, X_OK) != 0)
        pf_h_skip_because(s, PYTHON " is not installed");
    assert_int_equal(pf_h_write_file(s, "slow.py", slow, NULL), 0);
    exec_defaults(&c, 2);
    c.error_log = "preforkd.log";
    c.daemon_extra = "pidfile = \"preforkd.pid\";";
    snprintf(extra, sizeof(extra),
             "exec = { command = [\"" PYTHON "\", \"%s/slow.py\", \"" EXAMPLE
             "\"]; ready = \"notify\"; };\n",
             s->dir);
    c.extra = extra;
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    t0 = pf_time_now_ms();
    assert_int_equal(pf_h_run(s, &o, "-d", "-c", "preforkd.conf", (char *)NULL), 0);
    took = pf_time_now_ms() - t0;
    if (!pf_h_exited_with(o.status, 0))
        fail_msg("launcher: status %#x, stderr: %s", (unsigned)o.status, o.err);
    pf_h_output_free(&o);
    pid = pf_h_read_pid(s, "preforkd.pid");
    assert_true(pid > 0);
    s->pid = 0; /* not the harness's child: stopped below */
    pf_h_note("the launcher returned after %lld ms (the programs sleep 1000 ms)", (long long)took);
    assert_true(took >= 1000);
    assert_int_equal(pf_h_log_count(s, "ready (READY=1) after"), 2);
    assert_int_equal(pf_h_find_listening(s), 0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_echo_roundtrip(fd, "at once\n"), 0);
    close(fd);
    assert_int_equal(pf_h_stop_detached(s, pid), 0);
}

/* A program that starts, serves, then cannot start again (a flag file
 * breaks it, as a bad deploy would): after the pool was ready, its
 * failures only start the crash backoff, quoting its last line, while
 * the master keeps running; once it is fixed the pool is whole again. */
PF_H_TEST(test_exec_crash_loop_after_start)
{
    static const char breaks[] = "import os, sys\n"
                                 "if os.path.exists(os.environ['FLAG']):\n"
                                 "    sys.exit('cannot load app.py')\n"
                                 "os.execv(sys.executable, [sys.executable, sys.argv[1]])\n";
    char command[4200], more[4200], flag[PATH_MAX];
    pid_t pids[2];

    assert_int_equal(pf_h_write_file(s, "breaks.py", breaks, NULL), 0);
    assert_int_equal(pf_h_path(flag, s, "broken"), 0);
    snprintf(command, sizeof(command), "\"" PYTHON "\", \"%s/breaks.py\", \"" EXAMPLE "\"", s->dir);
    snprintf(more, sizeof(more), "env = [\"FLAG=%s\"];", flag);
    {
        struct pf_h_config c;
        char extra[16384];

        exec_defaults(&c, 2);
        c.workers_extra = "crash_limit = 2; crash_window = 2; backoff_max = 1;";
        snprintf(extra, sizeof(extra), "exec = { command = [%s]; %s };\n", command, more);
        c.extra = extra;
        assert_int_equal(pf_h_start_pool(s, &c), 0);
    }
    assert_int_equal(pf_h_write_file(s, "broken", "", NULL), 0);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(kill(pids[i], SIGKILL), 0);
    assert_int_equal(pf_h_wait_log(s, "workers keep failing", PF_H_WAIT_MS), 0);
    assert_true(pf_h_log_contains(s, "exited with status 1; last output: cannot load app.py"));
    assert_true(pf_h_running(s));
    assert_int_equal(pf_h_log_count(s, "start-up failed"), 0);
    assert_int_equal(unlink(flag), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    {
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "fixed\n"), 0);
        close(fd);
    }
}

/* Send text as one datagram to the master's notify socket (its name is
 * "@preforkd/PID/0"), from this process: not a worker. */
static void notify_from_test(struct pf_server *s, const char *text)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "preforkd/%ld/0", (long)s->pid);

    assert_true(fd >= 0);
    assert_int_equal(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sa,
                            (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)),
                     (ssize_t)strlen(text));
    close(fd);
}

/* What an administrator sees of exec workers: in `preforkctl workers`,
 * each ready, its private memory and its STATUS= text; in the JSON reply
 * the same as fields. */
static void expect_workers_seen(struct pf_server *s)
{
    struct pf_h_output o;
    json_t *j = pf_h_ctl_json(s, "workers", NULL), *w;
    size_t i;

    assert_non_null(j);
    json_array_foreach(json_object_get(j, "workers"), i, w)
    {
        const char *status = json_string_value(json_object_get(w, "status"));
        char want[64];

        snprintf(want, sizeof(want), "serving, pid %lld", pf_h_json_int(w, NULL, "pid"));
        if (!json_is_true(json_object_get(w, "ready")) || status == NULL ||
            strcmp(status, want) != 0 || pf_h_json_int(w, NULL, "private_kib") <= 0 ||
            json_object_get(w, "request") != NULL)
            fail_msg("worker %zu: ready %d, status \"%s\", private_kib %lld", i,
                     json_is_true(json_object_get(w, "ready")), status ? status : "(none)",
                     pf_h_json_int(w, NULL, "private_kib"));
    }
    assert_int_equal(i, 2);
    json_decref(j);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "workers", NULL), 0);
    if (!pf_h_exited_with(o.status, 0) || !strstr(o.out, "MEMORY  WATCHDOG  CLIENT  STATUS\n") ||
        !strstr(o.out, "  ready  ") || !strstr(o.out, " MiB ") || !strstr(o.out, "serving, pid "))
        fail_msg("preforkctl workers: status %#x\nstdout: %s\nstderr: %s", (unsigned)o.status,
                 o.out, o.err);
    pf_h_output_free(&o);
}

/* ready = "notify": the workers count as serving at their READY=1 (the
 * master says so, and only then that the pool is ready), their STATUS=
 * is logged; a datagram from a process that is not a worker is ignored,
 * counted and logged. */
PF_H_TEST(test_exec_notify_ready)
{
    start_exec_ctl(s, 2, "\"" PYTHON "\", \"" EXAMPLE "\"", "ready = \"notify\";", true);
    assert_int_equal(pf_h_wait_log(s, "ready: 2 workers accepting", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_count(s, "ready (READY=1) after"), 2);
    assert_int_equal(pf_h_log_count(s, ": STATUS=serving, pid "), 2);
    notify_from_test(s, "READY=1");
    assert_int_equal(pf_h_wait_log(s, "not a worker of this master", PF_H_WAIT_MS), 0);
    notify_from_test(s, "garbage");
    notify_from_test(s, "READY=1");
    {
        int fd = pf_h_connect(s); /* still serving */

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "still here\n"), 0);
        close(fd);
    }
    assert_int_equal(pf_h_log_count(s, "notify socket: a datagram from pid"), 1); /* once */
    /* counted in status: 2 READY datagrams acted on at least (each with
     * its STATUS), 2 from a stranger, 1 bad */
    assert_true(pf_h_ctl_status_int(s, "exec.notify_messages") >= 2);
    assert_int_equal(pf_h_ctl_status_int(s, "exec.notify_foreign"), 2);
    assert_int_equal(pf_h_ctl_status_int(s, "exec.notify_bad"), 1);
    assert_int_equal(pf_h_ctl_status_int(s, "exec.not_ready"), 0);
    expect_workers_seen(s);
}

/* ready = "notify" and a program that never says READY=1: killed at
 * exec.ready_timeout with the reason, the pool never reported ready, and
 * start-up fails with that reason: the master exits 1. */
PF_H_TEST(test_exec_never_ready)
{
    struct pf_h_config c;
    int status;

    exec_defaults(&c, 1);
    c.extra = "exec = { command = [\"/bin/sleep\", \"60\"]; ready = \"notify\"; "
              "ready_timeout = 0.5; };\n";
    assert_int_equal(pf_h_start_config(s, &c), 0);
    assert_int_equal(pf_h_wait_log(s, "no READY=1 within exec.ready_timeout (500 ms); killing it",
                                   PF_H_WAIT_MS),
                     0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, &status), 0);
    assert_true(pf_h_exited_with(status, 1));
    assert_true(pf_h_log_contains(s, "start-up failed: worker "));
    assert_true(pf_h_log_contains(s, " could not start: no READY=1 within exec.ready_timeout "
                                     "(500 ms)"));
    assert_int_equal(pf_h_log_count(s, "ready: "), 0);
}

/* A program that pings its watchdog three times, then stops (writing the
 * monotonic time of its last ping to a file) and ignores SIGABRT. */
static const char stops_pinging[] =
    "import os, signal, socket, time\n"
    "signal.signal(signal.SIGABRT, signal.SIG_IGN)\n"
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
    "s.connect('\\0' + os.environ['NOTIFY_SOCKET'][1:])\n"
    "period = int(os.environ['WATCHDOG_USEC']) / 1e6 / 4\n"
    "s.send(b'READY=1')\n"
    "for i in range(3):\n"
    "    s.send(b'WATCHDOG=1')\n"
    "    last = time.monotonic()\n"
    "    time.sleep(period)\n"
    "open(os.environ['REPORT'], 'w').write('%d' % int(last * 1000))\n"
    "while True:\n"
    "    time.sleep(60)\n";

/* A program that stops pinging its watchdog: exec.hung_signal within
 * exec.watchdog + 1 s of its last ping (the bound), then SIGKILL
 * after workers.stop_timeout since it ignores the first; logged as hung
 * and counted as such, not as a crash. */
PF_H_TEST(test_exec_watchdog)
{
    char more[8400], command[4200], *last;
    int64_t hung_at, last_ms;

    assert_int_equal(pf_h_write_file(s, "stops_pinging.py", stops_pinging, NULL), 0);
    snprintf(command, sizeof(command), "\"" PYTHON "\", \"%s/stops_pinging.py\"", s->dir);
    snprintf(more, sizeof(more),
             "ready = \"notify\"; watchdog = 1; env = [\"REPORT=%s/last_ping\"];", s->dir);
    {
        struct pf_h_config c;
        char extra[16384];

        exec_defaults(&c, 1);
        c.stop_timeout = 0.5;
        snprintf(extra, sizeof(extra), "exec = { command = [%s]; %s };\n", command, more);
        c.extra = extra;
        assert_int_equal(pf_h_start_pool(s, &c), 0);
    }
    assert_int_equal(pf_h_wait_log(s, "hung: no WATCHDOG=1 for", 5000), 0);
    hung_at = pf_time_now_ms();
    last = pf_h_read(s, "last_ping");
    assert_non_null(last);
    last_ms = atoll(last);
    free(last);
    pf_h_note("SIGABRT %lld ms after the last ping (exec.watchdog 1000 ms)",
              (long long)(hung_at - last_ms));
    assert_true(hung_at - last_ms >= 1000);
    assert_true(hung_at - last_ms <= pf_h_scaled_ms(2000));
    assert_int_equal(pf_h_log_count(s, "sending SIGABRT, SIGKILL after 500 ms"), 1);
    assert_int_equal(pf_h_wait_log(s, "still running", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_log(s, "killed as hung (killed by signal 9", PF_H_WAIT_MS), 0);
}

/* The program's output in the error log, line by line with its pid and
 * slot: stdout and stderr alike, and an unfinished last line once it
 * ends. */
PF_H_TEST(test_exec_output)
{
    struct pf_h_config c;
    pid_t pid;
    char line[128];

    exec_defaults(&c, 1);
    c.extra = "exec = { command = [\"/bin/sh\", \"-c\", \"echo out line; echo err line >&2; "
              "printf 'last words'; exec sleep 60\"]; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_worker_pids(s, &pid, 1), 1);
    snprintf(line, sizeof(line), "worker %ld (slot 0): out line", (long)pid);
    assert_int_equal(pf_h_wait_log(s, line, PF_H_WAIT_MS), 0);
    snprintf(line, sizeof(line), "worker %ld (slot 0): err line", (long)pid);
    assert_int_equal(pf_h_wait_log(s, line, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_count(s, "last words"), 0); /* not a line yet */
    assert_int_equal(pf_h_signal(s, SIGQUIT), 0);
    assert_int_equal(pf_h_wait_exit(s, PF_H_WAIT_MS, NULL), 0);
    snprintf(line, sizeof(line), "worker %ld (slot 0): last words", (long)pid);
    assert_int_equal(pf_h_log_count(s, line), 1);
}

/* A program that writes 2,000,000 bytes without a newline: logged in
 * pieces of at most 1024 bytes, every byte of them, while the master's
 * memory stays small. */
PF_H_TEST(test_exec_output_flood)
{
    enum { FLOOD = 2000000, PIECE = 1024 };
    struct pf_h_config c;
    long total = 0, pieces = 0, longest = 0, rss_kib = 0;
    char status[64];

    exec_defaults(&c, 1);
    c.extra =
        "exec = { command = [\"/bin/sh\", \"-c\", \"head -c 2000000 /dev/zero | tr '\\\\0' x; "
        "echo; exec sleep 60\"]; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    for (int64_t end = pf_time_now_ms() + PF_H_WAIT_MS; total < FLOOD;) {
        char *log = pf_h_read(s, "preforkd.log");

        assert_true(pf_time_now_ms() < end);
        total = pieces = longest = 0;
        for (char *p = log ? strstr(log, "(slot 0): x") : NULL; p;
             p = strstr(p + 1, "(slot 0): x")) {
            long n = (long)strspn(p + 10, "x");

            total += n;
            pieces++;
            longest = n > longest ? n : longest;
        }
        free(log);
        usleep(PF_H_POLL_MS * 1000);
    }
    snprintf(status, sizeof(status), "/proc/%ld/status", (long)s->pid);
    rss_kib = pf_h_proc_kib(status, "VmRSS");
    pf_h_note("%ld bytes in %ld lines, the longest %ld; the master's RSS %ld KiB", total, pieces,
              longest, rss_kib);
    assert_int_equal(total, FLOOD);
    assert_int_equal(longest, PIECE);
    assert_int_equal(pieces, FLOOD / PIECE + 1);
    assert_int_equal(pf_h_log_count(s, " [line cut]"), FLOOD / PIECE);
    /* valgrind's own memory counts in the RSS of a master it runs */
    assert_true(rss_kib > 0 && rss_kib < (pf_h_under_valgrind() ? 262144 : 65536));
}

/* The C example, libsystemd's sd_listen_fds and sd_notify unchanged:
 * ready by READY=1 with its STATUS, serving, pinging its watchdog. */
PF_H_TEST(test_exec_c_example)
{
#ifdef PF_EXAMPLE_C
    struct pf_h_config c;
    int fd;

    exec_defaults(&c, 2);
    c.extra = "exec = { command = [\"" PF_EXAMPLE_C "\"]; ready = \"notify\"; watchdog = 1; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_wait_log(s, "ready: 2 workers accepting", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_count(s, ": STATUS=serving on fd 3, pid "), 2);
    for (int i = 0; i < 4; i++) {
        fd = pf_h_connect(s);
        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "from C\n"), 0);
        close(fd);
    }
    /* a window of two and a half watchdog intervals (1 s; it pings every
     * 0.5 s): its pings keep it alive */
    usleep(2500 * 1000);
    assert_int_equal(pf_h_log_count(s, "hung"), 0);
#else
    pf_h_skip_because(s, "the C example was not built (no libsystemd)");
#endif
}

/* What ps shows of the program form started with args (NULL-terminated):
 * the master's title carries the whole line (under valgrind, valgrind's
 * line shows instead); each worker, running the program, shows the
 * program's own command line, exactly, and its name (the worker's title
 * lasted until its execve). */
static void expect_program_form_titles(struct pf_server *s, const char *const *args)
{
    char want[PATH_MAX + 256], line[PATH_MAX + 256];
    size_t len = (size_t)snprintf(want, sizeof(want), "preforkd: master");
    pid_t pids[2];

    for (int i = 0; args[i] != NULL; i++)
        len += (size_t)snprintf(want + len, sizeof(want) - len, " %s", args[i]);
    assert_int_equal(pf_h_wait_named(s->pid, pf_h_under_valgrind() ? NULL : "preforkd",
                                     pf_h_under_valgrind() ? NULL : want, PF_H_WAIT_MS),
                     0);
    assert_int_equal(pf_h_worker_pids(s, pids, 2), 2);
    len = (size_t)snprintf(want, sizeof(want), "%s%c%s%c--msg%c", PYTHON, '\0', EXAMPLE, '\0',
                           '\0');
    for (int i = 0; i < 2; i++) {
        FILE *f;

        assert_int_equal(pf_h_wait_named(pids[i], "python3", PYTHON, PF_H_WAIT_MS), 0);
        snprintf(line, sizeof(line), "/proc/%ld/cmdline", (long)pids[i]);
        f = fopen(line, "r");
        assert_non_null(f);
        assert_int_equal(fread(line, 1, sizeof(line), f), len);
        fclose(f);
        assert_memory_equal(line, want, len);
    }
}

/* The command line's program form, no configuration file: `preforkd -w 2
 * -l ADDR -u USER -- PROGRAM ARGS` serves from 2 workers (the program's
 * own options after it are its own), and ps shows it so; SIGHUP replaces
 * the workers with a new generation (there is no file to read); it passes
 * the environment on; SIGUSR2 is refused with the reason. */
PF_H_TEST(test_exec_command_line)
{
    const char *args[] = {"-w", "2",    "-l",    "127.0.0.1:0", "-u", "root",
                          "--", PYTHON, EXAMPLE, "--msg",       NULL};
    pid_t before[2], after[2];
    int fd;

    if (geteuid() != 0)
        args[4] = "-f", args[5] = "-f"; /* no -u needed: stay in the foreground twice */
    if (access(PYTHON, X_OK) != 0)
        pf_h_skip_because(s, PYTHON " is not installed");
    assert_int_equal(pf_h_start_args(s, args), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    expect_program_form_titles(s, args);
    assert_int_equal(pf_h_worker_pids(s, before, 2), 2);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_msg_roundtrip(fd, "framed", 6), 0); /* --msg reached the program */
    close(fd);
    assert_int_equal(pf_h_signal(s, SIGHUP), 0);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 2 is serving", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_log_count(s, "no configuration file to read"), 1);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_worker_pids(s, after, 2), 2);
    assert_true(after[0] != before[0] && after[0] != before[1]);
    assert_true(after[1] != before[0] && after[1] != before[1]);
    assert_int_equal(pf_h_signal(s, SIGUSR2), 0);
    assert_int_equal(pf_h_wait_log(s, "started without a configuration file", PF_H_WAIT_MS), 0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_msg_roundtrip(fd, "still", 5), 0);
    close(fd);
}

/* workers.max_memory: a program whose private memory grows past the
 * limit is recycled, new one first (its successor is started, and only
 * once that one is ready is the old one told to stop), logged with the
 * figure; one that stays under it is not. */
PF_H_TEST(test_exec_max_memory)
{
    static const char grows[] =
        "import os, socket, time\n"
        "keep = []\n"
        "if os.environ['PREFORKD_SLOT'] == '0' and not os.path.exists('grew'):\n"
        "    open('grew', 'w').close()  # its successor stays small\n"
        "    for i in range(12):\n"
        "        keep.append(bytearray(8 << 20))  # written: private\n"
        "elif os.path.exists('grew'):\n"
        "    time.sleep(0.5)  # the successor takes its time to be ready\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "s.connect('\\0' + os.environ['NOTIFY_SOCKET'][1:])\n"
        "s.send(b'READY=1')\n"
        "time.sleep(60)\n";
    struct pf_h_config c;
    char extra[8600];
    pid_t first[2], then[2];

    if (access(PYTHON, X_OK) != 0)
        pf_h_skip_because(s, PYTHON " is not installed");
    assert_int_equal(pf_h_write_file(s, "grows.py", grows, NULL), 0);
    exec_defaults(&c, 2);
    c.workers_extra = "max_memory = 48;";
    snprintf(extra, sizeof(extra),
             "exec = { command = [\"" PYTHON "\", \"%s/grows.py\"]; directory = \"%s\"; "
             "ready = \"notify\"; };\n",
             s->dir, s->dir);
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    assert_int_equal(pf_h_worker_pids(s, first, 2), 2);
    assert_int_equal(pf_h_wait_log(s, "is above workers.max_memory (48 MiB)", PF_H_WAIT_MS), 0);
    {
        char word[32], ended[96], *log;
        pid_t grew;

        assert_int_equal(pf_h_log_word_after(s, "recycling worker ", false, word, sizeof(word)), 0);
        grew = (pid_t)atol(word); /* "123:" */
        assert_true(grew == first[0] || grew == first[1]);
        snprintf(ended, sizeof(ended), "worker %ld killed by signal 15", (long)grew);
        assert_int_equal(pf_h_wait_log(s, ended, PF_H_WAIT_MS), 0); /* reaped */
        assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0);
        /* slot 0 grew: recycled (its successor does not grow); slot 1 stays */
        assert_int_equal(pf_h_worker_pids(s, then, 2), 2);
        assert_true(then[0] == first[1] || then[1] == first[1]);
        assert_int_equal(pf_h_log_count(s, "recycling worker "), 1);
        /* new one first: it was told to go only once its successor (slot
         * 2, which waits half a second) had said READY=1 */
        log = pf_h_log_read(s);
        assert_non_null(log);
        {
            const char *recycled = strstr(log, "recycling worker "), *end = strstr(log, ended);
            const char *ready = recycled ? strstr(recycled, " ready (READY=1) after") : NULL;

            if (!recycled || !end || !ready || ready > end)
                fail_msg("the successor was not ready before worker %ld ended:\n%s", (long)grew,
                         recycled ? recycled : log);
        }
        free(log);
    }
}

/* A pool of Debian's php-cgi on fd 0 (FastCGI) from examples/php, asked
 * by a real FastCGI client (cgi-fcgi from libfcgi-bin): the script's
 * output and headers come back, from several requests. */
PF_H_TEST(test_exec_php_cgi)
{
    struct pf_h_config c;
    char connect[64], script[] = "SCRIPT_FILENAME=" PF_TEST_SOURCE_DIR "/examples/php/hello.php";

    if (access("/usr/bin/php-cgi", X_OK) != 0 || !pf_h_have_program("cgi-fcgi"))
        pf_h_skip_because(s, "php-cgi or cgi-fcgi is not installed");
    exec_defaults(&c, 2);
    c.extra = "exec = { command = [\"/usr/bin/php-cgi\"]; listen_fd = 0; "
              "env = [\"PHP_FCGI_CHILDREN=0\", \"PHP_FCGI_MAX_REQUESTS=1000\"]; };\n";
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    snprintf(connect, sizeof(connect), "127.0.0.1:%u", s->port);
    for (int i = 0; i < 4; i++) {
        char *const argv[] = {"env",      script,  "REQUEST_METHOD=GET", "REDIRECT_STATUS=200",
                              "cgi-fcgi", "-bind", "-connect",           connect,
                              NULL};
        struct pf_h_output o;

        assert_int_equal(pf_h_run_cmd(s, &o, argv), 0);
        if (!pf_h_exited_with(o.status, 0) || !strstr(o.out, "hello from php ") ||
            !strstr(o.out, "X-Preforkd-Slot: "))
            fail_msg("cgi-fcgi: status %#x\nstdout: %s\nstderr: %s", (unsigned)o.status, o.out,
                     o.err);
        pf_h_output_free(&o);
    }
}

/* A reload to a broken program (it exits at once, before READY=1): its
 * workers fail to start, the reload is rolled back: `preforkctl reload`
 * says so with the program's last line and exits 1, so do the log and
 * status, and the old generation serves throughout; then a new
 * generation of the previous program. */
PF_H_TEST(test_exec_reload_rolled_back)
{
    struct pf_h_config c;
    struct pf_h_output o;
    char body[8192];
    json_t *j;

    start_exec_ctl(s, 2, "\"" PYTHON "\", \"" EXAMPLE "\"", "ready = \"notify\";", true);
    assert_int_equal(pf_h_wait_log(s, "ready: 2 workers accepting", PF_H_WAIT_MS), 0);
    exec_defaults(&c, 2);
    c.extra = "exec = { command = [\"/bin/sh\", \"-c\", \"echo cannot load app.py >&2; exit 3\"]; "
              "ready = \"notify\"; };\n" PF_H_CTL_CONFIG;
    assert_int_equal(pf_h_config_format(&c, body, sizeof(body)), 0);
    assert_int_equal(pf_h_write_file(s, "preforkd.conf", body, NULL), 0);
    assert_int_equal(pf_h_ctl_run(s, &o, false, "reload", NULL), 0);
    if (!pf_h_exited_with(o.status, 1) ||
        !strstr(o.out, "configuration reloaded: generation 2\nchanged: exec.command\n") ||
        !strstr(o.out, "reload rolled back: 2 of generation 2's workers failed to start and none "
                       "became ready (last: ") ||
        !strstr(o.out, "last output: cannot load app.py); generation 3 runs the previous "
                       "configuration\n") ||
        !strstr(o.err, "the reload to generation 2 was rolled back"))
        fail_msg("preforkctl reload: status %#x\nstdout: %s\nstderr: %s", (unsigned)o.status, o.out,
                 o.err);
    pf_h_output_free(&o);
    assert_int_equal(pf_h_wait_log(s, "reload to generation 2 rolled back", PF_H_WAIT_MS), 0);
    j = pf_h_ctl_json(s, "status", NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "last_reload"),
                                                          "state")),
                        "rolled_back");
    assert_int_equal(pf_h_json_int(j, "last_reload", "serving_generation"), 3);
    assert_int_equal(pf_h_json_int(j, "totals", "reload_rollbacks"), 1);
    json_decref(j);
    for (int i = 0; i < 4; i++) { /* the old generation serves */
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "still served\n"), 0);
        close(fd);
    }
    assert_int_equal(pf_h_log_count(s, "last output: cannot load app.py"), 1);
    assert_int_equal(pf_h_log_count(s, "generation 3 runs the previous configuration"), 1);
    assert_int_equal(pf_h_wait_log(s, "reload: generation 3 is serving", PF_H_WAIT_MS), 0);
    {
        int fd = pf_h_connect(s);

        assert_true(fd >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd, "generation 3\n"), 0);
        close(fd);
    }
}

/* The workers serving a client now, from `preforkctl --json workers`:
 * how many, and whether one of them shows client (NULL: any). -1 on a
 * failed request. */
static int serving_workers(struct pf_server *s, const char *client, bool *seen)
{
    json_t *j = pf_h_ctl_json(s, "workers", NULL), *w;
    size_t i;
    int n = 0;

    if (j == NULL)
        return -1;
    json_array_foreach(json_object_get(j, "workers"), i, w)
    {
        const char *state = json_string_value(json_object_get(w, "state"));
        const char *peer = json_string_value(json_object_get(w, "client"));

        if (state == NULL || strcmp(state, "serving") != 0)
            continue;
        n++;
        if (client && peer && strcmp(peer, client) == 0)
            *seen = true;
    }
    json_decref(j);
    return n;
}

/* A dynamic pool of programs: preforkd sees which worker holds a client
 * (the kernel's socket table and each worker's descriptors), so two
 * clients held make two workers "serving", with their addresses, and
 * the pool grows to keep a spare one; once they leave it shrinks back,
 * the retired programs ending gracefully. */
PF_H_TEST(test_exec_dynamic)
{
    struct pf_h_config c;
    char extra[2048], me[2][64];
    int fd[2], n = 0;
    bool seen[2] = {false, false};
    int64_t deadline;

    if (access(PYTHON, X_OK) != 0)
        pf_h_skip_because(s, PYTHON " is not installed");
    exec_defaults(&c, 1);
    c.workers_max = 4;
    c.workers_extra = "mode = \"dynamic\"; min_spare = 1; max_spare = 1;";
    snprintf(extra, sizeof(extra),
             "exec = { command = [\"" PYTHON "\", \"" EXAMPLE "\"]; ready = \"notify\"; };\n%s",
             PF_H_CTL_CONFIG);
    c.extra = extra;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
    for (int i = 0; i < 2; i++) {
        struct sockaddr_storage a;
        socklen_t len = sizeof(a);

        fd[i] = pf_h_connect(s);
        assert_true(fd[i] >= 0);
        assert_int_equal(pf_h_echo_roundtrip(fd[i], "held\n"), 0); /* a worker took it */
        assert_int_equal(getsockname(fd[i], (struct sockaddr *)&a, &len), 0);
        pf_addr_format((struct sockaddr *)&a, me[i], sizeof(me[i]));
    }
    deadline = pf_time_now_ms() + pf_h_scaled_ms(15000);
    while (pf_time_now_ms() < deadline) {
        seen[0] = seen[1] = false;
        n = serving_workers(s, me[0], &seen[0]);
        if (n == 2 && serving_workers(s, me[1], &seen[1]) == 2 && seen[0] && seen[1] &&
            pf_h_ctl_status_int(s, "workers.idle") >= 1)
            break;
        usleep(100 * 1000); /* the master looks once a second */
    }
    if (!seen[0] || !seen[1] || pf_h_ctl_status_int(s, "workers.idle") < 1)
        fail_msg("serving %d, clients seen %d %d, idle %lld", n, seen[0], seen[1],
                 pf_h_ctl_status_int(s, "workers.idle"));
    assert_int_equal(pf_h_ctl_status_int(s, "workers.serving"), 2);
    assert_int_equal(pf_h_ctl_status_int(s, "workers.busy"), 2);
    assert_true(pf_h_log_count(s, "pool growing from") >= 1);
    for (int i = 0; i < 2; i++) { /* still served by the same programs */
        assert_int_equal(pf_h_echo_roundtrip(fd[i], "still held\n"), 0);
        close(fd[i]);
    }
    assert_int_equal(pf_h_wait_log(s, "pool shrinking from", PF_H_WAIT_MS), 0);
    assert_int_equal(pf_h_wait_workers(s, 2, PF_H_WAIT_MS), 0); /* max_spare 1, and 1 */
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

static const struct CMUnitTest tests[] = {
    PF_H_CASE(test_exec_echo),
    PF_H_CASE(test_exec_msg),
    PF_H_CASE(test_exec_killed_replaced_and_stopped),
    PF_H_CASE(test_exec_hygiene),
    PF_H_CASE(test_exec_exits_at_once),
    PF_H_CASE(test_exec_exits_at_once_notify),
    PF_H_CASE(test_exec_notify_ready),
    PF_H_CASE(test_exec_never_ready),
    PF_H_CASE(test_exec_watchdog),
    PF_H_CASE(test_exec_output),
    PF_H_CASE(test_exec_output_flood),
    PF_H_CASE(test_exec_c_example),
    PF_H_CASE(test_exec_command_line),
    PF_H_CASE(test_exec_max_memory),
    PF_H_CASE(test_exec_php_cgi),
    PF_H_CASE(test_exec_reload_rolled_back),
    PF_H_CASE(test_exec_dynamic),
    PF_H_CASE(test_exec_crash_loop_after_start),
    PF_H_CASE(test_exec_daemon_waits_for_ready),
    PF_H_CASE(test_exec_scale_and_stop_signal),
};

int main(void)
{
    return cmocka_run_group_tests(tests, NULL, NULL);
}
