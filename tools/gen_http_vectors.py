#!/usr/bin/env python3
"""Turn llhttp's request test markdown into a C table for our parser tests.

Usage: tools/gen_http_vectors.py [LLHTTP_DIR] [OUT]
  LLHTTP_DIR  folder with llhttp's test/request/*.md and its LICENSE
              (default: ../shared/http-vectors/llhttp next to the checkout)
  OUT         the C header to write (default: tests/unit/http_vectors.h)

Each test case in those files is a `<!-- meta={...} -->` comment, a fenced
`http` block holding the raw request and a fenced `log` block with what
llhttp's strict parser reported. The request text is decoded exactly the way
llhttp's test runner (test/md-test.ts) does it:
  - the block's final newline is dropped;
  - a backslash at the end of a line joins it with the next (no line end);
  - every remaining literal newline becomes CRLF;
  - then the escapes \\r \\n \\t \\f, \\xHH... and octal \\NNN are expanded;
  - the resulting string goes to the parser UTF-8 encoded (so "\\xff"
    is the two bytes C3 BF, as the off= positions in the logs confirm).
A case is "reject" when its log has an `error code=` line, or when it needs
one of llhttp's leniency flags (meta type other than "request", or a
"(lenient)" heading): a strict server refuses those.

Standard library only; the output is deterministic.
"""
import json
import os
import re
import sys

LLHTTP_VERSION = "9.4.2"

META_RE = re.compile(r"^<!--\s*meta=(\{.*\})\s*-->\s*$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
ERROR_RE = re.compile(r'^off=(\d+) error code=(\d+) reason="(.*)"$')
PAUSE_CODES = ("22", "23")


def read_fence(lines, i, kind):
    """Find the next ```kind fence from line i; return (text, next index)."""
    while i < len(lines) and lines[i].strip() != "```" + kind:
        if lines[i].startswith("<!--") or HEADING_RE.match(lines[i]):
            raise ValueError("no ```%s block after line %d" % (kind, i + 1))
        i += 1
    if i == len(lines):
        raise ValueError("unterminated search for ```" + kind)
    body = []
    i += 1
    while lines[i].rstrip("\n") != "```":
        body.append(lines[i])
        i += 1
    return "".join(body), i + 1


def decode_request(text):
    """The bytes llhttp's test runner feeds to the parser for an http block."""
    if "${" in text:
        raise ValueError("inline JavaScript in a request is not supported")
    text = re.sub(r"\n\Z", "", text)
    text = re.sub(r"\\(\r\n|\r|\n)", "", text)
    text = re.sub(r"\r\n|\r|\n", "\r\n", text)
    text = text.replace("\\r", "\r").replace("\\n", "\n")
    text = text.replace("\\t", "\t").replace("\\f", "\f")
    text = re.sub(r"\\x([0-9a-fA-F]+)", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\([0-7]{1,3})", lambda m: chr(int(m.group(1), 8)), text)
    return text.encode("utf-8")


def log_error(log):
    """llhttp's error reason for a case, or None when it accepted it.
    Codes 22 and 23 are not errors but pauses (HPE_PAUSED_UPGRADE and
    HPE_PAUSED_H2_UPGRADE: a complete head asking for CONNECT or Upgrade,
    handed back to the application), so they count as accepted."""
    for line in log.splitlines():
        m = ERROR_RE.match(line.strip())
        if m and m.group(2) not in PAUSE_CODES:
            return m.group(3)
    return None


def check_decoding(data, log, where):
    """Cross-check the decoded bytes against llhttp's log: each head it saw
    end ("headers complete" at off=N) must be a CRLF CRLF ending at N."""
    for m in re.finditer(r"^off=(\d+) headers complete", log, re.M):
        end = int(m.group(1))
        if data[end - 4:end] != b"\r\n\r\n":
            raise ValueError("%s: decoded bytes disagree with the log at off=%d"
                             % (where, end))


def parse_file(path, fname):
    """All request cases of one markdown file, as dicts."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    cases, heading, i = [], "", 0
    while i < len(lines):
        h = HEADING_RE.match(lines[i])
        if h:
            heading = h.group(2)
        m = META_RE.match(lines[i].strip())
        if not m:
            i += 1
            continue
        meta = json.loads(m.group(1))
        mtype = meta.get("type", "")
        if not mtype.startswith("request"):
            raise ValueError("%s:%d: unexpected type %r" % (fname, i + 1, mtype))
        line = i + 1
        text, i = read_fence(lines, i + 1, "http")
        log, i = read_fence(lines, i, "log")
        error = log_error(log)
        lenient = mtype != "request" or "lenient" in heading.lower()
        if not lenient:
            check_decoding(decode_request(text), log, "%s:%d" % (fname, line))
        cases.append({"name": heading, "file": fname, "line": line, "type": mtype,
                      "bytes": decode_request(text), "error": error,
                      "lenient": lenient,
                      "reject": error is not None or lenient})
    return cases


def c_string(data, indent):
    """A C string literal for data, split after each LF; octal escapes only
    (never hex: a hex escape would swallow a following hex digit), and '?'
    escaped so that no trigraph can form."""
    out, cur = [], ""
    for b in data:
        ch = chr(b)
        if ch in "\\\"?":
            cur += "\\" + ch
        elif 0x20 <= b < 0x7F:
            cur += ch
        else:
            cur += {0x0D: "\\r", 0x0A: "\\n", 0x09: "\\t"}.get(b, "\\%03o" % b)
        if b == 0x0A:
            out.append('"%s"' % cur)
            cur = ""
    if cur or not out:
        out.append('"%s"' % cur)
    return ("\n" + " " * indent).join(out)


def c_text(s):
    """A C string literal for a short ASCII label."""
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"').replace("?", "\\?")


HEAD = """/* GENERATED FILE, do not edit: tools/gen_http_vectors.py writes it.
 *
 * Request test vectors from llhttp %(version)s (https://github.com/nodejs/llhttp,
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
%(licence)s */
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
"""

TAIL = """};

#define HTTP_VECTOR_COUNT (sizeof(http_vectors) / sizeof(http_vectors[0]))

#endif
"""


def c_entry(c):
    """One initializer of the table."""
    err = "NULL" if c["error"] is None else c_text(c["error"])
    return ("    { %s, %s, %d,\n      %s,\n      %d, %s, %s, %s },\n" % (
        c_text(c["name"]), c_text(c["file"]), c["line"], c_string(c["bytes"], 6),
        len(c["bytes"]), str(c["reject"]).lower(), str(c["lenient"]).lower(), err))


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = argv[1] if len(argv) > 1 else os.path.join(root, "..", "shared",
                                                      "http-vectors", "llhttp")
    out = argv[2] if len(argv) > 2 else os.path.join(root, "tests", "unit",
                                                      "http_vectors.h")
    with open(os.path.join(src, "LICENSE"), encoding="utf-8") as f:
        licence = "".join((" *     " + l).rstrip() + "\n" for l in f.read().splitlines())
    cases = []
    for fname in sorted(n for n in os.listdir(src) if n.endswith(".md")):
        cases += parse_file(os.path.join(src, fname), fname)
    body = "".join(c_entry(c) for c in cases)
    with open(out, "w", encoding="utf-8") as f:
        f.write(HEAD % {"version": LLHTTP_VERSION, "licence": licence} + body + TAIL)
    print("%s: %d vectors (%d reject)" % (out, len(cases),
                                          sum(c["reject"] for c in cases)))


if __name__ == "__main__":
    main(sys.argv)
