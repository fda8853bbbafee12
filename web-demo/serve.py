#!/usr/bin/env python3
"""A static server for the web demo and the browser tests: the repository's root over HTTP on
127.0.0.1, with the headers that make pages cross-origin isolated (so the JS package can run
job workers on SharedArrayBuffer) and no caching. Prints "serving on port N".

    python3 web-demo/serve.py [PORT] [--directory DIR]     (PORT 0 picks a free one)
"""
import argparse
import functools
import http.server
import os


class Handler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with COOP/COEP and no-store."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".wasm": "application/wasm"}

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8080)
    parser.add_argument("--directory", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = parser.parse_args()
    handler = functools.partial(Handler, directory=os.path.abspath(args.directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving on port {server.server_address[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
