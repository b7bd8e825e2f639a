#!/bin/sh
# Reference: an asyncio Protocol server speaking HTTP/1.1 with keep-alive (no connect/close per
# request), a hand-rolled parser of the request line (no urllib, no per-request handler object),
# pipelining-safe buffering, and one write per response.
set -e
cat > server.py <<'PY'
import asyncio
import os
import sys

NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def answer(line):
    try:
        _, target, _ = line.split(b" ", 2)
        path, _, query = target.partition(b"?")
        if path != b"/sum":
            return NOT_FOUND
        args = dict(kv.split(b"=", 1) for kv in query.split(b"&"))
        body = b"%d" % (int(args[b"a"]) + int(args[b"b"]))
    except (ValueError, KeyError):
        return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.t = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        out = []
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            out.append(answer(head.split(b"\r\n", 1)[0]))
        if out:
            self.t.write(b"".join(out))


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", 0, backlog=128)
    port = server.sockets[0].getsockname()[1]
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    await server.serve_forever()


asyncio.run(main())
PY
