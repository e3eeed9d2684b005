/* Unit tests for pf_addr: parsing, formatting, loopback predicate. */
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

/* A text that must parse, with what it must parse to. */
struct valid_case {
    const char *text;
    int family;
    unsigned port;
    const char *formatted; /* pf_addr_format of the result */
};

static const struct valid_case valid_cases[] = {
    {"127.0.0.1:8080", AF_INET, 8080, "127.0.0.1:8080"},
    {"0.0.0.0:1", AF_INET, 1, "0.0.0.0:1"},
    {"255.255.255.255:65535", AF_INET, 65535, "255.255.255.255:65535"},
    {"10.1.2.3:0", AF_INET, 0, "10.1.2.3:0"},
    {"[::1]:8080", AF_INET6, 8080, "[::1]:8080"},
    {"[::]:443", AF_INET6, 443, "[::]:443"},
    {"[2001:db8::7]:53", AF_INET6, 53, "[2001:db8::7]:53"},
    {"[::ffff:127.0.0.1]:9", AF_INET6, 9, "[::ffff:127.0.0.1]:9"},
    {"*:8080", AF_INET, 8080, "0.0.0.0:8080"},
    {"localhost:8080", AF_INET, 8080, "127.0.0.1:8080"},
    {"LocalHost:81", AF_INET, 81, "127.0.0.1:81"},
    {"8080", AF_INET, 8080, "0.0.0.0:8080"},
    {"0", AF_INET, 0, "0.0.0.0:0"},
    {"127.0.0.1:00080", AF_INET, 80, "127.0.0.1:80"},
};

/* A text that must be refused, and a piece of the reason it must give. */
struct invalid_case {
    const char *text;
    const char *reason;
};

static const struct invalid_case invalid_cases[] = {
    {"", "empty"},
    {"127.0.0.1", "missing port"},
    {"127.0.0.1:", "missing port"},
    {"localhost", "missing port"},
    {"[::1]", "missing port"},
    {"[::1]:", "missing port"},
    {"*:", "missing port"},
    {"127.0.0.1:65536", "port out of range (0-65535)"},
    {"127.0.0.1:99999999999999999999", "port out of range (0-65535)"},
    {"70000", "port out of range (0-65535)"},
    {"127.0.0.1:+80", "invalid port"},
    {"127.0.0.1:-1", "invalid port"},
    {"127.0.0.1: 80", "invalid port"},
    {"127.0.0.1:80 ", "invalid port"},
    {"127.0.0.1:80x", "invalid port"},
    {"127.0.0.1:0x50", "invalid port"},
    {"+80", "invalid port"},
    {" 80", "invalid port"},
    {"8080x", "invalid port"},
    {"::1:80", "brackets"},
    {"::1", "brackets"},
    {"1.2.3.4:80:90", "brackets"},
    {"example.com:80", "host names are not resolved; use a numeric address or localhost"},
    {"my-host:80", "host names are not resolved"},
    {"localhost.localdomain:80", "host names are not resolved"},
    {"256.1.1.1:80", "invalid IPv4 address"},
    {"1.2.3:80", "invalid IPv4 address"},
    {" 127.0.0.1:80", "invalid IPv4 address"},
    {":80", "missing host"},
    {"[::1", "missing ']'"},
    {"[::1]80", "expected ':'"},
    {"[::1]x:80", "expected ':'"},
    {"[]:80", "missing IPv6 address"},
    {"[127.0.0.1]:80", "invalid IPv6 address"},
    {"[::g]:80", "invalid IPv6 address"},
    {"[fe80::1%eth0]:80", "scoped"},
};

/* Every valid text gives the expected family, port, length and text. */
static void test_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *c = &valid_cases[i];
        struct pf_addr a;
        char err[128] = "untouched";
        char buf[PF_ADDR_STRLEN];
        const struct sockaddr *sa = (const struct sockaddr *)&a.ss;

        print_message("valid: %s\n", c->text);
        assert_int_equal(pf_addr_parse(c->text, &a, err, sizeof(err)), 0);
        assert_int_equal(sa->sa_family, c->family);
        assert_int_equal(a.len, c->family == AF_INET ? sizeof(struct sockaddr_in)
                                                     : sizeof(struct sockaddr_in6));
        assert_int_equal(pf_addr_port(sa), c->port);
        assert_string_equal(pf_addr_format(sa, buf, sizeof(buf)), c->formatted);
        /* the address alone: the formatted text without its port and brackets */
        {
            const char *f = c->formatted;
            size_t n = (size_t)(strrchr(f, ':') - f);
            char ip[PF_ADDR_STRLEN], want[PF_ADDR_STRLEN];

            if (f[0] == '[')
                f++, n -= 2;
            snprintf(want, sizeof(want), "%.*s", (int)n, f);
            assert_string_equal(pf_addr_format_ip(sa, ip, sizeof(ip)), want);
        }
    }
}

/* Every invalid text fails with the expected reason, which does not repeat
 * the input (the caller prefixes it), and out is left untouched. */
static void test_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const struct invalid_case *c = &invalid_cases[i];
        struct pf_addr a;
        struct pf_addr before;
        char err[128] = "";

        print_message("invalid: '%s'\n", c->text);
        memset(&a, 0xA5, sizeof(a));
        before = a;
        assert_int_equal(pf_addr_parse(c->text, &a, err, sizeof(err)), -1);
        assert_non_null(strstr(err, c->reason));
        if (strlen(c->text) > 3)
            assert_null(strstr(err, c->text));
        assert_memory_equal(&a, &before, sizeof(a));
    }
}

