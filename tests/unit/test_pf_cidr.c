/* Unit tests for pf_cidr: trusted entries parsed or refused (with the
 * reason), and addresses matched against blocks, from tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pf_cidr.h"
#include "pf_err.h"

static const struct {
    const char *text;
    int family; /* 0: refused */
    unsigned bits;
    const char *err; /* the reason's start, when refused */
} parse_cases[] = {
    {"127.0.0.1", AF_INET, 32, NULL},
    {"10.0.0.0/8", AF_INET, 8, NULL},
    {"0.0.0.0/0", AF_INET, 0, NULL},
    {"192.168.1.0/24", AF_INET, 24, NULL},
    {"192.168.1.128/25", AF_INET, 25, NULL},
    {"::1", AF_INET6, 128, NULL},
    {"fd00::/8", AF_INET6, 8, NULL},
    {"::/0", AF_INET6, 0, NULL},
    {"2001:db8::/32", AF_INET6, 32, NULL},
    {"::ffff:10.0.0.0/104", AF_INET, 8, NULL}, /* mapped: the IPv4 block */
    {"::ffff:0:0/96", AF_INET, 0, NULL},
    {"", 0, 0, "not an IPv4 or IPv6 address"},
    {"localhost", 0, 0, "not an IPv4 or IPv6 address: \"localhost\""},
    {"10.0.0", 0, 0, "not an IPv4 or IPv6 address"},
    {"10.0.0.256", 0, 0, "not an IPv4 or IPv6 address"},
    {"[::1]", 0, 0, "not an IPv4 or IPv6 address"},
    {" 10.0.0.1", 0, 0, "not an IPv4 or IPv6 address"},
    {"/8", 0, 0, "not an IPv4 or IPv6 address"},
    {"10.0.0.0/", 0, 0, "prefix length must be a number from 0 to 32"},
    {"10.0.0.0/33", 0, 0, "prefix length must be a number from 0 to 32"},
    {"10.0.0.0/08", 0, 0, "prefix length must be a number from 0 to 32"},
    {"10.0.0.0/-8", 0, 0, "prefix length must be a number from 0 to 32"},
    {"10.0.0.0/8x", 0, 0, "prefix length must be a number from 0 to 32"},
    {"::1/129", 0, 0, "prefix length must be a number from 0 to 128"},
    {"10.0.0.1/8", 0, 0, "bits set past the /8 prefix (the block is 10.0.0.0/8)"},
    {"192.168.1.129/25", 0, 0, "bits set past the /25 prefix (the block is 192.168.1.128/25)"},
    {"fd00::1/8", 0, 0, "bits set past the /8 prefix (the block is fd00::/8)"},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        struct pf_cidr c;
        char err[PF_ERR_MAX] = "";
        int rc = pf_cidr_parse(parse_cases[i].text, &c, err, sizeof(err));

        if (parse_cases[i].family == 0) {
            if (rc != -1 || strncmp(err, parse_cases[i].err, strlen(parse_cases[i].err)) != 0)
                fail_msg("\"%s\": rc %d \"%s\", want \"%s\"", parse_cases[i].text, rc, err,
                         parse_cases[i].err);
            continue;
        }
        if (rc != 0)
            fail_msg("\"%s\": refused: %s", parse_cases[i].text, err);
        assert_int_equal(c.family, parse_cases[i].family);
        assert_int_equal(c.bits, parse_cases[i].bits);
    }
}

/* An address text as a sockaddr (IPv4 or IPv6). */
static struct sockaddr_storage addr_of(const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;

    assert_int_equal(pf_cidr_addr(text, strlen(text), &ss, &len), 0);
    return ss;
}

static const char *const trusted[] = {"127.0.0.1", "10.0.0.0/8", "192.168.1.128/25",
                                      "::1",       "fd00::/8",   "::ffff:172.16.0.0/108"};

static const struct {
    const char *addr;
    bool match;
} match_cases[] = {
    {"127.0.0.1", true},
    {"127.0.0.2", false},
    {"10.0.0.0", true},
    {"10.255.255.255", true},
    {"11.0.0.0", false},
    {"9.255.255.255", false},
    {"192.168.1.128", true},
    {"192.168.1.255", true},
    {"192.168.1.127", false},
    {"::1", true},
    {"::2", false},
    {"fd12:3456::1", true},
    {"fe00::1", false},
    {"::ffff:10.1.2.3", true},
    {"::ffff:11.1.2.3", false},
    {"::ffff:127.0.0.1", true},
    {"::a00:1", false},   /* ::10.0.0.1 is not mapped */
    {"172.16.5.5", true}, /* ::ffff:172.16.0.0/108 is 172.16.0.0/12 */
    {"::ffff:172.16.5.5", true},
    {"172.32.0.1", false},
};

static void test_match(void **state)
{
    struct pf_cidr nets[sizeof(trusted) / sizeof(trusted[0])];
    char err[PF_ERR_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
        assert_int_equal(pf_cidr_parse(trusted[i], &nets[i], err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        struct sockaddr_storage ss = addr_of(match_cases[i].addr);

        if (pf_cidr_match(nets, sizeof(nets) / sizeof(nets[0]), (struct sockaddr *)&ss) !=
            match_cases[i].match)
            fail_msg("%s: want %s", match_cases[i].addr, match_cases[i].match ? "match" : "none");
    }
}

static void test_match_edges(void **state)
{
    struct pf_cidr all4, all6;
    struct sockaddr_storage v4 = addr_of("203.0.113.9"), v6 = addr_of("2001:db8::9");
    struct sockaddr un = {.sa_family = AF_UNIX};
    char err[PF_ERR_MAX];

    (void)state;
    assert_int_equal(pf_cidr_parse("0.0.0.0/0", &all4, err, sizeof(err)), 0);
    assert_int_equal(pf_cidr_parse("::/0", &all6, err, sizeof(err)), 0);
    assert_true(pf_cidr_match(&all4, 1, (struct sockaddr *)&v4));
    assert_false(pf_cidr_match(&all4, 1, (struct sockaddr *)&v6));
    assert_true(pf_cidr_match(&all6, 1, (struct sockaddr *)&v6));
    assert_false(pf_cidr_match(&all6, 1, (struct sockaddr *)&v4));
    assert_false(pf_cidr_match(&all4, 1, &un));
    assert_false(pf_cidr_match(NULL, 0, (struct sockaddr *)&v4)); /* none trusted */
}

static const struct {
    const char *text;
    int family; /* 0: not an address */
} addr_cases[] = {
    {"192.0.2.1", AF_INET}, {"2001:db8::1", AF_INET6}, {"", 0},
    {"192.0.2.1:80", 0},    {"[2001:db8::1]", 0},      {"unknown", 0},
    {"192.0.2", 0},         {"1.2.3.4 ", 0},
};

static void test_addr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        struct sockaddr_storage ss;
        socklen_t len = 0;
        int rc = pf_cidr_addr(addr_cases[i].text, strlen(addr_cases[i].text), &ss, &len);

        if (addr_cases[i].family == 0) {
            if (rc != -1)
                fail_msg("\"%s\": taken as an address", addr_cases[i].text);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(ss.ss_family, addr_cases[i].family);
        assert_int_equal(len, addr_cases[i].family == AF_INET ? sizeof(struct sockaddr_in)
                                                              : sizeof(struct sockaddr_in6));
    }
    /* the length bounds the text: "10.0.0.1" taken from a longer buffer */
    {
        struct sockaddr_storage ss;
        socklen_t len;

        assert_int_equal(pf_cidr_addr("10.0.0.1, 10.0.0.2", 8, &ss, &len), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_match_edges),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
