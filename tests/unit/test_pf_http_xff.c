/* Unit tests for pf_http_xff: the client a request names in
 * X-Forwarded-For, from a table of peers and header lines, with
 * 127.0.0.1, 10.0.0.0/8 and ::1 trusted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_addr.h"
#include "pf_cidr.h"
#include "pf_err.h"
#include "pf_http_xff.h"

#define MAXL 3

static const struct {
    const char *name;
    const char *peer;
    const char *lines[MAXL]; /* NULL-ended */
    const char *client;      /* "" : the peer is the client */
} cases[] = {
    {"untrusted peer: header ignored", "203.0.113.9", {"198.51.100.1"}, ""},
    {"untrusted v6 peer", "2001:db8::9", {"198.51.100.1"}, ""},
    {"no header", "127.0.0.1", {NULL}, ""},
    {"one hop", "127.0.0.1", {"198.51.100.1"}, "198.51.100.1:0"},
    {"client forged on the left", "127.0.0.1", {"6.6.6.6, 198.51.100.1"}, "198.51.100.1:0"},
    {"trusted hops skipped",
     "127.0.0.1",
     {"6.6.6.6, 198.51.100.1, 10.0.0.2, 10.1.1.1"},
     "198.51.100.1:0"},
    {"every entry trusted: the leftmost", "127.0.0.1", {"10.0.0.5, 10.0.0.2"}, "10.0.0.5:0"},
    {"lines read last first",
     "10.9.9.9",
     {"6.6.6.6", "198.51.100.1", "10.0.0.2"},
     "198.51.100.1:0"},
    {"lines, trusted to the first", "10.9.9.9", {"10.0.0.7", "10.0.0.2"}, "10.0.0.7:0"},
    {"blanks and tabs", "127.0.0.1", {"6.6.6.6 ,\t198.51.100.1\t"}, "198.51.100.1:0"},
    {"with a port", "127.0.0.1", {"198.51.100.1:4711"}, "198.51.100.1:4711"},
    {"v6 entry", "::1", {"2001:db8::7"}, "[2001:db8::7]:0"},
    {"v6 in brackets with a port", "::1", {"[2001:db8::7]:443"}, "[2001:db8::7]:443"},
    {"v6 in brackets", "::1", {"[2001:db8::7]"}, "[2001:db8::7]:0"},
    {"v4-mapped peer trusted", "::ffff:127.0.0.1", {"198.51.100.1"}, "198.51.100.1:0"},
    {"garbage stops at the peer", "127.0.0.1", {"6.6.6.6, unknown"}, ""},
    {"garbage after a trusted hop", "127.0.0.1", {"unknown, 10.0.0.2"}, "10.0.0.2:0"},
    {"empty entry stops", "127.0.0.1", {"198.51.100.1,,10.0.0.2"}, "10.0.0.2:0"},
    {"empty value", "127.0.0.1", {""}, ""},
    {"trailing comma", "127.0.0.1", {"198.51.100.1,"}, ""},
    {"port too big", "127.0.0.1", {"198.51.100.1:65536"}, ""},
    {"port not digits", "127.0.0.1", {"198.51.100.1:x"}, ""},
    {"bracket not closed", "127.0.0.1", {"[2001:db8::7"}, ""},
    {"after the bracket", "127.0.0.1", {"[2001:db8::7]x"}, ""},
    {"a name", "127.0.0.1", {"client.example"}, ""},
    {"obfuscated", "127.0.0.1", {"_hidden"}, ""},
};

static void test_table(void **state)
{
    static const char *const trusted[] = {"127.0.0.1", "10.0.0.0/8", "::1"};
    struct pf_cidr nets[3];
    char err[PF_ERR_MAX];

    (void)state;
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(pf_cidr_parse(trusted[i], &nets[i], err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[512], got[PF_ADDR_STRLEN] = "";
        struct pf_http_slice lines[MAXL];
        struct sockaddr_storage peer, out;
        socklen_t peer_len, out_len;
        size_t used = 0;
        unsigned n = 0;

        assert_int_equal(pf_cidr_addr(cases[i].peer, strlen(cases[i].peer), &peer, &peer_len), 0);
        for (; n < MAXL && cases[i].lines[n]; n++) {
            size_t len = strlen(cases[i].lines[n]);

            buf[used++] = '#'; /* the slices point into a larger buffer */
            memcpy(buf + used, cases[i].lines[n], len);
            lines[n] = (struct pf_http_slice){(uint32_t)used, (uint32_t)len};
            used += len;
        }
        if (pf_http_xff_client(buf, lines, n, nets, 3, (struct sockaddr *)&peer, &out, &out_len))
            pf_addr_format((struct sockaddr *)&out, got, sizeof(got));
        if (strcmp(got, cases[i].client) != 0)
            fail_msg("%s: client \"%s\", want \"%s\"", cases[i].name, got, cases[i].client);
    }
}

/* Nothing trusted: the peer is always the client. */
static void test_none_trusted(void **state)
{
    static const char v[] = "198.51.100.1";
    struct pf_http_slice line = {0, sizeof(v) - 1};
    struct sockaddr_storage peer, out;
    socklen_t len;

    (void)state;
    assert_int_equal(pf_cidr_addr("127.0.0.1", 9, &peer, &len), 0);
    assert_false(pf_http_xff_client(v, &line, 1, NULL, 0, (struct sockaddr *)&peer, &out, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_none_trusted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
