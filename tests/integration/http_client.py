#!/usr/bin/env python3
"""Drive preforkd's http protocol with Python's http.client (for
tests/integration/test_http_clients.c, which checks the output exactly).

usage: http_client.py PORT COMMAND ARGS...

  get PATH...   GET each PATH in turn on ONE HTTPConnection; for each a line
                "GET PATH STATUS REASON LENGTH BODYHEX", then
                "connections=N": how many TCP connections were used (1 when
                http.client could keep the connection alive throughout)
  head PATH     HEAD then GET of PATH on one connection: the line
                "HEAD PATH STATUS content-length=N body=LEN" then the GET's
                line and "connections=N" as above

Every socket operation has a 5 s timeout; an exception exits non-zero.
"""
import http.client
import sys

TIMEOUT = 5.0


class Client:
    """One HTTPConnection, counting the sockets it opened."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.ports = set()

    def request(self, method, path):
        """Send one request, read the whole response; (response, body)."""
        self.conn.request(method, path, headers={"User-Agent": "pf-http-client"})
        self.ports.add(self.conn.sock.getsockname()[1])  # connected by request()
        resp = self.conn.getresponse()
        return resp, resp.read()

    def get_line(self, path):
        resp, body = self.request("GET", path)
        return "GET %s %d %s %d %s" % (path, resp.status, resp.reason, len(body), body.hex())

    def close(self):
        self.conn.close()
        return "connections=%d" % len(self.ports)


def cmd_get(client, paths):
    for path in paths:
        print(client.get_line(path))


def cmd_head(client, paths):
    path = paths[0]
    resp, body = client.request("HEAD", path)
    print("HEAD %s %d content-length=%s body=%d"
          % (path, resp.status, resp.getheader("Content-Length"), len(body)))
    print(client.get_line(path))


def main(argv):
    if len(argv) < 4 or argv[2] not in ("get", "head"):
        sys.stderr.write(__doc__)
        return 2
    client = Client(int(argv[1]))
    {"get": cmd_get, "head": cmd_head}[argv[2]](client, argv[3:])
    print(client.close())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
