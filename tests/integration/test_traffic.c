/* Integration: echo and msg traffic, concurrent clients, pipelining and
 * messages trickled one byte at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_harness.h"

#define WORKERS 3
#define CLIENTS 24 /* more clients than workers: some wait in the queue */
#define EXCHANGES 20
#define MAX_MESSAGE 262144u

/* Payload sizes every msg client cycles through: the edges and a few in
 * between, up to exactly msg.max_message. */
static const uint32_t msg_sizes[] = {0, 1, 1000, 65536, MAX_MESSAGE};
#define MSG_SIZES (sizeof(msg_sizes) / sizeof(msg_sizes[0]))

/* Start a server for protocol with WORKERS workers and wait for them. */
static void start_server(struct pf_server *s, const char *protocol)
{
    struct pf_h_config c;

    pf_h_config_defaults(&c);
    c.protocol = protocol;
    c.workers_start = WORKERS;
    c.max_message = MAX_MESSAGE;
    assert_int_equal(pf_h_start_pool(s, &c), 0);
}

/* After the traffic: every worker started is still there, none died. */
static void assert_pool_unharmed(struct pf_server *s, const pid_t *before)
{
    pid_t after[WORKERS];

    assert_int_equal(pf_h_worker_pids(s, after, WORKERS), WORKERS);
    assert_memory_equal(before, after, sizeof(after));
    assert_int_equal(pf_h_log_abnormal_exits(s), 0);
}

/* A line unique to (client, exchange), of a length that varies with both,
 * printable, '\n'-terminated. */
static void make_line(char *buf, size_t size, int client, int exchange)
{
    int n = snprintf(buf, size, "client %d exchange %d ", client, exchange);
    size_t fill = (size_t)(client * 37 + exchange * 101) % 2000;

    pf_h_fill(buf + n, fill, (unsigned)(client * 1000 + exchange));
    for (size_t i = 0; i < fill; i++)
        buf[(size_t)n + i] = (char)('a' + (unsigned char)buf[(size_t)n + i] % 26);
    buf[(size_t)n + fill] = '\n';
    buf[(size_t)n + fill + 1] = '\0';
}

