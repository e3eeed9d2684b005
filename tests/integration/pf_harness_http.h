/* pf_harness_http: HTTP helpers (protocol "http": test_http,
 * test_http_clients). Like the client helpers (pf_harness_client.h) they
 * return 0 / -1 and print why, so they are safe in client threads. Part
 * of pf_harness.h, which includes it. */
#ifndef PF_HARNESS_HTTP_H
#define PF_HARNESS_HTTP_H

#include "pf_harness.h"

#define PF_H_HTTP_HEAD_MAX 16384       /* longest response head read */
#define PF_H_HTTP_BODY_MAX (64u << 20) /* longest body read to EOF */

/* One HTTP response as received. */
struct pf_h_http {
    int status;                        /* from "HTTP/1.1 NNN ..." */
    char head[PF_H_HTTP_HEAD_MAX + 1]; /* status line and fields, final CRLF CRLF
                                         * included, NUL-terminated */
    size_t head_len;
    long long content_length; /* -1 when the head has none */
    char *body;               /* malloc'd, NUL-terminated; NULL if none read */
    size_t body_len;
};

/* Start an http server on the folder dir/www (created if missing) with
 * c's settings and "http = { root = "www"; <settings> };" (settings may
 * be NULL or "": more http settings, each ending in ';'), and wait for
 * its workers. c->protocol and c->extra are overwritten. 0 or -1. */
int pf_h_start_http(struct pf_server *s, struct pf_h_config *c, const char *settings);

/* Read one response from fd: the head byte by byte (a pipelined next
 * response stays in the socket), then the body: none if no_body (the
 * answer to HEAD) or the status is 304, else Content-Length bytes, else
 * everything up to EOF. 0 (free r with pf_h_http_free), or -1. */
int pf_h_http_read(int fd, bool no_body, struct pf_h_http *r);

void pf_h_http_free(struct pf_h_http *r);

/* The value of the first header field called name (any case), without
 * surrounding blanks, into value. True if the field is there. */
bool pf_h_http_header(const struct pf_h_http *r, const char *name, char *value, size_t size);

/* How many header fields are called name (any case). */
int pf_h_http_header_count(const struct pf_h_http *r, const char *name);

/* Send request (len bytes) on fd and read the response (no body if the
 * request starts with "HEAD "). 0 or -1. */
int pf_h_http_exchange_len(int fd, const char *request, size_t len, struct pf_h_http *r);

/* pf_h_http_exchange_len of a NUL-terminated request. */
int pf_h_http_exchange(int fd, const char *request, struct pf_h_http *r);

/* "GET path HTTP/1.1" with "Host: test" on fd (keep-alive). 0 or -1. */
int pf_h_http_get(int fd, const char *path, struct pf_h_http *r);

/* A new connection, one exchange of request, closed. 0 or -1. */
int pf_h_http_once(const struct pf_server *s, const char *request, struct pf_h_http *r);

#endif
