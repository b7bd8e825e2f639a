"""HTTP server to make fast. This is the file to optimize.

Contract: `python3 server.py PORTFILE` listens on 127.0.0.1 (port 0 = any free port), writes the
port number to PORTFILE once it accepts connections, and answers GET /sum?a=A&b=B (integers,
possibly negative) with status 200 and the body A+B in decimal, Content-Length set. Anything
else may get 404. It runs until killed.
"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/sum":
            self.send_error(404)
            return
        q = parse_qs(url.query)
        body = str(int(q["a"][0]) + int(q["b"][0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