/* One echo client: its own connection, EXCHANGES distinct lines. */
static int echo_client(int index, void *arg)
{
    const struct pf_server *s = arg;
    char line[2100];
    int fd = pf_h_connect(s), rc = fd < 0 ? -1 : 0;

    for (int j = 0; rc == 0 && j < EXCHANGES; j++) {
        make_line(line, sizeof(line), index, j);
        rc = pf_h_echo_roundtrip(fd, line);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* One msg client: its own connection, EXCHANGES distinct payloads whose
 * sizes cycle through msg_sizes. */
static int msg_client(int index, void *arg)
{
    const struct pf_server *s = arg;
    unsigned char *payload = malloc(MAX_MESSAGE);
    int fd = pf_h_connect(s), rc = fd < 0 || payload == NULL ? -1 : 0;

    for (int j = 0; rc == 0 && j < EXCHANGES; j++) {
        uint32_t len = msg_sizes[(size_t)(index + j) % MSG_SIZES];
        pf_h_fill(payload, len, (unsigned)(index * 1000 + j));
        rc = pf_h_msg_roundtrip(fd, payload, len);
    }
    if (fd >= 0)
        close(fd);
    free(payload);
    return rc;
}

/* CLIENTS clients at once through client_fn, against WORKERS workers. */
static void concurrent(struct pf_server *s, const char *protocol,
                       int (*client_fn)(int index, void *arg))
{
    pid_t before[WORKERS];

    start_server(s, protocol);
    assert_int_equal(pf_h_worker_pids(s, before, WORKERS), WORKERS);
    assert_int_equal(pf_h_run_clients(CLIENTS, client_fn, s), 0);
    assert_pool_unharmed(s, before);
}

PF_H_TEST(test_echo_concurrent_clients)
{
    concurrent(s, "echo", echo_client);
}

PF_H_TEST(test_msg_concurrent_clients)
{
    concurrent(s, "msg", msg_client);
}

/* Several lines in one send(): every one answered, in order. */
PF_H_TEST(test_echo_pipelined)
{
    char batch[16384] = "", line[2100];
    int fd;

    start_server(s, "echo");
    for (int j = 0; j < 8; j++) {
        make_line(line, sizeof(line), 99, j);
        strcat(batch, line);
    }
    strcat(batch, "\n"); /* an empty line is a line too */
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    assert_int_equal(pf_h_roundtrip(fd, batch, strlen(batch)), 0);
    assert_int_equal(pf_h_exchange(s, fd, "after the batch"), 0);
    close(fd);
}

/* Pipelined frames whose total is far above the frame bound, each one
 * within it: the bound is per frame, not per receive. */
PF_H_TEST(test_pipelined_beyond_the_bound)
{
    struct pf_h_config c;
    char batch[20 * 40 + 1] = "";

    pf_h_config_defaults(&c);
    c.workers_start = 1;
    c.max_line = 64;
    assert_int_equal(pf_h_start_config(s, &c), 0);
    for (int j = 0; j < 20; j++)
        snprintf(batch + j * 40, 41, "%02d-------------------------------------\n", j);
    assert_int_equal(pf_h_roundtrip_once(s, batch, strlen(batch)), 0);
}

/* Lines are bytes: NUL, CR, 0xFF and friends come back unchanged. */
PF_H_TEST(test_echo_binary_line)
{
    static const char line[] = "a\0b\r\xff\x01 \t\r\n";

    start_server(s, "echo");
    assert_int_equal(pf_h_roundtrip_once(s, line, sizeof(line) - 1), 0);
}

/* Several msg frames (an empty one among them) in one send(). */
PF_H_TEST(test_msg_pipelined)
{
    unsigned char batch[8 * (4 + 1000)], *frame;
    size_t used = 0, len;

    start_server(s, "msg");
    for (uint32_t j = 0; j < 8; j++) {
        unsigned char payload[1000];
        uint32_t plen = (j * 333) % 1000;
        pf_h_fill(payload, plen, j);
        assert_int_equal(pf_h_msg_frame(payload, plen, &frame, &len), 0);
        memcpy(batch + used, frame, len);
        used += len;
        free(frame);
    }
    assert_int_equal(pf_h_roundtrip_once(s, batch, used), 0);
}

/* Send buf one byte per send(), then expect it back whole. */
static void trickle_roundtrip(int fd, const unsigned char *buf, size_t len)
{
    unsigned char *reply = malloc(len);

    assert_non_null(reply);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(pf_h_send(fd, buf + i, 1), 0);
    assert_int_equal(pf_h_recv(fd, reply, len), 0);
    assert_memory_equal(reply, buf, len);
    free(reply);
}

PF_H_TEST(test_msg_one_byte_at_a_time)
{
    unsigned char payload[300], *frame;
    size_t len;
    int fd;

    start_server(s, "msg");
    pf_h_fill(payload, sizeof(payload), 7);
    assert_int_equal(pf_h_msg_frame(payload, sizeof(payload), &frame, &len), 0);
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    trickle_roundtrip(fd, frame, len);
    free(frame);
    assert_int_equal(pf_h_exchange(s, fd, "next"), 0);
    close(fd);
}

PF_H_TEST(test_echo_one_byte_at_a_time)
{
    static const char line[] = "sent one byte at a time\n";
    int fd;

    start_server(s, "echo");
    fd = pf_h_connect(s);
    assert_true(fd >= 0);
    trickle_roundtrip(fd, (const unsigned char *)line, strlen(line));
    assert_int_equal(pf_h_exchange(s, fd, "next"), 0);
    close(fd);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        PF_H_CASE(test_echo_concurrent_clients), PF_H_CASE(test_msg_concurrent_clients),
        PF_H_CASE(test_echo_pipelined),          PF_H_CASE(test_msg_pipelined),
        PF_H_CASE(test_echo_binary_line),        PF_H_CASE(test_pipelined_beyond_the_bound),
        PF_H_CASE(test_msg_one_byte_at_a_time),  PF_H_CASE(test_echo_one_byte_at_a_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
