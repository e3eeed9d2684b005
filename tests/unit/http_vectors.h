/* GENERATED FILE, do not edit: tools/gen_http_vectors.py writes it.
 *
 * Request test vectors from llhttp 9.4.2 (https://github.com/nodejs/llhttp,
 * test/request/, its *.md files), one entry per ```http block, decoded
 * as llhttp's own test runner does (see the generator's docstring).
 * expect_reject: llhttp's strict parser reports an error, or the case needs
 * one of its leniency flags. llhttp_error: its reason, or NULL.
 * llhttp's pauses for CONNECT and Upgrade (error codes 22, 23) count as
 * accepted: the head was complete and valid.
 *
 * Regenerate (from the repository root, with the vectors checked out in
 * ../shared/http-vectors/llhttp or named on the command line):
 *     python3 tools/gen_http_vectors.py [LLHTTP_DIR] [tests/unit/http_vectors.h]
 *
 * This table is derived from llhttp's test files, under llhttp's licence:
 *
 *     MIT License
 *
 *     Copyright © 2018 Fedor Indutny
 *
 *     Permission is hereby granted, free of charge, to any person obtaining a
 *     copy of this software and associated documentation files (the
 *     "Software"), to deal in the Software without restriction, including
 *     without limitation the rights to use, copy, modify, merge, publish,
 *     distribute, sublicense, and/or sell copies of the Software, and to permit
 *     persons to whom the Software is furnished to do so, subject to the
 *     following conditions:
 *
 *     The above copyright notice and this permission notice shall be included
 *     in all copies or substantial portions of the Software.
 *
 *     THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
 *     OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 *     MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
 *     NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 *     DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 *     OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
 *     USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
#ifndef HTTP_VECTORS_H
#define HTTP_VECTORS_H

#include <stdbool.h>
#include <stddef.h>

struct http_vector {
    const char *name;         /* the case's heading */
    const char *file;         /* llhttp test/request/ file */
    unsigned line;            /* line of its meta comment there */
    const char *bytes;
    size_t len;
    bool expect_reject;
    bool lenient;             /* needs an llhttp leniency flag */
    const char *llhttp_error;
};