/* NULL text is refused like an empty one. */
static void test_parse_null(void **state)
{
    struct pf_addr a;
    char err[64];

    (void)state;
    assert_int_equal(pf_addr_parse(NULL, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "empty address");
}

/* A short err buffer is truncated but NUL-terminated; errlen 0 and a NULL
 * err are tolerated. */
static void test_parse_err_buffer(void **state)
{
    struct pf_addr a;
    char err[8];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(pf_addr_parse("1.2.3.4:65536", &a, err, sizeof(err)), -1);
    assert_string_equal(err, "port ou");

    memset(err, 'x', sizeof(err));
    assert_int_equal(pf_addr_parse("1.2.3.4:65536", &a, err, 0), -1);
    assert_int_equal(err[0], 'x');
    assert_int_equal(pf_addr_parse("1.2.3.4:65536", &a, NULL, 0), -1);
}

/* Formatting then parsing gives back the same address, byte for byte. */
static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        struct pf_addr a, b;
        char text[PF_ADDR_STRLEN];
        char err[128];

        assert_int_equal(pf_addr_parse(valid_cases[i].text, &a, err, sizeof(err)), 0);
        pf_addr_format((const struct sockaddr *)&a.ss, text, sizeof(text));
        assert_int_equal(pf_addr_parse(text, &b, err, sizeof(err)), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(&a.ss, &b.ss, a.len);
    }
}

/* The longest IPv6 text fits PF_ADDR_STRLEN. */
static void test_format_longest(void **state)
{
    struct pf_addr a;
    char err[64];
    char buf[PF_ADDR_STRLEN];
    const char *text = "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535";
    const char *want = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";

    (void)state;
    assert_int_equal(pf_addr_parse(text, &a, err, sizeof(err)), 0);
    assert_string_equal(pf_addr_format((const struct sockaddr *)&a.ss, buf, sizeof(buf)), want);
}

/* Unknown family: "?" and port 0; a short buffer truncates safely. */
static void test_format_unknown_and_short(void **state)
{
    struct sockaddr_storage ss;
    struct pf_addr a;
    char err[64];
    char buf[8];

    (void)state;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_UNIX;
    assert_string_equal(pf_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), "?");
    assert_string_equal(pf_addr_format_ip((struct sockaddr *)&ss, buf, sizeof(buf)), "?");
    assert_int_equal(pf_addr_port((struct sockaddr *)&ss), 0);
    assert_false(pf_addr_is_loopback((struct sockaddr *)&ss));

    assert_int_equal(pf_addr_parse("127.0.0.1:8080", &a, err, sizeof(err)), 0);
    memset(buf, 'x', sizeof(buf));
    pf_addr_format((const struct sockaddr *)&a.ss, buf, 5);
    assert_string_equal(buf, "127.");
    assert_int_equal(buf[5], 'x');
    /* the address alone does not fit: "?", not a cut address */
    assert_string_equal(pf_addr_format_ip((const struct sockaddr *)&a.ss, buf, 5), "?");
}

/* Port 0 is valid (ephemeral) and kept as 0 in both families. */
static void test_port_zero(void **state)
{
    struct pf_addr a;
    char err[64];

    (void)state;
    assert_int_equal(pf_addr_parse("127.0.0.1:0", &a, err, sizeof(err)), 0);
    assert_int_equal(((struct sockaddr_in *)&a.ss)->sin_port, 0);
    assert_int_equal(pf_addr_parse("[::1]:0", &a, err, sizeof(err)), 0);
    assert_int_equal(((struct sockaddr_in6 *)&a.ss)->sin6_port, 0);
    assert_int_equal(pf_addr_port((struct sockaddr *)&a.ss), 0);
}

/* The port is stored in network byte order. */
static void test_port_byte_order(void **state)
{
    struct pf_addr a;
    char err[64];
    const unsigned char *p;

    (void)state;
    assert_int_equal(pf_addr_parse("1.2.3.4:258", &a, err, sizeof(err)), 0);
    p = (const unsigned char *)&((struct sockaddr_in *)&a.ss)->sin_port;
    assert_int_equal(p[0], 1);
    assert_int_equal(p[1], 2);
    p = (const unsigned char *)&((struct sockaddr_in *)&a.ss)->sin_addr;
    assert_int_equal(p[0], 1);
    assert_int_equal(p[3], 4);
}

/* A text and whether it is a loopback address. */
struct loopback_case {
    const char *text;
    bool loopback;
};

static const struct loopback_case loopback_cases[] = {
    {"127.0.0.1:1", true},
    {"127.255.255.254:1", true},
    {"127.1.2.3:1", true},
    {"localhost:1", true},
    {"[::1]:1", true},
    {"[::ffff:127.0.0.1]:1", true},
    {"[::ffff:127.9.8.7]:1", true},
    {"128.0.0.1:1", false},
    {"126.255.255.255:1", false},
    {"0.0.0.0:1", false},
    {"*:1", false},
    {"10.0.0.1:1", false},
    {"[::]:1", false},
    {"[::2]:1", false},
    {"[::ffff:10.0.0.1]:1", false},
    {"[::127.0.0.1]:1", false},
    {"[fe80::1]:1", false},
};

/* The predicate accepts exactly 127/8, ::1 and ::ffff:127/104. */
static void test_is_loopback(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(loopback_cases) / sizeof(loopback_cases[0]); i++) {
        struct pf_addr a;
        char err[64];

        print_message("loopback? %s\n", loopback_cases[i].text);
        assert_int_equal(pf_addr_parse(loopback_cases[i].text, &a, err, sizeof(err)), 0);
        assert_int_equal(pf_addr_is_loopback((struct sockaddr *)&a.ss), loopback_cases[i].loopback);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_parse_err_buffer),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_longest),
        cmocka_unit_test(test_format_unknown_and_short),
        cmocka_unit_test(test_port_zero),
        cmocka_unit_test(test_port_byte_order),
        cmocka_unit_test(test_is_loopback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
