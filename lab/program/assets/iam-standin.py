#!/usr/bin/env python3
"""iam-ha lab: stands in for iam-apiserver / iam-authz-server on one port.

GET /healthz answers {"status":"ok"} (as the article's services do) with an X-Iam-Node header
naming the node, so load balancing and failover are visible through the EIP.

An asyncio protocol, not http.server: ThreadingHTTPServer tops out near 200 requests/s, which
made the backend, not nginx or the EIP path, what the bench measured. HTTP/1.1 keep-alive, so
nginx's upstream keepalive has something to reuse; request bodies (Content-Length) are skipped.
"""
import asyncio
import socket
import sys

PORT = int(sys.argv[1])
NODE = socket.gethostname().encode()


def answer(status, body, close, head_only):
    head = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Iam-Node: %s\r\n" % (status, len(body), NODE)
    return head + (b"Connection: close\r\n" if close else b"") + b"\r\n" + (b"" if head_only else body)


OK = b'{"status":"ok"}'
NOT_FOUND = b'{"status":"not found"}'


class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            lines = self.buffer[:end].split(b"\r\n")
            headers = dict(
                (k.strip().lower(), v.strip()) for k, _, v in (line.partition(b":") for line in lines[1:])
            )
            length = int(headers.get(b"content-length", b"0") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            parts = lines[0].split(b" ")
            path = parts[1] if len(parts) > 1 else b""
            version = parts[2] if len(parts) > 2 else b"HTTP/1.0"
            connection = headers.get(b"connection", b"").lower()
            close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
            ok = path == b"/healthz"
            status = b"200 OK" if ok else b"404 Not Found"
            self.transport.write(answer(status, OK if ok else NOT_FOUND, close, parts[0] == b"HEAD"))
            if close:
                self.transport.close()
                return


async def main():
    server = await asyncio.get_running_loop().create_server(Http, "0.0.0.0", PORT, reuse_address=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