static const struct http_vector http_vectors[] = {
    { "Setting flag", "connection.md", 8,
      "PUT /url HTTP/1.1\r\n"
      "Connection: keep-alive\r\n"
      "\r\n",
      45, false, false, NULL },
    { "Restarting when keep-alive is explicitly", "connection.md", 36,
      "PUT /url HTTP/1.1\r\n"
      "Connection: keep-alive\r\n"
      "\r\n"
      "PUT /url HTTP/1.1\r\n"
      "Connection: keep-alive\r\n"
      "\r\n",
      90, false, false, NULL },
    { "No restart when keep-alive is off (1.0)", "connection.md", 83,
      "PUT /url HTTP/1.0\r\n"
      "\r\n"
      "PUT /url HTTP/1.1\r\n"
      "\r\n",
      42, true, false, "Data after `Connection: close`" },
    { "Resetting flags when keep-alive is off (1.0, lenient)", "connection.md", 112,
      "PUT /url HTTP/1.0\r\n"
      "Content-Length: 0\r\n"
      "\r\n"
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n",
      89, true, true, NULL },
    { "CRLF between requests, implicit `keep-alive`", "connection.md", 158,
      "POST / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 4\r\n"
      "\r\n"
      "q=42\r\n"
      "\r\n"
      "GET / HTTP/1.1",
      132, false, false, NULL },
    { "Not treating `\\r` as `-`", "connection.md", 210,
      "PUT /url HTTP/1.1\r\n"
      "Connection: keep\ralive\r\n"
      "\r\n",
      45, true, false, "Missing expected LF after header value" },
    { "Setting flag on `close`", "connection.md", 238,
      "PUT /url HTTP/1.1\r\n"
      "Connection: close\r\n"
      "\r\n",
      40, false, false, NULL },
    { "Setting flag on `close` followed by tab", "connection.md", 266,
      "PUT /url HTTP/1.1\r\n"
      "Connection: close\t\r\n"
      "\r\n",
      41, false, false, NULL },
    { "CRLF between requests, explicit `close`", "connection.md", 296,
      "POST / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 4\r\n"
      "Connection: close\r\n"
      "\r\n"
      "q=42\r\n"
      "\r\n"
      "GET / HTTP/1.1",
      151, true, false, "Data after `Connection: close`" },
    { "CRLF between requests, explicit `close` followed by tab", "connection.md", 346,
      "POST / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 4\r\n"
      "Connection: close\t\r\n"
      "\r\n"
      "q=42\r\n"
      "\r\n"
      "GET / HTTP/1.1",
      152, true, false, "Data after `Connection: close`" },
    { "CRLF between requests, explicit `close` (lenient)", "connection.md", 396,
      "POST / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 4\r\n"
      "Connection: close\r\n"
      "\r\n"
      "q=42\r\n"
      "\r\n"
      "GET / HTTP/1.1",
      151, true, true, NULL },
    { "Sample", "connection.md", 455,
      "PUT /url HTTP/1.1\r\n"
      "Connection: close, token, upgrade, token, keep-alive\r\n"
      "\r\n",
      75, false, false, NULL },
    { "Multiple tokens with folding", "connection.md", 483,
      "GET /demo HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "Connection: Something,\r\n"
      " Upgrade, ,Keep-Alive\r\n"
      "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
      "Sec-WebSocket-Protocol: sample\r\n"
      "Upgrade: WebSocket\r\n"
      "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
      "Origin: http://example.com\r\n"
      "\r\n"
      "Hot diggity dogg",
      266, true, true, NULL },
    { "Multiple tokens with folding and LWS", "connection.md", 544,
      "GET /demo HTTP/1.1\r\n"
      "Connection: keep-alive, upgrade\r\n"
      "Upgrade: WebSocket\r\n"
      "\r\n"
      "Hot diggity dogg",
      91, false, false, NULL },
    { "Multiple tokens with folding, LWS, and CRLF", "connection.md", 578,
      "GET /demo HTTP/1.1\r\n"
      "Connection: keep-alive, \r\n"
      " upgrade\r\n"
      "Upgrade: WebSocket\r\n"
      "\r\n"
      "Hot diggity dogg",
      94, true, true, NULL },
    { "Invalid whitespace token with `Connection` header field", "connection.md", 613,
      "PUT /url HTTP/1.1\r\n"
      "Connection : upgrade\r\n"
      "Content-Length: 4\r\n"
      "Upgrade: ws\r\n"
      "\r\n"
      "abcdefgh",
      83, true, false, "Invalid header field char" },
    { "Invalid whitespace token with `Connection` header field (lenient)", "connection.md", 639,
      "PUT /url HTTP/1.1\r\n"
      "Connection : upgrade\r\n"
      "Content-Length: 4\r\n"
      "Upgrade: ws\r\n"
      "\r\n"
      "abcdefgh",
      83, true, true, NULL },
    { "Setting a flag and pausing", "connection.md", 681,
      "PUT /url HTTP/1.1\r\n"
      "Connection: upgrade\r\n"
      "Upgrade: ws\r\n"
      "\r\n",
      55, false, false, NULL },
    { "Emitting part of body and pausing", "connection.md", 715,
      "PUT /url HTTP/1.1\r\n"
      "Connection: upgrade\r\n"
      "Content-Length: 4\r\n"
      "Upgrade: ws\r\n"
      "\r\n"
      "abcdefgh",
      82, false, false, NULL },
    { "Upgrade GET request", "connection.md", 755,
      "GET /demo HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
      "Sec-WebSocket-Protocol: sample\r\n"
      "Upgrade: WebSocket\r\n"
      "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
      "Origin: http://example.com\r\n"
      "\r\n"
      "Hot diggity dogg",
      240, false, false, NULL },
    { "Upgrade POST request", "connection.md", 814,
      "POST /demo HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "Connection: Upgrade\r\n"
      "Upgrade: HTTP/2.0\r\n"
      "Content-Length: 15\r\n"
      "\r\n"
      "sweet post bodyHot diggity dogg",
      133, false, false, NULL },
    { "`Content-Length` with zeroes", "content-length.md", 6,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 003\r\n"
      "\r\n"
      "abc",
      45, false, false, NULL },
    { "`Content-Length` with follow-up headers", "content-length.md", 43,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 003\r\n"
      "Ohai: world\r\n"
      "\r\n"
      "abc",
      58, false, false, NULL },
    { "Error on `Content-Length` overflow", "content-length.md", 77,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 1000000000000000000000\r\n",
      59, true, false, "Content-Length overflow" },
    { "Error on duplicate `Content-Length`", "content-length.md", 102,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 1\r\n"
      "Content-Length: 2\r\n",
      57, true, false, "Duplicate Content-Length" },
    { "Error on simultaneous `Content-Length` and `Transfer-Encoding: identity`", "content-length.md", 131,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 1\r\n"
      "Transfer-Encoding: identity\r\n"
      "\r\n",
      69, true, false, "Transfer-Encoding can't be present with Content-Length" },
    { "Invalid whitespace token with `Content-Length` header field", "content-length.md", 161,
      "PUT /url HTTP/1.1\r\n"
      "Connection: upgrade\r\n"
      "Content-Length : 4\r\n"
      "Upgrade: ws\r\n"
      "\r\n"
      "abcdefgh",
      83, true, false, "Invalid header field char" },
    { "Invalid whitespace token with `Content-Length` header field (lenient)", "content-length.md", 191,
      "PUT /url HTTP/1.1\r\n"
      "Connection: upgrade\r\n"
      "Content-Length : 4\r\n"
      "Upgrade: ws\r\n"
      "\r\n"
      "abcdefgh",
      83, true, true, NULL },
    { "No error on simultaneous `Content-Length` and `Transfer-Encoding: identity` (lenient)", "content-length.md", 231,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 1\r\n"
      "Transfer-Encoding: identity\r\n"
      "\r\n",
      69, true, true, NULL },
    { "Funky `Content-Length` with body", "content-length.md", 263,
      "GET /get_funky_content_length_body_hello HTTP/1.0\r\n"
      "conTENT-Length: 5\r\n"
      "\r\n"
      "HELLO",
      77, false, false, NULL },
    { "Spaces in `Content-Length` (surrounding)", "content-length.md", 292,
      "POST / HTTP/1.1\r\n"
      "Content-Length:  42 \r\n"
      "\r\n",
      41, false, false, NULL },
    { "Tabs in `Content-Length` (surrounding)", "content-length.md", 319,
      "POST / HTTP/1.1\r\n"
      "Content-Length:\t42\t  \r\n"
      "\r\n",
      42, false, false, NULL },
    { "Spaces in `Content-Length` #2", "content-length.md", 346,
      "POST / HTTP/1.1\r\n"
      "Content-Length: 4 2\r\n"
      "\r\n",
      40, true, false, "Invalid character in Content-Length" },
    { "Spaces in `Content-Length` #3", "content-length.md", 372,
      "POST / HTTP/1.1\r\n"
      "Content-Length: 13 37\r\n"
      "\r\n",
      42, true, false, "Invalid character in Content-Length" },
    { "Empty `Content-Length`", "content-length.md", 398,
      "POST / HTTP/1.1\r\n"
      "Content-Length:\r\n"
      "\r\n",
      36, true, false, "Empty Content-Length" },
    { "`Content-Length` with CR instead of dash", "content-length.md", 423,
      "PUT /url HTTP/1.1\r\n"
      "Content\rLength: 003\r\n"
      "\r\n"
      "abc",
      45, true, false, "Invalid header token" },
    { "Content-Length reset when no body is received", "content-length.md", 446,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 123\r\n"
      "\r\n"
      "POST /url HTTP/1.1\r\n"
      "Content-Length: 456\r\n"
      "\r\n",
      85, false, false, NULL },
    { "Missing CRLF-CRLF before body", "content-length.md", 495,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 3\r\n"
      "\rabc",
      42, true, false, "Expected LF after headers" },
    { "Missing CRLF-CRLF before body (lenient)", "content-length.md", 521,
      "PUT /url HTTP/1.1\r\n"
      "Content-Length: 3\r\n"
      "\rabc",
      42, true, true, NULL },
    { "ICE protocol and GET method", "invalid.md", 6,
      "GET /music/sweet/music ICE/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      53, true, false, "Expected SOURCE method for ICE/x.x request" },
    { "ICE protocol, but not really", "invalid.md", 27,
      "GET /music/sweet/music IHTTP/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      55, true, false, "Expected HTTP/, RTSP/ or ICE/" },
    { "RTSP protocol and PUT method", "invalid.md", 47,
      "PUT /music/sweet/music RTSP/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      54, true, false, "Invalid method for RTSP/x.x request" },
    { "HTTP protocol and ANNOUNCE method", "invalid.md", 68,
      "ANNOUNCE /music/sweet/music HTTP/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      59, true, false, "Invalid method for HTTP/x.x request" },
    { "Headers separated by CR", "invalid.md", 89,
      "GET / HTTP/1.1\r\n"
      "Foo: 1\rBar: 2\r\n"
      "\r\n",
      33, true, false, "Missing expected LF after header value" },
    { "Headers separated by LF", "invalid.md", 115,
      "POST / HTTP/1.1\r\n"
      "Host: localhost:5000\r\n"
      "x:x\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "1\r\n"
      "A\r\n"
      "0\r\n",
      82, true, false, "Missing expected CR after header value" },
    { "Headers separated by dummy characters", "invalid.md", 149,
      "GET / HTTP/1.1\r\n"
      "Connection: close\r\n"
      "Host: a\r\n"
      "\rZGET /evil: HTTP/1.1\r\n"
      "Host: a\r\n",
      76, true, false, "Expected LF after headers" },
    { "Headers separated by dummy characters (lenient)", "invalid.md", 183,
      "GET / HTTP/1.1\r\n"
      "Connection: close\r\n"
      "Host: a\r\n"
      "\rZGET /evil: HTTP/1.1\r\n"
      "Host: a\r\n",
      76, true, true, "Data after `Connection: close`" },
    { "Empty headers separated by CR", "invalid.md", 218,
      "POST / HTTP/1.1\r\n"
      "Connection: Close\r\n"
      "Host: localhost:5000\r\n"
      "x:\rTransfer-Encoding: chunked\r\n"
      "\r\n"
      "1\r\n"
      "A\r\n"
      "0\r\n",
      100, true, false, "Expected LF after CR" },
    { "Empty headers separated by LF", "invalid.md", 256,
      "POST / HTTP/1.1\r\n"
      "Host: localhost:5000\r\n"
      "x:\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "1\r\n"
      "A\r\n"
      "0\r\n",
      81, true, false, "Invalid header value char" },
    { "Invalid header token #1", "invalid.md", 289,
      "GET / HTTP/1.1\r\n"
      "Fo@: Failure\r\n"
      "\r\n",
      32, true, false, "Invalid header token" },
    { "Invalid header token #2", "invalid.md", 312,
      "GET / HTTP/1.1\r\n"
      "Foo\001\test: Bar\r\n"
      "\r\n",
      33, true, false, "Invalid header token" },
    { "Invalid header token #3", "invalid.md", 335,
      "GET / HTTP/1.1\r\n"
      ": Bar\r\n"
      "\r\n",
      25, true, false, "Invalid header token" },
    { "Invalid method", "invalid.md", 358,
      "MKCOLA / HTTP/1.1\r\n"
      "\r\n",
      21, true, false, "Expected space after method" },
    { "Illegal header field name line folding", "invalid.md", 374,
      "GET / HTTP/1.1\r\n"
      "name\r\n"
      " : value\r\n"
      "\r\n",
      34, true, false, "Invalid header token" },
    { "Corrupted Connection header", "invalid.md", 398,
      "GET / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Connection\r\0335\303\225eep-Alive\r\n"
      "Accept-Encoding: gzip\r\n"
      "\r\n",
      90, true, false, "Invalid header token" },
    { "Corrupted header name", "invalid.md", 427,
      "GET / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "X-Some-Header\r\0335\303\225eep-Alive\r\n"
      "Accept-Encoding: gzip\r\n"
      "\r\n",
      93, true, false, "Invalid header token" },
    { "Missing CR between headers", "invalid.md", 456,
      "GET / HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "Dummy: x\n"
      "Content-Length: 23\r\n"
      "\r\n"
      "GET / HTTP/1.1\r\n"
      "Dummy: GET /admin HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "\r\n",
      127, true, false, "Missing expected CR after header value" },
    { "Invalid HTTP version", "invalid.md", 492,
      "GET / HTTP/5.6",
      14, true, false, "Invalid HTTP version" },
    { "Invalid space after start line", "invalid.md", 511,
      "GET / HTTP/1.1\r\n"
      " Host: foo",
      26, true, false, "Unexpected space after start line" },
    { "Only LFs present", "invalid.md", 533,
      "POST / HTTP/1.1\n"
      "Transfer-Encoding: chunked\n"
      "Trailer: Baz\r\n"
      "Foo: abc\n"
      "Bar: def\n"
      "\n"
      "1\n"
      "A\n"
      "1;abc\n"
      "B\n"
      "1;def=ghi\n"
      "C\n"
      "1;jkl=\"mno\"\n"
      "D\n"
      "0\n"
      "\n"
      "Baz: ghi\n"
      "\n"
      "\\",
      128, true, false, "Expected CRLF after version" },
    { "Only LFs present (lenient)", "invalid.md", 570,
      "POST / HTTP/1.1\n"
      "Transfer-Encoding: chunked\n"
      "Trailer: Baz\r\n"
      "Foo: abc\n"
      "Bar: def\n"
      "\n"
      "1\n"
      "A\n"
      "1;abc\n"
      "B\n"
      "1;def=ghi\n"
      "C\n"
      "1;jkl=\"mno\"\n"
      "D\n"
      "0\n"
      "\n"
      "Baz: ghi\n"
      "\n",
      127, true, true, NULL },
    { "Spaces before headers", "invalid.md", 652,
      "POST /hello HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "Foo: bar\r\n"
      " Content-Length: 38\r\n"
      "\r\n"
      "GET /bye HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "\r\n",
      110, true, false, "Unexpected whitespace after header value" },
    { "Spaces before headers (lenient)", "invalid.md", 688,
      "POST /hello HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "Foo: bar\r\n"
      " Content-Length: 38\r\n"
      "\r\n"
      "GET /bye HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "\r\n",
      110, true, true, NULL },
    { "REPORT request", "method.md", 6,
      "REPORT /test HTTP/1.1\r\n"
      "\r\n",
      25, false, false, NULL },
    { "CONNECT request", "method.md", 29,
      "CONNECT 0-home0.netscape.com:443 HTTP/1.0\r\n"
      "User-agent: Mozilla/1.1N\r\n"
      "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
      "\r\n"
      "some data\r\n"
      "and yet even more data",
      149, false, false, NULL },
    { "CONNECT request with CAPS", "method.md", 64,
      "CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0\r\n"
      "User-agent: Mozilla/1.1N\r\n"
      "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
      "\r\n",
      114, false, false, NULL },
    { "CONNECT with body", "method.md", 98,
      "CONNECT foo.bar.com:443 HTTP/1.0\r\n"
      "User-agent: Mozilla/1.1N\r\n"
      "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
      "Content-Length: 10\r\n"
      "\r\n"
      "blarfcicle\"",
      138, false, false, NULL },
    { "M-SEARCH request", "method.md", 137,
      "M-SEARCH * HTTP/1.1\r\n"
      "HOST: 239.255.255.250:1900\r\n"
      "MAN: \"ssdp:discover\"\r\n"
      "ST: \"ssdp:all\"\r\n"
      "\r\n",
      89, false, false, NULL },
    { "PATCH request", "method.md", 175,
      "PATCH /file.txt HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "Content-Type: application/example\r\n"
      "If-Match: \"e0023aa4e\"\r\n"
      "Content-Length: 10\r\n"
      "\r\n"
      "cccccccccc",
      139, false, false, NULL },
    { "PURGE request", "method.md", 219,
      "PURGE /file.txt HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "\r\n",
      51, false, false, NULL },
    { "SEARCH request", "method.md", 247,
      "SEARCH / HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "\r\n",
      44, false, false, NULL },
    { "LINK request", "method.md", 275,
      "LINK /images/my_dog.jpg HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "Link: <http://example.com/profiles/joe>; rel=\"tag\"\r\n"
      "Link: <http://example.com/profiles/sally>; rel=\"tag\"\r\n"
      "\r\n",
      161, false, false, NULL },
    { "LINK request", "method.md", 313,
      "UNLINK /images/my_dog.jpg HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "Link: <http://example.com/profiles/sally>; rel=\"tag\"\r\n"
      "\r\n",
      111, false, false, NULL },
    { "SOURCE request", "method.md", 346,
      "SOURCE /music/sweet/music HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "\r\n",
      57, false, false, NULL },
    { "SOURCE request with ICE", "method.md", 374,
      "SOURCE /music/sweet/music ICE/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      56, false, false, NULL },
    { "OPTIONS request with RTSP", "method.md", 404,
      "OPTIONS /music/sweet/music RTSP/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      58, false, false, NULL },
    { "ANNOUNCE request with RTSP", "method.md", 432,
      "ANNOUNCE /music/sweet/music RTSP/1.0\r\n"
      "Host: example.com\r\n"
      "\r\n",
      59, false, false, NULL },
    { "PRI request HTTP2", "method.md", 460,
      "PRI * HTTP/1.1\r\n"
      "\r\n"
      "SM\r\n"
      "\r\n",
      24, false, false, NULL },
    { "QUERY request", "method.md", 484,
      "QUERY /contacts HTTP/1.1\r\n"
      "Host: example.org\r\n"
      "Content-Type: example/query\r\n"
      "Accept: text/csv\r\n"
      "Content-Length: 41\r\n"
      "\r\n"
      "select surname, givenname, email limit 10",
      155, false, false, NULL },
    { "Should parse multiple events", "pipelining.md", 6,
      "POST /aaa HTTP/1.1\r\n"
      "Content-Length: 3\r\n"
      "\r\n"
      "AAA\r\n"
      "PUT /bbb HTTP/1.1\r\n"
      "Content-Length: 4\r\n"
      "\r\n"
      "BBBB\r\n"
      "PATCH /ccc HTTP/1.1\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "CCCC",
      138, false, false, NULL },
    { "Simple request", "sample.md", 8,
      "OPTIONS /url HTTP/1.1\r\n"
      "Header1: Value1\r\n"
      "Header2:\t Value2\r\n"
      "\r\n",
      60, false, false, NULL },
    { "Request with method starting with `H`", "sample.md", 46,
      "HEAD /url HTTP/1.1\r\n"
      "\r\n",
      22, false, false, NULL },
    { "curl GET", "sample.md", 69,
      "GET /test HTTP/1.1\r\n"
      "User-Agent: curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 libidn/1.1\r\n"
      "Host: 0.0.0.0=5000\r\n"
      "Accept: */*\r\n"
      "\r\n",
      154, false, false, NULL },
    { "Firefox GET", "sample.md", 107,
      "GET /favicon.ico HTTP/1.1\r\n"
      "Host: 0.0.0.0=5000\r\n"
      "User-Agent: Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9) Gecko/2008061015 Firefox/3.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-us,en;q=0.5\r\n"
      "Accept-Encoding: gzip,deflate\r\n"
      "Accept-Charset: ISO-8859-1,utf-8;q=0.7,*;q=0.7\r\n"
      "Keep-Alive: 300\r\n"
      "Connection: keep-alive\r\n"
      "\r\n",
      365, false, false, NULL },
    { "DUMBPACK", "sample.md", 170,
      "GET /dumbpack HTTP/1.1\r\n"
      "aaaaaaaaaaaaa:++++++++++\r\n"
      "\r\n",
      52, false, false, NULL },
    { "No headers and no body", "sample.md", 198,
      "GET /get_no_headers_no_body/world HTTP/1.1\r\n"
      "\r\n",
      46, false, false, NULL },
    { "One header and no body", "sample.md", 221,
      "GET /get_one_header_no_body HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "\r\n",
      53, false, false, NULL },
    { "Apache bench GET", "sample.md", 252,
      "GET /test HTTP/1.0\r\n"
      "Host: 0.0.0.0:5000\r\n"
      "User-Agent: ApacheBench/2.3\r\n"
      "Accept: */*\r\n"
      "\r\n",
      84, false, false, NULL },
    { "Prefix newline", "sample.md", 293,
      "\r\n"
      "GET /test HTTP/1.1\r\n"
      "\r\n",
      24, false, false, NULL },
    { "No HTTP version", "sample.md", 316,
      "GET /\r\n"
      "\r\n",
      9, false, false, NULL },
    { "Line folding in header value with CRLF", "sample.md", 335,
      "GET / HTTP/1.1\r\n"
      "Line1:   abc\r\n"
      "\tdef\r\n"
      " ghi\r\n"
      "\t\tjkl\r\n"
      "  mno \r\n"
      "\t \tqrs\r\n"
      "Line2: \t line2\t\r\n"
      "Line3:\r\n"
      " line3\r\n"
      "Line4: \r\n"
      " \r\n"
      "Connection:\r\n"
      " close\r\n"
      "\r\n",
      133, true, true, NULL },
    { "Line folding in header value with LF", "sample.md", 396,
      "GET / HTTP/1.1\r\n"
      "Line1:   abc\n"
      "\tdef\n"
      " ghi\n"
      "\t\tjkl\n"
      "  mno \n"
      "\t \tqrs\n"
      "Line2: \t line2\t\n"
      "Line3:\n"
      " line3\n"
      "Line4: \n"
      " \n"
      "Connection:\n"
      " close\n"
      "\n",
      119, true, false, "Missing expected CR after header value" },
    { "No LF after CR", "sample.md", 434,
      "GET / HTTP/1.1\rLine: 1\r\n",
      24, true, false, "Expected CRLF after version" },
    { "No LF after CR (lenient)", "sample.md", 456,
      "GET / HTTP/1.1\rLine: 1\r\n",
      24, true, true, NULL },
    { "Request starting with CRLF", "sample.md", 480,
      "\r\n"
      "GET /url HTTP/1.1\r\n"
      "Header1: Value1\r\n"
      "\r\n",
      40, false, false, NULL },
    { "Extended Characters", "sample.md", 510,
      "GET / HTTP/1.1\r\n"
      "Test: D\303\274sseldorf\r\n"
      "\r\n",
      37, false, false, NULL },
    { "255 ASCII in header value", "sample.md", 540,
      "OPTIONS /url HTTP/1.1\r\n"
      "Header1: Value1\r\n"
      "Header2: \303\277Value2\r\n"
      "\r\n",
      61, false, false, NULL },
    { "X-SSL-Nonsense", "sample.md", 575,
      "GET / HTTP/1.1\r\n"
      "X-SSL-Nonsense:   -----BEGIN CERTIFICATE-----\r\n"
      "\tMIIFbTCCBFWgAwIBAgICH4cwDQYJKoZIhvcNAQEFBQAwcDELMAkGA1UEBhMCVUsx\r\n"
      "\tETAPBgNVBAoTCGVTY2llbmNlMRIwEAYDVQQLEwlBdXRob3JpdHkxCzAJBgNVBAMT\r\n"
      "\tAkNBMS0wKwYJKoZIhvcNAQkBFh5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMu\r\n"
      "\tdWswHhcNMDYwNzI3MTQxMzI4WhcNMDcwNzI3MTQxMzI4WjBbMQswCQYDVQQGEwJV\r\n"
      "\tSzERMA8GA1UEChMIZVNjaWVuY2UxEzARBgNVBAsTCk1hbmNoZXN0ZXIxCzAJBgNV\r\n"
      "\tBAcTmrsogriqMWLAk1DMRcwFQYDVQQDEw5taWNoYWVsIHBhcmQYJKoZIhvcNAQEB\r\n"
      "\tBQADggEPADCCAQoCggEBANPEQBgl1IaKdSS1TbhF3hEXSl72G9J+WC/1R64fAcEF\r\n"
      "\tW51rEyFYiIeZGx/BVzwXbeBoNUK41OK65sxGuflMo5gLflbwJtHBRIEKAfVVp3YR\r\n"
      "\tgW7cMA/s/XKgL1GEC7rQw8lIZT8RApukCGqOVHSi/F1SiFlPDxuDfmdiNzL31+sL\r\n"
      "\t0iwHDdNkGjy5pyBSB8Y79dsSJtCW/iaLB0/n8Sj7HgvvZJ7x0fr+RQjYOUUfrePP\r\n"
      "\tu2MSpFyf+9BbC/aXgaZuiCvSR+8Snv3xApQY+fULK/xY8h8Ua51iXoQ5jrgu2SqR\r\n"
      "\twgA7BUi3G8LFzMBl8FRCDYGUDy7M6QaHXx1ZWIPWNKsCAwEAAaOCAiQwggIgMAwG\r\n"
      "\tA1UdEwEB/wQCMAAwEQYJYIZIAYb4QgHTTPAQDAgWgMA4GA1UdDwEB/wQEAwID6DAs\r\n"
      "\tBglghkgBhvhCAQ0EHxYdVUsgZS1TY2llbmNlIFVzZXIgQ2VydGlmaWNhdGUwHQYD\r\n"
      "\tVR0OBBYEFDTt/sf9PeMaZDHkUIldrDYMNTBZMIGaBgNVHSMEgZIwgY+AFAI4qxGj\r\n"
      "\tloCLDdMVKwiljjDastqooXSkcjBwMQswCQYDVQQGEwJVSzERMA8GA1UEChMIZVNj\r\n"
      "\taWVuY2UxEjAQBgNVBAsTCUF1dGhvcml0eTELMAkGA1UEAxMCQ0ExLTArBgkqhkiG\r\n"
      "\t9w0BCQEWHmNhLW9wZXJhdG9yQGdyaWQtc3VwcG9ydC5hYy51a4IBADApBgNVHRIE\r\n"
      "\tIjAggR5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMudWswGQYDVR0gBBIwEDAO\r\n"
      "\tBgwrBgEEAdkvAQEBAQYwPQYJYIZIAYb4QgEEBDAWLmh0dHA6Ly9jYS5ncmlkLXN1\r\n"
      "\tcHBvcnQuYWMudmT4sopwqlBWsvcHViL2NybC9jYWNybC5jcmwwPQYJYIZIAYb4QgEDBDAWLmh0\r\n"
      "\tdHA6Ly9jYS5ncmlkLXN1cHBvcnQuYWMudWsvcHViL2NybC9jYWNybC5jcmwwPwYD\r\n"
      "\tVR0fBDgwNjA0oDKgMIYuaHR0cDovL2NhLmdyaWQt5hYy51ay9wdWIv\r\n"
      "\tY3JsL2NhY3JsLmNybDANBgkqhkiG9w0BAQUFAAOCAQEAS/U4iiooBENGW/Hwmmd3\r\n"
      "\tXCy6Zrt08YjKCzGNjorT98g8uGsqYjSxv/hmi0qlnlHs+k/3Iobc3LjS5AMYr5L8\r\n"
      "\tUO7OSkgFFlLHQyC9JzPfmLCAugvzEbyv4Olnsr8hbxF1MbKZoQxUZtMVu29wjfXk\r\n"
      "\thTeApBv7eaKCWpSp7MCbvgzm74izKhu3vlDk9w6qVrxePfGgpKPqfHiOoGhFnbTK\r\n"
      "\twTC6o2xq5y0qZ03JonF7OJspEd3I5zKY3E+ov7/ZhW6DqT8UFvsAdjvQbXyhV8Eu\r\n"
      "\tYhixw1aKEPzNjNowuIseVogKOLXxWI5vAi5HgXdS0/ES5gDGsABo4fqovUKlgop3\r\n"
      "\tRA==\r\n"
      "\t-----END CERTIFICATE-----\r\n"
      "\r\n",
      2044, true, true, NULL },
    { "Parsing and setting flag", "transfer-encoding.md", 8,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n",
      49, false, false, NULL },
    { "Parse chunks with lowercase size", "transfer-encoding.md", 35,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "a\r\n"
      "0123456789\r\n"
      "0\r\n"
      "\r\n",
      69, false, false, NULL },
    { "Parse chunks with uppercase size", "transfer-encoding.md", 72,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "A\r\n"
      "0123456789\r\n"
      "0\r\n"
      "\r\n",
      69, false, false, NULL },
    { "POST with `Transfer-Encoding: chunked`", "transfer-encoding.md", 109,
      "POST /post_chunked_all_your_base HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "1e\r\n"
      "all your base are belong to us\r\n"
      "0\r\n"
      "\r\n",
      114, false, false, NULL },
    { "Two chunks and triple zero prefixed end chunk", "transfer-encoding.md", 146,
      "POST /two_chunks_mult_zero_end HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5\r\n"
      "hello\r\n"
      "6\r\n"
      " world\r\n"
      "000\r\n"
      "\r\n",
      99, false, false, NULL },
    { "Trailing headers", "transfer-encoding.md", 188,
      "POST /chunked_w_trailing_headers HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5\r\n"
      "hello\r\n"
      "6\r\n"
      " world\r\n"
      "0\r\n"
      "Vary: *\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n",
      134, false, false, NULL },
    { "Chunk extensions", "transfer-encoding.md", 240,
      "POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;ilovew3;somuchlove=aretheseparametersfor;another=withvalue\r\n"
      "hello\r\n"
      "6;blahblah;blah\r\n"
      " world\r\n"
      "0\r\n",
      175, false, false, NULL },
    { "No semicolon before chunk extensions", "transfer-encoding.md", 293,
      "POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "Transfer-encoding: chunked\r\n"
      "\r\n"
      "2 erfrferferf\r\n"
      "aa\r\n"
      "0 rrrr\r\n"
      "\r\n",
      124, true, false, "Invalid character in chunk size" },
    { "No extension after semicolon", "transfer-encoding.md", 330,
      "POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "Transfer-encoding: chunked\r\n"
      "\r\n"
      "2;\r\n"
      "aa\r\n"
      "0\r\n"
      "\r\n",
      108, true, false, "Invalid character in chunk extensions" },
    { "Chunk extensions quoting", "transfer-encoding.md", 368,
      "POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;ilovew3=\"I \\\"love\\\"; \\\\extensions\\\\\";somuchlove=\"aretheseparametersfor\";blah;foo=bar\r\n"
      "hello\r\n"
      "6;blahblah;blah\r\n"
      " world\r\n"
      "0\r\n",
      201, false, false, NULL },
    { "Unbalanced chunk extensions quoting", "transfer-encoding.md", 426,
      "POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;ilovew3=\"abc\";somuchlove=\"def; ghi\r\n"
      "hello\r\n"
      "6;blahblah;blah\r\n"
      " world\r\n"
      "0\r\n",
      151, true, false, "Invalid character in chunk extensions quoted value" },
    { "Ignoring `pigeons`", "transfer-encoding.md", 469,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: pigeons\r\n"
      "\r\n",
      49, true, false, "Request has invalid `Transfer-Encoding`" },
    { "POST with `Transfer-Encoding` and `Content-Length`", "transfer-encoding.md", 497,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: identity\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "World",
      122, true, false, "Content-Length can't be present with Transfer-Encoding" },
    { "POST with `Transfer-Encoding` and `Content-Length` (lenient)", "transfer-encoding.md", 538,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: identity\r\n"
      "Content-Length: 1\r\n"
      "\r\n"
      "World",
      122, true, true, NULL },
    { "POST with empty `Transfer-Encoding` and `Content-Length` (lenient)", "transfer-encoding.md", 576,
      "POST / HTTP/1.1\r\n"
      "Host: foo\r\n"
      "Content-Length: 10\r\n"
      "Transfer-Encoding:\r\n"
      "Transfer-Encoding:\r\n"
      "Transfer-Encoding:\r\n"
      "\r\n"
      "2\r\n"
      "AA\r\n"
      "0",
      118, true, true, "Transfer-Encoding can't be present with Content-Length" },
    { "POST with `chunked` before other transfer coding names", "transfer-encoding.md", 615,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: chunked, deflate\r\n"
      "\r\n"
      "World",
      111, true, false, "Invalid `Transfer-Encoding` header value" },
    { "POST with `chunked` and duplicate transfer-encoding", "transfer-encoding.md", 646,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Transfer-Encoding: deflate\r\n"
      "\r\n"
      "World",
      130, true, false, "Invalid `Transfer-Encoding` header value" },
    { "POST with `chunked` before other transfer-coding (lenient)", "transfer-encoding.md", 682,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: chunked, deflate\r\n"
      "\r\n"
      "World",
      111, true, true, NULL },
    { "POST with `chunked` and duplicate transfer-encoding (lenient)", "transfer-encoding.md", 715,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Transfer-Encoding: deflate\r\n"
      "\r\n"
      "World",
      130, true, true, NULL },
    { "POST with `chunked` as last transfer-encoding", "transfer-encoding.md", 753,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: deflate, chunked\r\n"
      "\r\n"
      "5\r\n"
      "World\r\n"
      "0\r\n"
      "\r\n",
      121, false, false, NULL },
    { "POST with `chunked` as last transfer-encoding (multiple headers)", "transfer-encoding.md", 795,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: deflate\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5\r\n"
      "World\r\n"
      "0\r\n"
      "\r\n",
      140, false, false, NULL },
    { "POST with `chunkedchunked` as transfer-encoding", "transfer-encoding.md", 842,
      "POST /post_identity_body_world\?q=search#hey HTTP/1.1\r\n"
      "Accept: */*\r\n"
      "Transfer-Encoding: chunkedchunked\r\n"
      "\r\n"
      "5\r\n"
      "World\r\n"
      "0\r\n"
      "\r\n",
      119, true, false, "Request has invalid `Transfer-Encoding`" },
    { "Missing last-chunk", "transfer-encoding.md", 879,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "3\r\n"
      "foo\r\n"
      "\r\n",
      59, true, false, "Invalid character in chunk size" },
    { "Validate chunk parameters", "transfer-encoding.md", 913,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "3 \n"
      "  \r\n"
      "foo\r\n"
      "\r\n",
      63, true, false, "Invalid character in chunk size" },
    { "Invalid OBS fold after chunked value", "transfer-encoding.md", 944,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "  abc\r\n"
      "\r\n"
      "5\r\n"
      "World\r\n"
      "0\r\n"
      "\r\n",
      71, true, true, "Request has invalid `Transfer-Encoding`" },
    { "Chunk header not terminated by CRLF", "transfer-encoding.md", 978,
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "Connection: close \r\n"
      "Transfer-Encoding: chunked \r\n"
      "\r\n"
      "5\r\r;ABCD\r\n"
      "34\r\n"
      "E\r\n"
      "0\r\n"
      "\r\n"
      "GET / HTTP/1.1 \r\n"
      "Host: a\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "0\r\n",
      148, true, false, "Expected LF after chunk size" },
    { "Chunk header not terminated by CRLF (lenient)", "transfer-encoding.md", 1027,
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "Connection: close \r\n"
      "Transfer-Encoding: chunked \r\n"
      "\r\n"
      "6\r\r;ABCD\r\n"
      "33\r\n"
      "E\r\n"
      "0\r\n"
      "\r\n"
      "GET / HTTP/1.1 \r\n"
      "Host: a\r\n"
      "Content-Length: 5\r\n"
      "0\r\n"
      "\r\n",
      148, true, true, NULL },
    { "Chunk data not terminated by CRLF", "transfer-encoding.md", 1099,
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "Connection: close \r\n"
      "Transfer-Encoding: chunked \r\n"
      "\r\n"
      "5\r\n"
      "ABCDE0\r\n",
      87, true, false, "Expected LF after chunk data" },
    { "Chunk data not terminated by CRLF (lenient)", "transfer-encoding.md", 1142,
      "GET / HTTP/1.1\r\n"
      "Host: a\r\n"
      "Connection: close \r\n"
      "Transfer-Encoding: chunked \r\n"
      "\r\n"
      "5\r\n"
      "ABCDE0\r\n",
      87, true, true, NULL },
    { "Space after chunk header", "transfer-encoding.md", 1186,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "a \r\n"
      "0123456789\r\n"
      "0\r\n"
      "\r\n",
      70, true, false, "Invalid character in chunk size" },
    { "Space after chunk header (lenient)", "transfer-encoding.md", 1217,
      "PUT /url HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "a \r\n"
      "0123456789\r\n"
      "0\r\n"
      "\r\n",
      70, true, true, NULL },
    { "Quotes in URI", "uri.md", 6,
      "GET /with_\"lovely\"_quotes\?foo=\\\"bar\\\" HTTP/1.1\r\n"
      "\r\n",
      50, false, false, NULL },
    { "Query URL with question mark", "uri.md", 31,
      "GET /test.cgi\?foo=bar\?baz HTTP/1.1\r\n"
      "\r\n",
      38, false, false, NULL },
    { "Host terminated by a query string", "uri.md", 54,
      "GET http://hypnotoad.org\?hail=all HTTP/1.1\r\n"
      "\r\n"
      "\r\n",
      48, false, false, NULL },
    { "`host:port` terminated by a query string", "uri.md", 77,
      "GET http://hypnotoad.org:1234\?hail=all HTTP/1.1\r\n"
      "\r\n",
      51, false, false, NULL },
    { "Query URL with vertical bar character", "uri.md", 104,
      "GET /test.cgi\?query=| HTTP/1.1\r\n"
      "\r\n",
      34, false, false, NULL },
    { "`host:port` terminated by a space", "uri.md", 127,
      "GET http://hypnotoad.org:1234 HTTP/1.1\r\n"
      "\r\n",
      42, false, false, NULL },
    { "Disallow UTF-8 in URI path in strict mode", "uri.md", 150,
      "GET /\316\264\302\266/\316\264t/pope\?q=1#narf HTTP/1.1\r\n"
      "Host: github.com\r\n"
      "\r\n",
      58, true, false, "Invalid char in url path" },
    { "Fragment in URI", "uri.md", 167,
      "GET /forums/1/topics/2375\?page=1#posts-17408 HTTP/1.1\r\n"
      "\r\n",
      57, false, false, NULL },
    { "Underscore in hostname", "uri.md", 190,
      "CONNECT home_0.netscape.com:443 HTTP/1.0\r\n"
      "User-agent: Mozilla/1.1N\r\n"
      "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
      "\r\n",
      115, false, false, NULL },
    { "`host:port` and basic auth", "uri.md", 224,
      "GET http://a%12:b!&*$@hypnotoad.org:1234/toto HTTP/1.1\r\n"
      "\r\n",
      58, false, false, NULL },
    { "Space in URI", "uri.md", 247,
      "GET /foo bar/ HTTP/1.1\r\n"
      "\r\n",
      26, true, false, "Expected HTTP/, RTSP/ or ICE/" },
};

#define HTTP_VECTOR_COUNT (sizeof(http_vectors) / sizeof(http_vectors[0]))

#endif
