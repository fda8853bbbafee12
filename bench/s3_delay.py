#!/usr/bin/env python3
"""A reverse proxy on 127.0.0.1 that holds every request for a fixed time before passing it
on, to measure against a local S3 service as if it were far away (bench/s3.sh).

Usage: s3_delay.py LISTEN_PORT TARGET_PORT DELAY_MS

Requests are forwarded unchanged, Host header included: an S3 client signs for the
proxy's address, and the service checks the signature against the Host header it
receives, so signatures stay valid. Each request runs on a thread of its own, so requests
in flight at once wait at once, as over a long round trip.
"""

import http.client
import http.server
import sys
import time

LISTEN, TARGET, DELAY = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(DELAY)
        conn = http.client.HTTPConnection("127.0.0.1", TARGET, timeout=120)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response_only(resp.status, resp.reason)
        head = self.command == "HEAD"
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection") and (head or k.lower() != "content-length"):
                self.send_header(k, v)
        if not head:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy).serve_forever()
