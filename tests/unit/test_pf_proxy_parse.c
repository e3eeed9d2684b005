/* Unit tests for pf_proxy_parse: PROXY v1 and v2 headers from a table
 * (what each says, or why it is refused), every header cut at each
 * length (more bytes needed, never an error before its end), and the
 * protocol's bytes after a header left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pf_addr.h"
#include "pf_err.h"
#include "pf_proxy_parse.h"

#define SIG "\r\n\r\n\0\r\nQUIT\n"
/* v2 over TCP/IPv4: 192.0.2.7:4321 -> 198.51.100.1:80 */
#define V2_ADDR4 "\xc0\x00\x02\x07\xc6\x33\x64\x01\x10\xe1\x00\x50"
/* v2 over TCP/IPv6: 2001:db8::7 port 4321 -> 2001:db8::1 port 443 */
#define V2_ADDR6 \
    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07" \
    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
    "\x10\xe1\x01\xbb"
#define LIT(s) s, sizeof(s) - 1

static const struct {
    const char *name;
    const char *bytes;
    size_t len;
    enum pf_proxy_parse_result want;
    size_t header_len;  /* DONE */
    const char *client; /* DONE: "" when local, else host:port */
    const char *err;    /* ERROR: the reason */
} cases[] = {
    /* v1 */
    {"v1 tcp4", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\r\n"), PF_PROXY_DONE, 43,
     "192.0.2.7:4321", NULL},
    {"v1 tcp4 then a request",
     LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\r\nGET / HTTP/1.1\r\n"), PF_PROXY_DONE, 43,
     "192.0.2.7:4321", NULL},
    {"v1 tcp6", LIT("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n"), PF_PROXY_DONE, 44,
     "[2001:db8::7]:65535", NULL},
    {"v1 unknown", LIT("PROXY UNKNOWN\r\n"), PF_PROXY_DONE, 15, "", NULL},
    {"v1 unknown with fields", LIT("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n"), PF_PROXY_DONE, 39,
     "", NULL},
    {"v1 cut", LIT("PROXY TCP4 192.0.2.7 198.51"), PF_PROXY_MORE, 0, NULL, NULL},
    {"v1 no CR", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: the line must end with CRLF"},
    {"v1 lowercase", LIT("proxy TCP4 192.0.2.7 198.51.100.1 4321 80\r\n"), PF_PROXY_ERROR, 0, NULL,
     "not a PROXY header"},
    {"v1 tcp5", LIT("PROXY TCP5 192.0.2.7 198.51.100.1 4321 80\r\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: protocol must be TCP4, TCP6 or UNKNOWN"},
    {"v1 family mismatch", LIT("PROXY TCP4 2001:db8::7 2001:db8::1 4321 80\r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: not an IPv4 address"},
    {"v1 tcp6 with v4", LIT("PROXY TCP6 192.0.2.7 198.51.100.1 4321 80\r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: not an IPv6 address"},
    {"v1 bad address", LIT("PROXY TCP4 192.0.2 198.51.100.1 4321 80\r\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: not an IPv4 address"},
    {"v1 port too big", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 65536 80\r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: a port must be a number from 0 to 65535"},
    {"v1 port leading zero", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 0080 80\r\n"), PF_PROXY_ERROR,
     0, NULL, "PROXY v1: a port must be a number from 0 to 65535"},
    {"v1 port sign", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 +80 80\r\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: a port must be a number from 0 to 65535"},
    {"v1 four fields", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321\r\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: fewer than 5 fields"},
    {"v1 double space", LIT("PROXY TCP4  192.0.2.7 198.51.100.1 4321 80\r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: fewer than 5 fields"},
    {"v1 six fields", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80 9\r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: more than 5 fields"},
    {"v1 trailing space", LIT("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80 \r\n"), PF_PROXY_ERROR, 0,
     NULL, "PROXY v1: more than 5 fields"},
    {"v1 empty", LIT("PROXY \r\n"), PF_PROXY_ERROR, 0, NULL, "PROXY v1: no protocol"},
    {"v1 control byte", LIT("PROXY UNKNOWN\t\r\n"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v1: a byte that is not printable"},
    {"v1 oversize",
     LIT("PROXY UNKNOWN 0123456789012345678901234567890123456789012345678901234567890123456789"
         "0123456789012345678901234567"),
     PF_PROXY_ERROR, 0, NULL, "PROXY v1: no CRLF within 107 bytes"},
    /* not a header at all: a client that did not send one */
    {"http request", LIT("GET / HTTP/1.1\r\n"), PF_PROXY_ERROR, 0, NULL, "not a PROXY header"},
    {"one bad byte", LIT("X"), PF_PROXY_ERROR, 0, NULL, "not a PROXY header"},
    {"nothing yet", "", 0, PF_PROXY_MORE, 0, NULL, NULL},
    /* v2 */
    {"v2 proxy tcp4", LIT(SIG "\x21\x11\x00\x0c" V2_ADDR4), PF_PROXY_DONE, 28, "192.0.2.7:4321",
     NULL},
    {"v2 proxy tcp4 then bytes", LIT(SIG "\x21\x11\x00\x0c" V2_ADDR4 "hello\n"), PF_PROXY_DONE, 28,
     "192.0.2.7:4321", NULL},
    {"v2 proxy tcp6", LIT(SIG "\x21\x21\x00\x24" V2_ADDR6), PF_PROXY_DONE, 52, "[2001:db8::7]:4321",
     NULL},
    {"v2 tlvs skipped",
     LIT(SIG "\x21\x11\x00\x17" V2_ADDR4 "\x04\x00\x01\x00\x20\x00\x04"
             "abcd"),
     PF_PROXY_DONE, 39, "192.0.2.7:4321", NULL},
    {"v2 local", LIT(SIG "\x20\x00\x00\x00"), PF_PROXY_DONE, 16, "", NULL},
    {"v2 local with addresses", LIT(SIG "\x20\x11\x00\x0c" V2_ADDR4), PF_PROXY_DONE, 28, "", NULL},
    {"v2 unspec", LIT(SIG "\x21\x00\x00\x00"), PF_PROXY_DONE, 16, "", NULL},
    {"v2 udp4", LIT(SIG "\x21\x12\x00\x0c" V2_ADDR4), PF_PROXY_DONE, 28, "", NULL},
    {"v2 unix", LIT(SIG "\x21\x31\x00\x00"), PF_PROXY_DONE, 16, "", NULL},
    {"v2 cut in the addresses", LIT(SIG "\x21\x11\x00\x0c\xc0\x00\x02"), PF_PROXY_MORE, 0, NULL,
     NULL},
    {"v2 cut in the signature", LIT("\r\n\r\n\0\r"), PF_PROXY_MORE, 0, NULL, NULL},
    {"v2 tcp4 block short",
     LIT(SIG "\x21\x11\x00\x08"
             "\xc0\x00\x02\x07\xc6\x33\x64\x01"),
     PF_PROXY_ERROR, 0, NULL, "PROXY v2: IPv4 address block shorter than 12 bytes"},
    {"v2 tcp6 block short", LIT(SIG "\x21\x21\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: IPv6 address block shorter than 36 bytes"},
    {"v2 version 1", LIT(SIG "\x11\x11\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: version must be 2"},
    {"v2 command 2", LIT(SIG "\x22\x11\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: command must be LOCAL or PROXY"},
    {"v2 family 4", LIT(SIG "\x21\x41\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: unknown address family or transport"},
    {"v2 transport 3", LIT(SIG "\x21\x13\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: unknown address family or transport"},
    {"v2 oversize", LIT(SIG "\x21\x11\x0f\xf1"), PF_PROXY_ERROR, 0, NULL,
     "PROXY v2: header longer than 4096 bytes"},
    {"v2 bad signature", LIT("\r\n\r\n\0\r\nQUIT\r\x21\x11\x00\x0c" V2_ADDR4), PF_PROXY_ERROR, 0,
     NULL, "not a PROXY header"},
    {"v2 signature then http", LIT("\r\nGET"), PF_PROXY_ERROR, 0, NULL, "not a PROXY header"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        struct pf_proxy_header h;
        char err[PF_ERR_MAX] = "", client[PF_ADDR_STRLEN] = "";
        enum pf_proxy_parse_result r = pf_proxy_parse((const uint8_t *)cases[i].bytes, cases[i].len,
                                                      &h, err, sizeof(err));

        if (r != cases[i].want)
            fail_msg("%s: result %d, want %d (%s)", cases[i].name, r, cases[i].want, err);
        if (r == PF_PROXY_ERROR && strcmp(err, cases[i].err) != 0)
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].name, err, cases[i].err);
        if (r != PF_PROXY_DONE)
            continue;
        if (!h.local)
            pf_addr_format((struct sockaddr *)&h.src, client, sizeof(client));
        if (h.len != cases[i].header_len || strcmp(client, cases[i].client) != 0)
            fail_msg("%s: %zu bytes, client \"%s\"; want %zu, \"%s\"", cases[i].name, h.len, client,
                     cases[i].header_len, cases[i].client);
        assert_int_equal(h.version, cases[i].bytes[0] == 'P' ? 1 : 2);
        assert_int_equal(h.local, h.src_len == 0);
    }
}

/* A header whole at N bytes is MORE at every length before N (a sender
 * that cuts it anywhere is waited for), then the same answer after. */
static void test_every_cut(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        if (cases[i].want != PF_PROXY_DONE)
            continue;
        for (size_t n = 0; n < cases[i].header_len; n++) {
            struct pf_proxy_header h;
            char err[PF_ERR_MAX] = "";

            if (pf_proxy_parse((const uint8_t *)cases[i].bytes, n, &h, err, sizeof(err)) !=
                PF_PROXY_MORE)
                fail_msg("%s: cut at %zu: not MORE (%s)", cases[i].name, n, err);
        }
    }
}

/* The largest v2 header taken: 4096 bytes in all, TLVs to its end. */
static void test_v2_largest(void **state)
{
    static uint8_t buf[PF_PROXY_HEADER_MAX + 1];
    struct pf_proxy_header h;
    char err[PF_ERR_MAX] = "";
    size_t body = PF_PROXY_HEADER_MAX - PF_PROXY_V2_HEAD;

    (void)state;
    memcpy(buf, SIG "\x21\x11", 14);
    buf[14] = (uint8_t)(body >> 8);
    buf[15] = (uint8_t)body;
    memcpy(buf + 16, V2_ADDR4, 12);
    assert_int_equal(pf_proxy_parse(buf, PF_PROXY_HEADER_MAX - 1, &h, err, sizeof(err)),
                     PF_PROXY_MORE);
    assert_int_equal(pf_proxy_parse(buf, sizeof(buf), &h, err, sizeof(err)), PF_PROXY_DONE);
    assert_int_equal(h.len, PF_PROXY_HEADER_MAX);
    buf[15] = (uint8_t)(body + 1);
    assert_int_equal(pf_proxy_parse(buf, sizeof(buf), &h, err, sizeof(err)), PF_PROXY_ERROR);
}

/* The v1 limit: a line of exactly 107 bytes is taken, 108 refused. */
static void test_v1_longest(void **state)
{
    char line[PF_PROXY_V1_MAX + 2];
    struct pf_proxy_header h;
    char err[PF_ERR_MAX] = "";

    (void)state;
    memset(line, 'x', sizeof(line));
    memcpy(line, "PROXY UNKNOWN ", 14);
    memcpy(line + PF_PROXY_V1_MAX - 2, "\r\n", 2);
    assert_int_equal(pf_proxy_parse((uint8_t *)line, PF_PROXY_V1_MAX, &h, err, sizeof(err)),
                     PF_PROXY_DONE);
    assert_int_equal(h.len, PF_PROXY_V1_MAX);
    memcpy(line + PF_PROXY_V1_MAX - 2, "x\r\n", 3);
    assert_int_equal(pf_proxy_parse((uint8_t *)line, PF_PROXY_V1_MAX + 1, &h, err, sizeof(err)),
                     PF_PROXY_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_v2_largest),
        cmocka_unit_test(test_v1_longest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
