"""A loopback proxy that adds headers (a bearer token) to every request it forwards.

The MCP conformance suite cannot send an Authorization header; this proxy sits in
front of the server and adds one. It forwards Host and Origin exactly as the client
sent them, so the suite's DNS-rebinding probes still reach the server's own checks,
and it streams response bodies as they arrive, so event streams stay live.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target_port: int, extra_headers: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), Forward)
        self.target_port, self.extra_headers = target_port, extra_headers


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ProxyServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        upstream = self._send_upstream()
        response = upstream.getresponse()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while chunk := response.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (as clients of event streams do)
        finally:
            upstream.close()
            self.close_connection = True

    do_POST = do_DELETE = do_PUT = do_OPTIONS = do_GET  # noqa: N815

    def _send_upstream(self) -> http.client.HTTPConnection:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=120)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in [*self.headers.items(), *self.server.extra_headers.items()]:
            if name.lower() not in HOP_BY_HOP:
                upstream.putheader(name, value)
        upstream.putheader("Content-Length", str(len(body)))
        upstream.endheaders(body)
        return upstream

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet


@contextmanager
def header_proxy(target_port: int, extra_headers: dict[str, str]) -> Iterator[int]:
    """Run the proxy on a free loopback port; yield that port."""
    server = ProxyServer(target_port, extra_headers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
