#!/usr/bin/env python3
"""iam-ha lab: stands in for iam-apiserver / iam-authz-server on one port.

GET /healthz answers {"status":"ok"} (as the article's services do) with an X-Iam-Node header
naming the node, so load balancing and failover are visible through the EIP.
"""
import http.server
import socket
import sys

PORT = int(sys.argv[1])
NODE = socket.gethostname()


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, so nginx's upstream keepalive has something to reuse.
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        ok = self.path == "/healthz"
        body = b'{"status":"ok"}' if ok else b'{"status":"not found"}'
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Iam-Node", NODE)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
