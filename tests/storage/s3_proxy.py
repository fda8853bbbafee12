#!/usr/bin/env python3
"""A reverse proxy on 127.0.0.1 in front of a local S3 service (SeaweedFS) that delays or
breaks requests on demand: the far-away service of bench/s3.sh, and the failing network
of the storage tests (tests/storage/faults.sh, tests/js/s3.mjs).

Usage: s3_proxy.py LISTEN_PORT TARGET_PORT [DELAY_MS]

Requests are forwarded unchanged, Host header included: an S3 client signs for the
proxy's address, and the service checks the signature against the Host header it
receives, so signatures stay valid. Each request runs on a thread of its own, so requests
in flight at once wait at once, as over a long round trip.

What it does to requests is set at run time by a GET of `/__proxy/set?NAME=VALUE&...`
(`__proxy` is never a bucket: S3 bucket names have no `_`), which first resets every
setting but `delay_ms`:

- `delay_ms=N`: hold every request N ms before passing it on.
- `fail=STATUS&first=K&every=M`: answer STATUS (503 with S3's `SlowDown`, 429, 501) to the
  first K attempts of every Mth distinct request (method, path and query, `Range`; M is 1
  when left out), then pass it on: a storm that retries ride out, whichever order the
  attempts of requests in flight arrive in. `fail=STATUS&first=all`: every request, forever.
  With `conditional=1` only requests that carry `If-None-Match` fail: `fail=501&first=all&
  conditional=1` is a service without conditional writes (S3's `NotImplemented`).
- `cut_after=N`: pass N more requests on, then cut every later one half-way (a request's
  body half read, or an answer's headers and half its body sent) and close the connection:
  a network that drops and stays down.
- `stall_after=N`: pass N more requests on, then answer none of the later ones (each is held
  until its client gives up or `/__proxy/set` is called again).

`/__proxy/stats` answers JSON counts since the last set: requests `passed`, `failed`, `cut`,
`stalled`, and `most_in_flight`, the most requests it held at once.
"""

import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

LISTEN, TARGET = int(sys.argv[1]), int(sys.argv[2])

lock = threading.Lock()
settings = {"delay_ms": int(sys.argv[3]) if len(sys.argv) > 3 else 0}
stats = {}
seen = {}  # attempts of each distinct request, while a storm is set
generation = 0  # bumped by every set: stalled requests of an older setting are let go
in_flight = 0


def reset(query):
    global generation
    with lock:
        delay = settings.get("delay_ms", 0)
        settings.clear()
        settings["delay_ms"] = delay
        for k, v in urllib.parse.parse_qsl(query):
            settings[k] = v if k == "first" and v == "all" else int(v)
        stats.clear()
        stats.update(passed=0, failed=0, cut=0, stalled=0, most_in_flight=0)
        seen.clear()
        generation += 1


reset("")

ERROR = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>'
ANSWERS = {
    503: ("Slow Down", ERROR.format("SlowDown", "Please reduce your request rate.")),
    429: ("Too Many Requests", ERROR.format("TooManyRequests", "Please reduce your request rate.")),
    501: ("Not Implemented", ERROR.format("NotImplemented", "A header you provided implies functionality that is not implemented.")),
}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def fate(self):
        """What to do with this request: "pass", "fail", "cut" or "stall" (and count it)."""
        with lock:
            conditional = settings.get("conditional") and "If-None-Match" not in self.headers
            if "fail" in settings and not conditional:
                key = (self.command, self.path, self.headers.get("Range"))
                if key not in seen:
                    seen[key] = [len(seen) % settings.get("every", 1) == 0, 0]
                seen[key][1] += 1
                first = settings.get("first", 1)
                if first == "all" or (seen[key][0] and seen[key][1] <= first):
                    stats["failed"] += 1
                    return "fail"
            for name, fate, counted in (("cut_after", "cut", "cut"), ("stall_after", "stall", "stalled")):
                if name in settings:
                    if settings[name] > 0:
                        settings[name] -= 1
                    else:
                        stats[counted] += 1
                        return fate
            stats["passed"] += 1
            return "pass"

    def control(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__proxy/set":
            reset(url.query)
            body = b"ok\n"
        else:
            with lock:
                body = json.dumps(stats).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        global in_flight
        if self.path.startswith("/__proxy/"):
            return self.control()
        with lock:
            in_flight += 1
            stats["most_in_flight"] = max(stats["most_in_flight"], in_flight)
        try:
            self.relay()
        finally:
            with lock:
                in_flight -= 1

    def relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        fate = self.fate()
        if fate == "cut" and length > 1:
            self.rfile.read(length // 2)
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else None
        if fate == "stall":
            mine = generation
            while generation == mine:
                time.sleep(0.05)
            self.close_connection = True
            return
        if fate == "fail":
            status = settings.get("fail", 503)
            reason, body = ANSWERS.get(status, ("Failing", ERROR.format("InternalError", "failing on purpose")))
            self.send_response_only(status, reason)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        time.sleep(settings.get("delay_ms", 0) / 1000.0)
        conn = http.client.HTTPConnection("127.0.0.1", TARGET, timeout=120)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if fate == "cut":
            return self.cut(resp.status, data)
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

    def cut(self, status, data):
        """Ends the connection half-way through the answer `data` of a request that was made."""
        self.close_connection = True
        if self.command == "HEAD" or len(data) < 2:
            return  # no body to cut: the answer is lost whole
        # The headers promise the whole body; half of it arrives, then the connection ends.
        self.wfile.write(f"HTTP/1.1 {status} Cut\r\nContent-Length: {len(data)}\r\n\r\n".encode())
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy).serve_forever()
