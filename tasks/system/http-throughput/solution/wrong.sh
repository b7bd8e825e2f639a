#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): a fast keep-alive server that answers
# every request with the same cached body "0".
set -e
cat > server.py <<'PY'
import os
import socketserver
import sys

RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n0"


class H(socketserver.BaseRequestHandler):
    def handle(self):
        buf = b""
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            buf += data
            n = buf.count(b"\r\n\r\n")
            buf = buf[buf.rfind(b"\r\n\r\n") + 4:] if n else buf
            self.request.sendall(RESP * n)


s = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
